#pragma once
// Multiply: the elementwise product of two or more inputs of one shape
// (Keras' layers.Multiply), as in a gate: Multiply{}(x, Dense<8, Sigmoid>{}(x)).
#include <array>
#include <cstddef>
#include <string_view>
#include <utility>

#include "forma/core/random.hpp"
#include "forma/core/scalar.hpp"
#include "forma/core/shape.hpp"
#include "forma/kernels/zip_rows.hpp"
#include "forma/layers/add.hpp"
#include "forma/layers/symbolic.hpp"

namespace forma {

struct Multiply : merge_layer<Multiply> {
  static constexpr std::string_view name = "Multiply";
  // How forma::io spells it in an exported header.
  static constexpr std::string_view cpp_spelling = "forma::Multiply";
  static constexpr std::string_view cpp_header = "forma/layers/multiply.hpp";

  template <class In, class T>
  struct bind;
  template <class S0, class... Ss, class T>
  struct bind<ShapeList<S0, Ss...>, T> {
    static_assert(all_same_shape<ShapeList<S0, Ss...>>, "forma::Multiply needs inputs of one shape");
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
      kernels::zip_rows<width>(Backend{}, rows, out, in, [](auto, auto... x) { return (x * ...); });
    }

    // dL/d(input J) = dL/d(output) times the product of the other inputs.
    template <class Backend, std::size_t J, bool Accumulate>
    static void backward_input(const params&, std::size_t rows, const std::array<const T*, arity>& in, const T*,
                               const T* dout, T* din) noexcept {
      std::array<const T*, arity> others{};  // dout in J's place
      for (std::size_t i = 0; i < arity; ++i) others[i] = i == J ? dout : in[i];
      kernels::zip_rows<width>(Backend{}, rows, din, others, []([[maybe_unused]] auto acc, auto... x) {
        if constexpr (Accumulate)
          return acc + (x * ...);
        else
          return (x * ...);
      });
    }
  };
};

}  // namespace forma
