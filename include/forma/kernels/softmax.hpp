#pragma once
// Softmax in place along the last axis: each row holds Groups runs of N
// values. The maximum is subtracted first, so inputs of any size give finite
// results (exp of a value at most 0 cannot overflow). The runs are short
// (class counts), so one portable loop serves every backend.
#include <cmath>
#include <cstddef>

namespace forma::kernels {

template <std::size_t N, std::size_t Groups, std::size_t Ld, class T>
inline void softmax_rows(std::size_t rows, T* x) noexcept {
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t g = 0; g < Groups; ++g) {
      T* v = x + r * Ld + g * N;
      T m = v[0];
      for (std::size_t j = 1; j < N; ++j) m = v[j] > m ? v[j] : m;
      T sum = 0;
      for (std::size_t j = 0; j < N; ++j) {
        v[j] = std::exp(v[j] - m);
        sum += v[j];
      }
      const T inv = T(1) / sum;
      for (std::size_t j = 0; j < N; ++j) v[j] *= inv;
    }
  }
}

}  // namespace forma::kernels
