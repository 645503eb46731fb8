// Every kernel against the scalar path and a naive double reference, over
// awkward sizes: below the SIMD width, at it, not a multiple of it, large.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include <forma/activations/activations.hpp>
#include <forma/core/random.hpp>
#include <forma/core/scalar.hpp>
#include <forma/core/share.hpp>
#include <forma/kernels/activation_backward.hpp>
#include <forma/kernels/dense.hpp>
#include <forma/kernels/dense_backward.hpp>
#include <forma/kernels/optimizer_updates.hpp>
#include <forma/kernels/root_quotient.hpp>
#include <forma/kernels/elementwise.hpp>
#include <forma/kernels/softmax.hpp>

using namespace forma;

namespace {

template <class T>
struct aligned_buffer {
  explicit aligned_buffer(std::size_t n) : p(new (std::align_val_t{64}) T[n]), size(n) {
    for (std::size_t i = 0; i < n; ++i) p[i] = std::numeric_limits<T>::quiet_NaN();
  }
  ~aligned_buffer() { ::operator delete[](p, std::align_val_t{64}); }
  aligned_buffer(const aligned_buffer&) = delete;
  aligned_buffer& operator=(const aligned_buffer&) = delete;
  T* p;
  std::size_t size;
};

template <class T>
void fill_uniform(T* p, std::size_t n, SplitMix64& rng) {
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<T>(2.0 * rng.uniform() - 1.0);
}

double relu(double x) { return x > 0 ? x : 0; }
double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

// Dense forward with activation Act on `Rows` of a buffer of capacity `Cap`
// rows: the SIMD and scalar paths against sums in double, with the bound of
// a float sum of K products (K * eps * sum of |terms|) as the tolerance.
template <class T, std::size_t K, std::size_t N, std::size_t Rows, std::size_t Cap, class Act, class Ref>
void check_dense(Ref act_ref) {
  constexpr std::size_t np = padded<T>(N);
  constexpr std::size_t lda = padded<T>(K) + lanes_per_row_unit<T>;  // a stride wider than the row
  SplitMix64 rng(K * 1000 + N * 10 + Rows);
  aligned_buffer<T> a(Cap * lda), w(K * np), bias(np), c_native(Cap * np), c_scalar(Cap * np);
  fill_uniform(a.p, a.size, rng);
  for (std::size_t k = 0; k < K; ++k)
    for (std::size_t j = 0; j < np; ++j) w.p[k * np + j] = j < N ? static_cast<T>(2.0 * rng.uniform() - 1.0) : T(0);
  for (std::size_t j = 0; j < np; ++j) bias.p[j] = j < N ? static_cast<T>(rng.uniform() - 0.5) : T(0);

  kernels::dense_forward<K, np, lda, np, Act>(kernels::native{}, Rows, a.p, w.p, bias.p, c_native.p);
  kernels::dense_forward<K, np, lda, np, Act>(kernels::scalar{}, Rows, a.p, w.p, bias.p, c_scalar.p);

  const double eps = std::numeric_limits<T>::epsilon();
  auto check = [&](const aligned_buffer<T>& c) {
    for (std::size_t r = 0; r < Rows; ++r) {
      for (std::size_t j = 0; j < N; ++j) {
        double sum = bias.p[j], magnitude = std::abs(double(bias.p[j]));
        for (std::size_t k = 0; k < K; ++k) {
          sum += double(a.p[r * lda + k]) * double(w.p[k * np + j]);
          magnitude += std::abs(double(a.p[r * lda + k]) * double(w.p[k * np + j]));
        }
        const double expected = act_ref(sum);
        const double tol = (K + 2) * eps * magnitude + 4 * eps;
        INFO("row " << r << " column " << j);
        REQUIRE(std::abs(c.p[r * np + j] - expected) <= tol);
      }
    }
    // The rows past the runtime count are the buffer's: never written.
    for (std::size_t i = Rows * np; i < Cap * np; ++i) REQUIRE(std::isnan(c.p[i]));
  };
  check(c_native);
  check(c_scalar);

  // In column pieces of whole 64-byte lines, as threads take them: the same
  // values exactly, and nothing written outside a piece.
  constexpr std::size_t line = lanes_per_row_unit<T>;
  for (std::size_t parts : {2, 3}) {
    aligned_buffer<T> c_parts(Cap * np);  // NaN-filled
    for (std::size_t i = 0; i < parts; ++i) {
      const share piece = share_of(np, line, i, parts);
      kernels::dense_forward<K, np, lda, np, Act>(kernels::native{}, Rows, a.p, w.p, bias.p, c_parts.p, piece.begin,
                                                  piece.end);
    }
    for (std::size_t r = 0; r < Rows; ++r)
      for (std::size_t j = 0; j < np; ++j) REQUIRE(c_parts.p[r * np + j] == c_native.p[r * np + j]);
    for (std::size_t i = Rows * np; i < Cap * np; ++i) REQUIRE(std::isnan(c_parts.p[i]));
  }

  // In two halves of W's rows (a first one empty when K is below a line),
  // as threads share a large kernel: each half summed alone, then added and
  // activated; the halves' column pieces give the same values exactly.
  auto halves = [&](auto backend, std::size_t pieces, aligned_buffer<T>& first) {
    aligned_buffer<T> second(Cap * np);
    for (std::size_t h = 0; h < 2; ++h) {
      const share k = share_of(K, line, h, 2);
      for (std::size_t i = 0; i < pieces; ++i) {
        const share piece = share_of(np, line, i, pieces);
        kernels::dense_forward_part<K, np, lda, np, Act>(backend, Rows, a.p, w.p, h == 0 ? bias.p : nullptr,
                                                         h == 0 ? first.p : second.p, piece.begin, piece.end, k.begin,
                                                         k.end);
      }
    }
    kernels::dense_forward_combine<np, np, Act>(backend, Rows, first.p, second.p);
  };
  aligned_buffer<T> halves_native(Cap * np), halves_scalar(Cap * np), halves_pieces(Cap * np);
  halves(kernels::native{}, 1, halves_native);
  halves(kernels::scalar{}, 1, halves_scalar);
  halves(kernels::native{}, 3, halves_pieces);
  check(halves_native);
  check(halves_scalar);
  for (std::size_t r = 0; r < Rows; ++r)
    for (std::size_t j = 0; j < np; ++j) REQUIRE(halves_pieces.p[r * np + j] == halves_native.p[r * np + j]);
}

}  // namespace

TEMPLATE_TEST_CASE("dense_forward matches a double reference on awkward sizes", "[kernels]", float, double) {
  using T = TestType;
  auto identity = [](double x) { return x; };
  check_dense<T, 1, 1, 1, 1, Linear>(identity);
  check_dense<T, 3, 5, 2, 4, Linear>(identity);                    // below the SIMD width
  check_dense<T, 17, 16, 7, 8, ReLU>(relu);                        // at the float width; rows not a tile multiple
  check_dense<T, 64, 8, 6, 6, Sigmoid>(sigmoid);                   // at the double width; one full tile
  check_dense<T, 33, 37, 13, 16, ReLU>(relu);                      // not a multiple of any width
  check_dense<T, 300, 200, 1, 1, ReLU>(relu);                      // matrix-vector, many column vectors
  check_dense<T, 300, 200, 32, 32, Linear>(identity);              // large
  check_dense<T, 150, 10, 5, 32, Tanh>([](double x) { return std::tanh(x); });  // a last partial batch
  // Several passes over W's rows (forward_pass_rows: 215 a pass in float),
  // the activation after the last only.
  check_dense<T, 1000, 300, 37, 40, ReLU>(relu);
#if !defined(FORMA_SCALAR_ONLY)
  static_assert(kernels::forward_pass_rows<1000, padded<T>(300), T> < 1000 / 2);
#endif
}

namespace {

template <class T, std::size_t N, std::size_t Rows, class F, class Ref>
void check_map(Ref ref) {
  constexpr std::size_t ld = padded<T>(N);
  SplitMix64 rng(N);
  aligned_buffer<T> in(Rows * ld), out_native(Rows * ld), out_scalar(Rows * ld);
  for (std::size_t i = 0; i < in.size; ++i) in.p[i] = static_cast<T>(8.0 * rng.uniform() - 4.0);
  kernels::map_rows<N, ld, ld, F>(kernels::native{}, Rows, in.p, out_native.p);
  kernels::map_rows<N, ld, ld, F>(kernels::scalar{}, Rows, in.p, out_scalar.p);
  const double tol = 8 * std::numeric_limits<T>::epsilon();
  for (std::size_t r = 0; r < Rows; ++r)
    for (std::size_t j = 0; j < N; ++j) {
      const double expected = ref(double(in.p[r * ld + j]));
      REQUIRE(std::abs(out_native.p[r * ld + j] - expected) <= tol * std::max(1.0, std::abs(expected)));
      REQUIRE(std::abs(out_scalar.p[r * ld + j] - expected) <= tol * std::max(1.0, std::abs(expected)));
    }
}

}  // namespace

TEMPLATE_TEST_CASE("map_rows applies elementwise activations on SIMD and scalar paths", "[kernels]", float,
                   double) {
  using T = TestType;
  check_map<T, 3, 2, ReLU>(relu);
  check_map<T, 17, 3, Sigmoid>(sigmoid);
  check_map<T, 40, 2, Tanh>([](double x) { return std::tanh(x); });
  check_map<T, 9, 1, LeakyReLU>([](double x) { return x > 0 ? x : 0.3 * x; });
  check_map<T, 16, 2, Linear>([](double x) { return x; });
}

TEMPLATE_TEST_CASE("softmax_rows is exact and stable for huge inputs", "[kernels]", float, double) {
  using T = TestType;
  constexpr std::size_t ld = padded<T>(5);
  alignas(64) T x[2 * ld] = {};
  const T row0[5] = {1, 2, 3, 4, 5};
  const T row1[5] = {T(1e4), 0, T(-1e4), T(1e4), T(5e3)};
  for (std::size_t j = 0; j < 5; ++j) {
    x[j] = row0[j];
    x[ld + j] = row1[j];
  }
  kernels::softmax_rows<5, 1, ld>(2, x);
  double denom = 0;
  for (T v : row0) denom += std::exp(double(v) - 5);
  for (std::size_t j = 0; j < 5; ++j)
    CHECK(std::abs(x[j] - std::exp(double(row0[j]) - 5) / denom) <= 4 * std::numeric_limits<T>::epsilon());
  for (std::size_t j = 0; j < 5; ++j) REQUIRE(std::isfinite(x[ld + j]));
  CHECK(x[ld + 0] == Approx(0.5));
  CHECK(x[ld + 3] == Approx(0.5));
  CHECK(x[ld + 1] == 0);
  CHECK(x[ld + 2] == 0);
}

TEST_CASE("softmax_rows normalises each run along the last axis", "[kernels]") {
  constexpr std::size_t ld = padded<float>(6);
  alignas(64) float x[ld] = {0, 1, 2, 5, 5, 5};  // two runs of 3
  kernels::softmax_rows<3, 2, ld>(1, x);
  CHECK(x[0] + x[1] + x[2] == Approx(1.0f));
  CHECK(x[3] == Approx(1.0f / 3));
  CHECK(x[5] == Approx(1.0f / 3));
  CHECK(x[2] > x[1]);
}

namespace {

// Weight and input gradients of a dense layer on `Rows` rows: SIMD and
// scalar paths against double sums, padding of dA zero.
template <class T, std::size_t K, std::size_t N, std::size_t Rows>
void check_dense_backward() {
  constexpr std::size_t np = padded<T>(N), kp = padded<T>(K), lda = kp;
  SplitMix64 rng(K * 7 + N * 3 + Rows);
  aligned_buffer<T> a(Rows * lda), dz(Rows * np), w(K * np);
  fill_uniform(a.p, a.size, rng);
  fill_uniform(w.p, w.size, rng);
  for (std::size_t r = 0; r < Rows; ++r)
    for (std::size_t j = 0; j < np; ++j) dz.p[r * np + j] = j < N ? static_cast<T>(2.0 * rng.uniform() - 1.0) : T(0);
  aligned_buffer<T> dw_native(K * np), db_native(np), dw_scalar(K * np), db_scalar(np);
  aligned_buffer<T> da_native(Rows * kp), da_scalar(Rows * kp);
  kernels::dense_weight_grad<K, np, lda>(kernels::native{}, Rows, a.p, dz.p, dw_native.p, db_native.p);
  kernels::dense_weight_grad<K, np, lda>(kernels::scalar{}, Rows, a.p, dz.p, dw_scalar.p, db_scalar.p);
  kernels::dense_input_grad<K, np>(kernels::native{}, Rows, dz.p, w.p, da_native.p);
  kernels::dense_input_grad<K, np>(kernels::scalar{}, Rows, dz.p, w.p, da_scalar.p);

  const double eps = std::numeric_limits<T>::epsilon();
  for (std::size_t k = 0; k < K; ++k)
    for (std::size_t j = 0; j < np; ++j) {
      double s = 0, mag = 0;
      for (std::size_t r = 0; r < Rows; ++r) {
        s += double(a.p[r * lda + k]) * double(dz.p[r * np + j]);
        mag += std::abs(double(a.p[r * lda + k]) * double(dz.p[r * np + j]));
      }
      const double tol = (Rows + 2) * eps * mag + eps;
      REQUIRE(std::abs(dw_native.p[k * np + j] - s) <= tol);
      REQUIRE(std::abs(dw_scalar.p[k * np + j] - s) <= tol);
    }
  for (std::size_t j = 0; j < np; ++j) {
    double s = 0, mag = 0;
    for (std::size_t r = 0; r < Rows; ++r) {
      s += dz.p[r * np + j];
      mag += std::abs(double(dz.p[r * np + j]));
    }
    REQUIRE(std::abs(db_native.p[j] - s) <= (Rows + 2) * eps * mag + eps);
    REQUIRE(std::abs(db_scalar.p[j] - s) <= (Rows + 2) * eps * mag + eps);
  }
  for (std::size_t r = 0; r < Rows; ++r) {
    for (std::size_t k = 0; k < K; ++k) {
      double s = 0, mag = 0;
      for (std::size_t j = 0; j < np; ++j) {
        s += double(dz.p[r * np + j]) * double(w.p[k * np + j]);
        mag += std::abs(double(dz.p[r * np + j]) * double(w.p[k * np + j]));
      }
      const double tol = (np + 2) * eps * mag + eps;
      REQUIRE(std::abs(da_native.p[r * kp + k] - s) <= tol);
      REQUIRE(std::abs(da_scalar.p[r * kp + k] - s) <= tol);
    }
    for (std::size_t k = K; k < kp; ++k) {
      REQUIRE(da_native.p[r * kp + k] == T(0));
      REQUIRE(da_scalar.p[r * kp + k] == T(0));
    }
  }
}

}  // namespace

TEMPLATE_TEST_CASE("dense backward products match a double reference", "[kernels]", float, double) {
  check_dense_backward<TestType, 1, 1, 1>();
  check_dense_backward<TestType, 3, 5, 2>();
  check_dense_backward<TestType, 17, 16, 7>();
  check_dense_backward<TestType, 33, 37, 13>();
  check_dense_backward<TestType, 200, 150, 32>();
  check_dense_backward<TestType, 150, 10, 5>();
}

TEMPLATE_TEST_CASE("activation derivatives and softmax backward", "[kernels]", float, double) {
  using T = TestType;
  constexpr std::size_t ld = padded<T>(20);
  SplitMix64 rng(5);
  aligned_buffer<T> y(3 * ld), d_native(3 * ld), d_scalar(3 * ld);
  for (std::size_t i = 0; i < y.size; ++i) {
    y.p[i] = static_cast<T>(rng.uniform() * 0.98 + 0.01);  // a valid sigmoid output
    d_native.p[i] = d_scalar.p[i] = static_cast<T>(2.0 * rng.uniform() - 1.0);
  }
  const std::vector<T> d0(d_native.p, d_native.p + d_native.size);
  kernels::multiply_by_derivative<ld, Sigmoid>(kernels::native{}, 3, y.p, d_native.p);
  kernels::multiply_by_derivative<ld, Sigmoid>(kernels::scalar{}, 3, y.p, d_scalar.p);
  for (std::size_t i = 0; i < y.size; ++i) {
    const double expected = double(d0[i]) * double(y.p[i]) * (1 - double(y.p[i]));
    REQUIRE(std::abs(d_native.p[i] - expected) <= 4 * std::numeric_limits<T>::epsilon());
    REQUIRE(std::abs(d_scalar.p[i] - expected) <= 4 * std::numeric_limits<T>::epsilon());
  }

  // Softmax: d_in = J^T d_out with J = diag(y) - y y^T.
  alignas(64) T s[padded<T>(4)] = {T(0.1), T(0.2), T(0.3), T(0.4)};
  alignas(64) T g[padded<T>(4)] = {T(1), T(-2), T(0.5), T(3)};
  const double dot = 0.1 * 1 + 0.2 * -2 + 0.3 * 0.5 + 0.4 * 3;
  const double gin[4] = {0.1 * (1 - dot), 0.2 * (-2 - dot), 0.3 * (0.5 - dot), 0.4 * (3 - dot)};
  kernels::softmax_backward_rows<4, 1, padded<T>(4)>(1, s, g);
  for (int j = 0; j < 4; ++j) CHECK(g[j] == Approx(gin[j]));
}

TEMPLATE_TEST_CASE("optimizer updates: SIMD against scalar, non-finite values refused", "[kernels]", float, double) {
  using T = TestType;
  constexpr std::size_t n = 37;  // whole vectors and a tail
  SplitMix64 rng(12);
  std::vector<T> w(n), g(n), m(n), v(n);
  for (std::size_t i = 0; i < n; ++i) {
    w[i] = static_cast<T>(rng.uniform() - 0.5);
    g[i] = static_cast<T>(rng.uniform() - 0.5);
    m[i] = static_cast<T>(0.1 * rng.uniform());
    v[i] = static_cast<T>(0.1 * rng.uniform());
  }
  auto close = [](const std::vector<T>& a, const std::vector<T>& b) {
    for (std::size_t i = 0; i < a.size(); ++i)
      if (std::abs(a[i] - b[i]) > 8 * std::numeric_limits<T>::epsilon() * std::max(T(1), std::abs(b[i]))) return false;
    return true;
  };
  {
    auto w1 = w, m1 = m, v1 = v, w2 = w, m2 = m, v2 = v;
    REQUIRE(kernels::adam_update(kernels::native{}, w1.data(), g.data(), m1.data(), v1.data(), n, T(0.01), T(0.9),
                                 T(0.999), T(1e-7)));
    REQUIRE(kernels::adam_update(kernels::scalar{}, w2.data(), g.data(), m2.data(), v2.data(), n, T(0.01), T(0.9),
                                 T(0.999), T(1e-7)));
    CHECK(close(w1, w2));
    CHECK(close(m1, m2));
    CHECK(close(v1, v2));
    // By hand for one element.
    const double mn = 0.9 * m[5] + 0.1 * g[5], vn = 0.999 * v[5] + 0.001 * g[5] * g[5];
    CHECK(w2[5] == Approx(w[5] - 0.01 * mn / (std::sqrt(vn) + 1e-7)));
  }
  {
    auto w1 = w, v1 = v, w2 = w, v2 = v;
    kernels::momentum_update(kernels::native{}, w1.data(), g.data(), v1.data(), n, T(0.1), T(0.9), true);
    kernels::momentum_update(kernels::scalar{}, w2.data(), g.data(), v2.data(), n, T(0.1), T(0.9), true);
    CHECK(close(w1, w2));
    const double vn = 0.9 * v[3] - 0.1 * g[3];
    CHECK(w2[3] == Approx(w[3] + 0.9 * vn - 0.1 * g[3]));
    auto w3 = w, s3 = v;
    kernels::rmsprop_update(kernels::native{}, w3.data(), g.data(), s3.data(), n, T(0.01), T(0.9), T(1e-7));
    const double sn = 0.9 * v[7] + 0.1 * g[7] * g[7];
    CHECK(w3[7] == Approx(w[7] - 0.01 * g[7] / (std::sqrt(sn) + 1e-7)));
    auto w4 = w;
    kernels::sgd_update(kernels::native{}, w4.data(), g.data(), n, T(0.5));
    CHECK(w4[36] == Approx(w[36] - 0.5 * g[36]));  // in the scalar tail
  }
  {
    auto bad = g;
    bad[2] = std::numeric_limits<T>::quiet_NaN();          // in a vector
    bad[n - 1] = std::numeric_limits<T>::infinity();       // in the tail
    auto w1 = w;
    CHECK_FALSE(kernels::sgd_update(kernels::native{}, w1.data(), bad.data(), n, T(0.1)));
    CHECK(w1[2] == w[2]);
    CHECK(w1[n - 1] == w[n - 1]);
    CHECK(w1[3] == Approx(w[3] - 0.1 * g[3]));
    for (T x : w1) REQUIRE(std::isfinite(x));
  }
}

TEMPLATE_TEST_CASE("optimizer updates refuse a second moment that overflows", "[kernels]", float, double) {
  // g^2 overflows: v becomes inf while sqrt(v) = inf would leave the weight
  // finite, so only the state's check can catch it.
  using T = TestType;
  constexpr std::size_t n = 19;
  std::vector<T> w(n, T(0.5)), g(n, T(0.25)), m(n, T(0)), v(n, T(0));
  g[4] = std::sqrt(std::numeric_limits<T>::max()) * T(100);  // (1 - b2) g^2 > max
  const auto adam = kernels::adam_rule<T>::from(0.01, 0.9, 0.999, 1e-7);
  for (auto b : {0, 1}) {
    auto w1 = w, m1 = m, v1 = v;
    const kernels::slot_arrays<T, 2> slots{m1.data(), v1.data()};
    const bool finite = b ? kernels::apply_rule(kernels::native{}, adam, w1.data(), g.data(), slots, n)
                          : kernels::apply_rule(kernels::scalar{}, adam, w1.data(), g.data(), slots, n);
    CHECK_FALSE(finite);
    CHECK(w1[4] == w[4]);
    CHECK(m1[4] == m[4]);
    CHECK(v1[4] == v[4]);
    CHECK(w1[3] < w[3]);  // its neighbours in the same vector were updated
    CHECK(w1[5] < w[5]);
  }
}

// The float SIMD path of x / (sqrt(v) + eps) may use the root and
// reciprocal estimates with a Newton step; its bound (root_quotient.hpp) is
// 4 ulp of the exact quotient for normal x, over the whole exponent range,
// v = 0 and subnormal v included. IEEE sqrt, add and divide in float are
// checked against the same measure (they take up to about 2.4 ulp).
TEST_CASE("over_root is within 4 ulp of the exact quotient", "[kernels]") {
  SplitMix64 rng(2026);
  auto draw = [&](int lo, int hi) {
    const int e = lo + static_cast<int>(rng.uniform() * (hi - lo));
    return static_cast<float>(std::ldexp(1.0 + rng.uniform(), e));
  };
  auto ulps = [](float got, double exact) {
    const float e = std::abs(static_cast<float>(exact));
    return std::abs(got - exact) / (std::nextafter(e, std::numeric_limits<float>::infinity()) - e);
  };
  double worst = 0, worst_ieee = 0;
  std::size_t checked = 0, zero_v = 0;
  constexpr std::size_t W = 64;
  alignas(64) float x[W], v[W], q[W];
  for (int round = 0; round < 20000; ++round) {
    const float eps = round % 2 ? 1e-7f : draw(-60, 0);
    for (std::size_t i = 0; i < W; ++i) {
      x[i] = draw(-126, 127) * (rng.uniform() < 0.5 ? -1.0f : 1.0f);
      v[i] = rng.uniform() < 0.05 ? 0.0f : draw(-149, 127);
    }
#if !defined(FORMA_SCALAR_ONLY)
    using V = xsimd::batch<float>;
    for (std::size_t i = 0; i < W; i += V::size)
      kernels::over_root(V::load_aligned(x + i), V::load_aligned(v + i), eps).store_aligned(q + i);
#else
    for (std::size_t i = 0; i < W; ++i) q[i] = kernels::over_root(x[i], v[i], eps);
#endif
    for (std::size_t i = 0; i < W; ++i) {
      const double exact = double(x[i]) / (std::sqrt(double(v[i])) + double(eps));
      const double size = std::abs(exact);
      if (!(size >= std::numeric_limits<float>::min() && size <= std::numeric_limits<float>::max())) continue;
      ++checked;
      zero_v += v[i] == 0.0f;
      worst = std::max(worst, ulps(q[i], exact));
      worst_ieee = std::max(worst_ieee, ulps(x[i] / (std::sqrt(v[i]) + eps), exact));
    }
  }
  INFO("worst " << worst << " ulp, IEEE float " << worst_ieee << " ulp, over " << checked << " quotients");
  REQUIRE(checked > 500000);
  REQUIRE(zero_v > 10000);
  CHECK(worst <= 4.0);
  CHECK(worst_ieee <= 3.0);
}

namespace {

// The fused weight gradient and update over rows [k0, k1) of W, in `parts`
// shares as threads take them, against the separate gradient then update:
// the same sums in the same order, so the SIMD paths agree exactly.
template <class T, std::size_t K, std::size_t N, std::size_t Rows, class Rule>
void check_fused_update(const Rule& rule, std::size_t parts) {
  constexpr std::size_t np = padded<T>(N), kp = padded<T>(K), lda = kp, size = K * np + np;
  SplitMix64 rng(K * 5 + N + Rows + parts);
  aligned_buffer<T> a(Rows * lda), dz(Rows * np);
  fill_uniform(a.p, a.size, rng);
  for (std::size_t r = 0; r < Rows; ++r)
    for (std::size_t j = 0; j < np; ++j) dz.p[r * np + j] = j < N ? static_cast<T>(2.0 * rng.uniform() - 1.0) : T(0);
  std::vector<T> w0(size), s0(Rule::slots * size);
  for (auto& x : w0) x = static_cast<T>(rng.uniform() - 0.5);
  for (auto& x : s0) x = static_cast<T>(0.1 * rng.uniform());

  auto run_fused = [&](auto backend, std::vector<T>& w, std::vector<T>& s) {
    kernels::slot_arrays<T, Rule::slots> slots, bias_slots;
    for (std::size_t k = 0; k < Rule::slots; ++k) {
      slots[k] = s.data() + k * size;
      bias_slots[k] = slots[k] + K * np;
    }
    bool finite = true;
    for (std::size_t i = 0; i < parts; ++i) {
      const share part = share_of(K, 16, i, parts);
      finite &= kernels::dense_weight_update<K, np, lda>(backend, Rows, a.p, dz.p, w.data(), slots, rule, part.begin,
                                                         part.end);
    }
    finite &= kernels::dense_bias_update<np>(backend, Rows, dz.p, w.data() + K * np, bias_slots, rule);
    return finite;
  };
  auto run_separate = [&](auto backend, std::vector<T>& w, std::vector<T>& s) {
    aligned_buffer<T> g(size);
    kernels::dense_weight_grad<K, np, lda>(backend, Rows, a.p, dz.p, g.p, g.p + K * np);
    kernels::slot_arrays<T, Rule::slots> slots;
    for (std::size_t k = 0; k < Rule::slots; ++k) slots[k] = s.data() + k * size;
    return kernels::apply_rule(backend, rule, w.data(), g.p, slots, size);
  };

  auto w_fused = w0, s_fused = s0, w_sep = w0, s_sep = s0, w_scalar = w0, s_scalar = s0;
  REQUIRE(run_fused(kernels::native{}, w_fused, s_fused));
  REQUIRE(run_separate(kernels::native{}, w_sep, s_sep));
  REQUIRE(run_fused(kernels::scalar{}, w_scalar, s_scalar));
  REQUIRE(w_fused == w_sep);
  REQUIRE(s_fused == s_sep);
  const double eps = std::numeric_limits<T>::epsilon();
  for (std::size_t i = 0; i < size; ++i) REQUIRE(std::abs(w_scalar[i] - w_fused[i]) <= 64 * eps);
  // Padded columns had zero gradients and stay zero-updated for SGD/Adam.
  std::size_t changed = 0;
  for (std::size_t i = 0; i < size; ++i) changed += w_fused[i] != w0[i];
  REQUIRE(changed >= K * N);
}

// dA in column shares equals dA in one piece.
template <class T, std::size_t K, std::size_t N, std::size_t Rows>
void check_input_grad_shares(std::size_t parts) {
  constexpr std::size_t np = padded<T>(N), kp = padded<T>(K);
  SplitMix64 rng(K + N * 11 + Rows);
  aligned_buffer<T> dz(Rows * np), w(K * np), whole(Rows * kp), pieces(Rows * kp);
  fill_uniform(dz.p, dz.size, rng);
  fill_uniform(w.p, w.size, rng);
  for (std::size_t i = 0; i < pieces.size; ++i) pieces.p[i] = T(7);  // stale values must all be overwritten
  kernels::dense_input_grad<K, np>(kernels::native{}, Rows, dz.p, w.p, whole.p);
  for (std::size_t i = 0; i < parts; ++i) {
    const share part = share_of(K, 16, i, parts);
    kernels::dense_input_grad<K, np>(kernels::native{}, Rows, dz.p, w.p, pieces.p, part.begin, part.end);
  }
  REQUIRE(std::equal(whole.p, whole.p + whole.size, pieces.p));
}

}  // namespace

TEMPLATE_TEST_CASE("fused weight update equals gradient then update, in any shares", "[kernels]", float, double) {
  using T = TestType;
  const auto adam = kernels::adam_rule<T>::from(0.01, 0.9, 0.999, 1e-7);
  const kernels::sgd_rule<T> nesterov{T(0.1), T(0.9), true};
  const auto rmsprop = kernels::rmsprop_rule<T>::from(0.01, 0.9, 1e-7);
  for (std::size_t parts : {1, 2, 3}) {
    check_fused_update<T, 1, 1, 1>(adam, parts);
    check_fused_update<T, 37, 13, 5>(adam, parts);
    check_fused_update<T, 200, 150, 32>(adam, parts);
    check_fused_update<T, 70, 33, 7>(nesterov, parts);
    check_fused_update<T, 45, 10, 3>(rmsprop, parts);
    check_input_grad_shares<T, 37, 13, 5>(parts);
    check_input_grad_shares<T, 200, 150, 32>(parts);
    check_input_grad_shares<T, 150, 10, 3>(parts);
  }
}

TEST_CASE("a fused update refuses non-finite values and keeps the old ones", "[kernels]") {
  constexpr std::size_t K = 20, np = padded<float>(5), size = K * np + np;
  aligned_buffer<float> a(2 * padded<float>(K)), dz(2 * np);
  for (std::size_t i = 0; i < a.size; ++i) a.p[i] = 1.0f;
  for (std::size_t i = 0; i < dz.size; ++i) dz.p[i] = 0.5f;
  a.p[3] = std::numeric_limits<float>::infinity();  // row 0, input 3: all of W's row 3 goes bad
  std::vector<float> w(size, 1.0f), m(size, 0.0f), v(size, 0.0f);
  const auto adam = kernels::adam_rule<float>::from(0.01, 0.9, 0.999, 1e-7);
  CHECK_FALSE(kernels::dense_weight_update<K, np, padded<float>(K)>(kernels::native{}, 2, a.p, dz.p, w.data(),
                                                                    {m.data(), v.data()}, adam, 0, K));
  for (std::size_t j = 0; j < np; ++j) REQUIRE(w[3 * np + j] == 1.0f);
  REQUIRE(w[2 * np] < 1.0f);  // a finite row was updated
  for (float x : w) REQUIRE(std::isfinite(x));
  for (float x : v) REQUIRE(std::isfinite(x));
}
