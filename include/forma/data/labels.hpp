#pragma once
// Class labels in the two forms the losses take: one-hot Tensors
// (to_categorical, for CategoricalCrossentropy) and std::uint32_t class
// indices (class_indices, for SparseCategoricalCrossentropy).
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <ranges>
#include <string>
#include <type_traits>
#include <vector>

#include "forma/core/scalar.hpp"
#include "forma/core/shape.hpp"
#include "forma/core/tensor.hpp"
#include "forma/data/data_error.hpp"

namespace forma::data {

template <class R>
concept LabelRange = std::ranges::sized_range<R> && std::integral<std::ranges::range_value_t<R>> &&
                     !std::same_as<std::ranges::range_value_t<R>, bool>;

namespace detail {

template <std::size_t N, class V>
std::size_t checked_class(V label, std::size_t index, const char* who) {
  bool ok = true;
  if constexpr (std::is_signed_v<V>) ok = label >= 0;
  if (!ok || static_cast<std::uintmax_t>(label) >= N)
    throw data_error(std::string("forma::data::") + who + ": label " + std::to_string(label) + " at index " +
                     std::to_string(index) + " is not a class below " + std::to_string(N));
  return static_cast<std::size_t>(label);
}

}  // namespace detail

// Keras' to_categorical: label k becomes a Tensor<Shape<N>> with a 1 at k.
template <std::size_t N, Scalar T = float, LabelRange R>
std::vector<Tensor<Shape<N>, T>> to_categorical(const R& labels) {
  std::vector<Tensor<Shape<N>, T>> out(std::ranges::size(labels));
  std::size_t i = 0;
  for (const auto label : labels) {
    out[i][detail::checked_class<N>(label, i, "to_categorical")] = T(1);
    ++i;
  }
  return out;
}

// The labels as class indices below N, as sparse losses take them.
template <std::size_t N, LabelRange R>
std::vector<std::uint32_t> class_indices(const R& labels) {
  std::vector<std::uint32_t> out(std::ranges::size(labels));
  std::size_t i = 0;
  for (const auto label : labels) {
    out[i] = static_cast<std::uint32_t>(detail::checked_class<N>(label, i, "class_indices"));
    ++i;
  }
  return out;
}

}  // namespace forma::data
