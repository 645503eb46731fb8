#pragma once
#include <string_view>
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

  // Returns false if some new weight was not finite (that weight is kept).
  template <class Backend = kernels::native, class Params, class StateParams>
  bool apply(Params& weights, const Params& grads, state<StateParams>& s) const noexcept {
    static_assert(std::is_same_v<Params, StateParams>,
                  "forma::optim::SGD: this optimizer state belongs to a model of another architecture");
    bool finite = true;
    if (momentum == 0.0) {
      detail::for_each_parameter_array(weights, grads, [&]<class T>(T* w, const T* g, std::size_t n) {
        finite &= kernels::sgd_update(Backend{}, w, g, n, static_cast<T>(learning_rate));
      });
    } else {
      detail::for_each_parameter_array(
          weights, grads,
          [&]<class T>(T* w, const T* g, T* v, std::size_t n) {
            finite &= kernels::momentum_update(Backend{}, w, g, v, n, static_cast<T>(learning_rate),
                                               static_cast<T>(momentum), nesterov);
          },
          s.velocity);
    }
    return finite;
  }
};

}  // namespace forma::optim
