#pragma once
// What forma's benchmarks and the peers' report alike (C++17: the libtorch
// peer includes it too).
#include <benchmark/benchmark.h>

#include <string>

namespace bench {

// Achieved GFLOP/s from the work one iteration needs (mlp_shapes.hpp's counts).
inline void flops_counter(benchmark::State& state, double flops_per_iteration) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops_per_iteration / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

// A peer's self-check result (empty: passed) turned into a skipped
// benchmark, so that a broken peer shows an error instead of fast garbage.
inline bool skip_on_failure(benchmark::State& state, const std::string& failure) {
  if (failure.empty()) return false;
  state.SkipWithError(failure.c_str());
  return true;
}

}  // namespace bench
