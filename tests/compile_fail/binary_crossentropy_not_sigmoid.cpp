// Binary cross-entropy reads the output as probabilities, so the output
// must be a sigmoid; a linear output needs the from-logits form.
// EXPECT: forma::loss::BinaryCrossentropy needs a Sigmoid output; for a linear output use BinaryCrossentropy<true>
#include <forma/activations/activations.hpp>
#include <forma/layers/dense.hpp>
#include <forma/layers/input.hpp>
#include <forma/model/sequential.hpp>
#include <forma/train/loss/binary_crossentropy.hpp>
#include <forma/train/optim/adam.hpp>
#include <forma/train/trainer.hpp>

using namespace forma;
using M = Sequential<Input<2>, Dense<4, Tanh>, Dense<1>>;

void make(M& model) {
#ifdef FORMA_COMPILE_FAIL
  auto trainer = compile(model, loss::BinaryCrossentropy{}, optim::Adam{});
#else
  auto trainer = compile(model, loss::BinaryCrossentropy<true>{}, optim::Adam{});
#endif
  (void)trainer;
}
