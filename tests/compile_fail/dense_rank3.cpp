// Dense on an image: Dense takes a rank-1 input, so a rank-3 one needs a
// Flatten first. The failed condition shows the shape, rank_is<Shape<32, 32, 3>, 1>.
// EXPECT: forma::Dense needs a rank-1 input; put Flatten before it
#include <forma/layers/dense.hpp>
#include <forma/layers/flatten.hpp>
#include <forma/layers/input.hpp>
#include <forma/model/sequential.hpp>

using namespace forma;

#ifdef FORMA_COMPILE_FAIL
using M = Sequential<Input<32, 32, 3>, Dense<10>>;
#else
using M = Sequential<Input<32, 32, 3>, Flatten, Dense<10>>;
static_assert(M::valid && M::param_count == 32 * 32 * 3 * 10 + 10);
#endif

// Instantiates the model, which runs its shape checks.
[[maybe_unused]] constexpr bool model_is_valid = M::valid;
