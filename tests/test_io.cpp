// Weights on disk: safetensors files of a model's weights (round trips, the
// header's names, shapes and dtypes, atomic saves, every way a file can be
// wrong), graphs (their wiring in the architecture), checkpoints that resume
// training bit for bit, ModelCheckpoint, and interop with PyTorch through
// tests/golden/safetensors_interop.py.
#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "temp_dir.hpp"
#include <nlohmann/json.hpp>

#include "forma/forma.hpp"
#include "forma/io/io.hpp"
#include "forma/layers/add.hpp"
#include "forma/layers/concatenate.hpp"
#include "forma/layers/multiply.hpp"
#include "forma/layers/named.hpp"
#include "forma/train/callbacks/model_checkpoint.hpp"

#ifndef FORMA_TEST_DATA_DIR
#error "FORMA_TEST_DATA_DIR must name tests/data (tests/meson.build defines it)"
#endif

using namespace forma;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using json = nlohmann::json;

namespace {

using Fashion = Sequential<Input<28, 28, 1>, Flatten, Dense<200, ReLU>, Dense<150, ReLU>, Dense<10, Softmax>>;
using Cifar = Sequential<Input<32, 32, 3>, Flatten, Dense<200, ReLU>, Dense<150, ReLU>, Dense<10, Softmax>>;

// Small models for crafted files: tensors dense.kernel [15, 7], dense.bias
// [7], dense_1.kernel [7, 4], dense_1.bias [4].
using Small = Sequential<Input<5, 3>, Flatten, Dense<7, ReLU>, Dense<4, Softmax>>;
using SmallTanh = Sequential<Input<5, 3>, Flatten, Dense<7, Tanh>, Dense<4, Softmax>>;
using SmallDeeper = Sequential<Input<5, 3>, Flatten, Dense<7, ReLU>, Dense<4, ReLU>, Dense<4, Softmax>>;

using forma_test::temp_dir;

std::vector<std::byte> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in);
  const std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(s.size());
  std::memcpy(out.data(), s.data(), s.size());
  return out;
}

void write_bytes(const fs::path& p, std::span<const std::byte> b) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  REQUIRE(out);
}

// Every parameter, padding included, of two objects of params types with the
// same layout.
template <class P, class Q>
bool same_params(const P& a, const Q& b) {
  static_assert(std::tuple_size_v<P> == std::tuple_size_v<Q>);
  bool same = true;
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    ((same = same && [&] {
       if constexpr (requires { std::get<K>(a).values(); }) {
         const auto va = std::get<K>(a).values(), vb = std::get<K>(b).values();
         return std::equal(va.begin(), va.end(), vb.begin(), [](auto x, auto y) {
           return std::memcmp(&x, &y, sizeof x) == 0;  // bit for bit, so -0 and NaN count
         });
       }
       return true;
     }()),
     ...);
  }(std::make_index_sequence<std::tuple_size_v<P>>{});
  return same;
}

template <class Net>
std::unique_ptr<Net> make_model(std::uint64_t seed) {
  auto m = std::make_unique<Net>();
  m->init(seed);
  return m;
}

// Inputs as the interop script draws them: pixel = (next() >> 40) * 2^-24.
template <class Net>
std::vector<Tensor<typename Net::input_shape, typename Net::value_type>> draw_inputs(std::uint64_t seed,
                                                                                     std::size_t count) {
  SplitMix64 rng(seed);
  std::vector<Tensor<typename Net::input_shape, typename Net::value_type>> xs(count);
  for (auto& x : xs)
    for (auto& v : x) v = static_cast<typename Net::value_type>(static_cast<double>(rng.next() >> 40) * 0x1p-24);
  return xs;
}

// A safetensors file split into its JSON header and data section, and back.
struct split_file {
  json header;
  std::vector<std::byte> data;
};

split_file split(std::span<const std::byte> file) {
  REQUIRE(file.size() >= 8);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = n << 8 | std::to_integer<std::uint64_t>(file[static_cast<std::size_t>(i)]);
  REQUIRE(8 + n <= file.size());
  split_file s;
  s.header = json::parse(reinterpret_cast<const char*>(file.data()) + 8,
                         reinterpret_cast<const char*>(file.data()) + 8 + n);
  s.data.assign(file.begin() + static_cast<std::ptrdiff_t>(8 + n), file.end());
  return s;
}

// Length, header text, data: a file with exactly that header.
std::vector<std::byte> make_file(std::string_view header, std::span<const std::byte> data,
                                 std::uint64_t length_field = ~std::uint64_t{0}) {
  const std::uint64_t n = length_field == ~std::uint64_t{0} ? header.size() : length_field;
  std::vector<std::byte> out(8);
  for (std::size_t i = 0; i < 8; ++i) out[i] = static_cast<std::byte>(n >> (8 * i) & 0xff);
  for (char c : header) out.push_back(static_cast<std::byte>(c));
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::vector<std::byte> join(const split_file& s) { return make_file(s.header.dump(), s.data); }

// The message of the weights_error that loading `file` throws ("" if none),
// checking that the model's weights are untouched.
template <class Net>
std::string load_error(Net& model, const fs::path& file, const io::LoadOptions& options = {}) {
  const auto before = std::make_unique<typename Net::params_type>(model.params());
  std::string message;
  try {
    io::load_weights(model, file, options);
  } catch (const io::weights_error& e) {
    message = e.what();
    CHECK(e.file() == file);
  }
  CHECK(same_params(*before, model.params()));
  return message;
}

// The same for bytes written to a file of the given name first.
template <class Net>
std::string load_error(Net& model, const temp_dir& dir, const std::string& name, std::span<const std::byte> bytes,
                       const io::LoadOptions& options = {}) {
  const fs::path p = dir / name;
  write_bytes(p, bytes);
  return load_error(model, p, options);
}

// `key value...` lines, `#` comments, and after `outputs ROWS COLS` the
// numbers: the predictions files of the interop script.
struct predictions_file {
  std::vector<std::pair<std::string, std::string>> keys;
  std::size_t rows = 0, cols = 0;
  std::vector<double> values;

  std::string get(const std::string& key) const {
    for (const auto& [k, v] : keys)
      if (k == key) return v;
    return {};
  }
};

predictions_file read_predictions(const fs::path& p) {
  std::ifstream in(p);
  INFO("reading " << p.string());
  REQUIRE(in);
  predictions_file f;
  bool numbers = false;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    if (numbers) {
      for (std::string w; words >> w;) {
        double v = 0;
        const auto r = std::from_chars(w.data(), w.data() + w.size(), v);
        REQUIRE(r.ec == std::errc{});
        f.values.push_back(v);
      }
      continue;
    }
    std::string key, rest;
    words >> key;
    std::getline(words >> std::ws, rest);
    if (key == "outputs") {
      std::istringstream(rest) >> f.rows >> f.cols;
      numbers = true;
    } else {
      f.keys.emplace_back(key, rest);
    }
  }
  REQUIRE(f.values.size() == f.rows * f.cols);
  return f;
}

template <class Net>
void write_predictions(const fs::path& p, const Net& model, std::uint64_t input_seed, std::size_t count,
                       const std::string& comment) {
  std::ofstream out(p);
  out << comment << "input_seed " << input_seed << "\ninput_shape";
  for (std::size_t d : Net::input_shape::dims) out << ' ' << d;
  out << "\ninputs " << count << "\noutputs " << count << ' ' << Net::output_shape::size << '\n';
  for (const auto& x : draw_inputs<Net>(input_seed, count)) {
    const auto y = model.predict(x);
    for (std::size_t j = 0; j < y.size; ++j) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(y[j]));
      out << (j ? " " : "") << buf;
    }
    out << '\n';
  }
  REQUIRE(out);
}

// Each of the model's predictions within 1e-5 * max(1, |reference|).
template <class Net>
void check_predictions(const Net& model, const predictions_file& f, std::uint64_t input_seed) {
  REQUIRE(f.get("input_seed") == std::to_string(input_seed));
  REQUIRE(f.cols == Net::output_shape::size);
  const auto xs = draw_inputs<Net>(input_seed, f.rows);
  double worst = 0;
  for (std::size_t i = 0; i < f.rows; ++i) {
    const auto y = model.predict(xs[i]);
    for (std::size_t j = 0; j < f.cols; ++j) {
      const double ref = f.values[i * f.cols + j];
      worst = std::max(worst, std::abs(static_cast<double>(y[j]) - ref) / std::max(1.0, std::abs(ref)));
    }
  }
  INFO("largest relative difference " << worst);
  CHECK(worst <= 1e-5);
}

}  // namespace

// ---------------------------------------------------------------------------

TEST_CASE("the architecture signature is a compile-time string of the model type", "[io]") {
  static_assert(io::architecture_signature<Cifar>() ==
                "Input(32,32,3)-Flatten-Dense(200,relu)-Dense(150,relu)-Dense(10,softmax)");
  static_assert(io::architecture_signature<Fashion>() ==
                "Input(28,28,1)-Flatten-Dense(200,relu)-Dense(150,relu)-Dense(10,softmax)");
  using Other = Sequential<Input<4>, Dense<3, LeakyReLU>, Activation<Tanh>, Dense<2>>;
  static_assert(io::architecture_signature<Other>() ==
                "Input(4)-Dense(3,leaky_relu(3/10))-Activation(tanh)-Dense(2,linear)");
  // The scalar type is the tensors' dtype, not part of the architecture; the
  // functional spelling of a model has the same architecture.
  static_assert(io::architecture_signature<Cifar::rebind<double>>() == io::architecture_signature<Cifar>());
  constexpr auto input = Input<5, 3>{};
  constexpr auto output = Dense<4, Softmax>{}(Dense<7, ReLU>{}(Flatten{}(input)));
  using Functional = Model<decltype(input), decltype(output)>;
  static_assert(io::architecture_signature<Functional>() == io::architecture_signature<Small>());
  CHECK(io::architecture_signature<Small>() == "Input(5,3)-Flatten-Dense(7,relu)-Dense(4,softmax)");
}

TEST_CASE("save_weights then load_weights gives identical parameters and predictions", "[io]") {
  temp_dir dir;
  const auto saved = make_model<Fashion>(1);
  const fs::path p = dir / "fashion.safetensors";
  io::save_weights(*saved, p);
  CHECK(dir.listing() == std::set<std::string>{"fashion.safetensors"});  // no temporary file left
  CHECK(read_bytes(p) == io::save_weights_to_memory(*saved));

  const auto loaded = make_model<Fashion>(2);
  REQUIRE_FALSE(same_params(saved->params(), loaded->params()));
  io::load_weights(*loaded, p);
  CHECK(same_params(saved->params(), loaded->params()));
  for (const auto& x : draw_inputs<Fashion>(5, 3)) CHECK(saved->predict(x) == loaded->predict(x));

  // The same weights load into the functional spelling of the model.
  constexpr auto input = Input<28, 28, 1>{};
  constexpr auto output =
      Dense<10, Softmax>{}(Dense<150, ReLU>{}(Dense<200, ReLU>{}(Flatten{}(input))));
  using Functional = Model<decltype(input), decltype(output)>;
  auto functional = std::make_unique<Functional>();
  io::load_weights(*functional, p);
  for (const auto& x : draw_inputs<Fashion>(6, 2)) CHECK(saved->predict(x) == functional->predict(x));
}

TEST_CASE("the header names tensors as Keras does, in Keras' layouts, without padding", "[io]") {
  const auto model = make_model<Small>(3);
  const auto file = io::save_weights_to_memory(*model);
  const split_file s = split(file);
  const std::size_t header_bytes = file.size() - s.data.size();
  CHECK(header_bytes % 8 == 0);  // the data starts aligned

  const json& meta = s.header.at("__metadata__");
  CHECK(meta.at("format") == "forma");
  CHECK(meta.at("format_version") == "1");
  CHECK(meta.at("architecture") == "Input(5,3)-Flatten-Dense(7,relu)-Dense(4,softmax)");
  for (const auto& [k, v] : meta.items()) CHECK(v.is_string());

  struct expected_tensor {
    std::string name;
    std::vector<std::uint64_t> shape;
  };
  const std::vector<expected_tensor> expected{
      {"dense.kernel", {15, 7}}, {"dense.bias", {7}}, {"dense_1.kernel", {7, 4}}, {"dense_1.bias", {4}}};
  CHECK(s.header.size() == expected.size() + 1);
  std::uint64_t offset = 0;
  for (const auto& e : expected) {
    INFO(e.name);
    REQUIRE(s.header.contains(e.name));
    const json& t = s.header.at(e.name);
    CHECK(t.at("dtype") == "F32");
    CHECK(t.at("shape").get<std::vector<std::uint64_t>>() == e.shape);
    const auto offsets = t.at("data_offsets").get<std::vector<std::uint64_t>>();
    REQUIRE(offsets.size() == 2);
    CHECK(offsets[0] == offset);  // in layer order, back to back
    std::uint64_t count = 1;
    for (auto d : e.shape) count *= d;
    CHECK(offsets[1] - offsets[0] == count * 4);
    offset = offsets[1];
  }
  CHECK(offset == s.data.size());

  // Element (i, j) of dense_1.kernel is kernel_at(i, j), little-endian.
  const std::uint64_t begin = s.header.at("dense_1.kernel").at("data_offsets")[0];
  for (std::size_t i = 0; i < 7; ++i)
    for (std::size_t j = 0; j < 4; ++j) {
      float v = 0;
      std::uint8_t b[4];
      for (std::size_t k = 0; k < 4; ++k) b[k] = std::to_integer<std::uint8_t>(s.data[begin + (i * 4 + j) * 4 + k]);
      const std::uint32_t u = std::uint32_t{b[0]} | std::uint32_t{b[1]} << 8 | std::uint32_t{b[2]} << 16 |
                              std::uint32_t{b[3]} << 24;
      std::memcpy(&v, &u, 4);
      CHECK(v == model->layer<2>().kernel_at(i, j));
    }
  // Saving is deterministic.
  CHECK(io::save_weights_to_memory(*model) == file);
}

TEST_CASE("a model in double saves F64 and round-trips; dtypes must match", "[io]") {
  temp_dir dir;
  using SmallDouble = Small::rebind<double>;
  const auto saved = make_model<SmallDouble>(4);
  const fs::path p = dir / "double.safetensors";
  io::save_weights(*saved, p);
  const split_file s = split(read_bytes(p));
  CHECK(s.header.at("dense.kernel").at("dtype") == "F64");
  CHECK(s.header.at("dense_1.bias").at("data_offsets")[1] == s.data.size());
  CHECK(s.data.size() == Small::param_count * 8);

  const auto loaded = make_model<SmallDouble>(5);
  io::load_weights(*loaded, p);
  CHECK(same_params(saved->params(), loaded->params()));
  for (const auto& x : draw_inputs<SmallDouble>(1, 3)) CHECK(saved->predict(x) == loaded->predict(x));

  // F64 weights into a float model, and F32 into a double one: refused.
  const auto as_float = make_model<Small>(6);
  CHECK_THAT(load_error(*as_float, p),
             Contains("dense.kernel is F64 in the file but the model computes in F32") && Contains(p.string()));
  const fs::path p32 = dir / "float.safetensors";
  io::save_weights(*as_float, p32);
  CHECK_THAT(load_error(*loaded, p32), Contains("dense.kernel is F32 in the file but the model computes in F64"));
}

TEST_CASE("a failed save leaves the file it would replace as it was", "[io]") {
  temp_dir dir;
  const auto model = make_model<Small>(7);
  const std::vector<std::byte> original = make_file("not weights", {});

  SECTION("the temporary file cannot be made (its name would be too long)") {
    // A 250-character name is a valid file name; the temporary file beside
    // it (".<name>.tmp-xxxxxxxx") is longer than the 255 a name may have.
    const fs::path p = dir / std::string(250, 'w');
    write_bytes(p, original);
    CHECK_THROWS_WITH(io::save_weights(*model, p), Contains("cannot write the file") && Contains(p.string()));
    CHECK(read_bytes(p) == original);
    CHECK(dir.listing() == std::set<std::string>{p.filename().string()});
  }
  SECTION("the path is a directory") {
    const fs::path d = dir / "a_directory";
    fs::create_directory(d);
    write_bytes(d / "inside", original);
    CHECK_THROWS_AS(io::save_weights(*model, d), io::weights_error);
    CHECK_THROWS_WITH(io::save_weights(*model, d), Contains("cannot write the file") && Contains(d.string()));
    CHECK(fs::is_directory(d));
    CHECK(read_bytes(d / "inside") == original);
    CHECK(dir.listing() == std::set<std::string>{"a_directory"});
  }
  SECTION("the directory does not exist") {
    const fs::path p = dir / "missing" / "w.safetensors";
    CHECK_THROWS_WITH(io::save_weights(*model, p),
                      Contains("cannot write the file") && Contains(p.string()) && Contains("No such file"));
    CHECK(dir.listing().empty());
  }
  SECTION("a successful save replaces the file whole") {
    const fs::path p = dir / "w.safetensors";
    write_bytes(p, original);
    io::save_weights(*model, p);
    CHECK(read_bytes(p) == io::save_weights_to_memory(*model));
    CHECK(dir.listing() == std::set<std::string>{"w.safetensors"});
  }
}

TEST_CASE("files that are missing, truncated or not safetensors are refused", "[io]") {
  temp_dir dir;
  const auto model = make_model<Small>(8);
  const auto good = io::save_weights_to_memory(*make_model<Small>(9));

  SECTION("missing file, or a directory") {
    CHECK_THAT(load_error(*model, dir / "nope.safetensors"),
               Contains("does not exist") && Contains((dir / "nope.safetensors").string()));
    CHECK_THAT(load_error(*model, dir.path()), Contains("is a directory") && Contains(dir.path().string()));
  }
  SECTION("shorter than the 8 bytes of the header length") {
    CHECK_THAT(load_error(*model, dir, "empty", {}), Contains("truncated") && Contains("has 0 bytes") &&
                                                         Contains((dir / "empty").string()));
    const std::vector<std::byte> five(good.begin(), good.begin() + 5);
    CHECK_THAT(load_error(*model, dir, "five", five), Contains("truncated") && Contains("has 5 bytes"));
  }
  SECTION("shorter than the header length says") {
    const auto cut = make_file("{}", {}, 1000);
    CHECK_THAT(load_error(*model, dir, "cut", cut),
               Contains("truncated: the header length says 1000 bytes, but only 2 follow"));
  }
  SECTION("an absurd header length") {
    const auto absurd = make_file("{}", {}, std::uint64_t{1} << 40);
    CHECK_THAT(load_error(*model, dir, "absurd", absurd),
               Contains("header length 1099511627776 is absurd") && Contains((dir / "absurd").string()));
    const auto just_over = make_file("{}", {}, io::safetensors::max_header_bytes + 1);
    CHECK_THAT(load_error(*model, dir, "over", just_over), Contains("is absurd"));
  }
  SECTION("random bytes") {
    SplitMix64 rng(2024);
    std::vector<std::byte> noise(4096);
    for (auto& b : noise) b = static_cast<std::byte>(rng.next() >> 56);
    CHECK_THAT(load_error(*model, dir, "noise", noise), Contains("is absurd"));
    // The same noise after a plausible length: not JSON.
    for (std::size_t i = 0; i < 8; ++i) noise[i] = static_cast<std::byte>((std::uint64_t{4000} >> (8 * i)) & 0xff);
    CHECK_THAT(load_error(*model, dir, "noise2", noise),
               Contains("the header is not valid JSON") && Contains((dir / "noise2").string()));
  }
  SECTION("a header that is not JSON, or not an object") {
    CHECK_THAT(load_error(*model, dir, "text", make_file("these are not the weights", {})),
               Contains("not valid JSON"));
    CHECK_THAT(load_error(*model, dir, "array", make_file("[1, 2, 3]", {})),
               Contains("JSON but not an object"));
    CHECK_THAT(load_error(*model, dir, "empty_header", make_file("", {})), Contains("not valid JSON"));
  }
  SECTION("the file ends before the data its header claims") {
    const std::vector<std::byte> cut(good.begin(), good.end() - 10);
    CHECK_THAT(load_error(*model, dir, "cut_data", cut),
               Contains("truncated: tensor 'dense_1.bias' has data_offsets [560, 576], but the data section has "
                        "only 566 bytes") &&
                   Contains((dir / "cut_data").string()));
  }
  SECTION("every cut of a good file is refused, and nothing changes") {
    for (std::size_t n = 0; n < good.size(); ++n) {
      const std::span<const std::byte> prefix(good.data(), n);
      const auto before = std::make_unique<Small::params_type>(model->params());
      bool refused = false;
      try {
        io::load_weights_from_memory(*model, prefix);
      } catch (const io::weights_error&) {
        refused = true;
      }
      if (!refused || !same_params(*before, model->params())) FAIL("a file cut to " << n << " bytes");
    }
  }
}

TEST_CASE("headers that lie about their tensors are refused", "[io]") {
  temp_dir dir;
  const auto model = make_model<Small>(10);
  const split_file good = split(io::save_weights_to_memory(*make_model<Small>(11)));
  split_file s = good;
  json& kernel = s.header["dense.kernel"];
  json& bias = s.header["dense.bias"];
  // dense.kernel is [0, 420), dense.bias [420, 448), dense_1.kernel
  // [448, 560), dense_1.bias [560, 576).
  REQUIRE(kernel["data_offsets"] == json::array({0, 420}));
  const fs::path p = dir / "lies.safetensors";
  auto error = [&] { return load_error(*model, dir, "lies.safetensors", join(s)); };

  SECTION("offsets that end before they begin") {
    kernel["data_offsets"] = {420, 0};
    CHECK_THAT(error(), Contains("tensor 'dense.kernel'") && Contains("end before they begin") &&
                            Contains(p.string()));
  }
  SECTION("offsets that do not match shape times dtype") {
    kernel["data_offsets"] = {0, 416};
    CHECK_THAT(error(), Contains("tensor 'dense.kernel'") &&
                            Contains("hold 416 bytes, but shape [15, 7] of F32 needs 420"));
    kernel["data_offsets"] = {0, 420};
    kernel["shape"] = {std::uint64_t{1} << 40, std::uint64_t{1} << 40};
    CHECK_THAT(error(), Contains("needs more than 2^64"));
  }
  SECTION("offsets beyond the data") {
    bias["data_offsets"] = {420, 100448};
    bias["shape"] = {25007};
    CHECK_THAT(error(), Contains("truncated: tensor 'dense.bias' has data_offsets [420, 100448]") &&
                            Contains("only 576 bytes"));
  }
  SECTION("overlapping tensors") {
    bias["data_offsets"] = {416, 444};
    CHECK_THAT(error(), Contains("'dense.kernel' [0, 420] and 'dense.bias' [416, 444] overlap"));
  }
  SECTION("a gap between tensors") {
    for (const char* name : {"dense.bias", "dense_1.kernel", "dense_1.bias"}) {
      auto& o = s.header[name]["data_offsets"];
      o = {o[0].get<std::uint64_t>() + 4, o[1].get<std::uint64_t>() + 4};
    }
    s.data.insert(s.data.begin() + 420, 4, std::byte{0});
    CHECK_THAT(error(), Contains("no tensor holds bytes [420, 424) of the data section, before tensor 'dense.bias'"));
  }
  SECTION("bytes after the last tensor") {
    s.data.resize(s.data.size() + 4);
    CHECK_THAT(error(), Contains("no tensor holds the last 4 bytes"));
  }
  SECTION("an unknown dtype") {
    kernel["dtype"] = "Q7";
    CHECK_THAT(error(), Contains("tensor 'dense.kernel'") && Contains("unknown dtype 'Q7'"));
  }
  SECTION("a dtype of safetensors that is not the model's") {
    // Consistent as a file: F16 [15, 7] is 210 bytes.
    kernel["dtype"] = "F16";
    for (const char* name : {"dense.bias", "dense_1.kernel", "dense_1.bias"}) {
      auto& o = s.header[name]["data_offsets"];
      o = {o[0].get<std::uint64_t>() - 210, o[1].get<std::uint64_t>() - 210};
    }
    kernel["data_offsets"] = {0, 210};
    s.data.erase(s.data.begin(), s.data.begin() + 210);
    CHECK_THAT(error(), Contains("dense.kernel is F16 in the file but the model computes in F32"));
  }
  SECTION("malformed entries") {
    kernel.erase("dtype");
    CHECK_THAT(error(), Contains("'dense.kernel' lacks one of"));
    s = good;
    s.header["dense.kernel"]["shape"] = "15x7";
    CHECK_THAT(error(), Contains("\"shape\" that is not an array"));
    s = good;
    s.header["dense.kernel"]["shape"] = {15, -7};
    CHECK_THAT(error(), Contains("shape dimension that is not a non-negative integer"));
    s = good;
    s.header["dense.kernel"]["shape"] = {15, 7.0};
    CHECK_THAT(error(), Contains("shape dimension that is not a non-negative integer"));
    s = good;
    s.header["dense.kernel"]["data_offsets"] = {0, 210, 420};
    CHECK_THAT(error(), Contains("\"data_offsets\" that are not two numbers"));
    s = good;
    s.header["dense.kernel"]["dtype"] = 32;
    CHECK_THAT(error(), Contains("\"dtype\" that is not a string"));
    s = good;
    s.header["dense.kernel"] = 42;
    CHECK_THAT(error(), Contains("entry for tensor 'dense.kernel' is not a JSON object"));
  }
  SECTION("metadata that is not strings") {
    s.header["__metadata__"]["epoch"] = 3;
    CHECK_THAT(error(), Contains("__metadata__ value for 'epoch' is not a string"));
    s.header["__metadata__"] = {1, 2};
    CHECK_THAT(error(), Contains("__metadata__ is not a JSON object"));
  }
  SECTION("a format version from the future") {
    s.header["__metadata__"]["format_version"] = "2";
    CHECK_THAT(error(), Contains("format version 2, which this forma (version 1) cannot read"));
  }
}

TEST_CASE("weights of another architecture are refused, naming the first tensor that differs", "[io]") {
  temp_dir dir;
  SECTION("other shapes") {
    const fs::path p = dir / "fashion.safetensors";
    io::save_weights(*make_model<Fashion>(1), p);
    const auto cifar = make_model<Cifar>(2);
    CHECK_THAT(load_error(*cifar, p),
               Contains("dense.kernel has shape [784, 200] in the file but [3072, 200] in the model") &&
                   Contains("(the file holds weights of "
                            "Input(28,28,1)-Flatten-Dense(200,relu)-Dense(150,relu)-Dense(10,softmax); the model is "
                            "Input(32,32,3)-Flatten-Dense(200,relu)-Dense(150,relu)-Dense(10,softmax))") &&
                   Contains(p.string()));
  }
  SECTION("a tensor the model has and the file lacks") {
    split_file s = split(io::save_weights_to_memory(*make_model<Small>(3)));
    s.header.erase("dense_1.bias");  // the last tensor: drop its data too
    s.data.resize(s.data.size() - 16);
    const auto model = make_model<Small>(4);
    CHECK_THAT(load_error(*model, dir, "missing", join(s)),
               Contains("the file has no tensor dense_1.bias, which the model needs (shape [4])"));
  }
  SECTION("a tensor the file has and the model lacks") {
    const fs::path p = dir / "deeper.safetensors";
    io::save_weights(*make_model<SmallDeeper>(5), p);
    const auto model = make_model<Small>(6);
    CHECK_THAT(load_error(*model, p),
               Contains("the file has a tensor dense_2.kernel (shape [4, 4]), which the model does not have") &&
                   Contains("Dense(4,relu)-Dense(4,softmax); the model is"));
  }
  SECTION("the same tensors but another architecture: refused unless asked") {
    const fs::path p = dir / "tanh.safetensors";
    const auto tanh_model = make_model<SmallTanh>(7);
    io::save_weights(*tanh_model, p);
    const auto model = make_model<Small>(8);
    CHECK_THAT(load_error(*model, p),
               Contains("holds weights of Input(5,3)-Flatten-Dense(7,tanh)-Dense(4,softmax) but the model is "
                        "Input(5,3)-Flatten-Dense(7,relu)-Dense(4,softmax)") &&
                   Contains("check_architecture = false") && Contains(p.string()));
    io::load_weights(*model, p, {.check_architecture = false});
    CHECK(same_params(model->params(), tanh_model->params()));
  }
}

TEST_CASE("no byte flip of a good file crashes, and a refused one changes nothing", "[io]") {
  const auto good = io::save_weights_to_memory(*make_model<Small>(12));
  const auto model = make_model<Small>(13);
  std::size_t refused = 0, accepted = 0;
  for (std::size_t i = 0; i < good.size(); ++i)
    for (std::byte flip : {std::byte{0x01}, std::byte{0x80}, std::byte{0xff}}) {
      auto bad = good;
      bad[i] ^= flip;
      model->init(13);
      const auto before = std::make_unique<Small::params_type>(model->params());
      try {
        io::load_weights_from_memory(*model, bad, {}, "flipped");
        ++accepted;
      } catch (const io::weights_error& e) {
        ++refused;
        if (!same_params(*before, model->params())) FAIL("refused but changed: " << e.what());
      }
    }
  CHECK(refused > 0);
  CHECK(accepted > 0);  // flips in the data are just other weights
}

// ---------------------------------------------------------------------------
// Graphs: merges, skip connections, several inputs.

namespace {

// The residual block of the functional API, and the same layers with the
// Concatenate's inputs the other way round: the same tensors, dense.kernel
// [12, 8], dense_1.kernel [8, 8], dense_2.kernel [20, 3] and their biases.
constexpr auto res_in = Input<12>{};
constexpr auto res_h = Dense<8, ReLU>{}(res_in);
constexpr auto res_sum = Add{}(res_h, Dense<8, Tanh>{}(res_h));
constexpr auto res_out = Dense<3, Softmax>{}(Concatenate{}(res_sum, res_in));
constexpr auto swapped_out = Dense<3, Softmax>{}(Concatenate{}(res_in, res_sum));
using Residual = Model<decltype(res_in), decltype(res_out)>;
using ResidualSwapped = Model<decltype(res_in), decltype(swapped_out)>;

// Three Dense layers with the Add on other nodes, and as a plain chain:
// again the same tensors (dense [16, 16], dense_1 [16, 16], dense_2 [16, 4]).
constexpr auto skip_in = Input<16>{};
constexpr auto skip_a = Dense<16, ReLU>{}(skip_in);
constexpr auto skip_b = Dense<16, Tanh>{}(skip_a);
constexpr auto skip_out = Dense<4, Softmax>{}(Add{}(skip_a, skip_b));
constexpr auto from_input_out = Dense<4, Softmax>{}(Add{}(skip_in, skip_b));
using Skip = Model<decltype(skip_in), decltype(skip_out)>;
using SkipFromInput = Model<decltype(skip_in), decltype(from_input_out)>;
using SkipChain = Sequential<Input<16>, Dense<16, ReLU>, Dense<16, Tanh>, Dense<4, Softmax>>;

// Two inputs of one shape, a gate, and a layer called twice (Named).
constexpr auto two_x = Input<6>{};
constexpr auto two_y = Named<1, Input<6>>{};
constexpr auto two_gated = Multiply{}(two_x, Dense<6, Sigmoid>{}(two_y));
constexpr auto two_out =
    Dense<2, Softmax>{}(Concatenate{}(Dense<5, ReLU>{}(two_gated), Named<1, Dense<5, ReLU>>{}(two_gated)));
using TwoInputs = Model<std::tuple<decltype(two_x), decltype(two_y)>, decltype(two_out)>;

// A chain with a Named call is a chain: its signature and tensors are the
// plain chain's.
constexpr auto named_in = Input<5, 3>{};
constexpr auto named_out = Dense<4, Softmax>{}(Named<2, Dense<7, ReLU>>{}(Flatten{}(named_in)));
using NamedChain = Model<decltype(named_in), decltype(named_out)>;

template <class Net>
std::vector<Tensor<typename Net::template input_shape_of<1>, typename Net::value_type>> draw_second_inputs(
    std::uint64_t seed, std::size_t count) {
  SplitMix64 rng(seed);
  std::vector<Tensor<typename Net::template input_shape_of<1>, typename Net::value_type>> ys(count);
  for (auto& y : ys)
    for (auto& v : y) v = static_cast<typename Net::value_type>(static_cast<double>(rng.next() >> 40) * 0x1p-24) - 0.5f;
  return ys;
}

// The tensors of a file's header, name and shape, in the order of their data.
std::vector<std::pair<std::string, std::vector<std::uint64_t>>> tensors_of(const split_file& s) {
  std::vector<std::tuple<std::uint64_t, std::string, std::vector<std::uint64_t>>> by_offset;
  for (const auto& [name, t] : s.header.items())
    if (name != "__metadata__")
      by_offset.emplace_back(t.at("data_offsets")[0].get<std::uint64_t>(), name,
                             t.at("shape").get<std::vector<std::uint64_t>>());
  std::sort(by_offset.begin(), by_offset.end());
  std::vector<std::pair<std::string, std::vector<std::uint64_t>>> out;
  for (const auto& [offset, name, shape] : by_offset) out.emplace_back(name, shape);
  return out;
}

}  // namespace

TEST_CASE("a graph's architecture signature lists its inputs and what each node reads", "[io][graph]") {
  // Values 0 .. I-1 are the inputs, value I+K node K's output.
  static_assert(io::architecture_signature<Residual>() ==
                "Input(12)-Dense(8,relu)[0]-Dense(8,tanh)[1]-Add[1,2]-Concatenate[3,0]-Dense(3,softmax)[4]");
  static_assert(io::architecture_signature<ResidualSwapped>() ==
                "Input(12)-Dense(8,relu)[0]-Dense(8,tanh)[1]-Add[1,2]-Concatenate[0,3]-Dense(3,softmax)[4]");
  static_assert(io::architecture_signature<Skip>() ==
                "Input(16)-Dense(16,relu)[0]-Dense(16,tanh)[1]-Add[1,2]-Dense(4,softmax)[3]");
  static_assert(io::architecture_signature<SkipFromInput>() ==
                "Input(16)-Dense(16,relu)[0]-Dense(16,tanh)[1]-Add[0,2]-Dense(4,softmax)[3]");
  // A chain keeps the signature it always had.
  static_assert(io::architecture_signature<SkipChain>() == "Input(16)-Dense(16,relu)-Dense(16,tanh)-Dense(4,softmax)");
  static_assert(io::architecture_signature<TwoInputs>() ==
                "Input(6)-Input(6)-Dense(6,sigmoid)[1]-Multiply[0,2]-Dense(5,relu)[3]-Dense(5,relu)[3]-"
                "Concatenate[4,5]-Dense(2,softmax)[6]");
  static_assert(io::architecture_signature<Residual::rebind<double>>() == io::architecture_signature<Residual>());
  static_assert(io::architecture_signature<NamedChain>() == io::architecture_signature<Small>());
  CHECK(io::architecture_signature<Skip>() != io::architecture_signature<SkipChain>());
}

TEST_CASE("a graph's weights round-trip bit for bit; merges write no tensors", "[io][graph]") {
  temp_dir dir;
  SECTION("one input") {
    const auto saved = make_model<Residual>(1);
    const fs::path p = dir / "residual.safetensors";
    io::save_weights(*saved, p);
    const split_file s = split(read_bytes(p));
    CHECK(s.header.at("__metadata__").at("architecture") == std::string(io::architecture_signature<Residual>()));
    using tensor = std::pair<std::string, std::vector<std::uint64_t>>;
    CHECK(tensors_of(s) == std::vector<tensor>{{"dense.kernel", {12, 8}},
                                               {"dense.bias", {8}},
                                               {"dense_1.kernel", {8, 8}},
                                               {"dense_1.bias", {8}},
                                               {"dense_2.kernel", {20, 3}},
                                               {"dense_2.bias", {3}}});

    const auto loaded = make_model<Residual>(2);
    REQUIRE_FALSE(same_params(saved->params(), loaded->params()));
    io::load_weights(*loaded, p);
    CHECK(same_params(saved->params(), loaded->params()));
    CHECK(io::save_weights_to_memory(*loaded) == read_bytes(p));
    for (const auto& x : draw_inputs<Residual>(5, 4)) CHECK(saved->predict(x) == loaded->predict(x));
  }
  SECTION("two inputs, a layer called twice, in double") {
    using Net = TwoInputs::rebind<double>;
    const auto saved = make_model<Net>(3);
    const auto bytes = io::save_weights_to_memory(*saved);
    const split_file s = split(bytes);
    CHECK(s.header.size() == 1 + 2 * 4);  // four Dense layers; the Named one is dense_2
    CHECK(s.header.at("dense_2.kernel").at("shape") == json::array({6, 5}));
    CHECK(s.header.at("dense_3.kernel").at("shape") == json::array({10, 2}));
    CHECK(s.header.at("dense_3.kernel").at("dtype") == "F64");

    const auto loaded = make_model<Net>(4);
    REQUIRE_FALSE(same_params(saved->params(), loaded->params()));
    io::load_weights_from_memory(*loaded, bytes);
    CHECK(same_params(saved->params(), loaded->params()));
    const auto xs = draw_inputs<Net>(6, 3);
    const auto ys = draw_second_inputs<Net>(7, 3);
    for (std::size_t i = 0; i < xs.size(); ++i) CHECK(saved->predict(xs[i], ys[i]) == loaded->predict(xs[i], ys[i]));
  }
  SECTION("a chain with a Named call is saved as the chain") {
    const auto named = make_model<NamedChain>(8);
    const fs::path p = dir / "named.safetensors";
    io::save_weights(*named, p);
    auto plain = make_model<Small>(9);
    io::load_weights(*plain, p);
    CHECK(same_params(plain->params(), named->params()));
  }
}

TEST_CASE("weights of the same layers wired otherwise are refused", "[io][graph]") {
  temp_dir dir;
  SECTION("a Concatenate's inputs the other way round") {
    const fs::path p = dir / "residual.safetensors";
    const auto saved = make_model<Residual>(1);
    io::save_weights(*saved, p);
    const auto swapped = make_model<ResidualSwapped>(2);
    CHECK_THAT(load_error(*swapped, p),
               Contains("holds weights of "
                        "Input(12)-Dense(8,relu)[0]-Dense(8,tanh)[1]-Add[1,2]-Concatenate[3,0]-Dense(3,softmax)[4] "
                        "but the model is "
                        "Input(12)-Dense(8,relu)[0]-Dense(8,tanh)[1]-Add[1,2]-Concatenate[0,3]-Dense(3,softmax)[4]") &&
                   Contains("their tensors fit") && Contains("check_architecture = false") && Contains(p.string()));
    // The tensors do fit: asked to, it loads them.
    io::load_weights(*swapped, p, {.check_architecture = false});
    CHECK(same_params(swapped->params(), saved->params()));
  }
  SECTION("an Add on other nodes, and the chain of the same layers") {
    const fs::path skip = dir / "skip.safetensors", chain = dir / "chain.safetensors";
    io::save_weights(*make_model<Skip>(3), skip);
    io::save_weights(*make_model<SkipChain>(4), chain);
    const auto from_input = make_model<SkipFromInput>(5);
    CHECK_THAT(load_error(*from_input, skip), Contains("-Add[1,2]-Dense(4,softmax)[3] but the model is ") &&
                                                  Contains("-Add[0,2]-Dense(4,softmax)[3]; their tensors fit"));
    const auto as_chain = make_model<SkipChain>(6);
    CHECK_THAT(load_error(*as_chain, skip),
               Contains("but the model is Input(16)-Dense(16,relu)-Dense(16,tanh)-Dense(4,softmax); "
                        "their tensors fit"));
    const auto as_graph = make_model<Skip>(7);
    CHECK_THAT(load_error(*as_graph, chain),
               Contains("holds weights of Input(16)-Dense(16,relu)-Dense(16,tanh)-Dense(4,softmax) but the model is "
                        "Input(16)-Dense(16,relu)[0]-"));
    // The same wiring loads.
    io::load_weights(*as_graph, skip);
  }
}

// ---------------------------------------------------------------------------
// Checkpoints and ModelCheckpoint.

namespace {

using Resume = Sequential<Input<6, 5>, Flatten, Dense<12, ReLU>, Dense<3, Softmax>>;
// Resume's shapes, with a skip connection.
constexpr auto resume_in = Input<6, 5>{};
constexpr auto resume_h = Dense<12, ReLU>{}(Flatten{}(resume_in));
constexpr auto resume_out = Dense<3, Softmax>{}(Add{}(resume_h, Dense<12, Tanh>{}(resume_h)));
using ResumeGraph = Model<decltype(resume_in), decltype(resume_out)>;

struct toy_data {
  std::vector<Tensor<Resume::input_shape>> x;
  std::vector<Tensor<Resume::output_shape>> y;
};

toy_data make_toy_data(std::size_t n) {
  toy_data d;
  d.x = draw_inputs<Resume>(31, n);
  SplitMix64 rng(32);
  for (std::size_t i = 0; i < n; ++i) {
    Tensor<Resume::output_shape> one_hot;
    // A learnable rule: the class of the larger of three pixel sums.
    float sums[3] = {0, 0, 0};
    for (std::size_t k = 0; k < 30; ++k) sums[k % 3] += d.x[i][k];
    one_hot[static_cast<std::size_t>(std::max_element(sums, sums + 3) - sums)] = 1.0f;
    if (rng.next() % 8 == 0) one_hot = Tensor<Resume::output_shape>{1.0f, 0.0f, 0.0f};  // some noise
    d.y.push_back(one_hot);
  }
  return d;
}

// A schedule that reads the current rate, so resuming needs the rate the
// checkpoint recorded.
double decay(int epoch, double lr) { return epoch == 0 ? lr : lr * 0.75; }

// Net: Resume, or a graph of the same input and output shapes.
template <class Net, class Opt>
void check_resume(Opt opt) {
  temp_dir dir;
  const toy_data data = make_toy_data(100);  // 100 = 6 x 16 + 4: a partial last batch
  constexpr int epochs = 5, stop_after = 2;
  const FitOptions base{.epochs = epochs, .seed = 3, .verbose = 0};

  // Uninterrupted.
  auto full = make_model<Net>(5);
  auto full_trainer = compile(*full, loss::CategoricalCrossentropy{}, opt, metrics::Accuracy{});
  LearningRateScheduler full_schedule(decay);
  FitOptions o = base;
  o.callbacks = {&full_schedule};
  full_trainer.template fit<16>(data.x, data.y, o);

  // Interrupted after `stop_after` epochs, with a checkpoint every epoch.
  auto first = make_model<Net>(5);
  auto first_trainer = compile(*first, loss::CategoricalCrossentropy{}, opt, metrics::Accuracy{});
  LearningRateScheduler first_schedule(decay);
  ModelCheckpoint every(first_trainer, {.filepath = dir / "ckpt-{epoch}.safetensors", .include_optimizer = true});
  o = base;
  o.epochs = stop_after;
  o.callbacks = {&first_schedule, &every};
  first_trainer.template fit<16>(data.x, data.y, o);
  REQUIRE(every.saved() == std::vector<fs::path>{dir / "ckpt-1.safetensors", dir / "ckpt-2.safetensors"});

  // Resumed in a new trainer, on a model with other weights and an
  // optimizer with another learning rate: the checkpoint restores them.
  auto resumed = make_model<Net>(77);
  Opt other = opt;
  other.learning_rate *= 3;
  auto resumed_trainer = compile(*resumed, loss::CategoricalCrossentropy{}, other, metrics::Accuracy{});
  const io::CheckpointInfo info = io::load_checkpoint(resumed_trainer, dir / "ckpt-2.safetensors");
  CHECK(info.epoch == stop_after);
  CHECK(info.learning_rate == first_trainer.optimizer().learning_rate);
  CHECK(resumed_trainer.optimizer().learning_rate == first_trainer.optimizer().learning_rate);
  CHECK(same_params(resumed->params(), first->params()));
  LearningRateScheduler resumed_schedule(decay);
  o = base;
  o.initial_epoch = info.epoch;
  o.callbacks = {&resumed_schedule};
  resumed_trainer.template fit<16>(data.x, data.y, o);

  CHECK(same_params(full->params(), resumed->params()));
  CHECK(full_trainer.optimizer().learning_rate == resumed_trainer.optimizer().learning_rate);
  io::optimizer_state_traits<typename decltype(full_trainer)::optimizer_state>::for_each_slot(
      full_trainer.optimizer_state_of(), [&](std::string_view slot, const typename Net::params_type& p) {
        INFO("optimizer slot " << slot);
        bool found = false;
        io::optimizer_state_traits<typename decltype(full_trainer)::optimizer_state>::for_each_slot(
            resumed_trainer.optimizer_state_of(), [&](std::string_view s2, const typename Net::params_type& q) {
              if (s2 == slot) {
                found = true;
                CHECK(same_params(p, q));
              }
            });
        CHECK(found);
      });

  // Without the optimizer state, the same resume ends elsewhere: the test
  // above is not vacuous.
  auto weights_only = make_model<Net>(77);
  auto weights_only_trainer = compile(*weights_only, loss::CategoricalCrossentropy{}, opt, metrics::Accuracy{});
  io::load_weights(*weights_only, dir / "ckpt-2.safetensors");  // load_weights reads a checkpoint's weights
  CHECK(same_params(weights_only->params(), first->params()));
  LearningRateScheduler weights_only_schedule(decay);
  o.callbacks = {&weights_only_schedule};
  weights_only_trainer.template fit<16>(data.x, data.y, o);
  CHECK_FALSE(same_params(full->params(), weights_only->params()));
}

// Calls on_epoch_end directly.
class no_control final : public TrainingControl {
 public:
  double learning_rate() const override { return 0; }
  void set_learning_rate(double) override {}
  void stop_training() override {}
  std::unique_ptr<WeightsSnapshot> snapshot_weights() const override { return nullptr; }
  void restore_weights(const WeightsSnapshot&) override {}
};

}  // namespace

TEST_CASE("training resumed from a checkpoint is bit-identical to training uninterrupted", "[io][checkpoint]") {
  SECTION("Adam") { check_resume<Resume>(optim::Adam{.learning_rate = 0.01}); }
  SECTION("SGD with Nesterov momentum") {
    check_resume<Resume>(optim::SGD{.learning_rate = 0.1, .momentum = 0.9, .nesterov = true});
  }
  SECTION("RMSprop") { check_resume<Resume>(optim::RMSprop{.learning_rate = 0.005}); }
}

TEST_CASE("a graph resumed from a checkpoint is bit-identical to training uninterrupted", "[io][checkpoint][graph]") {
  SECTION("Adam") { check_resume<ResumeGraph>(optim::Adam{.learning_rate = 0.01}); }
  SECTION("SGD with Nesterov momentum") {
    check_resume<ResumeGraph>(optim::SGD{.learning_rate = 0.1, .momentum = 0.9, .nesterov = true});
  }
}

TEST_CASE("a graph's checkpoint records its wiring and refuses another", "[io][checkpoint][graph]") {
  const toy_data data = make_toy_data(40);
  auto model = make_model<ResumeGraph>(1);
  auto trainer = compile(*model, loss::CategoricalCrossentropy{}, optim::Adam{.learning_rate = 0.002});
  trainer.fit<8>(data.x, data.y, {.epochs = 1, .verbose = 0});
  const auto checkpoint = io::save_checkpoint_to_memory(trainer, 1);
  const split_file s = split(checkpoint);
  CHECK(s.header.at("__metadata__").at("architecture") ==
        "Input(6,5)-Flatten[0]-Dense(12,relu)[1]-Dense(12,tanh)[2]-Add[2,3]-Dense(3,softmax)[4]");
  CHECK(s.header.size() == 1 + 6 * 3);  // weights, m and v of three Dense layers
  CHECK(s.header.at("optimizer.v.dense_2.kernel").at("shape") == json::array({12, 3}));

  // The same tensors, the Add reading the Flatten's Dense and the input of
  // the tanh layer the other way round.
  constexpr auto other_out = Dense<3, Softmax>{}(Add{}(Dense<12, Tanh>{}(resume_h), resume_h));
  using Other = Model<decltype(resume_in), decltype(other_out)>;
  auto other = make_model<Other>(2);
  auto other_trainer = compile(*other, loss::CategoricalCrossentropy{}, optim::Adam{.learning_rate = 0.002});
  const auto before = std::make_unique<Other::params_type>(other->params());
  CHECK_THROWS_WITH(io::load_checkpoint_from_memory(other_trainer, checkpoint),
                    Contains("-Add[2,3]-Dense(3,softmax)[4] but the model is ") && Contains("-Add[3,2]-"));
  CHECK(same_params(*before, other->params()));
  CHECK(other_trainer.optimizer().learning_rate == 0.002);

  auto again = make_model<ResumeGraph>(3);
  auto again_trainer = compile(*again, loss::CategoricalCrossentropy{}, optim::Adam{});
  CHECK(io::load_checkpoint_from_memory(again_trainer, checkpoint).iterations == 5u);
  CHECK(same_params(again->params(), model->params()));
}

TEST_CASE("a checkpoint holds weights, optimizer tensors and the epoch", "[io][checkpoint]") {
  auto model = make_model<Resume>(1);
  auto trainer = compile(*model, loss::CategoricalCrossentropy{}, optim::Adam{.learning_rate = 0.002});
  const toy_data data = make_toy_data(40);
  trainer.fit<8>(data.x, data.y, {.epochs = 1, .verbose = 0});  // 5 steps
  const split_file s = split(io::save_checkpoint_to_memory(trainer, 1));
  const json& meta = s.header.at("__metadata__");
  CHECK(meta.at("epoch") == "1");
  CHECK(meta.at("iterations") == "5");
  CHECK(meta.at("optimizer") == "Adam");
  CHECK(meta.at("learning_rate") == "0.002");
  CHECK(meta.at("architecture") == "Input(6,5)-Flatten-Dense(12,relu)-Dense(3,softmax)");
  for (const char* name : {"dense.kernel", "optimizer.m.dense.kernel", "optimizer.v.dense_1.bias"})
    CHECK(s.header.contains(name));
  CHECK(s.header.at("optimizer.v.dense.kernel").at("shape") == json::array({30, 12}));
  CHECK(s.header.size() == 1 + 4 * 3);
  CHECK_THROWS_AS(io::save_checkpoint_to_memory(trainer, -1), std::invalid_argument);
}

TEST_CASE("a checkpoint that does not fit the trainer is refused, and nothing changes", "[io][checkpoint]") {
  temp_dir dir;
  const toy_data data = make_toy_data(40);
  auto source = make_model<Resume>(1);
  auto source_trainer = compile(*source, loss::CategoricalCrossentropy{}, optim::Adam{});
  source_trainer.fit<8>(data.x, data.y, {.epochs = 1, .verbose = 0});
  const auto checkpoint = io::save_checkpoint_to_memory(source_trainer, 1);

  auto model = make_model<Resume>(2);
  auto trainer = compile(*model, loss::CategoricalCrossentropy{}, optim::Adam{.learning_rate = 0.5});
  trainer.fit<8>(data.x, data.y, {.epochs = 1, .verbose = 0});
  using state_type = decltype(trainer)::optimizer_state;
  const auto weights_before = std::make_unique<Resume::params_type>(model->params());
  const auto state_before = std::make_unique<state_type>(trainer.optimizer_state_of());
  auto error = [&](const std::string& name, std::span<const std::byte> bytes) {
    const fs::path p = dir / name;
    write_bytes(p, bytes);
    std::string message;
    try {
      io::load_checkpoint(trainer, p);
    } catch (const io::weights_error& e) {
      message = e.what();
    }
    CHECK(same_params(*weights_before, model->params()));
    CHECK(same_params(state_before->m, trainer.optimizer_state_of().m));
    CHECK(same_params(state_before->v, trainer.optimizer_state_of().v));
    CHECK(trainer.optimizer_state_of().iterations == state_before->iterations);
    CHECK(trainer.optimizer().learning_rate == 0.5);
    return message;
  };

  SECTION("a weights file") {
    CHECK_THAT(error("weights", io::save_weights_to_memory(*source)),
               Contains("holds no optimizer state") && Contains((dir / "weights").string()));
  }
  SECTION("another optimizer's state") {
    auto sgd_trainer = compile(*source, loss::CategoricalCrossentropy{}, optim::SGD{});
    CHECK_THAT(error("sgd", io::save_checkpoint_to_memory(sgd_trainer, 1)),
               Contains("the state of the optimizer SGD, but the trainer's optimizer is Adam"));
  }
  SECTION("an optimizer tensor missing") {
    split_file s = split(checkpoint);
    s.header.erase("optimizer.v.dense_1.bias");  // the last tensor
    s.data.resize(s.data.size() - 12);
    CHECK_THAT(error("no_v", join(s)), Contains("the file has no tensor optimizer.v.dense_1.bias"));
  }
  SECTION("an extra tensor") {
    split_file s = split(checkpoint);
    s.header["optimizer.extra"] = {
        {"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {s.data.size(), s.data.size() + 4}}};
    s.data.resize(s.data.size() + 4);
    CHECK_THAT(error("extra", join(s)),
               Contains("a tensor optimizer.extra (shape [1]), which the model does not have"));
  }
  SECTION("metadata that is not a number") {
    split_file s = split(checkpoint);
    s.header["__metadata__"]["epoch"] = "three";
    CHECK_THAT(error("epoch", join(s)), Contains("metadata 'epoch' is 'three'"));
    s.header["__metadata__"].erase("iterations");
    s.header["__metadata__"]["epoch"] = "3";
    CHECK_THAT(error("iterations", join(s)), Contains("metadata has no 'iterations'"));
  }
  SECTION("the good one loads") {
    const io::CheckpointInfo info = io::load_checkpoint_from_memory(trainer, checkpoint);
    CHECK(info.epoch == 1);
    CHECK(info.iterations == std::optional<std::uint64_t>{5});
    CHECK(same_params(model->params(), source->params()));
    CHECK(same_params(trainer.optimizer_state_of().m, source_trainer.optimizer_state_of().m));
    CHECK(trainer.optimizer_state_of().iterations == 5);
  }
}

TEST_CASE("ModelCheckpoint saves every epoch, to paths with the epoch number", "[io][checkpoint]") {
  temp_dir dir;
  const toy_data data = make_toy_data(60);
  auto model = make_model<Resume>(3);
  auto trainer = compile(*model, loss::CategoricalCrossentropy{}, optim::SGD{.learning_rate = 0.1});
  ModelCheckpoint every(trainer, {.filepath = dir / "w-{epoch:02d}.safetensors"});
  std::vector<std::unique_ptr<Resume::params_type>> at_epoch_end;
  LambdaCallback record(
      [&](int, const Logs&) { at_epoch_end.push_back(std::make_unique<Resume::params_type>(model->params())); });
  trainer.fit<16>(data.x, data.y, {.epochs = 3, .verbose = 0, .callbacks = {&every, &record}});

  CHECK(dir.listing() == std::set<std::string>{"w-01.safetensors", "w-02.safetensors", "w-03.safetensors"});
  REQUIRE(at_epoch_end.size() == 3);
  for (int e = 0; e < 3; ++e) {
    auto loaded = make_model<Resume>(99);
    io::load_weights(*loaded, every.filepath_for(e));
    CHECK(same_params(loaded->params(), *at_epoch_end[static_cast<std::size_t>(e)]));
  }
  // Weights only: no optimizer state in them.
  auto again = compile(*make_model<Resume>(1), loss::CategoricalCrossentropy{}, optim::SGD{});
  CHECK_THROWS_WITH(io::load_checkpoint(again, dir / "w-01.safetensors"), Contains("holds no optimizer state"));

  // The path's fields.
  auto field = [&](const std::string& f, int epoch) {
    return ModelCheckpoint(*model, {.filepath = f}).filepath_for(epoch).string();
  };
  CHECK(field("a-{epoch}.st", 9) == "a-10.st");
  CHECK(field("a-{epoch:03d}.st", 9) == "a-010.st");
  CHECK(field("a-{epoch:3d}.st", 9) == "a- 10.st");
  CHECK(field("{{epoch}}-{epoch}", 0) == "{epoch}-1");
  for (const char* bad : {"a-{epch}.st", "a-{epoch", "a}.st", "a-{epoch:2x}.st", "a-{val_loss}.st"})
    CHECK_THROWS_WITH(ModelCheckpoint(*model, {.filepath = bad}),
                      Contains("ModelCheckpoint: the filepath") && Contains(bad));
  CHECK_THROWS_WITH(ModelCheckpoint(*model, {.filepath = "x", .include_optimizer = true}),
                    Contains("include_optimizer needs the trainer"));
  CHECK_THROWS_AS(ModelCheckpoint(*model, {}), std::invalid_argument);
}

TEST_CASE("ModelCheckpoint with save_best_only saves when the monitored value improves", "[io][checkpoint]") {
  temp_dir dir;
  auto model = make_model<Resume>(0);
  no_control control;
  auto epoch_end = [&](ModelCheckpoint& c, int epoch, const char* name, double value) {
    model->init(static_cast<std::uint64_t>(100 + epoch));  // other weights every epoch
    Logs logs;
    logs.set("loss", 1.0);
    logs.set(name, value);
    c.on_epoch_end(epoch, logs, control);
  };
  auto saved_weights_are = [&](const fs::path& p, int epoch) {
    auto loaded = make_model<Resume>(1);
    io::load_weights(*loaded, p);
    return same_params(loaded->params(), make_model<Resume>(static_cast<std::uint64_t>(100 + epoch))->params());
  };

  SECTION("losses improve downwards; one file, overwritten") {
    std::ostringstream out;
    ModelCheckpoint best(*model, {.filepath = dir / "best.safetensors", .save_best_only = true, .verbose = 1,
                                  .out = &out});
    const double losses[] = {0.5, 0.6, 0.4, 0.4, 0.3, 0.35};
    for (int e = 0; e < 6; ++e) epoch_end(best, e, "val_loss", losses[e]);
    CHECK(best.saved().size() == 3);  // epochs 1, 3, 5 (equal is not better)
    CHECK(best.best() == 0.3);
    CHECK(best.best_epoch() == 4);
    CHECK(saved_weights_are(dir / "best.safetensors", 4));
    CHECK(dir.listing() == std::set<std::string>{"best.safetensors"});
    CHECK_THAT(out.str(), Contains("Epoch 3: val_loss improved from 0.50000 to 0.40000, saving model to") &&
                              Contains("Epoch 4: val_loss did not improve from 0.40000"));
  }
  SECTION("accuracies improve upwards; a file per improvement") {
    ModelCheckpoint best(*model, {.filepath = dir / "acc-{epoch}.safetensors", .monitor = "val_accuracy",
                                  .save_best_only = true});
    const double accuracies[] = {0.5, 0.4, 0.7, 0.6};
    for (int e = 0; e < 4; ++e) epoch_end(best, e, "val_accuracy", accuracies[e]);
    CHECK(dir.listing() == std::set<std::string>{"acc-1.safetensors", "acc-3.safetensors"});
    CHECK(saved_weights_are(dir / "acc-3.safetensors", 2));
  }
  SECTION("a threshold the first save must beat") {
    ModelCheckpoint best(*model, {.filepath = dir / "t.safetensors", .save_best_only = true,
                                  .initial_value_threshold = 0.45});
    epoch_end(best, 0, "val_loss", 0.5);
    CHECK(best.saved().empty());
    epoch_end(best, 1, "val_loss", 0.44);
    CHECK(best.saved().size() == 1);
  }
  SECTION("a monitor that training does not log") {
    ModelCheckpoint best(*model, {.filepath = dir / "x.safetensors", .save_best_only = true});
    CHECK_THROWS_WITH(epoch_end(best, 0, "loss", 0.5), Contains("monitors 'val_loss', which training does not log"));
  }
  SECTION("in fit, with validation data") {
    const toy_data data = make_toy_data(80);
    auto trainer = compile(*model, loss::CategoricalCrossentropy{}, optim::SGD{.learning_rate = 0.2},
                           metrics::Accuracy{});
    ModelCheckpoint best(trainer, {.filepath = dir / "best.safetensors", .monitor = "val_accuracy",
                                   .save_best_only = true});
    double best_seen = -1;
    std::unique_ptr<Resume::params_type> best_weights;
    LambdaCallback record([&](int, const Logs& logs) {
      if (*logs.get("val_accuracy") > best_seen) {
        best_seen = *logs.get("val_accuracy");
        best_weights = std::make_unique<Resume::params_type>(model->params());
      }
    });
    trainer.fit<16>(data.x, data.y,
                    {.epochs = 4, .validation_split = 0.25, .verbose = 0, .callbacks = {&best, &record}});
    REQUIRE(best_weights);
    CHECK(best.best() == best_seen);
    auto loaded = make_model<Resume>(1);
    io::load_weights(*loaded, dir / "best.safetensors");
    CHECK(same_params(loaded->params(), *best_weights));
  }
}

// ---------------------------------------------------------------------------
// Interop with PyTorch (tests/golden/safetensors_interop.py).

namespace {

constexpr std::uint64_t interop_input_seed = 99;
constexpr std::uint64_t forma_golden_seed = 2718;
const fs::path data_dir = FORMA_TEST_DATA_DIR;

}  // namespace

TEST_CASE("weights PyTorch wrote load into forma and give PyTorch's predictions", "[io][interop]") {
  const fs::path weights = data_dir / "seed_mlp_torch.safetensors";
  auto model = std::make_unique<Fashion>();
  io::load_weights(*model, weights);  // a file with {"format": "pt"} and no architecture
  check_predictions(*model, read_predictions(data_dir / "seed_mlp_torch_predictions.txt"), interop_input_seed);
}

TEST_CASE("the weights forma wrote for the interop script are still what forma writes", "[io][interop]") {
  const fs::path weights = data_dir / "seed_mlp_forma.safetensors";
  const fs::path predictions = data_dir / "seed_mlp_forma_predictions.txt";
  const auto model = make_model<Fashion>(forma_golden_seed);
  if (std::getenv("FORMA_WRITE_GOLDEN")) {
    io::save_weights(*model, weights);
    write_predictions(predictions, *model, interop_input_seed, 4,
                      "# forma's predictions of the seed MLP whose weights are seed_mlp_forma.safetensors\n"
                      "# (Fashion-MNIST shapes, model.init(2718)). Written by tests/test_io.cpp with\n"
                      "# FORMA_WRITE_GOLDEN=1; /usr/bin/python3 tests/golden/safetensors_interop.py --check\n"
                      "# tests/data/seed_mlp_forma.safetensors verifies both with numpy and torch.\n"
                      "# Inputs: SplitMix64(input_seed), pixel = (next() >> 40) * 2^-24, (h, w, c) order.\n");
    WARN("rewrote " << weights.string() << " and " << predictions.string());
  }
  INFO("if forma's file format changed on purpose, rewrite the files with FORMA_WRITE_GOLDEN=1 and rerun the "
       "script's --check");
  CHECK(read_bytes(weights) == io::save_weights_to_memory(*model));
  auto loaded = std::make_unique<Fashion>();
  io::load_weights(*loaded, weights);
  CHECK(same_params(loaded->params(), model->params()));
  check_predictions(*loaded, read_predictions(predictions), interop_input_seed);
}
