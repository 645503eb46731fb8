#pragma once
// The class a label names: its index for integer labels, its largest value
// for one-hot ones.
#include <cstddef>
#include <type_traits>

namespace forma::metrics::detail {

template <std::size_t N, class T>
std::size_t argmax(const T* v) noexcept {
  std::size_t best = 0;
  for (std::size_t j = 1; j < N; ++j)
    if (v[j] > v[best]) best = j;
  return best;
}

template <std::size_t N, class T, class Label>
std::size_t label_class(const Label& label) noexcept {
  if constexpr (std::is_integral_v<Label>)
    return label;
  else
    return argmax<N>(label.data());
}

}  // namespace forma::metrics::detail
