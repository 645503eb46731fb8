#pragma once
#include <cstddef>
#include <string_view>

#include "forma/train/metrics/label_class.hpp"

namespace forma::metrics {

// The share of samples whose class is among the K largest outputs.
template <std::size_t K = 5>
struct TopKCategoricalAccuracy {
  static_assert(K > 0, "forma::metrics::TopKCategoricalAccuracy needs K above zero");
  static constexpr std::string_view name = "top_k_categorical_accuracy";

  template <std::size_t N, class Act, class Loss, class T>
  struct bind {
    double hits = 0, total = 0;
    void reset() noexcept { hits = total = 0; }
    template <class Label>
    void update(const T* pred, const Label& label) noexcept {
      const std::size_t c = detail::label_class<N, T>(label);
      std::size_t above = 0;
      for (std::size_t j = 0; j < N; ++j) above += pred[j] > pred[c];
      hits += above < K;
      total += 1;
    }
    double result() const noexcept { return total > 0 ? hits / total : 0.0; }
  };
};

}  // namespace forma::metrics
