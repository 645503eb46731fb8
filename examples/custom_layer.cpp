// A layer of your own: any empty type that models forma::Layer. This one
// multiplies its input by a compile-time factor (a std::ratio, since clang 14
// has no floating-point template parameters).
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <ratio>
#include <string_view>
#include <vector>

#include <forma/forma.hpp>

template <class Factor>
struct Scale : forma::callable_layer<Scale<Factor>> {  // the base gives it Keras' call syntax
  static constexpr std::string_view name = "Scale";

  // Scale built for input shape In and scalar type T.
  template <class In, class T>
  struct bind {
    using output_shape = In;                        // shape rule: any shape, unchanged
    static constexpr bool is_view = false;          // it writes its own output
    static constexpr std::size_t param_count = 0;
    static constexpr std::size_t forward_flops = In::size;
    struct params {};                               // no weights
    static void init(params&, forma::SplitMix64&) noexcept {}

    // `rows` rows of In, each LdIn values apart; outputs are padded rows.
    template <class Backend, std::size_t LdIn>
    static void forward(const params&, std::size_t rows, const T* in, T* out) noexcept {
      constexpr T factor = T(Factor::num) / T(Factor::den);
      constexpr std::size_t ld_out = forma::padded<T>(In::size);
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t i = 0; i < In::size; ++i) out[r * ld_out + i] = factor * in[r * LdIn + i];
    }

    // For training: dL/d(input) = factor * dL/d(output), into padded rows.
    template <class Backend, std::size_t LdIn, bool InputGrad, bool SkipActivation>
    static void backward(const params&, params&, std::size_t rows, const T*, const T*, T* dout,
                         T* din) noexcept {
      constexpr T factor = T(Factor::num) / T(Factor::den);
      constexpr std::size_t ld = forma::padded<T>(In::size);
      if constexpr (InputGrad)
        for (std::size_t i = 0; i < rows * ld; ++i) din[i] = factor * dout[i];
    }
  };
};

using namespace forma;
static_assert(Layer<Scale<std::ratio<1, 2>>>);

using Net = Sequential<Input<4>, Scale<std::ratio<1, 2>>, Dense<2, Softmax>>;
static_assert(Net::param_count == 4 * 2 + 2);

// And through the functional API.
constexpr auto in = Input<4>{};
constexpr auto out = Dense<2, Softmax>{}(Scale<std::ratio<1, 2>>{}(in));
static_assert(Model<decltype(in), decltype(out)>::param_count == Net::param_count);

int main() {
  Net net;
  Net::bound_layer<1>::kernel_tensor k;  // [4 inputs][2 units]
  for (std::size_t i = 0; i < 4; ++i) k(i, 0) = 1.0f;  // unit 0 sums the inputs, unit 1 is 0
  net.layer<1>().set_kernel(k);
  const auto y = net.predict(Tensor<Shape<4>>{1.0f, 1.0f, 1.0f, 1.0f});  // scaled sum: 2
  summary(net, std::cout);
  std::cout << "softmax(2, 0) = " << y[0] << ", " << y[1] << '\n';
  const bool predicts = std::abs(y[0] - 1.0f / (1.0f + std::exp(-2.0f))) < 1e-6f;

  // It trains like any layer: learn to pick the larger of two inputs.
  using Chooser = Sequential<Input<2>, Scale<std::ratio<1, 2>>, Dense<2, Softmax>>;
  Chooser chooser;
  chooser.init(3);
  std::vector<Tensor<Shape<2>>> x;
  std::vector<std::uint32_t> labels;
  SplitMix64 rng(5);
  for (int i = 0; i < 400; ++i) {
    const auto a = static_cast<float>(rng.uniform()), b = static_cast<float>(rng.uniform());
    x.push_back({a, b});
    labels.push_back(a > b ? 0 : 1);
  }
  auto trainer = compile(chooser, loss::SparseCategoricalCrossentropy{}, optim::Adam{.learning_rate = 0.05},
                         metrics::Accuracy{});
  trainer.fit<16>(x, labels, {.epochs = 30, .verbose = 0});
  const auto [loss, accuracy] = trainer.evaluate<16>(x, labels);
  std::cout << "trained through Scale: accuracy " << accuracy << '\n';
  return predicts && accuracy > 0.95 ? EXIT_SUCCESS : EXIT_FAILURE;
}
