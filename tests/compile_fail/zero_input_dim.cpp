// An input with a zero dimension holds nothing.
// EXPECT: forma::Input needs every dimension above zero
#include <forma/layers/dense.hpp>
#include <forma/layers/flatten.hpp>
#include <forma/layers/input.hpp>
#include <forma/model/sequential.hpp>

using namespace forma;

#ifdef FORMA_COMPILE_FAIL
using M = Sequential<Input<0, 3>, Flatten, Dense<4>>;
#else
using M = Sequential<Input<2, 3>, Flatten, Dense<4>>;
static_assert(M::valid && M::param_count == 2 * 3 * 4 + 4);
#endif

// Instantiates the model, which runs its checks.
[[maybe_unused]] constexpr bool model_is_valid = M::valid;
