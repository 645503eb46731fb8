#pragma once
// The activation a model's output goes through, read off its last layer, so
// losses can check that they fit it and fuse their gradient with it.
#include <cstddef>
#include <type_traits>

#include "forma/activations/linear.hpp"

namespace forma {

// The activation a layer declares its output went through
// (output_activation: Dense's and Activation's), void where it declares none
// (a custom layer; losses then refuse to fuse).
template <class L>
struct layer_output_activation {
  using type = void;
};
template <class L>
  requires requires { typename L::output_activation; }
struct layer_output_activation<L> {
  using type = typename L::output_activation;
};

template <class Net>
using output_activation_t = typename std::conditional_t<
    (Net::layer_count > 0), layer_output_activation<typename Net::template layer_type<Net::layer_count - 1>>,
    std::type_identity<Linear>>::type;

}  // namespace forma
