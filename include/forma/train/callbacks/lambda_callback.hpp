#pragma once
#include <functional>
#include <utility>

#include "forma/train/callbacks/callback.hpp"

namespace forma {

// A user function called at the end of every epoch with its logs.
class LambdaCallback : public Callback {
 public:
  explicit LambdaCallback(std::function<void(int epoch, const Logs&)> on_epoch_end)
      : f_(std::move(on_epoch_end)) {}
  void on_epoch_end(int epoch, const Logs& logs, TrainingControl&) override { f_(epoch, logs); }

 private:
  std::function<void(int, const Logs&)> f_;
};

}  // namespace forma
