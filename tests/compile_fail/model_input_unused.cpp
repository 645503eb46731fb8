// A Model given two Inputs whose output is computed from the first only: the
// second would be fed and never read. (Two Inputs of one shape are one type;
// this one is told apart by Named<1, Input<4>>.)
// EXPECT: forma::Model is given an Input its output does not use
#include <tuple>
#include <type_traits>

#include <forma/layers/add.hpp>
#include <forma/layers/dense.hpp>
#include <forma/layers/input.hpp>
#include <forma/model/functional.hpp>

using namespace forma;

constexpr auto a = Input<4>{};
constexpr auto b = Named<1, Input<4>>{};
static_assert(!std::is_same_v<decltype(a), decltype(b)>);

#ifdef FORMA_COMPILE_FAIL
constexpr auto out = Dense<3>{}(Dense<8>{}(a));
#else
constexpr auto out = Dense<3>{}(Add{}(Dense<8>{}(a), Dense<8>{}(b)));
#endif
using M = Model<std::tuple<decltype(a), decltype(b)>, decltype(out)>;

#ifndef FORMA_COMPILE_FAIL
static_assert(M::valid && M::input_count == 2);
static_assert(M::param_count == 2 * (4 * 8 + 8) + (8 * 3 + 3));
#endif

// Instantiates the model, which runs its checks.
[[maybe_unused]] constexpr bool model_is_valid = M::valid;
