#pragma once
// out = f(out, in[0], ..., in[N-1]) elementwise over `rows` rows of Width
// elements (Width a whole number of 64-byte lines, so the SIMD path needs no
// tail). f is written once for scalars and vectors; the merge layers build
// their forward and backward passes from it.
#include <array>
#include <cstddef>
#include <utility>

#include "forma/core/scalar.hpp"
#include "forma/kernels/backend.hpp"

namespace forma::kernels {

template <std::size_t Width, std::size_t N, class T, class F>
inline void zip_rows(scalar, std::size_t rows, T* out, const std::array<const T*, N>& in, F f) noexcept {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    for (std::size_t e = 0; e < rows * Width; ++e) out[e] = f(out[e], in[I][e]...);
  }(std::make_index_sequence<N>{});
}

#if !defined(FORMA_SCALAR_ONLY)
template <std::size_t Width, std::size_t N, class T, class F, class Arch>
inline void zip_rows(simd<Arch>, std::size_t rows, T* out, const std::array<const T*, N>& in, F f) noexcept {
  using V = xsimd::batch<T, Arch>;
  static_assert(Width % V::size == 0, "forma kernels: zip_rows needs padded rows");
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    for (std::size_t e = 0; e < rows * Width; e += V::size)
      f(V::load_aligned(out + e), V::load_aligned(in[I] + e)...).store_aligned(out + e);
  }(std::make_index_sequence<N>{});
}
#endif

}  // namespace forma::kernels
