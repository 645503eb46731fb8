#pragma once
#include <cmath>
#include <cstdint>
#include <string_view>
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

  template <class Backend = kernels::native, class Params, class StateParams>
  bool apply(Params& weights, const Params& grads, state<StateParams>& s) const noexcept {
    static_assert(std::is_same_v<Params, StateParams>,
                  "forma::optim::Adam: this optimizer state belongs to a model of another architecture");
    const double t = static_cast<double>(++s.iterations);
    const double lr_t = learning_rate * std::sqrt(1.0 - std::pow(beta_2, t)) / (1.0 - std::pow(beta_1, t));
    bool finite = true;
    detail::for_each_parameter_array(
        weights, grads,
        [&]<class T>(T* w, const T* g, T* m, T* v, std::size_t n) {
          finite &= kernels::adam_update(Backend{}, w, g, m, v, n, static_cast<T>(lr_t), static_cast<T>(beta_1),
                                         static_cast<T>(beta_2), static_cast<T>(epsilon));
        },
        s.m, s.v);
    return finite;
  }
};

}  // namespace forma::optim
