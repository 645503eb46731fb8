// Add: its forward pass, and gradients through it in a skip connection
// (a node feeding a layer and the Add) and with three inputs.
#include <catch2/catch.hpp>

#include <forma/forma.hpp>
#include <forma/layers/add.hpp>

#include "gradient_harness.hpp"

using namespace forma;

namespace {

constexpr auto in = Input<5>{};
constexpr auto h = Dense<6, Tanh>{}(in);
constexpr auto skip = Add{}(h, Dense<6, Sigmoid>{}(h));
using Skip = Model<decltype(in), decltype(Dense<3, Softmax>{}(skip))>::rebind<double>;

constexpr auto a = Dense<7, Tanh>{}(in);
constexpr auto three = Add{}(a, Dense<7, Tanh>{}(a), Dense<7>{}(Dense<7, Sigmoid>{}(a)));
using Three = Model<decltype(in), decltype(Dense<4>{}(three))>::rebind<double>;

}  // namespace

static_assert(std::is_same_v<Skip::layer_output_shape<2>, Shape<6>>);
static_assert(Skip::layer_count == 4 && Skip::param_count == (5 * 6 + 6) + (6 * 6 + 6) + (6 * 3 + 3));

TEST_CASE("Add sums its inputs elementwise", "[layers][add]") {
  using bound = Add::bind<ShapeList<Shape<20>, Shape<20>, Shape<20>>, float>;
  constexpr std::size_t w = bound::width;
  alignas(64) float x0[2 * w], x1[2 * w], x2[2 * w], simd[2 * w], plain[2 * w];
  for (std::size_t i = 0; i < 2 * w; ++i) {
    x0[i] = static_cast<float>(i) * 0.5f;
    x1[i] = 1.0f - static_cast<float>(i);
    x2[i] = 0.25f;
  }
  bound::forward<kernels::native>({}, 2, {x0, x1, x2}, simd);
  bound::forward<kernels::scalar>({}, 2, {x0, x1, x2}, plain);
  for (std::size_t i = 0; i < 2 * w; ++i) {
    CHECK(simd[i] == x0[i] + x1[i] + x2[i]);
    CHECK(plain[i] == simd[i]);
  }
}

TEST_CASE("gradients through Add match finite differences", "[layers][add][gradients]") {
  CHECK(gradient_harness::check<Skip>("skip connection: h + Dense(h)", loss::CategoricalCrossentropy{},
                                      gradient_harness::one_hot<3>, 11) == Skip::param_count);
  CHECK(gradient_harness::check<Three>("Add of three", loss::MeanSquaredError{},
                                       [](SplitMix64& rng) {
                                         Tensor<Shape<4>, double> y;
                                         for (auto& v : y) v = gradient_harness::uniform(rng, -1, 1);
                                         return y;
                                       },
                                       12) == Three::param_count);
}
