#pragma once
#include <string_view>

#include "forma/kernels/vec_math.hpp"

namespace forma {

struct Sigmoid {
  static constexpr std::string_view name = "sigmoid";
  static constexpr bool elementwise = true;
  // exp(-x) overflows to inf for very negative x, and 1 / inf is the right 0.
  template <class V>
  static V f(V x) noexcept { return V(1) / (V(1) + vmath::exp(-x)); }
  template <class V>
  static V df_from_output(V y) noexcept { return y * (V(1) - y); }
};

}  // namespace forma
