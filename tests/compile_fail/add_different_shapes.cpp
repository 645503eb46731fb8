// Add of a Shape<8> and a Shape<9>: Add sums elementwise, so its inputs must
// have one shape; a Dense<8> makes the second one fit.
// Besides the message, the compiler output shows both shapes in the failed
// condition: g++ prints all_same_shape<forma::ShapeList<forma::Shape<8>,
// forma::Shape<9> > > (in a note, "evaluates to false") and clang
// all_same_shape<forma::ShapeList<forma::Shape<8>, forma::Shape<9>>> (in the
// error line); the checker matches one regex, so it matches the message.
// EXPECT: forma::Add needs inputs of one shape
#include <tuple>

#include <forma/core/shape.hpp>
#include <forma/layers/add.hpp>
#include <forma/layers/dense.hpp>
#include <forma/layers/input.hpp>
#include <forma/model/functional.hpp>

using namespace forma;

constexpr auto a = Input<8>{};
constexpr auto b = Input<9>{};

#ifdef FORMA_COMPILE_FAIL
constexpr auto sum = Add{}(a, b);
using M = Model<std::tuple<decltype(a), decltype(b)>, decltype(sum)>;
#else
constexpr auto sum = Add{}(a, Dense<8>{}(b));
using M = Model<std::tuple<decltype(a), decltype(b)>, decltype(sum)>;
static_assert(M::valid && M::input_count == 2 && M::param_count == 9 * 8 + 8);
static_assert(std::is_same_v<M::output_shape, Shape<8>>);
#endif

// Instantiates the model, which runs its checks.
[[maybe_unused]] constexpr bool model_is_valid = M::valid;
