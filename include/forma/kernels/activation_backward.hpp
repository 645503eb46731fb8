#pragma once
// Backward through activations: turns the gradient with respect to a layer's
// output into the gradient with respect to its input, in place, from the
// output the forward pass kept.
#include <cstddef>

#include "forma/core/scalar.hpp"
#include "forma/kernels/backend.hpp"

namespace forma::kernels {

// d[r][j] *= F'(from y[r][j]), over padded rows of width Ld.
template <std::size_t Ld, class F, class T>
inline void multiply_by_derivative(scalar, std::size_t rows, const T* y, T* d) noexcept {
  for (std::size_t i = 0; i < rows * Ld; ++i) d[i] *= F::df_from_output(y[i]);
}

#if !defined(FORMA_SCALAR_ONLY)
template <std::size_t Ld, class F, class T, class Arch>
inline void multiply_by_derivative(simd<Arch>, std::size_t rows, const T* y, T* d) noexcept {
  using V = xsimd::batch<T, Arch>;
  static_assert(Ld % V::size == 0, "forma kernels: multiply_by_derivative needs padded rows");
  for (std::size_t i = 0; i < rows * Ld; i += V::size)
    (V::load_aligned(d + i) * F::df_from_output(V::load_aligned(y + i))).store_aligned(d + i);
}
#endif

// Softmax's Jacobian-vector product along the last axis, runs of N values:
// d = y * (d - sum(d * y)).
template <std::size_t N, std::size_t Groups, std::size_t Ld, class T>
inline void softmax_backward_rows(std::size_t rows, const T* y, T* d) noexcept {
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t g = 0; g < Groups; ++g) {
      const T* yr = y + r * Ld + g * N;
      T* dr = d + r * Ld + g * N;
      T dot = 0;
      for (std::size_t j = 0; j < N; ++j) dot += dr[j] * yr[j];
      for (std::size_t j = 0; j < N; ++j) dr[j] = yr[j] * (dr[j] - dot);
    }
}

}  // namespace forma::kernels
