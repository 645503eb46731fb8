#pragma once
// Add: the elementwise sum of two or more inputs of one shape (Keras'
// layers.Add), as in a skip connection: Add{}(h, Dense<128, Tanh>{}(h)).
#include <array>
#include <cstddef>
#include <string_view>

#include "forma/core/random.hpp"
#include "forma/core/scalar.hpp"
#include "forma/core/shape.hpp"
#include "forma/kernels/zip_rows.hpp"
#include "forma/layers/symbolic.hpp"

namespace forma {

template <class List>
inline constexpr bool all_same_shape = false;
template <class S0, class... Ss>
inline constexpr bool all_same_shape<ShapeList<S0, Ss...>> = (same_shape<S0, Ss> && ...);

struct Add : merge_layer<Add> {
  static constexpr std::string_view name = "Add";
  // How forma::io spells it in an exported header.
  static constexpr std::string_view cpp_spelling = "forma::Add";
  static constexpr std::string_view cpp_header = "forma/layers/add.hpp";

  template <class In, class T>
  struct bind;
  template <class S0, class... Ss, class T>
  struct bind<ShapeList<S0, Ss...>, T> {
    static_assert(all_same_shape<ShapeList<S0, Ss...>>, "forma::Add needs inputs of one shape");
    static constexpr bool valid = all_same_shape<ShapeList<S0, Ss...>> && !is_invalid_shape<S0>;

    using input_shape = ShapeList<S0, Ss...>;
    using output_shape = std::conditional_t<valid, S0, invalid_shape>;
    static constexpr std::size_t arity = 1 + sizeof...(Ss);
    static constexpr bool is_view = false;
    static constexpr std::size_t param_count = 0;
    static constexpr std::size_t forward_flops = 0;
    static constexpr std::size_t width = padded<T>(S0::size);
    struct params {};
    static void init(params&, SplitMix64&) noexcept {}

    template <class Backend>
    static void forward(const params&, std::size_t rows, const std::array<const T*, arity>& in, T* out) noexcept {
      kernels::zip_rows<width>(Backend{}, rows, out, in, [](auto, auto... x) { return (x + ...); });
    }

    // dL/d(input J) is dL/d(output): written, or added to what other
    // consumers of that input already put there.
    template <class Backend, std::size_t J, bool Accumulate>
    static void backward_input(const params&, std::size_t rows, const std::array<const T*, arity>&, const T*,
                               const T* dout, T* din) noexcept {
      kernels::zip_rows<width>(Backend{}, rows, din, std::array<const T*, 1>{dout}, []([[maybe_unused]] auto acc, auto d) {
        if constexpr (Accumulate)
          return acc + d;
        else
          return d;
      });
    }
  };
};

}  // namespace forma
