#pragma once
#include <string_view>

#include "forma/kernels/vec_math.hpp"

namespace forma {

struct Tanh {
  static constexpr std::string_view name = "tanh";
  static constexpr bool elementwise = true;
  template <class V>
  static V f(V x) noexcept { return vmath::tanh(x); }
  template <class V>
  static V df_from_output(V y) noexcept { return V(1) - y * y; }
};

}  // namespace forma
