// The seed's MLP for CIFAR-10 as a type: declared, checked by the compiler,
// summarised, initialised with Keras' defaults and run on one image.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include <forma/forma.hpp>

using namespace forma;

using Mlp = Sequential<Input<32, 32, 3>, Flatten,
                       Dense<200, ReLU>, Dense<150, ReLU>, Dense<10, Softmax>>;

static_assert(std::is_same_v<Mlp::output_shape, Shape<10>>);
static_assert(Mlp::param_count == 646'260);  // Keras' summary() says the same
static_assert(Mlp::param_bytes == 646'260 * sizeof(float));

int main(int argc, char** argv) {
  const std::uint64_t seed = argc > 1 ? std::stoull(argv[1]) : 42;

  auto model = std::make_unique<Mlp>();  // the parameters only: 2.6 MB, so on the heap
  model->init(seed);
  summary(*model, std::cout);

  // A stand-in image until the data loaders arrive: a smooth colour gradient
  // in [0, 1], laid out height x width x channel as Keras' CIFAR-10 is.
  Tensor<Shape<32, 32, 3>> image;
  for (std::size_t h = 0; h < 32; ++h)
    for (std::size_t w = 0; w < 32; ++w)
      for (std::size_t c = 0; c < 3; ++c) image(h, w, c) = static_cast<float>((h + 2 * w + 7 * c) % 64) / 63.0f;

  const Tensor<Shape<10>> probs = model->predict(image);  // const, no heap allocation
  std::size_t best = 0;
  float total = 0;
  std::cout << "\nclass probabilities of an untrained model:";
  for (std::size_t k = 0; k < 10; ++k) {
    std::cout << (k % 5 == 0 ? "\n  " : "  ") << k << ": " << probs[k];
    total += probs[k];
    if (probs[k] > probs[best]) best = k;
  }
  std::cout << "\nsum " << total << ", most likely class " << best << '\n';
  return total > 0.999f && total < 1.001f ? EXIT_SUCCESS : EXIT_FAILURE;
}
