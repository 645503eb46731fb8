#pragma once
// What a layer is. A layer is an empty configuration type (Dense<200, ReLU>)
// that names only its output; `L::bind<In, T>` is the layer built for an
// input shape In and a scalar type T: its output shape, its parameters and
// its kernels (the split of a layer's config from its built module).
#include <concepts>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "forma/core/random.hpp"
#include "forma/core/shape.hpp"
#include "forma/kernels/backend.hpp"

namespace forma {

template <class L>
concept Layer = std::is_empty_v<L> && std::default_initializable<L> && requires {
  { L::name } -> std::convertible_to<std::string_view>;
  // Names the template without instantiating it, so checking the concept
  // never runs a layer's shape rules.
  typename L::template bind<Shape<1>, float>;
};

// What a built layer provides. Checked where a model uses it, so a custom
// layer that lacks a member gets this concept's name in the error.
template <class B>
concept BoundLayer = requires(typename B::params& p, const typename B::params& cp, SplitMix64& rng) {
  typename B::output_shape;
  typename B::params;
  { B::param_count } -> std::convertible_to<std::size_t>;
  { B::forward_flops } -> std::convertible_to<std::size_t>;
  { B::is_view } -> std::convertible_to<bool>;
  B::init(p, rng);
};

// What training needs of a built layer it runs backward (B built for input
// shape In, scalar T): a backward pass (after its layer_context, for a layer
// with forward_train), or for a merge one backward_input per input. Checked
// by the trainer for each layer its plan runs backward, so a custom layer
// without one fails here, naming the layer.
template <class B, class T, std::size_t LdIn>
concept BackwardLayer =
    B::is_view ||
    requires { &B::template backward<kernels::scalar, LdIn, true, false>; } ||
    requires { &B::template backward_input<kernels::scalar, 0, false>; };

}  // namespace forma
