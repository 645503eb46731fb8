#pragma once
// What the golden-data tests (test_golden.cpp, test_optimizer_parity.cpp)
// share: the reader of their data files and the float32-exact draws from
// forma::SplitMix64 that the generator scripts make as well (the same rules
// in Python: tests/golden/golden_common.py).
//
// Test support, not part of forma: it needs Catch2 (FAIL) and lives in a
// namespace of its own, every function inline, so that both tests can
// include it into one program.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "forma/forma.hpp"

namespace golden_support {

// ---------------------------------------------------------------------------
// The data files: `key value...` lines and `#` comments; optionally, after
// the line `TABLE ROWS COLS`, exactly ROWS * COLS decimal numbers.

// What a file holds besides `key value...` lines.
struct golden_format {
  // How to remake the file, for messages: "regenerate with ...".
  std::string regenerate;
  // Lines whose first word is one of these are keyed by their first two
  // words: `checksum NAME VALUE` is the key "checksum NAME".
  std::vector<std::string> two_word_keys;
  // When not empty: the line `TABLE ROWS COLS` ends the key/value lines,
  // and every word after it is one of the table's numbers, row-major.
  std::string table;
};

struct golden_file {
  std::string path;
  std::string regenerate;  // the format's, for messages
  std::string error;       // empty when the file was read whole
  std::vector<std::pair<std::string, std::vector<std::string>>> entries;
  std::size_t rows = 0, cols = 0;  // of the table, when the format has one
  std::vector<double> table;

  const std::vector<std::string>* find(std::string_view key) const {
    for (const auto& [k, v] : entries)
      if (k == key) return &v;
    return nullptr;
  }
};

// The whole of `token` as a number of type N; false when it is anything else.
template <class N>
bool parse_number(const std::string& token, N& out) {
  const char* end = token.data() + token.size();
  const auto [ptr, ec] = std::from_chars(token.data(), end, out);
  return ec == std::errc{} && ptr == end;
}

// Reads the file; on any problem sets `error` (and leaves the rest partial).
inline golden_file read_golden_file(const std::string& path, const golden_format& format) {
  golden_file g;
  g.path = path;
  g.regenerate = format.regenerate;
  std::ifstream in(path);
  if (!in) {
    g.error = "cannot open the file; " + format.regenerate;
    return g;
  }
  const bool has_table = !format.table.empty();
  bool in_table = false;
  std::string line;
  for (std::size_t line_no = 1; std::getline(in, line); ++line_no) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::vector<std::string> tokens;
    for (std::string t; words >> t;) tokens.push_back(t);
    if (tokens.empty()) continue;
    const std::string where = "line " + std::to_string(line_no) + ": ";
    if (in_table) {
      for (const auto& t : tokens) {
        double v = 0;
        if (!parse_number(t, v)) {
          g.error = where + "'" + t + "' is not a number";
          return g;
        }
        g.table.push_back(v);
      }
    } else if (has_table && tokens[0] == format.table) {
      if (tokens.size() != 3 || !parse_number(tokens[1], g.rows) || !parse_number(tokens[2], g.cols)) {
        g.error = where + "expected '" + format.table + " ROWS COLS'";
        return g;
      }
      in_table = true;
    } else {
      const bool two_word_key =
          std::find(format.two_word_keys.begin(), format.two_word_keys.end(), tokens[0]) !=
          format.two_word_keys.end();
      const std::size_t key_words = two_word_key && tokens.size() > 1 ? 2 : 1;
      std::string key = tokens[0];
      if (key_words == 2) key += " " + tokens[1];
      if (g.find(key) != nullptr) {
        g.error = where + "'" + key + "' appears twice";
        return g;
      }
      g.entries.emplace_back(key, std::vector<std::string>(tokens.begin() + key_words, tokens.end()));
    }
  }
  if (has_table && !in_table)
    g.error = "no '" + format.table + " ROWS COLS' line";
  else if (has_table && (g.rows == 0 || g.cols == 0 || g.table.size() != g.rows * g.cols))
    g.error = "read " + std::to_string(g.table.size()) + " '" + format.table + "' values, expected " +
              std::to_string(g.rows) + " x " + std::to_string(g.cols);
  else if (g.entries.empty())
    g.error = "the file has no entries; " + format.regenerate;
  return g;
}

// The file read whole; FAILs the test case otherwise.
inline golden_file read_or_fail(const std::string& path, const golden_format& format) {
  golden_file g = read_golden_file(path, format);
  if (!g.error.empty()) FAIL(path << ": " << g.error);
  return g;
}

// The values of `key`; FAILs the test case when the key is missing.
inline const std::vector<std::string>& tokens_of(const golden_file& g, std::string_view key) {
  const auto* tokens = g.find(key);
  if (tokens == nullptr) FAIL(g.path << ": no '" << key << "' line; " << g.regenerate);
  return *tokens;
}

// The values of `key` as numbers; FAILs the test case when the key is
// missing or a value is malformed.
template <class N>
std::vector<N> numbers(const golden_file& g, std::string_view key) {
  std::vector<N> out;
  for (const auto& t : tokens_of(g, key)) {
    N v{};
    if (!parse_number(t, v)) FAIL(g.path << ": '" << key << "' has the malformed value '" << t << "'");
    out.push_back(v);
  }
  return out;
}

// ---------------------------------------------------------------------------
// The draws, as the scripts make them: m = next() >> 40 (24 bits); a
// parameter is (2 m - 2^24) * 2^-24 * scale (scale a power of two), an input
// m * 2^-24: every value exact in float32. One generator fills each Dense
// layer's kernel [inputs][units] row-major, then its bias, layer by layer,
// then the inputs, each tensor in its row-major order.

// The first `count` outputs of SplitMix64(seed).
inline std::vector<std::uint64_t> first_outputs(std::uint64_t seed, std::size_t count) {
  forma::SplitMix64 rng(seed);
  std::vector<std::uint64_t> out;
  for (std::size_t i = 0; i < count; ++i) out.push_back(rng.next());
  return out;
}

// (tensor name, checksum of its draws), in draw order.
using checksums = std::vector<std::pair<std::string, std::uint64_t>>;

// sum over i of (i + 1) * n_i mod 2^64, n_i the drawn integers in draw
// order: position-sensitive, so a different fill order shows.
struct checksum {
  std::uint64_t value = 0;
  std::uint64_t count = 0;
  void add(std::int64_t n) { value += ++count * static_cast<std::uint64_t>(n); }
};

// 2 m - 2^24, the numerator of a parameter.
inline std::int64_t signed_numerator(forma::SplitMix64& rng) {
  return 2 * static_cast<std::int64_t>(rng.next() >> 40) - (std::int64_t{1} << 24);
}

// m, the numerator of an input.
inline std::int64_t unsigned_numerator(forma::SplitMix64& rng) {
  return static_cast<std::int64_t>(rng.next() >> 40);
}

// Fills tensor x with inputs in its row-major order ((h, w, c) for an image,
// what Flatten passes on), adding their numerators to `sum`.
template <class Tensor>
void draw_inputs(Tensor& x, forma::SplitMix64& rng, checksum& sum) {
  for (float& v : x) {
    const std::int64_t n = unsigned_numerator(rng);
    sum.add(n);
    v = static_cast<float>(std::ldexp(static_cast<double>(n), -24));
  }
}

// Draws model layer K, a Dense layer: its kernel [inputs][units] row-major
// with scale 2^kernel_scale_log2, then its bias with scale 2^bias_scale_log2.
// Their checksums are "denseJ.kernel" and "denseJ.bias", J = K - 1 (the
// model's layer 0 is Flatten).
template <std::size_t K, class Model>
void draw_dense(Model& model, forma::SplitMix64& rng, int kernel_scale_log2, int bias_scale_log2,
                checksums& sums) {
  using bound = typename Model::template bound_layer<K>;
  constexpr std::size_t units = Model::template layer_type<K>::units;
  const double kernel_unit = std::ldexp(1.0, -24 + kernel_scale_log2);  // n * unit is exact
  const double bias_unit = std::ldexp(1.0, -24 + bias_scale_log2);
  auto& p = model.template layer<K>();
  checksum kernel_sum;
  for (std::size_t i = 0; i < bound::inputs; ++i)
    for (std::size_t j = 0; j < units; ++j) {
      const std::int64_t n = signed_numerator(rng);
      kernel_sum.add(n);
      p.kernel_at(i, j) = static_cast<float>(static_cast<double>(n) * kernel_unit);
    }
  checksum bias_sum;
  for (std::size_t j = 0; j < units; ++j) {
    const std::int64_t n = signed_numerator(rng);
    bias_sum.add(n);
    p.bias_at(j) = static_cast<float>(static_cast<double>(n) * bias_unit);
  }
  sums.emplace_back("dense" + std::to_string(K - 1) + ".kernel", kernel_sum.value);
  sums.emplace_back("dense" + std::to_string(K - 1) + ".bias", bias_sum.value);
}

// Draws model layers 1 ... N, all Dense, in order: layer I + 1 with scales
// 2^kernel_scale_log2[I] and 2^bias_scale_log2[I].
template <class Model, std::size_t N>
void draw_dense_layers(Model& model, forma::SplitMix64& rng, const std::array<int, N>& kernel_scale_log2,
                       const std::array<int, N>& bias_scale_log2, checksums& sums) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (draw_dense<I + 1>(model, rng, kernel_scale_log2[I], bias_scale_log2[I], sums), ...);
  }(std::make_index_sequence<N>{});
}

// Whether model layers 1 ... N have these units, for a static_assert that
// the test's recipe constants describe its model.
template <class Model, std::size_t N>
constexpr bool dense_units_are(const std::array<std::size_t, N>& units) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return ((Model::template layer_type<I + 1>::units == units[I]) && ...);
  }(std::make_index_sequence<N>{});
}

}  // namespace golden_support
