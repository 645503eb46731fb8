#pragma once
#include <cstddef>
#include <string_view>

#include "forma/core/tensor.hpp"

namespace forma::loss {

// Mean over the output's values of (pred - label)^2, then over the batch.
struct MeanSquaredError {
  static constexpr std::string_view name = "mean_squared_error";
  static constexpr bool from_logits = false;
  template <class OutShape, class T>
  using label_type = Tensor<OutShape, T>;
  template <class Act>
  static constexpr bool fuses_with = false;
  template <class Act>
  static constexpr void check_output() {}

  template <std::size_t N, class T>
  static T sample_loss(const T* pred, const T* label) noexcept {
    T s = 0;
    for (std::size_t j = 0; j < N; ++j) s += (pred[j] - label[j]) * (pred[j] - label[j]);
    return s / T(N);
  }
  template <std::size_t N, class Act, class T>
  static void sample_gradient(const T* pred, const T* label, T scale, T* grad) noexcept {
    for (std::size_t j = 0; j < N; ++j) grad[j] = T(2) * (pred[j] - label[j]) * scale / T(N);
  }
};

}  // namespace forma::loss
