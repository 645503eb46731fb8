// Concatenate joins its inputs along the last axis, so every other dimension
// must agree: a Shape<2, 3> and a Shape<4, 3> differ in their first. (Inputs
// of different ranks fail with the same message.) The failed condition shows
// both shapes: concatenable<ShapeList<Shape<2, 3>, Shape<4, 3>>>.
// EXPECT: forma::Concatenate needs inputs of one rank that differ in their last dimension only
#include <tuple>
#include <type_traits>

#include <forma/core/shape.hpp>
#include <forma/layers/concatenate.hpp>
#include <forma/layers/dense.hpp>
#include <forma/layers/flatten.hpp>
#include <forma/layers/input.hpp>
#include <forma/model/functional.hpp>

using namespace forma;

constexpr auto a = Input<2, 3>{};

#ifdef FORMA_COMPILE_FAIL
constexpr auto b = Input<4, 3>{};
#else
constexpr auto b = Input<2, 5>{};
#endif
constexpr auto joined = Concatenate{}(a, b);
constexpr auto out = Dense<4>{}(Flatten{}(joined));
using M = Model<std::tuple<decltype(a), decltype(b)>, decltype(out)>;

#ifndef FORMA_COMPILE_FAIL
static_assert(std::is_same_v<std::remove_cv_t<decltype(joined)>::shape, Shape<2, 8>>);
static_assert(M::valid && M::input_count == 2 && M::param_count == 2 * 8 * 4 + 4);
#endif

// Instantiates the model, which runs its checks.
[[maybe_unused]] constexpr bool model_is_valid = M::valid;
