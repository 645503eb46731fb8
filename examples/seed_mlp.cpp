// The seed, from start to finish, in C++: load images, scale them to [0, 1],
// one-hot encode the labels, show a few, declare and summarise the MLP, train
// it with Adam(0.0005) in batches of 32 for 10 shuffled epochs, evaluate it,
// and show what it predicts.
//
//   seed_mlp                      Fashion-MNIST (Debian's dataset-fashion-mnist), Input<28, 28, 1>
//   seed_mlp --cifar10 DIR        CIFAR-10's binary version in DIR, the seed's exact Input<32, 32, 3>
//   options: --epochs N (10), --seed S (42), --out DIR (seed_mlp_output), --fashion DIR,
//            --min-accuracy A (exit with an error below it)
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <forma/data/data.hpp>
#include <forma/forma.hpp>
#include <forma/plot/plot.hpp>

using namespace forma;

namespace {

struct options {
  std::filesystem::path cifar10;
  std::filesystem::path fashion = data::fashion_mnist_dir;
  std::filesystem::path out = "seed_mlp_output";
  int epochs = 10;
  std::uint64_t seed = 42;
  double min_accuracy = 0.0;
};

constexpr std::size_t batch_size = 32;  // a compile-time constant: the buffers are sized for it

template <class S>
int run(const data::ImageSplits<S>& d, const options& o) {
  using Mlp = Sequential<Input<S::dims[0], S::dims[1], S::dims[2]>, Flatten,
                         Dense<200, ReLU>, Dense<150, ReLU>, Dense<10, Softmax>>;
  std::filesystem::create_directories(o.out);

  // x_train = x_train.astype("float32") / 255.0; y_train = to_categorical(y_train, 10)
  const auto x_train = data::normalize(d.train), x_test = data::normalize(d.test);
  const auto y_train = data::to_categorical<10>(d.train.labels()), y_test = data::to_categorical<10>(d.test.labels());
  const auto train_classes = data::class_indices<10>(d.train.labels());
  const auto test_classes = data::class_indices<10>(d.test.labels());
  std::cout << x_train.size() << " training and " << x_test.size() << " test images of "
            << shape_string<S>() << "\n";

  // display(x_train[:10]); print(y_train[:10])
  plot::image_grid(x_train, train_classes, d.class_names, o.out / "x_train.png", {.title = "x_train[:10]"});
  std::cout << "y_train[:10] (written as " << (o.out / "x_train.png").string() << "):\n";
  for (std::size_t i = 0; i < 10; ++i) {
    std::cout << "  [";
    for (std::size_t j = 0; j < 10; ++j) std::cout << (j ? " " : "") << y_train[i][j];
    std::cout << "]  " << d.class_names[train_classes[i]] << '\n';
  }

  auto model = std::make_unique<Mlp>();
  model->init(o.seed);
  summary(*model, std::cout);

  auto trainer = compile(*model, loss::CategoricalCrossentropy{}, optim::Adam{.learning_rate = 0.0005},
                         metrics::Accuracy{});
  const auto start = std::chrono::steady_clock::now();
  const History history =
      trainer.template fit<batch_size>(x_train, y_train, {.epochs = o.epochs, .shuffle = true, .seed = o.seed});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  plot::history_csv(history, o.out / "history.csv");
  plot::history_chart(history, o.out / "history.png");

  const auto [test_loss, test_accuracy] = trainer.template evaluate<256>(x_test, y_test);

  // What the model predicts for the first ten test images.
  std::vector<Tensor<Shape<10>>> probs(10);
  model->template predict<10>(std::span(x_test).first(10), probs);
  std::vector<std::uint32_t> predicted(10);
  for (std::size_t i = 0; i < 10; ++i)
    for (std::uint32_t k = 1; k < 10; ++k)
      if (probs[i][k] > probs[i][predicted[i]]) predicted[i] = k;
  plot::prediction_grid(std::span(x_test).first(10), predicted, std::span(test_classes).first(10), d.class_names,
                        o.out / "predictions.png", {.title = "x_test[:10]: predicted / actual"});

  std::printf("\ntraining: %d epochs in %.1f s (%.0f samples/s)\n", o.epochs, seconds,
              static_cast<double>(x_train.size()) * o.epochs / seconds);
  std::printf("test loss %.4f, test accuracy %.4f\n", test_loss, test_accuracy);
  std::cout << "pictures and history in " << o.out.string() << "/\n";
  if (test_accuracy < o.min_accuracy) {
    std::fprintf(stderr, "seed_mlp: test accuracy %.4f is below the required %.4f\n", test_accuracy,
                 o.min_accuracy);
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}

int usage(const char* why) {
  std::cerr << "seed_mlp: " << why
            << "\nusage: seed_mlp [--cifar10 DIR | --fashion DIR] [--epochs N] [--seed S] [--out DIR]"
               " [--min-accuracy A]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (i + 1 >= argc) return usage(("missing value after " + a).c_str());
      const std::string v = argv[++i];
      if (a == "--cifar10") o.cifar10 = v;
      else if (a == "--fashion") o.fashion = v;
      else if (a == "--epochs") o.epochs = std::stoi(v);
      else if (a == "--seed") o.seed = std::stoull(v);
      else if (a == "--out") o.out = v;
      else if (a == "--min-accuracy") o.min_accuracy = std::stod(v);
      else return usage(("unknown option " + a).c_str());
    }
    if (o.epochs < 1) return usage("--epochs needs a positive number");
  } catch (const std::exception&) {
    return usage("an option's value is not a number");
  }

  try {
    if (!o.cifar10.empty()) {
      std::cout << "CIFAR-10 from " << o.cifar10.string() << '\n';
      return run(data::load_cifar10(o.cifar10), o);
    }
    std::cout << "Fashion-MNIST from " << o.fashion.string() << '\n';
    return run(data::load_fashion_mnist(o.fashion), o);
  } catch (const data::data_error& e) {
    std::cerr << "seed_mlp: " << e.what() << '\n';
    if (!o.cifar10.empty())
      std::cerr << "CIFAR-10: download its binary version (cifar-10-binary.tar.gz, from the CIFAR page of the "
                   "University of Toronto), extract it, and pass the folder holding data_batch_1.bin.\n";
    else
      std::cerr << "Fashion-MNIST: install Debian's package (apt-get install dataset-fashion-mnist, or "
                   "scripts/install-deps.sh), or pass --fashion DIR.\n";
    return EXIT_FAILURE;
  } catch (const std::exception& e) {
    std::cerr << "seed_mlp: " << e.what() << '\n';
    return EXIT_FAILURE;
  }
}
