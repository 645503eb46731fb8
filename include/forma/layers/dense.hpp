#pragma once
// Dense<Units, Act>: out = act(in · kernel + bias), on a rank-1 input.
#include <algorithm>
#include <array>
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
#include "forma/core/tensor_layout.hpp"
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
  using output_activation = Act;  // what a loss after it sees

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

    // Its tensors in Keras' layouts, for saving: kernel [inputs, units]
    // (rows padded to units_padded), then bias [units].
    static constexpr std::array<tensor_layout, 2> tensors{{
        {"kernel", 2, {inputs, Units}, 0, units_padded},
        {"bias", 1, {Units}, params::kernel_size, Units},
    }};

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

    // A kernel too large to stay in the caches between a training step's
    // update and the next forward (more than one forward pass over it) is
    // summed in two halves of its rows, split where update_share splits
    // them for two threads: each of two threads then reads forward the half
    // of the kernel it has just written. Shared by columns, half of what
    // each thread read came from the other core: the CIFAR-10 first layer's
    // update then forward took 532 us on two threads, 421 us by halves
    // (`kernel/shared/cifar/threads:2/which:3`). The halves are added in
    // the same order on any number of threads, so values do not depend on
    // it; the inference forward sums in one run (its last bits may differ
    // from training's).
    static constexpr bool forward_in_halves = kernels::forward_in_passes<inputs, units_padded, T>;
    static constexpr share forward_half(std::size_t h) noexcept { return share_of(inputs, line, h, 2); }

    // Thread `index` of `threads`: its columns of the output (of a half with
    // forward_in_halves, the second half's sums going to `scratch`, rows x
    // units_padded), and its rows of the leftover columns. forward_finish
    // then completes the output, once every thread is done. (A softmax
    // needs whole rows: that layer does not offer this, and trainers share
    // its rows as any layer's.)
    template <class Backend, std::size_t LdIn>
      requires(Act::elementwise)
    static void forward_share(const params& p, std::size_t rows, const T* in, T* out, T* scratch,
                              std::size_t index, std::size_t threads) noexcept {
      if constexpr (forward_in_halves) {
        // Half h's threads: [threads * h / 2, threads * (h + 1) / 2), or the one thread both.
        for (std::size_t h = 0; h < 2; ++h) {
          const share team = threads == 1 ? share{0, 1} : share_of(threads, 1, h, 2);
          if (index < team.begin || index >= team.end) continue;
          const share k = forward_half(h);
          columns_share(index - team.begin, team.end - team.begin, rows, h == 0 ? out : scratch,
                        [&](std::size_t n, std::size_t row0, std::size_t j0, std::size_t j1, T* dst) {
                          kernels::dense_forward_part<inputs, units_padded, LdIn, units_padded, Act>(
                              Backend{}, n, in + row0 * LdIn, p.kernel_data(), h == 0 ? p.bias_data() : nullptr,
                              dst, j0, j1, k.begin, k.end);
                        });
        }
      } else {
        columns_share(index, threads, rows, out,
                      [&](std::size_t n, std::size_t row0, std::size_t j0, std::size_t j1, T* dst) {
                        kernels::dense_forward<inputs, units_padded, LdIn, units_padded, Act>(
                            Backend{}, n, in + row0 * LdIn, p.kernel_data(), p.bias_data(), dst, j0, j1);
                      });
      }
    }
    template <class Backend>
      requires(Act::elementwise)
    static void forward_finish(std::size_t rows, T* out, const T* scratch) noexcept {
      if constexpr (forward_in_halves)
        kernels::dense_forward_combine<units_padded, units_padded, Act>(Backend{}, rows, out, scratch);
    }

    // Member `index` of `threads`: its even columns on all rows, then its
    // rows of the leftover columns; f(rows, first row, j0, j1, output at
    // the first row).
    template <class F>
    static void columns_share(std::size_t index, std::size_t threads, std::size_t rows, T* out, F&& f) noexcept {
      const share mine = even_columns(index, threads);
      f(rows, 0, mine.begin, mine.end, out);
      const std::size_t rest = leftover_columns(threads);
      const share part = share_of(rows, 1, index, threads);
      if (rest < units_padded && part.begin < part.end)
        f(part.end - part.begin, part.begin, rest, units_padded, out + part.begin * units_padded);
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
    // Only the inputs [needed.begin, needed.end) (whole lines) get their
    // gradient: a consumer may read no others.
    template <class Backend, std::size_t LdIn, bool InputGrad, class Rule>
    static bool update_share(params& p, const kernels::slot_arrays<T, Rule::slots>& s, const Rule& rule,
                             std::size_t rows, const T* in, const T* dz, T* din, std::size_t index,
                             std::size_t threads, share needed = {0, inputs}) noexcept {
      const share part = share_of(inputs, line, index, threads);
      if constexpr (InputGrad) {
        const std::size_t k0 = std::max(part.begin, needed.begin), k1 = std::min(part.end, needed.end);
        if (k0 < k1) kernels::dense_input_grad<inputs, units_padded>(Backend{}, rows, dz, p.kernel_data(), din, k0, k1);
      }
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
