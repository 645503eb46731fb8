// A noisy line, y = 3x - 2 + noise, fitted by one linear unit with mean
// squared error: the learned kernel and bias are the slope and intercept.
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <vector>

#include <forma/forma.hpp>

using namespace forma;

using Line = Sequential<Input<1>, Dense<1>>;

int main() {
  constexpr double slope = 3.0, intercept = -2.0;
  SplitMix64 rng(2024);
  std::vector<Tensor<Shape<1>>> x, y;
  for (int i = 0; i < 2000; ++i) {
    const double xi = 4.0 * rng.uniform() - 2.0;
    // Noise: the sum of four uniforms, centred (roughly normal, sd 0.29).
    const double noise = (rng.uniform() + rng.uniform() + rng.uniform() + rng.uniform() - 2.0) * 0.5;
    x.push_back({static_cast<float>(xi)});
    y.push_back({static_cast<float>(slope * xi + intercept + noise)});
  }

  Line line;
  line.init(7);
  auto trainer = compile(line, loss::MeanSquaredError{}, optim::SGD{.learning_rate = 0.05});
  // Plain SGD jitters around the optimum by an amount that scales with the
  // learning rate; decaying it lets the last epochs settle.
  LearningRateScheduler decay([](int epoch, double lr) { return epoch == 0 ? lr : lr * 0.85; });
  trainer.fit<32>(x, y, {.epochs = 40, .verbose = 0, .callbacks = {&decay}});

  const double learned_slope = line.layer<0>().kernel_at(0, 0), learned_intercept = line.layer<0>().bias_at(0);
  const double slope_error = std::abs(learned_slope - slope) / slope;
  const double intercept_error = std::abs(learned_intercept - intercept) / std::abs(intercept);
  std::cout << "slope " << learned_slope << " (relative error " << slope_error << "), intercept "
            << learned_intercept << " (relative error " << intercept_error << ")\n";
  return slope_error < 0.01 && intercept_error < 0.01 ? EXIT_SUCCESS : EXIT_FAILURE;
}
