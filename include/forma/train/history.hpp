#pragma once
// What fit returns: every logged value per epoch, as Keras' History.history.
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "forma/train/logs.hpp"

namespace forma {

struct History {
  std::vector<int> epoch;
  std::map<std::string, std::vector<double>> history;

  const std::vector<double>& operator[](const std::string& name) const {
    const auto it = history.find(name);
    if (it == history.end()) throw std::out_of_range("forma::History has no values named '" + name + "'");
    return it->second;
  }
  void record(int e, const Logs& logs) {
    epoch.push_back(e);
    for (const auto& [name, value] : logs.entries()) history[name].push_back(value);
  }
};

}  // namespace forma
