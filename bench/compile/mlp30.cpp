// A deep MLP for compile-time measurement (bench/compile_cost.sh): 30 Dense
// layers, trained for an epoch on random data, evaluated and run, so the whole
// training path (forward, backward, Adam, the loss and the metric) is
// instantiated for every layer. The hidden widths all differ (64 down to 36),
// so no two layers share a type and the compiler can reuse no instantiation:
// the worst case for compile time, and the reason this file exists.
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <vector>

#include <forma/forma.hpp>

using namespace forma;

using Mlp30 = Sequential<Input<64>,
                         Dense<64, ReLU>, Dense<63, ReLU>, Dense<62, ReLU>, Dense<61, ReLU>, Dense<60, ReLU>, Dense<59, ReLU>,
                         Dense<58, ReLU>, Dense<57, ReLU>, Dense<56, ReLU>, Dense<55, ReLU>, Dense<54, ReLU>, Dense<53, ReLU>,
                         Dense<52, ReLU>, Dense<51, ReLU>, Dense<50, ReLU>, Dense<49, ReLU>, Dense<48, ReLU>, Dense<47, ReLU>,
                         Dense<46, ReLU>, Dense<45, ReLU>, Dense<44, ReLU>, Dense<43, ReLU>, Dense<42, ReLU>, Dense<41, ReLU>,
                         Dense<40, ReLU>, Dense<39, ReLU>, Dense<38, ReLU>, Dense<37, ReLU>, Dense<36, ReLU>,
                         Dense<10, Softmax>>;
static_assert(Mlp30::output_shape::size == 10 && Mlp30::param_count == 77736);

int main() {
  constexpr std::size_t samples = 32, batch = 8;
  SplitMix64 rng(7);
  std::vector<Tensor<Shape<64>>> x(samples);
  std::vector<Tensor<Shape<10>>> y(samples);
  for (std::size_t i = 0; i < samples; ++i) {
    for (std::size_t j = 0; j < 64; ++j) x[i][j] = static_cast<float>(rng.uniform());
    y[i][i % 10] = 1.0f;
  }

  auto model = std::make_unique<Mlp30>();  // heap: the model holds its weights inline
  model->init(42);
  auto trainer = compile(*model, loss::CategoricalCrossentropy{}, optim::Adam{}, metrics::Accuracy{});
  const History history = trainer.fit<batch>(x, y, {.epochs = 1, .shuffle = true, .seed = 1, .verbose = 0});
  const auto [loss, accuracy] = trainer.evaluate<batch>(x, y);
  const auto p = model->predict(x[0]);

  float total = 0;
  for (std::size_t k = 0; k < 10; ++k) total += p[k];
  std::cout << "loss " << history["loss"].front() << ", evaluated " << loss << ", accuracy " << accuracy
            << ", predicted sum " << total << '\n';
  return std::isfinite(loss) && std::abs(total - 1.0f) < 1e-3f ? EXIT_SUCCESS : EXIT_FAILURE;
}
