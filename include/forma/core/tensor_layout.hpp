#pragma once
// tensor_layout: where one tensor of a layer lies in its parameter storage,
// so that weights are saved in Keras' layouts without forma's row padding.
// A layer with weights lists its tensors (bind<In, T>::tensors); io/ reads
// them (io/tensor_layout.hpp).
#include <array>
#include <cstddef>
#include <string_view>

namespace forma {

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

}  // namespace forma
