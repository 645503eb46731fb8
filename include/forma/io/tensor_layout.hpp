#pragma once
// Where a layer's tensors lie in its parameter storage, so that weights are
// saved in Keras' layouts without forma's row padding.
//
// param_layout<Layer, In, T>::tensors lists them for Layer built on input
// shape In in scalar type T: each tensor's name suffix ("kernel" becomes
// "dense_1.kernel"), its shape, and where its rows start in params.values().
// A layer describes them itself, in its bind<In, T>:
//
//   static constexpr std::array<forma::tensor_layout, 1> tensors{{{"kernel", 2, {In::size, 8}, 0, 16}}};
//
// Layers without parameters have none (Flatten, the merges); Named<Id, L>
// has L's. (Specialising param_layout still works, for a layer whose header
// cannot be changed.)
#include <array>
#include <cstddef>
#include <string_view>

#include "forma/core/tensor_layout.hpp"
#include "forma/layers/named.hpp"

namespace forma::io {

using forma::tensor_layout;

// The tensors a built layer lists (bind<In, T>::tensors, as Dense does),
// or none for a layer without weights.
template <class L, class In, class T>
struct param_layout {
  using bound = typename L::template bind<In, T>;
  static constexpr auto tensors = [] {
    if constexpr (requires { bound::tensors; }) {
      return bound::tensors;
    } else {
      static_assert(bound::param_count == 0,
                    "forma::io cannot save this layer's parameters; give its bind a static constexpr "
                    "std::array<forma::tensor_layout, N> tensors (see forma/core/tensor_layout.hpp)");
      return std::array<tensor_layout, 0>{};
    }
  }();
};

template <std::size_t Id, class L, class In, class T>
struct param_layout<Named<Id, L>, In, T> : param_layout<L, In, T> {};

}  // namespace forma::io
