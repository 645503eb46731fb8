#pragma once
// What an activation tag is. An elementwise one maps each value on its own
// (f) and gives its derivative from the output it produced (df_from_output),
// for scalars and for xsimd batches alike; a non-elementwise one (Softmax)
// acts along the last axis and is applied by kernels of its own.
#include <concepts>
#include <string_view>

namespace forma {

template <class A>
concept ActivationFunction = requires {
  { A::name } -> std::convertible_to<std::string_view>;
  { A::elementwise } -> std::convertible_to<bool>;
} && (!A::elementwise || requires(float x, double y) {
  { A::f(x) } -> std::same_as<float>;
  { A::f(y) } -> std::same_as<double>;
  { A::df_from_output(x) } -> std::same_as<float>;
});

}  // namespace forma
