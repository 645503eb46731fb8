#pragma once
// named_tensors<Model>(params, prefix): every tensor of a model's parameters
// (or of an object of its params_type: gradients, optimizer moments) under
// Keras' names, in layer order: dense.kernel, dense.bias, dense_1.kernel, ...
// with `prefix` before each ("optimizer.m." gives optimizer.m.dense.kernel).
// model_tensors(model): what a weights file holds, each layer's parameters
// followed by its non-trainable state, as Keras lists a layer's weights
// (batch_normalization.gamma, .beta, .moving_mean, .moving_variance).
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "forma/io/tensor_layout.hpp"
#include "forma/layers/layer_state.hpp"
#include "forma/model/summary.hpp"

namespace forma::io {

// A tensor of a model, in place: T is the scalar type, const for reading.
template <class T>
struct named_tensor {
  std::string name;
  tensor_layout layout;
  T* values = nullptr;  // the layer's params.values().data()

  T* row(std::size_t r) const noexcept { return values + layout.offset + r * layout.row_stride; }
  std::vector<std::uint64_t> shape() const {
    return std::vector<std::uint64_t>(layout.dims.begin(), layout.dims.begin() + layout.rank);
  }
};

namespace detail {

template <class Net, std::size_t K>
using layer_layout =
    param_layout<typename Net::template layer_type<K>, typename Net::template layer_input_shape<K>,
                 typename Net::value_type>;

template <class Net, std::size_t K>
constexpr bool layout_fits() {
  using bound = typename Net::template bound_layer<K>;
  std::size_t count = 0;
  bool fits = true;
  for (const tensor_layout& t : layer_layout<Net, K>::tensors) {
    count += t.size();
    fits = fits && t.rank <= t.dims.size() && (t.rank <= 1 || t.row_stride >= t.cols());
    // values() lies within the params object.
    fits = fits && t.extent() * sizeof(typename Net::value_type) <= sizeof(typename bound::params);
  }
  return fits && count == bound::param_count;
}

template <class Net, std::size_t K>
constexpr bool state_layout_fits() {
  using bound = typename Net::template bound_layer<K>;
  std::size_t count = 0;
  bool fits = true;
  for (const tensor_layout& t : state_tensors_of<bound>) {
    count += t.size();
    fits = fits && t.rank <= t.dims.size() && (t.rank <= 1 || t.row_stride >= t.cols());
    fits = fits && t.extent() * sizeof(typename Net::value_type) <= sizeof(state_of_t<bound>);
  }
  return fits && count == state_count_of<bound>;
}

}  // namespace detail

// Params is Net::params_type, const or not.
template <class Net, class Params>
auto named_tensors(Params& params, std::string_view prefix = {}) {
  static_assert(std::is_same_v<std::remove_const_t<Params>, typename Net::params_type>,
                "forma::io::named_tensors needs an object of the model's params_type");
  using T = std::conditional_t<std::is_const_v<Params>, const typename Net::value_type, typename Net::value_type>;
  std::vector<named_tensor<T>> out;
  std::map<std::string, int> seen;
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (
        [&] {
          const std::string layer = forma::detail::keras_layer_name(Net::template layer_type<K>::name, seen);
          constexpr auto& layouts = detail::layer_layout<Net, K>::tensors;
          if constexpr (layouts.size() > 0) {
            static_assert(detail::layout_fits<Net, K>(),
                          "forma::io: a param_layout does not cover its layer's parameters exactly once");
            T* values = std::get<K>(params).values().data();
            for (const tensor_layout& t : layouts)
              out.push_back({std::string(prefix) + layer + "." + std::string(t.suffix), t, values});
          }
        }(),
        ...);
  }(std::make_index_sequence<Net::layer_count>{});
  return out;
}

// Model is Net, const or not.
template <class Model>
auto model_tensors(Model& model) {
  using Net = std::remove_const_t<Model>;
  using T = std::conditional_t<std::is_const_v<Model>, const typename Net::value_type, typename Net::value_type>;
  std::vector<named_tensor<T>> out;
  std::map<std::string, int> seen;
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (
        [&] {
          const std::string layer = forma::detail::keras_layer_name(Net::template layer_type<K>::name, seen);
          constexpr auto& layouts = detail::layer_layout<Net, K>::tensors;
          if constexpr (layouts.size() > 0) {
            static_assert(detail::layout_fits<Net, K>(),
                          "forma::io: a param_layout does not cover its layer's parameters exactly once");
            T* values = std::get<K>(model.params()).values().data();
            for (const tensor_layout& t : layouts) out.push_back({layer + "." + std::string(t.suffix), t, values});
          }
          using bound = typename Net::template bound_layer<K>;
          if constexpr (has_state<bound>) {
            static_assert(detail::state_layout_fits<Net, K>(),
                          "forma::io: a layer's state_tensors do not cover its state exactly once");
            T* values = std::get<K>(model.state()).values().data();
            for (const tensor_layout& t : state_tensors_of<bound>)
              out.push_back({layer + "." + std::string(t.suffix), t, values});
          }
        }(),
        ...);
  }(std::make_index_sequence<Net::layer_count>{});
  return out;
}

}  // namespace forma::io
