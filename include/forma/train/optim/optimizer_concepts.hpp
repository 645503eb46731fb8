#pragma once
// What an optimizer is: hyperparameters in an aggregate (so Keras' keyword
// arguments become designated initializers, Adam{.learning_rate = 5e-4}),
// a state type computed from the model's parameter type, and its update as
// a rule: begin_step gives one step's rule (a function of weight, gradient
// and state slots; see kernels/optimizer_updates.hpp), which training applies
// to gradient tiles as they are made, and slots_of<K> names layer K's state
// arrays. (The state of a model without parameters stands in for any.)
#include <concepts>
#include <cstddef>
#include <string_view>
#include <tuple>

namespace forma {

template <class O>
concept Optimizer = requires(O o, typename O::template state<std::tuple<>>& s) {
  { O::name } -> std::convertible_to<std::string_view>;
  { o.learning_rate } -> std::convertible_to<double>;
  { O::template rule<float>::slots } -> std::convertible_to<std::size_t>;
  { o.template begin_step<float>(s) } -> std::same_as<typename O::template rule<float>>;
};

}  // namespace forma
