#pragma once
// The nodes of a functional graph, read off its output's type: a depth-first
// walk from the output that visits each node once (a node feeding several
// others is reached by several paths) and lists it after its inputs, so the
// list is in an order the graph can run in.
#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "forma/layers/input.hpp"
#include "forma/layers/named.hpp"
#include "forma/layers/symbolic.hpp"

namespace forma::graph {

template <class... Ts>
struct type_list {
  static constexpr std::size_t size = sizeof...(Ts);
};

template <class X, class List>
inline constexpr bool contains = false;
template <class X, class... Ts>
inline constexpr bool contains<X, type_list<Ts...>> = (std::is_same_v<X, Ts> || ...);

// Position of X in the list (its size if absent).
template <class X, class List>
inline constexpr std::size_t index_of = 0;
template <class X, class... Ts>
inline constexpr std::size_t index_of<X, type_list<Ts...>> = [] {
  std::size_t i = 0;
  bool found = false;
  ((found = found || std::is_same_v<X, Ts>, i += found ? 0 : 1), ...);
  return i;
}();

// The K-th type of a list, by overload resolution on a class that derives
// from one base per element: one instantiation per list, where
// std::tuple_element recurses for every K (clang 14 spent 8 s of a 20-block
// residual graph's compile in std::_Nth_type).
namespace detail {
template <std::size_t I, class T>
struct indexed {
  using type = T;
};
template <class Seq, class... Ts>
struct indexer;
template <std::size_t... I, class... Ts>
struct indexer<std::index_sequence<I...>, Ts...> : indexed<I, Ts>... {};
template <std::size_t I, class T>
indexed<I, T> select(const indexed<I, T>&);
}  // namespace detail

template <std::size_t K, class List>
struct at;
template <std::size_t K, class... Ts>
struct at<K, type_list<Ts...>> {
  using type = typename decltype(detail::select<K>(
      std::declval<detail::indexer<std::index_sequence_for<Ts...>, Ts...>>()))::type;
};
template <std::size_t K, class List>
using at_t = typename at<K, List>::type;

// What a node computes from: a chain's last call reads the chain before it,
// a merge reads its arguments, an Input reads nothing.
template <class Node>
struct node_traits {  // an Input
  using inputs = type_list<>;
  using layer = void;
};
// The node before a chain's last call: prefix<SymbolicTensor<R>, L0, ..., Ln>
// is SymbolicTensor<R, L0, ..., Ln-1>'s node.
template <class Acc, class... Rest>
struct prefix;
template <class Acc, class Last>
struct prefix<Acc, Last> {
  using type = node_of_t<Acc>;
};
template <class Root, class... Done, class A, class B, class... Rest>
struct prefix<SymbolicTensor<Root, Done...>, A, B, Rest...> {
  using type = typename prefix<SymbolicTensor<Root, Done..., A>, B, Rest...>::type;
};

template <class Root, class L0, class... Ls>
struct node_traits<SymbolicTensor<Root, L0, Ls...>> {
  using inputs = type_list<typename prefix<SymbolicTensor<Root>, L0, Ls...>::type>;
  using layer = unnamed_t<std::tuple_element_t<sizeof...(Ls), std::tuple<L0, Ls...>>>;
};
template <class M, class... Args>
struct node_traits<Merged<M, Args...>> {
  using inputs = type_list<Args...>;
  using layer = M;
};

template <class List, class X>
struct append;
template <class... Ts, class X>
struct append<type_list<Ts...>, X> {
  using type = type_list<Ts..., X>;
};

// Visited, then the nodes Node needs that are not in it, then Node.
template <class Visited, class Node, bool Seen = contains<Node, Visited>>
struct visit {
  using type = Visited;
};
template <class Visited, class Inputs>
struct visit_all;
template <class Visited>
struct visit_all<Visited, type_list<>> {
  using type = Visited;
};
template <class Visited, class I0, class... Is>
struct visit_all<Visited, type_list<I0, Is...>> {
  using type = typename visit_all<typename visit<Visited, I0>::type, type_list<Is...>>::type;
};
template <class Visited, class Node>
struct visit<Visited, Node, false> {
  using type =
      typename append<typename visit_all<Visited, typename node_traits<Node>::inputs>::type, Node>::type;
};

// The elements X of a list with Keep<X>::value, in order.
template <class List, template <class> class Keep>
struct filter;
template <class... Ts, template <class> class Keep>
struct filter<type_list<Ts...>, Keep> {
  static constexpr std::size_t count = (std::size_t{0} + ... + std::size_t{Keep<Ts>::value});
  static constexpr std::array<std::size_t, count + 1> picked = [] {
    constexpr bool keep[] = {false, Keep<Ts>::value...};  // [0] keeps the array non-empty
    std::array<std::size_t, count + 1> at{};
    std::size_t n = 0;
    for (std::size_t i = 0; i < sizeof...(Ts); ++i)
      if (keep[i + 1]) at[n++] = i;
    return at;
  }();
  template <std::size_t... I>
  static auto pick(std::index_sequence<I...>) -> type_list<at_t<picked[I], type_list<Ts...>>...>;
  using type = decltype(pick(std::make_index_sequence<count>{}));
};

template <class X>
struct is_input_node : std::bool_constant<is_input<X>> {};
template <class X>
struct is_layer_node : std::bool_constant<!is_input<X>> {};

// Everything reachable from Out, in a runnable order: the Inputs it reads,
// and the layer and merge nodes.
template <class Out>
struct reachable {
  using all = typename visit<type_list<>, node_of_t<Out>>::type;
  using inputs = typename filter<all, is_input_node>::type;
  using nodes = typename filter<all, is_layer_node>::type;
};

}  // namespace forma::graph
