#pragma once
// The inference forward pass of any model type, chain or graph: predict,
// evaluate and ModelView all run it. Each node reads the values its plan
// names and writes the buffer slot the plan gives it (model/plan.hpp); a
// chain uses two slots in turn, as a ping-pong pair.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <tuple>
#include <utility>

#include "forma/core/scalar.hpp"
#include "forma/layers/layer_state.hpp"
#include "forma/model/plan.hpp"

namespace forma {

// The activations of one forward pass of Net on B rows: as many slots as the
// plan keeps values alive at once, each as wide as the widest value kept in
// one. Instantiated where it is used, where the model type is complete.
template <class Net, std::size_t B>
struct forward_workspace {
  static_assert(B > 0, "forma: a batch size must be above zero");
  using T = typename Net::value_type;
  static constexpr auto& slots_plan = plan::of<Net>::forward;
  static constexpr std::size_t slot_count = std::max<std::size_t>(slots_plan.slots, 1);
  static constexpr std::size_t slot_stride = []<std::size_t... K>(std::index_sequence<K...>) {
    std::size_t m = 1;
    ((m = slots_plan.slot[K] == plan::none
              ? m
              : std::max(m, padded<T>(Net::template layer_output_shape<K>::size))),
     ...);
    return m;
  }(std::make_index_sequence<Net::layer_count>{});
  alignas(row_alignment) T buffers[slot_count][B * slot_stride];

  // The slots from row `first` on (threads sharing a batch by rows).
  std::array<T*, slot_count> slots_from(std::size_t first) noexcept {
    std::array<T*, slot_count> s{};
    for (std::size_t i = 0; i < slot_count; ++i) s[i] = buffers[i] + first * slot_stride;
    return s;
  }
};

namespace executor {

template <class Net, std::size_t K>
inline constexpr std::size_t first_input = []<std::size_t V, std::size_t... Vs>(std::index_sequence<V, Vs...>) {
  return V;
}(typename Net::template node_inputs<K>{});

template <class Net, std::size_t K, class Backend, class Params, class State, class T, std::size_t Slots>
void forward_node(const Params& p, const State& s, std::size_t rows,
                  std::array<const T*, Net::input_count + Net::layer_count>& values, T* y,
                  const std::array<T*, Slots>& slots) noexcept {
  using bound = typename Net::template bound_layer<K>;
  constexpr std::size_t v = Net::input_count + K;
  if constexpr (bound::is_view) {
    values[v] = values[first_input<Net, K>];
  } else {
    T* dst = y;
    if constexpr (K + 1 < Net::layer_count) dst = slots[plan::of<Net>::forward.slot[K]];
    if constexpr (Net::template node_inputs<K>::size() == 1) {
      constexpr std::size_t u = first_input<Net, K>;
      forward_with_state<bound, Backend, padded<T>(Net::template value_shape<u>::size)>(
          std::get<K>(p), std::get<K>(s), rows, values[u], dst);
    } else {
      [&]<std::size_t... V>(std::index_sequence<V...>) {
        bound::template forward<Backend>(std::get<K>(p), rows, std::array<const T*, sizeof...(V)>{values[V]...}, dst);
      }(typename Net::template node_inputs<K>{});
    }
    values[v] = dst;
  }
}

// Net's forward pass on `rows` rows: x[i] points at rows of input i, y
// receives rows of the output, all with padded row strides; slots are the
// workspace's buffers (from the first row this call computes).
template <class Net, class Backend, class T, std::size_t Slots>
void forward(const typename Net::params_type& p, const typename Net::state_type& s, std::size_t rows,
             const std::array<const T*, Net::input_count>& x, T* y, const std::array<T*, Slots>& slots) noexcept {
  std::array<const T*, Net::input_count + Net::layer_count> values{};
  for (std::size_t i = 0; i < Net::input_count; ++i) values[i] = x[i];
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (forward_node<Net, K, Backend>(p, s, rows, values, y, slots), ...);
  }(std::make_index_sequence<Net::layer_count>{});
  const T* out = values[Net::input_count + Net::layer_count - 1];
  if (out != y) std::memcpy(y, out, rows * padded<T>(Net::output_shape::size) * sizeof(T));
}

}  // namespace executor
}  // namespace forma
