#pragma once
// optimizer_state_traits<State>: what of an optimizer's state a checkpoint
// stores. Each slot is an object of the model's params_type (Adam's m and v,
// RMSprop's average, SGD's velocity), saved as "optimizer.<slot>.<tensor>",
// e.g. optimizer.m.dense.kernel; a step counter (Adam's iterations) goes in
// the metadata. Another optimizer specialises it the same way.
#include <cstdint>
#include <string_view>

#include "forma/train/optim/adam.hpp"
#include "forma/train/optim/rmsprop.hpp"
#include "forma/train/optim/sgd.hpp"

namespace forma::io {

template <class State>
struct optimizer_state_traits {
  static_assert(sizeof(State) == 0,
                "forma::io does not know this optimizer's state; specialise forma::io::optimizer_state_traits "
                "for it (see forma/io/optimizer_state.hpp)");
};

template <class Params>
struct optimizer_state_traits<optim::Adam::state<Params>> {
  static constexpr bool has_iterations = true;
  // f(slot name, params object); S is the state, const or not.
  template <class S, class F>
  static void for_each_slot(S& s, F&& f) {
    f(std::string_view("m"), s.m);
    f(std::string_view("v"), s.v);
  }
  template <class S>
  static auto& iterations(S& s) noexcept {
    return s.iterations;
  }
};

template <class Params>
struct optimizer_state_traits<optim::RMSprop::state<Params>> {
  static constexpr bool has_iterations = false;
  template <class S, class F>
  static void for_each_slot(S& s, F&& f) {
    f(std::string_view("average"), s.average);
  }
};

template <class Params>
struct optimizer_state_traits<optim::SGD::state<Params>> {
  static constexpr bool has_iterations = false;
  template <class S, class F>
  static void for_each_slot(S& s, F&& f) {
    f(std::string_view("velocity"), s.velocity);
  }
};

}  // namespace forma::io
