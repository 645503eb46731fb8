// Labels must have the model's output shape: ten classes need one-hot
// tensors of ten values, not five.
// EXPECT: forma: labels must have the model's output shape
#include <vector>

#include <forma/activations/activations.hpp>
#include <forma/layers/dense.hpp>
#include <forma/layers/input.hpp>
#include <forma/model/sequential.hpp>
#include <forma/train/loss/categorical_crossentropy.hpp>
#include <forma/train/optim/sgd.hpp>
#include <forma/train/trainer.hpp>

using namespace forma;
using M = Sequential<Input<4>, Dense<10, Softmax>>;

void train(M& model, const std::vector<Tensor<Shape<4>>>& x) {
  auto trainer = compile(model, loss::CategoricalCrossentropy{}, optim::SGD{});
#ifdef FORMA_COMPILE_FAIL
  std::vector<Tensor<Shape<5>>> y(x.size());
#else
  std::vector<Tensor<Shape<10>>> y(x.size());
#endif
  trainer.fit<8>(x, y, {.verbose = 0});
}
