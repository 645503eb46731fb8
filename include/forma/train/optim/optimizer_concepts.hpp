#pragma once
// What an optimizer is: hyperparameters in an aggregate (so Keras' keyword
// arguments become designated initializers, Adam{.learning_rate = 5e-4}),
// a state type computed from the model's parameter type, and an update.
#include <concepts>
#include <string_view>

namespace forma {

template <class O>
concept Optimizer = requires(O o) {
  { O::name } -> std::convertible_to<std::string_view>;
  { o.learning_rate } -> std::convertible_to<double>;
};

}  // namespace forma
