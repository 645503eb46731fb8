// forma::io::export_header and forma::io::spelling: the text of an exported
// header, its hexadecimal literals read back bit for bit, its failures, and
// (where the build says which compiler to use: FORMA_TEST_CXX and
// FORMA_TEST_INCLUDE_DIR) a generated program that includes the exported
// headers beside the original models and checks that both are the same type,
// with the same parameters and the same predictions, bit for bit. Graphs
// (merges, several inputs, Named calls) too.
#include <catch2/catch.hpp>

#include "temp_dir.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <random>
#include <ratio>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <forma/forma.hpp>
#include <forma/io/export_header.hpp>
#include <forma/io/type_spelling.hpp>
#include <forma/layers/add.hpp>
#include <forma/layers/batch_normalization.hpp>
#include <forma/layers/concatenate.hpp>
#include <forma/layers/multiply.hpp>
#include <forma/layers/named.hpp>

using namespace forma;
namespace fs = std::filesystem;

// The models and how their parameters are set, compiled here and, as text,
// into the generated program, so that both hold the same parameters.
#define FORMA_TEST_SHARED(...) \
  __VA_ARGS__                  \
  constexpr const char* shared_source = #__VA_ARGS__;

FORMA_TEST_SHARED(
namespace shared {
using Small = forma::Sequential<forma::Input<5, 4>, forma::Flatten, forma::Dense<6, forma::ReLU>,
                                forma::Dense<3, forma::Softmax>>;
using Mixed = forma::Sequential<forma::Input<6>, forma::Dense<20, forma::Sigmoid>, forma::Dense<7, forma::LeakyReLU>,
                                forma::Dense<5, forma::LeakyReLUWith<std::ratio<6, 20>>>,
                                forma::Activation<forma::Tanh>, forma::Dense<4, forma::Linear>, forma::Dense<3>,
                                forma::Activation<forma::Softmax>>;
constexpr auto f_input = forma::Input<4, 3>{};
constexpr auto f_output = forma::Dense<5, forma::Tanh>{}(forma::Flatten{}(f_input));
using Functional = forma::Model<decltype(f_input), decltype(f_output)>;

// Graphs: a skip connection and a concatenation with the input; two inputs
// of one shape, a gate and a layer called twice; residual blocks stacked,
// whose type spelled in one expression doubles in length with each block.
constexpr auto r_input = forma::Input<7>{};
constexpr auto r_hidden = forma::Dense<6, forma::ReLU>{}(r_input);
constexpr auto r_sum = forma::Add{}(r_hidden, forma::Dense<6, forma::Tanh>{}(r_hidden));
constexpr auto r_output = forma::Dense<3, forma::Softmax>{}(forma::Concatenate{}(r_sum, r_input));
using Residual = forma::Model<decltype(r_input), decltype(r_output)>;

constexpr auto t_x = forma::Input<4>{};
constexpr auto t_y = forma::Named<1, forma::Input<4>>{};
constexpr auto t_gated = forma::Multiply{}(t_x, forma::Dense<4, forma::Sigmoid>{}(t_y));
constexpr auto t_output = forma::Dense<2>{}(forma::Concatenate{}(
    forma::Dense<3, forma::ReLU>{}(t_gated), forma::Named<1, forma::Dense<3, forma::ReLU>>{}(t_gated)));
using TwoInputs = forma::Model<std::tuple<decltype(t_x), decltype(t_y)>, decltype(t_output)>;

template <int N, class X>
constexpr auto blocks(X x) {
  if constexpr (N == 0)
    return x;
  else
    return blocks<N - 1>(forma::Add{}(x, forma::Dense<5, forma::Tanh>{}(x)));
}
constexpr auto d_input = forma::Input<5>{};
constexpr auto d_output = forma::Dense<2, forma::Softmax>{}(blocks<8>(forma::Dense<5, forma::ReLU>{}(d_input)));
using Deep = forma::Model<decltype(d_input), decltype(d_output)>;

// Non-trainable state: exported as `state` beside the weights.
using Normed = forma::Sequential<forma::Input<5>, forma::Dense<6, forma::Tanh>, forma::BatchNormalization<>,
                                 forma::Dense<3, forma::Softmax>>;

// Keras' initializers, then biases that are not all zero: multiples of 1/64,
// a negative zero and a value that is subnormal as a float.
template <class Net, std::size_t K>
void set_biases(Net& m) {
  using T = typename Net::value_type;
  if constexpr (requires { Net::template layer_type<K>::units; }) {
    for (std::size_t j = 0; j < Net::template layer_type<K>::units; ++j)
      m.template layer<K>().bias_at(j) = static_cast<T>((static_cast<double>((j * 37 + K * 11) % 23) - 11.0) / 64.0);
    m.template layer<K>().bias_at(0) = static_cast<T>(-0.0);
    m.template layer<K>().bias_at(1) = static_cast<T>(1e-40f);
  }
}
// Moving statistics other than the initial 0 and 1.
template <class Net, std::size_t K>
void set_state(Net& m) {
  using T = typename Net::value_type;
  if constexpr (forma::has_state<typename Net::template bound_layer<K>>) {
    auto v = m.template layer_state<K>().values();
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<T>(0.25 + static_cast<double>(i % 7) / 16.0);
  }
}
template <class Net>
void prepare(Net& m, std::uint64_t seed) {
  m.init(seed);
  [&]<std::size_t... K>(std::index_sequence<K...>) { ((set_biases<Net, K>(m), set_state<Net, K>(m)), ...); }(
      std::make_index_sequence<Net::layer_count>{});
}
}  // namespace shared
)

namespace {

using Mlp = Sequential<Input<32, 32, 3>, Flatten, Dense<200, ReLU>, Dense<150, ReLU>, Dense<10, Softmax>>;

using forma_test::temp_dir;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The literals of the layer whose comment line is `marker`, in order.
std::vector<std::string> literals_after(const std::string& text, const std::string& marker) {
  std::vector<std::string> out;
  std::size_t pos = text.find(marker);
  if (pos == std::string::npos) return out;
  pos = text.find("{{", pos) + 2;
  const std::size_t end = text.find("}}", pos);
  std::istringstream values(text.substr(pos, end - pos));
  std::string item;
  while (std::getline(values, item, ',')) {
    item.erase(std::remove_if(item.begin(), item.end(), [](unsigned char c) { return std::isspace(c); }),
               item.end());
    out.push_back(item);
  }
  return out;
}

template <class T>
T parse(const std::string& literal) {
  if constexpr (std::is_same_v<T, float>) return std::strtof(literal.c_str(), nullptr);
  else return std::strtod(literal.c_str(), nullptr);
}

template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

}  // namespace

TEST_CASE("spelling writes a model's C++ type", "[export]") {
  CHECK(io::spelling<Mlp>() ==
        "forma::Sequential<forma::Input<32, 32, 3>, forma::Flatten, forma::Dense<200, forma::ReLU>, "
        "forma::Dense<150, forma::ReLU>, forma::Dense<10, forma::Softmax>>");
  CHECK(io::spelling<shared::Mixed>() ==
        "forma::Sequential<forma::Input<6>, forma::Dense<20, forma::Sigmoid>, "
        "forma::Dense<7, forma::LeakyReLUWith<std::ratio<3, 10>>>, "
        "forma::Dense<5, forma::LeakyReLUWith<std::ratio<6, 20>>>, forma::Activation<forma::Tanh>, "
        "forma::Dense<4, forma::Linear>, forma::Dense<3, forma::Linear>, forma::Activation<forma::Softmax>>");
  // The functional Model is spelled as the Network it is; rebind as well.
  CHECK(io::spelling<shared::Functional>() ==
        "forma::Network<float, forma::Input<4, 3>, forma::Flatten, forma::Dense<5, forma::Tanh>>");
  CHECK(io::spelling<Mlp::rebind<double>>().starts_with("forma::Network<double, forma::Input<32, 32, 3>, "));
  CHECK(io::declaring_headers<shared::Mixed>() ==
        std::vector<std::string>{"forma/activations/leaky_relu.hpp", "forma/activations/linear.hpp",
                                 "forma/activations/sigmoid.hpp", "forma/activations/softmax.hpp",
                                 "forma/activations/tanh.hpp", "forma/layers/activation.hpp",
                                 "forma/layers/dense.hpp", "forma/layers/input.hpp", "forma/model/sequential.hpp",
                                 "ratio"});
}

TEST_CASE("spelling writes a graph's C++ type, in full or with an alias per value", "[export][graph]") {
  const std::string input = "forma::Input<7>",
                    relu = "forma::SymbolicTensor<forma::Input<7>, forma::Dense<6, forma::ReLU>>",
                    tanh = "forma::SymbolicTensor<forma::Input<7>, forma::Dense<6, forma::ReLU>, "
                           "forma::Dense<6, forma::Tanh>>",
                    sum = "forma::Merged<forma::Add, " + relu + ", " + tanh + ">",
                    joined = "forma::Merged<forma::Concatenate, " + sum + ", " + input + ">";
  CHECK(io::spelling<shared::Residual>() ==
        "forma::GraphNetwork<float, forma::graph::type_list<" + input + ">, forma::graph::type_list<" + relu + ", " +
            tanh + ", " + sum + ", " + joined + ", forma::SymbolicTensor<" + joined +
            ", forma::Dense<3, forma::Softmax>>>>");
  CHECK(io::spelling<shared::Residual::rebind<double>>().starts_with("forma::GraphNetwork<double, "));

  // The aliases are numbered as the graph's values (architecture_signature's).
  const io::aliased_spelling aliased = io::spelling_with_aliases<shared::Residual>("values::");
  using alias = std::pair<std::string, std::string>;
  CHECK(aliased.aliases ==
        std::vector<alias>{{"value_0", "forma::Input<7>"},
                           {"value_1", "forma::SymbolicTensor<value_0, forma::Dense<6, forma::ReLU>>"},
                           {"value_2", "forma::SymbolicTensor<value_0, forma::Dense<6, forma::ReLU>, "
                                       "forma::Dense<6, forma::Tanh>>"},
                           {"value_3", "forma::Merged<forma::Add, value_1, value_2>"},
                           {"value_4", "forma::Merged<forma::Concatenate, value_3, value_0>"},
                           {"value_5", "forma::SymbolicTensor<value_4, forma::Dense<3, forma::Softmax>>"}});
  CHECK(aliased.type ==
        "forma::GraphNetwork<float, forma::graph::type_list<values::value_0>, forma::graph::type_list<values::value_1, "
        "values::value_2, values::value_3, values::value_4, values::value_5>>");
  // A chain needs none.
  CHECK(io::spelling_with_aliases<shared::Functional>("values::").aliases.empty());
  CHECK(io::spelling_with_aliases<shared::Functional>("values::").type == io::spelling<shared::Functional>());

  CHECK(io::spelling_with_aliases<shared::TwoInputs>().aliases[1].second == "forma::Named<1, forma::Input<4>>");
  CHECK(io::spelling<shared::TwoInputs>().find("forma::Named<1, forma::Dense<3, forma::ReLU>>") != std::string::npos);
  CHECK(io::declaring_headers<shared::TwoInputs>() ==
        std::vector<std::string>{"forma/activations/linear.hpp", "forma/activations/relu.hpp",
                                 "forma/activations/sigmoid.hpp", "forma/layers/concatenate.hpp",
                                 "forma/layers/dense.hpp", "forma/layers/input.hpp", "forma/layers/multiply.hpp",
                                 "forma/layers/named.hpp", "forma/layers/symbolic.hpp", "forma/model/graph.hpp",
                                 "forma/model/graph_nodes.hpp"});

  // A Named call in a chain.
  constexpr auto named_input = Input<3>{};
  constexpr auto named_output = Dense<2>{}(Named<2, Dense<4, ReLU>>{}(named_input));
  using NamedChain = Model<decltype(named_input), decltype(named_output)>;
  CHECK(io::spelling<NamedChain>() == "forma::Network<float, forma::Input<3>, forma::Named<2, forma::Dense<4, "
                                      "forma::ReLU>>, forma::Dense<2, forma::Linear>>");
  CHECK(io::declaring_headers<NamedChain>() ==
        std::vector<std::string>{"forma/activations/linear.hpp", "forma/activations/relu.hpp", "forma/layers/dense.hpp",
                                 "forma/layers/input.hpp", "forma/layers/named.hpp", "forma/model/network.hpp"});

  // Eight blocks: the full spelling repeats each block's input twice, the
  // aliases name it once.
  const io::aliased_spelling deep = io::spelling_with_aliases<shared::Deep>();
  std::size_t aliased_size = deep.type.size();
  for (const auto& [name, type] : deep.aliases) aliased_size += name.size() + type.size();
  CHECK(deep.aliases.size() == 1 + 1 + 8 * 2 + 1);
  CHECK(aliased_size < 3000);
  CHECK(io::spelling<shared::Deep>().size() > 100 * aliased_size);
}

TEST_CASE("export_header writes a graph's type as aliases and its merges as empty elements", "[export][graph]") {
  temp_dir dir;
  auto model = std::make_unique<shared::Residual>();
  shared::prepare(*model, 5);
  io::export_header(*model, dir / "residual.hpp", "residual");
  const std::string text = read_file(dir / "residual.hpp");
  const io::aliased_spelling aliased = io::spelling_with_aliases<shared::Residual>("values::");
  CHECK(text.find("\nnamespace values {\nusing value_0 = forma::Input<7>;\n") != std::string::npos);
  CHECK(text.find("\nusing value_3 = forma::Merged<forma::Add, value_1, value_2>;\n") != std::string::npos);
  CHECK(text.find("\n}  // namespace values\nusing model_type = " + aliased.type + ";\n") != std::string::npos);
  CHECK(text.find("#include <forma/layers/add.hpp>\n#include <forma/layers/concatenate.hpp>\n") != std::string::npos);
  CHECK(text.find("    // layer 2: forma::Add, reading value_1, value_2\n"
                  "    std::tuple_element_t<2, model_type::params_type>{},\n") != std::string::npos);
  CHECK(text.find("    // layer 3: forma::Concatenate, reading value_3, value_0\n") != std::string::npos);
  const auto dense = literals_after(text, "// layer 4: forma::Dense<3, forma::Softmax>, reading value_4");
  const auto values = model->layer<4>().values();
  REQUIRE(dense.size() == values.size());
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < values.size(); ++i) mismatches += !same_bits(parse<float>(dense[i]), values[i]);
  CHECK(mismatches == 0);
}

TEST_CASE("export_header writes the seed MLP's weights as literals that read back exactly", "[export]") {
  temp_dir dir;
  auto model = std::make_unique<Mlp>();
  model->init(42);
  model->layer<1>().kernel_at(5, 7) = 0.1f;  // 0x1.99999ap-4
  model->layer<3>().bias_at(2) = -0.0f;
  const fs::path path = dir / "seed_mlp.hpp";
  io::export_header(*model, path, "seed", {.comment = "The seed MLP.\nSecond line."});
  const std::string text = read_file(path);

  CHECK(text.starts_with("// Generated by forma::io::export_header"));
  CHECK(text.find("\n// The seed MLP.\n// Second line.\n") != std::string::npos);
  CHECK(text.find("\n#pragma once\n") != std::string::npos);
  CHECK(text.find("#include <forma/model/model_view.hpp>\n") != std::string::npos);
  CHECK(text.find("#include <forma/layers/dense.hpp>\n") != std::string::npos);
  CHECK(text.find("\nnamespace seed {\n") != std::string::npos);
  CHECK(text.find("\nusing model_type = " + io::spelling<Mlp>() + ";\n") != std::string::npos);
  CHECK(text.find("static_assert(model_type::param_count == 646260, ") != std::string::npos);
  CHECK(text.find("static_assert(sizeof(std::tuple_element_t<1, model_type::params_type>) == " +
                  std::to_string(sizeof(Mlp::bound_layer<1>::params)) + ",") != std::string::npos);
  CHECK(text.find("\ninline constexpr model_type::params_type weights{\n") != std::string::npos);
  CHECK(text.find("    std::tuple_element_t<0, model_type::params_type>{},\n") != std::string::npos);
  CHECK(text.find("\ninline constexpr forma::ModelView<model_type> model{weights};\n") != std::string::npos);
  CHECK(text.ends_with("}  // namespace seed\n"));

  // Every value of the first Dense layer, padding included, bit for bit; the
  // one set above in its place and spelled as expected.
  const auto dense1 = literals_after(text, "// layer 1: forma::Dense<200, forma::ReLU>");
  const auto values1 = model->layer<1>().values();
  REQUIRE(dense1.size() == values1.size());
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < values1.size(); ++i) mismatches += !same_bits(parse<float>(dense1[i]), values1[i]);
  CHECK(mismatches == 0);
  constexpr std::size_t units_padded = Mlp::bound_layer<1>::units_padded;
  CHECK(dense1[5 * units_padded + 7] == "0x1.99999ap-4f");
  CHECK(dense1[5 * units_padded + 200] == "0");  // padding
  const auto dense3 = literals_after(text, "// layer 3: forma::Dense<10, forma::Softmax>");
  REQUIRE(dense3.size() == model->layer<3>().values().size());
  CHECK(dense3[Mlp::bound_layer<3>::params::kernel_size + 2] == "-0x0p+0f");
  CHECK(dir.listing().size() == 1);  // no temporary file left behind
}

TEST_CASE("export_header writes doubles without a suffix, subnormals exactly", "[export]") {
  temp_dir dir;
  using Net = shared::Small::rebind<double>;
  auto model = std::make_unique<Net>();
  shared::prepare(*model, 3);
  model->layer<2>().bias_at(2) = std::numeric_limits<double>::denorm_min();
  io::export_header(*model, dir / "small_double.hpp", "small_double");
  const std::string text = read_file(dir / "small_double.hpp");
  CHECK(text.find("(" + std::to_string(Net::param_bytes) + " bytes of double)") != std::string::npos);
  const auto dense = literals_after(text, "// layer 2: forma::Dense<3, forma::Softmax>");
  const auto values = model->layer<2>().values();
  REQUIRE(dense.size() == values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    INFO(dense[i]);
    CHECK(dense[i].back() != 'f');
    CHECK(same_bits(parse<double>(dense[i]), values[i]));
  }
}

TEST_CASE("export_header fails naming the file, and leaves what was there", "[export]") {
  temp_dir dir;
  auto model = std::make_unique<shared::Small>();
  model->init(1);

  SECTION("a folder that does not exist") {
    const fs::path path = dir / "missing" / "weights.hpp";
    try {
      io::export_header(*model, path, "w");
      FAIL("no exception");
    } catch (const io::export_error& e) {
      CHECK(e.path() == path);
      CHECK_THAT(e.what(), Catch::Contains(path.string()) && Catch::Contains("temporary file"));
    }
    CHECK(dir.listing().size() == 0);
  }

  SECTION("a name that is no namespace name") {
    for (const char* name : {"", "1st", "a-b", "a::", "::a", "a::::b", "class", "a::int"}) {
      INFO(name);
      CHECK_THROWS_AS(io::export_header(*model, dir / "w.hpp", name), io::export_error);
    }
    CHECK(dir.listing().size() == 0);
    io::export_header(*model, dir / "w.hpp", "models::fashion_v2");
    CHECK(read_file(dir / "w.hpp").find("\nnamespace models::fashion_v2 {\n") != std::string::npos);
  }

  SECTION("a parameter that is not finite") {
    const fs::path path = dir / "w.hpp";
    std::ofstream(path) << "old contents\n";
    model->layer<1>().kernel_at(3, 4) = std::numeric_limits<float>::quiet_NaN();  // 3 * 16 + 4
    CHECK_THROWS_WITH(io::export_header(*model, path, "w"),
                      Catch::Contains(path.string()) && Catch::Contains("parameter 52 of layer 1 (model.layer<1>())") &&
                          Catch::Contains("not finite"));
    CHECK(read_file(path) == "old contents\n");
    CHECK(dir.listing().size() == 1);
  }
}

TEST_CASE("an exported header compiles into the same model, with the same predictions", "[export]") {
#if !defined(FORMA_TEST_CXX) || !defined(FORMA_TEST_INCLUDE_DIR)
  WARN("skipped: define FORMA_TEST_CXX and FORMA_TEST_INCLUDE_DIR (string literals) to compile exported headers");
#else
#if !defined(FORMA_TEST_CXXFLAGS)
#define FORMA_TEST_CXXFLAGS "-std=c++20 -O2 -march=native"
#endif
  temp_dir dir;
  {
    auto small = std::make_unique<shared::Small>();
    shared::prepare(*small, 11);
    io::export_header(*small, dir / "small.hpp", "exported::small");
    auto mixed = std::make_unique<shared::Mixed>();
    shared::prepare(*mixed, 12);
    io::export_header(*mixed, dir / "mixed.hpp", "exported::mixed");
    auto mixed_double = std::make_unique<shared::Mixed::rebind<double>>();
    shared::prepare(*mixed_double, 13);
    io::export_header(*mixed_double, dir / "mixed_double.hpp", "exported::mixed_double");
    auto functional = std::make_unique<shared::Functional>();
    shared::prepare(*functional, 14);
    io::export_header(*functional, dir / "functional.hpp", "exported::functional");
    auto residual = std::make_unique<shared::Residual>();
    shared::prepare(*residual, 15);
    io::export_header(*residual, dir / "residual.hpp", "exported::residual");
    auto residual_double = std::make_unique<shared::Residual::rebind<double>>();
    shared::prepare(*residual_double, 16);
    io::export_header(*residual_double, dir / "residual_double.hpp", "exported::residual_double");
    auto two_inputs = std::make_unique<shared::TwoInputs>();
    shared::prepare(*two_inputs, 17);
    io::export_header(*two_inputs, dir / "two_inputs.hpp", "exported::two_inputs");
    auto deep = std::make_unique<shared::Deep>();
    shared::prepare(*deep, 18);
    io::export_header(*deep, dir / "deep.hpp", "exported::deep");
    auto normed = std::make_unique<shared::Normed>();
    shared::prepare(*normed, 19);
    io::export_header(*normed, dir / "normed.hpp", "exported::normed");
  }
  std::ofstream(dir / "check.cpp") << R"(// Generated by tests/test_export.cpp.
#include <array>
#include <cstdio>
#include <cstring>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>
#include <forma/activations/activations.hpp>
#include <forma/layers/activation.hpp>
#include <forma/layers/dense.hpp>
#include <forma/layers/flatten.hpp>
#include <forma/layers/add.hpp>
#include <forma/layers/concatenate.hpp>
#include <forma/layers/multiply.hpp>
#include <forma/layers/named.hpp>
#include <forma/model/functional.hpp>
#include <forma/model/sequential.hpp>
#include "small.hpp"
#include "mixed.hpp"
#include "mixed_double.hpp"
#include "functional.hpp"
#include "residual.hpp"
#include "residual_double.hpp"
#include "two_inputs.hpp"
#include "deep.hpp"
#include "normed.hpp"
)" << shared_source << R"(

static_assert(std::is_same_v<exported::small::model_type, shared::Small>);
static_assert(std::is_same_v<exported::mixed::model_type, shared::Mixed>);
static_assert(std::is_same_v<exported::mixed_double::model_type, shared::Mixed::rebind<double>>);
static_assert(std::is_base_of_v<exported::functional::model_type, shared::Functional>);
static_assert(std::is_base_of_v<exported::residual::model_type, shared::Residual>);
static_assert(std::is_same_v<exported::residual_double::model_type, shared::Residual::rebind<double>>);
static_assert(std::is_base_of_v<exported::two_inputs::model_type, shared::TwoInputs>);
static_assert(std::is_base_of_v<exported::deep::model_type, shared::Deep>);
static_assert(std::is_same_v<exported::normed::model_type, shared::Normed>);
// The views are constants: their addresses are constant expressions.
constinit const void* views[] = {&exported::small::model,    &exported::mixed::model,
                                 &exported::mixed_double::model, &exported::functional::model,
                                 &exported::residual::model, &exported::two_inputs::model,
                                 &exported::normed::model};

template <class P>
bool same_params(const P& a, const P& b) {
  if constexpr (std::is_empty_v<P>) return true;
  else return std::memcmp(a.values().data(), b.values().data(), a.values().size_bytes()) == 0;
}

template <class T, std::size_t N>
bool same_bits(const T* a, const T* b) {
  return std::memcmp(a, b, sizeof(T) * N) == 0;
}

template <class Net, class View>
int check(const View& view, std::uint64_t seed, const char* label) {
  static_assert(std::is_same_v<typename View::params_type, typename Net::params_type>);
  using T = typename Net::value_type;
  using Y = forma::Tensor<typename Net::output_shape, T>;
  auto original = std::make_unique<Net>();
  shared::prepare(*original, seed);
  const bool params = [&]<std::size_t... K>(std::index_sequence<K...>) {
    return (same_params(std::get<K>(view.params()), std::get<K>(original->params())) && ...) &&
           (same_params(std::get<K>(view.state()), std::get<K>(original->state())) && ...);
  }(std::make_index_sequence<Net::layer_count>{});
  // One tensor per Input.
  const auto xs = []<std::size_t... I>(std::index_sequence<I...>) {
    std::tuple<forma::Tensor<typename Net::template input_shape_of<I>, T>...> out;
    ((std::get<I>(out) = [] {
       forma::Tensor<typename Net::template input_shape_of<I>, T> x;
       for (std::size_t i = 0; i < x.size; ++i) x[i] = static_cast<T>(static_cast<int>((i + 5 * I) % 13) - 6) / T(4);
       return x;
     }()),
     ...);
    return out;
  }(std::make_index_sequence<Net::input_count>{});
  const Y b = std::apply([&](const auto&... x) { return original->predict(x...); }, xs);
  bool outputs = true;
  if constexpr (Net::input_count == 1) {
    const Y a = view.predict(std::get<0>(xs));
    outputs = same_bits<T, Y::size>(a.data(), b.data());
    // In batches of two, the last one partial.
    const auto& x = std::get<0>(xs);
    const std::array<forma::Tensor<typename Net::input_shape, T>, 3> many{x, x, x};
    std::array<Y, 3> ys{};
    outputs = outputs && view.template predict<2>(many, ys) == 3;
    for (const Y& y : ys) outputs = outputs && same_bits<T, Y::size>(y.data(), b.data());
  } else {
    // ModelView::predict takes one tensor: several go through the model
    // type's predict_on, on the view's parameters.
    const Y a = std::apply([&](const auto&... x) { return Net::predict_on(view.params(), view.state(), x...); }, xs);
    outputs = same_bits<T, Y::size>(a.data(), b.data());
  }
  std::printf("%s: parameters %s, predictions %s\n", label, params ? "equal" : "DIFFER",
              outputs ? "equal" : "DIFFER");
  return params && outputs ? 0 : 1;
}

int main() {
  int failures = 0;
  failures += check<shared::Small>(exported::small::model, 11, "small");
  failures += check<shared::Mixed>(exported::mixed::model, 12, "mixed");
  failures += check<shared::Mixed::rebind<double>>(exported::mixed_double::model, 13, "mixed_double");
  failures += check<shared::Functional>(exported::functional::model, 14, "functional");
  failures += check<shared::Residual>(exported::residual::model, 15, "residual");
  failures += check<shared::Residual::rebind<double>>(exported::residual_double::model, 16, "residual_double");
  failures += check<shared::TwoInputs>(exported::two_inputs::model, 17, "two_inputs");
  failures += check<shared::Deep>(exported::deep::model, 18, "deep");
  failures += check<shared::Normed>(exported::normed::model, 19, "normed");
  return failures == 0 && views[0] != nullptr ? 0 : 1;
}
)";
  const fs::path exe = dir / "check";
  const fs::path log = dir / "log.txt";
  const std::string compile = std::string(FORMA_TEST_CXX) + " " + FORMA_TEST_CXXFLAGS + " -I\"" +
                              FORMA_TEST_INCLUDE_DIR + "\" -I\"" + dir.path().string() + "\" \"" +
                              (dir / "check.cpp").string() + "\" -o \"" + exe.string() + "\" > \"" +
                              log.string() + "\" 2>&1";
  INFO(compile);
  const int compiled = std::system(compile.c_str());
  INFO(read_file(log));
  REQUIRE(compiled == 0);
  const int ran = std::system(("\"" + exe.string() + "\" > \"" + log.string() + "\" 2>&1").c_str());
  const std::string output = read_file(log);
  INFO(output);
  CHECK(ran == 0);
  CHECK(output.find("small: parameters equal, predictions equal") != std::string::npos);
  CHECK(output.find("functional: parameters equal, predictions equal") != std::string::npos);
  for (const char* graph : {"residual", "residual_double", "two_inputs", "deep", "normed"})
    CHECK(output.find(std::string(graph) + ": parameters equal, predictions equal") != std::string::npos);
#endif
}
