// Shape, Tensor and the random generator.
#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include <forma/core/random.hpp>
#include <forma/core/shape.hpp>
#include <forma/core/tensor.hpp>
#include <forma/core/thread_pool.hpp>

using namespace forma;

namespace {
bool aligned64(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 64 == 0; }
}  // namespace

TEST_CASE("Shape exposes rank, size and dims at compile time", "[core]") {
  using S = Shape<32, 32, 3>;
  static_assert(S::rank == 3 && S::size == 3072);
  static_assert(S::dims[0] == 32 && S::dims[2] == 3);
  static_assert(rank_is<S, 3> && !rank_is<S, 1>);
  static_assert(all_dims_positive<S> && !all_dims_positive<Shape<0, 3>>);
  static_assert(last_dim<S> == 3);
  REQUIRE(shape_string<S>() == "(None, 32, 32, 3)");
  REQUIRE(shape_string<Shape<10>>() == "(None, 10)");
}

TEMPLATE_TEST_CASE("Tensor is zeroed, 64-byte aligned and padded to whole lines", "[core]", float, double) {
  using T3 = Tensor<Shape<5, 4, 3>, TestType>;
  static_assert(T3::size == 60);
  static_assert(T3::stride % (64 / sizeof(TestType)) == 0 && T3::stride >= 60);
  static_assert(sizeof(T3) == T3::stride * sizeof(TestType));
  static_assert(alignof(T3) == 64);

  T3 on_stack;
  auto on_heap = std::make_unique<T3>();
  std::vector<T3> many(3);
  CHECK(aligned64(on_stack.data()));
  CHECK(aligned64(on_heap->data()));
  for (const auto& t : many) CHECK(aligned64(t.data()));
  for (TestType v : on_stack) CHECK(v == 0);
}

TEST_CASE("Tensor indexes row-major, flat and by coordinates", "[core]") {
  Tensor<Shape<2, 3, 4>> t;
  for (std::size_t i = 0; i < t.size; ++i) t[i] = static_cast<float>(i);
  CHECK(t(0, 0, 0) == 0.0f);
  CHECK(t(0, 0, 3) == 3.0f);
  CHECK(t(0, 2, 1) == 9.0f);
  CHECK(t(1, 2, 3) == 23.0f);
  t(1, 0, 2) = -1.0f;
  CHECK(t[14] == -1.0f);

  const Tensor<Shape<3>> a{1.0f, 2.0f, 3.0f};
  CHECK(a[0] == 1.0f);
  CHECK(a[2] == 3.0f);
  CHECK(a == Tensor<Shape<3>>{1.0f, 2.0f, 3.0f});
  CHECK_FALSE(a == Tensor<Shape<3>>::filled(1.0f));
  const auto f = Tensor<Shape<2, 2>, double>::filled(0.25);
  for (double v : f) CHECK(v == 0.25);
}

TEST_CASE("SplitMix64 follows the published reference stream", "[core]") {
  // First outputs for seed 0 of the reference implementation
  // (Vigna, prng.di.unimi.it/splitmix64.c).
  SplitMix64 rng(0);
  CHECK(rng.next() == 0xe220a8397b1dcdafULL);
  CHECK(rng.next() == 0x6e789e6aa1b965f4ULL);
  CHECK(rng.next() == 0x06c45d188009454fULL);

  SplitMix64 u(7);
  for (int i = 0; i < 1000; ++i) {
    const double x = u.uniform();
    REQUIRE(x >= 0.0);
    REQUIRE(x < 1.0);
  }
}

TEST_CASE("a thread pool runs a job once on each of its threads, again and again", "[core][threads]") {
  ThreadPool pool(3);
  REQUIRE(pool.size() == 3);
  std::array<std::atomic<int>, 3> calls{};
  std::atomic<int> total{0};
  for (int round = 0; round < 2000; ++round) {
    auto job = [&](std::size_t i) {
      calls[i].fetch_add(1);
      total.fetch_add(static_cast<int>(i) + 1);
    };
    pool.run(job);
    REQUIRE(total.load() == 6 * (round + 1));  // every call finished before run returned
  }
  for (auto& c : calls) CHECK(c.load() == 2000);
  CHECK_THROWS_WITH(ThreadPool(0), Catch::Contains("at least one thread"));
}

TEST_CASE("shares cover a range in whole grains, without overlap", "[core][threads]") {
  for (std::size_t count : {0, 1, 10, 16, 17, 200, 3072})
    for (std::size_t threads : {1, 2, 3, 7}) {
      std::size_t next = 0;
      for (std::size_t i = 0; i < threads; ++i) {
        const share s = share_of(count, 16, i, threads);
        REQUIRE(s.begin == next);
        REQUIRE(s.end >= s.begin);
        REQUIRE((s.end == count || s.end % 16 == 0));
        next = s.end;
      }
      REQUIRE(next == count);
    }
}
