#pragma once
// LeakyReLU with a compile-time slope. The slope is a std::ratio because
// clang 14 has no floating-point template parameters.
#include <ratio>
#include <string_view>

#include "forma/kernels/vec_math.hpp"

namespace forma {

template <class Slope>
struct LeakyReLUWith {
  static_assert(Slope::num > 0 && Slope::num < Slope::den,
                "forma::LeakyReLUWith needs a slope strictly between 0 and 1");
  static constexpr double slope = static_cast<double>(Slope::num) / static_cast<double>(Slope::den);
  static constexpr std::string_view name = "leaky_relu";
  static constexpr bool elementwise = true;
  template <class V>
  static V f(V x) noexcept { return vmath::select_positive(x, x, x * V(slope)); }
  // A positive slope keeps the sign of x in the output.
  template <class V>
  static V df_from_output(V y) noexcept { return vmath::select_positive(y, V(1), V(slope)); }
};

// Keras' LeakyReLU layer default (negative_slope=0.3).
using LeakyReLU = LeakyReLUWith<std::ratio<3, 10>>;

}  // namespace forma
