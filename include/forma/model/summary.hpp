#pragma once
// summary(model, os): Keras' model.summary() table: each layer's name and
// type, output shape and parameter count, then the totals and the memory the
// parameters take.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdio>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "forma/core/shape.hpp"
#include "forma/layers/layer_state.hpp"

namespace forma {

namespace detail {

// 646260 -> "646,260"
inline std::string with_thousands(std::size_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// Keras' size notation, powers of 1024: 2585040 -> "2.47 MB".
inline std::string readable_bytes(std::size_t bytes) {
  const char* units[] = {"B", "KB", "MB", "GB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 3) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.2f %s", v, units[u]);
  return buf;
}

// Keras names layers after their class in snake case, numbering repeats:
// dense, dense_1, dense_2.
inline std::string keras_layer_name(std::string_view type, std::map<std::string, int>& seen) {
  std::string base;
  for (std::size_t i = 0; i < type.size(); ++i) {
    const unsigned char ch = static_cast<unsigned char>(type[i]);
    if (std::isupper(ch) && i > 0 && !std::isupper(static_cast<unsigned char>(type[i - 1]))) base += '_';
    base += static_cast<char>(std::tolower(ch));
  }
  const int n = seen[base]++;
  return n == 0 ? base : base + "_" + std::to_string(n);
}

// A cell too long for its column of `width` goes on over the next lines, as
// Keras writes it, leaving two spaces before the next column
// ("batch_normalization (Batch" / "Normalization)").
inline std::vector<std::string> wrapped(const std::string& text, std::size_t width) {
  const std::size_t fit = width - 2;
  std::vector<std::string> parts{text.size() <= width ? text : text.substr(0, fit)};
  for (std::size_t at = parts[0].size(); at < text.size(); at += fit) parts.push_back(text.substr(at, fit));
  return parts;
}

// A layer's row counts its state too, as Keras' does (BatchNormalization
// on 64 features: 256).
template <class M, std::size_t K>
inline constexpr std::size_t layer_param_count =
    M::template bound_layer<K>::param_count + state_count_of<typename M::template bound_layer<K>>;

inline void summary_row(std::ostream& os, const std::string& layer, const std::string& shape,
                        std::size_t params) {
  auto pad = [](std::string s, std::size_t w) {
    if (s.size() < w) s.append(w - s.size(), ' ');
    return s;
  };
  const auto parts = wrapped(layer, 28);
  os << ' ' << pad(parts[0], 28) << pad(shape, 26) << pad(with_thousands(params), 10) << '\n';
  for (std::size_t i = 1; i < parts.size(); ++i) os << ' ' << pad(parts[i], 64) << '\n';
}

template <class M>
void summary_totals(std::ostream& os, const std::string& rule) {
  // Keras counts non-trainable state (moving statistics) in the total.
  constexpr std::size_t total = M::param_count + M::state_count, total_bytes = M::param_bytes + M::state_bytes;
  os << "Total params: " << detail::with_thousands(total) << " (" << detail::readable_bytes(total_bytes) << ")\n"
     << "Trainable params: " << detail::with_thousands(M::param_count) << " ("
     << detail::readable_bytes(M::param_bytes) << ")\n"
     << "Non-trainable params: " << detail::with_thousands(M::state_count) << " ("
     << detail::readable_bytes(M::state_bytes) << ")\n"
     << "Parameter memory: " << detail::with_thousands(total_bytes) << " bytes\n"
     << rule << '\n';
}

// Keras' functional table: a "Connected to" column naming, for each layer,
// the layers it reads, one a line ('dense[0][0]').
template <class M>
void graph_summary(std::ostream& os) {
  constexpr std::size_t width = 98;
  const std::string rule(width, '_'), double_rule(width, '=');
  auto pad = [](std::string s, std::size_t w) {
    if (s.size() < w) s.append(w - s.size(), ' ');
    return s;
  };
  auto row = [&](const std::string& layer, const std::string& shape, const std::string& params,
                 const std::string& connected) {
    os << ' ' << pad(layer, 31) << pad(shape, 21) << pad(params, 12) << connected << '\n';
  };
  std::map<std::string, int> seen;
  std::string names[M::input_count + M::layer_count];
  os << "Model: \"model\"\n" << rule << '\n';
  row("Layer (type)", "Output Shape", "Param #", "Connected to");
  os << double_rule << '\n';
  bool first = true;
  auto separate = [&] {
    if (!first) os << std::string(width, ' ') << '\n';
    first = false;
  };
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((separate(), names[I] = keras_layer_name("InputLayer", seen),
      row(names[I] + " (InputLayer)", shape_string<typename M::template input_shape_of<I>>(), "0", "[]")),
     ...);
  }(std::make_index_sequence<M::input_count>{});
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (
        [&] {
          separate();
          const std::string_view type = M::template layer_type<K>::name;
          names[M::input_count + K] = keras_layer_name(type, seen);
          std::vector<std::string> from;
          [&]<std::size_t... V>(std::index_sequence<V...>) {
            ((from.push_back("'" + names[V] + "[0][0]'")), ...);
          }(typename M::template node_inputs<K>{});
          const auto layer = wrapped(names[M::input_count + K] + " (" + std::string(type) + ")", 31);
          for (std::size_t j = 0; j < std::max(from.size(), layer.size()); ++j) {
            const std::string cell =
                j < from.size() ? (j == 0 ? "[" : " ") + from[j] + (j + 1 == from.size() ? "]" : ",") : "";
            const std::string name = j < layer.size() ? layer[j] : "";
            if (j == 0)
              row(name, shape_string<typename M::template layer_output_shape<K>>(),
                  with_thousands(layer_param_count<M, K>), cell);
            else
              row(name, "", "", cell);
          }
        }(),
        ...);
  }(std::make_index_sequence<M::layer_count>{});
  os << double_rule << '\n';
  summary_totals<M>(os, rule);
}

// Keras' Sequential table (and a functional chain's, with its InputLayer row).
template <class M>
void chain_summary(std::ostream& os) {
  const std::string rule(65, '_'), double_rule(65, '=');
  std::map<std::string, int> seen;
  os << "Model: \"" << (M::is_functional ? "model" : "sequential") << "\"\n"
     << rule << '\n'
     << ' ' << "Layer (type)                Output Shape              Param #   \n"
     << double_rule << '\n';
  bool first = true;
  auto separate = [&] {
    if (!first) os << std::string(65, ' ') << '\n';
    first = false;
  };
  if constexpr (M::is_functional) {
    separate();
    detail::summary_row(os, detail::keras_layer_name("InputLayer", seen) + " (InputLayer)",
                        shape_string<typename M::input_shape>(), 0);
  }
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    ((separate(),
      detail::summary_row(os,
                          detail::keras_layer_name(M::template layer_type<K>::name, seen) + " (" +
                              std::string(M::template layer_type<K>::name) + ")",
                          shape_string<typename M::template layer_output_shape<K>>(),
                          layer_param_count<M, K>)),
     ...);
  }(std::make_index_sequence<M::layer_count>{});
  os << double_rule << '\n';
  summary_totals<M>(os, rule);
}

}  // namespace detail

template <class M>
void summary(const M&, std::ostream& os) {
  static_assert(M::valid, "forma::summary needs a valid model");
  if constexpr (M::is_graph)
    detail::graph_summary<M>(os);
  else
    detail::chain_summary<M>(os);
}

}  // namespace forma
