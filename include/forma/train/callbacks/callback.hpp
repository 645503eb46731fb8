#pragma once
// Callbacks see the end of every epoch and may steer training through the
// TrainingControl the trainer hands them: read or set the learning rate,
// stop, snapshot and restore the weights.
#include <memory>

#include "forma/train/logs.hpp"

namespace forma {

// A copy of a model's weights, opaque to the callback that keeps it.
class WeightsSnapshot {
 public:
  virtual ~WeightsSnapshot() = default;
};

class TrainingControl {
 public:
  virtual double learning_rate() const = 0;
  virtual void set_learning_rate(double lr) = 0;
  virtual void stop_training() = 0;
  virtual std::unique_ptr<WeightsSnapshot> snapshot_weights() const = 0;
  virtual void restore_weights(const WeightsSnapshot& snapshot) = 0;

 protected:
  ~TrainingControl() = default;
};

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_train_begin(TrainingControl&) {}
  virtual void on_epoch_begin(int /*epoch*/, TrainingControl&) {}
  virtual void on_epoch_end(int /*epoch*/, const Logs&, TrainingControl&) {}
  virtual void on_train_end(TrainingControl&) {}
};

}  // namespace forma
