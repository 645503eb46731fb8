#pragma once
// Subnormal floats flushed to zero while training, as TensorFlow does on
// CPUs: Adam's first moment decays by beta_1 each step, so the moments of
// weights whose gradient went to zero (dead ReLU units) sink into the
// subnormal range within a few hundred steps, and every operation on a
// subnormal costs a microcode assist: Adam over the CIFAR-10 MLP's first
// layer took 11.3 ms with subnormal moments against 390 us flushed
// (bench_mlp --benchmark_filter=kernel/adam, 2026-11-27).
// Values this small (below 1.2e-38 in float) change no result that matters.
#include <cstdint>

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#endif

namespace forma {

// Sets flush-to-zero and denormals-are-zero on this thread for its scope,
// and restores the caller's mode after.
class ScopedFlushDenormals {
 public:
#if defined(__SSE__) || defined(__x86_64__)
  ScopedFlushDenormals() noexcept : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | ftz | daz); }
  ~ScopedFlushDenormals() { _mm_setcsr(saved_); }

 private:
  static constexpr unsigned ftz = 1u << 15, daz = 1u << 6;
  unsigned saved_;
#elif defined(__aarch64__)
  ScopedFlushDenormals() noexcept {
    asm volatile("mrs %0, fpcr" : "=r"(saved_));
    const std::uint64_t flushed = saved_ | fz;
    asm volatile("msr fpcr, %0" : : "r"(flushed));
  }
  ~ScopedFlushDenormals() { asm volatile("msr fpcr, %0" : : "r"(saved_)); }

 private:
  static constexpr std::uint64_t fz = std::uint64_t{1} << 24;
  std::uint64_t saved_;
#else
  ScopedFlushDenormals() noexcept {}
#endif
  ScopedFlushDenormals(const ScopedFlushDenormals&) = delete;
  ScopedFlushDenormals& operator=(const ScopedFlushDenormals&) = delete;
};

}  // namespace forma
