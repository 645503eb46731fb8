#pragma once
// Input<Dims...>: the shape a model takes, without the batch dimension (as in
// Keras' Input((32, 32, 3))). It starts a Sequential and roots the symbolic
// calls of the functional API. Named<Id, Input<...>> tells apart two inputs
// of one shape in a model with several.
#include <cstddef>
#include <string_view>

#include "forma/core/shape.hpp"

namespace forma {

template <std::size_t... Dims>
struct Input {
  static_assert(sizeof...(Dims) > 0, "forma::Input needs at least one dimension");
  static_assert(all_dims_positive<Shape<Dims...>>, "forma::Input needs every dimension above zero");
  static constexpr std::string_view name = "InputLayer";
  using shape = std::conditional_t<all_dims_positive<Shape<Dims...>>, Shape<Dims...>, invalid_shape>;
};

// Named<Id, X>: X told apart from an identical X by Id. For a layer it is
// another call of that layer with weights of its own (layers/named.hpp).
template <std::size_t Id, class X>
struct Named;

template <std::size_t Id, std::size_t... Dims>
struct Named<Id, Input<Dims...>> : Input<Dims...> {};

template <class T>
inline constexpr bool is_input = false;
template <std::size_t... Dims>
inline constexpr bool is_input<Input<Dims...>> = true;
template <std::size_t Id, std::size_t... Dims>
inline constexpr bool is_input<Named<Id, Input<Dims...>>> = true;

}  // namespace forma
