// CONTROL: must be reported as a failure by the checker (meson: should_fail).
// The mistake's branch has no mistake: it compiles, so there is nothing for
// the EXPECT regex to match.
// EXPECT: forma::Dense needs a rank-1 input; put Flatten before it
#include <forma/layers/dense.hpp>
#include <forma/layers/flatten.hpp>
#include <forma/layers/input.hpp>
#include <forma/model/sequential.hpp>

using namespace forma;

#ifdef FORMA_COMPILE_FAIL
using M = Sequential<Input<32, 32, 3>, Flatten, Dense<10>>;
#else
using M = Sequential<Input<32, 32, 3>, Flatten, Dense<10>>;
#endif

[[maybe_unused]] constexpr bool model_is_valid = M::valid;
