#pragma once
// Named<Id, L>: another call of layer L, with weights of its own. In forma a
// node of a graph is its type, so Dense<8>{}(x) written twice is one node;
// Keras makes two layers of it. Named<1, Dense<8>>{}(x) is a second one.
#include <cstddef>
#include <string_view>

#include "forma/layers/input.hpp"
#include "forma/layers/layer_concepts.hpp"
#include "forma/layers/symbolic.hpp"

namespace forma {

template <std::size_t Id, Layer L>
struct Named<Id, L> : callable_layer<Named<Id, L>> {
  using layer = L;
  static constexpr std::string_view name = L::name;
  template <class In, class T>
  using bind = typename L::template bind<In, T>;
};

// The layer itself, Named or not.
template <class L>
struct unnamed {
  using type = L;
};
template <std::size_t Id, Layer L>
struct unnamed<Named<Id, L>> {
  using type = L;
};
template <class L>
using unnamed_t = typename unnamed<L>::type;

}  // namespace forma
