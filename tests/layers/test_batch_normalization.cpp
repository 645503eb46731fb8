// BatchNormalization: batch statistics in training, the moving ones in
// inference, the moving statistics updated as Keras documents, gradients
// through the training forward, and its non-trainable state carried by
// summary, weights files, checkpoints, snapshots and ModelView.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <forma/forma.hpp>
#include <forma/io/checkpoint.hpp>
#include <forma/io/weights.hpp>

#include "../temp_dir.hpp"
#include "gradient_harness.hpp"

using namespace forma;

namespace {

using Normed = Sequential<Input<6>, Dense<12, Tanh>, BatchNormalization<>, Dense<3, Softmax>>;
// Rank 3, channels last: each of the 4 features over 2 x 3 positions.
using Image = Sequential<Input<2, 3, 4>, BatchNormalization<std::ratio<9, 10>, std::ratio<1, 100>>, Flatten,
                         Dense<3, Softmax>>;
using bn = BatchNormalization<>::bind<Shape<12>, float>;

// The Keras formulas in double: y = gamma (x - mean) / sqrt(var + eps) + beta.
double normalised(double x, double mean, double var, double gamma, double beta, double eps) {
  return gamma * (x - mean) / std::sqrt(var + eps) + beta;
}

bool same_state(const Normed& a, const Normed& b) {
  const auto x = a.layer_state<1>().values(), y = b.layer_state<1>().values();
  return std::equal(x.begin(), x.end(), y.begin(), y.end());
}

std::vector<Tensor<Shape<6>>> samples(std::size_t n, std::uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<Tensor<Shape<6>>> xs(n);
  for (auto& x : xs)
    for (auto& v : x) v = static_cast<float>(4 * rng.uniform() - 1);
  return xs;
}

}  // namespace

static_assert(Normed::param_count == (6 * 12 + 12) + 2 * 12 + (12 * 3 + 3));
static_assert(Normed::state_count == 2 * 12);
static_assert(Image::state_count == 2 * 4 && Image::param_count == 2 * 4 + (24 * 3 + 3));
// The optimizer's moments are of params_type: no slot for the moving statistics.
static_assert(sizeof(optim::Adam::state<Normed::params_type>) <= sizeof(Normed::params_type) * 2 + 64);
static_assert(bn::features == 12 && bn::positions == 1);
static_assert(Image::bound_layer<0>::features == 4 && Image::bound_layer<0>::positions == 6);

TEST_CASE("BatchNormalization starts as Keras' does and infers with the moving statistics", "[layers][batchnorm]") {
  auto m = std::make_unique<Normed>();
  m->init(1);
  const auto& g = m->layer<1>();
  const auto& s = m->layer_state<1>();
  for (std::size_t c = 0; c < 12; ++c) {
    CHECK(g.first()[c] == 1.0f);   // gamma
    CHECK(g.second()[c] == 0.0f);  // beta
    CHECK(s.first()[c] == 0.0f);   // moving mean
    CHECK(s.second()[c] == 1.0f);  // moving variance
  }
  // Other moving statistics change predictions as the formula says.
  auto& st = m->layer_state<1>();
  auto& p = m->layer<1>();
  for (std::size_t c = 0; c < 12; ++c) {
    st.first()[c] = 0.1f * static_cast<float>(c) - 0.5f;
    st.second()[c] = 0.5f + 0.25f * static_cast<float>(c);
    p.first()[c] = 1.5f - 0.1f * static_cast<float>(c);
    p.second()[c] = 0.05f * static_cast<float>(c);
  }
  alignas(64) float in[16] = {}, out[16];
  for (std::size_t c = 0; c < 12; ++c) in[c] = 0.3f * static_cast<float>(c) - 1.0f;
  bn::forward<kernels::native, 16>(p, st, 1, in, out);
  for (std::size_t c = 0; c < 12; ++c)
    CHECK(out[c] == Approx(normalised(in[c], st.first()[c], st.second()[c], p.first()[c], p.second()[c], 1e-3))
                        .epsilon(1e-6)
                        .margin(1e-6));
  for (std::size_t c = 12; c < 16; ++c) CHECK(out[c] == 0.0f);  // padding stays zero
}

TEST_CASE("BatchNormalization trains on batch statistics and moves its state as Keras documents",
          "[layers][batchnorm]") {
  using Bare = Sequential<Input<6>, BatchNormalization<>, Dense<2, Softmax>>;
  auto m = std::make_unique<Bare>();
  m->init(2);
  const auto xs = samples(5, 3);
  std::vector<Tensor<Shape<2>>> ys(5);
  for (std::size_t i = 0; i < 5; ++i) ys[i][i % 2] = 1;
  auto trainer = compile(*m, loss::CategoricalCrossentropy{}, optim::SGD{.learning_rate = 0.0});
  auto session = trainer.session<8>();
  // Two steps: moving = moving * 0.99 + batch * 0.01 each time, with the
  // batch's population variance.
  for (int step = 0; step < 2; ++step) session.train_on_batch(std::span(xs), std::span<const Tensor<Shape<2>>>(ys));
  const auto& s = m->layer_state<0>();
  for (std::size_t c = 0; c < 6; ++c) {
    double mean = 0, var = 0;
    for (const auto& x : xs) mean += x[c];
    mean /= 5;
    for (const auto& x : xs) var += (x[c] - mean) * (x[c] - mean);
    var /= 5;
    const double moving_mean = (0.0 * 0.99 + mean * 0.01) * 0.99 + mean * 0.01;
    const double moving_var = (1.0 * 0.99 + var * 0.01) * 0.99 + var * 0.01;
    CHECK(s.first()[c] == Approx(moving_mean).epsilon(1e-5));
    CHECK(s.second()[c] == Approx(moving_var).epsilon(1e-5));
  }
  // In training the batch is normalised by its own statistics: the
  // training loss and evaluate's (moving statistics, still near 0 and 1)
  // differ.
  const double train_loss = session.compute_gradients(std::span(xs), std::span<const Tensor<Shape<2>>>(ys));
  const double eval_loss = trainer.evaluate<8>(xs, ys)[0];
  CHECK(std::abs(train_loss - eval_loss) > 1e-4);
}

TEST_CASE("gradients through BatchNormalization match finite differences of the training loss",
          "[layers][batchnorm][gradients]") {
  using namespace gradient_harness;
  using Checked = Normed::rebind<double>;
  CHECK(check<Checked, mode::training>("Dense, BatchNormalization, Dense", loss::CategoricalCrossentropy{},
                                       one_hot<3>, 21) == Checked::param_count);
  using CheckedImage = Image::rebind<double>;
  CHECK(check<CheckedImage, mode::training>("BatchNormalization over 2 x 3 positions of 4 channels",
                                            loss::CategoricalCrossentropy{}, one_hot<3>, 22) ==
        CheckedImage::param_count);
}

TEST_CASE("summary counts BatchNormalization's moving statistics as non-trainable", "[layers][batchnorm][summary]") {
  std::ostringstream out;
  summary(Normed{}, out);
  const std::string text = out.str();
  INFO(text);
  // Its row counts gamma, beta, moving mean and variance of 12 features;
  // the name goes on over the next line, as Keras wraps it.
  CHECK(text.find(" batch_normalization (Batch  (None, 12)                48        \n"
                  " Normalization)                                                  \n") != std::string::npos);
  CHECK(text.find("Total params: 171 (684 B)") != std::string::npos);
  CHECK(text.find("Trainable params: 147 (588 B)") != std::string::npos);
  CHECK(text.find("Non-trainable params: 24 (96 B)") != std::string::npos);
}

TEST_CASE("BatchNormalization's state is saved, loaded, checkpointed, snapshot and viewed with the weights",
          "[layers][batchnorm][io]") {
  auto trained = std::make_unique<Normed>();
  trained->init(5);
  const auto xs = samples(40, 6);
  std::vector<Tensor<Shape<3>>> ys(40);
  for (std::size_t i = 0; i < 40; ++i) ys[i][i % 3] = 1;
  auto trainer = compile(*trained, loss::CategoricalCrossentropy{}, optim::Adam{.learning_rate = 0.01});
  trainer.fit<8>(xs, ys, {.epochs = 2, .verbose = 0});
  REQUIRE(trained->layer_state<1>().first()[0] != 0.0f);  // the moving mean moved

  // The names a weights file uses, in Keras' order for the layer.
  std::vector<std::string> names;
  for (const auto& t : io::model_tensors(std::as_const(*trained))) names.push_back(t.name);
  CHECK(names == std::vector<std::string>{"dense.kernel", "dense.bias", "batch_normalization.gamma",
                                          "batch_normalization.beta", "batch_normalization.moving_mean",
                                          "batch_normalization.moving_variance", "dense_1.kernel", "dense_1.bias"});

  forma_test::temp_dir dir;
  io::save_weights(*trained, dir.path() / "bn.safetensors");
  auto loaded = std::make_unique<Normed>();
  loaded->init(9);
  io::load_weights(*loaded, dir.path() / "bn.safetensors");
  CHECK(same_state(*loaded, *trained));
  for (const auto& x : samples(4, 7)) CHECK(loaded->predict(x) == trained->predict(x));

  // A file without the moving statistics is refused, naming the tensor.
  {
    using Plain = Sequential<Input<6>, Dense<12, Tanh>, Dense<3, Softmax>>;
    auto plain = std::make_unique<Plain>();
    plain->init(1);
    io::save_weights(*plain, dir.path() / "plain.safetensors");
    CHECK_THROWS_WITH(io::load_weights(*loaded, dir.path() / "plain.safetensors", {.check_architecture = false}),
                      Catch::Contains("batch_normalization.gamma"));
    for (const auto& x : samples(2, 7)) CHECK(loaded->predict(x) == trained->predict(x));  // kept
  }

  // A checkpoint resumes them too.
  io::save_checkpoint(trainer, dir.path() / "bn.ckpt", 2);
  auto resumed = std::make_unique<Normed>();
  auto resumed_trainer = compile(*resumed, loss::CategoricalCrossentropy{}, optim::Adam{.learning_rate = 0.01});
  io::load_checkpoint(resumed_trainer, dir.path() / "bn.ckpt");
  CHECK(same_state(*resumed, *trained));

  // A snapshot (EarlyStopping's restore_best_weights) takes the state back too.
  {
    struct restore_at_end final : Callback {
      std::unique_ptr<WeightsSnapshot> first;
      void on_train_begin(TrainingControl& c) override { first = c.snapshot_weights(); }
      void on_train_end(TrainingControl& c) override { c.restore_weights(*first); }
    } restore;
    auto before = std::make_unique<Normed>(*trained);
    trainer.fit<8>(xs, ys, {.epochs = 1, .verbose = 0, .callbacks = {&restore}});
    CHECK(same_state(*trained, *before));
  }

  // ModelView over parameters and state held elsewhere.
  const ModelView<Normed> view(trained->params(), trained->state());
  for (const auto& x : samples(4, 8)) CHECK(view.predict(x) == trained->predict(x));
}
