#pragma once
// GraphNetwork<T, Inputs, Nodes>: a functional model that is not a plain
// chain: skip connections, merges, several inputs. Inputs lists its Input
// types in the order predict and fit take them; Nodes its layer and merge
// nodes in a runnable order (model/graph_nodes.hpp). It offers what Network
// offers (the trainer, summary, io and ModelView use either), with one input
// tensor per Input.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ranges>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>

#include "forma/core/random.hpp"
#include "forma/core/scalar.hpp"
#include "forma/core/shape.hpp"
#include "forma/core/tensor.hpp"
#include "forma/kernels/backend.hpp"
#include "forma/layers/layer_concepts.hpp"
#include "forma/layers/shape_inference.hpp"
#include "forma/model/graph_nodes.hpp"
#include "forma/model/network.hpp"
#include "forma/model/plan.hpp"

namespace forma {

template <Scalar T, class Inputs, class Nodes>
class GraphNetwork {
 public:
  using value_type = T;
  static constexpr std::size_t input_count = Inputs::size;
  static constexpr std::size_t layer_count = Nodes::size;

  template <std::size_t I>
  using input_layer_of = graph::at_t<I, Inputs>;
  template <std::size_t I>
  using input_shape_of = typename declared_shape<input_layer_of<I>>::type;
  using input_layer = input_layer_of<0>;
  using input_shape = input_shape_of<0>;

  template <std::size_t K>
  using node = graph::at_t<K, Nodes>;
  template <std::size_t K>
  using layer_type = typename graph::node_traits<node<K>>::layer;

 private:
  template <class X>
  static constexpr std::size_t value_of =
      is_input<X> ? graph::index_of<X, Inputs> : input_count + graph::index_of<X, Nodes>;
  template <class List>
  struct values_of;
  template <class... Xs>
  struct values_of<graph::type_list<Xs...>> {
    using type = std::index_sequence<value_of<Xs>...>;
  };
  template <std::size_t V>
  struct value_shape_of {
    using type = typename declared_shape<std::conditional_t<(V < input_count), graph::at_t<V % input_count, Inputs>,
                                                            graph::at_t<(V - input_count) % layer_count, Nodes>>>::type;
  };
  template <class Seq>
  struct input_shape_for;
  template <std::size_t V>
  struct input_shape_for<std::index_sequence<V>> {
    using type = typename value_shape_of<V>::type;
  };
  template <std::size_t V0, std::size_t V1, std::size_t... Vs>
  struct input_shape_for<std::index_sequence<V0, V1, Vs...>> {
    using type = ShapeList<typename value_shape_of<V0>::type, typename value_shape_of<V1>::type,
                           typename value_shape_of<Vs>::type...>;
  };

 public:
  // The graph (model/plan.hpp): the values node K reads.
  template <std::size_t K>
  using node_inputs = typename values_of<typename graph::node_traits<node<K>>::inputs>::type;
  template <std::size_t V>
  using value_shape = typename value_shape_of<V>::type;
  // A one-input layer's input shape; a merge's ShapeList of them.
  template <std::size_t K>
  using layer_input_shape = typename input_shape_for<node_inputs<K>>::type;
  template <std::size_t K>
  using layer_output_shape = value_shape<input_count + K>;
  template <std::size_t K>
  using bound_layer = typename layer_type<K>::template bind<layer_input_shape<K>, T>;
  using output_shape = layer_output_shape<layer_count - 1>;

  template <Scalar U>
  using rebind = GraphNetwork<U, Inputs, Nodes>;

  static constexpr bool is_functional = true;
  static constexpr bool is_graph = true;
  static constexpr bool valid = !is_invalid_shape<output_shape>;

 private:
  template <class F, class R = std::size_t>
  static constexpr auto over_layers(F f, R otherwise = 0) {
    if constexpr (valid)
      return detail::with_indices<layer_count>(f);
    else
      return otherwise;
  }
  // Built only for a valid model, so that a failed shape check builds no
  // layer on invalid_shape (one mistake, one diagnostic).
  template <bool Valid, class Seq>
  struct params_tuple_for {
    using type = std::tuple<>;
  };
  template <std::size_t... K>
  struct params_tuple_for<true, std::index_sequence<K...>> {
    using type = std::tuple<typename bound_layer<K>::params...>;
  };
  using params_tuple = typename params_tuple_for<valid, std::make_index_sequence<layer_count>>::type;

  static_assert(over_layers([]<std::size_t... K>() { return (BoundLayer<bound_layer<K>> && ...); }, true),
                "forma: a layer's bind<In, T> does not model forma::BoundLayer (see the README's custom layer)");

 public:
  static constexpr std::size_t param_count =
      over_layers([]<std::size_t... K>() { return (std::size_t{0} + ... + bound_layer<K>::param_count); });
  static constexpr std::size_t param_bytes = param_count * sizeof(T);
  static constexpr std::size_t forward_flops =
      over_layers([]<std::size_t... K>() { return (std::size_t{0} + ... + bound_layer<K>::forward_flops); });

 private:
  template <class S>
  static constexpr std::size_t stride_of = padded<T>(S::size);

 public:
  // The activations of one forward pass on B rows: as many slots as the
  // plan keeps values alive at once (two for a chain), each as wide as the
  // widest value kept in one. (Planned here, where the model is complete.)
  template <std::size_t B>
  struct workspace {
    static_assert(B > 0, "forma: a batch size must be above zero");
    static constexpr auto& slots_plan = plan::of<GraphNetwork>::forward;
    static constexpr std::size_t slot_count = std::max<std::size_t>(slots_plan.slots, 1);
    static constexpr std::size_t slot_stride = []<std::size_t... K>(std::index_sequence<K...>) {
      std::size_t m = 1;
      ((m = slots_plan.slot[K] == plan::none ? m : std::max(m, stride_of<layer_output_shape<K>>)), ...);
      return m;
    }(std::make_index_sequence<layer_count>{});
    alignas(row_alignment) T buffers[slot_count][B * slot_stride];
  };
  template <std::size_t B>
  static constexpr std::size_t workspace_bytes = sizeof(workspace<B>);

  using params_type = params_tuple;
  params_type& params() noexcept { return params_; }
  const params_type& params() const noexcept { return params_; }

  void init(std::uint64_t seed) noexcept {
    SplitMix64 rng(seed);
    over_layers([&]<std::size_t... K>() { (bound_layer<K>::init(std::get<K>(params_), rng), ...); });
  }
  template <std::size_t K>
  auto& layer() noexcept { return std::get<K>(params_); }
  template <std::size_t K>
  const auto& layer() const noexcept { return std::get<K>(params_); }

  // One sample: one tensor per Input, in the model's order.
  template <class... Xs>
    requires(sizeof...(Xs) == input_count)
  Tensor<output_shape, T> predict(const Xs&... xs) const noexcept {
    return predict_on(params_, xs...);
  }
  // Many samples in batches of B: one span per Input (std::tuple of them
  // when there are several); returns how many were predicted.
  template <std::size_t B, class Xs>
  std::size_t predict(const Xs& xs, std::span<Tensor<output_shape, T>> ys, workspace<B>& ws) const noexcept {
    return predict_on<B>(params_, xs, ys, ws);
  }
  template <std::size_t B, class Xs>
  std::size_t predict(const Xs& xs, std::span<Tensor<output_shape, T>> ys) const noexcept {
    return predict_on<B>(params_, xs, ys);
  }

  // The forward pass on `rows` (at most B) rows: x[i] points at rows of
  // input i, y receives rows of the output, all with padded row strides.
  template <class Backend, std::size_t B>
  void forward(std::size_t rows, const std::array<const T*, input_count>& x, T* y, workspace<B>& ws) const noexcept {
    forward_on<Backend, B>(params_, rows, x, y, ws);
  }

  template <class... Xs>
    requires(sizeof...(Xs) == input_count)
  static Tensor<output_shape, T> predict_on(const params_type& p, const Xs&... xs) noexcept {
    static_assert(expects_inputs<Xs...>(),
                  "forma: predict needs one tensor per Input, each of that Input's shape and the model's scalar type");
    Tensor<output_shape, T> y;
    if constexpr (expects_inputs<Xs...>()) {
      workspace<1> ws;
      forward_on<kernels::native, 1>(p, 1, {xs.data()...}, y.data(), ws);
    }
    return y;
  }
  template <std::size_t B, class Xs>
  static std::size_t predict_on(const params_type& p, const Xs& xs, std::span<Tensor<output_shape, T>> ys,
                                workspace<B>& ws) noexcept {
    const auto spans = as_spans(xs);
    std::size_t n = ys.size();
    std::apply([&](const auto&... s) { ((n = std::min(n, s.size())), ...); }, spans);
    for (std::size_t i = 0; i < n; i += B) {
      const auto x = std::apply([&](const auto&... s) { return std::array<const T*, input_count>{s[i].data()...}; },
                                spans);
      forward_on<kernels::native, B>(p, std::min(B, n - i), x, ys[i].data(), ws);
    }
    return n;
  }
  template <std::size_t B, class Xs>
  static std::size_t predict_on(const params_type& p, const Xs& xs, std::span<Tensor<output_shape, T>> ys) noexcept {
    static_assert(workspace_bytes<B> <= FORMA_MAX_STACK_WORKSPACE_BYTES,
                  "forma: this batch size needs a workspace too large for the stack; pass a workspace<B>");
    workspace<B> ws;
    return predict_on<B>(p, xs, ys, ws);
  }

  template <class Backend, std::size_t B>
  static void forward_on(const params_type& p, std::size_t rows, const std::array<const T*, input_count>& x, T* y,
                         workspace<B>& ws) noexcept {
    std::array<const T*, input_count + layer_count> values{};
    for (std::size_t i = 0; i < input_count; ++i) values[i] = x[i];
    over_layers([&]<std::size_t... K>() { (forward_node<K, Backend>(p, rows, values, y, ws), ...); });
    const T* out = values[input_count + layer_count - 1];
    if (out != y) std::memcpy(y, out, rows * stride_of<output_shape> * sizeof(T));
  }

 private:
  template <class... Xs>
  static constexpr bool expects_inputs() {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return (std::is_same_v<Xs, Tensor<input_shape_of<I>, T>> && ...);
    }(std::make_index_sequence<input_count>{});
  }
  // One span per input, as a tuple.
  template <class Xs>
  static auto as_spans(const Xs& xs) noexcept {
    if constexpr (input_count == 1 && std::ranges::range<Xs>)
      return std::tuple<std::span<const Tensor<input_shape, T>>>(xs);
    else
      return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::tuple<std::span<const Tensor<input_shape_of<I>, T>>...>(std::get<I>(xs)...);
      }(std::make_index_sequence<input_count>{});
  }

  template <std::size_t K, class Backend, std::size_t B>
  static void forward_node(const params_type& p, std::size_t rows,
                           std::array<const T*, input_count + layer_count>& values, T* y,
                           workspace<B>& ws) noexcept {
    using bound = bound_layer<K>;
    if constexpr (bound::is_view) {
      values[input_count + K] = values[first_input<K>];
    } else {
      T* dst = y;
      if constexpr (K + 1 < layer_count) dst = ws.buffers[workspace<B>::slots_plan.slot[K]];
      if constexpr (node_inputs<K>::size() == 1) {
        bound::template forward<Backend, stride_of<layer_input_shape<K>>>(std::get<K>(p), rows,
                                                                           values[first_input<K>], dst);
      } else {
        [&]<std::size_t... V>(std::index_sequence<V...>) {
          bound::template forward<Backend>(std::get<K>(p), rows, std::array<const T*, sizeof...(V)>{values[V]...},
                                           dst);
        }(node_inputs<K>{});
      }
      values[input_count + K] = dst;
    }
  }
  template <std::size_t K>
  static constexpr std::size_t first_input = []<std::size_t V, std::size_t... Vs>(std::index_sequence<V, Vs...>) {
    return V;
  }(node_inputs<K>{});

  params_tuple params_{};
};

}  // namespace forma
