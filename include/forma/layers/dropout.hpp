#pragma once
// Dropout<Rate>: in training, each value is zeroed with probability Rate and
// the others scaled by 1 / (1 - Rate) (inverted dropout, as Keras and PyTorch
// do it), so inference passes values through unchanged. The mask of a step
// comes from the step's seed (layer_context), one draw per value, kept for
// the backward pass.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ratio>
#include <string_view>
#include <tuple>

#include "forma/core/random.hpp"
#include "forma/core/scalar.hpp"
#include "forma/core/shape.hpp"
#include "forma/kernels/zip_rows.hpp"
#include "forma/layers/layer_context.hpp"
#include "forma/layers/symbolic.hpp"

namespace forma {

template <class Rate>
inline constexpr bool is_dropout_rate = Rate::num >= 0 && Rate::num < Rate::den;

template <class Rate = std::ratio<1, 2>>
struct Dropout : callable_layer<Dropout<Rate>> {
  static constexpr std::string_view name = "Dropout";
  using rate = Rate;
  // How export_header spells it (io/type_spelling.hpp).
  static constexpr std::string_view cpp_template = "forma::Dropout";
  static constexpr std::string_view cpp_header = "forma/layers/dropout.hpp";
  using cpp_arguments = std::tuple<Rate>;

  template <class In, class T>
  struct bind {
    static_assert(is_dropout_rate<Rate>, "forma::Dropout needs a rate in [0, 1), as a std::ratio");
    using input_shape = In;
    using output_shape = std::conditional_t<is_dropout_rate<Rate>, In, invalid_shape>;
    static constexpr bool is_view = false;
    static constexpr std::size_t param_count = 0;
    static constexpr std::size_t forward_flops = 0;
    static constexpr std::size_t width = padded<T>(In::size);
    struct params {};
    static void init(params&, SplitMix64&) noexcept {}

    // The mask, 0 or 1 / (1 - rate) per value, from forward to backward.
    static constexpr std::size_t cache_size = width;
    // A value is dropped when the top 53 bits of its draw, read as a
    // fraction of 2^53, fall below the rate.
    static constexpr std::uint64_t threshold =
        is_dropout_rate<Rate> ? static_cast<std::uint64_t>((std::uint64_t{1} << 53) / Rate::den * Rate::num +
                                                           (std::uint64_t{1} << 53) % Rate::den * Rate::num / Rate::den)
                              : 0;
    static constexpr T scale = T(Rate::den) / T(Rate::den - Rate::num);

    template <class Backend, std::size_t LdIn>
    static void forward(const params&, std::size_t rows, const T* in, T* out) noexcept {
      for (std::size_t r = 0; r < rows; ++r) std::memcpy(out + r * width, in + r * LdIn, width * sizeof(T));
    }

    template <class Backend, std::size_t LdIn>
    static void forward_train(const params&, const layer_context<T>& ctx, std::size_t rows, const T* in,
                              T* out) noexcept {
      for (std::size_t r = 0; r < rows; ++r) {
        T* mask = ctx.cache + r * width;
        for (std::size_t e = 0; e < In::size; ++e)
          mask[e] = (draw_at(ctx.seed, r * In::size + e) >> 11) < threshold ? T(0) : scale;
        for (std::size_t e = In::size; e < width; ++e) mask[e] = T(0);
      }
      for (std::size_t r = 0; r < rows; ++r)
        kernels::zip_rows<width>(Backend{}, 1, out + r * width, std::array<const T*, 2>{in + r * LdIn, ctx.cache + r * width},
                                 [](auto, auto x, auto m) { return x * m; });
    }

    // dL/d(input) = dL/d(output) times the mask.
    template <class Backend, std::size_t LdIn, bool InputGrad, bool SkipActivation>
    static void backward(const params&, params&, const layer_context<T>& ctx, std::size_t rows, const T*, const T*,
                         T* dout, T* din) noexcept {
      if constexpr (InputGrad)
        kernels::zip_rows<width>(Backend{}, rows, din, std::array<const T*, 2>{dout, ctx.cache},
                                 [](auto, auto d, auto m) { return d * m; });
    }
  };
};

}  // namespace forma
