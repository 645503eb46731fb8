#pragma once
#include <functional>
#include <utility>

#include "forma/train/callbacks/callback.hpp"

namespace forma {

// Keras' LearningRateScheduler: before each epoch, lr = schedule(epoch, lr).
class LearningRateScheduler : public Callback {
 public:
  explicit LearningRateScheduler(std::function<double(int epoch, double lr)> schedule)
      : schedule_(std::move(schedule)) {}
  void on_epoch_begin(int epoch, TrainingControl& control) override {
    control.set_learning_rate(schedule_(epoch, control.learning_rate()));
  }

 private:
  std::function<double(int, double)> schedule_;
};

}  // namespace forma
