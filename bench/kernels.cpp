// The first layer of the CIFAR-shaped seed step, kernel by kernel: what the
// README's account of the step rests on (the forward product with its
// weights streamed from L3 and with weights that fit L2, the weight-gradient
// product alone, Adam's update over the layer and over weights in L1, the
// gradient and update fused, and what subnormal moments cost Adam without
// the flush training sets), and the forward and the fused update on one and
// two threads, apart and one after the other as in a training step.
//   build/bench/bench/bench_mlp --benchmark_filter=kernel/
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <memory>
#include <new>

#include <forma/activations/activations.hpp>
#include <forma/core/flush_denormals.hpp>
#include <forma/core/thread_pool.hpp>
#include <forma/kernels/dense.hpp>
#include <forma/kernels/dense_backward.hpp>
#include <forma/layers/dense.hpp>

#include "bench_support.hpp"
#include "mlp_shapes.hpp"

namespace {

using namespace forma;

constexpr std::size_t K = bench::cifar.inputs, N = padded<float>(bench::cifar.hidden1), R = bench::train_batch;
constexpr std::size_t size = K * N;

struct aligned_floats {
  explicit aligned_floats(std::size_t n, float value) : p(new (std::align_val_t{64}) float[n]) {
    for (std::size_t i = 0; i < n; ++i) p[i] = value;
  }
  ~aligned_floats() { ::operator delete[](p, std::align_val_t{64}); }
  aligned_floats(const aligned_floats&) = delete;
  aligned_floats& operator=(const aligned_floats&) = delete;
  float* p;
};

// Tiny rates keep the weights and moments where they start across millions
// of updates.
const auto adam = kernels::adam_rule<float>::from(1e-12, 0.9, 0.999, 1e-7);

void weight_grad(benchmark::State& state) {
  aligned_floats a(R * K, 0.5f), dz(R * N, 0.25f), g(size + N, 0.0f);
  for (auto _ : state) {
    kernels::dense_weight_grad<K, N, K>(kernels::native{}, R, a.p, dz.p, g.p, g.p + size);
    benchmark::ClobberMemory();
  }
  bench::flops_counter(state, 2.0 * K * N * R);
}
BENCHMARK(weight_grad)->Name("kernel/weight_grad/cifar")->Unit(benchmark::kMicrosecond)->UseRealTime();

// The first layer's forward product at batch 32 (ReLU fused), over Columns
// of its 200: all of them (2.6 MB of weights, more than L2 holds, so each
// repetition streams them from L3) or 96 (1.2 MB, which stay in L2).
template <std::size_t Columns>
void forward(benchmark::State& state) {
  constexpr std::size_t n = padded<float>(Columns);
  aligned_floats a(R * K, 0.5f), w(K * n, 0.01f), b(n, 0.0f), c(R * n, 0.0f);
  for (auto _ : state) {
    kernels::dense_forward<K, n, K, n, ReLU>(kernels::native{}, R, a.p, w.p, b.p, c.p);
    benchmark::ClobberMemory();
  }
  bench::flops_counter(state, 2.0 * K * n * R);
}
BENCHMARK(forward<bench::cifar.hidden1>)->Name("kernel/forward/cifar")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(forward<96>)->Name("kernel/forward/cifar_96_columns_in_l2")->Unit(benchmark::kMicrosecond)->UseRealTime();

// Reads w, g, m, v and writes w, m, v: 7 x 4 bytes a weight.
// Gradients equal to the first moments keep the moments where they start.
void adam_update(benchmark::State& state) {
  const ScopedFlushDenormals flush;
  aligned_floats w(size, 0.1f), g(size, 1e-3f), m(size, 1e-3f), v(size, 1e-4f);
  for (auto _ : state) {
    kernels::apply_rule(kernels::native{}, adam, w.p, g.p, {m.p, v.p}, size);
    benchmark::ClobberMemory();
  }
  state.counters["GB/s"] = benchmark::Counter(7.0 * 4 * size / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(adam_update)->Name("kernel/adam_update/cifar")->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// Adam's update over 1024 weights, which stay in L1 with their state: what
// the rule's arithmetic costs a vector when memory costs nothing.
void adam_update_in_l1(benchmark::State& state) {
  const ScopedFlushDenormals flush;
  constexpr std::size_t n = 1024;
  aligned_floats w(n, 0.1f), g(n, 1e-3f), m(n, 1e-3f), v(n, 1e-4f);
  for (auto _ : state) {
    kernels::apply_rule(kernels::native{}, adam, w.p, g.p, {m.p, v.p}, n);
    benchmark::ClobberMemory();
  }
  // Per 16 weights: one cache line of each array, one AVX-512 vector.
  state.counters["ns/16 weights"] = benchmark::Counter(double(n) / 16,
                                                   benchmark::Counter::kIsIterationInvariantRate |
                                                       benchmark::Counter::kInvert);
}
BENCHMARK(adam_update_in_l1)->Name("kernel/adam_update_in_l1")->Unit(benchmark::kNanosecond)->UseRealTime();

// First moments already subnormal (as for dead units after a few hundred
// steps), without the flush: every operation on them takes an assist.
void adam_update_subnormal(benchmark::State& state) {
  const float tiny = std::numeric_limits<float>::denorm_min() * 1000;
  aligned_floats w(size, 0.1f), g(size, tiny), m(size, tiny), v(size, 1e-4f);
  for (auto _ : state) {
    kernels::apply_rule(kernels::native{}, adam, w.p, g.p, {m.p, v.p}, size);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(adam_update_subnormal)->Name("kernel/adam_update_subnormal_unflushed/cifar")
    ->Unit(benchmark::kMicrosecond)->UseRealTime();

void fused_update(benchmark::State& state) {
  const ScopedFlushDenormals flush;
  aligned_floats a(R * K, 0.5f), dz(R * N, 0.25f), w(size, 0.1f), m(size, 1e-3f), v(size, 1e-4f);
  for (auto _ : state) {
    kernels::dense_weight_update<K, N, K>(kernels::native{}, R, a.p, dz.p, w.p, {m.p, v.p}, adam, 0, K);
    benchmark::ClobberMemory();
  }
  bench::flops_counter(state, 2.0 * K * N * R);
}
BENCHMARK(fused_update)->Name("kernel/fused_weight_update/cifar")->Unit(benchmark::kMicrosecond)->UseRealTime();

// The first layer's products on a pool of `threads`, shared as a trainer
// shares them (Dense's forward_share, forward_finish and update_share: the
// update by rows of W, the forward by the same two halves of W's rows, then
// their sums added). Which selects the forward (1), the update (2) or the
// update then the forward (3): the order of a training step, where the
// update has just streamed W and its moments through the caches.
void shared_products(benchmark::State& state) {
  using FirstLayer = Dense<bench::cifar.hidden1, ReLU>::bind<Shape<K>, float>;
  constexpr std::size_t all = FirstLayer::params::kernel_size + N;  // kernel and bias
  const ScopedFlushDenormals flush;
  const auto threads = static_cast<std::size_t>(state.range(0));
  const auto which = state.range(1);
  aligned_floats a(R * K, 0.5f), dz(R * N, 0.25f), c(R * N, 0.0f), scratch(R * N, 0.0f), m(all, 1e-3f),
      v(all, 1e-4f);
  const auto p = std::make_unique<FirstLayer::params>();
  std::fill(p->data, p->data + all, 0.01f);
  ThreadPool pool(threads);
  auto job = [&](std::size_t i) noexcept {
    const ScopedFlushDenormals flush_here;
    if (which & 2)
      FirstLayer::update_share<kernels::native, K, false>(*p, {m.p, v.p}, adam, R, a.p, dz.p, nullptr, i,
                                                          pool.size());
    if (which & 1) FirstLayer::forward_share<kernels::native, K>(*p, R, a.p, c.p, scratch.p, i, pool.size());
  };
  for (auto _ : state) {
    pool.run(job);
    if (which & 1) FirstLayer::forward_finish<kernels::native>(R, c.p, scratch.p);
    benchmark::ClobberMemory();
  }
  bench::flops_counter(state, 2.0 * K * N * R * ((which & 1) + (which >> 1 & 1)));
}
BENCHMARK(shared_products)->Name("kernel/shared/cifar")->ArgNames({"threads", "which"})
    ->ArgsProduct({{1, 2}, {1, 2, 3}})->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
