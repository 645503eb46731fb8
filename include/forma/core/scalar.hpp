#pragma once
// The scalar types a model computes in, and the row padding every buffer uses.
#include <concepts>
#include <cstddef>

namespace forma {

template <class T>
concept Scalar = std::same_as<T, float> || std::same_as<T, double>;

// Rows of every buffer start on a 64-byte boundary and hold a whole number of
// 64-byte lines, so any SIMD width up to 512 bits loads and stores them
// aligned and without a tail.
inline constexpr std::size_t row_alignment = 64;

template <class T>
inline constexpr std::size_t lanes_per_row_unit = row_alignment / sizeof(T);

template <class T>
constexpr std::size_t padded(std::size_t n) {
  constexpr std::size_t w = lanes_per_row_unit<T>;
  return (n + w - 1) / w * w;
}

}  // namespace forma
