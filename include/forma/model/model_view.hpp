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
  template <std::size_t B>
  using workspace = typename Net::template workspace<B>;

  constexpr explicit ModelView(const params_type& params) noexcept : params_(&params) {}

  const params_type& params() const noexcept { return *params_; }

  // One sample: one tensor per Input of the model.
  template <class... Xs>
  Tensor<output_shape, value_type> predict(const Xs&... xs) const noexcept {
    return Net::predict_on(*params_, xs...);
  }
  // Batches of B: a span of samples, or a tuple of spans (one per Input).
  template <std::size_t B, class Xs>
  std::size_t predict(const Xs& xs, std::span<Tensor<output_shape, value_type>> ys, workspace<B>& ws) const noexcept {
    return Net::template predict_on<B>(*params_, xs, ys, ws);
  }
  template <std::size_t B, class Xs>
  std::size_t predict(const Xs& xs, std::span<Tensor<output_shape, value_type>> ys) const noexcept {
    return Net::template predict_on<B>(*params_, xs, ys);
  }

 private:
  const params_type* params_;
};

}  // namespace forma
