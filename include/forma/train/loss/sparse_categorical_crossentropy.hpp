#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "forma/activations/softmax.hpp"
#include "forma/train/loss/clip.hpp"

namespace forma::loss {

// Categorical cross-entropy with integer class labels: -log(p[label]).
// Labels are std::uint32_t class indices below the output's size.
template <bool FromLogits = false>
struct SparseCategoricalCrossentropy {
  static constexpr std::string_view name = "sparse_categorical_crossentropy";
  static constexpr bool from_logits = FromLogits;
  template <class OutShape, class T>
  using label_type = std::uint32_t;
  template <class Act>
  static constexpr bool fuses_with = !FromLogits && std::is_same_v<Act, Softmax>;
  template <class Act>
  static constexpr void check_output() {
    static_assert(FromLogits || std::is_same_v<Act, Softmax>,
                  "forma::loss::SparseCategoricalCrossentropy needs a Softmax output; for a linear output use "
                  "SparseCategoricalCrossentropy<true> (from logits)");
  }

  template <std::size_t N, class T>
  static T sample_loss(const T* pred, std::uint32_t label) noexcept {
    if constexpr (FromLogits) {
      T m = pred[0];
      for (std::size_t j = 1; j < N; ++j) m = pred[j] > m ? pred[j] : m;
      T sum_exp = 0;
      for (std::size_t j = 0; j < N; ++j) sum_exp += std::exp(pred[j] - m);
      return m + std::log(sum_exp) - pred[label];
    } else {
      T total = 0;
      for (std::size_t j = 0; j < N; ++j) total += pred[j];
      return -std::log(clip_probability(pred[label] / total));
    }
  }

  template <std::size_t N, class Act, class T>
  static void sample_gradient(const T* pred, std::uint32_t label, T scale, T* grad) noexcept {
    if constexpr (FromLogits) {
      T m = pred[0];
      for (std::size_t j = 1; j < N; ++j) m = pred[j] > m ? pred[j] : m;
      T sum_exp = 0;
      for (std::size_t j = 0; j < N; ++j) sum_exp += std::exp(pred[j] - m);
      for (std::size_t j = 0; j < N; ++j) grad[j] = (std::exp(pred[j] - m) / sum_exp - T(j == label)) * scale;
    } else if constexpr (fuses_with<Act>) {
      for (std::size_t j = 0; j < N; ++j) grad[j] = (pred[j] - T(j == label)) * scale;
    } else {
      T total = 0;
      for (std::size_t j = 0; j < N; ++j) total += pred[j];
      const T p = pred[label] / total;
      const bool clipped = p < T(probability_epsilon) || p > T(1 - probability_epsilon);
      for (std::size_t j = 0; j < N; ++j)
        grad[j] = ((j == label && !clipped ? -T(1) / pred[j] : T(0)) + T(1) / total) * scale;
    }
  }
};

SparseCategoricalCrossentropy() -> SparseCategoricalCrossentropy<false>;

}  // namespace forma::loss
