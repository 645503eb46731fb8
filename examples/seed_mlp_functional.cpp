// The same MLP through the functional API, as the seed builds it: layers are
// called on symbolic tensors, and Model takes the input and the output.
#include <cstdlib>
#include <iostream>
#include <memory>

#include <forma/forma.hpp>

using namespace forma;

constexpr auto input_layer = Input<32, 32, 3>{};
constexpr auto x = Dense<150, ReLU>{}(Dense<200, ReLU>{}(Flatten{}(input_layer)));
constexpr auto output_layer = Dense<10, Softmax>{}(x);
using FunctionalMlp = Model<decltype(input_layer), decltype(output_layer)>;

using Mlp = Sequential<Input<32, 32, 3>, Flatten, Dense<200, ReLU>, Dense<150, ReLU>, Dense<10, Softmax>>;
static_assert(std::is_same_v<FunctionalMlp::output_shape, Mlp::output_shape>);
static_assert(FunctionalMlp::param_count == Mlp::param_count);

int main() {
  auto model = std::make_unique<FunctionalMlp>();
  model->init(42);
  summary(*model, std::cout);

  // Both APIs build the same network: same seed, same weights, same outputs.
  auto sequential = std::make_unique<Mlp>();
  sequential->init(42);
  Tensor<Shape<32, 32, 3>> image;
  for (std::size_t i = 0; i < image.size; ++i) image[i] = static_cast<float>(i % 97) / 96.0f;
  const auto a = model->predict(image);
  const auto b = sequential->predict(image);
  std::cout << "\nfunctional and sequential outputs " << (a == b ? "agree" : "DIFFER") << '\n';
  return a == b ? EXIT_SUCCESS : EXIT_FAILURE;
}
