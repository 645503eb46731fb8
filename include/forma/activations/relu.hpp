#pragma once
#include <string_view>

#include "forma/kernels/vec_math.hpp"

namespace forma {

struct ReLU {
  static constexpr std::string_view name = "relu";
  static constexpr bool elementwise = true;
  template <class V>
  static V f(V x) noexcept { return vmath::max(x, V(0)); }
  // max(x, 0) > 0 exactly where x > 0, so the output tells the slope.
  template <class V>
  static V df_from_output(V y) noexcept { return vmath::select_positive(y, V(1), V(0)); }
};

}  // namespace forma
