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
//
// Training fuses the weight gradient with the optimizer: dense_weight_update
// sums each tile of dW in registers and applies the update rule to it there,
// so the gradient never goes to memory and W and the optimizer state are
// read and written once. Both it and the input gradient take a range of
// rows k of W [k0, k1), so threads can share a layer without sharing data.
#include <cstddef>

#include "forma/core/scalar.hpp"
#include "forma/kernels/backend.hpp"
#include "forma/kernels/optimizer_updates.hpp"
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

// Rows [k0, k1) of W and their state: w = rule(w, dW, state). Returns
// whether every new value was finite (those that were not are not stored).
template <std::size_t K, std::size_t NPad, std::size_t LdA, class T, class Rule>
inline bool dense_weight_update(scalar, std::size_t rows, const T* a, const T* dz, T* w,
                                const slot_arrays<T, Rule::slots>& s, const Rule& rule, std::size_t k0,
                                std::size_t k1) noexcept {
  bool finite = true;
  for (std::size_t k = k0; k < k1; ++k)
    for (std::size_t j = 0; j < NPad; ++j) {
      T g = 0;
      for (std::size_t r = 0; r < rows; ++r) g += a[r * LdA + k] * dz[r * NPad + j];
      finite &= detail::update_one(scalar{}, rule, w, g, s, k * NPad + j);
    }
  return finite;
}

// The bias: b = rule(b, db, state), db[j] = sum_r dZ[r][j].
template <std::size_t NPad, class T, class Rule>
inline bool dense_bias_update(scalar, std::size_t rows, const T* dz, T* b, const slot_arrays<T, Rule::slots>& s,
                              const Rule& rule) noexcept {
  bool finite = true;
  for (std::size_t j = 0; j < NPad; ++j) {
    T g = 0;
    for (std::size_t r = 0; r < rows; ++r) g += dz[r * NPad + j];
    finite &= detail::update_one(scalar{}, rule, b, g, s, j);
  }
  return finite;
}

// Columns [k0, k1) of dA (the padding too when k1 == K).
template <std::size_t K, std::size_t NPad, class T>
inline void dense_input_grad(scalar, std::size_t rows, const T* dz, const T* w, T* da, std::size_t k0,
                             std::size_t k1) noexcept {
  constexpr std::size_t ld = padded<T>(K);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t k = k0; k < k1; ++k) {
      T s = 0;
      for (std::size_t j = 0; j < NPad; ++j) s += dz[r * NPad + j] * w[k * NPad + j];
      da[r * ld + k] = s;
    }
    if (k1 == K)
      for (std::size_t k = K; k < ld; ++k) da[r * ld + k] = T(0);
  }
}

#if !defined(FORMA_SCALAR_ONLY)
namespace detail {

// MK rows of dW by NV column vectors, summed over all `rows` in registers
// (acc[k * NV + j]): the weight gradient's tile, and the fused update's.
template <class Arch, std::size_t MK, std::size_t NV, std::size_t NPad, std::size_t LdA, class T>
FORMA_ALWAYS_INLINE void weight_grad_sum(std::size_t rows, const T* a, const T* dz,
                                         xsimd::batch<T, Arch> (&acc)[MK * NV]) noexcept {
  using V = xsimd::batch<T, Arch>;
  constexpr std::size_t W = V::size;
  static_for<MK * NV>([&](auto i) { acc[i] = V(T(0)); });
  for (std::size_t r = 0; r < rows; ++r) {
    V d[NV];
    static_for<NV>([&](auto j) { d[j] = V::load_aligned(dz + r * NPad + j * W); });
    static_for<MK>([&](auto k) {
      const V ak(a[r * LdA + k]);
      static_for<NV>([&](auto j) { acc[k * NV + j] = kernels::fma(ak, d[j], acc[k * NV + j]); });
    });
  }
}

template <class Arch, std::size_t MK, std::size_t NV, std::size_t NPad, std::size_t LdA, class T>
inline void weight_grad_tile(std::size_t rows, const T* a, const T* dz, T* dw) noexcept {
  using V = xsimd::batch<T, Arch>;
  V acc[MK * NV];
  weight_grad_sum<Arch, MK, NV, NPad, LdA>(rows, a, dz, acc);
  static_for<MK>([&](auto k) { static_for<NV>([&](auto j) { acc[k * NV + j].store_aligned(dw + k * NPad + j * V::size); }); });
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
      static_for<MK>([&](auto k) { acc[r * MK + k] = kernels::fma(d, wk[k], acc[r * MK + k]); });
    });
  }
  static_for<MR>([&](auto r) { static_for<MK>([&](auto k) { da[r * ld + k] = xsimd::hadd(acc[r * MK + k]); }); });
}

// MR rows of dA, columns [k0, k1): k0 is a multiple of MK, and k1 is too
// unless it is K (whose tail is known at compile time).
template <class Arch, std::size_t MR, std::size_t K, std::size_t NPad, class T>
inline void input_grad_rows(const T* dz, const T* w, T* da, std::size_t k0, std::size_t k1) noexcept {
  constexpr std::size_t MK = 4;
  constexpr std::size_t ld = padded<T>(K);
  std::size_t k = k0;
  for (; k + MK <= k1; k += MK) input_grad_tile<Arch, MR, MK, K, NPad>(dz, w + k * NPad, da + k);
  if constexpr (K % MK != 0)
    if (k1 == K) input_grad_tile<Arch, MR, K % MK, K, NPad>(dz, w + k * NPad, da + k);
  if (k1 == K)
    for (std::size_t r = 0; r < MR; ++r)
      for (std::size_t p = K; p < ld; ++p) da[r * ld + p] = T(0);
}

// MK rows of W by NV vectors: the gradient tile summed over all `rows` in
// registers, then the rule applied to it.
template <class Arch, std::size_t MK, std::size_t NV, std::size_t NPad, std::size_t LdA, class T, class Rule>
inline bool weight_update_tile(std::size_t rows, const T* a, const T* dz, T* w, const slot_arrays<T, Rule::slots>& s,
                               const Rule& rule, std::size_t offset) noexcept {
  using V = xsimd::batch<T, Arch>;
  constexpr std::size_t W = V::size;
  V acc[MK * NV];
  weight_grad_sum<Arch, MK, NV, NPad, LdA>(rows, a, dz, acc);
  // The tile goes through L1 so that the update is a compact loop: updating
  // straight from registers unrolls it 24 times and spills the tile anyway.
  alignas(64) T g[MK * NV * W];
  static_for<MK * NV>([&](auto i) { acc[i].store_aligned(g + i * W); });
  const Rule r = rule;  // local copies: see apply_rule
  const slot_arrays<T, Rule::slots> state = s;
  bool finite = true;
  for (std::size_t k = 0; k < MK; ++k)
    for (std::size_t j = 0; j < NV; ++j)
      finite &= update_one(simd<Arch>{}, r, w, V::load_aligned(g + (k * NV + j) * W), state,
                           offset + k * NPad + j * W);
  return finite;
}

// MK rows of W across all its columns: blocks of NV vectors, then the rest.
template <class Arch, std::size_t MK, std::size_t NV, std::size_t NPad, std::size_t LdA, class T, class Rule>
inline bool weight_update_rows(std::size_t rows, const T* a, const T* dz, T* w, const slot_arrays<T, Rule::slots>& s,
                               const Rule& rule, std::size_t k) noexcept {
  constexpr std::size_t W = xsimd::batch<T, Arch>::size;
  constexpr std::size_t vectors = NPad / W;
  bool finite = true;
  std::size_t j = 0;
  for (; j + NV <= vectors; j += NV)
    finite &= weight_update_tile<Arch, MK, NV, NPad, LdA>(rows, a + k, dz + j * W, w, s, rule, k * NPad + j * W);
  if constexpr (vectors % NV != 0)
    finite &= weight_update_tile<Arch, MK, vectors % NV, NPad, LdA>(rows, a + k, dz + j * W, w, s, rule,
                                                                   k * NPad + j * W);
  return finite;
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
inline void dense_input_grad(simd<Arch>, std::size_t rows, const T* dz, const T* w, T* da, std::size_t k0,
                             std::size_t k1) noexcept {
  constexpr std::size_t MR = 4;
  constexpr std::size_t ld = padded<T>(K);
  std::size_t r = 0;
  for (; r + MR <= rows; r += MR)
    detail::input_grad_rows<Arch, MR, K, NPad>(dz + r * NPad, w, da + r * ld, k0, k1);
  const std::size_t left = rows - r;  // 0 to 3 rows: as 2 and 1
  static_for<2>([&](auto i) {
    constexpr std::size_t h = std::size_t{2} >> i;
    if (left & h) {
      detail::input_grad_rows<Arch, h, K, NPad>(dz + r * NPad, w, da + r * ld, k0, k1);
      r += h;
    }
  });
}

// Rows [k0, k1) of W. Consecutive rows of W and the state are contiguous
// runs, which the prefetchers stream well, so rows are the outer loop (and
// threads share W by rows: split by columns the update ran 1.3x on two).
template <std::size_t K, std::size_t NPad, std::size_t LdA, class T, class Rule, class Arch>
inline bool dense_weight_update(simd<Arch>, std::size_t rows, const T* a, const T* dz, T* w,
                                const slot_arrays<T, Rule::slots>& s, const Rule& rule, std::size_t k0,
                                std::size_t k1) noexcept {
  constexpr std::size_t vectors = NPad / xsimd::batch<T, Arch>::size;
  constexpr std::size_t regs = simd<Arch>::registers;
  constexpr std::size_t nv = vectors < (regs == 32 ? 4 : 2) ? vectors : (regs == 32 ? 4 : 2);
  constexpr std::size_t mk = regs == 32 ? 6 : 5;
  bool finite = true;
  std::size_t k = k0;
  for (; k + mk <= k1; k += mk)
    finite &= detail::weight_update_rows<Arch, mk, nv, NPad, LdA>(rows, a, dz, w, s, rule, k);
  // The last rows of the range, fewer than mk (a runtime count), as 4, 2
  // and 1 rows: fewer instantiations (compile time) than one per count.
  const std::size_t left = k1 - k;
  static_for<3>([&](auto i) {
    constexpr std::size_t h = std::size_t{4} >> i;
    if constexpr (h < mk) {
      if (left & h) {
        finite &= detail::weight_update_rows<Arch, h, nv, NPad, LdA>(rows, a, dz, w, s, rule, k);
        k += h;
      }
    }
  });
  return finite;
}

template <std::size_t NPad, class T, class Rule, class Arch>
inline bool dense_bias_update(simd<Arch>, std::size_t rows, const T* dz, T* b, const slot_arrays<T, Rule::slots>& s,
                              const Rule& rule) noexcept {
  using V = xsimd::batch<T, Arch>;
  bool finite = true;
  for (std::size_t j = 0; j < NPad; j += V::size) {
    V g(T(0));
    for (std::size_t r = 0; r < rows; ++r) g += V::load_aligned(dz + r * NPad + j);
    finite &= detail::update_one(simd<Arch>{}, rule, b, g, s, j);
  }
  return finite;
}
#endif

// All of dA.
template <std::size_t K, std::size_t NPad, class Backend, class T>
inline void dense_input_grad(Backend b, std::size_t rows, const T* dz, const T* w, T* da) noexcept {
  dense_input_grad<K, NPad>(b, rows, dz, w, da, 0, K);
}

}  // namespace forma::kernels
