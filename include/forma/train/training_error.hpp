#pragma once
#include <cstddef>
#include <stdexcept>
#include <string>

namespace forma {

// Training stopped because the loss or a weight stopped being finite. The
// model keeps its last finite weights.
class training_diverged : public std::runtime_error {
 public:
  training_diverged(const std::string& what, int epoch, std::size_t step)
      : std::runtime_error(what), epoch_(epoch), step_(step) {}
  int epoch() const noexcept { return epoch_; }
  std::size_t step() const noexcept { return step_; }

 private:
  int epoch_;
  std::size_t step_;
};

}  // namespace forma
