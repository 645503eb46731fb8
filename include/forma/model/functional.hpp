#pragma once
// Model<decltype(input), decltype(output)>: the functional API. The output is
// a SymbolicTensor built by calling layers on the Input. A plain chain is the
// Network of that chain, as a Sequential is; anything else (a node feeding
// several layers, merges, several inputs: Model<std::tuple<decltype(a),
// decltype(b)>, decltype(out)>) is a GraphNetwork of the nodes the output is
// computed from.
#include <tuple>
#include <type_traits>

#include "forma/layers/input.hpp"
#include "forma/layers/symbolic.hpp"
#include "forma/model/graph.hpp"
#include "forma/model/graph_nodes.hpp"
#include "forma/model/network.hpp"

namespace forma {

namespace detail {

// The model's Inputs as a list, in the order given.
template <class In>
struct model_inputs {
  using type = graph::type_list<std::remove_cv_t<In>>;
};
template <class... Ins>
struct model_inputs<std::tuple<Ins...>> {
  using type = graph::type_list<std::remove_cv_t<Ins>...>;
};

template <class Inputs>
inline constexpr bool all_inputs = false;
template <class... Ins>
inline constexpr bool all_inputs<graph::type_list<Ins...>> = sizeof...(Ins) > 0 && (is_input<Ins> && ...);

template <class Used, class Given>
inline constexpr bool reads_only = false;
template <class... Us, class Given>
inline constexpr bool reads_only<graph::type_list<Us...>, Given> = (graph::contains<Us, Given> && ...);

template <class In, class Out>
struct chain_network {
  using type = void;
};
template <class In, class... Ls>
struct chain_network<In, SymbolicTensor<In, Ls...>> {
  using type = Network<float, In, Ls...>;
};
template <std::size_t... Dims>
struct chain_network<Input<Dims...>, Input<Dims...>> {
  using type = Network<float, Input<Dims...>>;
};

template <class Inputs, class Out>
struct functional_network {
  using type = invalid_network;
};
template <class In, class Out>
  requires(!std::is_void_v<typename chain_network<In, Out>::type>)
struct functional_network<graph::type_list<In>, Out> {
  using type = typename chain_network<In, Out>::type;
};
template <class Inputs, class Out>
  requires(all_inputs<Inputs> && is_symbolic<Out> && !is_input<Out> &&
           reads_only<typename graph::reachable<Out>::inputs, Inputs> &&
           graph::reachable<Out>::inputs::size == Inputs::size &&
           (Inputs::size > 1 || std::is_void_v<typename chain_network<graph::at_t<0, Inputs>, Out>::type>))
struct functional_network<Inputs, Out> {
  using type = GraphNetwork<float, Inputs, typename graph::reachable<Out>::nodes>;
};

// The two checks a graph's Inputs get, named so that a failed one prints
// the model's inputs and output and nothing else. (Vacuous for a mistake
// reported elsewhere.)
template <class Inputs, class Out>
constexpr bool checkable = all_inputs<Inputs> && is_symbolic<Out> && !is_input<Out>;
template <class Inputs, class Out>
inline constexpr bool reads_only_given = [] {
  if constexpr (checkable<Inputs, Out>)
    return reads_only<typename graph::reachable<Out>::inputs, Inputs>;
  else
    return true;
}();
template <class Inputs, class Out>
inline constexpr bool uses_every_input = [] {
  if constexpr (checkable<Inputs, Out>)
    return graph::reachable<Out>::inputs::size >= Inputs::size;
  else
    return true;
}();

}  // namespace detail

// Whether Out is computed from exactly the Inputs In (one, or a tuple).
template <class Out, class In>
inline constexpr bool computed_from =
    !std::is_same_v<typename detail::functional_network<typename detail::model_inputs<In>::type, Out>::type,
                    invalid_network>;

// decltype of a constexpr variable is const: Model strips it.
template <class In, class Out>
class Model : public detail::functional_network<typename detail::model_inputs<std::remove_cv_t<In>>::type,
                                                std::remove_cv_t<Out>>::type {
  using inputs = typename detail::model_inputs<std::remove_cv_t<In>>::type;
  static_assert(detail::all_inputs<inputs>,
                "forma::Model needs an Input<...> (or a std::tuple of them) as its first argument");
  static_assert(detail::reads_only_given<inputs, std::remove_cv_t<Out>>,
                "forma::Model's output is not computed from its inputs: it reads an Input the model is not given; "
                "build it by calling layers on the model's Inputs");
  static_assert(detail::uses_every_input<inputs, std::remove_cv_t<Out>>,
                "forma::Model is given an Input its output does not use");

 public:
  static constexpr bool is_functional = true;
};

}  // namespace forma
