// A two-input graph whose output also reads a third Input that the Model's
// tuple does not list: the model would have nothing to feed it.
// EXPECT: forma::Model's output is not computed from its inputs
#include <tuple>

#include <forma/layers/add.hpp>
#include <forma/layers/concatenate.hpp>
#include <forma/layers/dense.hpp>
#include <forma/layers/input.hpp>
#include <forma/model/functional.hpp>

using namespace forma;

constexpr auto a = Input<4>{};
constexpr auto b = Input<6>{};
constexpr auto c = Input<3>{};
constexpr auto out = Dense<2>{}(Concatenate{}(Add{}(Dense<5>{}(a), Dense<5>{}(b)), c));

#ifdef FORMA_COMPILE_FAIL
using M = Model<std::tuple<decltype(a), decltype(b)>, decltype(out)>;
#else
using M = Model<std::tuple<decltype(a), decltype(b), decltype(c)>, decltype(out)>;
static_assert(M::valid && M::input_count == 3);
static_assert(M::param_count == (4 * 5 + 5) + (6 * 5 + 5) + (8 * 2 + 2));
#endif

// Instantiates the model, which runs its checks.
[[maybe_unused]] constexpr bool model_is_valid = M::valid;
