#pragma once
// Network<T, Input<...>, Layers...>: the model type behind Sequential and the
// functional Model, for scalar type T. Everything about the architecture is a
// compile-time fact of the type; an object holds only the parameters.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>

#include "forma/core/random.hpp"
#include "forma/core/scalar.hpp"
#include "forma/core/share.hpp"
#include "forma/core/shape.hpp"
#include "forma/core/tensor.hpp"
#include "forma/kernels/backend.hpp"
#include "forma/layers/input.hpp"
#include "forma/layers/layer_concepts.hpp"
#include "forma/layers/layer_state.hpp"
#include "forma/layers/shape_inference.hpp"
#include "forma/model/executor.hpp"

#ifndef FORMA_MAX_STACK_WORKSPACE_BYTES
// The most a convenience predict puts on the caller's stack; larger
// workspaces must be passed in (Network::workspace<B>).
#define FORMA_MAX_STACK_WORKSPACE_BYTES (128 * 1024)
#endif

namespace forma {

namespace detail {
// f.operator()<0, 1, ..., N - 1>(): walks a layer list with a pack instead of
// recursion.
template <std::size_t N, class F>
constexpr auto with_indices(F f) {
  return [&]<std::size_t... K>(std::index_sequence<K...>) { return f.template operator()<K...>(); }(
      std::make_index_sequence<N>{});
}
}  // namespace detail

template <Scalar T, class In, Layer... Ls>
class Network {
  static_assert(is_input<In>, "forma::Network needs an Input<...> as its first layer");
  using chain = layer_chain<T, typename declared_shape<In>::type, Ls...>;

 public:
  using value_type = T;
  using input_layer = In;
  using input_shape = typename declared_shape<In>::type;
  using output_shape = typename chain::output_shape;
  static constexpr std::size_t layer_count = sizeof...(Ls);

  template <std::size_t K>
  using layer_type = std::tuple_element_t<K, std::tuple<Ls...>>;
  template <std::size_t K>
  using layer_input_shape = typename chain::template shape<K>;
  template <std::size_t K>
  using layer_output_shape = typename chain::template shape<K + 1>;
  // Layer K built for its input shape: its parameters and kernels.
  template <std::size_t K>
  using bound_layer = typename layer_type<K>::template bind<layer_input_shape<K>, T>;

  // The same architecture in another scalar type (gradient checks use double).
  template <Scalar U>
  using rebind = Network<U, In, Ls...>;

  static constexpr bool is_functional = false;
  static constexpr bool is_graph = false;
  static constexpr bool valid = chain::valid;

  // The chain as a graph (model/plan.hpp): one input, value 0; layer K
  // reads value K and writes value K + 1.
  static constexpr std::size_t input_count = 1;
  template <std::size_t K>
  using node_inputs = std::index_sequence<K>;
  template <std::size_t V>
  using value_shape = typename chain::template shape<V>;
  template <std::size_t I>
  using input_shape_of = input_shape;

 private:
  // Calls f.operator()<0, 1, ..., layer_count - 1>(), or returns `otherwise`
  // for a model whose declaration is already an error (so that no layer is
  // built on an invalid shape and one mistake stays one diagnostic).
  template <class F, class R = std::size_t>
  static constexpr auto over_layers(F f, R otherwise = 0) {
    if constexpr (valid)
      return detail::with_indices<layer_count>(f);
    else
      return otherwise;
  }

  template <std::size_t... K>
  struct params_of {
    using type = std::tuple<typename bound_layer<K>::params...>;
    using state = std::tuple<state_of_t<bound_layer<K>>...>;
  };
  template <std::size_t... K>
  static auto params_tuple_of(std::index_sequence<K...>) -> params_of<K...>;
  struct no_layers {
    using type = std::tuple<>;
    using state = std::tuple<>;
  };
  using layer_tuples =
      std::conditional_t<valid, decltype(params_tuple_of(std::make_index_sequence<layer_count>{})), no_layers>;
  using params_tuple = typename layer_tuples::type;

  static_assert(over_layers([]<std::size_t... K>() { return (BoundLayer<bound_layer<K>> && ...); }, true),
                "forma: a layer's bind<In, T> does not model forma::BoundLayer (see the README's custom layer)");

 public:
  static constexpr std::size_t param_count =
      over_layers([]<std::size_t... K>() { return (std::size_t{0} + ... + bound_layer<K>::param_count); });
  static constexpr std::size_t param_bytes = param_count * sizeof(T);
  // Non-trainable values (layers/layer_state.hpp): saved, never trained.
  static constexpr std::size_t state_count =
      over_layers([]<std::size_t... K>() { return (std::size_t{0} + ... + state_count_of<bound_layer<K>>); });
  static constexpr std::size_t state_bytes = state_count * sizeof(T);
  // Multiply-adds count two; activations are not counted.
  static constexpr std::size_t forward_flops =
      over_layers([]<std::size_t... K>() { return (std::size_t{0} + ... + bound_layer<K>::forward_flops); });

  // Activations of one forward pass on B rows: two ping-pong buffers sized
  // for the widest intermediate layer (model/executor.hpp). predict takes
  // one from the caller, or makes one on the stack when it is small.
  template <std::size_t B>
  using workspace = forward_workspace<Network, B>;
  template <std::size_t B>
  static constexpr std::size_t workspace_bytes = sizeof(workspace<B>);

  // The parameters of every layer, one element per layer (empty for layers
  // without any). Gradients and optimizer state are objects of this type.
  using params_type = params_tuple;
  params_type& params() noexcept { return params_; }
  const params_type& params() const noexcept { return params_; }
  // Each layer's non-trainable state (no_state for most).
  using state_type = typename layer_tuples::state;
  state_type& state() noexcept { return state_; }
  const state_type& state() const noexcept { return state_count > 0 ? state_ : stateless_; }

  Network() { over_layers([&]<std::size_t... K>() { (init_state<bound_layer<K>>(std::get<K>(state_)), ...); }); }

  // Keras' initializers (Glorot-uniform kernels, zero biases), drawn from a
  // specified generator: the same seed gives the same weights everywhere.
  // The state starts over too (BatchNormalization: mean 0, variance 1).
  void init(std::uint64_t seed) noexcept {
    SplitMix64 rng(seed);
    over_layers([&]<std::size_t... K>() {
      (bound_layer<K>::init(std::get<K>(params_), rng), ...);
      (init_state<bound_layer<K>>(std::get<K>(state_)), ...);
    });
  }

  // Parameters of layer K (0 is the first layer after Input), in Keras' layout.
  template <std::size_t K>
  auto& layer() noexcept { return std::get<K>(params_); }
  template <std::size_t K>
  const auto& layer() const noexcept { return std::get<K>(params_); }
  template <std::size_t K>
  auto& layer_state() noexcept { return std::get<K>(state_); }
  template <std::size_t K>
  const auto& layer_state() const noexcept { return std::get<K>(state_); }

  // One sample. Const, allocation-free and free of shared state: safe to call
  // from several threads at once.
  template <class S, class U>
  Tensor<output_shape, T> predict(const Tensor<S, U>& x) const noexcept {
    return predict_on(params_, state(), x);
  }
  // Many samples in batches of B; returns how many were predicted,
  // min(xs.size(), ys.size()). A last partial batch runs in the same buffers.
  template <std::size_t B>
  std::size_t predict(std::span<const Tensor<input_shape, T>> xs, std::span<Tensor<output_shape, T>> ys,
                      workspace<B>& ws) const noexcept {
    return predict_on<B>(params_, state(), xs, ys, ws);
  }
  // The same on the threads of a pool (forma::ThreadPool, or anything with
  // size() and run(f) calling f(i) for i below size()): each batch's rows
  // are shared among them. The results are those of one thread, exactly.
  template <std::size_t B, class Pool>
    requires requires(Pool& pool) { pool.size(); }
  std::size_t predict(std::span<const Tensor<input_shape, T>> xs, std::span<Tensor<output_shape, T>> ys,
                      workspace<B>& ws, Pool& pool) const noexcept {
    const std::size_t n = std::min(xs.size(), ys.size());
    for (std::size_t i = 0; i < n; i += B) {
      const std::size_t rows = std::min(B, n - i);
      auto job = [&, rows, i](std::size_t t) noexcept {
        const share part = share_of(rows, 1, t, pool.size());
        if (part.begin < part.end)
          executor::forward<Network, kernels::native>(params_, state(), part.end - part.begin,
                                                      std::array<const T*, 1>{xs[i + part.begin].data()},
                                                      ys[i + part.begin].data(), ws.slots_from(part.begin));
      };
      pool.run(job);
    }
    return n;
  }
  // The same with the workspace on the stack, where it is small enough.
  template <std::size_t B>
  std::size_t predict(std::span<const Tensor<input_shape, T>> xs,
                      std::span<Tensor<output_shape, T>> ys) const noexcept {
    return predict_on<B>(params_, state(), xs, ys);
  }

  // The forward pass on `rows` (at most B) rows: x holds rows of the input
  // shape, y receives rows of the output shape, both with padded row strides
  // (as arrays of Tensor have). Backend picks the kernels (tests compare them).
  template <class Backend, std::size_t B>
  void forward(std::size_t rows, const T* x, T* y, workspace<B>& ws) const noexcept {
    forward_on<Backend, B>(params_, state(), rows, x, y, ws);
  }

  // The same with the input as the executors pass it (one pointer per input).
  template <class Backend, std::size_t B>
  void forward(std::size_t rows, const std::array<const T*, 1>& x, T* y, workspace<B>& ws) const noexcept {
    forward_on<Backend, B>(params_, state(), rows, x[0], y, ws);
  }

  // The same on parameters and state held elsewhere (ModelView: weights
  // compiled into read-only memory).
  template <class S, class U>
  static Tensor<output_shape, T> predict_on(const params_type& p, const state_type& s,
                                            const Tensor<S, U>& x) noexcept {
    static_assert(same_shape<S, input_shape>, "forma: predict needs a tensor of the model's input shape");
    static_assert(std::is_same_v<U, T>, "forma: predict needs a tensor of the model's scalar type");
    Tensor<output_shape, T> y;
    if constexpr (same_shape<S, input_shape> && std::is_same_v<U, T>) {
      workspace<1> ws;
      forward_on<kernels::native, 1>(p, s, 1, x.data(), y.data(), ws);
    }
    return y;
  }
  template <std::size_t B>
  static std::size_t predict_on(const params_type& p, const state_type& s,
                                std::span<const Tensor<input_shape, T>> xs, std::span<Tensor<output_shape, T>> ys,
                                workspace<B>& ws) noexcept {
    const std::size_t n = std::min(xs.size(), ys.size());
    for (std::size_t i = 0; i < n; i += B)
      forward_on<kernels::native, B>(p, s, std::min(B, n - i), xs[i].data(), ys[i].data(), ws);
    return n;
  }
  template <std::size_t B>
  static std::size_t predict_on(const params_type& p, const state_type& s,
                                std::span<const Tensor<input_shape, T>> xs,
                                std::span<Tensor<output_shape, T>> ys) noexcept {
    static_assert(workspace_bytes<B> <= FORMA_MAX_STACK_WORKSPACE_BYTES,
                  "forma: this batch size needs a workspace too large for the stack; pass a workspace<B>");
    workspace<B> ws;
    return predict_on<B>(p, s, xs, ys, ws);
  }
  template <class Backend, std::size_t B>
  static void forward_on(const params_type& p, const state_type& s, std::size_t rows, const T* x, T* y,
                         workspace<B>& ws) noexcept {
    executor::forward<Network, Backend>(p, s, rows, std::array<const T*, 1>{x}, y, ws.slots_from(0));
  }

 private:
  params_tuple params_{};
  state_type state_{};
  // What a model without state reads (g++ 12 warns that an empty object
  // never written is read when one is passed by reference).
  static constexpr state_type stateless_{};
};

// Placeholder base for a model whose declaration is already an error, so one
// mistake gives one diagnostic instead of a cascade.
struct invalid_network {
  static constexpr bool valid = false;
  static constexpr bool is_graph = false;
  static constexpr std::size_t param_count = 0;
  static constexpr std::size_t param_bytes = 0;
};

}  // namespace forma
