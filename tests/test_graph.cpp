// Functional graphs: the plan's buffers, a node feeding several layers, two
// inputs, Named calls, predict against a reference pass, batched predict,
// fit on threads; gradients through the executor fit uses.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <span>
#include <tuple>
#include <vector>

#include <forma/forma.hpp>
#include <forma/layers/add.hpp>
#include <forma/layers/concatenate.hpp>
#include <forma/layers/multiply.hpp>
#include <forma/layers/named.hpp>

#include "layers/gradient_harness.hpp"

using namespace forma;

namespace {

// The residual example, smaller.
constexpr auto in = Input<12>{};
constexpr auto h = Dense<8, ReLU>{}(in);
constexpr auto r = Dense<8, Tanh>{}(h);
constexpr auto s = Add{}(h, r);
constexpr auto c = Concatenate{}(s, in);
constexpr auto out = Dense<4, Softmax>{}(c);
using Residual = Model<decltype(in), decltype(out)>;

// A node read by three layers.
constexpr auto t = Dense<6, Tanh>{}(in);
constexpr auto fan = Concatenate{}(Dense<3, Sigmoid>{}(t), Add{}(t, Dense<6, Tanh>{}(t)));
using FanOut = Model<decltype(in), decltype(Dense<3, Softmax>{}(fan))>::rebind<double>;

// Two inputs of one shape, told apart by Named; two identical calls made
// two layers the same way.
constexpr auto a = Input<5>{};
constexpr auto b = Named<1, Input<5>>{};
constexpr auto da = Dense<4, Tanh>{}(a);
constexpr auto db = Named<1, Dense<4, Tanh>>{}(a);  // a second layer on the same input
constexpr auto two = Add{}(Multiply{}(da, Dense<4, Sigmoid>{}(b)), db);
using TwoInputs = Model<std::tuple<decltype(a), decltype(b)>, decltype(Dense<2>{}(two))>;

// A chain through the functional API is still the Network a Sequential is.
constexpr auto chain = Dense<3>{}(Dense<7, Tanh>{}(in));
using Chain = Model<decltype(in), decltype(chain)>;

// Every weight of a and b equal.
template <class Net>
bool same_weights(const Net& x, const Net& y) {
  return [&]<std::size_t... K>(std::index_sequence<K...>) {
    return ([&] {
      if constexpr (Net::template bound_layer<K>::param_count > 0) {
        const auto u = x.template layer<K>().values(), v = y.template layer<K>().values();
        return std::equal(u.begin(), u.end(), v.begin());
      }
      return true;
    }() && ...);
  }(std::make_index_sequence<Net::layer_count>{});
}

}  // namespace

static_assert(std::is_base_of_v<Network<float, Input<12>, Dense<7, Tanh>, Dense<3>>, Chain>);
static_assert(Residual::is_graph && Residual::layer_count == 5 && Residual::input_count == 1);
static_assert(std::is_same_v<Residual::node_inputs<3>, std::index_sequence<3, 0>>);  // Concatenate(s, in)
static_assert(TwoInputs::input_count == 2 && TwoInputs::layer_count == 6);
static_assert(TwoInputs::param_count == 2 * (5 * 4 + 4) + (5 * 4 + 4) + (4 * 2 + 2));

// The plans. A chain takes two buffers in turn; the residual graph keeps h
// alive across r, so it needs three at most for inference.
static_assert(plan::of<Sequential<Input<4>, Dense<5>, Dense<6>, Dense<7>, Dense<2>>>::forward.slots == 2);
static_assert(plan::of<Sequential<Input<4>, Dense<5>, Dense<6>, Dense<7>, Dense<2>>>::backward.slots == 2);
static_assert(plan::of<Residual>::forward.slots == 3);
static_assert(plan::of<Residual>::backward.needs[0] == false && plan::of<Residual>::backward.needs[1]);
// h's gradient is written first by the Add (it runs backward before r),
// then r adds its share through scratch.
static_assert(plan::of<Residual>::backward.first[2][0] && !plan::of<Residual>::backward.first[1][0]);
static_assert(plan::of<Residual>::backward.scratch[1] != plan::none);

TEST_CASE("a graph's predict is its layers applied along its edges", "[graph]") {
  auto m = std::make_unique<Residual>();
  m->init(4);
  SplitMix64 rng(9);
  for (int sample = 0; sample < 3; ++sample) {
    Tensor<Shape<12>> x;
    for (auto& v : x) v = static_cast<float>(2 * rng.uniform() - 1);
    // The reference: the formulas, in double.
    auto dense = [](const auto& p, const std::vector<double>& v, std::size_t units, auto act) {
      std::vector<double> z(units);
      for (std::size_t j = 0; j < units; ++j) {
        double sum = p.bias_at(j);
        for (std::size_t i = 0; i < v.size(); ++i) sum += v[i] * p.kernel_at(i, j);
        z[j] = act(sum);
      }
      return z;
    };
    const std::vector<double> xv(x.begin(), x.end());
    const auto hv = dense(m->layer<0>(), xv, 8, [](double z) { return z > 0 ? z : 0.0; });
    const auto rv = dense(m->layer<1>(), hv, 8, [](double z) { return std::tanh(z); });
    std::vector<double> cv;
    for (std::size_t j = 0; j < 8; ++j) cv.push_back(hv[j] + rv[j]);
    cv.insert(cv.end(), xv.begin(), xv.end());
    auto logits = dense(m->layer<4>(), cv, 4, [](double z) { return z; });
    double total = 0;
    for (double& l : logits) total += (l = std::exp(l));
    const auto y = m->predict(x);
    for (std::size_t j = 0; j < 4; ++j) CHECK(std::abs(y[j] - logits[j] / total) < 1e-6);
  }
}

TEST_CASE("a graph's batched predict equals one-by-one predict", "[graph]") {
  auto m = std::make_unique<TwoInputs>();
  m->init(2);
  SplitMix64 rng(5);
  std::vector<Tensor<Shape<5>>> xa(21), xb(21);
  for (auto* xs : {&xa, &xb})
    for (auto& x : *xs)
      for (auto& v : x) v = static_cast<float>(2 * rng.uniform() - 1);
  std::vector<Tensor<Shape<2>>> ys(21);
  REQUIRE(m->predict<8>(std::make_tuple(std::span<const Tensor<Shape<5>>>(xa), std::span<const Tensor<Shape<5>>>(xb)),
                        std::span(ys)) == 21);  // 8 + 8 + 5
  for (std::size_t i = 0; i < 21; ++i) {
    const auto y = m->predict(xa[i], xb[i]);
    CHECK(y == ys[i]);
  }
  // The inputs are not interchangeable: swapping them changes the output.
  CHECK(!(m->predict(xb[0], xa[0]) == ys[0]));

  // One input: any contiguous range of samples (here a std::array).
  auto r = std::make_unique<Residual>();
  r->init(6);
  std::array<Tensor<Shape<12>>, 3> xs{};
  for (auto& x : xs)
    for (auto& v : x) v = static_cast<float>(2 * rng.uniform() - 1);
  std::array<Tensor<Shape<4>>, 3> rs{};
  REQUIRE(r->predict<2>(xs, std::span(rs)) == 3);
  for (std::size_t i = 0; i < 3; ++i) CHECK(rs[i] == r->predict(xs[i]));
}

TEST_CASE("gradients through graphs match finite differences, through fit's executor", "[graph][gradients]") {
  CHECK(gradient_harness::check<FanOut>("one node read by three layers", loss::CategoricalCrossentropy{},
                                        gradient_harness::one_hot<3>, 41) == FanOut::param_count);
  using Two = TwoInputs::rebind<double>;
  CHECK(gradient_harness::check<Two>("two inputs, a Named second layer", loss::MeanSquaredError{},
                                     [](SplitMix64& rng) {
                                       Tensor<Shape<2>, double> y;
                                       for (auto& v : y) v = gradient_harness::uniform(rng, -1, 1);
                                       return y;
                                     },
                                     42) == Two::param_count);
}

TEST_CASE("a graph trains to the same bits on one, two or three threads", "[graph][training]") {
  // Large enough that the dense layers share their work among threads.
  constexpr auto big_in = Input<300>{};
  constexpr auto big_h = Dense<600, Tanh>{}(big_in);
  constexpr auto big_out = Dense<10, Softmax>{}(Concatenate{}(Add{}(big_h, Dense<600, Tanh>{}(big_h)), big_in));
  using Big = Model<decltype(big_in), decltype(big_out)>;
  SplitMix64 rng(3);
  std::vector<Tensor<Shape<300>>> xs(96);
  std::vector<Tensor<Shape<10>>> ys(96);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    for (auto& v : xs[i]) v = static_cast<float>(rng.uniform());
    ys[i][rng.next() % 10] = 1;
  }
  std::vector<std::unique_ptr<Big>> models;
  for (std::size_t threads : {1, 2, 3}) {
    auto m = std::make_unique<Big>();
    m->init(8);
    auto trainer = compile(*m, loss::CategoricalCrossentropy{}, optim::Adam{.learning_rate = 1e-3});
    trainer.set_threads(threads);
    trainer.fit<32>(xs, ys, {.epochs = 2, .verbose = 0});
    models.push_back(std::move(m));
  }
  CHECK(same_weights(*models[0], *models[1]));
  CHECK(same_weights(*models[0], *models[2]));
  CHECK(!(models[0]->predict(xs[0]) == Tensor<Shape<10>>{}));
}

TEST_CASE("a two-input graph learns from fit and evaluate with one range per input", "[graph][training]") {
  // y = 1 where the first input's sum exceeds the second's: only learnable
  // from both inputs together.
  SplitMix64 rng(12);
  std::vector<Tensor<Shape<5>>> xa(512), xb(512);
  std::vector<Tensor<Shape<2>>> ys(512);
  for (std::size_t i = 0; i < 512; ++i) {
    float sa = 0, sb = 0;
    for (auto& v : xa[i]) sa += (v = static_cast<float>(rng.uniform()));
    for (auto& v : xb[i]) sb += (v = static_cast<float>(rng.uniform()));
    ys[i][sa > sb ? 1 : 0] = 1;
  }
  auto m = std::make_unique<TwoInputs>();
  m->init(1);
  auto trainer = compile(*m, loss::MeanSquaredError{}, optim::Adam{.learning_rate = 1e-2});
  const double before = trainer.evaluate<64>(std::tie(xa, xb), ys)[0];
  trainer.fit<32>(std::tie(xa, xb), ys, {.epochs = 30, .verbose = 0});
  const double after = trainer.evaluate<64>(std::tie(xa, xb), ys)[0];
  CHECK(after < 0.5 * before);
  CHECK_THROWS_WITH(trainer.fit<32>(std::tie(xa, xb), std::span(ys).first(100), {.verbose = 0}),
                    Catch::Contains("512 samples but 100 labels"));
  std::vector<Tensor<Shape<5>>> short_b(xb.begin(), xb.begin() + 10);
  CHECK_THROWS_WITH(trainer.fit<32>(std::tie(xa, short_b), ys, {.verbose = 0}),
                    Catch::Contains("inputs of different lengths"));
}
