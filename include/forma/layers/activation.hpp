#pragma once
// Activation<F>: an activation as a layer of its own (Keras'
// layers.Activation). Elementwise ones map every value; Softmax acts along
// the last axis.
#include <cstddef>
#include <cstring>
#include <string_view>

#include "forma/activations/activation_concepts.hpp"
#include "forma/core/random.hpp"
#include "forma/core/scalar.hpp"
#include "forma/core/shape.hpp"
#include "forma/kernels/activation_backward.hpp"
#include "forma/kernels/elementwise.hpp"
#include "forma/kernels/softmax.hpp"
#include "forma/layers/symbolic.hpp"

namespace forma {

template <ActivationFunction F>
struct Activation : callable_layer<Activation<F>> {
  static constexpr std::string_view name = "Activation";
  using function = F;
  using output_activation = F;  // what a loss after it sees

  template <class In, class T>
  struct bind {
    using input_shape = In;
    using output_shape = In;
    static constexpr bool is_view = false;
    static constexpr std::size_t param_count = 0;
    static constexpr std::size_t forward_flops = 0;
    static constexpr std::size_t width = padded<T>(In::size);
    struct params {};
    static void init(params&, SplitMix64&) noexcept {}

    template <class Backend, std::size_t LdIn>
    static void forward(const params&, std::size_t rows, const T* in, T* out) noexcept {
      if constexpr (F::elementwise) {
        kernels::map_rows<In::size, LdIn, width, F>(Backend{}, rows, in, out);
      } else {
        for (std::size_t r = 0; r < rows; ++r) std::memcpy(out + r * width, in + r * LdIn, In::size * sizeof(T));
        kernels::softmax_rows<last_dim<In>, In::size / last_dim<In>, width>(rows, out);
      }
    }

    // din = dout * F'(out), or a copy of dout when a fused loss already
    // gave the gradient before the activation.
    template <class Backend, std::size_t LdIn, bool InputGrad, bool SkipActivation>
    static void backward(const params&, params&, std::size_t rows, const T*, const T* out, T* dout,
                         T* din) noexcept {
      if constexpr (InputGrad) {
        std::memcpy(din, dout, rows * width * sizeof(T));
        if constexpr (!SkipActivation) {
          if constexpr (F::elementwise)
            kernels::multiply_by_derivative<width, F>(Backend{}, rows, out, din);
          else
            kernels::softmax_backward_rows<last_dim<In>, In::size / last_dim<In>, width>(rows, out, din);
        }
      }
    }
  };
};

}  // namespace forma
