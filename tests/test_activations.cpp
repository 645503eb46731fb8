// The activation tags: values, derivatives (against central differences in
// double) and behaviour at extreme inputs.
#include <catch2/catch.hpp>

#include <cmath>
#include <ratio>

#include <forma/activations/activations.hpp>

using namespace forma;

static_assert(ActivationFunction<Linear> && ActivationFunction<ReLU> && ActivationFunction<LeakyReLU> &&
              ActivationFunction<Sigmoid> && ActivationFunction<Tanh> && ActivationFunction<Softmax>);
static_assert(!ActivationFunction<int>);

namespace {

// df/dx at x, by the derivative the tag computes from its output, against a
// central difference of f in double.
template <class A>
void check_derivative(double x) {
  const double h = 1e-6;
  const double numeric = (A::f(x + h) - A::f(x - h)) / (2 * h);
  const double analytic = A::df_from_output(A::f(x));
  INFO(A::name << " at " << x);
  REQUIRE(std::abs(analytic - numeric) <= 1e-8 * std::max(1.0, std::abs(numeric)));
}

}  // namespace

TEST_CASE("activation values", "[activations]") {
  CHECK(Linear::f(-2.5f) == -2.5f);
  CHECK(ReLU::f(-2.5f) == 0.0f);
  CHECK(ReLU::f(1.5f) == 1.5f);
  CHECK(LeakyReLU::f(-2.0) == Approx(-0.6));  // Keras' LeakyReLU layer default slope, 0.3
  CHECK(LeakyReLU::f(2.0) == 2.0);
  CHECK(LeakyReLUWith<std::ratio<1, 100>>::f(-2.0) == Approx(-0.02));
  CHECK(Sigmoid::f(0.0) == 0.5);
  CHECK(Sigmoid::f(2.0) == Approx(1 / (1 + std::exp(-2.0))));
  CHECK(Tanh::f(0.5) == Approx(std::tanh(0.5)));
}

TEST_CASE("activations stay finite at extreme inputs", "[activations]") {
  for (float x : {1e4f, -1e4f, 88.8f, -88.8f, 1e30f, -1e30f}) {
    INFO(x);
    CHECK(std::isfinite(Sigmoid::f(x)));
    CHECK(std::isfinite(Tanh::f(x)));
    CHECK(std::isfinite(LeakyReLU::f(x)));
  }
  CHECK(Sigmoid::f(1e4f) == 1.0f);
  CHECK(Sigmoid::f(-1e4f) == 0.0f);
  CHECK(Tanh::f(-1e4f) == -1.0f);
}

TEST_CASE("derivatives from outputs match central differences", "[activations]") {
  for (double x : {-3.0, -0.7, -0.1, 0.2, 0.9, 2.5}) {
    check_derivative<Linear>(x);
    check_derivative<ReLU>(x);
    check_derivative<LeakyReLU>(x);
    check_derivative<LeakyReLUWith<std::ratio<1, 20>>>(x);
    check_derivative<Sigmoid>(x);
    check_derivative<Tanh>(x);
  }
}
