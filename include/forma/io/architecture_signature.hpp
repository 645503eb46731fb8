#pragma once
// architecture_signature<Model>(): the architecture as a string known at
// compile time, e.g.
//
//   Input(32,32,3)-Flatten-Dense(200,relu)-Dense(150,relu)-Dense(10,softmax)
//
// Weights files record it, so that weights of another model that merely has
// tensors of the same shapes (Dense(200,tanh) for Dense(200,relu)) are
// refused. The scalar type is not part of it: it is the tensors' dtype.
//
// A graph (GraphNetwork: skip connections, merges, several inputs) records
// its wiring too, so that the same layers wired otherwise are another
// architecture: its Inputs in order, then each node in the order it runs,
// followed by the values it reads in brackets. Values 0 .. I-1 are the I
// Inputs and value I+K is node K's output (GraphNetwork::node_inputs), e.g.
//
//   Input(784)-Dense(128,relu)[0]-Dense(128,tanh)[1]-Add[1,2]-Concatenate[3,0]-Dense(10,softmax)[4]
//
// A chain never has brackets, so its signature is the one it always had. The
// order of a merge's inputs counts even where the merge does not care (Add).
//
// A layer is written as its name, except where layer_signature is
// specialised: Dense as Dense(units,activation), Activation as
// Activation(function); Named<Id, L> as L (the Id tells calls apart in the
// type, the wiring tells them apart here). A custom layer with settings that
// matter specialises forma::io::layer_signature<MyLayer> the same way
// (write(sink) with sink.put(std::string_view), sink.put(char),
// sink.put_number(std::size_t)).
#include <array>
#include <cstddef>
#include <ratio>
#include <string_view>
#include <utility>

#include "forma/activations/leaky_relu.hpp"
#include "forma/io/model_base.hpp"
#include "forma/layers/activation.hpp"
#include "forma/layers/dense.hpp"
#include "forma/layers/named.hpp"

namespace forma::io {

// How an activation appears inside a layer's signature: its name, and for a
// LeakyReLU its slope as a reduced fraction (leaky_relu(3/10)).
template <class A>
struct activation_signature {
  template <class Sink>
  static constexpr void write(Sink& s) {
    s.put(std::string_view(A::name));
  }
};
template <class Slope>
struct activation_signature<LeakyReLUWith<Slope>> {
  template <class Sink>
  static constexpr void write(Sink& s) {
    s.put(std::string_view(LeakyReLUWith<Slope>::name));
    s.put('(');
    s.put_number(static_cast<std::size_t>(Slope::num));
    s.put('/');
    s.put_number(static_cast<std::size_t>(Slope::den));
    s.put(')');
  }
};

template <class L>
struct layer_signature {
  template <class Sink>
  static constexpr void write(Sink& s) {
    s.put(std::string_view(L::name));
  }
};
template <std::size_t Units, class Act>
struct layer_signature<Dense<Units, Act>> {
  template <class Sink>
  static constexpr void write(Sink& s) {
    s.put(std::string_view(Dense<Units, Act>::name));
    s.put('(');
    s.put_number(Units);
    s.put(',');
    activation_signature<Act>::write(s);
    s.put(')');
  }
};
template <class F>
struct layer_signature<Activation<F>> {
  template <class Sink>
  static constexpr void write(Sink& s) {
    s.put(std::string_view(Activation<F>::name));
    s.put('(');
    activation_signature<F>::write(s);
    s.put(')');
  }
};

template <std::size_t Id, class L>
struct layer_signature<Named<Id, L>> : layer_signature<L> {};

namespace detail {

// Two passes over the same writer code: one counts, one fills an array of
// exactly that size.
struct signature_counter {
  std::size_t size = 0;
  constexpr void put(std::string_view text) { size += text.size(); }
  constexpr void put(char) { ++size; }
  constexpr void put_number(std::size_t n) {
    do {
      ++size;
      n /= 10;
    } while (n != 0);
  }
};

template <std::size_t N>
struct signature_filler {
  std::array<char, N + 1> chars{};
  std::size_t size = 0;
  constexpr void put(std::string_view text) {
    for (char c : text) chars[size++] = c;
  }
  constexpr void put(char c) { chars[size++] = c; }
  constexpr void put_number(std::size_t n) {
    char digits[20]{};
    std::size_t k = 0;
    do {
      digits[k++] = static_cast<char>('0' + n % 10);
      n /= 10;
    } while (n != 0);
    while (k > 0) chars[size++] = digits[--k];
  }
};

template <class S, class Sink>
constexpr void write_input(Sink& s) {
  s.put(std::string_view("Input("));
  bool first = true;
  for (std::size_t d : S::dims) {
    if (!first) s.put(',');
    first = false;
    s.put_number(d);
  }
  s.put(')');
}

template <class Net, class Sink>
constexpr void write_architecture(Sink& s) {
  if constexpr (is_graph_model<Net>) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((s.put(std::string_view(I == 0 ? "" : "-")), write_input<typename Net::template input_shape_of<I>>(s)), ...);
    }(std::make_index_sequence<Net::input_count>{});
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      const auto node = [&]<std::size_t... V>(std::index_sequence<V...>) {
        s.put('[');
        bool first = true;
        ((s.put(std::string_view(first ? "" : ",")), first = false, s.put_number(V)), ...);
        s.put(']');
      };
      ((s.put('-'), layer_signature<typename Net::template layer_type<K>>::write(s),
        node(typename Net::template node_inputs<K>{})),
       ...);
    }(std::make_index_sequence<Net::layer_count>{});
  } else {
    write_input<typename Net::input_shape>(s);
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      ((s.put('-'), layer_signature<typename Net::template layer_type<K>>::write(s)), ...);
    }(std::make_index_sequence<Net::layer_count>{});
  }
}

template <class Net>
inline constexpr std::size_t signature_size = [] {
  signature_counter c;
  write_architecture<Net>(c);
  return c.size;
}();

template <class Net>
inline constexpr auto signature_chars = [] {
  signature_filler<signature_size<Net>> f;
  write_architecture<Net>(f);
  return f.chars;
}();

}  // namespace detail

// A view of static storage: valid for the whole program, usable in
// static_assert.
template <class Net>
constexpr std::string_view architecture_signature() noexcept {
  static_assert(Net::valid, "forma::io::architecture_signature needs a valid model");
  return std::string_view(detail::signature_chars<Net>.data(), detail::signature_size<Net>);
}

}  // namespace forma::io
