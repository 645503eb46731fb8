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
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iomanip>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "forma/forma.hpp"

#ifndef FORMA_TEST_DATA_DIR
#error "FORMA_TEST_DATA_DIR must name tests/data (tests/meson.build defines it)"
#endif

namespace {

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
constexpr std::array<int, 3> scale_log2{-5, -3, -2};
constexpr std::size_t generator_probes = 3;

// Each output within tolerance * max(1, |reference|).
constexpr double tolerance = 1e-5;

const std::string data_path = std::string(FORMA_TEST_DATA_DIR) + "/seed_mlp_forward.txt";

// ---------------------------------------------------------------------------
// The data file: `key value...` lines, `#` comments, and after the line
// `outputs ROWS COLS` exactly ROWS * COLS decimal numbers.

struct golden_file {
  std::string error;  // empty when the file was read whole
  std::vector<std::pair<std::string, std::vector<std::string>>> entries;
  std::size_t rows = 0, cols = 0;
  std::vector<double> outputs;

  const std::vector<std::string>* find(std::string_view key) const {
    for (const auto& [k, v] : entries)
      if (k == key) return &v;
    return nullptr;
  }
};

template <class N>
bool parse_number(const std::string& token, N& out) {
  const char* end = token.data() + token.size();
  const auto [ptr, ec] = std::from_chars(token.data(), end, out);
  return ec == std::errc{} && ptr == end;
}

golden_file read_golden_file() {
  golden_file g;
  std::ifstream in(data_path);
  if (!in) {
    g.error = "cannot open the file; regenerate it with /usr/bin/python3 tests/golden/make_seed_mlp_forward.py";
    return g;
  }
  bool in_outputs = false;
  std::string line;
  for (std::size_t line_no = 1; std::getline(in, line); ++line_no) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::vector<std::string> tokens;
    for (std::string t; words >> t;) tokens.push_back(t);
    if (tokens.empty()) continue;
    const std::string where = "line " + std::to_string(line_no) + ": ";
    if (in_outputs) {
      for (const auto& t : tokens) {
        double v = 0;
        if (!parse_number(t, v)) {
          g.error = where + "'" + t + "' is not a number";
          return g;
        }
        g.outputs.push_back(v);
      }
    } else if (tokens[0] == "outputs") {
      if (tokens.size() != 3 || !parse_number(tokens[1], g.rows) || !parse_number(tokens[2], g.cols)) {
        g.error = where + "expected 'outputs ROWS COLS'";
        return g;
      }
      in_outputs = true;
    } else {
      // `checksum NAME VALUE` is keyed by its first two words.
      const std::size_t key_words = tokens[0] == "checksum" && tokens.size() > 1 ? 2 : 1;
      std::string key = tokens[0];
      if (key_words == 2) key += " " + tokens[1];
      if (g.find(key) != nullptr) {
        g.error = where + "'" + key + "' appears twice";
        return g;
      }
      g.entries.emplace_back(key, std::vector<std::string>(tokens.begin() + key_words, tokens.end()));
    }
  }
  if (!in_outputs)
    g.error = "no 'outputs ROWS COLS' line";
  else if (g.rows == 0 || g.cols == 0 || g.outputs.size() != g.rows * g.cols)
    g.error = "read " + std::to_string(g.outputs.size()) + " output values, expected " + std::to_string(g.rows) +
              " x " + std::to_string(g.cols);
  return g;
}

// The values of `key` as numbers; FAILs the test case when the key is
// missing or a value is malformed.
template <class N>
std::vector<N> numbers(const golden_file& g, std::string_view key) {
  const auto* tokens = g.find(key);
  if (tokens == nullptr) FAIL(data_path << ": no '" << key << "' line");
  std::vector<N> out;
  for (const auto& t : *tokens) {
    N v{};
    if (!parse_number(t, v)) FAIL(data_path << ": '" << key << "' has the malformed value '" << t << "'");
    out.push_back(v);
  }
  return out;
}

// Reads the file and requires it to describe the recipe above.
golden_file load_golden() {
  golden_file g = read_golden_file();
  if (!g.error.empty()) FAIL(data_path << ": " << g.error);
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
// The draws, as the script makes them: m = next() >> 40 (24 bits); a
// parameter is (2 m - 2^24) * 2^-24 * scale, an input m * 2^-24. One
// generator fills each Dense layer's kernel [inputs][units] row-major, then
// its bias, layer by layer, then the images in (h, w, c) order.

using checksums = std::vector<std::pair<std::string, std::uint64_t>>;

// sum over i of (i + 1) * n_i mod 2^64, n_i the drawn integers in draw
// order: position-sensitive, so a different fill order shows.
struct checksum {
  std::uint64_t value = 0;
  std::uint64_t count = 0;
  void add(std::int64_t n) { value += ++count * static_cast<std::uint64_t>(n); }
};

std::int64_t signed_numerator(forma::SplitMix64& rng) {
  return 2 * static_cast<std::int64_t>(rng.next() >> 40) - (std::int64_t{1} << 24);
}

template <std::size_t K>
void draw_dense(Mlp& model, forma::SplitMix64& rng, checksums& sums) {
  using bound = Mlp::bound_layer<K>;
  static_assert(Mlp::layer_type<K>::units == dense_units[K - 1]);
  const double unit = std::ldexp(1.0, -24 + scale_log2[K - 1]);  // (2 m - 2^24) * unit is exact

  // 3072 x 200 floats are 2.4 MB: not for the stack.
  auto kernel = std::make_unique<typename bound::kernel_tensor>();
  checksum kernel_sum;
  for (float& w : *kernel) {  // row-major [inputs][units], as drawn
    const std::int64_t n = signed_numerator(rng);
    kernel_sum.add(n);
    w = static_cast<float>(static_cast<double>(n) * unit);
  }
  auto bias = std::make_unique<typename bound::bias_tensor>();
  checksum bias_sum;
  for (float& b : *bias) {
    const std::int64_t n = signed_numerator(rng);
    bias_sum.add(n);
    b = static_cast<float>(static_cast<double>(n) * unit);
  }
  model.layer<K>().set_kernel(*kernel);
  model.layer<K>().set_bias(*bias);
  sums.emplace_back("dense" + std::to_string(K - 1) + ".kernel", kernel_sum.value);
  sums.emplace_back("dense" + std::to_string(K - 1) + ".bias", bias_sum.value);
}

struct seed_mlp {
  std::unique_ptr<Mlp> model = std::make_unique<Mlp>();  // 2.5 MB of parameters
  std::vector<image> images;
  checksums sums;
};

seed_mlp draw_seed_mlp() {
  seed_mlp s;
  forma::SplitMix64 rng(seed);
  draw_dense<1>(*s.model, rng, s.sums);
  draw_dense<2>(*s.model, rng, s.sums);
  draw_dense<3>(*s.model, rng, s.sums);
  s.images.resize(image_count);
  checksum input_sum;  // one sum over all the images
  for (image& x : s.images)
    for (float& v : x) {  // row-major (h, w, c), what Flatten passes on
      const auto n = static_cast<std::int64_t>(rng.next() >> 40);
      input_sum.add(n);
      v = static_cast<float>(std::ldexp(static_cast<double>(n), -24));
    }
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
    const double ref = g.outputs[row * g.cols + j];
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

  forma::SplitMix64 rng(seed);
  std::vector<std::uint64_t> first;
  for (std::size_t i = 0; i < generator_probes; ++i) first.push_back(rng.next());
  CHECK(numbers<std::uint64_t>(g, "generator") == first);

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
