#pragma once
// Sequential<Input<...>, Layers...>: a stack of layers, as in Keras.
#include <type_traits>

#include "forma/layers/input.hpp"
#include "forma/layers/layer_concepts.hpp"
#include "forma/model/network.hpp"

namespace forma {

template <class First, Layer... Ls>
class Sequential : public std::conditional_t<is_input<First>, Network<float, First, Ls...>, invalid_network> {
  static_assert(is_input<First>, "forma::Sequential needs Input<...> as its first layer");
};

}  // namespace forma
