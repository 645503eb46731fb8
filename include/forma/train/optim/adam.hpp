#pragma once
#include <cmath>
#include <cstdint>
#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "forma/kernels/backend.hpp"
#include "forma/kernels/optimizer_updates.hpp"
#include "forma/train/optim/parameter_walk.hpp"

namespace forma::optim {

// Keras' Adam: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2,
// w -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + epsilon).
// (PyTorch adds epsilon after dividing sqrt(v) by sqrt(1 - b2^t): the same
// rule with epsilon scaled by sqrt(1 - b2^t).)
struct Adam {
  static constexpr std::string_view name = "Adam";
  double learning_rate = 0.001;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;

  // First and second moments: objects of the model's own parameter type.
  template <class Params>
  struct state {
    Params m{};
    Params v{};
    std::uint64_t iterations = 0;
  };

  // One step's rule (its bias-corrected rate), counting the step.
  template <class T>
  using rule = kernels::adam_rule<T>;
  template <class T, class StateParams>
  rule<T> begin_step(state<StateParams>& s) const noexcept {
    const double t = static_cast<double>(++s.iterations);
    const double lr_t = learning_rate * std::sqrt(1.0 - std::pow(beta_2, t)) / (1.0 - std::pow(beta_1, t));
    return rule<T>::from(lr_t, beta_1, beta_2, epsilon);
  }
  // The state arrays of layer K, in the rule's slot order.
  template <std::size_t K, class T, class StateParams>
  static kernels::slot_arrays<T, 2> slots_of(state<StateParams>& s) noexcept {
    return {std::get<K>(s.m).values().data(), std::get<K>(s.v).values().data()};
  }

  template <class Backend = kernels::native, class Params, class StateParams>
  bool apply(Params& weights, const Params& grads, state<StateParams>& s) const noexcept {
    static_assert(std::is_same_v<Params, StateParams>,
                  "forma::optim::Adam: this optimizer state belongs to a model of another architecture");
    const auto rule = begin_step<double>(s);
    bool finite = true;
    detail::for_each_parameter_array(
        weights, grads,
        [&]<class T>(T* w, const T* g, T* m, T* v, std::size_t n) {
          finite &= kernels::apply_rule(Backend{}, rule.template as<T>(), w, g, {m, v}, n);
        },
        s.m, s.v);
    return finite;
  }
};

}  // namespace forma::optim
