#pragma once
// history_csv: a History as CSV, one row per epoch, like Keras' CSVLogger
// (but with epochs counted from 1, as the progress bar shows them).
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "forma/plot/atomic_file.hpp"
#include "forma/train/history.hpp"

namespace forma::plot {

// History keeps its values in a std::map, which forgets the order Keras
// logs them in; this restores it: "loss", the other training metrics
// alphabetically, then each one's "val_" twin in the same order, then any
// "val_" value without a twin. So: loss, accuracy, val_loss, val_accuracy.
inline std::vector<std::string> history_columns(const History& history) {
  const auto has = [&](const std::string& k) { return history.history.count(k) != 0; };
  const auto is_val = [](const std::string& k) { return k.rfind("val_", 0) == 0; };
  std::vector<std::string> train;
  for (const auto& [k, v] : history.history)
    if (!is_val(k) && k != "loss") train.push_back(k);  // a std::map iterates alphabetically
  if (has("loss")) train.insert(train.begin(), "loss");
  std::vector<std::string> cols = train;
  for (const auto& k : train)
    if (has("val_" + k)) cols.push_back("val_" + k);
  for (const auto& [k, v] : history.history)
    if (is_val(k) && std::find(cols.begin(), cols.end(), k) == cols.end()) cols.push_back(k);
  return cols;
}

namespace detail {

// The shortest text that reads back as the same double, as Python's repr.
inline std::string shortest(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ec == std::errc{} ? r.ptr : buf);
}

}  // namespace detail

// Header "epoch,<columns>", then one row per epoch; a value the history lacks
// for an epoch is an empty cell. Replaces `path` atomically; throws
// write_error naming `path` on failure.
inline void history_csv(const History& history, const std::filesystem::path& path) {
  const std::vector<std::string> cols = history_columns(history);
  std::size_t rows = history.epoch.size();
  for (const auto& k : cols) rows = std::max(rows, history.history.at(k).size());

  std::string text = "epoch";
  for (const auto& k : cols) text += "," + k;
  text += "\n";
  for (std::size_t i = 0; i < rows; ++i) {
    // History counts epochs from 0, as Keras does.
    text += std::to_string(i < history.epoch.size() ? history.epoch[i] + 1 : static_cast<int>(i) + 1);
    for (const auto& k : cols) {
      const auto& values = history.history.at(k);
      text += ",";
      if (i < values.size()) text += detail::shortest(values[i]);
    }
    text += "\n";
  }
  write_atomically(path, [&text](std::FILE* file, std::string& why) {
    errno = 0;
    if (std::fwrite(text.data(), 1, text.size(), file) == text.size()) return true;
    why = detail::errno_text(errno);
    return false;
  });
}

}  // namespace forma::plot
