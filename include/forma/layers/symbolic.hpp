#pragma once
// The functional API's symbolic tensors. Dense<10>{}(Flatten{}(Input<28, 28>{}))
// is a value whose type records where it comes from: a root (an Input, or a
// merge of other symbolic tensors) and the layers applied to it in order.
// A node of the graph is its type: the same call written twice is one node
// (Named<Id, L> makes a second layer of it). Shapes are checked when the
// call is made, as Keras does.
#include <cstddef>
#include <type_traits>

#include "forma/core/shape.hpp"
#include "forma/layers/input.hpp"
#include "forma/layers/shape_inference.hpp"

namespace forma {

template <class Root, class... Ls>
struct SymbolicTensor {
  using root = Root;
  using input_layer = Root;  // a chain's Input
  using shape = typename layer_chain<float, typename declared_shape<Root>::type, Ls...>::output_shape;
};

// The graph node a symbolic value stands for: an Input, a merge, or the last
// call of a chain (a merge's own SymbolicTensor<Merged<...>> is the merge).
template <class X>
struct node_of {
  using type = X;
};
template <class Root>
struct node_of<SymbolicTensor<Root>> {
  using type = Root;
};
template <class X>
using node_of_t = typename node_of<X>::type;

// Merge layer M applied to the nodes Args (at least two).
// (An input whose own check failed makes the merge invalid unchecked.)
template <class M, class... Args>
struct Merged {
  using layer = M;
  using shape = typename std::conditional_t<
      (is_invalid_shape<typename declared_shape<Args>::type> || ...), std::type_identity<invalid_shape>,
      declared_output_shape<typename M::template bind<ShapeList<typename declared_shape<Args>::type...>, float>>>::type;
};

template <class X>
inline constexpr bool is_symbolic = is_input<X>;
template <class Root, class... Ls>
inline constexpr bool is_symbolic<SymbolicTensor<Root, Ls...>> = true;

// Gives a layer Keras' call syntax, layer(x). Layers derive from it; a custom
// layer that wants to be called symbolically does the same.
template <class Self>
struct callable_layer {
  template <class Root, class... Ls>
  constexpr SymbolicTensor<Root, Ls..., Self> operator()(SymbolicTensor<Root, Ls...>) const noexcept {
    return {};
  }
  template <class In>
    requires is_input<In>
  constexpr SymbolicTensor<In, Self> operator()(In) const noexcept {
    return {};
  }
};

namespace detail {
template <class X, class... Ys>
inline constexpr std::size_t count_of = (std::size_t{0} + ... + std::size_t{std::is_same_v<X, Ys>});
}  // namespace detail

// Gives a merge layer its call syntax, Add{}(a, b, ...): the result roots
// further calls. The same node twice is almost always two identical layer
// calls the user meant as two layers, which are one node here.
template <class Self>
struct merge_layer {
  template <class... Args>
    requires(is_symbolic<Args> && ...)
  constexpr SymbolicTensor<Merged<Self, node_of_t<Args>...>> operator()(Args...) const noexcept {
    static_assert(sizeof...(Args) >= 2, "forma: a merge layer needs at least two inputs");
    static_assert(((detail::count_of<node_of_t<Args>, node_of_t<Args>...> == 1) && ...),
                  "forma: a merge got the same node twice; two identical layer calls on the same input are one "
                  "node in forma: make the second a layer of its own with Named<Id, Layer>{}(x)");
    return {};
  }
};

}  // namespace forma
