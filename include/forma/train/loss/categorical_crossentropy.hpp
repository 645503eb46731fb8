#pragma once
#include <cmath>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "forma/activations/softmax.hpp"
#include "forma/core/tensor.hpp"
#include "forma/train/loss/clip.hpp"

namespace forma::loss {

// -sum(label * log(p)) per sample, mean over the batch, for one-hot (or
// probability) labels. Keras' semantics: p is the output rescaled to sum to
// 1 and clipped to [1e-7, 1 - 1e-7]; with FromLogits the output is a logit
// vector and p = softmax(output).
template <bool FromLogits = false>
struct CategoricalCrossentropy {
  static constexpr std::string_view name = "categorical_crossentropy";
  static constexpr bool from_logits = FromLogits;
  template <class OutShape, class T>
  using label_type = Tensor<OutShape, T>;
  // Softmax and this loss together have the gradient p * sum(label) - label
  // with respect to the softmax's input: exact where clipping is inactive,
  // and free of the 1/p that overflows for confident wrong answers.
  template <class Act>
  static constexpr bool fuses_with = !FromLogits && std::is_same_v<Act, Softmax>;
  template <class Act>
  static constexpr void check_output() {
    static_assert(FromLogits || std::is_same_v<Act, Softmax>,
                  "forma::loss::CategoricalCrossentropy needs a Softmax output; for a linear output use "
                  "CategoricalCrossentropy<true> (from logits)");
  }

  template <std::size_t N, class T>
  static T sample_loss(const T* pred, const T* label) noexcept {
    if constexpr (FromLogits) {
      T m = pred[0];
      for (std::size_t j = 1; j < N; ++j) m = pred[j] > m ? pred[j] : m;
      T sum_exp = 0;
      for (std::size_t j = 0; j < N; ++j) sum_exp += std::exp(pred[j] - m);
      const T log_z = m + std::log(sum_exp);
      T s = 0;
      for (std::size_t j = 0; j < N; ++j) s += label[j] * (log_z - pred[j]);
      return s;
    } else {
      T total = 0;
      for (std::size_t j = 0; j < N; ++j) total += pred[j];
      T s = 0;
      for (std::size_t j = 0; j < N; ++j) s -= label[j] * std::log(clip_probability(pred[j] / total));
      return s;
    }
  }

  template <std::size_t N, class Act, class T>
  static void sample_gradient(const T* pred, const T* label, T scale, T* grad) noexcept {
    T label_sum = 0;
    for (std::size_t j = 0; j < N; ++j) label_sum += label[j];
    if constexpr (FromLogits) {
      T m = pred[0];
      for (std::size_t j = 1; j < N; ++j) m = pred[j] > m ? pred[j] : m;
      T sum_exp = 0;
      for (std::size_t j = 0; j < N; ++j) sum_exp += std::exp(pred[j] - m);
      for (std::size_t j = 0; j < N; ++j)
        grad[j] = (std::exp(pred[j] - m) / sum_exp * label_sum - label[j]) * scale;
    } else if constexpr (fuses_with<Act>) {
      for (std::size_t j = 0; j < N; ++j) grad[j] = (pred[j] * label_sum - label[j]) * scale;
    } else {
      // d/dpred of -sum label log(pred / total); zero where clipping holds p.
      T total = 0;
      for (std::size_t j = 0; j < N; ++j) total += pred[j];
      for (std::size_t j = 0; j < N; ++j) {
        const T p = pred[j] / total;
        const bool clipped = p < T(probability_epsilon) || p > T(1 - probability_epsilon);
        grad[j] = ((clipped ? T(0) : -label[j] / pred[j]) + label_sum / total) * scale;
      }
    }
  }
};

CategoricalCrossentropy() -> CategoricalCrossentropy<false>;

}  // namespace forma::loss
