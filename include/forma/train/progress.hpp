#pragma once
// Keras-style progress output for fit:
//
//   Epoch 3/10
//   1563/1563 [==============================] - 5s 3ms/step - loss: 1.4520 - accuracy: 0.4883
//
// With verbose 1 on a terminal the bar is redrawn in place as steps finish;
// when the output is not a terminal only the finished line is written, one
// per epoch. verbose 2 writes one short line per epoch, 0 nothing.
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <iostream>
#include <ostream>
#include <algorithm>
#include <string>

#include "forma/train/logs.hpp"

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

namespace forma {

// True when `os` is std::cout and standard output is a terminal.
inline bool is_terminal(const std::ostream& os) {
#if __has_include(<unistd.h>)
  return &os == &std::cout && ::isatty(STDOUT_FILENO) == 1;
#else
  (void)os;
  return false;
#endif
}

class ProgressBar {
 public:
  using clock = std::chrono::steady_clock;

  ProgressBar(std::ostream& os, int verbose, bool live) : os_(os), verbose_(verbose), live_(live) {}

  void epoch_begin(int epoch, int epochs, std::size_t steps) {
    steps_ = steps;
    start_ = last_draw_ = clock::now();
    if (verbose_ > 0) os_ << "Epoch " << epoch + 1 << '/' << epochs << '\n' << std::flush;
  }

  // Whether step(done, ...) would draw: the caller builds the running
  // values only then.
  bool wants_step(std::size_t done) const {
    return verbose_ == 1 && live_ && (done == steps_ || clock::now() - last_draw_ >= std::chrono::milliseconds(100));
  }

  // After step `done` (1-based), with the running averages so far.
  void step(std::size_t done, const Logs& running) {
    if (verbose_ != 1 || !live_) return;
    const auto now = clock::now();
    last_draw_ = now;
    const double elapsed = seconds_since_start(now);
    std::string line = counter(done) + ' ' + bar(done);
    if (done < steps_) line += " - ETA: " + duration(elapsed / static_cast<double>(done) * static_cast<double>(steps_ - done));
    else line += " - " + duration(elapsed) + ' ' + per_step(elapsed);
    os_ << '\r' << line << values(running) << "\x1b[K" << std::flush;
  }

  void epoch_end(const Logs& logs) {
    if (verbose_ == 0) return;
    const double elapsed = seconds_since_start(clock::now());
    if (verbose_ == 1) {
      os_ << (live_ ? "\r" : "") << counter(steps_) << ' ' << bar(steps_) << " - " << duration(elapsed) << ' '
          << per_step(elapsed) << values(logs) << (live_ ? "\x1b[K" : "") << '\n';
    } else {
      os_ << counter(steps_) << " - " << duration(elapsed) << " - " << per_step(elapsed) << values(logs) << '\n';
    }
    os_ << std::flush;
  }

 private:
  double seconds_since_start(clock::time_point now) const {
    return std::chrono::duration<double>(now - start_).count();
  }
  std::string counter(std::size_t done) const {
    const std::string total = std::to_string(steps_);
    std::string d = std::to_string(done);
    return std::string(total.size() - std::min(total.size(), d.size()), ' ') + d + '/' + total;
  }
  std::string bar(std::size_t done) const {
    constexpr std::size_t width = 30;
    const std::size_t filled = steps_ ? width * done / steps_ : width;
    std::string b(filled, '=');
    if (filled < width) b += '>' + std::string(width - filled - 1, '.');
    return '[' + b + ']';
  }
  static std::string duration(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0fs", s);
    return buf;
  }
  std::string per_step(double elapsed) const {
    const double s = steps_ ? elapsed / static_cast<double>(steps_) : 0.0;
    char buf[32];
    if (s >= 1) std::snprintf(buf, sizeof buf, "%.0fs/step", s);
    else if (s >= 1e-3) std::snprintf(buf, sizeof buf, "%.0fms/step", s * 1e3);
    else std::snprintf(buf, sizeof buf, "%.0fus/step", s * 1e6);
    return buf;
  }
  static std::string values(const Logs& logs) {
    std::string out;
    char buf[32];
    for (const auto& [name, v] : logs.entries()) {
      std::snprintf(buf, sizeof buf, "%.4f", v);
      out += " - " + name + ": " + buf;
    }
    return out;
  }

  std::ostream& os_;
  int verbose_;
  bool live_;
  std::size_t steps_ = 0;
  clock::time_point start_{}, last_draw_{};
};

}  // namespace forma
