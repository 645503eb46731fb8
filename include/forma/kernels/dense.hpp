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
//
// Threads may also share the sum over k: dense_forward_part sums rows
// [kb, ke) of W (from the bias for the first part, from zero for the
// others: a null bias, without the activation), and dense_forward_combine
// adds a part to C and applies the activation.
#include <algorithm>
#include <cstddef>
#include <type_traits>

#include "forma/kernels/backend.hpp"
#include "forma/kernels/static_for.hpp"

namespace forma::kernels {

// The portable path and the oracle of the SIMD path: the same sums in the
// same order (bias first, then k ascending), without fused multiply-adds.
// Columns [j0, j1) of the sum over rows [kb, ke) of W, from the bias (zero
// when it is null), without the activation.
template <std::size_t K, std::size_t NPad, std::size_t LdA, std::size_t LdC, class Act, class T>
inline void dense_forward_part(scalar, std::size_t rows, const T* a, const T* w, const T* bias, T* c,
                               std::size_t j0, std::size_t j1, std::size_t kb, std::size_t ke) noexcept {
  for (std::size_t r = 0; r < rows; ++r) {
    T* cr = c + r * LdC;
    const T* ar = a + r * LdA;
    for (std::size_t j = j0; j < j1; ++j) cr[j] = bias ? bias[j] : T(0);
    for (std::size_t k = kb; k < ke; ++k) {
      const T av = ar[k];
      const T* wk = w + k * NPad;
      for (std::size_t j = j0; j < j1; ++j) cr[j] += av * wk[j];
    }
  }
}

// Columns [j0, j1) of C (threads share a layer by columns: each reads only
// its part of W): the whole sum, then the activation.
template <std::size_t K, std::size_t NPad, std::size_t LdA, std::size_t LdC, class Act, class T>
inline void dense_forward(scalar, std::size_t rows, const T* a, const T* w, const T* bias, T* c, std::size_t j0,
                          std::size_t j1) noexcept {
  dense_forward_part<K, NPad, LdA, LdC, Act>(scalar{}, rows, a, w, bias, c, j0, j1, 0, K);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t j = j0; j < j1; ++j) c[r * LdC + j] = Act::f(c[r * LdC + j]);
}

template <std::size_t NPad, std::size_t LdC, class Act, class T>
inline void dense_forward_combine(scalar, std::size_t rows, T* c, const T* part) noexcept {
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t j = 0; j < NPad; ++j) c[r * LdC + j] = Act::f(c[r * LdC + j] + part[r * LdC + j]);
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
// Whether a kernel takes more than one pass: one larger than the caches
// would hold between a training step's update and its next forward.
template <std::size_t K, std::size_t NPad, class T>
inline constexpr bool forward_in_passes = K > forward_pass_rows<K, NPad, T>;

#if !defined(FORMA_SCALAR_ONLY)
namespace detail {

// One MR x NV tile of C (NV vectors wide), accumulated in registers over
// rows [k0, k1) of W: from the bias on the first pass, else from C (the
// sums of the rows before: the order of the sum is the same either way),
// and through the activation after the last. Without Ranged, k0 is 0 and
// k1 is K (most layers: one tile body less to compile).
template <class Arch, std::size_t MR, std::size_t NV, std::size_t K, std::size_t NPad,
          std::size_t LdA, std::size_t LdC, class Act, bool Ranged, class T>
inline void dense_tile(const T* a, const T* w, const T* bias, T* c, std::size_t k0, std::size_t k1, bool first,
                       bool last) noexcept {
  using V = xsimd::batch<T, Arch>;
  constexpr std::size_t W = V::size;
  if constexpr (!Ranged) k0 = 0, k1 = K;
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
  if constexpr (Ranged) {
    if (first)
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
    static_for<NV>([&](auto j) {
      wv[j] = V::load_aligned(wk + j * W);
#if defined(__x86_64__) && defined(__GNUC__)
      // A matrix-vector product streams W from memory: its lines are read
      // in address order (g++ -O3 interleaved them otherwise, and the CIFAR
      // first layer's product took 67 us instead of 61).
      if constexpr (MR == 1) {
        typename V::register_type reg = wv[j];
        asm volatile("" : "+v"(reg));
        wv[j] = reg;
      }
#endif
    });
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
  if constexpr (Ranged) {
    if (last)
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
          std::size_t LdA, std::size_t LdC, class Act, bool Ranged, class T>
inline void dense_column_block(std::size_t rows, const T* a, const T* w, const T* bias, T* c, std::size_t k0,
                               std::size_t k1, bool first, bool last) noexcept {
  std::size_t r = 0;
  for (; r + MR <= rows; r += MR)
    dense_tile<Arch, MR, NV, K, NPad, LdA, LdC, Act, Ranged>(a + r * LdA, w, bias, c + r * LdC, k0, k1, first,
                                                              last);
  // The rest (fewer than MR rows: a last partial batch) as tiles of 4, 2
  // and 1 rows: three instantiations of the tile instead of MR - 1, which
  // is much of a layer's compile time.
  static_assert(MR <= 8, "forma kernels: row remainders are split into 4, 2 and 1");
  const std::size_t left = rows - r;
  static_for<3>([&](auto i) {
    constexpr std::size_t h = std::size_t{4} >> i;
    if constexpr (h < MR) {
      if (left & h) {
        dense_tile<Arch, h, NV, K, NPad, LdA, LdC, Act, Ranged>(a + r * LdA, w, bias, c + r * LdC, k0, k1, first,
                                                                 last);
        r += h;
      }
    }
  });
}

// Column vectors [v0, v1) of the sum over rows [kb, ke) of W: blocks of NV,
// then the rest (fewer than NV, a runtime count when threads share the
// columns) by a block of that width; all of them a pass of rows of W at a
// time. A Part is left without the activation (dense_forward_part).
template <class Arch, std::size_t MR, std::size_t NV, std::size_t K, std::size_t NPad,
          std::size_t LdA, std::size_t LdC, class Act, bool Part, class T>
inline void dense_columns(std::size_t rows, const T* a, const T* w, const T* bias, T* c, std::size_t v0,
                          std::size_t v1, std::size_t kb, std::size_t ke) noexcept {
  constexpr std::size_t W = xsimd::batch<T, Arch>::size;
  constexpr std::size_t pass = forward_pass_rows<K, NPad, T>;
  constexpr bool ranged = Part || forward_in_passes<K, NPad, T>;
  std::size_t k0 = kb;
  do {  // once at least: an empty part is its bias (or zero)
    const std::size_t k1 = std::min(ke, k0 + pass);
    const bool first = k0 == kb, last = !Part && k1 == ke;
    std::size_t j = v0;
    for (; j + NV <= v1; j += NV)
      dense_column_block<Arch, MR, NV, K, NPad, LdA, LdC, Act, ranged>(rows, a, w + j * W, bias + j * W, c + j * W,
                                                                       k0, k1, first, last);
    const std::size_t left = v1 - j;
    static_for<NV>([&](auto n) {
      if constexpr (n > 0) {
        if (left == n)
          dense_column_block<Arch, MR, decltype(n)::value, K, NPad, LdA, LdC, Act, ranged>(
              rows, a, w + j * W, bias + j * W, c + j * W, k0, k1, first, last);
      }
    });
    k0 = k1;
  } while (k0 < ke);
}

// The bias of a part that does not start the sum.
template <class T, std::size_t N>
alignas(64) inline constexpr T zero_row[N] = {};

// 8 x 3 tiles on 32 registers (24 accumulators, 3 weight vectors, a
// broadcast): measured against 6 x 4, 4 x 6 and 12 x 2 on the seed's shapes,
// best at batch 32 (127 against 117 GFLOP/s for 3072 inputs) and within 2%
// at batch 256; batch 32 has no row remainder.
template <class Arch, std::size_t Vectors>
inline constexpr std::size_t forward_tile_vectors = std::min<std::size_t>(Vectors, simd<Arch>::registers == 32 ? 3 : 2);

// The whole sum (Part false) or a part of it, columns [j0, j1).
template <class Arch, class T, std::size_t K, std::size_t NPad, std::size_t LdA, std::size_t LdC, class Act,
          bool Part>
inline void dense_forward_rows(std::size_t rows, const T* a, const T* w, const T* bias, T* c, std::size_t j0,
                               std::size_t j1, std::size_t kb, std::size_t ke) noexcept {
  constexpr std::size_t W = xsimd::batch<T, Arch>::size;
  static_assert(NPad % W == 0 && LdC % W == 0, "forma kernels: padded widths must be whole vectors");
  constexpr std::size_t regs = simd<Arch>::registers;
  constexpr std::size_t vectors = NPad / W;
  if (rows == 1) {
    // A matrix-vector product streams W once: as many column vectors as the
    // registers hold, leaving some for the loaded weights.
    constexpr std::size_t nv = std::min(vectors, regs - 4);
    dense_columns<Arch, 1, nv, K, NPad, LdA, LdC, Act, Part>(rows, a, w, bias, c, j0 / W, j1 / W, kb, ke);
  } else {
    constexpr std::size_t nv = forward_tile_vectors<Arch, vectors>;
    constexpr std::size_t mr = regs == 32 ? 8 : 5;
    dense_columns<Arch, mr, nv, K, NPad, LdA, LdC, Act, Part>(rows, a, w, bias, c, j0 / W, j1 / W, kb, ke);
  }
}

}  // namespace detail

// Columns [j0, j1) of C, both multiples of the vector width (or NPad).
template <std::size_t K, std::size_t NPad, std::size_t LdA, std::size_t LdC, class Act, class T,
          class Arch>
inline void dense_forward(simd<Arch>, std::size_t rows, const T* a, const T* w, const T* bias, T* c,
                          std::size_t j0, std::size_t j1) noexcept {
  detail::dense_forward_rows<Arch, T, K, NPad, LdA, LdC, Act, false>(rows, a, w, bias, c, j0, j1, 0, K);
}

// Columns [j0, j1) of the sum over rows [kb, ke) of W, without the
// activation: from the bias, or from zero when bias is null. (Act is the
// layer's: the tiles are those its whole forward compiles.)
template <std::size_t K, std::size_t NPad, std::size_t LdA, std::size_t LdC, class Act, class T,
          class Arch>
inline void dense_forward_part(simd<Arch>, std::size_t rows, const T* a, const T* w, const T* bias, T* c,
                               std::size_t j0, std::size_t j1, std::size_t kb, std::size_t ke) noexcept {
  detail::dense_forward_rows<Arch, T, K, NPad, LdA, LdC, Act, true>(
      rows, a, w, bias ? bias : detail::zero_row<T, NPad>, c, j0, j1, kb, ke);
}

// C = act(C + part), every column.
template <std::size_t NPad, std::size_t LdC, class Act, class T, class Arch>
inline void dense_forward_combine(simd<Arch>, std::size_t rows, T* c, const T* part) noexcept {
  using V = xsimd::batch<T, Arch>;
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t j = 0; j < NPad; j += V::size)
      Act::f(V::load_aligned(c + r * LdC + j) + V::load_aligned(part + r * LdC + j)).store_aligned(c + r * LdC + j);
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
