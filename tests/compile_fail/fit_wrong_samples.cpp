// fit takes samples of the model's input shape.
// EXPECT: forma: samples must be Tensors of the model's input shape and scalar type
#include <vector>

#include <forma/layers/dense.hpp>
#include <forma/layers/flatten.hpp>
#include <forma/layers/input.hpp>
#include <forma/model/sequential.hpp>
#include <forma/train/loss/mean_squared_error.hpp>
#include <forma/train/optim/sgd.hpp>
#include <forma/train/trainer.hpp>

using namespace forma;
using M = Sequential<Input<28, 28, 1>, Flatten, Dense<1>>;

void train(M& model, const std::vector<Tensor<Shape<1>>>& y) {
  auto trainer = compile(model, loss::MeanSquaredError{}, optim::SGD{});
#ifdef FORMA_COMPILE_FAIL
  std::vector<Tensor<Shape<32, 32, 3>>> x(y.size());
#else
  std::vector<Tensor<Shape<28, 28, 1>>> x(y.size());
#endif
  trainer.fit<8>(x, y, {.verbose = 0});
}
