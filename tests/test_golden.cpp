// End-to-end numbers from an outside reference (STYLE.md item 12): the seed
// MLP's forward pass against PyTorch's, from the same weights and inputs.
//
// tests/golden/make_seed_mlp_forward.py draws the weights and inputs from
// SplitMix64 (every value exact in float32), runs them through torch and
// writes tests/data/seed_mlp_forward.txt. Here forma::SplitMix64 draws the
// same values again, so no weights are stored; the data file holds the
// recipe, some raw generator outputs, a checksum of each drawn tensor and
// torch's softmax outputs. Regenerate it with
//
//   /usr/bin/python3 tests/golden/make_seed_mlp_forward.py
//
// and keep the recipe constants below in step with the script's.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iomanip>
#include <memory>
#include <span>
#include <string>
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

using Mlp = forma::Sequential<forma::Input<32, 32, 3>, forma::Flatten, forma::Dense<200, forma::ReLU>,
                              forma::Dense<150, forma::ReLU>, forma::Dense<10, forma::Softmax>>;
using image = forma::Tensor<Mlp::input_shape>;
using scores = forma::Tensor<Mlp::output_shape>;

// The recipe, as in make_seed_mlp_forward.py; the data file repeats it and
// the tests check that both agree.
constexpr std::uint64_t seed = 2024;
constexpr std::size_t image_count = 5;
// Model layers 1, 2 and 3 are the Dense ones (layer 0 is Flatten).
constexpr std::array<std::size_t, 3> dense_units{200, 150, 10};
static_assert(dense_units_are<Mlp>(dense_units));
constexpr std::array<int, 3> scale_log2{-5, -3, -2};
constexpr std::size_t generator_probes = 3;

// Each output within tolerance * max(1, |reference|).
constexpr double tolerance = 1e-5;

const std::string data_path = std::string(FORMA_TEST_DATA_DIR) + "/seed_mlp_forward.txt";

// ---------------------------------------------------------------------------
// The data file: `key value...` lines, `#` comments, and after the line
// `outputs ROWS COLS` exactly ROWS * COLS decimal numbers (golden_file's
// table). `checksum NAME VALUE` is keyed by its first two words.

const golden_format data_format{
    .regenerate = "regenerate it with /usr/bin/python3 tests/golden/make_seed_mlp_forward.py",
    .two_word_keys = {"checksum"},
    .table = "outputs",
};

// Reads the file and requires it to describe the recipe above.
golden_file load_golden() {
  golden_file g = read_or_fail(data_path, data_format);
  INFO(data_path << " was made for another recipe than this test's; regenerate it or update the constants");
  REQUIRE(numbers<std::uint64_t>(g, "seed") == std::vector<std::uint64_t>{seed});
  REQUIRE(numbers<std::size_t>(g, "input_shape") ==
          std::vector<std::size_t>(Mlp::input_shape::dims.begin(), Mlp::input_shape::dims.end()));
  REQUIRE(numbers<std::size_t>(g, "units") == std::vector<std::size_t>(dense_units.begin(), dense_units.end()));
  REQUIRE(numbers<int>(g, "scale_log2") == std::vector<int>(scale_log2.begin(), scale_log2.end()));
  REQUIRE(numbers<std::size_t>(g, "images") == std::vector<std::size_t>{image_count});
  REQUIRE(g.rows == image_count);
  REQUIRE(g.cols == scores::size);
  return g;
}

// ---------------------------------------------------------------------------
// The draws, as the script makes them (golden_support.hpp): one generator
// fills each Dense layer's kernel [inputs][units] row-major, then its bias,
// layer by layer, with the same scale for both, then the images in (h, w, c)
// order.

struct seed_mlp {
  std::unique_ptr<Mlp> model = std::make_unique<Mlp>();  // 2.5 MB of parameters
  std::vector<image> images;
  checksums sums;
};

seed_mlp draw_seed_mlp() {
  seed_mlp s;
  forma::SplitMix64 rng(seed);
  draw_dense_layers(*s.model, rng, scale_log2, scale_log2, s.sums);
  s.images.resize(image_count);
  checksum input_sum;  // one sum over all the images
  for (image& x : s.images) draw_inputs(x, rng, input_sum);
  s.sums.emplace_back("inputs", input_sum.value);
  return s;
}

// ---------------------------------------------------------------------------
// Comparison with the stated tolerance.

struct error_stats {
  std::size_t compared = 0;
  double max_abs = 0;
  double max_rel = 0;
};

// Checks one image's outputs against row `row` of the reference: each output
// out of tolerance is a failure of its own, named.
void compare(const scores& y, const golden_file& g, std::size_t row, const std::string& how, error_stats& s) {
  for (std::size_t j = 0; j < scores::size; ++j) {
    const double ref = g.table[row * g.cols + j];
    const double got = y[j];
    const double err = std::abs(got - ref);
    const double allowed = tolerance * std::max(1.0, std::abs(ref));
    ++s.compared;
    s.max_abs = std::max(s.max_abs, err);
    if (ref != 0) s.max_rel = std::max(s.max_rel, err / std::abs(ref));
    if (!(err <= allowed))  // NaN fails too
      FAIL_CHECK(how << ", image " << row << ", output " << j << std::setprecision(9) << ": forma " << got
                     << ", torch " << ref << ", error " << err << " above " << allowed);
  }
}

void report(const std::string& how, const error_stats& s) {
  INFO(how << ": " << s.compared << " outputs, max abs error " << s.max_abs << ", max rel error " << s.max_rel
           << " (allowed " << tolerance << " * max(1, |torch|))");
  CHECK(s.compared == image_count * scores::size);
}

template <std::size_t B>
void check_batched(const seed_mlp& s, const golden_file& g) {
  const std::string how = "predict<" + std::to_string(B) + "> on " + std::to_string(image_count) + " images";
  std::vector<scores> ys(image_count, scores::filled(-1.0f));
  const std::size_t n = s.model->predict<B>(std::span<const image>(s.images), std::span<scores>(ys));
  REQUIRE(n == image_count);
  error_stats stats;
  for (std::size_t i = 0; i < n; ++i) compare(ys[i], g, i, how, stats);
  report(how, stats);
}

}  // namespace

TEST_CASE("golden: forma::SplitMix64 draws what the generator script drew", "[golden]") {
  const golden_file g = load_golden();

  CHECK(numbers<std::uint64_t>(g, "generator") == first_outputs(seed, generator_probes));

  const seed_mlp s = draw_seed_mlp();
  for (const auto& [name, value] : s.sums) {
    INFO("checksum of " << name << ": the script's fill order or value mapping differs from this test's");
    CHECK(numbers<std::uint64_t>(g, "checksum " + name) == std::vector<std::uint64_t>{value});
  }
}

TEST_CASE("golden: the seed MLP's predict matches PyTorch", "[golden]") {
  const golden_file g = load_golden();
  const seed_mlp s = draw_seed_mlp();
  error_stats stats;
  for (std::size_t i = 0; i < image_count; ++i) compare(s.model->predict(s.images[i]), g, i, "predict", stats);
  report("predict, one image at a time", stats);
}

TEST_CASE("golden: the seed MLP's batched predict matches PyTorch", "[golden]") {
  const golden_file g = load_golden();
  const seed_mlp s = draw_seed_mlp();
  check_batched<4>(s, g);  // a full batch, then a partial one
  check_batched<8>(s, g);  // one partial batch
}
