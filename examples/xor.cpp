// XOR, the classic non-linear problem: a sigmoid output trained with binary
// cross-entropy must classify all four points.
#include <cstdlib>
#include <iostream>
#include <vector>

#include <forma/forma.hpp>

using namespace forma;

using Net = Sequential<Input<2>, Dense<8, Tanh>, Dense<1, Sigmoid>>;

int main() {
  Net net;
  net.init(1);
  const std::vector<Tensor<Shape<2>>> x{{0, 0}, {0, 1}, {1, 0}, {1, 1}};
  const std::vector<Tensor<Shape<1>>> y{{0}, {1}, {1}, {0}};

  auto trainer = compile(net, loss::BinaryCrossentropy{}, optim::Adam{.learning_rate = 0.05}, metrics::Accuracy{});
  const History history = trainer.fit<4>(x, y, {.epochs = 300, .verbose = 0});
  const auto [loss, accuracy] = trainer.evaluate<4>(x, y);

  std::cout << "loss after the first epoch " << history["loss"].front() << ", after the last " << loss << '\n';
  for (const auto& xi : x) std::cout << xi[0] << " xor " << xi[1] << " -> " << net.predict(xi)[0] << '\n';
  std::cout << "accuracy " << accuracy << '\n';
  return accuracy == 1.0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
