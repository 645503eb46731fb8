// A Dense layer with no units has no output.
// EXPECT: forma::Dense needs at least one unit
#include <forma/layers/dense.hpp>
#include <forma/layers/flatten.hpp>
#include <forma/layers/input.hpp>
#include <forma/model/sequential.hpp>

using namespace forma;

#ifdef FORMA_COMPILE_FAIL
using M = Sequential<Input<8>, Dense<0>>;
#else
using M = Sequential<Input<8>, Dense<1>>;
static_assert(M::valid && M::param_count == 8 * 1 + 1);
#endif

// Instantiates the model, which runs its checks.
[[maybe_unused]] constexpr bool model_is_valid = M::valid;
