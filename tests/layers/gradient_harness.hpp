#pragma once
// A gradient check for any model, knowing no layer by name: every parameter
// the model's layers describe (io::named_tensors) is moved by finite
// differences of the mean loss evaluate() returns (the inference executor),
// and compared with two analytic gradients of the training executor:
// compute_gradients' stored one, and the one fit's fused update applies,
// read back from one SGD step with learning rate 1 (w - w' = g, exact to a
// rounding of w in double).
//
// Numerics as in test_gradients.cpp (where they are derived): step 2^-12,
// Richardson extrapolation of two central differences, relative tolerance
// 1e-6 above a floor of 1e-5. The models here use smooth activations only:
// with no reference forward pass, a kink could not be kept away from the
// stencil.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <forma/forma.hpp>
#include <forma/io/named_tensors.hpp>

namespace gradient_harness {

inline constexpr double step = 0x1p-12;
inline constexpr double floor_magnitude = 1e-5;
inline constexpr double tolerance = 1e-6;

inline double uniform(forma::SplitMix64& rng, double lo, double hi) { return lo + (hi - lo) * rng.uniform(); }

// Calls f(value) for every parameter value (no padding), layer by layer.
template <class Net, class Params, class F>
void for_each_value(Params& p, F&& f) {
  for (auto& t : forma::io::named_tensors<Net>(p))
    for (std::size_t r = 0; r < t.layout.rows(); ++r)
      for (std::size_t c = 0; c < t.layout.cols(); ++c) f(t.row(r)[c], t.name, r, c);
}

// Random inputs in [-1, 1] for each of the model's Inputs, Samples of each.
template <class Net, std::size_t Samples>
auto draw_inputs(forma::SplitMix64& rng) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    auto one = [&]<std::size_t J>(std::integral_constant<std::size_t, J>) {
      std::vector<forma::Tensor<typename Net::template input_shape_of<J>, double>> xs(Samples);
      for (auto& x : xs)
        for (auto& e : x) e = uniform(rng, -1, 1);
      return xs;
    };
    return std::make_tuple(one(std::integral_constant<std::size_t, I>{})...);
  }(std::make_index_sequence<Net::input_count>{});
}

// The samples as fit takes them: the range itself for one input, a tuple of
// spans for several.
template <class Inputs>
auto as_samples(const Inputs& xs) {
  if constexpr (std::tuple_size_v<Inputs> == 1)
    return std::span(std::get<0>(xs));
  else
    return std::apply([](const auto&... x) { return std::make_tuple(std::span(x)...); }, xs);
}

// Which loss the finite differences move: inference's (evaluate), or, for
// a model with layers that train differently (dropout), the training step's
// own (compute_gradients, at a fixed step, so with the same draws).
enum class mode { inference, training };

// Checks every parameter of Net (a double model) under Loss, with labels
// from make_label(rng). Returns how many parameters were checked.
template <class Net, mode Mode = mode::inference, std::size_t B = 8, std::size_t Samples = 6, class Loss,
          class MakeLabel>
std::size_t check(const std::string& name, Loss loss, MakeLabel make_label, std::uint64_t seed) {
  static_assert(std::is_same_v<typename Net::value_type, double>, "the harness checks double models");
  INFO("case: " << name << ", seed " << seed);
  auto net = std::make_unique<Net>();
  net->init(seed);
  forma::SplitMix64 rng(seed * 0x9e3779b97f4a7c15ULL + 7);
  // Glorot kernels and zero biases, then every value moved a little, so
  // that no bias is zero and no two units are alike.
  for_each_value<Net>(net->params(), [&](double& w, auto&&...) { w += uniform(rng, -0.2, 0.2); });
  const auto inputs = draw_inputs<Net, Samples>(rng);
  const auto stale = draw_inputs<Net, B>(rng);
  const auto xs = as_samples(inputs);
  using Trainer = decltype(forma::compile(*net, loss, forma::optim::SGD{}));
  using Y = typename Trainer::label_type;
  std::vector<Y> ys(Samples), stale_y(B);
  for (auto& y : ys) y = make_label(rng);
  for (auto& y : stale_y) y = make_label(rng);

  auto trainer = forma::compile(*net, loss, forma::optim::SGD{.learning_rate = 1.0});
  auto session = trainer.template session<B>();
  // Stale rows in the buffers first: the check also covers a batch of
  // fewer rows than B.
  session.compute_gradients(as_samples(stale), stale_y);
  session.compute_gradients(xs, ys);
  const auto stored = std::make_unique<typename Net::params_type>(trainer.gradients());

  // fit's path: one fused SGD step, then the weights as they were.
  const auto before = std::make_unique<typename Net::params_type>(net->params());
  session.train_on_batch(xs, ys);
  session.set_step(0);  // the step the gradients above were of
  auto fused = std::make_unique<typename Net::params_type>(net->params());
  {
    std::vector<double*> after;
    for_each_value<Net>(*fused, [&](double& w, auto&&...) { after.push_back(&w); });
    std::size_t i = 0;
    for_each_value<Net>(*before, [&](double& w, auto&&...) {
      *after[i] = w - *after[i];
      ++i;
    });
  }
  net->params() = *before;

  auto mean_loss = [&] {
    if constexpr (Mode == mode::training)
      return session.compute_gradients(xs, ys);
    else if constexpr (Net::input_count == 1)
      return trainer.template evaluate<B>(std::get<0>(inputs), ys)[0];
    else
      return trainer.template evaluate<B>(
          std::apply([](const auto&... x) { return std::tie(x...); }, inputs), ys)[0];
  };
  const double loss0 = mean_loss();
  REQUIRE(std::isfinite(loss0));
  // The training forward computes the same loss as the inference one
  // (unless it differs by design).
  if constexpr (Mode == mode::inference) CHECK(std::abs(session.compute_gradients(xs, ys) - loss0) < 1e-12);

  struct entry {
    double* weight;
    double stored, fused;
    std::string where;
  };
  std::vector<entry> entries;
  {
    std::vector<double> g_stored, g_fused;
    for_each_value<Net>(*stored, [&](double& g, auto&&...) { g_stored.push_back(g); });
    for_each_value<Net>(*fused, [&](double& g, auto&&...) { g_fused.push_back(g); });
    std::size_t i = 0;
    for_each_value<Net>(net->params(), [&](double& w, const std::string& tensor, std::size_t r, std::size_t c) {
      entries.push_back({&w, g_stored[i], g_fused[i], tensor + "(" + std::to_string(r) + ", " + std::to_string(c) + ")"});
      ++i;
    });
  }
  REQUIRE(entries.size() == Net::param_count);

  std::size_t failed = 0;
  double worst = 0, largest = 0;
  std::ostringstream failures;
  failures.precision(10);
  for (entry& e : entries) {
    double& w = *e.weight;
    const double w0 = w;
    auto at = [&](double v) {
      w = v;
      return mean_loss();
    };
    const double d1 = (at(w0 + step) - at(w0 - step)) / (2 * step);
    const double d2 = (at(w0 + 2 * step) - at(w0 - 2 * step)) / (4 * step);
    w = w0;
    const double numeric = (4 * d1 - d2) / 3;
    largest = std::max(largest, std::abs(numeric));
    for (double analytic : {e.stored, e.fused}) {
      const double rel =
          std::abs(analytic - numeric) / std::max({std::abs(analytic), std::abs(numeric), floor_magnitude});
      worst = std::max(worst, rel);
      if (!(rel < tolerance) && ++failed <= 10)
        failures << "  " << e.where << ": stored " << e.stored << ", fused " << e.fused << ", numeric " << numeric
                 << '\n';
    }
  }
  CHECK(mean_loss() == loss0);  // the weights are back, bit for bit
  CHECK(largest > 1e-3);        // the check is not vacuous
  INFO(failed << " gradient(s) off by more than " << tolerance << " relative (worst " << worst << "):\n"
              << failures.str());
  CHECK(failed == 0);
  return entries.size();
}

// A one-hot label of N classes.
template <std::size_t N>
forma::Tensor<forma::Shape<N>, double> one_hot(forma::SplitMix64& rng) {
  forma::Tensor<forma::Shape<N>, double> y{};
  y[rng.next() % N] = 1;
  return y;
}

}  // namespace gradient_harness
