// Something that is not a layer where a layer goes: the Layer concept says so.
// The compilers word it differently: clang 14 names the type and the concept
// ("'NotALayer' does not satisfy 'Layer'"); g++ 12 prints the fold of the
// constraint with its pack ("(... && Layer<Ls>) [with Ls = {NotALayer}]").
// EXPECT: (?s)constraints not satisfied.*(NotALayer.? does not satisfy .?Layer\b|\bLayer<Ls>\) \[with Ls = \{NotALayer\}\])
#include <string_view>

#include <forma/layers/dense.hpp>
#include <forma/layers/flatten.hpp>
#include <forma/layers/input.hpp>
#include <forma/model/sequential.hpp>

using namespace forma;

// Has a name but no bind<In, T>: not a layer.
struct NotALayer {
  static constexpr std::string_view name = "NotALayer";
};

// Naming the specialization checks the constraint. (Nothing below uses M in
// the failing branch: a use of the failed alias would be a second error of
// the test's own making.)
#ifdef FORMA_COMPILE_FAIL
using M = Sequential<Input<4>, NotALayer>;
#else
using M = Sequential<Input<4>, Dense<3>>;
static_assert(M::valid && M::param_count == 4 * 3 + 3);
#endif
