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
#include <ranges>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>

#include "forma/core/random.hpp"
#include "forma/core/scalar.hpp"
#include "forma/core/shape.hpp"
#include "forma/core/share.hpp"
#include "forma/core/tensor.hpp"
#include "forma/kernels/backend.hpp"
#include "forma/layers/layer_concepts.hpp"
#include "forma/layers/shape_inference.hpp"
#include "forma/layers/layer_state.hpp"
#include "forma/model/executor.hpp"
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
    using state = std::tuple<>;
  };
  template <std::size_t... K>
  struct params_tuple_for<true, std::index_sequence<K...>> {
    using type = std::tuple<typename bound_layer<K>::params...>;
    using state = std::tuple<state_of_t<bound_layer<K>>...>;
  };
  using layer_tuples = params_tuple_for<valid, std::make_index_sequence<layer_count>>;
  using params_tuple = typename layer_tuples::type;

  static_assert(over_layers([]<std::size_t... K>() { return (BoundLayer<bound_layer<K>> && ...); }, true),
                "forma: a layer's bind<In, T> does not model forma::BoundLayer (see the README's custom layer)");

 public:
  static constexpr std::size_t param_count =
      over_layers([]<std::size_t... K>() { return (std::size_t{0} + ... + bound_layer<K>::param_count); });
  static constexpr std::size_t param_bytes = param_count * sizeof(T);
  static constexpr std::size_t state_count =
      over_layers([]<std::size_t... K>() { return (std::size_t{0} + ... + state_count_of<bound_layer<K>>); });
  static constexpr std::size_t state_bytes = state_count * sizeof(T);
  static constexpr std::size_t forward_flops =
      over_layers([]<std::size_t... K>() { return (std::size_t{0} + ... + bound_layer<K>::forward_flops); });

 public:
  // The activations of one forward pass on B rows (model/executor.hpp).
  template <std::size_t B>
  using workspace = forward_workspace<GraphNetwork, B>;
  template <std::size_t B>
  static constexpr std::size_t workspace_bytes = sizeof(workspace<B>);

  using params_type = params_tuple;
  params_type& params() noexcept { return params_; }
  const params_type& params() const noexcept { return params_; }
  using state_type = typename layer_tuples::state;
  state_type& state() noexcept { return state_; }
  const state_type& state() const noexcept { return state_count > 0 ? state_ : stateless_; }

  GraphNetwork() {
    over_layers([&]<std::size_t... K>() { (init_state<bound_layer<K>>(std::get<K>(state_)), ...); });
  }
  void init(std::uint64_t seed) noexcept {
    SplitMix64 rng(seed);
    over_layers([&]<std::size_t... K>() {
      (bound_layer<K>::init(std::get<K>(params_), rng), ...);
      (init_state<bound_layer<K>>(std::get<K>(state_)), ...);
    });
  }
  template <std::size_t K>
  auto& layer() noexcept { return std::get<K>(params_); }
  template <std::size_t K>
  const auto& layer() const noexcept { return std::get<K>(params_); }
  template <std::size_t K>
  auto& layer_state() noexcept { return std::get<K>(state_); }
  template <std::size_t K>
  const auto& layer_state() const noexcept { return std::get<K>(state_); }

  // One sample: one tensor per Input, in the model's order.
  template <class... Xs>
    requires(sizeof...(Xs) == input_count)
  Tensor<output_shape, T> predict(const Xs&... xs) const noexcept {
    return predict_on(params_, state(), xs...);
  }
  // Many samples in batches of B: one span per Input (std::tuple of them
  // when there are several); returns how many were predicted.
  template <std::size_t B, class Xs>
  std::size_t predict(const Xs& xs, std::span<Tensor<output_shape, T>> ys, workspace<B>& ws) const noexcept {
    return predict_on<B>(params_, state(), xs, ys, ws);
  }
  template <std::size_t B, class Xs>
  std::size_t predict(const Xs& xs, std::span<Tensor<output_shape, T>> ys) const noexcept {
    return predict_on<B>(params_, state(), xs, ys);
  }
  // The same on the threads of a pool, each batch's rows shared among them
  // (as Network's): the results are those of one thread, exactly.
  template <std::size_t B, class Xs, class Pool>
    requires requires(Pool& pool) { pool.size(); }
  std::size_t predict(const Xs& xs, std::span<Tensor<output_shape, T>> ys, workspace<B>& ws,
                      Pool& pool) const noexcept {
    const auto spans = as_spans(xs);
    std::size_t n = ys.size();
    std::apply([&](const auto&... in) { ((n = std::min(n, in.size())), ...); }, spans);
    for (std::size_t i = 0; i < n; i += B) {
      const std::size_t rows = std::min(B, n - i);
      auto job = [&, rows, i](std::size_t t) noexcept {
        const share part = share_of(rows, 1, t, pool.size());
        if (part.begin < part.end)
          executor::forward<GraphNetwork, kernels::native>(params_, state(), part.end - part.begin,
                                                           rows_at(spans, i + part.begin),
                                                           ys[i + part.begin].data(), ws.slots_from(part.begin));
      };
      pool.run(job);
    }
    return n;
  }

  // The forward pass on `rows` (at most B) rows: x[i] points at rows of
  // input i, y receives rows of the output, all with padded row strides.
  template <class Backend, std::size_t B>
  void forward(std::size_t rows, const std::array<const T*, input_count>& x, T* y, workspace<B>& ws) const noexcept {
    forward_on<Backend, B>(params_, state(), rows, x, y, ws);
  }

  template <class... Xs>
    requires(sizeof...(Xs) == input_count)
  static Tensor<output_shape, T> predict_on(const params_type& p, const state_type& s, const Xs&... xs) noexcept {
    static_assert(expects_inputs<Xs...>(),
                  "forma: predict needs one tensor per Input, each of that Input's shape and the model's scalar type");
    Tensor<output_shape, T> y;
    if constexpr (expects_inputs<Xs...>()) {
      workspace<1> ws;
      forward_on<kernels::native, 1>(p, s, 1, {xs.data()...}, y.data(), ws);
    }
    return y;
  }
  template <std::size_t B, class Xs>
  static std::size_t predict_on(const params_type& p, const state_type& s, const Xs& xs,
                                std::span<Tensor<output_shape, T>> ys, workspace<B>& ws) noexcept {
    const auto spans = as_spans(xs);
    std::size_t n = ys.size();
    std::apply([&](const auto&... in) { ((n = std::min(n, in.size())), ...); }, spans);
    for (std::size_t i = 0; i < n; i += B)
      forward_on<kernels::native, B>(p, s, std::min(B, n - i), rows_at(spans, i), ys[i].data(), ws);
    return n;
  }
  template <std::size_t B, class Xs>
  static std::size_t predict_on(const params_type& p, const state_type& s, const Xs& xs,
                                std::span<Tensor<output_shape, T>> ys) noexcept {
    static_assert(workspace_bytes<B> <= FORMA_MAX_STACK_WORKSPACE_BYTES,
                  "forma: this batch size needs a workspace too large for the stack; pass a workspace<B>");
    workspace<B> ws;
    return predict_on<B>(p, s, xs, ys, ws);
  }

  template <class Backend, std::size_t B>
  static void forward_on(const params_type& p, const state_type& s, std::size_t rows,
                         const std::array<const T*, input_count>& x, T* y, workspace<B>& ws) noexcept {
    executor::forward<GraphNetwork, Backend>(p, s, rows, x, y, ws.slots_from(0));
  }

 private:
  template <class... Xs>
  static constexpr bool expects_inputs() {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return (std::is_same_v<Xs, Tensor<input_shape_of<I>, T>> && ...);
    }(std::make_index_sequence<input_count>{});
  }
  // Each input's row i.
  template <class Spans>
  static std::array<const T*, input_count> rows_at(const Spans& spans, std::size_t i) noexcept {
    return std::apply([&](const auto&... in) { return std::array<const T*, input_count>{in[i].data()...}; }, spans);
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

  params_tuple params_{};
  state_type state_{};
  // What a model without state reads (g++ 12 warns that an empty object
  // never written is read when one is passed by reference).
  static constexpr state_type stateless_{};
};

}  // namespace forma
