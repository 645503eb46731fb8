#pragma once
// network_base<M> and graph_base<M>: the Network or the GraphNetwork a model
// type derives from (a Sequential and a functional Model are one or the
// other), void if none. io/ writes a chain and a graph differently.
#include <type_traits>

#include "forma/core/scalar.hpp"
#include "forma/model/graph.hpp"
#include "forma/model/network.hpp"

namespace forma::io::detail {

template <Scalar T, class In, class... Ls>
Network<T, In, Ls...> network_base_of(const Network<T, In, Ls...>*);
void network_base_of(const void*);
template <class M>
using network_base = decltype(network_base_of(static_cast<const M*>(nullptr)));

template <Scalar T, class Inputs, class Nodes>
GraphNetwork<T, Inputs, Nodes> graph_base_of(const GraphNetwork<T, Inputs, Nodes>*);
void graph_base_of(const void*);
template <class M>
using graph_base = decltype(graph_base_of(static_cast<const M*>(nullptr)));

template <class M>
inline constexpr bool is_graph_model = !std::is_void_v<graph_base<M>>;

// A GraphNetwork's lists of Inputs and of nodes.
template <class G>
struct graph_parts;
template <Scalar T, class Inputs, class Nodes>
struct graph_parts<GraphNetwork<T, Inputs, Nodes>> {
  using inputs = Inputs;
  using nodes = Nodes;
};

}  // namespace forma::io::detail
