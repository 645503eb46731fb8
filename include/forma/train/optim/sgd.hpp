#pragma once
#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "forma/kernels/backend.hpp"
#include "forma/kernels/optimizer_updates.hpp"
#include "forma/train/optim/parameter_walk.hpp"

namespace forma::optim {

// Keras' SGD: w -= lr g; with momentum v = momentum v - lr g, w += v
// (Nesterov: w += momentum v - lr g).
struct SGD {
  static constexpr std::string_view name = "SGD";
  double learning_rate = 0.01;
  double momentum = 0.0;
  bool nesterov = false;

  // One velocity per parameter: an object of the model's own parameter type.
  template <class Params>
  struct state {
    Params velocity{};
  };

  template <class T>
  using rule = kernels::sgd_rule<T>;
  template <class T, class StateParams>
  rule<T> begin_step(state<StateParams>&) const noexcept {
    return {static_cast<T>(learning_rate), static_cast<T>(momentum), nesterov};
  }
  template <std::size_t K, class T, class StateParams>
  static kernels::slot_arrays<T, 1> slots_of(state<StateParams>& s) noexcept {
    return {std::get<K>(s.velocity).values().data()};
  }

  // Returns false if some new weight was not finite (that weight is kept).
  template <class Backend = kernels::native, class Params, class StateParams>
  bool apply(Params& weights, const Params& grads, state<StateParams>& s) const noexcept {
    static_assert(std::is_same_v<Params, StateParams>,
                  "forma::optim::SGD: this optimizer state belongs to a model of another architecture");
    const auto rule = begin_step<double>(s);
    bool finite = true;
    if (momentum == 0.0) {  // the velocity is neither read nor written
      detail::for_each_parameter_array(weights, grads, [&]<class T>(T* w, const T* g, std::size_t n) {
        finite &= kernels::apply_rule(Backend{}, kernels::plain_sgd_rule<T>{static_cast<T>(learning_rate)}, w, g,
                                      {}, n);
      });
      return finite;
    }
    detail::for_each_parameter_array(
        weights, grads,
        [&]<class T>(T* w, const T* g, T* v, std::size_t n) {
          finite &= kernels::apply_rule(Backend{}, rule.template as<T>(), w, g, {v}, n);
        },
        s.velocity);
    return finite;
  }
};

}  // namespace forma::optim
