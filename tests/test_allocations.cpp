// Inference allocates nothing on the heap. The global allocation functions
// are replaced with counting ones; the counter only runs inside a scope.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>
#include <vector>

#include <forma/core/thread_pool.hpp>
#include <forma/forma.hpp>
#include <forma/layers/add.hpp>
#include <forma/layers/concatenate.hpp>

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};

void* counted_alloc(std::size_t n, std::size_t align) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
  if (n == 0) n = 1;
  void* p = align > alignof(std::max_align_t) ? std::aligned_alloc(align, (n + align - 1) / align * align)
                                              : std::malloc(n);
  if (!p) throw std::bad_alloc();
  return p;
}

// Counts the heap allocations made while f runs.
template <class F>
long allocations_during(F&& f) {
  allocations = 0;
  counting = true;
  f();
  counting = false;
  return allocations.load();
}
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n, 0); }
void* operator new[](std::size_t n) { return counted_alloc(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return counted_alloc(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_alloc(n, static_cast<std::size_t>(a)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_alloc(n, 0);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

using namespace forma;
using Mlp = Sequential<Input<32, 32, 3>, Flatten, Dense<200, ReLU>, Dense<150, ReLU>, Dense<10, Softmax>>;

TEST_CASE("the counter sees allocations", "[allocations]") {
  // Proves the check below can fail.
  float first = 0;
  const long n = allocations_during([&] {
    std::vector<float> v(100, 1.0f);
    first = v[0];
  });
  REQUIRE(n == 1);
  REQUIRE(first == 1.0f);
  bool made = false;
  const long m = allocations_during([&] { made = std::make_unique<Mlp>() != nullptr; });
  REQUIRE(m == 1);
  REQUIRE(made);
}

TEST_CASE("predict allocates nothing", "[allocations]") {
  auto model = std::make_unique<Mlp>();
  model->init(3);
  const auto x = Tensor<Mlp::input_shape>::filled(0.5f);
  Tensor<Mlp::output_shape> y;
  const long n = allocations_during([&] { y = model->predict(x); });
  REQUIRE(n == 0);
  REQUIRE(y[0] > 0.0f);
}

TEST_CASE("batched predict allocates nothing", "[allocations]") {
  auto model = std::make_unique<Mlp>();
  model->init(3);
  std::vector<Tensor<Mlp::input_shape>> xs(45, Tensor<Mlp::input_shape>::filled(0.25f));
  std::vector<Tensor<Mlp::output_shape>> ys(45);
  auto ws = std::make_unique<Mlp::workspace<64>>();
  std::size_t done_stack = 0, done_given = 0;
  const long n = allocations_during([&] {
    done_stack = model->predict<16>(xs, ys);      // workspace on the stack
    done_given = model->predict<64>(xs, ys, *ws);  // workspace from the caller
  });
  REQUIRE(n == 0);
  REQUIRE(done_stack == 45);
  REQUIRE(done_given == 45);
  REQUIRE(ys[44][0] > 0.0f);
}

TEST_CASE("batched predict on a thread pool allocates nothing and equals one thread", "[allocations]") {
  auto model = std::make_unique<Mlp>();
  model->init(5);
  SplitMix64 rng(2);
  std::vector<Tensor<Mlp::input_shape>> xs(45);  // 45 = 32 + 13: a partial batch, shared unevenly
  for (auto& x : xs)
    for (std::size_t k = 0; k < Mlp::input_shape::size; ++k) x.data()[k] = static_cast<float>(rng.uniform());
  std::vector<Tensor<Mlp::output_shape>> one(45), pooled(45);
  auto ws = std::make_unique<Mlp::workspace<32>>();
  model->predict<32>(xs, one, *ws);
  ThreadPool pool(3);  // its threads start here
  std::size_t done = 0;
  const long n = allocations_during([&] { done = model->predict<32>(xs, pooled, *ws, pool); });
  REQUIRE(n == 0);
  REQUIRE(done == 45);
  for (std::size_t i = 0; i < 45; ++i)
    for (std::size_t j = 0; j < 10; ++j) REQUIRE(pooled[i][j] == one[i][j]);
}

TEST_CASE("a training step allocates nothing, on one thread or two", "[allocations]") {
  const std::size_t threads = GENERATE(1, 2);
  auto model = std::make_unique<Mlp>();
  model->init(3);
  auto trainer = compile(*model, loss::CategoricalCrossentropy{}, optim::Adam{.learning_rate = 5e-4},
                         metrics::Accuracy{});
  trainer.set_threads(threads);  // the pool's threads start here, once
  auto session = trainer.session<32>();  // allocates the batch's buffers, once
  std::vector<Tensor<Mlp::input_shape>> xs(32, Tensor<Mlp::input_shape>::filled(0.5f));
  std::vector<Tensor<Mlp::output_shape>> ys(32);
  for (auto& y : ys) y[3] = 1.0f;
  const std::span<const Tensor<Mlp::input_shape>> all(xs), part = all.first(16);
  const std::span<const Tensor<Mlp::output_shape>> labels(ys), part_labels = labels.first(16);
  double full = 0, partial = 0;
  const long n = allocations_during([&] {
    full = session.train_on_batch(all, labels);
    partial = session.train_on_batch(part, part_labels);  // a last partial batch
  });
  REQUIRE(n == 0);
  REQUIRE(full > 0.0);
  REQUIRE(partial > 0.0);
}

namespace {
// A graph: a skip connection and two inputs.
constexpr auto graph_a = forma::Input<64>{};
constexpr auto graph_b = forma::Input<8>{};
constexpr auto graph_h = forma::Dense<96, forma::ReLU>{}(graph_a);
constexpr auto graph_out = forma::Dense<10, forma::Softmax>{}(
    forma::Concatenate{}(forma::Add{}(graph_h, forma::Dense<96, forma::Tanh>{}(graph_h)), graph_b));
using Graph = forma::Model<std::tuple<decltype(graph_a), decltype(graph_b)>, decltype(graph_out)>;
}  // namespace

TEST_CASE("a graph's predict and training step allocate nothing", "[allocations]") {
  const std::size_t threads = GENERATE(1, 2);
  auto model = std::make_unique<Graph>();
  model->init(3);
  std::vector<Tensor<Shape<64>>> xa(32, Tensor<Shape<64>>::filled(0.5f));
  std::vector<Tensor<Shape<8>>> xb(32, Tensor<Shape<8>>::filled(-0.25f));
  std::vector<Tensor<Shape<10>>> ys(32);
  for (auto& y : ys) y[3] = 1.0f;
  auto trainer = compile(*model, loss::CategoricalCrossentropy{}, optim::Adam{.learning_rate = 5e-4});
  trainer.set_threads(threads);
  auto session = trainer.session<32>();
  auto ws = std::make_unique<Graph::workspace<32>>();
  const auto inputs = std::make_tuple(std::span<const Tensor<Shape<64>>>(xa), std::span<const Tensor<Shape<8>>>(xb));
  std::vector<Tensor<Shape<10>>> out(32);
  Tensor<Shape<10>> one;
  double loss = 0;
  std::size_t done = 0;
  const long n = allocations_during([&] {
    loss = session.train_on_batch(inputs, std::span<const Tensor<Shape<10>>>(ys));
    one = model->predict(xa[0], xb[0]);
    done = model->predict<32>(inputs, std::span(out), *ws);
  });
  REQUIRE(n == 0);
  REQUIRE(loss > 0.0);
  REQUIRE(done == 32);
  REQUIRE(one == out[0]);
}
