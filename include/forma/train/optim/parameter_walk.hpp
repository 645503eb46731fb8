#pragma once
// Walks the parameter arrays of a model's params_type (a tuple with one
// element per layer) together with the arrays of gradients and optimizer
// state of the same type: f(w, g, s..., n) for every layer with parameters.
#include <cstddef>
#include <span>
#include <type_traits>
#include <tuple>
#include <utility>

namespace forma::optim::detail {

template <class P>
concept has_values = requires(P& p) { p.values(); };

template <std::size_t K, class Params, class F, class... States>
void visit_layer_parameters(Params& w, const Params& g, F& f, States&... s) {
  auto& wk = std::get<K>(w);
  if constexpr (has_values<std::remove_reference_t<decltype(wk)>>) {
    const auto wv = wk.values();
    f(wv.data(), std::get<K>(g).values().data(), std::get<K>(s).values().data()..., wv.size());
  }
}

// (A function per layer rather than a lambda in the fold: a pattern naming
// both the layer index pack and the state pack would expand them together.)
template <class Params, class F, class... States>
void for_each_parameter_array(Params& w, const Params& g, F&& f, States&... s) {
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (visit_layer_parameters<K>(w, g, f, s...), ...);
  }(std::make_index_sequence<std::tuple_size_v<Params>>{});
}

}  // namespace forma::optim::detail
