// A functional Model whose output was built from another Input than the one
// it is given.
// EXPECT: forma::Model's output is not computed from its input
#include <forma/layers/dense.hpp>
#include <forma/layers/input.hpp>
#include <forma/model/functional.hpp>

using namespace forma;

constexpr auto in_a = Input<16>{};

#ifdef FORMA_COMPILE_FAIL
constexpr auto in_b = Input<8>{};
constexpr auto out_b = Dense<4>{}(Dense<10>{}(in_b));
using M = Model<decltype(in_a), decltype(out_b)>;
#else
constexpr auto out_a = Dense<4>{}(Dense<10>{}(in_a));
using M = Model<decltype(in_a), decltype(out_a)>;
static_assert(M::valid && M::param_count == (16 * 10 + 10) + (10 * 4 + 4));
#endif

// Instantiates the model, which runs its checks.
[[maybe_unused]] constexpr bool model_is_valid = M::valid;
