#pragma once
// The one exception type of forma::data: a file, or data read from one, that
// is missing, malformed or lies about its sizes.
#include <filesystem>
#include <stdexcept>
#include <string>

namespace forma::data {

class data_error : public std::runtime_error {
 public:
  // "forma: <file>: <problem>", so the message alone says where to look.
  data_error(const std::filesystem::path& file, const std::string& problem)
      : std::runtime_error("forma: " + file.string() + ": " + problem), file_(file) {}
  // A problem with data already in memory (a label out of range, say).
  explicit data_error(const std::string& what) : std::runtime_error(what) {}

  // The file at fault; empty for data already in memory.
  const std::filesystem::path& file() const noexcept { return file_; }

 private:
  std::filesystem::path file_;
};

}  // namespace forma::data
