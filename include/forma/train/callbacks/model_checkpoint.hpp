#pragma once
// Keras' ModelCheckpoint: saves the weights (or, with include_optimizer, a
// checkpoint to resume training from) at the end of every epoch, or only
// when `monitor` improved. Quantities named like accuracy improve upwards,
// others (losses) downwards, as in EarlyStopping.
//
//   ModelCheckpoint best(trainer, {.filepath = "best.safetensors", .save_best_only = true});
//   ModelCheckpoint every(trainer, {.filepath = "ckpt-{epoch:02d}.safetensors", .include_optimizer = true});
//   trainer.fit<32>(x, y, {.epochs = 10, .validation_split = 0.1, .callbacks = {&best, &every}});
//
// "{epoch}" in the path becomes the epoch's number counted from 1 (the
// epochs completed, which a checkpoint also records), "{epoch:03d}" the same
// with zeros up to 3 digits; "{{" and "}}" are braces. The callback keeps a
// pointer to the trainer (or model) it was made with, as the trainer keeps
// one to its model.
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <iostream>
#include <limits>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "forma/io/checkpoint.hpp"
#include "forma/io/weights.hpp"
#include "forma/train/callbacks/callback.hpp"

namespace forma {

struct ModelCheckpointOptions {
  std::filesystem::path filepath;
  std::string monitor = "val_loss";
  bool save_best_only = false;
  // Save with io::save_checkpoint (weights, optimizer state, epoch, learning
  // rate) instead of io::save_weights. Needs the callback made from a trainer.
  bool include_optimizer = false;
  // With save_best_only: a value the first save must beat (Keras'
  // initial_value_threshold), e.g. the best of an interrupted run.
  std::optional<double> initial_value_threshold{};
  int verbose = 0;              // 1: a line per epoch on what was saved
  std::ostream* out = nullptr;  // std::cout when null
};

class ModelCheckpoint : public Callback {
 public:
  using Options = ModelCheckpointOptions;

  template <class Tr>
    requires io::detail::checkpointable_trainer<Tr>
  ModelCheckpoint(Tr& trainer, Options o) : ModelCheckpoint(std::move(o), 0) {
    Tr* t = &trainer;
    if (o_.include_optimizer)
      save_ = [t](const std::filesystem::path& p, int epochs_done) { io::save_checkpoint(*t, p, epochs_done); };
    else
      save_ = [t](const std::filesystem::path& p, int) { io::save_weights(t->model(), p); };
  }

  // Weights only: the optimizer's state lives in the trainer.
  template <class Net>
    requires(io::detail::savable_model<Net> && !io::detail::checkpointable_trainer<Net>)
  ModelCheckpoint(Net& model, Options o) : ModelCheckpoint(std::move(o), 0) {
    if (o_.include_optimizer)
      throw std::invalid_argument(
          "forma::ModelCheckpoint: include_optimizer needs the trainer, not the model; make it with the trainer");
    Net* m = &model;
    save_ = [m](const std::filesystem::path& p, int) { io::save_weights(*m, p); };
  }

  void on_epoch_end(int epoch, const Logs& logs, TrainingControl&) override {
    const std::filesystem::path path = filepath_for(epoch);
    if (!o_.save_best_only) {
      save(path, epoch);
      say(epoch, "saving model to " + path.string());
      return;
    }
    const auto value = logs.get(o_.monitor);
    if (!value)
      throw std::invalid_argument("forma::ModelCheckpoint monitors '" + o_.monitor +
                                  "', which training does not log (is there validation data?)");
    const bool improved = maximize_ ? *value > best_ : *value < best_;
    if (!improved) {
      say(epoch, o_.monitor + " did not improve from " + number(best_));
      return;
    }
    const double before = best_;
    save(path, epoch);
    best_ = *value;
    best_epoch_ = epoch;
    say(epoch, o_.monitor + " improved from " + number(before) + " to " + number(*value) + ", saving model to " +
                   path.string());
  }

  // The file epoch `epoch` (from 0, as callbacks see it) is saved to.
  std::filesystem::path filepath_for(int epoch) const {
    std::string s;
    for (const auto& part : parts_) {
      if (part.width < 0) {
        s += part.text;
        continue;
      }
      std::string n = std::to_string(epoch + 1);
      if (n.size() < static_cast<std::size_t>(part.width))
        n.insert(0, static_cast<std::size_t>(part.width) - n.size(), part.fill);
      s += n;
    }
    return std::filesystem::path(s);
  }

  // The best monitored value so far and its epoch (-1 before any save).
  double best() const noexcept { return best_; }
  int best_epoch() const noexcept { return best_epoch_; }
  // The files saved, in order.
  const std::vector<std::filesystem::path>& saved() const noexcept { return saved_; }

 private:
  // A literal piece of the path (width < 0), or the epoch number padded
  // with `fill` to `width` characters.
  struct part {
    std::string text;
    int width = -1;
    char fill = ' ';
  };

  ModelCheckpoint(Options o, int)
      : o_(std::move(o)), maximize_(o_.monitor.find("acc") != std::string::npos) {
    if (o_.filepath.empty()) throw std::invalid_argument("forma::ModelCheckpoint needs a filepath");
    best_ = o_.initial_value_threshold.value_or(maximize_ ? -std::numeric_limits<double>::infinity()
                                                          : std::numeric_limits<double>::infinity());
    parse_filepath(o_.filepath.string());
  }

  void parse_filepath(const std::string& f) {
    auto bad = [&](const std::string& why) {
      return std::invalid_argument("forma::ModelCheckpoint: the filepath '" + f + "' " + why +
                                   "; it may hold {epoch} or {epoch:03d}, and {{ or }} for a brace");
    };
    std::string literal;
    for (std::size_t i = 0; i < f.size(); ++i) {
      if ((f[i] == '{' || f[i] == '}') && i + 1 < f.size() && f[i + 1] == f[i]) {
        literal += f[i++];
        continue;
      }
      if (f[i] == '}') throw bad("has a '}' that closes nothing");
      if (f[i] != '{') {
        literal += f[i];
        continue;
      }
      const std::size_t close = f.find('}', i);
      if (close == std::string::npos) throw bad("has a '{' that is never closed");
      const std::string field = f.substr(i + 1, close - i - 1);
      part p;
      if (field != "epoch") {
        // epoch:[0][width]d
        const std::string spec = field.starts_with("epoch:") ? field.substr(6) : std::string();
        if (spec.size() < 1 || spec.size() > 3 || spec.back() != 'd')
          throw bad("has the field {" + field + "}, which it does not know");
        std::string digits = spec.substr(0, spec.size() - 1);
        if (!digits.empty() && digits[0] == '0') {
          p.fill = '0';
          digits.erase(0, 1);
        }
        for (char c : digits)
          if (c < '0' || c > '9') throw bad("has the field {" + field + "}, which it does not know");
        p.width = digits.empty() ? 0 : std::stoi(digits);
      } else {
        p.width = 0;
      }
      if (!literal.empty()) parts_.push_back({std::move(literal)});
      literal.clear();
      parts_.push_back(std::move(p));
      i = close;
    }
    if (!literal.empty()) parts_.push_back({std::move(literal)});
  }

  void save(const std::filesystem::path& path, int epoch) {
    save_(path, epoch + 1);
    saved_.push_back(path);
  }

  static std::string number(double v) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(5) << v;
    return s.str();
  }

  void say(int epoch, const std::string& what) const {
    if (o_.verbose < 1) return;
    (o_.out ? *o_.out : std::cout) << "\nEpoch " << epoch + 1 << ": " << what << '\n';
  }

  Options o_;
  bool maximize_;
  double best_ = 0;
  int best_epoch_ = -1;
  std::vector<part> parts_;
  std::vector<std::filesystem::path> saved_;
  std::function<void(const std::filesystem::path&, int)> save_;
};

}  // namespace forma
