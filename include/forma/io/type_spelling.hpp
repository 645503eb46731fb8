#pragma once
// forma::io::spelling<T>(): how a model type is written in C++ source, with
// every name fully qualified, and declaring_headers<T>(): the headers that
// declare it.
// export_header writes the first into the header it generates, so a model
// compiled into a program is the same type as the one that was trained:
//
//   spelling<Sequential<Input<28, 28, 1>, Flatten, Dense<32, ReLU>>>()
//     == "forma::Sequential<forma::Input<28, 28, 1>, forma::Flatten, forma::Dense<32, forma::ReLU>>"
//
// Every layer, activation and model forma ships can be spelled. A custom type
// spells itself with two static members,
//
//   static constexpr std::string_view cpp_spelling = "my::Scale2";
//   static constexpr std::string_view cpp_header = "my/scale2.hpp";  // optional
//
// or, for a template, with a specialisation of forma::io::type_spelling<T>
// that has `static void write(std::string&)` and
// `static void add_headers(std::vector<std::string>&)`.
#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <ratio>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "forma/activations/activations.hpp"
#include "forma/layers/activation.hpp"
#include "forma/layers/dense.hpp"
#include "forma/layers/flatten.hpp"
#include "forma/layers/input.hpp"
#include "forma/model/network.hpp"
#include "forma/model/sequential.hpp"

namespace forma::io {

template <class T>
struct type_spelling;

namespace detail {

template <class T>
concept spells_itself = requires {
  { T::cpp_spelling } -> std::convertible_to<std::string_view>;
};

template <class T>
concept has_header = requires {
  { T::cpp_header } -> std::convertible_to<std::string_view>;
};

// The Network a model type derives from (Sequential and the functional Model
// are Networks); void for any other type.
template <Scalar T, class In, class... Ls>
Network<T, In, Ls...> network_base_of(const Network<T, In, Ls...>*);
void network_base_of(const void*);
template <class M>
using network_base = decltype(network_base_of(static_cast<const M*>(nullptr)));

template <class T>
inline constexpr bool always_false = false;

template <class... Ts>
void write_list(std::string& out) {
  bool first = true;
  ((out += first ? "" : ", ", first = false, type_spelling<Ts>::write(out)), ...);
}

template <class... Ts>
void add_headers_of(std::vector<std::string>& out) {
  (type_spelling<Ts>::add_headers(out), ...);
}

}  // namespace detail

// The primary template: a type that spells itself, or a model derived from a
// Network (the functional Model is spelled as the Network it is).
template <class T>
struct type_spelling {
  static void write(std::string& out) {
    if constexpr (detail::spells_itself<T>) {
      out += std::string_view(T::cpp_spelling);
    } else if constexpr (!std::is_void_v<detail::network_base<T>>) {
      type_spelling<detail::network_base<T>>::write(out);
    } else {
      static_assert(detail::always_false<T>,
                    "forma::io cannot spell this type in C++; give it a static constexpr std::string_view "
                    "cpp_spelling, or specialise forma::io::type_spelling for it");
    }
  }
  static void add_headers(std::vector<std::string>& out) {
    if constexpr (detail::spells_itself<T>) {
      if constexpr (detail::has_header<T>) {
        if (!std::string_view(T::cpp_header).empty()) out.emplace_back(std::string_view(T::cpp_header));
      }
    } else if constexpr (!std::is_void_v<detail::network_base<T>>) {
      type_spelling<detail::network_base<T>>::add_headers(out);
    }
  }
};

template <>
struct type_spelling<float> {
  static void write(std::string& out) { out += "float"; }
  static void add_headers(std::vector<std::string>&) {}
};
template <>
struct type_spelling<double> {
  static void write(std::string& out) { out += "double"; }
  static void add_headers(std::vector<std::string>&) {}
};

// The ratio as written, not reduced: LeakyReLUWith<std::ratio<6, 20>> is
// another type than LeakyReLUWith<std::ratio<3, 10>>.
template <std::intmax_t N, std::intmax_t D>
struct type_spelling<std::ratio<N, D>> {
  static void write(std::string& out) {
    out += "std::ratio<" + std::to_string(N) + ", " + std::to_string(D) + ">";
  }
  static void add_headers(std::vector<std::string>& out) { out.emplace_back("ratio"); }
};

// The tags and layers without template parameters.
#define FORMA_IO_NAMED(Type, header_path)                                                     \
  template <>                                                                                 \
  struct type_spelling<Type> {                                                                \
    static void write(std::string& out) { out += "forma::" #Type; }                           \
    static void add_headers(std::vector<std::string>& out) { out.emplace_back(header_path); } \
  };
FORMA_IO_NAMED(Linear, "forma/activations/linear.hpp")
FORMA_IO_NAMED(ReLU, "forma/activations/relu.hpp")
FORMA_IO_NAMED(Sigmoid, "forma/activations/sigmoid.hpp")
FORMA_IO_NAMED(Tanh, "forma/activations/tanh.hpp")
FORMA_IO_NAMED(Softmax, "forma/activations/softmax.hpp")
FORMA_IO_NAMED(Flatten, "forma/layers/flatten.hpp")
#undef FORMA_IO_NAMED

// LeakyReLU is an alias of LeakyReLUWith<std::ratio<3, 10>>, spelled as such.
template <class Slope>
struct type_spelling<LeakyReLUWith<Slope>> {
  static void write(std::string& out) {
    out += "forma::LeakyReLUWith<";
    type_spelling<Slope>::write(out);
    out += ">";
  }
  static void add_headers(std::vector<std::string>& out) {
    out.emplace_back("forma/activations/leaky_relu.hpp");
    type_spelling<Slope>::add_headers(out);
  }
};

template <std::size_t... Dims>
struct type_spelling<Input<Dims...>> {
  static void write(std::string& out) {
    out += "forma::Input<";
    bool first = true;
    ((out += (first ? "" : ", ") + std::to_string(Dims), first = false), ...);
    out += ">";
  }
  static void add_headers(std::vector<std::string>& out) { out.emplace_back("forma/layers/input.hpp"); }
};

template <std::size_t Units, class Act>
struct type_spelling<Dense<Units, Act>> {
  static void write(std::string& out) {
    out += "forma::Dense<" + std::to_string(Units) + ", ";
    type_spelling<Act>::write(out);
    out += ">";
  }
  static void add_headers(std::vector<std::string>& out) {
    out.emplace_back("forma/layers/dense.hpp");
    type_spelling<Act>::add_headers(out);
  }
};

template <class F>
struct type_spelling<Activation<F>> {
  static void write(std::string& out) {
    out += "forma::Activation<";
    type_spelling<F>::write(out);
    out += ">";
  }
  static void add_headers(std::vector<std::string>& out) {
    out.emplace_back("forma/layers/activation.hpp");
    type_spelling<F>::add_headers(out);
  }
};

template <Scalar T, class In, class... Ls>
struct type_spelling<Network<T, In, Ls...>> {
  static void write(std::string& out) {
    out += "forma::Network<";
    detail::write_list<T, In, Ls...>(out);
    out += ">";
  }
  static void add_headers(std::vector<std::string>& out) {
    out.emplace_back("forma/model/network.hpp");
    detail::add_headers_of<In, Ls...>(out);
  }
};

template <class First, class... Ls>
struct type_spelling<Sequential<First, Ls...>> {
  static void write(std::string& out) {
    out += "forma::Sequential<";
    detail::write_list<First, Ls...>(out);
    out += ">";
  }
  static void add_headers(std::vector<std::string>& out) {
    out.emplace_back("forma/model/sequential.hpp");
    detail::add_headers_of<First, Ls...>(out);
  }
};

// The C++ spelling of T.
template <class T>
std::string spelling() {
  std::string out;
  type_spelling<std::remove_cv_t<T>>::write(out);
  return out;
}

// The headers that declare T and everything its spelling names, sorted, each
// once ("forma/layers/dense.hpp", "ratio").
template <class T>
std::vector<std::string> declaring_headers() {
  std::vector<std::string> out;
  type_spelling<std::remove_cv_t<T>>::add_headers(out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace forma::io
