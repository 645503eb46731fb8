// A graph of 20 residual blocks for compile-time measurement
// (bench/compile_cost.sh): each block is x + Dense(Dense(x)), so the graph
// has 61 nodes and each block's input feeds two of them. The inner widths
// differ from block to block, so few instantiations repeat. Trained for an
// epoch, evaluated and run, as mlp30.cpp is.
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <vector>

#include <forma/forma.hpp>

using namespace forma;

namespace {

// Block I: x + Dense<48>(Dense<20 + I, Tanh>(x)).
template <std::size_t I, class X>
constexpr auto block(X x) {
  return Add{}(x, Dense<48>{}(Dense<20 + I, Tanh>{}(x)));
}

constexpr auto input = Input<48>{};
constexpr auto x0 = Dense<48, Tanh>{}(input);
constexpr auto x1 = block<1>(x0);
constexpr auto x2 = block<2>(x1);
constexpr auto x3 = block<3>(x2);
constexpr auto x4 = block<4>(x3);
constexpr auto x5 = block<5>(x4);
constexpr auto x6 = block<6>(x5);
constexpr auto x7 = block<7>(x6);
constexpr auto x8 = block<8>(x7);
constexpr auto x9 = block<9>(x8);
constexpr auto x10 = block<10>(x9);
constexpr auto x11 = block<11>(x10);
constexpr auto x12 = block<12>(x11);
constexpr auto x13 = block<13>(x12);
constexpr auto x14 = block<14>(x13);
constexpr auto x15 = block<15>(x14);
constexpr auto x16 = block<16>(x15);
constexpr auto x17 = block<17>(x16);
constexpr auto x18 = block<18>(x17);
constexpr auto x19 = block<19>(x18);
constexpr auto x20 = block<20>(x19);
constexpr auto output = Dense<10, Softmax>{}(x20);

}  // namespace

using Residual20 = Model<decltype(input), decltype(output)>;
static_assert(Residual20::layer_count == 62);

int main() {
  constexpr std::size_t samples = 32, batch = 8;
  SplitMix64 rng(7);
  std::vector<Tensor<Shape<48>>> x(samples);
  std::vector<Tensor<Shape<10>>> y(samples);
  for (std::size_t i = 0; i < samples; ++i) {
    for (std::size_t j = 0; j < 48; ++j) x[i][j] = static_cast<float>(rng.uniform());
    y[i][i % 10] = 1.0f;
  }
  auto model = std::make_unique<Residual20>();
  model->init(42);
  auto trainer = compile(*model, loss::CategoricalCrossentropy{}, optim::Adam{}, metrics::Accuracy{});
  trainer.fit<batch>(x, y, {.epochs = 1, .shuffle = true, .seed = 1, .verbose = 0});
  const auto [loss, accuracy] = trainer.evaluate<batch>(x, y);
  const auto p = model->predict(x[0]);
  double sum = 0;
  for (float v : p) sum += v;
  std::cout << "loss " << loss << ", accuracy " << accuracy << ", sum of probabilities " << sum << '\n';
  return std::isfinite(loss) && std::abs(sum - 1.0) < 1e-4 ? EXIT_SUCCESS : EXIT_FAILURE;
}
