// An optimizer of one's own with hyperparameters but no update rule:
// compile's Optimizer constraint says so.
// EXPECT: the optimizer must model forma::Optimizer
#include <cstdint>
#include <string_view>

#include <forma/forma.hpp>

using namespace forma;

using Net = Sequential<Input<4>, Dense<3, Softmax>>;

#ifdef FORMA_COMPILE_FAIL
// Names itself and has a learning rate, as Keras' optimizers do, but says
// nothing of how a weight changes.
struct Momentumless {
  static constexpr std::string_view name = "Momentumless";
  double learning_rate = 0.1;
  template <class Params>
  struct state {};
};
#else
using Momentumless = optim::SGD;
#endif

// (The result is not kept: a failed compile returns nothing, and a variable
// of it would be a second error of the test's own making.)
int main() {
  Net net;
  (void)compile(net, loss::CategoricalCrossentropy{}, Momentumless{});
}
