// Dense<8>{}(in) written twice is one node in forma (a node is its type), so
// adding the two is adding a node to itself: the second call must be a layer
// of its own, Named<1, Dense<8>>{}(in), with weights of its own.
// EXPECT: forma: a merge got the same node twice; .*Named<Id, Layer>
#include <type_traits>

#include <forma/core/shape.hpp>
#include <forma/layers/add.hpp>
#include <forma/layers/dense.hpp>
#include <forma/layers/input.hpp>
#include <forma/layers/named.hpp>
#include <forma/model/functional.hpp>

using namespace forma;

constexpr auto in = Input<4>{};
constexpr auto a = Dense<8>{}(in);

#ifdef FORMA_COMPILE_FAIL
constexpr auto b = Dense<8>{}(in);
static_assert(std::is_same_v<decltype(a), decltype(b)>);  // the same node
#else
constexpr auto b = Named<1, Dense<8>>{}(in);
static_assert(!std::is_same_v<decltype(a), decltype(b)>);  // two nodes
#endif
constexpr auto sum = Add{}(a, b);
using M = Model<decltype(in), decltype(sum)>;

#ifndef FORMA_COMPILE_FAIL
// Two Dense layers, each with weights of its own, and the Add.
static_assert(M::valid && M::layer_count == 3 && M::param_count == 2 * (4 * 8 + 8));
static_assert(std::is_same_v<M::output_shape, Shape<8>>);
#endif

// Instantiates the model, which runs its checks.
[[maybe_unused]] constexpr bool model_is_valid = M::valid;
