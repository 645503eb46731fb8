#pragma once
// The compile-time plan of a model's graph: which buffer each value of a
// forward pass lives in, and, for training, which values need a gradient,
// which buffer it gathers in and which consumer writes it first. A chain is
// the common case (two buffers, taken in turn); a graph gets as many as the
// values alive at once need.
//
// Values are numbered as the executors see them: 0 .. inputs-1 the model's
// inputs, inputs + K the output of node K (nodes in a runnable order). A
// model type describes its graph with input_count, layer_count,
// node_inputs<K> (a std::index_sequence of the values node K reads) and
// bound_layer<K> (is_view: the node renames its input's data).
#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>

namespace forma::plan {

inline constexpr std::size_t none = static_cast<std::size_t>(-1);

template <std::size_t I, std::size_t N, std::size_t A>
struct graph_desc {
  static constexpr std::size_t inputs = I, nodes = N, values = I + N, max_arity = A;
  std::array<std::size_t, N> arity{};
  std::array<std::array<std::size_t, A>, N> reads{};  // values node K reads
  std::array<bool, N> view{};
  std::array<bool, N> has_params{};
};

template <class Net>
constexpr std::size_t max_arity() {
  return [&]<std::size_t... K>(std::index_sequence<K...>) {
    std::size_t a = 1;
    ((a = std::max(a, Net::template node_inputs<K>::size())), ...);
    return a;
  }(std::make_index_sequence<Net::layer_count>{});
}

template <class Net, std::size_t K, class G, std::size_t... V>
constexpr void describe_node(G& g, std::index_sequence<V...>) {
  const std::size_t reads[] = {V...};
  g.arity[K] = sizeof...(V);
  for (std::size_t j = 0; j < sizeof...(V); ++j) g.reads[K][j] = reads[j];
  g.view[K] = Net::template bound_layer<K>::is_view;
  g.has_params[K] = Net::template bound_layer<K>::param_count > 0;
}

template <class Net>
constexpr auto describe() {
  graph_desc<Net::input_count, Net::layer_count, max_arity<Net>()> g;
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (describe_node<Net, K>(g, typename Net::template node_inputs<K>{}), ...);
  }(std::make_index_sequence<Net::layer_count>{});
  return g;
}

// Inference: each node that computes writes a buffer slot no value still to
// be read occupies; a view shares its input's storage; the last node writes
// the caller's output. owner[v] is the value whose storage v is.
template <std::size_t I, std::size_t N>
struct forward_plan {
  std::array<std::size_t, I + N> owner{};
  std::array<std::size_t, N> slot{};  // none for views and the last node
  std::size_t slots = 0;
};

template <std::size_t I, std::size_t N, std::size_t A>
constexpr forward_plan<I, N> plan_forward(const graph_desc<I, N, A>& g) {
  forward_plan<I, N> p;
  std::array<std::size_t, I + N> last_read{};
  for (std::size_t v = 0; v < I; ++v) p.owner[v] = v;
  for (std::size_t k = 0; k < N; ++k) p.owner[I + k] = g.view[k] ? p.owner[g.reads[k][0]] : I + k;
  for (std::size_t k = 0; k < N; ++k)
    for (std::size_t j = 0; j < g.arity[k]; ++j) last_read[p.owner[g.reads[k][j]]] = k;
  std::array<std::size_t, I + N> holder{};  // the value in each slot
  for (std::size_t k = 0; k < N; ++k) {
    p.slot[k] = none;
    if (g.view[k] || k + 1 == N) continue;
    std::size_t s = 0;
    while (s < p.slots && last_read[holder[s]] >= k) ++s;
    if (s == p.slots) ++p.slots;
    holder[s] = I + k;
    p.slot[k] = s;
  }
  return p;
}

// Training's backward pass, last node first. A value needs a gradient when
// parameters lie at or before it. Its gradient gathers in a delta slot
// opened by its first consumer (in backward order) and freed once its own
// node has run. A view that is its input's only consumer passes its slot on;
// a one-input layer whose input gradient must be added to another's writes
// it into a scratch slot first (merges and views add in place).
template <std::size_t I, std::size_t N, std::size_t A>
struct backward_plan {
  std::array<bool, I + N> needs{};
  std::array<std::size_t, I + N> delta{};                // slot of each value's gradient
  std::array<std::array<bool, A>, N> first{};             // node K writes input j's gradient first
  std::array<bool, N> alias{};                            // a view passing its slot on: no work
  std::array<std::size_t, N> scratch{};                   // slot for an input gradient to add
  std::size_t slots = 0;
};

template <std::size_t I, std::size_t N, std::size_t A>
constexpr backward_plan<I, N, A> plan_backward(const graph_desc<I, N, A>& g) {
  backward_plan<I, N, A> p;
  std::array<std::size_t, I + N> consumers{};
  for (std::size_t k = 0; k < N; ++k) {
    bool any = g.has_params[k];
    for (std::size_t j = 0; j < g.arity[k]; ++j) {
      any = any || p.needs[g.reads[k][j]];
      ++consumers[g.reads[k][j]];
    }
    p.needs[I + k] = any;
  }
  std::array<bool, 64> used{};
  auto take = [&] {
    std::size_t s = 0;
    while (used[s]) ++s;
    used[s] = true;
    p.slots = std::max(p.slots, s + 1);
    return s;
  };
  std::array<bool, I + N> open{};
  for (std::size_t v = 0; v < I + N; ++v) p.delta[v] = none;
  for (std::size_t k = 0; k < N; ++k) p.scratch[k] = none;
  if (N == 0 || !p.needs[I + N - 1]) return p;
  p.delta[I + N - 1] = take();  // the loss's gradient
  open[I + N - 1] = true;
  for (std::size_t k = N; k-- > 0;) {
    if (!p.needs[I + k]) continue;
    const std::size_t mine = p.delta[I + k];
    bool passed_on = false;
    for (std::size_t j = 0; j < g.arity[k]; ++j) {
      const std::size_t u = g.reads[k][j];
      if (!p.needs[u]) continue;
      if (open[u]) {
        p.first[k][j] = false;
        if (!g.view[k] && g.arity[k] == 1 && p.scratch[k] == none) p.scratch[k] = take();
      } else {
        p.first[k][j] = true;
        open[u] = true;
        if (g.view[k] && consumers[u] == 1) {
          p.alias[k] = true;
          p.delta[u] = mine;
          passed_on = true;
        } else {
          p.delta[u] = take();
        }
      }
    }
    if (p.scratch[k] != none) used[p.scratch[k]] = false;
    if (!passed_on) used[mine] = false;
  }
  return p;
}

// The plans of a model type, made where they are first used (the model is
// complete there).
template <class Net>
struct of {
  static constexpr auto graph = describe<Net>();
  static constexpr auto forward = plan_forward(graph);
  static constexpr auto backward = plan_backward(graph);
};

}  // namespace forma::plan
