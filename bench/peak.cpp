// The machine's limits, measured in the same binary as forma and its peers:
// FMA throughput on the widest vectors and the time to stream a model's
// weights once, so that every result can also be read as a fraction of peak.
#include <benchmark/benchmark.h>
#include <x86intrin.h>

#include <cstddef>
#include <memory>
#include <numeric>
#include <vector>

#include <forma/kernels/backend.hpp>
#include <forma/kernels/static_for.hpp>

#include "mlp_shapes.hpp"

namespace {

using V = xsimd::batch<float, xsimd::default_arch>;

// Chains independent FMAs: with latency 4 and two FMA ports, 8 chains keep
// the units busy; 12 (the minimum) and 24 leave no doubt.
template <std::size_t Chains>
void bm_fma(benchmark::State& state) {
  V acc[Chains];
  forma::kernels::static_for<Chains>([&](auto i) { acc[i] = V(1.0f + 1e-3f * static_cast<float>(i.value)); });
  const V a(0.999999f), b(1e-7f);
  constexpr long inner = 4096;
  const unsigned long long t0 = __rdtsc();
  for (auto _ : state) {
    for (long k = 0; k < inner; ++k) {
      forma::kernels::static_for<Chains>([&](auto i) { acc[i] = forma::kernels::fma(acc[i], a, b); });
    }
    // Floating-point chains cannot be reassociated, so using the results
    // once per 4096 rounds keeps every FMA without touching memory inside.
    forma::kernels::static_for<Chains>([&](auto i) { benchmark::DoNotOptimize(acc[i]); });
  }
  const double ticks = static_cast<double>(__rdtsc() - t0);
  const double flops = static_cast<double>(state.iterations()) * inner * Chains * V::size * 2;
  state.counters["GFLOP/s"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsRate);
  // Per tick of the time-stamp counter (the nominal clock): the instruction
  // set allows 2 x lanes x FMA ports per core cycle (64 for AVX-512 with two
  // ports), so a value above that would mean the benchmark is wrong.
  const double per_tick = flops / ticks;
  state.counters["FLOP/tick"] = per_tick;
  state.counters["lanes"] = static_cast<double>(V::size);
  if (per_tick > 2.0 * V::size * 2 * 1.5)
    state.SkipWithError("FMA rate above the instruction set's limit: the benchmark is broken");
}
BENCHMARK(bm_fma<12>)->Name("peak/fma")->UseRealTime();
BENCHMARK(bm_fma<24>)->Name("peak/fma24")->UseRealTime();

// Reads n floats as batch-1 inference reads the weights: once, front to
// back, the same buffer every call (so caches hold what they can).
void stream_read(benchmark::State& state, std::size_t n) {
  auto data = std::make_unique<float[]>(n + 64);
  float* p = data.get() + (64 - reinterpret_cast<std::uintptr_t>(data.get()) % 64) / sizeof(float) % 16;
  std::iota(p, p + n, 0.0f);
  const std::size_t whole = n / (4 * V::size) * (4 * V::size);
  for (auto _ : state) {
    V s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
    for (std::size_t i = 0; i < whole; i += 4 * V::size) {
      s0 += V::load_aligned(p + i);
      s1 += V::load_aligned(p + i + V::size);
      s2 += V::load_aligned(p + i + 2 * V::size);
      s3 += V::load_aligned(p + i + 3 * V::size);
    }
    float total = xsimd::hadd((s0 + s1) + (s2 + s3));
    for (std::size_t i = whole; i < n; ++i) total += p[i];
    benchmark::DoNotOptimize(total);
  }
  state.counters["GB/s"] = benchmark::Counter(static_cast<double>(n * sizeof(float)) / 1e9,
                                              benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes"] = static_cast<double>(n * sizeof(float));
}
BENCHMARK_CAPTURE(stream_read, cifar, bench::cifar.param_count())
    ->Name("peak/stream_read/cifar")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(stream_read, fashion, bench::fashion.param_count())
    ->Name("peak/stream_read/fashion")->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
