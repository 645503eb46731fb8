#pragma once
// Concatenate: inputs joined along their last axis (Keras' layers.Concatenate
// with its default axis=-1). Every other dimension must agree.
#include <array>
#include <cstddef>
#include <cstring>
#include <string_view>
#include <utility>

#include "forma/core/random.hpp"
#include "forma/core/scalar.hpp"
#include "forma/core/share.hpp"
#include "forma/core/shape.hpp"
#include "forma/layers/symbolic.hpp"

namespace forma {

namespace detail {
template <class A, class B>
constexpr bool same_leading_dims() {
  if constexpr (A::rank != B::rank || A::rank == 0) {
    return false;
  } else {
    for (std::size_t i = 0; i + 1 < A::rank; ++i)
      if (A::dims[i] != B::dims[i]) return false;
    return true;
  }
}
template <class S, std::size_t Last, std::size_t... I>
auto with_last_dim(std::index_sequence<I...>) -> Shape<S::dims[I]..., Last>;
}  // namespace detail

// Shapes that agree in everything but their last dimension.
template <class List>
inline constexpr bool concatenable = false;
template <class S0, class... Ss>
inline constexpr bool concatenable<ShapeList<S0, Ss...>> = (detail::same_leading_dims<S0, Ss>() && ...);

struct Concatenate : merge_layer<Concatenate> {
  static constexpr std::string_view name = "Concatenate";
  // How forma::io spells it in an exported header.
  static constexpr std::string_view cpp_spelling = "forma::Concatenate";
  static constexpr std::string_view cpp_header = "forma/layers/concatenate.hpp";

  template <class In, class T>
  struct bind;
  template <class S0, class... Ss, class T>
  struct bind<ShapeList<S0, Ss...>, T> {
    static_assert(concatenable<ShapeList<S0, Ss...>>,
                  "forma::Concatenate needs inputs of one rank that differ in their last dimension only");
    static constexpr bool valid = concatenable<ShapeList<S0, Ss...>>;
    static constexpr std::size_t arity = 1 + sizeof...(Ss);
    // Each input's last dimension, and how many groups of it a row holds.
    static constexpr std::array<std::size_t, arity> lasts{last_dim<S0>, last_dim<Ss>...};
    static constexpr std::array<std::size_t, arity> strides{padded<T>(S0::size), padded<T>(Ss::size)...};
    static constexpr std::size_t total_last = (last_dim<S0> + ... + last_dim<Ss>);
    static constexpr std::size_t groups = S0::size / last_dim<S0>;

    using input_shape = ShapeList<S0, Ss...>;
    using output_shape = std::conditional_t<
        valid, decltype(detail::with_last_dim<S0, total_last>(std::make_index_sequence<S0::rank - 1>{})),
        invalid_shape>;
    static constexpr bool is_view = false;
    static constexpr std::size_t param_count = 0;
    static constexpr std::size_t forward_flops = 0;
    static constexpr std::size_t width = padded<T>(groups * total_last);
    struct params {};
    static void init(params&, SplitMix64&) noexcept {}

    // Where input j's part of a group starts in the output's group.
    static constexpr std::size_t offset(std::size_t j) noexcept {
      std::size_t o = 0;
      for (std::size_t i = 0; i < j; ++i) o += lasts[i];
      return o;
    }

    // The columns of the output's gradient input j's backward reads (all
    // of them when inputs have several groups): the trainer computes only
    // those its plan needs (an input's part needs no gradient).
    static constexpr std::array<share, arity> input_columns = [] {
      std::array<share, arity> c{};
      for (std::size_t j = 0; j < arity; ++j)
        c[j] = groups == 1 ? share{offset(j), offset(j) + lasts[j]} : share{0, groups * total_last};
      return c;
    }();

    template <class Backend>
    static void forward(const params&, std::size_t rows, const std::array<const T*, arity>& in, T* out) noexcept {
      for (std::size_t r = 0; r < rows; ++r) {
        T* o = out + r * width;
        for (std::size_t j = 0; j < arity; ++j)
          for (std::size_t g = 0; g < groups; ++g)
            std::memcpy(o + g * total_last + offset(j), in[j] + r * strides[j] + g * lasts[j], lasts[j] * sizeof(T));
        for (std::size_t e = groups * total_last; e < width; ++e) o[e] = T(0);
      }
    }

    // dL/d(input J) is input J's part of dL/d(output); the padding of a
    // written row stays zero.
    template <class Backend, std::size_t J, bool Accumulate>
    static void backward_input(const params&, std::size_t rows, const std::array<const T*, arity>&, const T*,
                               const T* dout, T* din) noexcept {
      constexpr std::size_t n = lasts[J], ld = strides[J], at = offset(J);
      for (std::size_t r = 0; r < rows; ++r) {
        T* d = din + r * ld;
        const T* src = dout + r * width + at;
        for (std::size_t g = 0; g < groups; ++g)
          for (std::size_t c = 0; c < n; ++c) {
            if constexpr (Accumulate)
              d[g * n + c] += src[g * total_last + c];
            else
              d[g * n + c] = src[g * total_last + c];
          }
        if constexpr (!Accumulate)
          for (std::size_t e = groups * n; e < ld; ++e) d[e] = T(0);
      }
    }
  };
};

}  // namespace forma
