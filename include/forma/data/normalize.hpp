#pragma once
// normalize: bytes to the model's scalars in [0, 1], Keras' x / 255.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "forma/core/scalar.hpp"
#include "forma/core/tensor.hpp"
#include "forma/data/image_set.hpp"

namespace forma::data {

namespace detail {

// x / 255 for every byte, each correctly rounded (51 gives exactly 0.2f).
template <Scalar T>
inline constexpr std::array<T, 256> unit_scale = [] {
  std::array<T, 256> t{};
  for (std::size_t i = 0; i < 256; ++i) t[i] = static_cast<T>(i) / T(255);
  return t;
}();

}  // namespace detail

// One Tensor<S, T> per image, each element pixel / 255.
template <Scalar T = float, class S>
std::vector<Tensor<S, T>> normalize(const ImageSet<S>& images) {
  std::vector<Tensor<S, T>> out(images.size());
  const auto& scale = detail::unit_scale<T>;
  for (std::size_t i = 0; i < images.size(); ++i) {
    const auto src = images.image(i);
    T* dst = out[i].data();
    for (std::size_t k = 0; k < S::size; ++k) dst[k] = scale[src[k]];
  }
  return out;
}

}  // namespace forma::data
