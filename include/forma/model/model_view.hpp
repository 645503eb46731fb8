#pragma once
// ModelView<Net>: inference on parameters the view does not own, such as
// weights compiled into a program as constexpr arrays. The weights stay in
// read-only memory; the view is a pointer, and RAM holds only activations.
#include <cstddef>
#include <span>

#include "forma/core/tensor.hpp"

namespace forma {

template <class Net>
class ModelView {
 public:
  using model_type = Net;
  using value_type = typename Net::value_type;
  using input_shape = typename Net::input_shape;
  using output_shape = typename Net::output_shape;
  using params_type = typename Net::params_type;
  using state_type = typename Net::state_type;
  template <std::size_t B>
  using workspace = typename Net::template workspace<B>;

  // A model with non-trainable state (BatchNormalization) needs it too:
  // export_header writes both.
  constexpr explicit ModelView(const params_type& params) noexcept
    requires(Net::state_count == 0)
      : params_(&params), state_(&no_state_) {}
  constexpr ModelView(const params_type& params, const state_type& state) noexcept
      : params_(&params), state_(&state) {}

  const params_type& params() const noexcept { return *params_; }
  const state_type& state() const noexcept { return *state_; }

  // One sample: one tensor per Input of the model.
  template <class... Xs>
  Tensor<output_shape, value_type> predict(const Xs&... xs) const noexcept {
    return Net::predict_on(*params_, *state_, xs...);
  }
  // Batches of B: a span of samples, or a tuple of spans (one per Input).
  template <std::size_t B, class Xs>
  std::size_t predict(const Xs& xs, std::span<Tensor<output_shape, value_type>> ys, workspace<B>& ws) const noexcept {
    return Net::template predict_on<B>(*params_, *state_, xs, ys, ws);
  }
  template <std::size_t B, class Xs>
  std::size_t predict(const Xs& xs, std::span<Tensor<output_shape, value_type>> ys) const noexcept {
    return Net::template predict_on<B>(*params_, *state_, xs, ys);
  }

 private:
  static constexpr state_type no_state_{};
  const params_type* params_;
  const state_type* state_;
};

}  // namespace forma
