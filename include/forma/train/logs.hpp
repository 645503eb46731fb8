#pragma once
// Named values at the end of an epoch ("loss", "accuracy", "val_loss", ...),
// in the order Keras reports them.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace forma {

class Logs {
 public:
  void set(std::string name, double value) {
    for (auto& [n, v] : entries_)
      if (n == name) {
        v = value;
        return;
      }
    entries_.emplace_back(std::move(name), value);
  }
  std::optional<double> get(std::string_view name) const {
    for (const auto& [n, v] : entries_)
      if (n == name) return v;
    return std::nullopt;
  }
  const std::vector<std::pair<std::string, double>>& entries() const noexcept { return entries_; }

 private:
  std::vector<std::pair<std::string, double>> entries_;
};

}  // namespace forma
