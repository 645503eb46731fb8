// A dropout rate of 1 or more (or below 0) is no probability of dropping.
// EXPECT: forma::Dropout needs a rate in \[0, 1\)
#include <ratio>

#include <forma/layers/dense.hpp>
#include <forma/layers/dropout.hpp>
#include <forma/layers/input.hpp>
#include <forma/model/sequential.hpp>

using namespace forma;

#ifdef FORMA_COMPILE_FAIL
using M = Sequential<Input<8>, Dense<4>, Dropout<std::ratio<1, 1>>, Dense<2>>;
#else
using M = Sequential<Input<8>, Dense<4>, Dropout<std::ratio<99, 100>>, Dense<2>>;
static_assert(M::valid && M::param_count == (8 * 4 + 4) + (4 * 2 + 2));
#endif

[[maybe_unused]] constexpr bool model_is_valid = M::valid;
