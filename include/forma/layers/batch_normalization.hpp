#pragma once
// BatchNormalization<Momentum, Epsilon>: Keras' layer, normalising over the
// last axis (channels last). Each feature c is normalised over the batch
// (and over every other position of a sample, for a rank-3 image) and then
// scaled and shifted by trainable gamma[c] and beta[c]:
//
//   training   y = gamma * (x - mean_B) / sqrt(var_B + epsilon) + beta
//   inference  y = gamma * (x - moving_mean) / sqrt(moving_variance + epsilon) + beta
//
// mean_B and var_B are the batch's mean and (population) variance. Each
// training step updates the non-trainable state as Keras documents it:
// moving = moving * momentum + batch * (1 - momentum). Defaults are Keras':
// momentum 0.99, epsilon 0.001, gamma 1, beta 0, moving mean 0 and moving
// variance 1. (PyTorch's BatchNorm keeps the unbiased batch variance and
// writes momentum as 1 - Keras': its models convert, not match, here.)
#include <array>
#include <cmath>
#include <cstddef>
#include <ratio>
#include <span>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "forma/core/random.hpp"
#include "forma/core/scalar.hpp"
#include "forma/core/shape.hpp"
#include "forma/core/tensor_layout.hpp"
#include "forma/layers/layer_context.hpp"
#include "forma/layers/symbolic.hpp"

namespace forma {

template <class Momentum, class Epsilon>
inline constexpr bool is_batch_norm_setting =
    Momentum::num >= 0 && Momentum::num <= Momentum::den && Epsilon::num > 0;

template <class Momentum = std::ratio<99, 100>, class Epsilon = std::ratio<1, 1000>>
struct BatchNormalization : callable_layer<BatchNormalization<Momentum, Epsilon>> {
  static constexpr std::string_view name = "BatchNormalization";
  using momentum = Momentum;
  using epsilon = Epsilon;
  // How export_header spells it (io/type_spelling.hpp).
  static constexpr std::string_view cpp_template = "forma::BatchNormalization";
  static constexpr std::string_view cpp_header = "forma/layers/batch_normalization.hpp";
  using cpp_arguments = std::tuple<Momentum, Epsilon>;

  template <class In, class T>
  struct bind {
    static_assert(is_batch_norm_setting<Momentum, Epsilon>,
                  "forma::BatchNormalization needs a momentum in [0, 1] and an epsilon above 0, as std::ratio");
    static_assert(In::rank >= 1, "forma::BatchNormalization needs an input of rank 1 or more");
    static constexpr bool valid = is_batch_norm_setting<Momentum, Epsilon> && In::rank >= 1;

    using input_shape = In;
    using output_shape = std::conditional_t<valid, In, invalid_shape>;
    static constexpr bool is_view = false;
    // The normalised axis (the last), and how many positions of a sample
    // share each feature's statistics.
    static constexpr std::size_t features = valid ? In::dims[In::rank - 1] : 1;
    static constexpr std::size_t positions = In::size / features;
    static constexpr std::size_t features_padded = padded<T>(features);
    static constexpr std::size_t width = padded<T>(In::size);
    static constexpr std::size_t param_count = 2 * features;
    static constexpr std::size_t forward_flops = 2 * In::size;

    // Two arrays of one value per feature, each padded to whole lines.
    template <int Which>
    struct pair_of_vectors {
      alignas(row_alignment) T data[2 * features_padded];
      T* first() noexcept { return data; }
      const T* first() const noexcept { return data; }
      T* second() noexcept { return data + features_padded; }
      const T* second() const noexcept { return data + features_padded; }
      std::span<T> values() noexcept { return data; }
      std::span<const T> values() const noexcept { return data; }
    };
    // Trainable: gamma, then beta.
    using params = pair_of_vectors<0>;
    static constexpr std::array<tensor_layout, 2> tensors{{
        {"gamma", 1, {features}, 0, features},
        {"beta", 1, {features}, features_padded, features},
    }};
    // Non-trainable (layers/layer_state.hpp): moving mean, then moving variance.
    using state = pair_of_vectors<1>;
    static constexpr std::size_t state_count = 2 * features;
    static constexpr std::array<tensor_layout, 2> state_tensors{{
        {"moving_mean", 1, {features}, 0, features},
        {"moving_variance", 1, {features}, features_padded, features},
    }};

    static void init(params& p, SplitMix64&) noexcept { fill(p, T(1), T(0)); }
    static void init_state(state& s) noexcept { fill(s, T(0), T(1)); }

    template <class Backend, std::size_t LdIn>
    static void forward(const params& p, const state& s, std::size_t rows, const T* in, T* out) noexcept {
      std::array<T, features> scale, shift;
      for (std::size_t c = 0; c < features; ++c) {
        const double inv = 1.0 / std::sqrt(static_cast<double>(s.second()[c]) + eps);
        scale[c] = static_cast<T>(static_cast<double>(p.first()[c]) * inv);
        shift[c] = static_cast<T>(static_cast<double>(p.second()[c]) -
                                  static_cast<double>(s.first()[c]) * static_cast<double>(p.first()[c]) * inv);
      }
      for (std::size_t r = 0; r < rows; ++r)
        for_row(in + r * LdIn, out + r * width, [&](T x, std::size_t c) { return x * scale[c] + shift[c]; });
    }

    // Normalises with the batch's statistics, and moves the state towards them.
    template <class Backend, std::size_t LdIn>
    static void forward_train(const params& p, state& s, const layer_context<T>&, std::size_t rows, const T* in,
                              T* out) noexcept {
      moments m;
      batch_moments<LdIn>(rows, in, m);
      for (std::size_t r = 0; r < rows; ++r)
        for_row(in + r * LdIn, out + r * width, [&](T x, std::size_t c) {
          return p.first()[c] * ((x - m.mean[c]) * m.inv_std[c]) + p.second()[c];
        });
      constexpr double keep = static_cast<double>(Momentum::num) / static_cast<double>(Momentum::den);
      for (std::size_t c = 0; c < features; ++c) {
        s.first()[c] = static_cast<T>(static_cast<double>(s.first()[c]) * keep + m.mean_d[c] * (1.0 - keep));
        s.second()[c] = static_cast<T>(static_cast<double>(s.second()[c]) * keep + m.var_d[c] * (1.0 - keep));
      }
    }

    // The batch's statistics are computed again from the input, as forward
    // computed them (no cache): with xhat = (x - mean) / sqrt(var + eps)
    // over the N values of feature c,
    //   dbeta = sum dy, dgamma = sum dy * xhat,
    //   dx = gamma / sqrt(var + eps) * (dy - dbeta / N - xhat * dgamma / N).
    template <class Backend, std::size_t LdIn, bool InputGrad, bool SkipActivation>
    static void backward(const params& p, params& grad, const layer_context<T>&, std::size_t rows, const T* in,
                         const T*, T* dout, T* din) noexcept {
      moments m;
      batch_moments<LdIn>(rows, in, m);
      std::array<double, features> dgamma{}, dbeta{};
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t e = 0; e < In::size; ++e) {
          const std::size_t c = e % features;
          const double dy = static_cast<double>(dout[r * width + e]);
          dbeta[c] += dy;
          dgamma[c] += dy * static_cast<double>((in[r * LdIn + e] - m.mean[c]) * m.inv_std[c]);
        }
      for (std::size_t c = 0; c < features_padded; ++c) {
        grad.first()[c] = c < features ? static_cast<T>(dgamma[c]) : T(0);
        grad.second()[c] = c < features ? static_cast<T>(dbeta[c]) : T(0);
      }
      if constexpr (InputGrad) {
        const double n = static_cast<double>(rows * positions);
        for (std::size_t r = 0; r < rows; ++r) {
          for (std::size_t e = 0; e < In::size; ++e) {
            const std::size_t c = e % features;
            const double xhat = static_cast<double>((in[r * LdIn + e] - m.mean[c]) * m.inv_std[c]);
            const double dy = static_cast<double>(dout[r * width + e]);
            din[r * LdIn + e] = static_cast<T>(static_cast<double>(p.first()[c]) * static_cast<double>(m.inv_std[c]) *
                                               (dy - dbeta[c] / n - xhat * dgamma[c] / n));
          }
          for (std::size_t e = In::size; e < LdIn; ++e) din[r * LdIn + e] = T(0);
        }
      }
    }

   private:
    static constexpr double eps = static_cast<double>(Epsilon::num) / static_cast<double>(Epsilon::den);

    template <int Which>
    static void fill(pair_of_vectors<Which>& v, T first, T second) noexcept {
      for (std::size_t c = 0; c < features_padded; ++c) {
        v.first()[c] = c < features ? first : T(0);
        v.second()[c] = c < features ? second : T(0);
      }
    }
    // out[e] = f(in[e], feature of e) along one row; the padding stays zero.
    template <class F>
    static void for_row(const T* in, T* out, F f) noexcept {
      for (std::size_t e = 0; e < In::size; ++e) out[e] = f(in[e], e % features);
      for (std::size_t e = In::size; e < width; ++e) out[e] = T(0);
    }

    // Sums in double: a batch of images gives each feature thousands of values.
    struct moments {
      std::array<double, features> mean_d{}, var_d{};
      std::array<T, features> mean{}, inv_std{};
    };
    template <std::size_t LdIn>
    static void batch_moments(std::size_t rows, const T* in, moments& m) noexcept {
      const double n = static_cast<double>(rows * positions);
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t e = 0; e < In::size; ++e) m.mean_d[e % features] += static_cast<double>(in[r * LdIn + e]);
      for (std::size_t c = 0; c < features; ++c) m.mean_d[c] /= n;
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t e = 0; e < In::size; ++e) {
          const double d = static_cast<double>(in[r * LdIn + e]) - m.mean_d[e % features];
          m.var_d[e % features] += d * d;
        }
      for (std::size_t c = 0; c < features; ++c) {
        m.var_d[c] /= n;
        m.mean[c] = static_cast<T>(m.mean_d[c]);
        m.inv_std[c] = static_cast<T>(1.0 / std::sqrt(m.var_d[c] + eps));
      }
    }
  };
};

}  // namespace forma
