#pragma once
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

#include "forma/train/callbacks/callback.hpp"

namespace forma {

// Keras' EarlyStopping: stops when `monitor` has not improved by more than
// min_delta for `patience` epochs; optionally puts back the best weights.
// Quantities named like accuracy improve upwards, others (losses) downwards.
class EarlyStopping : public Callback {
 public:
  struct Options {
    std::string monitor = "val_loss";
    double min_delta = 0.0;
    int patience = 0;
    bool restore_best_weights = false;
  };
  EarlyStopping() : EarlyStopping(Options{}) {}
  explicit EarlyStopping(Options o) : o_(std::move(o)), maximize_(o_.monitor.find("acc") != std::string::npos) {}

  void on_train_begin(TrainingControl&) override {
    wait_ = 0;
    best_ = maximize_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    best_epoch_ = -1;
    stopped_epoch_ = -1;
    best_weights_.reset();
  }

  void on_epoch_end(int epoch, const Logs& logs, TrainingControl& control) override {
    const auto value = logs.get(o_.monitor);
    if (!value)
      throw std::invalid_argument("forma::EarlyStopping monitors '" + o_.monitor +
                                  "', which training does not log (is there validation data?)");
    const bool improved = maximize_ ? *value > best_ + o_.min_delta : *value < best_ - o_.min_delta;
    if (improved) {
      best_ = *value;
      best_epoch_ = epoch;
      wait_ = 0;
      if (o_.restore_best_weights) best_weights_ = control.snapshot_weights();
      return;
    }
    if (++wait_ > o_.patience) {
      stopped_epoch_ = epoch;
      control.stop_training();
      if (o_.restore_best_weights && best_weights_) control.restore_weights(*best_weights_);
    }
  }

  int best_epoch() const noexcept { return best_epoch_; }
  int stopped_epoch() const noexcept { return stopped_epoch_; }
  double best() const noexcept { return best_; }

 private:
  Options o_;
  bool maximize_;
  int wait_ = 0;
  double best_ = 0;
  int best_epoch_ = -1;
  int stopped_epoch_ = -1;
  std::unique_ptr<WeightsSnapshot> best_weights_;
};

}  // namespace forma
