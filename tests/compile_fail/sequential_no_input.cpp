// A Sequential starts with the Input that gives its shape; a layer cannot.
// EXPECT: forma::Sequential needs Input<\.\.\.> as its first layer
#include <forma/layers/dense.hpp>
#include <forma/layers/flatten.hpp>
#include <forma/layers/input.hpp>
#include <forma/model/sequential.hpp>

using namespace forma;

#ifdef FORMA_COMPILE_FAIL
using M = Sequential<Flatten, Dense<10>>;
#else
using M = Sequential<Input<28, 28>, Flatten, Dense<10>>;
static_assert(M::valid && M::param_count == 28 * 28 * 10 + 10);
#endif

// Instantiates the model, which runs its checks.
[[maybe_unused]] constexpr bool model_is_valid = M::valid;
