#pragma once
// The functional API's symbolic tensors: Dense<10>{}(Flatten{}(Input<28, 28>{}))
// is a value whose type records the Input and the layers applied to it, in
// order. Shapes are checked when the call is made, as Keras does.
#include <cstddef>

#include "forma/layers/input.hpp"
#include "forma/layers/shape_inference.hpp"

namespace forma {

template <class In, class... Ls>
struct SymbolicTensor {
  using input_layer = In;
  using shape = typename layer_chain<float, typename declared_shape<In>::type, Ls...>::output_shape;
};

// Gives a layer Keras' call syntax, layer(x). Layers derive from it; a custom
// layer that wants to be called symbolically does the same.
template <class Self>
struct callable_layer {
  template <class In, class... Ls>
  constexpr SymbolicTensor<In, Ls..., Self> operator()(SymbolicTensor<In, Ls...>) const noexcept {
    return {};
  }
  template <std::size_t... Dims>
  constexpr SymbolicTensor<Input<Dims...>, Self> operator()(Input<Dims...>) const noexcept {
    return {};
  }
};

}  // namespace forma
