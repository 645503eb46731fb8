// Concatenate: shapes along the last axis, its forward pass on rank 1 and
// rank 2, and gradients through it (to a hidden layer and to the input).
#include <catch2/catch.hpp>

#include <forma/forma.hpp>
#include <forma/layers/concatenate.hpp>

#include "gradient_harness.hpp"

using namespace forma;

namespace {

constexpr auto in = Input<5>{};
constexpr auto h = Dense<9, Tanh>{}(in);
// The hidden layer first and the input after it, so both parts of the
// output's gradient are read, at an offset that is not a whole vector.
constexpr auto joined = Concatenate{}(h, in, Dense<4, Sigmoid>{}(h));
using Joined = Model<decltype(in), decltype(Dense<3, Softmax>{}(joined))>::rebind<double>;

// The input first: only the columns after it need a gradient, so the last
// layer computes its input gradient from column 16 on (whole lines of
// doubles) and Concatenate reads no other.
constexpr auto wide = Input<16>{};
constexpr auto after = Concatenate{}(wide, Dense<6, Tanh>{}(wide));
using InputFirst = Model<decltype(wide), decltype(Dense<3, Softmax>{}(after))>::rebind<double>;

using Rank2 = Concatenate::bind<ShapeList<Shape<2, 3>, Shape<2, 1>, Shape<2, 4>>, float>;

}  // namespace

static_assert(std::is_same_v<Joined::layer_output_shape<2>, Shape<18>>);
static_assert(std::is_same_v<Rank2::output_shape, Shape<2, 8>>);
static_assert(concatenable<ShapeList<Shape<4, 2>, Shape<4, 7>>> && !concatenable<ShapeList<Shape<4, 2>, Shape<3, 2>>> &&
              !concatenable<ShapeList<Shape<8>, Shape<2, 4>>>);

TEST_CASE("Concatenate joins rows along the last axis", "[layers][concatenate]") {
  alignas(64) float a[2 * 16], b[2 * 16], c[2 * 16], out[2 * 16];
  for (std::size_t i = 0; i < 2 * 16; ++i) {
    a[i] = 100.0f + static_cast<float>(i);
    b[i] = 200.0f + static_cast<float>(i);
    c[i] = 300.0f + static_cast<float>(i);
  }
  for (float& v : out) v = -1.0f;
  Rank2::forward<kernels::native>({}, 2, {a, b, c}, out);
  // Row r of the output, group g: a's 3, b's 1, then c's 4 values.
  for (std::size_t r = 0; r < 2; ++r) {
    const float* o = out + r * Rank2::width;
    for (std::size_t g = 0; g < 2; ++g) {
      for (std::size_t k = 0; k < 3; ++k) CHECK(o[g * 8 + k] == a[r * 16 + g * 3 + k]);
      CHECK(o[g * 8 + 3] == b[r * 16 + g]);
      for (std::size_t k = 0; k < 4; ++k) CHECK(o[g * 8 + 4 + k] == c[r * 16 + g * 4 + k]);
    }
    for (std::size_t e = 16; e < Rank2::width; ++e) CHECK(o[e] == 0.0f);  // padding stays zero
  }

  // Its backward hands each input its part back; written, then added.
  alignas(64) float d[2 * 16];
  for (std::size_t i = 0; i < 2 * 16; ++i) d[i] = out[i];
  alignas(64) float dc[2 * 16];
  for (float& v : dc) v = 7.0f;
  Rank2::backward_input<kernels::native, 2, false>({}, 2, {a, b, c}, out, d, dc);
  for (std::size_t i = 0; i < 2 * 8; ++i) CHECK(dc[(i / 8) * 16 + i % 8] == c[(i / 8) * 16 + i % 8]);
  for (std::size_t r = 0; r < 2; ++r)
    for (std::size_t e = 8; e < 16; ++e) CHECK(dc[r * 16 + e] == 0.0f);
  Rank2::backward_input<kernels::native, 2, true>({}, 2, {a, b, c}, out, d, dc);
  for (std::size_t i = 0; i < 2 * 8; ++i) CHECK(dc[(i / 8) * 16 + i % 8] == 2 * c[(i / 8) * 16 + i % 8]);
}

TEST_CASE("gradients through Concatenate match finite differences", "[layers][concatenate][gradients]") {
  CHECK(gradient_harness::check<Joined>("Concatenate(h, input, Dense(h))", loss::CategoricalCrossentropy{},
                                        gradient_harness::one_hot<3>, 21) == Joined::param_count);
  CHECK(gradient_harness::check<InputFirst>("Concatenate(input, Dense(input))", loss::CategoricalCrossentropy{},
                                            gradient_harness::one_hot<3>, 22) == InputFirst::param_count);
}
