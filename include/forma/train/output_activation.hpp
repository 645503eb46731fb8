#pragma once
// The activation a model's output goes through, read off its last layer, so
// losses can check that they fit it and fuse their gradient with it.
#include <cstddef>
#include <type_traits>

#include "forma/activations/linear.hpp"
#include "forma/layers/activation.hpp"
#include "forma/layers/dense.hpp"

namespace forma {

// void where the last layer is not one forma knows (a custom layer).
template <class L>
struct layer_output_activation {
  using type = void;
};
template <std::size_t Units, class Act>
struct layer_output_activation<Dense<Units, Act>> {
  using type = Act;
};
template <class F>
struct layer_output_activation<Activation<F>> {
  using type = F;
};

template <class Net>
using output_activation_t = typename std::conditional_t<
    (Net::layer_count > 0), layer_output_activation<typename Net::template layer_type<Net::layer_count - 1>>,
    std::type_identity<Linear>>::type;

}  // namespace forma
