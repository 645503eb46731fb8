// Dropout: inference passes values through; training drops each with the
// rate's probability and scales the rest, from draws that repeat for the
// same (seed, step, layer) on any number of threads; gradients through the
// mask. (Its backward pass is the training mode's, checked against finite
// differences of the training loss at a fixed step.)
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <ratio>
#include <string>
#include <vector>

#include <forma/forma.hpp>
#include <forma/io/type_spelling.hpp>

#include "gradient_harness.hpp"

using namespace forma;

namespace {

using WithDropout = Sequential<Input<6>, Dense<40, Tanh>, Dropout<std::ratio<3, 10>>, Dense<3, Softmax>>;
using Without = Sequential<Input<6>, Dense<40, Tanh>, Dense<3, Softmax>>;
using Checked = WithDropout::rebind<double>;

std::vector<Tensor<Shape<6>>> inputs(std::size_t n) {
  SplitMix64 rng(4);
  std::vector<Tensor<Shape<6>>> xs(n);
  for (auto& x : xs)
    for (auto& v : x) v = static_cast<float>(2 * rng.uniform() - 1);
  return xs;
}

}  // namespace

static_assert(WithDropout::param_count == Without::param_count);

TEST_CASE("Dropout passes values through at inference", "[layers][dropout]") {
  auto a = std::make_unique<WithDropout>();
  auto b = std::make_unique<Without>();
  a->init(3);
  b->init(3);  // the same weights: Dropout draws none
  for (const auto& x : inputs(5)) CHECK(a->predict(x) == b->predict(x));
}

TEST_CASE("Dropout drops the rate's share in training and scales the rest", "[layers][dropout]") {
  using bound = Dropout<std::ratio<3, 10>>::bind<Shape<1000>, float>;
  constexpr std::size_t w = bound::width;
  using Rows = Tensor<Shape<4 * w>>;  // four padded rows, aligned as the trainer's
  auto in = std::make_unique<Rows>(Rows::filled(2.0f));
  auto out = std::make_unique<Rows>(), again = std::make_unique<Rows>(), other = std::make_unique<Rows>();
  auto cache = std::make_unique<Rows>();
  for (std::uint64_t seed : {1u, 2u}) {
    bound::forward_train<kernels::native, w>({}, {cache->data(), nullptr, seed}, 4, in->data(), out->data());
    std::size_t dropped = 0;
    for (std::size_t r = 0; r < 4; ++r)
      for (std::size_t e = 0; e < 1000; ++e) {
        const float v = (*out)[r * w + e];
        if (v == 0.0f) ++dropped;
        else CHECK(v == 2.0f * (10.0f / 7.0f));
      }
    // 4000 draws at p = 0.3: the mean 1200, the standard deviation 29.
    CHECK(dropped > 1200 - 5 * 29);
    CHECK(dropped < 1200 + 5 * 29);
  }
  // The same seed draws the same mask; another seed another.
  bound::forward_train<kernels::native, w>({}, {cache->data(), nullptr, 2}, 4, in->data(), again->data());
  CHECK(*again == *out);
  bound::forward_train<kernels::native, w>({}, {cache->data(), nullptr, 3}, 4, in->data(), other->data());
  CHECK(!(*other == *out));
}

TEST_CASE("Dropout's masks repeat per (seed, epoch, step) and do not depend on the threads", "[layers][dropout]") {
  const auto xs = inputs(64);
  std::vector<Tensor<Shape<3>>> ys(64);
  for (std::size_t i = 0; i < ys.size(); ++i) ys[i][i % 3] = 1;
  auto train = [&](std::size_t threads, std::uint64_t seed) {
    auto m = std::make_unique<WithDropout>();
    m->init(5);
    auto t = compile(*m, loss::CategoricalCrossentropy{}, optim::Adam{.learning_rate = 1e-2});
    t.set_threads(threads);
    t.fit<16>(xs, ys, {.epochs = 2, .seed = seed, .verbose = 0});
    return m->predict(xs[0]);
  };
  const auto one = train(1, 7);
  CHECK(train(2, 7) == one);
  CHECK(!(train(1, 8) == one));  // another seed, other masks (and order)
}

TEST_CASE("gradients through Dropout match finite differences of the training loss", "[layers][dropout][gradients]") {
  CHECK(gradient_harness::check<Checked, gradient_harness::mode::training>(
            "Dense, Dropout(0.3), Dense", loss::CategoricalCrossentropy{}, gradient_harness::one_hot<3>, 51) ==
        Checked::param_count);
}

TEST_CASE("Dropout spells itself for export_header", "[layers][dropout]") {
  const std::string spelled = io::spelling<WithDropout>();
  CHECK(spelled.find("forma::Dropout<std::ratio<3, 10>>") != std::string::npos);
  const auto headers = io::declaring_headers<WithDropout>();
  CHECK(std::find(headers.begin(), headers.end(), "forma/layers/dropout.hpp") != headers.end());
  CHECK(std::find(headers.begin(), headers.end(), "ratio") != headers.end());
}
