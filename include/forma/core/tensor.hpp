#pragma once
// Tensor<Shape, T>: fixed-size, contiguous, 64-byte aligned storage.
#include <algorithm>
#include <cstddef>
#include <initializer_list>

#include "forma/core/scalar.hpp"
#include "forma/core/shape.hpp"

namespace forma {

template <class S, Scalar T = float>
class alignas(row_alignment) Tensor {
  static_assert(is_shape<S>, "forma::Tensor needs a forma::Shape<...> as its first argument");
  static_assert(all_dims_positive<S>, "forma::Tensor needs every dimension above zero");

 public:
  using shape = S;
  using value_type = T;
  static constexpr std::size_t rank = S::rank;
  // Elements in the tensor, and elements it occupies: the storage is padded to
  // whole 64-byte lines, so an array of tensors is a matrix with aligned rows.
  static constexpr std::size_t size = S::size;
  static constexpr std::size_t stride = padded<T>(S::size);

  constexpr Tensor() = default;
  constexpr Tensor(std::initializer_list<T> values) {
    std::copy_n(values.begin(), std::min(values.size(), size), v_);
  }
  static constexpr Tensor filled(T value) {
    Tensor t;
    std::fill_n(t.v_, size, value);
    return t;
  }

  constexpr T& operator[](std::size_t i) { return v_[i]; }
  constexpr const T& operator[](std::size_t i) const { return v_[i]; }

  // Row-major multi-index access: t(h, w, c) for a rank-3 tensor.
  template <class... I>
    requires(sizeof...(I) == rank && (std::is_convertible_v<I, std::size_t> && ...))
  constexpr T& operator()(I... idx) {
    return v_[flat_index(static_cast<std::size_t>(idx)...)];
  }
  template <class... I>
    requires(sizeof...(I) == rank && (std::is_convertible_v<I, std::size_t> && ...))
  constexpr const T& operator()(I... idx) const {
    return v_[flat_index(static_cast<std::size_t>(idx)...)];
  }

  constexpr T* data() { return v_; }
  constexpr const T* data() const { return v_; }
  constexpr T* begin() { return v_; }
  constexpr T* end() { return v_ + size; }
  constexpr const T* begin() const { return v_; }
  constexpr const T* end() const { return v_ + size; }

  constexpr void fill(T value) { std::fill_n(v_, size, value); }

  friend constexpr bool operator==(const Tensor& a, const Tensor& b) {
    return std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  template <class... I>
  static constexpr std::size_t flat_index(I... idx) {
    std::size_t flat = 0, k = 0;
    ((flat = flat * S::dims[k++] + idx), ...);
    return flat;
  }

  T v_[stride]{};
};

}  // namespace forma
