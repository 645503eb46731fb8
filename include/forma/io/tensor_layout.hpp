#pragma once
// Where a layer's tensors lie in its parameter storage, so that weights are
// saved in Keras' layouts without forma's row padding.
//
// param_layout<Layer, In, T>::tensors lists them for Layer built on input
// shape In in scalar type T: each tensor's name suffix ("kernel" becomes
// "dense_1.kernel"), its shape, and where its rows start in params.values().
// Layers without parameters have none (Flatten, the merges); Named<Id, L>
// has L's. A custom layer with parameters
// specialises it:
//
//   template <class In, class T>
//   struct forma::io::param_layout<MyLayer, In, T> {
//     static constexpr std::array<forma::io::tensor_layout, 1> tensors{{{"kernel", 2, {In::size, 8}, 0, 16}}};
//   };
#include <array>
#include <cstddef>
#include <string_view>

#include "forma/layers/dense.hpp"
#include "forma/layers/named.hpp"

namespace forma::io {

// One tensor in a layer's values(): a row-major array of shape
// dims[0..rank), whose last dimension is contiguous and whose rows
// (everything before the last dimension) start row_stride elements apart;
// the elements between a row's end and the next row's start are padding
// and are neither saved nor loaded.
struct tensor_layout {
  std::string_view suffix;
  std::size_t rank = 0;
  std::array<std::size_t, 4> dims{};
  std::size_t offset = 0;
  std::size_t row_stride = 0;

  constexpr std::size_t cols() const noexcept { return rank == 0 ? 1 : dims[rank - 1]; }
  constexpr std::size_t rows() const noexcept {
    std::size_t r = 1;
    for (std::size_t i = 0; i + 1 < rank; ++i) r *= dims[i];
    return r;
  }
  constexpr std::size_t size() const noexcept { return rows() * cols(); }
  // One past the last element it touches in values().
  constexpr std::size_t extent() const noexcept {
    return size() == 0 ? offset : offset + (rows() - 1) * row_stride + cols();
  }
};

template <class L, class In, class T>
struct param_layout {
  static_assert(L::template bind<In, T>::param_count == 0,
                "forma::io cannot save this layer's parameters; specialise forma::io::param_layout<Layer, In, T> "
                "for it (see forma/io/tensor_layout.hpp)");
  static constexpr std::array<tensor_layout, 0> tensors{};
};

// Dense: kernel [inputs, units] (rows padded to units_padded), then bias
// [units]: Keras' layouts.
template <std::size_t Units, class Act, class In, class T>
struct param_layout<Dense<Units, Act>, In, T> {
  using bound = typename Dense<Units, Act>::template bind<In, T>;
  static constexpr std::array<tensor_layout, 2> tensors{{
      {"kernel", 2, {bound::inputs, Units}, 0, bound::units_padded},
      {"bias", 1, {Units}, bound::params::kernel_size, Units},
  }};
};

template <std::size_t Id, class L, class In, class T>
struct param_layout<Named<Id, L>, In, T> : param_layout<L, In, T> {};

}  // namespace forma::io
