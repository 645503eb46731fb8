#pragma once
// Flatten: any shape to rank 1. Buffers are contiguous in the logical order,
// so it moves no data: the model passes its input on as its output.
#include <cstddef>
#include <string_view>

#include "forma/core/random.hpp"
#include "forma/core/shape.hpp"
#include "forma/layers/symbolic.hpp"

namespace forma {

struct Flatten : callable_layer<Flatten> {
  static constexpr std::string_view name = "Flatten";

  template <class In, class T>
  struct bind {
    using input_shape = In;
    using output_shape = Shape<In::size>;
    static constexpr bool is_view = true;
    static constexpr std::size_t param_count = 0;
    static constexpr std::size_t forward_flops = 0;
    struct params {};
    static void init(params&, SplitMix64&) noexcept {}
  };
};

}  // namespace forma
