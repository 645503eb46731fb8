#pragma once
// Softmax along the last axis. Not elementwise: layers apply it with
// kernels::softmax_rows after their linear part.
#include <string_view>

namespace forma {

struct Softmax {
  static constexpr std::string_view name = "softmax";
  static constexpr bool elementwise = false;
};

}  // namespace forma
