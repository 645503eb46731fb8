#pragma once
// The dense forward product with bias and an elementwise activation fused
// into the output tile:
//
//   C[r][j] = act(sum_k A[r][k] * W[k][j] + bias[j])   for r < rows, j < NPad
//
//   A     rows x K, row stride LdA (rows is a runtime count up to the caller's
//         fixed batch size: a last partial batch reuses the same buffers)
//   W     K x NPad, row-major: Keras' [inputs][units] layout, zero columns up
//         to NPad, a multiple of 64 bytes; 64-byte aligned
//   bias  NPad values, 64-byte aligned
//   C     rows x NPad, row stride LdC (a multiple of 64 bytes), 64-byte aligned
//
// Every size but `rows` is a template argument, so tile counts and tails are
// resolved at compile time.
#include <algorithm>
#include <cstddef>
#include <type_traits>

#include "forma/kernels/backend.hpp"
#include "forma/kernels/static_for.hpp"

namespace forma::kernels {

// The portable path and the oracle of the SIMD path: the same sums in the
// same order (bias first, then k ascending), without fused multiply-adds.
// Columns [j0, j1) of C (threads share a layer by columns: each reads only
// its part of W).
template <std::size_t K, std::size_t NPad, std::size_t LdA, std::size_t LdC, class Act, class T>
inline void dense_forward(scalar, std::size_t rows, const T* a, const T* w, const T* bias, T* c, std::size_t j0,
                          std::size_t j1) noexcept {
  for (std::size_t r = 0; r < rows; ++r) {
    T* cr = c + r * LdC;
    const T* ar = a + r * LdA;
    for (std::size_t j = j0; j < j1; ++j) cr[j] = bias[j];
    for (std::size_t k = 0; k < K; ++k) {
      const T av = ar[k];
      const T* wk = w + k * NPad;
      for (std::size_t j = j0; j < j1; ++j) cr[j] += av * wk[j];
    }
    for (std::size_t j = j0; j < j1; ++j) cr[j] = Act::f(cr[j]);
  }
}

#if !defined(FORMA_SCALAR_ONLY)
namespace detail {

// One MR x NV tile of C (NV vectors wide), accumulated in registers over
// rows [k0, k1) of W: from the bias when k0 is 0, else from C (the sums of
// the rows before: the order of the sum is the same either way), and
// through the activation when k1 is K. Without Passes, k0 is 0 and k1 is K
// (most layers: one tile body less to compile).
template <class Arch, std::size_t MR, std::size_t NV, std::size_t K, std::size_t NPad,
          std::size_t LdA, std::size_t LdC, class Act, bool Passes, class T>
inline void dense_tile(const T* a, const T* w, const T* bias, T* c, std::size_t k0, std::size_t k1) noexcept {
  using V = xsimd::batch<T, Arch>;
  constexpr std::size_t W = V::size;
  if constexpr (!Passes) k0 = 0, k1 = K;
  V acc[MR * NV];
  auto from_bias = [&] {
    static_for<NV>([&](auto j) {
      const V b = V::load_aligned(bias + j * W);
      static_for<MR>([&](auto r) { acc[r * NV + j] = b; });
    });
  };
  auto from_c = [&] {
    static_for<MR>([&](auto r) {
      static_for<NV>([&](auto j) { acc[r * NV + j] = V::load_aligned(c + r * LdC + j * W); });
    });
  };
  // (Written out per case: a choice per element doubled the -O0 compile
  // time of the 30-layer MLP's tiles.)
  if constexpr (Passes) {
    if (k0 == 0)
      from_bias();
    else
      from_c();
  } else {
    from_bias();
  }
  for (std::size_t k = k0; k < k1; ++k) {
    const T* wk = w + k * NPad;
    if constexpr (K > 256 && MR > 1) static_for<NV>([&](auto j) { __builtin_prefetch(wk + 24 * NPad + j * W); });
    V wv[NV];
    static_for<NV>([&](auto j) { wv[j] = V::load_aligned(wk + j * W); });
    static_for<MR>([&](auto r) {
      const V av(a[r * LdA + k]);
      static_for<NV>([&](auto j) { acc[r * NV + j] = kernels::fma(av, wv[j], acc[r * NV + j]); });
    });
  }
  auto store = [&](auto activate) {
    static_for<MR>([&](auto r) {
      static_for<NV>([&](auto j) {
        if constexpr (decltype(activate)::value)
          Act::f(acc[r * NV + j]).store_aligned(c + r * LdC + j * W);
        else
          acc[r * NV + j].store_aligned(c + r * LdC + j * W);
      });
    });
  };
  if constexpr (Passes) {
    if (k1 == K)
      store(std::true_type{});
    else
      store(std::false_type{});
  } else {
    store(std::true_type{});
  }
}

// All rows for one block of NV column vectors: full MR-row tiles, then the
// remaining rows (fewer than MR, a runtime count).
template <class Arch, std::size_t MR, std::size_t NV, std::size_t K, std::size_t NPad,
          std::size_t LdA, std::size_t LdC, class Act, bool Passes, class T>
inline void dense_column_block(std::size_t rows, const T* a, const T* w, const T* bias, T* c, std::size_t k0,
                               std::size_t k1) noexcept {
  std::size_t r = 0;
  for (; r + MR <= rows; r += MR)
    dense_tile<Arch, MR, NV, K, NPad, LdA, LdC, Act, Passes>(a + r * LdA, w, bias, c + r * LdC, k0, k1);
  // The rest (fewer than MR rows: a last partial batch) as tiles of 4, 2
  // and 1 rows: three instantiations of the tile instead of MR - 1, which
  // is much of a layer's compile time.
  static_assert(MR <= 8, "forma kernels: row remainders are split into 4, 2 and 1");
  const std::size_t left = rows - r;
  static_for<3>([&](auto i) {
    constexpr std::size_t h = std::size_t{4} >> i;
    if constexpr (h < MR) {
      if (left & h) {
        dense_tile<Arch, h, NV, K, NPad, LdA, LdC, Act, Passes>(a + r * LdA, w, bias, c + r * LdC, k0, k1);
        r += h;
      }
    }
  });
}

// Rows of W a pass over all column blocks takes: about 256 KB of them.
// One pass over all of K per column block reads every line of W's rows (the
// L2 streamer fetches the lines between a block's), and when W is larger
// than L2 those lines are gone before their block comes: the CIFAR first
// layer at batch 32 ran at 114 GFLOP/s, and at 141 in passes of 256 KB
// (`kernel/forward/cifar`; `kernel/forward/cifar_96_columns_in_l2`, whose
// weights fit L2, runs at 157-168).
template <std::size_t K, std::size_t NPad, class T>
inline constexpr std::size_t forward_pass_rows =
    std::max<std::size_t>(64, (std::size_t{256} << 10) / (NPad * sizeof(T)));

// Column vectors [v0, v1): blocks of NV, then the rest (fewer than NV, a
// runtime count when threads share the columns) by a block of that width;
// all of them a pass of rows of W at a time.
template <class Arch, std::size_t MR, std::size_t NV, std::size_t K, std::size_t NPad,
          std::size_t LdA, std::size_t LdC, class Act, class T>
inline void dense_columns(std::size_t rows, const T* a, const T* w, const T* bias, T* c, std::size_t v0,
                          std::size_t v1) noexcept {
  constexpr std::size_t W = xsimd::batch<T, Arch>::size;
  constexpr std::size_t pass = forward_pass_rows<K, NPad, T>;
  constexpr bool passes = K > pass;
  for (std::size_t k0 = 0; k0 < K; k0 += pass) {
    const std::size_t k1 = std::min(K, k0 + pass);
    std::size_t j = v0;
    for (; j + NV <= v1; j += NV)
      dense_column_block<Arch, MR, NV, K, NPad, LdA, LdC, Act, passes>(rows, a, w + j * W, bias + j * W, c + j * W,
                                                                       k0, k1);
    const std::size_t left = v1 - j;
    static_for<NV>([&](auto n) {
      if constexpr (n > 0) {
        if (left == n)
          dense_column_block<Arch, MR, decltype(n)::value, K, NPad, LdA, LdC, Act, passes>(
              rows, a, w + j * W, bias + j * W, c + j * W, k0, k1);
      }
    });
  }
}

// 8 x 3 tiles on 32 registers (24 accumulators, 3 weight vectors, a
// broadcast): measured against 6 x 4, 4 x 6 and 12 x 2 on the seed's shapes,
// best at batch 32 (127 against 117 GFLOP/s for 3072 inputs) and within 2%
// at batch 256; batch 32 has no row remainder.
template <class Arch, std::size_t Vectors>
inline constexpr std::size_t forward_tile_vectors = std::min<std::size_t>(Vectors, simd<Arch>::registers == 32 ? 3 : 2);

}  // namespace detail

// Columns [j0, j1) of C, both multiples of the vector width (or NPad).
template <std::size_t K, std::size_t NPad, std::size_t LdA, std::size_t LdC, class Act, class T,
          class Arch>
inline void dense_forward(simd<Arch>, std::size_t rows, const T* a, const T* w, const T* bias, T* c,
                          std::size_t j0, std::size_t j1) noexcept {
  constexpr std::size_t W = xsimd::batch<T, Arch>::size;
  static_assert(NPad % W == 0 && LdC % W == 0, "forma kernels: padded widths must be whole vectors");
  constexpr std::size_t regs = simd<Arch>::registers;
  constexpr std::size_t vectors = NPad / W;
  if (rows == 1) {
    // A matrix-vector product streams W once: as many column vectors as the
    // registers hold, leaving some for the loaded weights.
    constexpr std::size_t nv = std::min(vectors, regs - 4);
    detail::dense_columns<Arch, 1, nv, K, NPad, LdA, LdC, Act>(rows, a, w, bias, c, j0 / W, j1 / W);
  } else {
    constexpr std::size_t nv = detail::forward_tile_vectors<Arch, vectors>;
    constexpr std::size_t mr = regs == 32 ? 8 : 5;
    detail::dense_columns<Arch, mr, nv, K, NPad, LdA, LdC, Act>(rows, a, w, bias, c, j0 / W, j1 / W);
  }
}
#endif

// Columns the batched kernel takes per pass over W: threads share whole
// blocks of them (a narrower last block is shared by rows instead).
template <class Backend, class T, std::size_t NPad>
inline constexpr std::size_t forward_block_columns = NPad;
#if !defined(FORMA_SCALAR_ONLY)
template <class Arch, class T, std::size_t NPad>
inline constexpr std::size_t forward_block_columns<simd<Arch>, T, NPad> =
    xsimd::batch<T, Arch>::size * detail::forward_tile_vectors<Arch, NPad / xsimd::batch<T, Arch>::size>;
#endif

// All of C.
template <std::size_t K, std::size_t NPad, std::size_t LdA, std::size_t LdC, class Act, class Backend, class T>
inline void dense_forward(Backend b, std::size_t rows, const T* a, const T* w, const T* bias, T* c) noexcept {
  dense_forward<K, NPad, LdA, LdC, Act>(b, rows, a, w, bias, c, 0, NPad);
}

}  // namespace forma::kernels
