#pragma once
// The two products of a dense layer's backward pass, on fixed shapes:
//
//   weight gradient  dW[k][j] = sum_r A[r][k] * dZ[r][j],  db[j] = sum_r dZ[r][j]
//   input gradient   dA[r][k] = sum_j dZ[r][j] * W[k][j]   (k < K; zero up to padded K)
//
// A is rows x K (row stride LdA), dZ rows x NPad (row stride NPad), W and dW
// K x NPad, db NPad, dA rows x padded(K). `rows` is a runtime count (a last
// partial batch); every other size is a template argument. Both outputs are
// overwritten, not accumulated. The zeros written into dA's padding keep the
// padded columns of every gradient at zero.
#include <cstddef>

#include "forma/core/scalar.hpp"
#include "forma/kernels/backend.hpp"
#include "forma/kernels/static_for.hpp"

namespace forma::kernels {

template <std::size_t K, std::size_t NPad, std::size_t LdA, class T>
inline void dense_weight_grad(scalar, std::size_t rows, const T* a, const T* dz, T* dw, T* db) noexcept {
  for (std::size_t i = 0; i < K * NPad; ++i) dw[i] = T(0);
  for (std::size_t j = 0; j < NPad; ++j) db[j] = T(0);
  for (std::size_t r = 0; r < rows; ++r) {
    const T* dzr = dz + r * NPad;
    for (std::size_t k = 0; k < K; ++k) {
      const T ak = a[r * LdA + k];
      T* dwk = dw + k * NPad;
      for (std::size_t j = 0; j < NPad; ++j) dwk[j] += ak * dzr[j];
    }
    for (std::size_t j = 0; j < NPad; ++j) db[j] += dzr[j];
  }
}

template <std::size_t K, std::size_t NPad, class T>
inline void dense_input_grad(scalar, std::size_t rows, const T* dz, const T* w, T* da) noexcept {
  constexpr std::size_t ld = padded<T>(K);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t k = 0; k < K; ++k) {
      T s = 0;
      for (std::size_t j = 0; j < NPad; ++j) s += dz[r * NPad + j] * w[k * NPad + j];
      da[r * ld + k] = s;
    }
    for (std::size_t k = K; k < ld; ++k) da[r * ld + k] = T(0);
  }
}

#if !defined(FORMA_SCALAR_ONLY)
namespace detail {

// MK rows of dW by NV column vectors, summed over all `rows` in registers.
template <class Arch, std::size_t MK, std::size_t NV, std::size_t NPad, std::size_t LdA, class T>
inline void weight_grad_tile(std::size_t rows, const T* a, const T* dz, T* dw) noexcept {
  using V = xsimd::batch<T, Arch>;
  constexpr std::size_t W = V::size;
  V acc[MK * NV];
  static_for<MK * NV>([&](auto i) { acc[i] = V(T(0)); });
  for (std::size_t r = 0; r < rows; ++r) {
    V d[NV];
    static_for<NV>([&](auto j) { d[j] = V::load_aligned(dz + r * NPad + j * W); });
    static_for<MK>([&](auto k) {
      const V ak(a[r * LdA + k]);
      static_for<NV>([&](auto j) { acc[k * NV + j] = xsimd::fma(ak, d[j], acc[k * NV + j]); });
    });
  }
  static_for<MK>([&](auto k) { static_for<NV>([&](auto j) { acc[k * NV + j].store_aligned(dw + k * NPad + j * W); }); });
}

template <class Arch, std::size_t MK, std::size_t NV, std::size_t K, std::size_t NPad, std::size_t LdA, class T>
inline void weight_grad_columns(std::size_t rows, const T* a, const T* dz, T* dw) noexcept {
  std::size_t k = 0;
  for (; k + MK <= K; k += MK) weight_grad_tile<Arch, MK, NV, NPad, LdA>(rows, a + k, dz, dw + k * NPad);
  if constexpr (K % MK != 0) weight_grad_tile<Arch, K % MK, NV, NPad, LdA>(rows, a + k, dz, dw + k * NPad);
}

// MR rows of dA by MK of its columns: MR x MK dot products over NPad.
template <class Arch, std::size_t MR, std::size_t MK, std::size_t K, std::size_t NPad, class T>
inline void input_grad_tile(const T* dz, const T* w, T* da) noexcept {
  using V = xsimd::batch<T, Arch>;
  constexpr std::size_t ld = padded<T>(K);
  V acc[MR * MK];
  static_for<MR * MK>([&](auto i) { acc[i] = V(T(0)); });
  for (std::size_t j = 0; j < NPad; j += V::size) {
    V wk[MK];
    static_for<MK>([&](auto k) { wk[k] = V::load_aligned(w + k * NPad + j); });
    static_for<MR>([&](auto r) {
      const V d = V::load_aligned(dz + r * NPad + j);
      static_for<MK>([&](auto k) { acc[r * MK + k] = xsimd::fma(d, wk[k], acc[r * MK + k]); });
    });
  }
  static_for<MR>([&](auto r) { static_for<MK>([&](auto k) { da[r * ld + k] = xsimd::hadd(acc[r * MK + k]); }); });
}

template <class Arch, std::size_t MR, std::size_t K, std::size_t NPad, class T>
inline void input_grad_rows(const T* dz, const T* w, T* da) noexcept {
  constexpr std::size_t MK = 4;
  constexpr std::size_t ld = padded<T>(K);
  std::size_t k = 0;
  for (; k + MK <= K; k += MK) input_grad_tile<Arch, MR, MK, K, NPad>(dz, w + k * NPad, da + k);
  if constexpr (K % MK != 0) input_grad_tile<Arch, MR, K % MK, K, NPad>(dz, w + k * NPad, da + k);
  for (std::size_t r = 0; r < MR; ++r)
    for (std::size_t p = K; p < ld; ++p) da[r * ld + p] = T(0);
}

}  // namespace detail

template <std::size_t K, std::size_t NPad, std::size_t LdA, class T, class Arch>
inline void dense_weight_grad(simd<Arch>, std::size_t rows, const T* a, const T* dz, T* dw, T* db) noexcept {
  using V = xsimd::batch<T, Arch>;
  constexpr std::size_t W = V::size;
  constexpr std::size_t vectors = NPad / W;
  constexpr std::size_t regs = simd<Arch>::registers;
  constexpr std::size_t nv = vectors < (regs == 32 ? 4 : 2) ? vectors : (regs == 32 ? 4 : 2);
  constexpr std::size_t mk = regs == 32 ? 6 : 5;
  std::size_t j = 0;
  for (; j + nv <= vectors; j += nv)
    detail::weight_grad_columns<Arch, mk, nv, K, NPad, LdA>(rows, a, dz + j * W, dw + j * W);
  if constexpr (vectors % nv != 0)
    detail::weight_grad_columns<Arch, mk, vectors % nv, K, NPad, LdA>(rows, a, dz + j * W, dw + j * W);
  for (std::size_t jj = 0; jj < NPad; jj += W) {
    V s(T(0));
    for (std::size_t r = 0; r < rows; ++r) s += V::load_aligned(dz + r * NPad + jj);
    s.store_aligned(db + jj);
  }
}

template <std::size_t K, std::size_t NPad, class T, class Arch>
inline void dense_input_grad(simd<Arch>, std::size_t rows, const T* dz, const T* w, T* da) noexcept {
  constexpr std::size_t MR = 4;
  constexpr std::size_t ld = padded<T>(K);
  std::size_t r = 0;
  for (; r + MR <= rows; r += MR) detail::input_grad_rows<Arch, MR, K, NPad>(dz + r * NPad, w, da + r * ld);
  const std::size_t left = rows - r;
  static_for<MR>([&](auto m) {
    if constexpr (m > 0) {
      if (left == m) detail::input_grad_rows<Arch, decltype(m)::value, K, NPad>(dz + r * NPad, w, da + r * ld);
    }
  });
}
#endif

}  // namespace forma::kernels
