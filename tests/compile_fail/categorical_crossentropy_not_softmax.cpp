// Categorical cross-entropy reads the output as a distribution, so the
// output must be a softmax; a linear output needs the from-logits form.
// EXPECT: forma::loss::CategoricalCrossentropy needs a Softmax output; for a linear output use CategoricalCrossentropy<true>
#include <forma/activations/activations.hpp>
#include <forma/layers/dense.hpp>
#include <forma/layers/input.hpp>
#include <forma/model/sequential.hpp>
#include <forma/train/loss/categorical_crossentropy.hpp>
#include <forma/train/optim/adam.hpp>
#include <forma/train/trainer.hpp>

using namespace forma;
using M = Sequential<Input<8>, Dense<3, ReLU>>;

void make(M& model) {
#ifdef FORMA_COMPILE_FAIL
  auto trainer = compile(model, loss::CategoricalCrossentropy{}, optim::Adam{});
#else
  auto trainer = compile(model, loss::CategoricalCrossentropy<true>{}, optim::Adam{});
#endif
  (void)trainer;
}
