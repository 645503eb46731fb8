#pragma once
// Keras clips probabilities before taking their logarithm (backend epsilon).
#include <algorithm>

namespace forma::loss {

inline constexpr double probability_epsilon = 1e-7;

template <class T>
T clip_probability(T p) noexcept {
  return std::clamp(p, T(probability_epsilon), T(1 - probability_epsilon));
}

}  // namespace forma::loss
