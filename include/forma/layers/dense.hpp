#pragma once
// Dense<Units, Act>: out = act(in · kernel + bias), on a rank-1 input.
#include <cmath>
#include <cstddef>
#include <string_view>

#include "forma/activations/activation_concepts.hpp"
#include "forma/activations/linear.hpp"
#include "forma/core/random.hpp"
#include "forma/core/scalar.hpp"
#include "forma/core/shape.hpp"
#include "forma/core/tensor.hpp"
#include "forma/kernels/dense.hpp"
#include "forma/kernels/softmax.hpp"
#include "forma/layers/symbolic.hpp"

namespace forma {

template <std::size_t Units, ActivationFunction Act = Linear>
struct Dense : callable_layer<Dense<Units, Act>> {
  static_assert(Units > 0, "forma::Dense needs at least one unit");
  static constexpr std::string_view name = "Dense";
  static constexpr std::size_t units = Units;
  using activation = Act;

  template <class In, class T>
  struct bind {
    static_assert(rank_is<In, 1>, "forma::Dense needs a rank-1 input; put Flatten before it");
    static constexpr bool valid = rank_is<In, 1> && Units > 0;

    using input_shape = In;
    using output_shape = std::conditional_t<valid, Shape<Units>, invalid_shape>;
    static constexpr bool is_view = false;
    static constexpr std::size_t inputs = In::size;
    static constexpr std::size_t param_count = inputs * Units + Units;
    static constexpr std::size_t forward_flops = 2 * inputs * Units;
    // Columns padded to whole 64-byte lines; the padding stays zero.
    static constexpr std::size_t units_padded = padded<T>(Units);

    using kernel_tensor = Tensor<Shape<inputs, Units>, T>;
    using bias_tensor = Tensor<Shape<Units>, T>;

    // The parameters in Keras' layout, kernel [inputs][units] and bias
    // [units], each row padded with zeros.
    struct params {
      alignas(row_alignment) T kernel[inputs][units_padded];
      alignas(row_alignment) T bias[units_padded];

      T& kernel_at(std::size_t i, std::size_t j) noexcept { return kernel[i][j]; }
      const T& kernel_at(std::size_t i, std::size_t j) const noexcept { return kernel[i][j]; }
      T& bias_at(std::size_t j) noexcept { return bias[j]; }
      const T& bias_at(std::size_t j) const noexcept { return bias[j]; }

      void get_kernel(kernel_tensor& out) const noexcept {
        for (std::size_t i = 0; i < inputs; ++i)
          for (std::size_t j = 0; j < Units; ++j) out(i, j) = kernel[i][j];
      }
      void set_kernel(const kernel_tensor& k) noexcept {
        for (std::size_t i = 0; i < inputs; ++i)
          for (std::size_t j = 0; j < Units; ++j) kernel[i][j] = k(i, j);
      }
      void get_bias(bias_tensor& out) const noexcept {
        for (std::size_t j = 0; j < Units; ++j) out[j] = bias[j];
      }
      void set_bias(const bias_tensor& b) noexcept {
        for (std::size_t j = 0; j < Units; ++j) bias[j] = b[j];
      }
    };

    // Keras' defaults: Glorot-uniform kernel, U(-l, l) with
    // l = sqrt(6 / (fan_in + fan_out)), drawn row by row; zero bias.
    static void init(params& p, SplitMix64& rng) noexcept {
      const double limit = std::sqrt(6.0 / static_cast<double>(inputs + Units));
      for (std::size_t i = 0; i < inputs; ++i)
        for (std::size_t j = 0; j < Units; ++j)
          p.kernel[i][j] = static_cast<T>((2.0 * rng.uniform() - 1.0) * limit);
      for (std::size_t j = 0; j < Units; ++j) p.bias[j] = T(0);
    }

    template <class Backend, std::size_t LdIn>
    static void forward(const params& p, std::size_t rows, const T* in, T* out) noexcept {
      if constexpr (Act::elementwise) {
        kernels::dense_forward<inputs, units_padded, LdIn, units_padded, Act>(
            Backend{}, rows, in, &p.kernel[0][0], p.bias, out);
      } else {
        kernels::dense_forward<inputs, units_padded, LdIn, units_padded, Linear>(
            Backend{}, rows, in, &p.kernel[0][0], p.bias, out);
        kernels::softmax_rows<Units, 1, units_padded>(rows, out);
      }
    }
  };
};

}  // namespace forma
