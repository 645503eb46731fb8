// Gradient checks: the gradient Trainer computes (Session::compute_gradients)
// for every layer, activation and loss, against central finite differences
// of the loss it returns, on small models rebound to double. Every parameter
// of every model is checked, and each layer under test has weights before
// it, so its input gradient feeds their gradients and is checked through
// them. (The exception: activations on a rank-2 Input, before which nothing
// with weights can stand, as Dense takes rank 1 only; only their forward
// pass matters, and it is checked through the weights after them.)
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <ratio>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <forma/forma.hpp>

using namespace forma;

namespace {

// ---------------------------------------------------------------------------
// Numerics of the check.
//
// The loss L is a mean of O(1) terms computed in double, so two evaluations
// carry independent rounding errors of a few ulps of L, eps_L ~ 1e-15. A
// plain central difference (L(w+h) - L(w-h)) / 2h has a rounding error of
// about eps_L / h and a truncation error of h^2 L''' / 6: at h = 1e-6 the
// rounding alone is ~1e-9 absolute, 1e-6 relative to a gradient of 1e-3, as
// large as the tolerance (measured: with h = 1e-6 five of these cases fail,
// at relative errors up to 1.4e-5, on correct gradients). So the step is
// larger, h = 2^-12 (about 2.4e-4; a power of two, so that w +- h is a step
// of almost exactly h), and the truncation error is removed by Richardson
// extrapolation of two central differences,
//   D(h) = (L(w+h) - L(w-h)) / 2h,  D(2h) = (L(w+2h) - L(w-2h)) / 4h,
//   numeric = (4 D(h) - D(2h)) / 3          (the 5-point stencil, O(h^4)).
// Truncation is then ~h^4 L^(5) / 30 ~ 1e-16 and rounding ~1.5 eps_L / h ~
// 1e-11: measured, the numeric gradient is within 2e-12 of the analytic one
// on these models (1e-11 on the wide one, whose loss is 8).
constexpr double step = 0x1p-12;
// Relative error |a - n| / max(|a|, |n|, floor). The floor keeps gradients
// that are zero or nearly so (dead ReLU units give exact zeros on both sides;
// sums that happen to cancel) from dividing that 1e-11 of rounding by almost
// nothing: with a floor of 1e-5 a correct gradient stays below the tolerance
// however small it is (1e-11 / 1e-5 = 1e-6 at worst), and a wrong one is
// caught unless its error is under 1e-11 absolute. (The smallest nonzero
// gradients here are ~3e-6, and all cases also pass with a floor of 1e-8 at
// the same maximum relative error; 1e-5 keeps that from hanging on seeds.)
constexpr double floor_magnitude = 1e-5;
constexpr double tolerance = 1e-6;
// ReLU and LeakyReLU have a kink at 0: a finite difference across it is
// meaningless. The stencil moves a weight by at most 2h ~ 4.9e-4, which moves
// a pre-activation by 2h times an input (|input| < 2 here), or by a
// comparable amount through earlier layers. Every pre-activation of a kinked
// function is kept at least 1e-2 from 0, ten times that (seeds that violate
// it are skipped, deterministically, and the seed used is reported).
constexpr double kink_margin = 1e-2;
// Probabilities are clipped to [1e-7, 1 - 1e-7] by the losses; where clipping
// holds, the gradient is zero and the check meaningless. Softmax and sigmoid
// outputs are kept inside [1e-3, 1 - 1e-3] (small random models are far
// from that anyway; the check makes it a fact, not a hope).
constexpr double probability_margin = 1e-3;

double uniform(SplitMix64& rng, double lo, double hi) { return lo + (hi - lo) * rng.uniform(); }

bool report_requested() { return std::getenv("FORMA_GRADIENT_REPORT") != nullptr; }

// ---------------------------------------------------------------------------
// What the layers are, for the reference forward pass below.
template <class L>
struct dense_traits : std::false_type {};
template <std::size_t U, class A>
struct dense_traits<Dense<U, A>> : std::true_type {
  using activation = A;
};
template <class L>
struct activation_traits : std::false_type {};
template <class F>
struct activation_traits<Activation<F>> : std::true_type {
  using activation = F;
};

template <class A>
inline constexpr bool has_kink = false;
template <>
inline constexpr bool has_kink<ReLU> = true;
template <class S>
inline constexpr bool has_kink<LeakyReLUWith<S>> = true;

template <class A>
std::string activation_label() {
  if constexpr (std::is_same_v<A, LeakyReLU>)
    return "LeakyReLU";
  else if constexpr (has_kink<A> && !std::is_same_v<A, ReLU>)
    return "LeakyReLUWith<" + std::to_string(A::slope) + ">";
  else
    return std::string(A::name);
}

// Calls f(k, params, grads, inputs, units) for every layer with parameters
// (Dense is the only one), params from net and grads from a params_type.
template <class Net, class Grads, class F>
void for_each_dense(Net& net, Grads& grads, F&& f) {
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (
        [&] {
          using bound = typename Net::template bound_layer<K>;
          if constexpr (bound::param_count > 0)
            f(K, net.template layer<K>(), std::get<K>(grads), bound::inputs, bound::output_shape::size);
        }(),
        ...);
  }(std::make_index_sequence<Net::layer_count>{});
}

// Every parameter value (padding included) of a params_type, in order.
template <class Net>
std::vector<double> flat_values(const typename Net::params_type& p) {
  std::vector<double> v;
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (
        [&] {
          if constexpr (Net::template bound_layer<K>::param_count > 0)
            for (double x : std::get<K>(p).values()) v.push_back(x);
        }(),
        ...);
  }(std::make_index_sequence<Net::layer_count>{});
  return v;
}

// ---------------------------------------------------------------------------
// A plain reference forward pass, one sample, from the layer types alone. It
// gives the smallest distance of any kinked activation's input from its kink,
// and its output is compared with predict (so the margins are of the model
// the trainer runs).
template <class A>
void reference_activation(std::vector<double>& v, std::size_t group, double& margin) {
  if constexpr (has_kink<A>)
    for (double z : v) margin = std::min(margin, std::abs(z));
  if constexpr (A::elementwise) {
    for (double& z : v) z = A::f(z);
  } else {
    for (std::size_t g = 0; g < v.size(); g += group) {
      double m = v[g];
      for (std::size_t j = 1; j < group; ++j) m = std::max(m, v[g + j]);
      double sum = 0;
      for (std::size_t j = 0; j < group; ++j) sum += (v[g + j] = std::exp(v[g + j] - m));
      for (std::size_t j = 0; j < group; ++j) v[g + j] /= sum;
    }
  }
}

template <std::size_t K, class Net>
void reference_layer(const Net& net, std::vector<double>& cur, double& margin) {
  using L = typename Net::template layer_type<K>;
  if constexpr (dense_traits<L>::value) {
    using bound = typename Net::template bound_layer<K>;
    const auto& p = net.template layer<K>();
    std::vector<double> z(L::units);
    for (std::size_t j = 0; j < L::units; ++j) {
      double s = p.bias_at(j);
      for (std::size_t i = 0; i < bound::inputs; ++i) s += cur[i] * p.kernel_at(i, j);
      z[j] = s;
    }
    reference_activation<typename dense_traits<L>::activation>(z, L::units, margin);
    cur = std::move(z);
  } else if constexpr (activation_traits<L>::value) {
    reference_activation<typename activation_traits<L>::activation>(
        cur, last_dim<typename Net::template layer_input_shape<K>>, margin);
  }  // Flatten: the same values
}

template <class Net>
std::vector<double> reference_forward(const Net& net, const Tensor<typename Net::input_shape, double>& x,
                                      double& margin) {
  std::vector<double> cur(x.begin(), x.end());
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (reference_layer<K>(net, cur, margin), ...);
  }(std::make_index_sequence<Net::layer_count>{});
  return cur;
}

// ---------------------------------------------------------------------------
// Labels of each kind a loss takes.
struct RealLabels {  // MSE on a linear output
  template <class Y, std::size_t N>
  static Y make(SplitMix64& rng) {
    Y y;
    for (auto& v : y) v = uniform(rng, -1, 1);
    return y;
  }
};
struct UnitLabels {  // soft targets in [0, 1]: binary cross-entropy, MSE on probabilities
  template <class Y, std::size_t N>
  static Y make(SplitMix64& rng) {
    Y y;
    for (auto& v : y) v = uniform(rng, 0, 1);
    return y;
  }
};
struct OneHot {
  template <class Y, std::size_t N>
  static Y make(SplitMix64& rng) {
    Y y{};
    y[rng.next() % N] = 1;
    return y;
  }
};
struct SoftLabels {  // positive, not summing to 1: exercises the label sum in the gradient
  template <class Y, std::size_t N>
  static Y make(SplitMix64& rng) {
    Y y;
    for (auto& v : y) v = uniform(rng, 0.05, 0.8);
    return y;
  }
};
struct ClassIndex {
  template <class Y, std::size_t N>
  static Y make(SplitMix64& rng) {
    return static_cast<Y>(rng.next() % N);
  }
};

// One parameter under test: where it lives in the model, and the gradient
// the trainer computed for it.
struct Parameter {
  double* weight;
  double analytic;
  std::string where;
};

// What the model-specific part of a case found, for the checks below.
struct Setup {
  std::string name;
  std::uint64_t first_seed, seed;
  bool margins_hold;       // kinks and probabilities far enough from trouble
  double kink_distance;    // smallest |input| of a ReLU or LeakyReLU
  double reference_error;  // reference forward pass against predict
  std::size_t param_count;
};

// The model-independent part of a gradient check, kept out of the template
// so that each model adds only its trainer to the compile time. `loss`
// recomputes the mean loss of the case's batch with the current weights.
void verify(const Setup& setup, std::vector<Parameter>& params, const std::function<double()>& loss) {
  INFO("case: " << setup.name);
  INFO("seed " << setup.seed << " (first tried " << setup.first_seed << ")");
  REQUIRE(setup.margins_hold);
  REQUIRE(setup.reference_error < 1e-12);  // the reference pass is the model predict runs
  const double loss0 = loss();
  REQUIRE(std::isfinite(loss0));

  struct {
    double rel = 0, analytic = 0, numeric = 0;
    std::string where;
  } worst;
  std::size_t failed = 0;
  std::ostringstream failures;
  failures.precision(10);
  double largest = 0, max_abs_error = 0;
  for (Parameter& p : params) {
    double& w = *p.weight;
    const double w0 = w;
    auto loss_at = [&](double v) {
      w = v;
      return loss();
    };
    const double d1 = (loss_at(w0 + step) - loss_at(w0 - step)) / (2 * step);
    const double d2 = (loss_at(w0 + 2 * step) - loss_at(w0 - 2 * step)) / (4 * step);
    w = w0;
    const double a = p.analytic, n = (4 * d1 - d2) / 3;
    const double rel = std::abs(a - n) / std::max({std::abs(a), std::abs(n), floor_magnitude});
    largest = std::max(largest, std::abs(a));
    max_abs_error = std::max(max_abs_error, std::abs(a - n));
    if (!(rel <= worst.rel)) worst = {rel, a, n, p.where};  // also takes a NaN
    if (!(rel < tolerance) && ++failed <= 10)
      failures << "  " << p.where << ": analytic " << a << ", numeric " << n << ", relative error " << rel << '\n';
  }

  // The weights are back as they were: the same loss, bit for bit.
  CHECK(loss() == loss0);
  CHECK(params.size() == setup.param_count);
  CHECK(largest > 1e-3);  // the check is not vacuous

  if (report_requested())
    std::printf("%s\n  seed %llu, %zu params, loss %.4f: max rel err %.2e (%s: a %.6e, n %.6e), max abs err %.1e\n",
                setup.name.c_str(), static_cast<unsigned long long>(setup.seed), params.size(), loss0, worst.rel,
                worst.where.c_str(), worst.analytic, worst.numeric, max_abs_error);
  INFO("loss " << loss0 << ", " << params.size() << " parameters, kink margin " << setup.kink_distance);
  INFO("worst: " << worst.where << ": analytic " << worst.analytic << ", numeric " << worst.numeric
                 << ", relative error " << worst.rel);
  INFO(failed << " gradient(s) off by more than " << tolerance << " relative:\n" << failures.str());
  CHECK(failed == 0);
  CHECK(worst.rel < tolerance);
}

// Builds Net from a seed (Glorot kernels, and random biases so that they are
// not all zero), draws Samples inputs in [-1, 1] and labels, and checks every
// parameter's gradient. The session has room for B > Samples rows and has
// seen B other rows first, so the check also covers averaging over the real
// row count and stale rows in the buffers. Seeds are tried from `seed` up
// until the kink and probability margins hold.
template <class Net, class Labels, std::size_t B = 8, std::size_t Samples = 6, class Loss>
void check_gradients(const std::string& name, Loss loss, std::uint64_t seed) {
  static_assert(Samples < B);
  using X = Tensor<typename Net::input_shape, double>;
  using Trainer_ = decltype(compile(std::declval<Net&>(), loss, optim::SGD{}));
  using Y = typename Trainer_::label_type;
  constexpr std::size_t outputs = Net::output_shape::size;
  using out_act = output_activation_t<Net>;
  constexpr bool probabilities =
      !Loss::from_logits && (std::is_same_v<out_act, Softmax> || std::is_same_v<out_act, Sigmoid>);

  Net net;
  std::vector<X> xs(Samples), stale_x(B);
  std::vector<Y> ys(Samples), stale_y(B);
  Setup setup{name, seed, seed, false, 0, 0, Net::param_count};
  for (std::uint64_t s = seed; s < seed + 200 && !setup.margins_hold; ++s) {
    net.init(s);
    SplitMix64 rng(s * 0x9e3779b97f4a7c15ULL + 1);
    for_each_dense(net, net.params(), [&](std::size_t, auto& p, auto&, std::size_t, std::size_t units) {
      for (std::size_t j = 0; j < units; ++j) p.bias_at(j) = uniform(rng, -0.2, 0.2);
    });
    auto draw = [&](std::vector<X>& x, std::vector<Y>& y) {
      for (auto& v : x)
        for (auto& e : v) e = uniform(rng, -1, 1);
      for (auto& v : y) v = Labels::template make<Y, outputs>(rng);
    };
    draw(xs, ys);
    draw(stale_x, stale_y);
    double margin = std::numeric_limits<double>::infinity(), reference_error = 0;
    bool inside = true;
    for (const X& x : xs) {
      const std::vector<double> ref = reference_forward(net, x, margin);
      const auto out = net.predict(x);
      for (std::size_t j = 0; j < outputs; ++j) {
        reference_error = std::max(reference_error, std::abs(out[j] - ref[j]));
        if (probabilities && (out[j] < probability_margin || out[j] > 1 - probability_margin)) inside = false;
      }
    }
    setup.seed = s;
    setup.kink_distance = margin;
    setup.reference_error = reference_error;
    setup.margins_hold = margin >= kink_margin && inside;
  }

  auto trainer = compile(net, loss, optim::SGD{});
  auto session = trainer.template session<B>();
  session.compute_gradients(stale_x, stale_y);
  session.compute_gradients(xs, ys);
  auto analytic = trainer.gradients();
  std::vector<Parameter> params;
  for_each_dense(net, analytic, [&](std::size_t k, auto& p, auto& g, std::size_t inputs, std::size_t units) {
    const std::string layer = "layer " + std::to_string(k);
    for (std::size_t i = 0; i < inputs; ++i)
      for (std::size_t j = 0; j < units; ++j)
        params.push_back({&p.kernel_at(i, j), g.kernel_at(i, j),
                          layer + " kernel(" + std::to_string(i) + ", " + std::to_string(j) + ")"});
    for (std::size_t j = 0; j < units; ++j)
      params.push_back({&p.bias_at(j), g.bias_at(j), layer + " bias(" + std::to_string(j) + ")"});
  });
  verify(setup, params, [&] { return session.compute_gradients(xs, ys); });
}

// ---------------------------------------------------------------------------
// The models.

// Dense<5, Act> after another Dense (its input gradient feeds layer 0), and
// Activation<Act> after Dense layers (its input gradient feeds layers 0-2).
template <class Act>
using ActNet =
    typename Sequential<Input<4>, Dense<6, Tanh>, Dense<5, Act>, Dense<4>, Activation<Act>, Dense<3>>::template rebind<
        double>;

// Output activations in a Dense, and as an Activation layer of their own.
template <class Out>
using DenseHead = typename Sequential<Input<4>, Dense<5, Tanh>, Dense<3, Out>>::template rebind<double>;
template <class Out>
using ActivationHead =
    typename Sequential<Input<4>, Dense<5, Tanh>, Dense<3>, Activation<Out>>::template rebind<double>;

// Rank-2 inputs: Activation (Softmax along the last axis, so per row of 3)
// on Input<2, 3>, then Flatten; and Flatten in the middle, after layers with
// parameters, where the gradient passes through it.
using Rank2Softmax =
    Sequential<Input<2, 3>, Activation<Softmax>, Flatten, Dense<4, Tanh>, Dense<3, Softmax>>::rebind<double>;
using Rank2Flatten = Sequential<Input<2, 3>, Activation<Tanh>, Flatten, Dense<5, LeakyReLU>, Flatten,
                                Dense<3, Sigmoid>>::rebind<double>;

// Sizes past one SIMD vector of doubles and past the kernels' tiles: 13 and
// 17 inputs (weight-gradient tiles of 5 or 6 rows and input-gradient tiles
// of 4 columns, each with a remainder), 17 and 9 units (several padded
// vectors per row), and 7 rows in a session for 11 (input-gradient blocks of
// 4 rows, and 3 left).
using Wide = Sequential<Input<13>, Dense<17, Tanh>, Dense<9, Softmax>>::rebind<double>;

using LeakyReLU20 = LeakyReLUWith<std::ratio<1, 20>>;

}  // namespace

static_assert(std::is_same_v<ActNet<Tanh>, Network<double, Input<4>, Dense<6, Tanh>, Dense<5, Tanh>, Dense<4>,
                                                   Activation<Tanh>, Dense<3>>>);

TEMPLATE_TEST_CASE("gradients of Dense<Act> and Activation<Act> match finite differences", "[gradients]", Linear,
                   ReLU, LeakyReLU, LeakyReLU20, Sigmoid, Tanh, Softmax) {
  check_gradients<ActNet<TestType>, RealLabels>(
      "Dense<5, " + activation_label<TestType>() + "> + Activation<" + activation_label<TestType>() + ">, MSE",
      loss::MeanSquaredError{}, 1);
}

TEST_CASE("gradients of softmax outputs match finite differences", "[gradients]") {
  check_gradients<DenseHead<Softmax>, OneHot>("Dense<3, Softmax>, CategoricalCrossentropy (fused)",
                                              loss::CategoricalCrossentropy{}, 11);
  check_gradients<DenseHead<Softmax>, SoftLabels>("Dense<3, Softmax>, CategoricalCrossentropy, soft labels",
                                                  loss::CategoricalCrossentropy{}, 12);
  check_gradients<DenseHead<Softmax>, ClassIndex>("Dense<3, Softmax>, SparseCategoricalCrossentropy (fused)",
                                                  loss::SparseCategoricalCrossentropy{}, 13);
  check_gradients<DenseHead<Softmax>, UnitLabels>("Dense<3, Softmax>, MSE (softmax backward)",
                                                  loss::MeanSquaredError{}, 14);
  check_gradients<ActivationHead<Softmax>, OneHot>("Activation<Softmax>, CategoricalCrossentropy (fused)",
                                                   loss::CategoricalCrossentropy{}, 15);
  check_gradients<ActivationHead<Softmax>, ClassIndex>("Activation<Softmax>, SparseCategoricalCrossentropy (fused)",
                                                       loss::SparseCategoricalCrossentropy{}, 16);
  check_gradients<ActivationHead<Softmax>, UnitLabels>("Activation<Softmax>, MSE (softmax backward)",
                                                       loss::MeanSquaredError{}, 17);
}

TEST_CASE("gradients of sigmoid outputs match finite differences", "[gradients]") {
  check_gradients<DenseHead<Sigmoid>, UnitLabels>("Dense<3, Sigmoid>, BinaryCrossentropy (fused)",
                                                  loss::BinaryCrossentropy{}, 21);
  check_gradients<DenseHead<Sigmoid>, UnitLabels>("Dense<3, Sigmoid>, MSE (sigmoid backward)",
                                                  loss::MeanSquaredError{}, 22);
  check_gradients<ActivationHead<Sigmoid>, UnitLabels>("Activation<Sigmoid>, BinaryCrossentropy (fused)",
                                                       loss::BinaryCrossentropy{}, 23);
  check_gradients<ActivationHead<Sigmoid>, UnitLabels>("Activation<Sigmoid>, MSE (sigmoid backward)",
                                                       loss::MeanSquaredError{}, 24);
}

TEST_CASE("gradients of losses from logits match finite differences", "[gradients]") {
  check_gradients<DenseHead<Linear>, OneHot>("Dense<3>, CategoricalCrossentropy<true>",
                                             loss::CategoricalCrossentropy<true>{}, 31);
  check_gradients<DenseHead<Linear>, SoftLabels>("Dense<3>, CategoricalCrossentropy<true>, soft labels",
                                                 loss::CategoricalCrossentropy<true>{}, 32);
  check_gradients<DenseHead<Linear>, ClassIndex>("Dense<3>, SparseCategoricalCrossentropy<true>",
                                                 loss::SparseCategoricalCrossentropy<true>{}, 33);
  check_gradients<DenseHead<Linear>, UnitLabels>("Dense<3>, BinaryCrossentropy<true>",
                                                 loss::BinaryCrossentropy<true>{}, 34);
  check_gradients<DenseHead<Linear>, RealLabels>("Dense<3>, MSE", loss::MeanSquaredError{}, 35);
}

TEST_CASE("gradients through rank-2 activations and Flatten match finite differences", "[gradients]") {
  check_gradients<Rank2Softmax, OneHot>("Input<2,3>, Activation<Softmax>, Flatten, ..., CategoricalCrossentropy",
                                        loss::CategoricalCrossentropy{}, 41);
  check_gradients<Rank2Flatten, UnitLabels>(
      "Input<2,3>, Activation<Tanh>, Flatten, Dense<5, LeakyReLU>, Flatten, Dense<3, Sigmoid>, BCE",
      loss::BinaryCrossentropy{}, 42);
}

TEST_CASE("gradients on sizes past the SIMD tiles match finite differences", "[gradients]") {
  check_gradients<Wide, SoftLabels, 11, 7>("Input<13>, Dense<17, Tanh>, Dense<9, Softmax>, CCE, 7 of 11 rows",
                                           loss::CategoricalCrossentropy{}, 51);
}

TEST_CASE("a partial batch averages its gradient over its real rows", "[gradients]") {
  using Net = DenseHead<Softmax>;
  using X = Tensor<Net::input_shape, double>;
  using Y = Tensor<Net::output_shape, double>;
  Net net;
  net.init(5);
  SplitMix64 rng(2024);
  for_each_dense(net, net.params(), [&](std::size_t, auto& p, auto&, std::size_t, std::size_t units) {
    for (std::size_t j = 0; j < units; ++j) p.bias_at(j) = uniform(rng, -0.2, 0.2);
  });
  auto draw = [&](std::size_t n, std::vector<X>& x, std::vector<Y>& y) {
    x.resize(n);
    y.resize(n);
    for (auto& v : x)
      for (auto& e : v) e = uniform(rng, -1, 1);
    for (auto& v : y) v = OneHot::make<Y, 3>(rng);
  };
  std::vector<X> xs, other_x;
  std::vector<Y> ys, other_y;
  draw(5, xs, ys);
  draw(8, other_x, other_y);

  auto trainer = compile(net, loss::CategoricalCrossentropy{}, optim::SGD{});
  // 5 samples in a session for 8, after 8 other samples filled every row.
  auto s8 = trainer.session<8>();
  s8.compute_gradients(other_x, other_y);
  const double loss8 = s8.compute_gradients(xs, ys);
  const std::vector<double> g8 = flat_values<Net>(trainer.gradients());
  // The same 5 in a session for exactly 5.
  auto s5 = trainer.session<5>();
  const double loss5 = s5.compute_gradients(xs, ys);
  const std::vector<double> g5 = flat_values<Net>(trainer.gradients());
  // The mean of one-sample gradients.
  auto s1 = trainer.session<1>();
  std::vector<double> g1(g8.size(), 0.0);
  double loss1 = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    loss1 += s1.compute_gradients(std::span(xs).subspan(i, 1), std::span(ys).subspan(i, 1)) / 5;
    const std::vector<double> g = flat_values<Net>(trainer.gradients());
    for (std::size_t k = 0; k < g.size(); ++k) g1[k] += g[k] / 5;
  }

  CHECK(loss8 == Approx(loss5).epsilon(0).margin(1e-12));
  CHECK(loss8 == Approx(loss1).epsilon(0).margin(1e-12));
  REQUIRE(g8.size() == g5.size());
  double d85 = 0, d81 = 0, largest = 0;
  for (std::size_t k = 0; k < g8.size(); ++k) {
    d85 = std::max(d85, std::abs(g8[k] - g5[k]));
    d81 = std::max(d81, std::abs(g8[k] - g1[k]));
    largest = std::max(largest, std::abs(g8[k]));
  }
  if (report_requested())
    std::printf("partial batch: |g8 - g5| %.2e, |g8 - mean g1| %.2e, max |g| %.3f\n", d85, d81, largest);
  INFO("largest gradient " << largest);
  CHECK(largest > 1e-2);
  CHECK(d85 <= 1e-12);
  CHECK(d81 <= 1e-12);
}
