// A program that uses forma the way a downstream project would: only through
// <forma/forma.hpp> as found by its build system (pkg-config, CMake's
// find_package or a meson subproject). It checks that the installed headers
// declare, initialise and run a model, and exits nonzero otherwise.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <type_traits>

#include <forma/forma.hpp>

#ifndef FORMA_CONSUMER_VIA
#define FORMA_CONSUMER_VIA "(unnamed build)"
#endif

// Each build system must have put the compiler in C++20 mode for forma.
static_assert(__cplusplus >= 202002L, "forma's consumers compile as C++20");

using Net = forma::Sequential<forma::Input<4>, forma::Dense<3, forma::ReLU>, forma::Dense<2, forma::Softmax>>;

static_assert(std::is_same_v<Net::output_shape, forma::Shape<2>>);
static_assert(Net::param_count == 4 * 3 + 3 + 3 * 2 + 2);  // 23

int main() {
  auto net = std::make_unique<Net>();
  net->init(42);

  const forma::Tensor<forma::Shape<4>> x{0.5f, -1.0f, 2.0f, 0.25f};
  const auto y = net->predict(x);

  float total = 0;
  for (const float p : y) {
    if (!(p >= 0.0f && p <= 1.0f)) {
      std::fprintf(stderr, "consumer: output %g is not a probability\n", static_cast<double>(p));
      return EXIT_FAILURE;
    }
    total += p;
  }
  std::printf("consumer: forma %s, outputs %g %g, sum %g\n", FORMA_CONSUMER_VIA, static_cast<double>(y[0]),
              static_cast<double>(y[1]), static_cast<double>(total));
  if (std::fabs(total - 1.0f) > 1e-5f) {
    std::fprintf(stderr, "consumer: outputs sum to %g, not 1\n", static_cast<double>(total));
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
