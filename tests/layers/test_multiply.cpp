// Multiply: its forward pass, and gradients through a gate (a value times a
// sigmoid of itself) and a product of three.
#include <catch2/catch.hpp>

#include <forma/forma.hpp>
#include <forma/layers/multiply.hpp>

#include "gradient_harness.hpp"

using namespace forma;

namespace {

constexpr auto in = Input<6>{};
constexpr auto x = Dense<8, Tanh>{}(in);
constexpr auto gated = Multiply{}(x, Dense<8, Sigmoid>{}(x));
using Gate = Model<decltype(in), decltype(Dense<3, Softmax>{}(gated))>::rebind<double>;

constexpr auto y = Dense<5, Tanh>{}(in);
constexpr auto product = Multiply{}(Dense<5, Tanh>{}(y), y, Dense<5, Sigmoid>{}(y));
using Product = Model<decltype(in), decltype(Dense<2>{}(product))>::rebind<double>;

}  // namespace

TEST_CASE("Multiply multiplies its inputs elementwise", "[layers][multiply]") {
  using bound = Multiply::bind<ShapeList<Shape<19>, Shape<19>>, float>;
  alignas(64) float a[3 * bound::width], b[3 * bound::width], simd[3 * bound::width], plain[3 * bound::width];
  for (std::size_t i = 0; i < 3 * bound::width; ++i) {
    a[i] = 0.5f + static_cast<float>(i % 5);
    b[i] = 2.0f - static_cast<float>(i % 3);
  }
  bound::forward<kernels::native>({}, 3, {a, b}, simd);
  bound::forward<kernels::scalar>({}, 3, {a, b}, plain);
  for (std::size_t i = 0; i < 3 * bound::width; ++i) {
    CHECK(simd[i] == a[i] * b[i]);
    CHECK(plain[i] == simd[i]);
  }
}

TEST_CASE("gradients through Multiply match finite differences", "[layers][multiply][gradients]") {
  CHECK(gradient_harness::check<Gate>("gate: x * sigmoid(Dense(x))", loss::CategoricalCrossentropy{},
                                      gradient_harness::one_hot<3>, 31) == Gate::param_count);
  CHECK(gradient_harness::check<Product>("Multiply of three", loss::MeanSquaredError{},
                                         [](SplitMix64& rng) {
                                           Tensor<Shape<2>, double> t;
                                           for (auto& v : t) v = gradient_harness::uniform(rng, -1, 1);
                                           return t;
                                         },
                                         32) == Product::param_count);
}
