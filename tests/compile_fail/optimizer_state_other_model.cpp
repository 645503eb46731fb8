// An optimizer's state is a type computed from one model's parameters:
// Adam's moments for a 4-8-2 network cannot update a 4-8-3 one.
// EXPECT: forma::optim::Adam: this optimizer state belongs to a model of another architecture
#include <memory>

#include <forma/activations/activations.hpp>
#include <forma/layers/dense.hpp>
#include <forma/layers/input.hpp>
#include <forma/model/sequential.hpp>
#include <forma/train/optim/adam.hpp>

using namespace forma;
using A = Sequential<Input<4>, Dense<8, ReLU>, Dense<2>>;
using B = Sequential<Input<4>, Dense<8, ReLU>, Dense<3>>;

void step(B& model, const B::params_type& gradients) {
  optim::Adam adam;
#ifdef FORMA_COMPILE_FAIL
  auto state = std::make_unique<optim::Adam::state<A::params_type>>();
#else
  auto state = std::make_unique<optim::Adam::state<B::params_type>>();
#endif
  adam.apply(model.params(), gradients, *state);
}
