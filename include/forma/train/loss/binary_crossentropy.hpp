#pragma once
#include <cmath>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "forma/activations/sigmoid.hpp"
#include "forma/core/tensor.hpp"
#include "forma/train/loss/clip.hpp"

namespace forma::loss {

// Mean over the output's values of -(y log p + (1 - y) log(1 - p)), then
// over the batch; p clipped to [1e-7, 1 - 1e-7]. With FromLogits the output
// is a logit x and the loss is computed stably as
// max(x, 0) - x y + log(1 + exp(-|x|)).
template <bool FromLogits = false>
struct BinaryCrossentropy {
  static constexpr std::string_view name = "binary_crossentropy";
  static constexpr bool from_logits = FromLogits;
  template <class OutShape, class T>
  using label_type = Tensor<OutShape, T>;
  // Sigmoid and this loss together have the gradient p - y with respect to
  // the sigmoid's input.
  template <class Act>
  static constexpr bool fuses_with = !FromLogits && std::is_same_v<Act, Sigmoid>;
  template <class Act>
  static constexpr void check_output() {
    static_assert(FromLogits || std::is_same_v<Act, Sigmoid>,
                  "forma::loss::BinaryCrossentropy needs a Sigmoid output; for a linear output use "
                  "BinaryCrossentropy<true> (from logits)");
  }

  template <std::size_t N, class T>
  static T sample_loss(const T* pred, const T* label) noexcept {
    T s = 0;
    for (std::size_t j = 0; j < N; ++j) {
      if constexpr (FromLogits) {
        const T x = pred[j];
        s += (x > 0 ? x : T(0)) - x * label[j] + std::log1p(std::exp(-std::abs(x)));
      } else {
        const T p = clip_probability(pred[j]);
        s -= label[j] * std::log(p) + (T(1) - label[j]) * std::log(T(1) - p);
      }
    }
    return s / T(N);
  }

  template <std::size_t N, class Act, class T>
  static void sample_gradient(const T* pred, const T* label, T scale, T* grad) noexcept {
    for (std::size_t j = 0; j < N; ++j) {
      if constexpr (FromLogits) {
        grad[j] = (T(1) / (T(1) + std::exp(-pred[j])) - label[j]) * scale / T(N);
      } else if constexpr (fuses_with<Act>) {
        grad[j] = (pred[j] - label[j]) * scale / T(N);
      } else {
        const T p = pred[j];
        const bool clipped = p < T(probability_epsilon) || p > T(1 - probability_epsilon);
        grad[j] = clipped ? T(0) : (p - label[j]) / (p * (T(1) - p)) * scale / T(N);
      }
    }
  }
};

BinaryCrossentropy() -> BinaryCrossentropy<false>;

}  // namespace forma::loss
