#pragma once
#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "forma/kernels/backend.hpp"
#include "forma/kernels/optimizer_updates.hpp"
#include "forma/train/optim/parameter_walk.hpp"

namespace forma::optim {

// Keras' RMSprop (no momentum, not centered): s = rho s + (1 - rho) g^2,
// w -= lr g / (sqrt(s) + epsilon).
struct RMSprop {
  static constexpr std::string_view name = "RMSprop";
  double learning_rate = 0.001;
  double rho = 0.9;
  double epsilon = 1e-7;

  // The running average of squared gradients, of the model's parameter type.
  template <class Params>
  struct state {
    Params average{};
  };

  template <class T>
  using rule = kernels::rmsprop_rule<T>;
  template <class T, class StateParams>
  rule<T> begin_step(state<StateParams>&) const noexcept {
    return rule<T>::from(learning_rate, rho, epsilon);
  }
  template <std::size_t K, class T, class StateParams>
  static kernels::slot_arrays<T, 1> slots_of(state<StateParams>& s) noexcept {
    return {std::get<K>(s.average).values().data()};
  }

  template <class Backend = kernels::native, class Params, class StateParams>
  bool apply(Params& weights, const Params& grads, state<StateParams>& s) const noexcept {
    static_assert(std::is_same_v<Params, StateParams>,
                  "forma::optim::RMSprop: this optimizer state belongs to a model of another architecture");
    const auto rule = begin_step<double>(s);
    bool finite = true;
    detail::for_each_parameter_array(
        weights, grads,
        [&]<class T>(T* w, const T* g, T* a, std::size_t n) {
          finite &= kernels::apply_rule(Backend{}, rule.template as<T>(), w, g, {a}, n);
        },
        s.average);
    return finite;
  }
};

}  // namespace forma::optim
