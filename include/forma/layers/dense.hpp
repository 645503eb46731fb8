#pragma once
// Dense<Units, Act>: out = act(in · kernel + bias), on a rank-1 input.
#include <cmath>
#include <cstddef>
#include <span>
#include <string_view>

#include "forma/activations/activation_concepts.hpp"
#include "forma/activations/linear.hpp"
#include "forma/core/random.hpp"
#include "forma/core/scalar.hpp"
#include "forma/core/shape.hpp"
#include "forma/core/tensor.hpp"
#include "forma/core/share.hpp"
#include "forma/kernels/activation_backward.hpp"
#include "forma/kernels/dense.hpp"
#include "forma/kernels/dense_backward.hpp"
#include "forma/kernels/softmax.hpp"
#include "forma/layers/symbolic.hpp"

namespace forma {

template <std::size_t Units, ActivationFunction Act = Linear>
struct Dense : callable_layer<Dense<Units, Act>> {
  static constexpr std::string_view name = "Dense";
  static constexpr std::size_t units = Units;
  using activation = Act;

  template <class In, class T>
  struct bind {
    // Checked here, not in Dense itself: a failed check in Dense's own body
    // would make clang reject every later use of the type.
    static_assert(Units > 0, "forma::Dense needs at least one unit");
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

    // The parameters in Keras' layout, kernel [inputs][units] then bias
    // [units], each row padded with zeros to whole 64-byte lines. One array,
    // so optimizers and serialisation see all of it as values().
    struct params {
      static constexpr std::size_t kernel_size = inputs * units_padded;
      alignas(row_alignment) T data[kernel_size + units_padded];

      T* kernel_data() noexcept { return data; }
      const T* kernel_data() const noexcept { return data; }
      T* bias_data() noexcept { return data + kernel_size; }
      const T* bias_data() const noexcept { return data + kernel_size; }
      std::span<T> values() noexcept { return data; }
      std::span<const T> values() const noexcept { return data; }

      T& kernel_at(std::size_t i, std::size_t j) noexcept { return data[i * units_padded + j]; }
      const T& kernel_at(std::size_t i, std::size_t j) const noexcept { return data[i * units_padded + j]; }
      T& bias_at(std::size_t j) noexcept { return data[kernel_size + j]; }
      const T& bias_at(std::size_t j) const noexcept { return data[kernel_size + j]; }

      void get_kernel(kernel_tensor& out) const noexcept {
        for (std::size_t i = 0; i < inputs; ++i)
          for (std::size_t j = 0; j < Units; ++j) out(i, j) = kernel_at(i, j);
      }
      void set_kernel(const kernel_tensor& k) noexcept {
        for (std::size_t i = 0; i < inputs; ++i)
          for (std::size_t j = 0; j < Units; ++j) kernel_at(i, j) = k(i, j);
      }
      void get_bias(bias_tensor& out) const noexcept {
        for (std::size_t j = 0; j < Units; ++j) out[j] = bias_at(j);
      }
      void set_bias(const bias_tensor& b) noexcept {
        for (std::size_t j = 0; j < Units; ++j) bias_at(j) = b[j];
      }
    };

    // Keras' defaults: Glorot-uniform kernel, U(-l, l) with
    // l = sqrt(6 / (fan_in + fan_out)), drawn row by row; zero bias.
    static void init(params& p, SplitMix64& rng) noexcept {
      const double limit = std::sqrt(6.0 / static_cast<double>(inputs + Units));
      for (std::size_t i = 0; i < inputs; ++i)
        for (std::size_t j = 0; j < Units; ++j)
          p.kernel_at(i, j) = static_cast<T>((2.0 * rng.uniform() - 1.0) * limit);
      for (std::size_t j = 0; j < Units; ++j) p.bias_at(j) = T(0);
    }

    template <class Backend, std::size_t LdIn>
    static void forward(const params& p, std::size_t rows, const T* in, T* out) noexcept {
      if constexpr (Act::elementwise) {
        kernels::dense_forward<inputs, units_padded, LdIn, units_padded, Act>(
            Backend{}, rows, in, p.kernel_data(), p.bias_data(), out);
      } else {
        kernels::dense_forward<inputs, units_padded, LdIn, units_padded, Linear>(
            Backend{}, rows, in, p.kernel_data(), p.bias_data(), out);
        kernels::softmax_rows<Units, 1, units_padded>(rows, out);
      }
    }

    // Forward, threads share a dense layer by columns, evenly in whole
    // 64-byte lines of them, so each reads only its part of the kernel; the
    // lines left over (fewer than the threads) are shared by rows. Every
    // value is computed as on one thread.
    static constexpr std::size_t line = row_alignment / sizeof(T);
    static constexpr std::size_t lines = units_padded / line;
    static constexpr share even_columns(std::size_t index, std::size_t threads) noexcept {
      const std::size_t per = lines / threads;
      return {index * per * line, (index + 1) * per * line};
    }
    static constexpr std::size_t leftover_columns(std::size_t threads) noexcept { return lines / threads * threads * line; }

    // Thread `index` of `threads`: its columns of the output, and its rows of
    // the leftover columns. (A softmax needs whole rows: that layer does not
    // offer this, and trainers share its rows as any layer's.)
    template <class Backend, std::size_t LdIn>
      requires(Act::elementwise)
    static void forward_share(const params& p, std::size_t rows, const T* in, T* out, std::size_t index,
                              std::size_t threads) noexcept {
      const share mine = even_columns(index, threads);
      kernels::dense_forward<inputs, units_padded, LdIn, units_padded, Act>(
          Backend{}, rows, in, p.kernel_data(), p.bias_data(), out, mine.begin, mine.end);
      const std::size_t rest = leftover_columns(threads);
      const share part = share_of(rows, 1, index, threads);
      if (rest < units_padded && part.begin < part.end)
        kernels::dense_forward<inputs, units_padded, LdIn, units_padded, Act>(
            Backend{}, part.end - part.begin, in + part.begin * LdIn, p.kernel_data(), p.bias_data(),
            out + part.begin * units_padded, rest, units_padded);
    }

    // Backward on `rows` rows. dout holds dL/d(output), or with
    // SkipActivation dL/d(pre-activation) already (a loss fused with the
    // activation); it is overwritten. Writes the parameter gradient into
    // grad and, with InputGrad, dL/d(input) into din.
    template <class Backend, std::size_t LdIn, bool InputGrad, bool SkipActivation>
    static void backward(const params& p, params& grad, std::size_t rows, const T* in, const T* out, T* dout,
                         T* din) noexcept {
      if constexpr (!SkipActivation) activation_backward<Backend>(rows, out, dout);
      kernels::dense_weight_grad<inputs, units_padded, LdIn>(Backend{}, rows, in, dout, grad.kernel_data(),
                                                             grad.bias_data());
      if constexpr (InputGrad)
        kernels::dense_input_grad<inputs, units_padded>(Backend{}, rows, dout, p.kernel_data(), din);
    }

    // Training's backward fused with the optimizer (trainers look for this).
    static constexpr bool fuses_update = true;

    // dout = dL/d(output) becomes dL/d(pre-activation); one thread's work.
    template <class Backend>
    static void activation_backward(std::size_t rows, const T* out, T* dout) noexcept {
      if constexpr (Act::elementwise)
        kernels::multiply_by_derivative<units_padded, Act>(Backend{}, rows, out, dout);
      else
        kernels::softmax_backward_rows<Units, 1, units_padded>(rows, out, dout);
    }

    // Thread `index` of `threads` takes a share of the kernel's rows (the
    // inputs), a contiguous part of the kernel and of the optimizer's state:
    // first dL/d(input) for those inputs (with InputGrad), which reads the
    // rows' old weights, then the rows' update by the optimizer's rule, each
    // gradient tile summed in registers and updated there. The last thread
    // updates the bias. dz holds dL/d(pre-activation), s the optimizer's
    // state arrays for this layer's params. Returns whether every new value
    // was finite.
    template <class Backend, std::size_t LdIn, bool InputGrad, class Rule>
    static bool update_share(params& p, const kernels::slot_arrays<T, Rule::slots>& s, const Rule& rule,
                             std::size_t rows, const T* in, const T* dz, T* din, std::size_t index,
                             std::size_t threads) noexcept {
      const share part = share_of(inputs, line, index, threads);
      if constexpr (InputGrad)
        kernels::dense_input_grad<inputs, units_padded>(Backend{}, rows, dz, p.kernel_data(), din, part.begin,
                                                        part.end);
      bool finite = kernels::dense_weight_update<inputs, units_padded, LdIn>(Backend{}, rows, in, dz, p.kernel_data(),
                                                                             s, rule, part.begin, part.end);
      if (index + 1 == threads) {
        kernels::slot_arrays<T, Rule::slots> bias_slots;
        for (std::size_t k = 0; k < Rule::slots; ++k) bias_slots[k] = s[k] + params::kernel_size;
        finite &= kernels::dense_bias_update<units_padded>(Backend{}, rows, dz, p.bias_data(), bias_slots, rule);
      }
      return finite;
    }
  };
};

}  // namespace forma
