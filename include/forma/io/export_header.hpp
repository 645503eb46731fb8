#pragma once
// forma::io::export_header(model, path, name): a trained model as a C++
// header, so that a program can carry it compiled in, with no file to read:
//
//   namespace fashion_mlp {
//   using model_type = forma::Sequential<forma::Input<28, 28, 1>, forma::Flatten, ...>;
//   inline constexpr model_type::params_type weights{ ...literals... };
//   inline constexpr forma::ModelView<model_type> model{weights};
//   }
//   ...
//   auto probs = fashion_mlp::model.predict(image);
//
// The weights are one constexpr object of the model's params_type, written
// as brace-initialised arrays of hexadecimal float literals (0x1.52f69cp-6f),
// which give back every value bit for bit. A constant with no mutable part
// lands in read-only memory (.rodata, the flash of a microcontroller), and the
// view is constant-initialised: no code runs before main, and RAM holds only
// the activations of a prediction.
//
// A graph model's type is written as one alias per value of the graph
// (namespace values: value_0 its first Input, ..., value_{I+K} node K), since
// spelled in one expression it can be exponentially long
// (forma/io/type_spelling.hpp's spelling_with_aliases).
//
// Each layer's params and state must be empty (Flatten, the merges) or an
// aggregate whose one member is the array its values() spans (Dense,
// BatchNormalization, and a custom layer built the same way); the model's type must be spellable
// (forma/io/type_spelling.hpp).
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>

#include "forma/core/scalar.hpp"
#include "forma/io/type_spelling.hpp"
#include "forma/plot/atomic_file.hpp"

namespace forma::io {

// Raised when a header cannot be exported; what() and path() name the file.
// The file at path is then as it was before.
class export_error : public std::runtime_error {
 public:
  export_error(const std::filesystem::path& path, const std::string& why)
      : std::runtime_error("forma::io::export_header could not write '" + path.string() + "': " + why),
        path_(path) {}
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

struct export_options {
  // Written as comment lines at the top of the header (say how to make it
  // again); may hold several lines.
  std::string comment;
  // Literals per line.
  std::size_t values_per_line = 8;
};

namespace detail {

// A params type export_header can write: nothing, or one array of T that
// values() spans, as the only member of an aggregate.
template <class P, class T>
concept exportable_params = std::is_empty_v<P> || (std::is_aggregate_v<P> && requires(const P& p) {
  { p.values() } -> std::convertible_to<std::span<const T>>;
});

inline bool is_keyword(std::string_view s) {
  static constexpr std::string_view keywords[] = {
      "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case",
      "catch", "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept", "const", "consteval",
      "constexpr", "constinit", "const_cast", "continue", "co_await", "co_return", "co_yield", "decltype",
      "default", "delete", "do", "double", "dynamic_cast", "else", "enum", "explicit", "export", "extern",
      "false", "float", "for", "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new",
      "noexcept", "not", "not_eq", "nullptr", "operator", "or", "or_eq", "private", "protected", "public",
      "register", "reinterpret_cast", "requires", "return", "short", "signed", "sizeof", "static",
      "static_assert", "static_cast", "struct", "switch", "template", "this", "thread_local", "throw", "true",
      "try", "typedef", "typeid", "typename", "union", "unsigned", "using", "virtual", "void", "volatile",
      "wchar_t", "while", "xor", "xor_eq"};
  for (std::string_view k : keywords)
    if (s == k) return true;
  return false;
}

// Why `name` cannot name a namespace ("a" or "a::b"), or "" if it can.
inline std::string namespace_name_problem(std::string_view name) {
  if (name.empty()) return "the namespace name is empty";
  std::size_t start = 0;
  while (true) {
    const std::size_t end = std::min(name.find("::", start), name.size());
    const std::string_view part = name.substr(start, end - start);
    const auto is_alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
    bool ok = !part.empty() && is_alpha(part[0]);
    for (char c : part) ok = ok && (is_alpha(c) || (c >= '0' && c <= '9'));
    if (!ok) return "'" + std::string(name) + "' is not a C++ namespace name";
    if (is_keyword(part)) return "'" + std::string(part) + "' is a C++ keyword";
    if (end == name.size()) return "";
    start = end + 2;
  }
}

// The literal that gives back v exactly: hexadecimal, shortest, with the
// suffix of T ("0x1.52f69cp-6f" for a float, "-0x1.8p+1" for a double).
template <Scalar T>
std::string_view literal(T v, std::span<char, 48> buf) {
  if (v == T(0) && !std::signbit(v)) return "0";
  char* p = buf.data();
  if (std::signbit(v)) *p++ = '-';
  *p++ = '0';
  *p++ = 'x';
  const auto r = std::to_chars(p, buf.data() + buf.size() - 1, std::fabs(v), std::chars_format::hex);
  p = r.ptr;
  if constexpr (std::is_same_v<T, float>) *p++ = 'f';
  return {buf.data(), static_cast<std::size_t>(p - buf.data())};
}

// Turns forma::plot's message about the same path back into the reason alone.
inline std::string reason_of(const plot::write_error& e) {
  const std::string prefix = "forma::plot could not write '" + e.path().string() + "': ";
  const std::string what = e.what();
  return what.starts_with(prefix) ? what.substr(prefix.size()) : what;
}

// Puts every write through one place, so the first failure is kept.
struct text_out {
  std::FILE* f;
  bool ok = true;
  void put(std::string_view s) {
    if (ok && !s.empty()) ok = std::fwrite(s.data(), 1, s.size(), f) == s.size();
  }
};

}  // namespace detail

// Writes `model`'s parameters and type to `path` as a C++ header whose names
// live in namespace `name` ("fashion_mlp", or nested: "models::fashion"):
//   name::model_type  the model's type, spelled out
//   name::weights     constexpr model_type::params_type holding the parameters
//   name::state       constexpr model_type::state_type, for a model with
//                     non-trainable state (BatchNormalization) only
//   name::model       constexpr forma::ModelView<model_type> over the weights
// The file appears whole or not at all. Throws export_error, naming path, if
// name cannot name a namespace, a parameter is not finite, or the file cannot
// be written.
template <class Net>
void export_header(const Net& model, const std::filesystem::path& path, std::string_view name,
                   const export_options& options = {}) {
  using T = typename Net::value_type;
  using params_type = typename Net::params_type;
  using state_type = typename Net::state_type;
  constexpr std::size_t layers = std::tuple_size_v<params_type>;
  // Non-trainable state (BatchNormalization's moving statistics) is written
  // beside the weights as `state`, and the view takes both.
  constexpr bool with_state = Net::state_count > 0;

  if (const std::string problem = detail::namespace_name_problem(name); !problem.empty())
    throw export_error(path, problem);
  const params_type& params = model.params();

  // Check every layer's parameters and state before anything is written.
  const auto check = [&]<class Tuple>(const Tuple& tuple, const std::string& what, const std::string& accessor) {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      const auto one = [&]<std::size_t I>() {
        using P = std::tuple_element_t<I, Tuple>;
        static_assert(detail::exportable_params<P, T>,
                      "forma::io::export_header needs each layer's params (and state) to be empty, or an aggregate "
                      "holding one array that values() spans (as Dense's)");
        if constexpr (!std::is_empty_v<P>) {
          const P& p = std::get<I>(tuple);
          const std::span<const T> v = p.values();
          if (static_cast<const void*>(v.data()) != static_cast<const void*>(&p) || v.size_bytes() != sizeof(P))
            throw export_error(path, "the " + what + "s of layer " + std::to_string(I) +
                                         " are not one array that values() spans");
          for (std::size_t i = 0; i < v.size(); ++i)
            if (!std::isfinite(v[i]))
              throw export_error(path, what + " " + std::to_string(i) + " of layer " + std::to_string(I) + " (model." +
                                           accessor + "<" + std::to_string(I) + ">()) is not finite (" +
                                           std::to_string(v[i]) + ")");
        }
      };
      (one.template operator()<K>(), ...);
    }(std::make_index_sequence<layers>{});
  };
  check(params, "parameter", "layer");
  if constexpr (with_state) check(model.state(), "state value", "layer_state");

  const aliased_spelling spelled = spelling_with_aliases<Net>("values::");
  const std::size_t per_line = options.values_per_line > 0 ? options.values_per_line : 1;

  // ", reading value_1, value_2" after a graph node's layer.
  const auto reads = []<std::size_t I>() {
    std::string text;
    if constexpr (detail::is_graph_model<Net>)
      [&]<std::size_t... V>(std::index_sequence<V...>) {
        ((text += (text.empty() ? ", reading value_" : ", value_") + std::to_string(V)), ...);
      }(typename Net::template node_inputs<I>{});
    return text;
  };

  const auto write = [&](std::FILE* f, std::string& why) {
    detail::text_out out{f};
    out.put("// Generated by forma::io::export_header: a trained model compiled into a program. Do not edit.\n");
    std::string_view comment = options.comment;
    while (comment.ends_with('\n')) comment.remove_suffix(1);
    for (std::size_t start = 0; start < comment.size();) {
      const std::size_t end = std::min(comment.find('\n', start), comment.size());
      out.put(end == start ? "//\n" : "// ");
      if (end > start) {
        out.put(comment.substr(start, end - start));
        out.put("\n");
      }
      start = end + 1;
    }
    out.put("//\n// " + std::to_string(Net::param_count) + " parameters (" + std::to_string(Net::param_bytes) +
            " bytes of " + spelling<T>() + ") in read-only memory; use:\n//   " + std::string(name) +
            "::model.predict(x)   // const, allocation-free, never throws\n#pragma once\n\n");
    for (const std::string& h : declaring_headers<Net>()) out.put("#include <" + h + ">\n");
    out.put("#include <forma/model/model_view.hpp>\n#include <tuple>\n\nnamespace " + std::string(name) + " {\n\n");
    if (!spelled.aliases.empty()) {
      out.put("// The graph's values: its Inputs, then each node's output in the order they run;\n"
              "// a node's type names the values it reads.\nnamespace values {\n");
      for (const auto& [alias, aliased] : spelled.aliases) out.put("using " + alias + " = " + aliased + ";\n");
      out.put("}  // namespace values\n");
    }
    out.put("using model_type = " + spelled.type + ";\n");
    out.put("static_assert(model_type::param_count == " + std::to_string(Net::param_count) +
            ", \"forma: these weights are for another model\");\n");
    // The literals fill each layer's array in the layout it had at export; a
    // library whose layout differs (another padding) must not take them.
    const auto layouts = [&]<class Tuple>(const std::string& type) {
      [&]<std::size_t... K>(std::index_sequence<K...>) {
        const auto layout = [&]<std::size_t I>() {
          if (std::is_empty_v<std::tuple_element_t<I, Tuple>>) return;
          out.put("static_assert(sizeof(std::tuple_element_t<" + std::to_string(I) + ", " + type + ">) == " +
                  std::to_string(sizeof(std::tuple_element_t<I, Tuple>)) + ",\n"
                  "              \"forma: these weights were exported for another parameter layout; export them "
                  "again\");\n");
        };
        (layout.template operator()<K>(), ...);
      }(std::make_index_sequence<layers>{});
    };
    layouts.template operator()<params_type>("model_type::params_type");
    if constexpr (with_state) layouts.template operator()<state_type>("model_type::state_type");
    out.put("\n");
    if constexpr (detail::is_graph_model<Net>)
      out.put("// Element K holds model.layer<K>()'s parameters, node K's (its output is\n// values::value_{" +
              std::to_string(Net::input_count) + " + K}), in the layer's own layout: for Dense, the kernel\n"
              "// [inputs][units] then the bias [units], each row padded with zeros to whole 64-byte lines.\n");
    else
      out.put("// Element K holds model.layer<K>()'s parameters (K = 0 is the first layer after the\n"
              "// Input) in the layer's own layout: for Dense, the kernel [inputs][units] then the\n"
              "// bias [units], each row padded with zeros to whole 64-byte lines.\n");
    const auto values = [&]<class Tuple>(const Tuple& tuple, const std::string& type, const std::string& object) {
      out.put("inline constexpr " + type + " " + object + "{\n");
      [&]<std::size_t... K>(std::index_sequence<K...>) {
        const auto layer = [&]<std::size_t I>() {
          using P = std::tuple_element_t<I, Tuple>;
          using L = typename Net::template layer_type<I>;
          const std::string element = "std::tuple_element_t<" + std::to_string(I) + ", " + type + ">";
          out.put("    // layer " + std::to_string(I) + ": " + spelling<L>() + reads.template operator()<I>() + "\n");
          if constexpr (std::is_empty_v<P>) {
            out.put("    " + element + "{}");
          } else {
            const std::span<const T> v = std::get<I>(tuple).values();
            out.put("    " + element + "{{\n");
            char buf[48];
            for (std::size_t i = 0; i < v.size(); ++i) {
              out.put(i % per_line == 0 ? "        " : " ");
              out.put(detail::literal<T>(v[i], buf));
              out.put(i + 1 == v.size() ? "\n" : (i + 1) % per_line == 0 ? ",\n" : ",");
            }
            out.put("    }}");
          }
          out.put(I + 1 == layers ? "\n" : ",\n");
        };
        (layer.template operator()<K>(), ...);
      }(std::make_index_sequence<layers>{});
      out.put("};\n\n");
    };
    values(params, "model_type::params_type", "weights");
    if constexpr (with_state) {
      out.put("// Element K holds model.layer_state<K>(), the layer's non-trainable state\n"
              "// (BatchNormalization: moving mean, then moving variance), in its own layout.\n");
      values(model.state(), "model_type::state_type", "state");
    }
    out.put("// The model over the weights: a pointer, constant-initialised.\n");
    out.put(std::string("inline constexpr forma::ModelView<model_type> model{") +
            (with_state ? "weights, state" : "weights") + "};\n\n}  // namespace " +
            std::string(name) + "\n");
    if (!out.ok) why = "an I/O error occurred while writing";
    return out.ok;
  };

  try {
    plot::write_atomically(path, write);
  } catch (const plot::write_error& e) {
    throw export_error(path, detail::reason_of(e));
  }
}

}  // namespace forma::io
