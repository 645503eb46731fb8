#pragma once
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "forma/activations/sigmoid.hpp"
#include "forma/train/metrics/label_class.hpp"

namespace forma::metrics {

// Keras' "accuracy": binary accuracy (threshold 0.5, or 0 on logits) for a
// sigmoid output or a binary cross-entropy from logits, categorical accuracy
// (argmax of output equals the label's class) otherwise.
struct Accuracy {
  static constexpr std::string_view name = "accuracy";

  template <std::size_t N, class Act, class Loss, class T>
  struct bind {
    static constexpr bool sigmoid_output = std::is_same_v<Act, Sigmoid>;
    static constexpr bool binary = sigmoid_output || Loss::name == "binary_crossentropy";
    static constexpr T threshold = sigmoid_output ? T(0.5) : T(0);

    double hits = 0, total = 0;
    void reset() noexcept { hits = total = 0; }
    template <class Label>
    void update(const T* pred, const Label& label) noexcept {
      if constexpr (binary) {
        for (std::size_t j = 0; j < N; ++j) hits += (pred[j] > threshold) == (label[j] > T(0.5));
        total += N;
      } else {
        hits += detail::argmax<N>(pred) == detail::label_class<N, T>(label);
        total += 1;
      }
    }
    double result() const noexcept { return total > 0 ? hits / total : 0.0; }
  };
};

}  // namespace forma::metrics
