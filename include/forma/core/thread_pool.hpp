#pragma once
// A fixed set of threads that run one job together: pool.run(f) calls
// f(i) for every i below size(), the caller's own thread taking i = 0, and
// returns when all calls have. Made once (a trainer makes one with its
// threads); a run allocates nothing and takes a few microseconds, so a
// training step can hand each layer's products to it.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "forma/core/share.hpp"

namespace forma {

namespace detail {
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}
}  // namespace detail

class ThreadPool {
 public:
  // `threads` in all, the caller's included: threads - 1 workers start here.
  explicit ThreadPool(std::size_t threads) : size_(threads) {
    if (threads == 0) throw std::invalid_argument("forma: a thread pool needs at least one thread");
    workers_.reserve(threads - 1);
    for (std::size_t i = 1; i < threads; ++i) workers_.emplace_back([this, i] { work(i); });
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  ~ThreadPool() {
    stopping_.store(true, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    for (auto& w : workers_) w.join();
  }

  std::size_t size() const noexcept { return size_; }

  // f(i) for i in [0, size()), concurrently; f must not throw. One run at a
  // time: run is not itself thread-safe.
  template <class F>
  void run(F& f) noexcept {
    if (size_ == 1) {
      f(std::size_t{0});
      return;
    }
    job_ = [](void* ctx, std::size_t i) noexcept { (*static_cast<F*>(ctx))(i); };
    context_ = &f;
    pending_.store(size_ - 1, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    f(std::size_t{0});
    // The shares are even, so the others finish about now; if one was
    // descheduled (a busy machine), yield rather than spin out a time slice.
    for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; ++spins) {
      if (spins < spin_limit)
        detail::cpu_relax();
      else
        std::this_thread::yield();
    }
  }

 private:
  void work(std::size_t index) noexcept {
    std::uint64_t seen = 0;
    for (;;) {
      // Spin a while first: within a training step the next job follows in
      // microseconds, far sooner than a sleeping thread wakes.
      std::uint64_t now = generation_.load(std::memory_order_acquire);
      for (int spins = 0; now == seen && spins < spin_limit; ++spins) {
        detail::cpu_relax();
        now = generation_.load(std::memory_order_acquire);
      }
      if (now == seen) {
        generation_.wait(seen, std::memory_order_acquire);
        continue;
      }
      seen = now;
      if (stopping_.load(std::memory_order_relaxed)) return;
      job_(context_, index);
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  static constexpr int spin_limit = 1 << 14;

  std::size_t size_;
  std::vector<std::thread> workers_;
  void (*job_)(void*, std::size_t) noexcept = nullptr;
  void* context_ = nullptr;
  alignas(64) std::atomic<std::uint64_t> generation_{0};
  alignas(64) std::atomic<std::size_t> pending_{0};
  std::atomic<bool> stopping_{false};
};

}  // namespace forma
