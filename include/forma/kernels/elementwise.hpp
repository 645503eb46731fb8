#pragma once
// out = F::f(in), row by row over N logical elements. Rows are padded to whole
// 64-byte lines, so the SIMD path covers the padding too instead of a tail.
#include <cstddef>

#include "forma/core/scalar.hpp"
#include "forma/kernels/backend.hpp"

namespace forma::kernels {

template <std::size_t N, std::size_t LdIn, std::size_t LdOut, class F, class T>
inline void map_rows(scalar, std::size_t rows, const T* in, T* out) noexcept {
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t j = 0; j < N; ++j) out[r * LdOut + j] = F::f(in[r * LdIn + j]);
}

#if !defined(FORMA_SCALAR_ONLY)
template <std::size_t N, std::size_t LdIn, std::size_t LdOut, class F, class T, class Arch>
inline void map_rows(simd<Arch>, std::size_t rows, const T* in, T* out) noexcept {
  using V = xsimd::batch<T, Arch>;
  constexpr std::size_t np = padded<T>(N);
  static_assert(LdIn >= np && LdOut >= np && LdIn % V::size == 0 && LdOut % V::size == 0,
                "forma kernels: map_rows needs padded rows");
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t j = 0; j < np; j += V::size)
      F::f(V::load_aligned(in + r * LdIn + j)).store_aligned(out + r * LdOut + j);
}
#endif

}  // namespace forma::kernels
