#pragma once
// A fresh directory under the system's temporary one for one test, removed
// with its contents at the end. Shared by the tests that write files.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <system_error>

namespace forma_test {

class temp_dir {
 public:
  temp_dir() {
    static std::atomic<unsigned> counter{0};
    const auto tick = std::chrono::steady_clock::now().time_since_epoch().count();
    do path_ = std::filesystem::temp_directory_path() /
               ("forma-test-" + std::to_string(tick) + "-" + std::to_string(counter.fetch_add(1)));
    while (!std::filesystem::create_directory(path_));
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  const std::filesystem::path& path() const { return path_; }
  // The names of what the directory holds.
  std::set<std::string> listing() const {
    std::set<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(path_)) names.insert(e.path().filename().string());
    return names;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace forma_test
