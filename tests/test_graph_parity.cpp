// Graph parity with PyTorch (STYLE.md item 12): a residual functional model,
// with a skip connection (Add) and the input concatenated again before the
// output layer, against the same graph in torch: its softmax outputs, the
// gradient of the first step's loss, each step's loss and the weights after
// 10 Adam train_on_batch steps.
//
// tests/golden/make_residual_parity.py draws the initial weights, 80 inputs
// and their labels from SplitMix64 (every value exact in float32), runs the
// graph in torch and writes tests/data/residual_parity.txt. Here
// forma::SplitMix64 draws the same values again, so no initial weights or
// inputs are stored. Regenerate with
//
//   /usr/bin/python3 tests/golden/make_residual_parity.py
//
// and keep the recipe constants below in step with the script's.
//
// The reference's Adam is Keras' rule written with torch tensors (the same
// class as tests/golden/make_optimizer_parity.py's; torch.optim.Adam places
// epsilon differently). Adam's step hardly depends on the gradient's scale,
// so the first gradient is compared on its own as well.
//
// Tolerances. The sizes are small (fan-ins at most 34), so float32 rounding
// is small too: torch's own float32 runs with the input features and hidden
// units permuted (other summation orders, recorded in the data file) differ
// from the reference by at most ~7e-8 (outputs), ~9e-8 (gradient, relative
// to its largest element), ~1.6e-7 (losses, relative) and ~6e-8 (weights),
// and the reference is as close to float64. A tolerance of 1e-6 leaves about
// ten times that for forma's own orders (FMA, SIMD widths), while a wrong
// gradient path (the skip connection, the concatenated part) moves weights by
// up to the 0.01 learning rate per step, far above it.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iomanip>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "forma/forma.hpp"
#include "forma/layers/add.hpp"
#include "forma/layers/concatenate.hpp"
#include "golden_support.hpp"

#ifndef FORMA_TEST_DATA_DIR
#error "FORMA_TEST_DATA_DIR must name tests/data (tests/meson.build defines it)"
#endif

namespace {

// The data file's reader and the draws (golden_support.hpp).
using namespace golden_support;

constexpr auto graph_in = forma::Input<21>{};
constexpr auto graph_h = forma::Dense<13, forma::ReLU>{}(graph_in);
constexpr auto graph_r = forma::Dense<13, forma::Tanh>{}(graph_h);
constexpr auto graph_s = forma::Add{}(graph_h, graph_r);
constexpr auto graph_c = forma::Concatenate{}(graph_s, graph_in);
constexpr auto graph_out = forma::Dense<5, forma::Softmax>{}(graph_c);
using Residual = forma::Model<decltype(graph_in), decltype(graph_out)>;
using sample = forma::Tensor<Residual::input_shape>;
using scores = forma::Tensor<Residual::output_shape>;

// The layers in the order the graph numbers them; the data file's dense0,
// dense1 and dense2 are layers 0, 1 and 4.
static_assert(Residual::is_graph);
static_assert(std::is_same_v<Residual::layer_type<0>, forma::Dense<13, forma::ReLU>>);
static_assert(std::is_same_v<Residual::layer_type<1>, forma::Dense<13, forma::Tanh>>);
static_assert(std::is_same_v<Residual::layer_type<2>, forma::Add>);
static_assert(std::is_same_v<Residual::layer_type<3>, forma::Concatenate>);
static_assert(std::is_same_v<Residual::layer_type<4>, forma::Dense<5, forma::Softmax>>);
static_assert(Residual::bound_layer<4>::inputs == 13 + 21);  // s, then x
constexpr std::array<std::size_t, 3> dense_layers{0, 1, 4};
constexpr std::array<std::size_t, 3> fan_ins{Residual::bound_layer<0>::inputs, Residual::bound_layer<1>::inputs,
                                             Residual::bound_layer<4>::inputs};

// The recipe, as in make_residual_parity.py; the data file repeats it and
// the tests check that both agree.
constexpr std::uint64_t seed = 31415;
constexpr std::array<std::size_t, 3> dense_units{13, 13, 5};
constexpr std::array<int, 3> kernel_scale_log2{-2, -1, -1};
constexpr std::array<int, 3> bias_scale_log2{-4, -4, -4};
constexpr std::size_t batch_size = 8;
constexpr std::size_t steps = 10;
constexpr std::size_t sample_count = batch_size * steps;
constexpr std::size_t classes = 5;
constexpr std::size_t generator_probes = 3;
constexpr std::size_t parameter_count = Residual::param_count;
static_assert(parameter_count == 21 * 13 + 13 + 13 * 13 + 13 + 34 * 5 + 5);
const forma::optim::Adam adam{.learning_rate = 0.01, .beta_1 = 0.9, .beta_2 = 0.999, .epsilon = 1e-7};

// Outputs and weights within tolerance * max(1, |torch|); gradients within
// tolerance * max(largest |torch gradient|, |torch|); losses within
// tolerance * |torch|. Why 1e-6: see the top of the file.
constexpr double tolerance = 1e-6;
// Out-of-tolerance values reported one by one before the summary.
constexpr std::size_t reported_failures = 10;

const std::string data_path = std::string(FORMA_TEST_DATA_DIR) + "/residual_parity.txt";

// ---------------------------------------------------------------------------
// The data file: `key value...` lines, `#` comments, and after the line
// `outputs ROWS COLS` exactly ROWS * COLS numbers (the softmax outputs on the
// first batch). Keys naming a tensor or the optimizer are two words.

const golden_format data_format{
    .regenerate = "regenerate it with /usr/bin/python3 tests/golden/make_residual_parity.py",
    .two_word_keys = {"checksum", "optimizer", "gradient", "final"},
    .table = "outputs",
};

// Reads the file and requires it to describe the recipe above.
golden_file load_golden() {
  golden_file g = read_or_fail(data_path, data_format);
  INFO(data_path << " was made for another recipe than this test's; regenerate it or update the constants");
  REQUIRE(numbers<std::uint64_t>(g, "seed") == std::vector<std::uint64_t>{seed});
  REQUIRE(numbers<std::size_t>(g, "input_shape") ==
          std::vector<std::size_t>(Residual::input_shape::dims.begin(), Residual::input_shape::dims.end()));
  REQUIRE(numbers<std::size_t>(g, "units") == std::vector<std::size_t>(dense_units.begin(), dense_units.end()));
  REQUIRE(numbers<int>(g, "kernel_scale_log2") ==
          std::vector<int>(kernel_scale_log2.begin(), kernel_scale_log2.end()));
  REQUIRE(numbers<int>(g, "bias_scale_log2") == std::vector<int>(bias_scale_log2.begin(), bias_scale_log2.end()));
  REQUIRE(numbers<std::size_t>(g, "batch_size") == std::vector<std::size_t>{batch_size});
  REQUIRE(numbers<std::size_t>(g, "steps") == std::vector<std::size_t>{steps});
  REQUIRE(numbers<std::size_t>(g, "samples") == std::vector<std::size_t>{sample_count});
  REQUIRE(numbers<std::size_t>(g, "parameters") == std::vector<std::size_t>{parameter_count});
  REQUIRE(g.rows == batch_size);
  REQUIRE(g.cols == classes);
  return g;
}

// ---------------------------------------------------------------------------
// Flat parameters in the file's order: dense0, dense1, dense2, each its
// kernel [inputs][units] row-major, then its bias.

template <std::size_t K>
void append_dense(const Residual::params_type& p, std::vector<float>& out) {
  const auto& layer = std::get<K>(p);
  for (std::size_t i = 0; i < Residual::bound_layer<K>::inputs; ++i)
    for (std::size_t j = 0; j < Residual::layer_type<K>::units; ++j) out.push_back(layer.kernel_at(i, j));
  for (std::size_t j = 0; j < Residual::layer_type<K>::units; ++j) out.push_back(layer.bias_at(j));
}

// Of the model's weights, or of a gradient (an object of the same type).
std::vector<float> flat(const Residual::params_type& p) {
  std::vector<float> out;
  out.reserve(parameter_count);
  [&]<std::size_t... J>(std::index_sequence<J...>) {
    (append_dense<dense_layers[J]>(p, out), ...);
  }(std::make_index_sequence<dense_layers.size()>{});
  return out;
}

// The reference's `KEY denseJ.kernel` and `KEY denseJ.bias` lines, in the
// flat order; FAILs on a missing line or a wrong count.
std::vector<double> flat_reference(const golden_file& g, const std::string& key) {
  std::vector<double> out;
  for (std::size_t j = 0; j < dense_units.size(); ++j) {
    const std::size_t inputs = fan_ins[j];
    const std::string name = key + " dense" + std::to_string(j);
    const auto kernel = numbers<double>(g, name + ".kernel");
    const auto bias = numbers<double>(g, name + ".bias");
    if (kernel.size() != inputs * dense_units[j] || bias.size() != dense_units[j])
      FAIL(data_path << ": '" << name << ".kernel' and '.bias' hold " << kernel.size() << " and " << bias.size()
                     << " values; the model's are " << inputs * dense_units[j] << " and " << dense_units[j]);
    out.insert(out.end(), kernel.begin(), kernel.end());
    out.insert(out.end(), bias.begin(), bias.end());
  }
  return out;
}

// Where flat index i lives, for messages: "dense2 kernel (13, 4)".
std::string describe(std::size_t i) {
  for (std::size_t k = 0; k < dense_units.size(); ++k) {
    const std::size_t inputs = fan_ins[k];
    const std::size_t units = dense_units[k];
    const std::string layer = "dense" + std::to_string(k);
    if (i < inputs * units)
      return layer + " kernel (" + std::to_string(i / units) + ", " + std::to_string(i % units) + ")";
    i -= inputs * units;
    if (i < units) return layer + " bias (" + std::to_string(i) + ")";
    i -= units;
  }
  return "past the end";
}

// ---------------------------------------------------------------------------
// The draws, as the script makes them (golden_support.hpp): one generator
// fills dense0, dense1 and dense2, each its kernel then its bias, then the
// 80 inputs, then the 80 labels (next() % 5).

struct batch {
  std::vector<sample> xs;
  std::vector<scores> ys;
};

struct parity_setup {
  std::unique_ptr<Residual> model = std::make_unique<Residual>();
  std::vector<batch> batches;
  checksums sums;
};

parity_setup draw_setup() {
  parity_setup s;
  forma::SplitMix64 rng(seed);
  [&]<std::size_t... J>(std::index_sequence<J...>) {
    (draw_dense<dense_layers[J]>(*s.model, rng, kernel_scale_log2[J], bias_scale_log2[J], s.sums), ...);
  }(std::make_index_sequence<dense_layers.size()>{});
  // draw_dense names a layer after its index in a chain that starts with
  // Flatten (K - 1); here the names are the Dense layers' own order.
  for (std::size_t j = 0; j < dense_layers.size(); ++j) {
    s.sums[2 * j].first = "dense" + std::to_string(j) + ".kernel";
    s.sums[2 * j + 1].first = "dense" + std::to_string(j) + ".bias";
  }
  s.batches.resize(steps);
  checksum input_sum;  // one sum over all the inputs
  for (batch& b : s.batches) {
    b.xs.resize(batch_size);
    for (sample& x : b.xs) draw_inputs(x, rng, input_sum);
  }
  s.sums.emplace_back("inputs", input_sum.value);
  checksum label_sum;
  for (batch& b : s.batches) {
    b.ys.assign(batch_size, scores::filled(0.0f));
    for (scores& y : b.ys) {
      const std::uint64_t c = rng.next() % classes;
      label_sum.add(static_cast<std::int64_t>(c));
      y[c] = 1.0f;
    }
  }
  s.sums.emplace_back("labels", label_sum.value);
  return s;
}

// ---------------------------------------------------------------------------
// Comparison with the stated tolerance.

struct error_stats {
  std::size_t compared = 0, failures = 0, worst = 0;
  double max_abs = 0, worst_ratio = 0;
};

// Checks got[i] against ref[i], allowed tolerance * max(floor, |ref[i]|);
// each failure (up to reported_failures) is reported with `where(i)`.
template <class Where>
error_stats compare(const std::vector<float>& got, const std::vector<double>& ref, double floor,
                    const std::string& what, Where where) {
  REQUIRE(got.size() == ref.size());
  error_stats s;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double err = std::abs(static_cast<double>(got[i]) - ref[i]);
    const double allowed = tolerance * std::max(floor, std::abs(ref[i]));
    ++s.compared;
    s.max_abs = std::max(s.max_abs, err);
    if (err / allowed > s.worst_ratio) {
      s.worst_ratio = err / allowed;
      s.worst = i;
    }
    if (!(err <= allowed) && ++s.failures <= reported_failures)  // NaN fails too
      FAIL_CHECK(what << ", " << where(i) << std::setprecision(9) << ": forma " << got[i] << ", torch " << ref[i]
                      << ", error " << err << " above " << allowed);
  }
  return s;
}

// `floor` names compare's floor, for the message.
template <class Where>
void report(const error_stats& s, const std::string& what, Where where, const std::string& floor) {
  INFO(what << ": " << s.compared << " values, max abs error " << s.max_abs << "; worst against the tolerance: "
            << where(s.worst) << ", " << s.worst_ratio << " of the allowed " << tolerance << " * max(" << floor
            << ", |torch|)");
  CHECK(s.failures == 0);
}

void check_outputs(const std::vector<scores>& ys, const golden_file& g, const std::string& how) {
  std::vector<float> got;
  for (const scores& y : ys) got.insert(got.end(), y.begin(), y.end());
  auto where = [](std::size_t i) {
    return "sample " + std::to_string(i / classes) + ", output " + std::to_string(i % classes);
  };
  report(compare(got, g.table, 1.0, how, where), how, where, "1");
}

}  // namespace

TEST_CASE("graph parity: forma::SplitMix64 draws what the generator script drew", "[parity]") {
  const golden_file g = load_golden();

  CHECK(numbers<std::uint64_t>(g, "generator") == first_outputs(seed, generator_probes));

  const parity_setup s = draw_setup();
  REQUIRE(s.sums.size() == 2 * dense_units.size() + 2);
  for (const auto& [name, value] : s.sums) {
    INFO("checksum of " << name << ": the script's fill order or value mapping differs from this test's");
    CHECK(numbers<std::uint64_t>(g, "checksum " + name) == std::vector<std::uint64_t>{value});
  }
}

TEST_CASE("graph parity: the data file records this test's Adam settings", "[parity]") {
  const golden_file g = load_golden();
  CHECK(tokens_of(g, "optimizer adam") == std::vector<std::string>{"learning_rate", "0.01", "beta_1", "0.9",
                                                                   "beta_2", "0.999", "epsilon", "1e-07"});
}

TEST_CASE("graph parity: the residual graph's predict matches PyTorch", "[parity]") {
  const golden_file g = load_golden();
  const parity_setup s = draw_setup();
  const batch& first = s.batches[0];

  std::vector<scores> one_by_one;
  for (const sample& x : first.xs) one_by_one.push_back(s.model->predict(x));
  check_outputs(one_by_one, g, "predict, one sample at a time");

  auto batched = [&]<std::size_t B>() {
    std::vector<scores> ys(batch_size, scores::filled(-1.0f));
    REQUIRE(s.model->predict<B>(std::span<const sample>(first.xs), std::span<scores>(ys)) == batch_size);
    check_outputs(ys, g, "predict<" + std::to_string(B) + "> on " + std::to_string(batch_size) + " samples");
  };
  batched.template operator()<3>();  // two full batches, then a partial one
  batched.template operator()<8>();  // one full batch
}

TEST_CASE("graph parity: the gradient of the first step's loss matches PyTorch", "[parity]") {
  const golden_file g = load_golden();
  const std::vector<double> reference = flat_reference(g, "gradient");
  const std::vector<double> ref_losses = numbers<double>(g, "loss");
  REQUIRE(ref_losses.size() == steps);
  double scale = 0;  // the largest |gradient|: small elements are judged against it
  for (double v : reference) scale = std::max(scale, std::abs(v));
  REQUIRE(scale > 0);

  parity_setup s = draw_setup();
  auto trainer = forma::compile(*s.model, forma::loss::CategoricalCrossentropy{}, adam);
  auto session = trainer.session<batch_size>();
  const double loss = session.compute_gradients(std::span<const sample>(s.batches[0].xs),
                                                std::span<const scores>(s.batches[0].ys));
  {
    INFO(std::setprecision(9) << "forma's loss " << loss << ", torch's " << ref_losses[0]);
    CHECK(std::abs(loss - ref_losses[0]) <= tolerance * std::abs(ref_losses[0]));
  }
  const std::vector<float> got = flat(trainer.gradients());
  const error_stats stats = compare(got, reference, scale, "gradient", describe);
  report(stats, "gradient of the first step's loss", describe, "largest |torch gradient|");
}

TEST_CASE("graph parity: 10 Adam steps match Keras' Adam in PyTorch", "[parity]") {
  const golden_file g = load_golden();
  const std::vector<double> ref_losses = numbers<double>(g, "loss");
  REQUIRE(ref_losses.size() == steps);
  const std::vector<double> reference = flat_reference(g, "final");

  parity_setup s = draw_setup();
  auto trainer = forma::compile(*s.model, forma::loss::CategoricalCrossentropy{}, adam);
  auto session = trainer.session<batch_size>();
  double max_loss_err = 0;
  for (std::size_t step = 0; step < steps; ++step) {
    const double loss = session.train_on_batch(std::span<const sample>(s.batches[step].xs),
                                               std::span<const scores>(s.batches[step].ys));
    const double err = std::abs(loss - ref_losses[step]) / std::abs(ref_losses[step]);
    max_loss_err = std::max(max_loss_err, err);
    INFO("step " << step + 1 << std::setprecision(9) << ": forma's loss " << loss << ", torch's "
                 << ref_losses[step] << ", relative error " << err << " (allowed " << tolerance << ")");
    CHECK(err <= tolerance);
  }
  INFO("losses: max relative error " << max_loss_err);
  const error_stats stats = compare(flat(s.model->params()), reference, 1.0, "final weights", describe);
  report(stats, "weights after 10 steps", describe, "1");
}
