// compile / fit / evaluate: losses and metrics with Keras' semantics, the
// options of fit, callbacks, divergence, determinism and progress output.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <forma/forma.hpp>

using namespace forma;

namespace {

// A small classification problem: 3 classes of points around 3 centres.
struct blobs {
  std::vector<Tensor<Shape<2>>> x;
  std::vector<Tensor<Shape<3>>> y;
  std::vector<std::uint32_t> classes;
};

blobs make_blobs(std::size_t n, std::uint64_t seed) {
  const float cx[3] = {-1.0f, 1.0f, 0.0f}, cy[3] = {0.0f, 0.0f, 1.5f};
  SplitMix64 rng(seed);
  blobs b;
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<std::uint32_t>(rng.next() % 3);
    b.x.push_back({cx[c] + 0.6f * static_cast<float>(rng.uniform() - 0.5),
                   cy[c] + 0.6f * static_cast<float>(rng.uniform() - 0.5)});
    Tensor<Shape<3>> one_hot;
    one_hot[c] = 1.0f;
    b.y.push_back(one_hot);
    b.classes.push_back(c);
  }
  return b;
}

using Classifier = Sequential<Input<2>, Dense<16, ReLU>, Dense<3, Softmax>>;

template <class M>
bool same_weights(const M& a, const M& b) {
  bool same = true;
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    ((same = same && [&] {
       if constexpr (M::template bound_layer<K>::param_count > 0) {
         const auto va = a.template layer<K>().values(), vb = b.template layer<K>().values();
         return std::equal(va.begin(), va.end(), vb.begin());
       }
       return true;
     }()),
     ...);
  }(std::make_index_sequence<M::layer_count>{});
  return same;
}

}  // namespace

TEST_CASE("losses follow Keras' definitions", "[training][losses]") {
  const float pred[3] = {0.7f, 0.2f, 0.1f};
  const float one_hot[3] = {0.0f, 1.0f, 0.0f};
  CHECK(loss::CategoricalCrossentropy<>::sample_loss<3>(pred, one_hot) == Approx(-std::log(0.2)));
  CHECK(loss::SparseCategoricalCrossentropy<>::sample_loss<3>(pred, std::uint32_t{1}) == Approx(-std::log(0.2)));
  // A probability of 0 is clipped to 1e-7.
  const float certain[3] = {1.0f, 0.0f, 0.0f};
  CHECK(loss::CategoricalCrossentropy<>::sample_loss<3>(certain, one_hot) == Approx(-std::log(1e-7)));
  // From logits: the same as softmax first.
  const float logits[3] = {2.0f, -1.0f, 0.5f};
  float soft[3];
  const double z = std::exp(2.0) + std::exp(-1.0) + std::exp(0.5);
  for (int j = 0; j < 3; ++j) soft[j] = static_cast<float>(std::exp(double(logits[j])) / z);
  CHECK(loss::CategoricalCrossentropy<true>::sample_loss<3>(logits, one_hot) ==
        Approx(loss::CategoricalCrossentropy<>::sample_loss<3>(soft, one_hot)));
  CHECK(loss::SparseCategoricalCrossentropy<true>::sample_loss<3>(logits, std::uint32_t{1}) ==
        Approx(-std::log(std::exp(-1.0) / z)));

  const float p[2] = {0.9f, 0.0f}, y[2] = {1.0f, 1.0f};
  CHECK(loss::BinaryCrossentropy<>::sample_loss<2>(p, y) == Approx((-std::log(0.9) - std::log(1e-7)) / 2));
  const float x[2] = {3.0f, -40.0f};  // from logits: stable far from 0
  CHECK(loss::BinaryCrossentropy<true>::sample_loss<2>(x, y) ==
        Approx((std::log1p(std::exp(-3.0)) + 40.0) / 2).epsilon(1e-6));
  const float a[2] = {1.0f, 3.0f}, b[2] = {0.0f, 1.0f};
  CHECK(loss::MeanSquaredError::sample_loss<2>(a, b) == Approx((1.0 + 4.0) / 2));
}

TEST_CASE("metrics: categorical, binary and top-k accuracy", "[training][metrics]") {
  metrics::Accuracy::bind<3, Softmax, loss::CategoricalCrossentropy<>, float> categorical;
  const float p1[3] = {0.1f, 0.7f, 0.2f}, p2[3] = {0.5f, 0.3f, 0.2f};
  categorical.update(p1, Tensor<Shape<3>>{0, 1, 0});
  categorical.update(p2, Tensor<Shape<3>>{0, 0, 1});
  CHECK(categorical.result() == 0.5);

  metrics::Accuracy::bind<3, Softmax, loss::SparseCategoricalCrossentropy<>, float> sparse;
  sparse.update(p1, std::uint32_t{1});
  CHECK(sparse.result() == 1.0);

  metrics::Accuracy::bind<2, Sigmoid, loss::BinaryCrossentropy<>, float> binary;
  const float q[2] = {0.6f, 0.4f};
  binary.update(q, Tensor<Shape<2>>{1, 1});  // one of two values right
  CHECK(binary.result() == 0.5);

  metrics::TopKCategoricalAccuracy<2>::bind<3, Softmax, loss::CategoricalCrossentropy<>, float> top2;
  top2.update(p1, Tensor<Shape<3>>{0, 0, 1});  // class 2 is second largest
  top2.update(p2, Tensor<Shape<3>>{0, 0, 1});  // third
  CHECK(top2.result() == 0.5);
}

TEST_CASE("fit learns, records history and validates on the last fraction", "[training][fit]") {
  const auto data = make_blobs(500, 1);
  auto model = std::make_unique<Classifier>();
  model->init(3);
  auto trainer = compile(*model, loss::CategoricalCrossentropy{}, optim::Adam{.learning_rate = 0.01},
                         metrics::Accuracy{}, metrics::TopKCategoricalAccuracy<2>{});
  const History h = trainer.fit<32>(data.x, data.y, {.epochs = 15, .validation_split = 0.2, .verbose = 0});
  REQUIRE(h.epoch.size() == 15);
  for (const char* key : {"loss", "accuracy", "top_k_categorical_accuracy", "val_loss", "val_accuracy",
                          "val_top_k_categorical_accuracy"})
    REQUIRE(h[key].size() == 15);
  CHECK(h["loss"].back() < h["loss"].front());
  CHECK(h["accuracy"].back() > 0.9);
  // Keras takes the last 20% (samples 400..499) as validation data, unshuffled.
  const std::vector<Tensor<Shape<2>>> vx(data.x.begin() + 400, data.x.end());
  const std::vector<Tensor<Shape<3>>> vy(data.y.begin() + 400, data.y.end());
  const auto [val_loss, val_acc, val_top2] = trainer.evaluate<64>(vx, vy);
  CHECK(val_loss == Approx(h["val_loss"].back()).epsilon(1e-12));
  CHECK(val_acc == h["val_accuracy"].back());
  CHECK(val_top2 >= val_acc);

  const auto names = decltype(trainer)::metric_names();
  CHECK(names[0] == "loss");
  CHECK(names[1] == "accuracy");
}

TEST_CASE("fit with validation data and sparse labels", "[training][fit]") {
  const auto train = make_blobs(300, 2), val = make_blobs(100, 3);
  Classifier model;
  model.init(4);
  auto trainer = compile(model, loss::SparseCategoricalCrossentropy{}, optim::RMSprop{.learning_rate = 0.01},
                         metrics::Accuracy{});
  const History h = trainer.fit<16>(train.x, train.classes, ValidationData{val.x, val.classes},
                                    {.epochs = 10, .verbose = 0});
  REQUIRE(h["val_accuracy"].size() == 10);
  CHECK(h["val_accuracy"].back() > 0.9);
}

TEST_CASE("the same seeds give bit-identical weights", "[training][fit]") {
  const auto data = make_blobs(200, 5);
  auto run = [&](std::uint64_t shuffle_seed) {
    auto m = std::make_unique<Classifier>();
    m->init(11);
    auto t = compile(*m, loss::CategoricalCrossentropy{}, optim::SGD{.learning_rate = 0.1, .momentum = 0.9});
    t.fit<32>(data.x, data.y, {.epochs = 3, .seed = shuffle_seed, .verbose = 0});  // 200 = 6 x 32 + 8
    return m;
  };
  const auto a = run(7), b = run(7), c = run(8);
  CHECK(same_weights(*a, *b));
  CHECK_FALSE(same_weights(*a, *c));
}

TEST_CASE("callbacks: learning-rate schedule, epoch-end function, early stopping", "[training][callbacks]") {
  const auto data = make_blobs(300, 6);
  Classifier model;
  model.init(8);
  auto trainer = compile(model, loss::CategoricalCrossentropy{}, optim::SGD{.learning_rate = 0.1});

  std::vector<double> rates;
  LearningRateScheduler halve([](int epoch, double lr) { return epoch == 0 ? lr : lr / 2; });
  LambdaCallback record([&](int, const Logs&) { rates.push_back(trainer.optimizer().learning_rate); });
  trainer.fit<32>(data.x, data.y, {.epochs = 4, .verbose = 0, .callbacks = {&halve, &record}});
  REQUIRE(rates == std::vector<double>{0.1, 0.05, 0.025, 0.0125});

  // From epoch 3 on the learning rate is absurd, so val_loss gets worse:
  // training stops after `patience` epochs and the best weights come back.
  LearningRateScheduler explode([](int epoch, double) { return epoch < 3 ? 0.1 : 50.0; });
  EarlyStopping stop({.monitor = "val_loss", .patience = 1, .restore_best_weights = true});
  trainer.optimizer().learning_rate = 0.1;
  const History h = trainer.fit<32>(data.x, data.y,
                                    {.epochs = 20, .validation_split = 0.25, .verbose = 0, .callbacks = {&explode, &stop}});
  REQUIRE(stop.stopped_epoch() >= 3);
  CHECK(h.epoch.size() == static_cast<std::size_t>(stop.stopped_epoch() + 1));
  CHECK(h.epoch.size() < 20);
  const std::vector<Tensor<Shape<2>>> vx(data.x.begin() + 225, data.x.end());
  const std::vector<Tensor<Shape<3>>> vy(data.y.begin() + 225, data.y.end());
  const auto [val_loss] = trainer.evaluate<32>(vx, vy);
  CHECK(val_loss == Approx(h["val_loss"][static_cast<std::size_t>(stop.best_epoch())]).epsilon(1e-12));
  CHECK(val_loss == Approx(stop.best()).epsilon(1e-12));

  EarlyStopping wrong({.monitor = "val_accuracy"});
  CHECK_THROWS_WITH(trainer.fit<32>(data.x, data.y, {.epochs = 2, .verbose = 0, .callbacks = {&wrong}}),
                    Catch::Contains("val_accuracy"));
}

TEST_CASE("a diverging loss stops training with the epoch and step, weights finite", "[training][errors]") {
  std::vector<Tensor<Shape<1>>> x, y;
  for (int i = 0; i < 64; ++i) {
    x.push_back({static_cast<float>(i)});
    y.push_back({static_cast<float>(3 * i)});
  }
  Sequential<Input<1>, Dense<1>> line;
  line.init(1);
  auto trainer = compile(line, loss::MeanSquaredError{}, optim::SGD{.learning_rate = 10.0});
  std::string message;
  try {
    trainer.fit<8>(x, y, {.epochs = 50, .verbose = 0});
  } catch (const training_diverged& e) {
    message = e.what();
    CHECK(e.epoch() >= 0);
  }
  INFO(message);
  REQUIRE(std::regex_search(message, std::regex("at epoch [0-9]+, step [0-9]+")));
  CHECK(std::isfinite(line.layer<0>().kernel_at(0, 0)));
  CHECK(std::isfinite(line.layer<0>().bias_at(0)));
}

TEST_CASE("bad inputs to fit and evaluate are named", "[training][errors]") {
  const auto data = make_blobs(20, 9);
  Classifier model;
  auto trainer = compile(model, loss::SparseCategoricalCrossentropy{}, optim::SGD{});
  std::vector<std::uint32_t> classes = data.classes;
  classes[3] = 12;
  CHECK_THROWS_WITH(trainer.fit<8>(data.x, classes, {.verbose = 0}),
                    Catch::Contains("label 12 of sample 3 is not a class below 3"));
  classes.pop_back();
  CHECK_THROWS_WITH(trainer.evaluate<8>(data.x, classes), Catch::Contains("20 samples but 19 labels"));
  CHECK_THROWS_AS(trainer.fit<8>(data.x, data.classes, {.validation_split = 1.0, .verbose = 0}),
                  std::invalid_argument);
}

TEST_CASE("progress output: a line per epoch off a terminal, short lines at verbose 2", "[training][progress]") {
  const auto data = make_blobs(100, 10);
  Classifier model;
  model.init(1);
  auto trainer = compile(model, loss::CategoricalCrossentropy{}, optim::Adam{}, metrics::Accuracy{});
  std::ostringstream one, two, none;
  trainer.fit<32>(data.x, data.y, {.epochs = 2, .verbose = 1, .out = &one});
  trainer.fit<32>(data.x, data.y, {.epochs = 2, .validation_split = 0.2, .verbose = 2, .out = &two});
  trainer.fit<32>(data.x, data.y, {.epochs = 1, .verbose = 0, .out = &none});
  const std::regex bar_epoch(
      "Epoch 1/2\n4/4 \\[==============================\\] - [0-9]+s [0-9]+(us|ms|s)/step - loss: [0-9]+\\.[0-9]{4} "
      "- accuracy: [0-9]\\.[0-9]{4}\nEpoch 2/2\n4/4 \\[=+\\] - .*\n");
  CHECK(std::regex_match(one.str(), bar_epoch));
  const std::regex short_epoch(
      "Epoch 1/2\n3/3 - [0-9]+s - [0-9]+(us|ms|s)/step - loss: [0-9.]+ - accuracy: [0-9.]+ - val_loss: [0-9.]+ - "
      "val_accuracy: [0-9.]+\nEpoch 2/2\n.*\n");
  CHECK(std::regex_match(two.str(), short_epoch));
  CHECK(none.str().empty());
}

TEST_CASE("training memory is a compile-time fact", "[training]") {
  using Mlp = Sequential<Input<32, 32, 3>, Flatten, Dense<200, ReLU>, Dense<150, ReLU>, Dense<10, Softmax>>;
  using AdamTrainer = Trainer<Mlp, loss::CategoricalCrossentropy<>, optim::Adam, metrics::Accuracy>;
  // Gradients, first and second moments: three copies of the parameters.
  static_assert(AdamTrainer::state_bytes >= 3 * sizeof(Mlp::params_type));
  static_assert(AdamTrainer::state_bytes <= 3 * sizeof(Mlp::params_type) + 64);
  static_assert(AdamTrainer::training_bytes<32> == AdamTrainer::state_bytes + AdamTrainer::batch_bytes<32>);
  static_assert(AdamTrainer::batch_bytes<64> > AdamTrainer::batch_bytes<32>);
  using SgdTrainer = Trainer<Mlp, loss::CategoricalCrossentropy<>, optim::SGD>;
  static_assert(SgdTrainer::state_bytes < AdamTrainer::state_bytes);
  CHECK(AdamTrainer::training_bytes<32> > 0);
}

TEST_CASE("on a terminal the bar is redrawn in place", "[training][progress]") {
  std::ostringstream os;
  ProgressBar bar(os, 1, true);
  bar.epoch_begin(0, 1, 3);
  Logs running;
  running.set("loss", 0.5);
  for (std::size_t s = 1; s <= 3; ++s)
    if (bar.wants_step(s)) bar.step(s, running);
  bar.epoch_end(running);
  const std::string out = os.str();
  CHECK(out.rfind("Epoch 1/1\n", 0) == 0);
  CHECK(out.find("\r3/3 [==============================]") != std::string::npos);
  CHECK(out.find("- loss: 0.5000") != std::string::npos);
  CHECK(out.back() == '\n');
  CHECK(std::count(out.begin(), out.end(), '\n') == 2);  // the bar line ends once
}

TEST_CASE("training on 1, 2 or 3 threads gives bit-identical weights", "[training][threads]") {
  // Threads split columns in the forward pass and the kernel's rows in the
  // backward; every sum keeps its order, so the results are the same bits.
  // Sizes large enough for the first two dense layers to be shared (the
  // last is too small and runs on one thread), and odd enough that the
  // shares are uneven. The first layer's kernel (1100 x 144 floats) is
  // summed forward in two halves of its rows; the second's is not.
  using Net = Sequential<Input<1100>, Dense<130>, Activation<Tanh>, Dense<70, ReLU>, Dense<3, Softmax>>;
  static_assert(Dense<130>::bind<Shape<1100>, float>::forward_in_halves);
  static_assert(!Dense<70, ReLU>::bind<Shape<130>, float>::forward_in_halves);
  SplitMix64 rng(9);
  std::vector<Tensor<Shape<1100>>> x(150);  // 150 = 4 x 32 + 22: a partial last batch
  std::vector<Tensor<Shape<3>>> y(150);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::size_t c = rng.next() % 3;
    for (std::size_t k = 0; k < 1100; ++k) x[i][k] = static_cast<float>(rng.uniform()) + (k % 3 == c ? 0.5f : 0.0f);
    y[i][c] = 1.0f;
  }
  auto run = [&](std::size_t threads) {
    auto m = std::make_unique<Net>();
    m->init(3);
    auto t = compile(*m, loss::CategoricalCrossentropy{}, optim::Adam{.learning_rate = 0.01});
    t.set_threads(threads);
    CHECK(t.threads() == threads);
    const auto h = t.fit<32>(x, y, {.epochs = 4, .seed = 1, .verbose = 0});
    CHECK(h["loss"].back() < h["loss"].front());
    return m;
  };
  const auto one = run(1), two = run(2), three = run(3);
  CHECK(same_weights(*one, *two));
  CHECK(same_weights(*one, *three));
}

TEST_CASE("a thread count of zero is refused", "[training][threads]") {
  Classifier m;
  auto t = compile(m, loss::CategoricalCrossentropy{}, optim::Adam{});
  CHECK_THROWS_WITH(t.set_threads(0), Catch::Contains("at least one thread"));
}
