// Optimizer parity with PyTorch (STYLE.md item 12): from the same initial
// weights and the same batches, 10 train_on_batch steps of the seed MLP with
// SGD (Nesterov), Adam and RMSprop end at PyTorch's weights.
//
// tests/golden/make_optimizer_parity.py draws the initial weights, 320
// images and their labels from SplitMix64 (every value exact in float32),
// trains in torch and writes tests/data/optimizer_parity.txt (the recipe,
// raw generator outputs, checksums of the draws, each step's loss) and
// tests/data/optimizer_parity_{sgd,adam,rmsprop}.f32.gz (the final weights,
// little-endian float32, gzip). Here forma::SplitMix64 draws the same values
// again, so no initial weights or inputs are stored. Regenerate with
//
//   /usr/bin/python3 tests/golden/make_optimizer_parity.py
//
// and keep the recipe constants below in step with the script's.
//
// What the reference runs (the script's docstring has the details):
//  - SGD: torch.optim.SGD(lr, momentum=mu, nesterov=True), which is Keras'
//    rule for a constant lr. torch keeps b = mu b + g and steps
//    w -= lr (g + mu b); Keras keeps v = mu v - lr g and steps
//    w += mu v - lr g. With v = -lr b: -lr (mu b + g) = mu v - lr g (the
//    same new velocity) and -lr (g + mu b_new) = mu v_new - lr g (the same
//    step). b starts at g in torch, which is mu * 0 + g: the same start.
//  - RMSprop: torch.optim.RMSprop(lr, alpha=rho, eps), which is Keras' rule:
//    torch 1.13's torch/optim/rmsprop.py (_single_tensor_rmsprop) does
//    square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha);
//    avg = square_avg.sqrt(); avg = avg.add_(eps);
//    param.addcdiv_(grad, avg, value=-lr), i.e. w -= lr g / (sqrt(s) + eps).
//  - Adam: Keras' rule written with torch tensors, gradients from autograd.
//    torch.optim.Adam divides sqrt(v) by sqrt(1 - b2^t) before adding eps,
//    which is Keras' rule with eps scaled by sqrt(1 - b2^t): a different
//    epsilon every step, so no constant eps makes the two agree.
//  - The loss: mean over the batch of -sum(y * log_softmax(z)), Keras'
//    categorical cross-entropy where no probability reaches the clip.
//
// How much of the tolerance float32 rounding takes. Adam and RMSprop amplify
// rounding in the gradients of elements whose first nonzero gradient is tiny
// (below about epsilon / sqrt(1 - beta_2) or epsilon / sqrt(1 - rho)): such a
// weight moves by about lr / epsilon * g (1e4 * g for RMSprop), so a 1e-9
// rounding error in g (a rarely active ReLU unit with tiny activations) is
// 1e-5 in the weight. Other float32 implementations of the same training
// (torch with permuted inputs and units, see the data file) differ from the
// reference by up to ~3e-8 (SGD), ~5e-6 (Adam) and ~1e-5 (RMSprop), and
// forma's builds (scalar, AVX2, AVX-512; g++ 12, clang 14) by up to ~5e-8,
// ~6e-6 and ~9e-6: the RMSprop check sits at float32's own noise. In double
// precision (Mlp::rebind<double> against torch in float64) the same 10 steps
// agree to 1e-16 (SGD), 5e-16 (Adam) and 9e-15 (RMSprop).
#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iomanip>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "forma/forma.hpp"
#include "golden_support.hpp"

#ifndef FORMA_TEST_DATA_DIR
#error "FORMA_TEST_DATA_DIR must name tests/data (tests/meson.build defines it)"
#endif

namespace {

// The data file's reader and the draws (golden_support.hpp).
using namespace golden_support;

using Mlp = forma::Sequential<forma::Input<28, 28, 1>, forma::Flatten, forma::Dense<200, forma::ReLU>,
                              forma::Dense<150, forma::ReLU>, forma::Dense<10, forma::Softmax>>;
using image = forma::Tensor<forma::Shape<28, 28, 1>>;
using label = forma::Tensor<forma::Shape<10>>;

// The recipe, as in make_optimizer_parity.py; the data file repeats it and
// the tests check that both agree.
constexpr std::uint64_t seed = 1729;
// Model layers 1, 2 and 3 are the Dense ones (layer 0 is Flatten).
constexpr std::array<std::size_t, 3> dense_units{200, 150, 10};
static_assert(dense_units_are<Mlp>(dense_units));
constexpr std::array<int, 3> kernel_scale_log2{-4, -3, -3};
constexpr std::array<int, 3> bias_scale_log2{-6, -6, -6};
constexpr std::size_t batch_size = 32;
constexpr std::size_t steps = 10;
constexpr std::size_t sample_count = batch_size * steps;
constexpr std::size_t classes = 10;
constexpr std::size_t generator_probes = 3;
constexpr std::size_t parameter_count = Mlp::param_count;
static_assert(parameter_count == 784 * 200 + 200 + 200 * 150 + 150 + 150 * 10 + 10);

// Each weight within tolerance * max(1, |torch|); each step's loss within
// tolerance * |torch|.
constexpr double tolerance = 1e-5;
// Out-of-tolerance weights reported one by one before the summary.
constexpr std::size_t reported_failures = 10;

const std::string data_dir = FORMA_TEST_DATA_DIR;
const std::string txt_path = data_dir + "/optimizer_parity.txt";
constexpr const char* regenerate = "regenerate with /usr/bin/python3 tests/golden/make_optimizer_parity.py";

// ---------------------------------------------------------------------------
// The text file: `key value...` lines and `#` comments. Keys that name a
// tensor or an optimizer (checksum, optimizer, weights, loss) are their first
// two words.

const golden_format txt_format{
    .regenerate = regenerate,
    .two_word_keys = {"checksum", "optimizer", "weights", "loss"},
    .table = {},
};

// Reads the file and requires it to describe the recipe above.
golden_file load_golden() {
  golden_file g = read_or_fail(txt_path, txt_format);
  INFO(txt_path << " was made for another recipe than this test's; regenerate it or update the constants");
  REQUIRE(numbers<std::uint64_t>(g, "seed") == std::vector<std::uint64_t>{seed});
  REQUIRE(numbers<std::size_t>(g, "input_shape") ==
          std::vector<std::size_t>(Mlp::input_shape::dims.begin(), Mlp::input_shape::dims.end()));
  REQUIRE(numbers<std::size_t>(g, "units") == std::vector<std::size_t>(dense_units.begin(), dense_units.end()));
  REQUIRE(numbers<int>(g, "kernel_scale_log2") ==
          std::vector<int>(kernel_scale_log2.begin(), kernel_scale_log2.end()));
  REQUIRE(numbers<int>(g, "bias_scale_log2") == std::vector<int>(bias_scale_log2.begin(), bias_scale_log2.end()));
  REQUIRE(numbers<std::size_t>(g, "batch_size") == std::vector<std::size_t>{batch_size});
  REQUIRE(numbers<std::size_t>(g, "steps") == std::vector<std::size_t>{steps});
  REQUIRE(numbers<std::size_t>(g, "samples") == std::vector<std::size_t>{sample_count});
  REQUIRE(numbers<std::size_t>(g, "parameters") == std::vector<std::size_t>{parameter_count});
  return g;
}

// ---------------------------------------------------------------------------
// The weights files: exactly parameter_count little-endian float32 values,
// gzip-compressed. Anything else (missing, not gzip, truncated, corrupt,
// shorter or longer) is an error, never a pass.

struct gz_closer {
  void operator()(gzFile f) const noexcept { gzclose(f); }
};

struct weights_file {
  std::string error;  // empty when the file was read whole
  std::vector<float> values;
  std::uint32_t crc = 0;  // zlib crc32 of the uncompressed bytes
};

weights_file read_weights_file(const std::string& path, std::size_t count) {
  weights_file w;
  std::unique_ptr<gzFile_s, gz_closer> f(gzopen(path.c_str(), "rb"));
  if (!f) {
    w.error = std::string("cannot open the file; ") + regenerate;
    return w;
  }
  const std::size_t expected = count * sizeof(float);
  // One byte more than expected, so that a longer file shows.
  std::vector<unsigned char> bytes(expected + 1);
  std::size_t got = 0;
  while (got < bytes.size()) {
    const std::size_t want = std::min<std::size_t>(bytes.size() - got, INT_MAX);
    const int n = gzread(f.get(), bytes.data() + got, static_cast<unsigned>(want));
    if (n < 0) {
      int code = 0;
      w.error = std::string("zlib error: ") + gzerror(f.get(), &code) + " (after " + std::to_string(got) +
                " bytes; the file is damaged or truncated)";
      return w;
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  int code = Z_OK;
  const char* message = gzerror(f.get(), &code);
  if (code != Z_OK) {
    w.error = std::string("zlib error: ") + message + " (after " + std::to_string(got) +
              " bytes; the file is damaged or truncated)";
    return w;
  }
  if (gzdirect(f.get())) {
    w.error = "the file is not gzip-compressed";
    return w;
  }
  if (got != expected) {
    w.error = "the file holds " + (got > expected ? "more than " + std::to_string(expected)
                                                  : std::to_string(got)) +
              " bytes uncompressed; expected exactly " + std::to_string(expected) + " (" + std::to_string(count) +
              " float32)";
    return w;
  }
  w.crc = static_cast<std::uint32_t>(crc32(0L, bytes.data(), static_cast<uInt>(expected)));
  w.values.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    const unsigned char* b = bytes.data() + 4 * i;
    const std::uint32_t u = std::uint32_t{b[0]} | std::uint32_t{b[1]} << 8 | std::uint32_t{b[2]} << 16 |
                            std::uint32_t{b[3]} << 24;
    w.values[i] = std::bit_cast<float>(u);
  }
  return w;
}

// The weights of optimizer `name`, as the text file names and describes
// them; FAILs the test case on any mismatch.
std::vector<float> load_weights(const golden_file& g, const std::string& name) {
  const auto& tokens = tokens_of(g, "weights " + name);
  if (tokens.size() != 3) FAIL(txt_path << ": expected 'weights " << name << " FILE COUNT CRC32'");
  std::size_t count = 0;
  std::uint32_t crc = 0;
  if (!parse_number(tokens[1], count) || !parse_number(tokens[2], crc))
    FAIL(txt_path << ": 'weights " << name << "' has a malformed count or crc32");
  if (count != parameter_count)
    FAIL(txt_path << ": 'weights " << name << "' has " << count << " values; the model has " << parameter_count);
  const std::string path = data_dir + "/" + tokens[0];
  weights_file w = read_weights_file(path, count);
  if (!w.error.empty()) FAIL(path << ": " << w.error);
  if (w.crc != crc)
    FAIL(path << ": crc32 " << w.crc << " of its contents is not the " << crc << " that " << txt_path
              << " records; the two files come from different runs: " << regenerate);
  return std::move(w.values);
}

// ---------------------------------------------------------------------------
// The draws, as the script makes them (golden_support.hpp): one generator
// fills each Dense layer's kernel [inputs][units] row-major, then its bias,
// layer by layer; then the 320 images in (h, w, c) order; then the 320
// labels, each next() % 10.

struct batch {
  std::vector<image> xs;
  std::vector<label> ys;
};

struct parity_setup {
  std::unique_ptr<Mlp> model = std::make_unique<Mlp>();  // 750 kB of parameters: not for the stack
  std::vector<batch> batches;
  checksums sums;
};

parity_setup draw_setup() {
  parity_setup s;
  forma::SplitMix64 rng(seed);
  draw_dense_layers(*s.model, rng, kernel_scale_log2, bias_scale_log2, s.sums);
  s.batches.resize(steps);
  checksum input_sum;  // one sum over all the images
  for (batch& b : s.batches) {
    b.xs.resize(batch_size);
    for (image& x : b.xs) draw_inputs(x, rng, input_sum);
  }
  s.sums.emplace_back("inputs", input_sum.value);
  checksum label_sum;
  for (batch& b : s.batches) {
    b.ys.assign(batch_size, label::filled(0.0f));
    for (label& y : b.ys) {
      const std::uint64_t c = rng.next() % classes;
      label_sum.add(static_cast<std::int64_t>(c));
      y[c] = 1.0f;
    }
  }
  s.sums.emplace_back("labels", label_sum.value);
  return s;
}

// The model's parameters in the files' order: Dense layer by layer, kernel
// [inputs][units] row-major, then bias.
template <std::size_t K>
void append_dense(const Mlp& model, std::vector<float>& out) {
  using bound = Mlp::bound_layer<K>;
  const auto& p = model.layer<K>();
  for (std::size_t i = 0; i < bound::inputs; ++i)
    for (std::size_t j = 0; j < dense_units[K - 1]; ++j) out.push_back(p.kernel_at(i, j));
  for (std::size_t j = 0; j < dense_units[K - 1]; ++j) out.push_back(p.bias_at(j));
}

std::vector<float> flat_weights(const Mlp& model) {
  std::vector<float> out;
  out.reserve(parameter_count);
  append_dense<1>(model, out);
  append_dense<2>(model, out);
  append_dense<3>(model, out);
  return out;
}

// Where flat index i lives, for messages: "dense1 kernel (27, 46)".
std::string describe(std::size_t i) {
  std::size_t inputs = Mlp::input_shape::size;
  for (std::size_t k = 0; k < dense_units.size(); ++k) {
    const std::size_t units = dense_units[k];
    const std::string layer = "dense" + std::to_string(k);
    if (i < inputs * units)
      return layer + " kernel (" + std::to_string(i / units) + ", " + std::to_string(i % units) + ")";
    i -= inputs * units;
    if (i < units) return layer + " bias (" + std::to_string(i) + ")";
    i -= units;
    inputs = units;
  }
  return "past the end";
}

// ---------------------------------------------------------------------------
// The parity check for one optimizer.

template <class Opt>
void check_parity(const std::string& name, const Opt& optimizer) {
  const golden_file g = load_golden();
  const std::vector<double> ref_losses = numbers<double>(g, "loss " + name);
  REQUIRE(ref_losses.size() == steps);
  const std::vector<float> reference = load_weights(g, name);

  parity_setup s = draw_setup();
  auto trainer = forma::compile(*s.model, forma::loss::CategoricalCrossentropy{}, optimizer);
  auto session = trainer.template session<batch_size>();
  for (std::size_t step = 0; step < steps; ++step) {
    const double loss = session.train_on_batch(s.batches[step].xs, s.batches[step].ys);
    const double err = std::abs(loss - ref_losses[step]);
    INFO(name << ", step " << step + 1 << std::setprecision(9) << ": forma's loss " << loss << ", torch's "
              << ref_losses[step] << ", relative error " << err / std::abs(ref_losses[step]) << " (allowed "
              << tolerance << ")");
    CHECK(err <= tolerance * std::abs(ref_losses[step]));
  }

  const std::vector<float> got = flat_weights(*s.model);
  REQUIRE(got.size() == reference.size());
  double max_abs = 0, max_rel = 0, worst_ratio = 0;
  std::size_t worst = 0, failures = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double ref = reference[i];
    const double err = std::abs(static_cast<double>(got[i]) - ref);
    const double allowed = tolerance * std::max(1.0, std::abs(ref));
    max_abs = std::max(max_abs, err);
    if (ref != 0) max_rel = std::max(max_rel, err / std::abs(ref));
    if (err / allowed > worst_ratio) {
      worst_ratio = err / allowed;
      worst = i;
    }
    if (!(err <= allowed)) {  // NaN fails too
      if (++failures <= reported_failures)
        FAIL_CHECK(name << ", " << describe(i) << std::setprecision(9) << ": forma " << got[i] << ", torch "
                        << ref << ", error " << err << " above " << allowed);
    }
  }
  INFO(name << ": " << got.size() << " weights after " << steps << " steps; max abs error " << max_abs
            << ", max rel error " << max_rel << "; worst against the tolerance: " << describe(worst)
            << std::setprecision(9) << ", forma " << got[worst] << ", torch " << reference[worst] << " ("
            << worst_ratio << " of the allowed " << tolerance << " * max(1, |torch|))");
  CHECK(failures == 0);
}

}  // namespace

TEST_CASE("optimizer parity: forma::SplitMix64 draws what the generator script drew", "[parity]") {
  const golden_file g = load_golden();

  CHECK(numbers<std::uint64_t>(g, "generator") == first_outputs(seed, generator_probes));

  const parity_setup s = draw_setup();
  REQUIRE(s.sums.size() == 2 * dense_units.size() + 2);
  for (const auto& [name, value] : s.sums) {
    INFO("checksum of " << name << ": the script's fill order or value mapping differs from this test's");
    CHECK(numbers<std::uint64_t>(g, "checksum " + name) == std::vector<std::uint64_t>{value});
  }
}

TEST_CASE("optimizer parity: the data file records this test's optimizer settings", "[parity]") {
  const golden_file g = load_golden();
  CHECK(tokens_of(g, "optimizer sgd") ==
        std::vector<std::string>{"learning_rate", "0.01", "momentum", "0.9", "nesterov", "1"});
  CHECK(tokens_of(g, "optimizer adam") == std::vector<std::string>{"learning_rate", "0.001", "beta_1", "0.9",
                                                                   "beta_2", "0.999", "epsilon", "1e-07"});
  CHECK(tokens_of(g, "optimizer rmsprop") ==
        std::vector<std::string>{"learning_rate", "0.001", "rho", "0.9", "epsilon", "1e-07"});
}

TEST_CASE("optimizer parity: SGD with Nesterov momentum matches PyTorch after 10 steps", "[parity]") {
  check_parity("sgd", forma::optim::SGD{.learning_rate = 0.01, .momentum = 0.9, .nesterov = true});
}

TEST_CASE("optimizer parity: Adam matches Keras' Adam in PyTorch after 10 steps", "[parity]") {
  check_parity("adam",
               forma::optim::Adam{.learning_rate = 0.001, .beta_1 = 0.9, .beta_2 = 0.999, .epsilon = 1e-7});
}

TEST_CASE("optimizer parity: RMSprop matches PyTorch after 10 steps", "[parity]") {
  check_parity("rmsprop", forma::optim::RMSprop{.learning_rate = 0.001, .rho = 0.9, .epsilon = 1e-7});
}
