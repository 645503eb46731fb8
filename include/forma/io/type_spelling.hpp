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
// Every layer, activation and model forma ships can be spelled, graphs too
// (GraphNetwork, whose nodes are SymbolicTensor and Merged types). Spelled
// in full, a graph's node repeats every node it reads, so a stack of n
// residual blocks is 2^n long: spelling_with_aliases<T>() writes one alias
// per value of the graph instead, which export_header uses. A custom type
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
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "forma/activations/activations.hpp"
#include "forma/io/model_base.hpp"
#include "forma/layers/activation.hpp"
#include "forma/layers/dense.hpp"
#include "forma/layers/flatten.hpp"
#include "forma/layers/input.hpp"
#include "forma/layers/named.hpp"
#include "forma/layers/symbolic.hpp"
#include "forma/model/graph.hpp"
#include "forma/model/graph_nodes.hpp"
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

// A template of types that says so: cpp_template names it and
// cpp_arguments (a std::tuple) lists its arguments, spelled in turn
// (Dropout<std::ratio<1, 2>>).
template <class T>
concept spells_as_template = requires {
  { T::cpp_template } -> std::convertible_to<std::string_view>;
  typename T::cpp_arguments;
};

template <class T>
concept has_header = requires {
  { T::cpp_header } -> std::convertible_to<std::string_view>;
};

// The Network or GraphNetwork a model type derives from; void for another.
template <class M>
using model_base = std::conditional_t<std::is_void_v<network_base<M>>, graph_base<M>, network_base<M>>;

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
// Network or a GraphNetwork (the functional Model is spelled as the one it
// is).
template <class T>
struct type_spelling {
  static void write(std::string& out) {
    if constexpr (detail::spells_itself<T>) {
      out += std::string_view(T::cpp_spelling);
    } else if constexpr (detail::spells_as_template<T>) {
      out += std::string_view(T::cpp_template);
      out += '<';
      std::apply([&]<class... As>(As...) { detail::write_list<As...>(out); }, typename T::cpp_arguments{});
      out += '>';
    } else if constexpr (!std::is_void_v<detail::model_base<T>>) {
      type_spelling<detail::model_base<T>>::write(out);
    } else {
      static_assert(detail::always_false<T>,
                    "forma::io cannot spell this type in C++; give it a static constexpr std::string_view "
                    "cpp_spelling, or specialise forma::io::type_spelling for it");
    }
  }
  static void add_headers(std::vector<std::string>& out) {
    if constexpr (detail::spells_itself<T> || detail::spells_as_template<T>) {
      if constexpr (detail::has_header<T>) {
        if (!std::string_view(T::cpp_header).empty()) out.emplace_back(std::string_view(T::cpp_header));
      }
      if constexpr (detail::spells_as_template<T>)
        std::apply([&]<class... As>(As...) { detail::add_headers_of<As...>(out); }, typename T::cpp_arguments{});
    } else if constexpr (!std::is_void_v<detail::model_base<T>>) {
      type_spelling<detail::model_base<T>>::add_headers(out);
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

// Named<Id, X>: a second Input of one shape, or a second call of a layer.
template <std::size_t Id, class X>
struct type_spelling<Named<Id, X>> {
  static void write(std::string& out) {
    out += "forma::Named<" + std::to_string(Id) + ", ";
    type_spelling<X>::write(out);
    out += ">";
  }
  static void add_headers(std::vector<std::string>& out) {
    out.emplace_back(is_input<X> ? "forma/layers/input.hpp" : "forma/layers/named.hpp");
    type_spelling<X>::add_headers(out);
  }
};

// A graph's nodes: a chain of calls on a root, and a merge.
template <class Root, class... Ls>
struct type_spelling<SymbolicTensor<Root, Ls...>> {
  static void write(std::string& out) {
    out += "forma::SymbolicTensor<";
    detail::write_list<Root, Ls...>(out);
    out += ">";
  }
  static void add_headers(std::vector<std::string>& out) {
    out.emplace_back("forma/layers/symbolic.hpp");
    detail::add_headers_of<Root, Ls...>(out);
  }
};
template <class M, class... Args>
struct type_spelling<Merged<M, Args...>> {
  static void write(std::string& out) {
    out += "forma::Merged<";
    detail::write_list<M, Args...>(out);
    out += ">";
  }
  static void add_headers(std::vector<std::string>& out) {
    out.emplace_back("forma/layers/symbolic.hpp");
    detail::add_headers_of<M, Args...>(out);
  }
};

template <class... Ts>
struct type_spelling<graph::type_list<Ts...>> {
  static void write(std::string& out) {
    out += "forma::graph::type_list<";
    detail::write_list<Ts...>(out);
    out += ">";
  }
  static void add_headers(std::vector<std::string>& out) {
    out.emplace_back("forma/model/graph_nodes.hpp");
    detail::add_headers_of<Ts...>(out);
  }
};

template <Scalar T, class Inputs, class Nodes>
struct type_spelling<GraphNetwork<T, Inputs, Nodes>> {
  static void write(std::string& out) {
    out += "forma::GraphNetwork<";
    detail::write_list<T, Inputs, Nodes>(out);
    out += ">";
  }
  static void add_headers(std::vector<std::string>& out) {
    out.emplace_back("forma/model/graph.hpp");
    detail::add_headers_of<Inputs, Nodes>(out);
  }
};

// A type spelled with names for its parts: `aliases` (name, type), each
// using only those before it, then `type`, which uses them.
struct aliased_spelling {
  std::vector<std::pair<std::string, std::string>> aliases;
  std::string type;
};

namespace detail {

// A graph's values as aliases value_0, value_1, ... in GraphNetwork's
// numbering (architecture_signature's too): its Inputs, then its nodes. A
// node's alias names the values it reads by their aliases.
template <class Inputs, class Nodes>
struct graph_aliases {
  static std::string alias_of(std::size_t v) { return "value_" + std::to_string(v); }

  template <class X>
  static void write_ref(std::string& out, std::string_view scope) {
    if constexpr (graph::contains<X, Inputs>)
      out += std::string(scope) + alias_of(graph::index_of<X, Inputs>);
    else if constexpr (graph::contains<X, Nodes>)
      out += std::string(scope) + alias_of(Inputs::size + graph::index_of<X, Nodes>);
    else
      type_spelling<X>::write(out);
  }

  template <class X>
  struct node {  // an Input
    static void write(std::string& out) { type_spelling<X>::write(out); }
  };
  template <class Root, class... Ls>
  struct node<SymbolicTensor<Root, Ls...>> {
    static void write(std::string& out) {
      out += "forma::SymbolicTensor<";
      write_ref<Root>(out, {});
      ((out += ", ", type_spelling<Ls>::write(out)), ...);
      out += ">";
    }
  };
  template <class M, class... Args>
  struct node<Merged<M, Args...>> {
    static void write(std::string& out) {
      out += "forma::Merged<";
      type_spelling<M>::write(out);
      ((out += ", ", write_ref<Args>(out, {})), ...);
      out += ">";
    }
  };

  template <class X>
  static void add(aliased_spelling& s) {
    std::string type;
    node<X>::write(type);
    s.aliases.emplace_back(alias_of(s.aliases.size()), std::move(type));
  }
  template <class List>
  struct refs;
  template <class... Xs>
  struct refs<graph::type_list<Xs...>> {
    static void write(std::string& out, std::string_view scope) {
      out += "forma::graph::type_list<";
      bool first = true;
      ((out += first ? "" : ", ", first = false, write_ref<Xs>(out, scope)), ...);
      out += ">";
    }
    static void add_all(aliased_spelling& s) { (add<Xs>(s), ...); }
  };
};

}  // namespace detail

// T spelled with aliases where that is shorter: for a graph model one per
// value (value_0 = its first Input, ...), the type naming them as
// `scope` + alias ("values::" if they are declared in namespace values);
// for any other type no aliases and spelling<T>().
template <class T>
aliased_spelling spelling_with_aliases(std::string_view scope = {}) {
  aliased_spelling s;
  using M = std::remove_cv_t<T>;
  if constexpr (!detail::spells_itself<M> && detail::is_graph_model<M>) {
    using G = detail::graph_base<M>;
    using inputs = typename detail::graph_parts<G>::inputs;
    using nodes = typename detail::graph_parts<G>::nodes;
    using aliases = detail::graph_aliases<inputs, nodes>;
    aliases::template refs<inputs>::add_all(s);
    aliases::template refs<nodes>::add_all(s);
    s.type = "forma::GraphNetwork<";
    type_spelling<typename G::value_type>::write(s.type);
    s.type += ", ";
    aliases::template refs<inputs>::write(s.type, scope);
    s.type += ", ";
    aliases::template refs<nodes>::write(s.type, scope);
    s.type += ">";
  } else {
    type_spelling<M>::write(s.type);
  }
  return s;
}

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
