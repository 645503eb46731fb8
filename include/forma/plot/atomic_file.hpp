#pragma once
// write_atomically: every file forma::plot writes appears whole or not at all.
// The bytes go to a new file beside the target, which is then renamed over it;
// a rename within one directory replaces the old file in one step, so a
// failure (full disk, missing directory, an exception mid-write) leaves the old
// file as it was and no half-written one behind.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

namespace forma::plot {

// Raised when a PNG or CSV cannot be written; what() and path() name the file.
class write_error : public std::runtime_error {
 public:
  write_error(const std::filesystem::path& path, const std::string& why)
      : std::runtime_error("forma::plot could not write '" + path.string() + "': " + why), path_(path) {}
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

namespace detail {

// Closes and deletes the temporary file unless the write was committed, also
// when the writer throws.
class temp_file {
 public:
  temp_file(std::FILE* f, std::filesystem::path p) : file_(f), path_(std::move(p)) {}
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  ~temp_file() {
    if (file_) std::fclose(file_);
    if (!committed_) {
      std::error_code ignored;
      std::filesystem::remove(path_, ignored);
    }
  }
  std::FILE* file() const noexcept { return file_; }
  const std::filesystem::path& path() const noexcept { return path_; }
  // fclose flushes, so only its result says the bytes reached the file system.
  bool close() noexcept {
    const bool ok = std::fclose(file_) == 0;
    file_ = nullptr;
    return ok;
  }
  void commit() noexcept { committed_ = true; }

 private:
  std::FILE* file_;
  std::filesystem::path path_;
  bool committed_ = false;
};

inline std::string errno_text(int e) {
  return e != 0 ? std::generic_category().message(e) : std::string("unknown error");
}

// A fresh name like ".chart.png.tmp-5f3a9c01" in the target's directory. The
// name only has to be unlikely to clash: "x" mode refuses an existing file,
// and a clash just draws another name.
inline temp_file open_temp_beside(const std::filesystem::path& target) {
  static std::atomic<std::uint64_t> counter{0};
  const std::filesystem::path dir = target.parent_path();
  int last_errno = 0;
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::uint64_t h = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    h ^= (counter.fetch_add(1) + 1) * 0x9E3779B97F4A7C15ull;
    h ^= reinterpret_cast<std::uintptr_t>(&counter) >> 4;  // differs between processes under ASLR
    h = (h ^ (h >> 31)) * 0xBF58476D1CE4E5B9ull;
    char suffix[24];
    std::snprintf(suffix, sizeof suffix, ".tmp-%08x", static_cast<unsigned>(h >> 32));
    const std::filesystem::path tmp = dir / ("." + target.filename().string() + suffix);
    errno = 0;
    if (std::FILE* f = std::fopen(tmp.string().c_str(), "wbx")) return temp_file(f, tmp);
    last_errno = errno;
    if (last_errno != EEXIST) break;
  }
  throw write_error(target, "cannot create a temporary file in " +
                                (dir.empty() ? std::string("the current directory") : "'" + dir.string() + "'") +
                                ": " + errno_text(last_errno));
}

}  // namespace detail

// Calls write(FILE*, std::string& why), which returns false and says why on
// failure, then replaces `path` with what it wrote. Throws write_error naming
// `path` if anything fails; the file at `path` is then untouched.
template <class Writer>
void write_atomically(const std::filesystem::path& path, Writer&& write) {
  if (path.filename().empty()) throw write_error(path, "the path names no file");
  detail::temp_file tmp = detail::open_temp_beside(path);
  std::string why;
  if (!std::forward<Writer>(write)(tmp.file(), why)) throw write_error(path, why.empty() ? "writing failed" : why);
  if (std::ferror(tmp.file())) throw write_error(path, "an I/O error occurred while writing");
  errno = 0;
  if (!tmp.close()) throw write_error(path, "cannot finish the file: " + detail::errno_text(errno));
  std::error_code ec;
  std::filesystem::rename(tmp.path(), path, ec);
  if (ec) throw write_error(path, "cannot replace it: " + ec.message());
  tmp.commit();
}

}  // namespace forma::plot
