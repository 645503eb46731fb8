// The first layer of the CIFAR-shaped seed step, kernel by kernel: what the
// README's account of the step rests on (the weight-gradient product alone,
// Adam's update over the layer as a memory stream, the two fused, and what
// subnormal moments cost Adam without the flush training sets).
//   build/bench/bench/bench_mlp --benchmark_filter=kernel/
#include <benchmark/benchmark.h>

#include <cstddef>
#include <limits>
#include <memory>
#include <new>

#include <forma/core/flush_denormals.hpp>
#include <forma/kernels/dense_backward.hpp>

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
const kernels::adam_rule<float> adam{1e-12f, 0.9f, 0.999f, 1e-7f};

void weight_grad(benchmark::State& state) {
  aligned_floats a(R * K, 0.5f), dz(R * N, 0.25f), g(size + N, 0.0f);
  for (auto _ : state) {
    kernels::dense_weight_grad<K, N, K>(kernels::native{}, R, a.p, dz.p, g.p, g.p + size);
    benchmark::ClobberMemory();
  }
  bench::flops_counter(state, 2.0 * K * N * R);
}
BENCHMARK(weight_grad)->Name("kernel/weight_grad/cifar")->Unit(benchmark::kMicrosecond)->UseRealTime();

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

}  // namespace
