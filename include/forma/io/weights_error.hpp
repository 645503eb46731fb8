#pragma once
// The one exception type of forma::io: a weights or checkpoint file that is
// missing, truncated, malformed, lies about its sizes, holds weights of
// another architecture, or cannot be written.
#include <filesystem>
#include <stdexcept>
#include <string>

namespace forma::io {

class weights_error : public std::runtime_error {
 public:
  // "forma: <file>: <problem>", so the message alone says where to look.
  // Bytes read from memory are named by the caller ("<memory>" by default).
  weights_error(const std::filesystem::path& file, const std::string& problem)
      : std::runtime_error("forma: " + file.string() + ": " + problem), file_(file) {}

  const std::filesystem::path& file() const noexcept { return file_; }

 private:
  std::filesystem::path file_;
};

}  // namespace forma::io
