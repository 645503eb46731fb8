#pragma once
// Model<decltype(input), decltype(output)>: the functional API. The output is
// a SymbolicTensor built by calling layers on the Input; the model is the
// Network of that chain.
#include <type_traits>

#include "forma/layers/input.hpp"
#include "forma/layers/symbolic.hpp"
#include "forma/model/network.hpp"

namespace forma {

namespace detail {

template <class In, class Out>
struct functional_network {
  using type = invalid_network;
};
template <class In, class... Ls>
struct functional_network<In, SymbolicTensor<In, Ls...>> {
  using type = Network<float, In, Ls...>;
};
template <std::size_t... Dims>
struct functional_network<Input<Dims...>, Input<Dims...>> {
  using type = Network<float, Input<Dims...>>;
};

}  // namespace detail

template <class Out, class In>
inline constexpr bool computed_from =
    !std::is_same_v<typename detail::functional_network<In, Out>::type, invalid_network>;

// decltype of a constexpr variable is const: Model strips it.
template <class In, class Out>
class Model
    : public detail::functional_network<std::remove_cv_t<In>, std::remove_cv_t<Out>>::type {
  static_assert(is_input<std::remove_cv_t<In>>, "forma::Model needs an Input<...> as its first argument");
  static_assert(!is_input<std::remove_cv_t<In>> || computed_from<std::remove_cv_t<Out>, std::remove_cv_t<In>>,
                "forma::Model's output is not computed from its input; build it by calling layers on that Input");

 public:
  static constexpr bool is_functional = true;
};

}  // namespace forma
