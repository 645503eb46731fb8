// A custom layer with a forward pass only, in a model that is trained: the
// trainer must say which layer lacks its backward pass.
// EXPECT: forma::compile: a layer the model runs backward for training has no backward pass
#include <cstddef>
#include <string_view>

#include <forma/forma.hpp>

using namespace forma;

struct Halve : callable_layer<Halve> {
  static constexpr std::string_view name = "Halve";
  template <class In, class T>
  struct bind {
    using output_shape = In;
    static constexpr bool is_view = false;
    static constexpr std::size_t param_count = 0;
    static constexpr std::size_t forward_flops = In::size;
    struct params {};
    static void init(params&, SplitMix64&) noexcept {}
    template <class Backend, std::size_t LdIn>
    static void forward(const params&, std::size_t rows, const T* in, T* out) noexcept {
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t i = 0; i < In::size; ++i) out[r * padded<T>(In::size) + i] = in[r * LdIn + i] / 2;
    }
#ifndef FORMA_COMPILE_FAIL
    template <class Backend, std::size_t LdIn, bool InputGrad, bool SkipActivation>
    static void backward(const params&, params&, std::size_t rows, const T*, const T*, T* dout, T* din) noexcept {
      if constexpr (InputGrad)
        for (std::size_t i = 0; i < rows * padded<T>(In::size); ++i) din[i] = dout[i] / 2;
    }
#endif
  };
};

// Halve between two layers with weights: the first one's gradient passes it.
using M = Sequential<Input<4>, Dense<3, Tanh>, Halve, Dense<2, Softmax>>;

int main() {
  auto m = std::make_unique<M>();
  auto trainer = compile(*m, loss::CategoricalCrossentropy{}, optim::SGD{});
  static_assert(decltype(trainer)::state_bytes > 0);
}
