#pragma once
// Shape<Dims...>: a tensor's dimensions as a type, and the compile-time
// predicates that layers use in their static_asserts (written as variable
// templates so that the compiler prints the shapes in a failed condition).
#include <array>
#include <cstddef>
#include <string>
#include <type_traits>

namespace forma {

template <std::size_t... Dims>
struct Shape {
  static constexpr std::size_t rank = sizeof...(Dims);
  static constexpr std::size_t size = (std::size_t{1} * ... * Dims);
  static constexpr std::array<std::size_t, rank> dims{Dims...};
};

// The shape of something whose shape check already failed. Layers after it
// accept it silently, so one mistake prints one diagnostic.
struct invalid_shape {
  static constexpr std::size_t rank = 0;
  static constexpr std::size_t size = 0;
};

// The shapes of a merge layer's inputs, in order: a merge is built with
// bind<ShapeList<A, B>, T> where a one-input layer gets bind<A, T>.
template <class... Shapes>
struct ShapeList {
  static constexpr std::size_t count = sizeof...(Shapes);
};

template <class S>
inline constexpr bool is_shape = false;
template <std::size_t... Dims>
inline constexpr bool is_shape<Shape<Dims...>> = true;

template <class S>
inline constexpr bool is_invalid_shape = std::is_same_v<S, invalid_shape>;

template <class S, std::size_t Rank>
inline constexpr bool rank_is = S::rank == Rank;

template <class S>
inline constexpr bool all_dims_positive = false;
template <std::size_t... Dims>
inline constexpr bool all_dims_positive<Shape<Dims...>> = ((Dims > 0) && ...);

template <class A, class B>
inline constexpr bool same_shape = std::is_same_v<A, B>;

// Shape<Dims..., Last> as (Dims..., Last); used by the activations that act
// along the last axis.
template <class S>
inline constexpr std::size_t last_dim = S::dims[S::rank - 1];

// Keras prints shapes with a leading batch dimension: "(None, 32, 32, 3)".
template <class S>
std::string shape_string() {
  std::string s = "(None";
  for (std::size_t d : S::dims) s += ", " + std::to_string(d);
  return s + ")";
}

}  // namespace forma
