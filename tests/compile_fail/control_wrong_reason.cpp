// CONTROL: must be reported as a failure by the checker (meson: should_fail).
// The mistake's branch fails, but for the wrong reason (a missing header), so
// the EXPECT regex, a real library message, matches nothing. A checker that
// passes on any error would pass this file.
// EXPECT: forma::Dense needs a rank-1 input; put Flatten before it
#include <forma/layers/dense.hpp>
#include <forma/layers/flatten.hpp>
#include <forma/layers/input.hpp>
#include <forma/model/sequential.hpp>

using namespace forma;

#ifdef FORMA_COMPILE_FAIL
#include <forma/no_such_header.hpp>
using M = Sequential<Input<32, 32, 3>, Flatten, Dense<10>>;
#else
using M = Sequential<Input<32, 32, 3>, Flatten, Dense<10>>;
#endif

[[maybe_unused]] constexpr bool model_is_valid = M::valid;
