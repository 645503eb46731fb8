// predict takes a tensor of the model's input shape, not of another image size.
// EXPECT: forma: predict needs a tensor of the model's input shape
#include <forma/core/shape.hpp>
#include <forma/core/tensor.hpp>
#include <forma/layers/dense.hpp>
#include <forma/layers/flatten.hpp>
#include <forma/layers/input.hpp>
#include <forma/model/sequential.hpp>

using namespace forma;

using M = Sequential<Input<32, 32, 3>, Flatten, Dense<10>>;

int main() {
  static M model;
#ifdef FORMA_COMPILE_FAIL
  Tensor<Shape<28, 28, 1>> image;
#else
  Tensor<Shape<32, 32, 3>> image;
#endif
  const auto y = model.predict(image);
  return y[0] > 0.0f ? 0 : 1;
}
