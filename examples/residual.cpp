// A functional graph with a skip connection, trained on Fashion-MNIST beside
// the seed's chain MLP: the same data, optimizer, batches and epochs, so the
// two test accuracies can be read side by side.
//
//   residual [--epochs N (10)] [--seed S (42)] [--fashion DIR] [--min-accuracy A]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include <forma/data/data.hpp>
#include <forma/forma.hpp>

using namespace forma;

namespace {

// The seed's MLP, with the second hidden layer's output added to the first's
// (the layers are as wide, so that Add applies) before the last hidden layer.
constexpr auto image = Input<28, 28, 1>{};
constexpr auto h1 = Dense<200, ReLU>{}(Flatten{}(image));
constexpr auto h2 = Dense<200, ReLU>{}(h1);
constexpr auto skip = Add{}(h1, h2);  // h1 feeds h2 and the Add
constexpr auto out = Dense<10, Softmax>{}(Dense<150, ReLU>{}(skip));
using Residual = Model<decltype(image), decltype(out)>;

using Chain = Sequential<Input<28, 28, 1>, Flatten, Dense<200, ReLU>, Dense<200, ReLU>, Dense<150, ReLU>,
                         Dense<10, Softmax>>;
static_assert(Residual::param_count == Chain::param_count);  // the Add has no weights

constexpr std::size_t batch_size = 32;

struct result {
  double accuracy, seconds;
};

template <class M, class D>
result train(const D& train_set, const D& test_set, int epochs, std::uint64_t seed) {
  auto model = std::make_unique<M>();
  model->init(seed);
  auto trainer = compile(*model, loss::CategoricalCrossentropy{}, optim::Adam{.learning_rate = 0.0005},
                         metrics::Accuracy{});
  const auto start = std::chrono::steady_clock::now();
  trainer.template fit<batch_size>(train_set.x(), train_set.y(),
                                   {.epochs = epochs, .shuffle = true, .seed = seed, .verbose = 2});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {trainer.template evaluate<256>(test_set.x(), test_set.y())[1], seconds};
}

}  // namespace

int main(int argc, char** argv) {
  int epochs = 10;
  std::uint64_t seed = 42;
  double min_accuracy = 0;
  std::filesystem::path fashion = data::fashion_mnist_dir;
  try {
    for (int i = 1; i + 1 < argc; i += 2) {
      const std::string a = argv[i], v = argv[i + 1];
      if (a == "--epochs") epochs = std::stoi(v);
      else if (a == "--seed") seed = std::stoull(v);
      else if (a == "--fashion") fashion = v;
      else if (a == "--min-accuracy") min_accuracy = std::stod(v);
      else throw std::invalid_argument("unknown option " + a);
    }
    if (argc % 2 == 0) throw std::invalid_argument(std::string("missing value after ") + argv[argc - 1]);

    const auto d = data::load_fashion_mnist(fashion);
    const auto train_set = data::Dataset(data::normalize(d.train), data::to_categorical<10>(d.train.labels()));
    const auto test_set = data::Dataset(data::normalize(d.test), data::to_categorical<10>(d.test.labels()));
    summary(Residual{}, std::cout);

    std::cout << "\nthe residual graph\n";
    const result graph = train<Residual>(train_set, test_set, epochs, seed);
    std::cout << "\nthe chain of the same layers\n";
    const result chain = train<Chain>(train_set, test_set, epochs, seed);
    std::printf("\n%d epochs, Adam(0.0005), batch %zu, seed %llu\n", epochs, batch_size,
                static_cast<unsigned long long>(seed));
    std::printf("  residual graph: test accuracy %.4f (%.1f s)\n", graph.accuracy, graph.seconds);
    std::printf("  chain MLP:      test accuracy %.4f (%.1f s)\n", chain.accuracy, chain.seconds);
    if (graph.accuracy < min_accuracy) {
      std::fprintf(stderr, "residual: test accuracy %.4f is below the required %.4f\n", graph.accuracy,
                   min_accuracy);
      return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
  } catch (const std::exception& e) {
    std::cerr << "residual: " << e.what() << '\n';
    return EXIT_FAILURE;
  }
}
