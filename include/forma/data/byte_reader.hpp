#pragma once
// Reading a file's bytes whether it is gzip-compressed or not. The gzip
// magic (1f 8b) decides, not the file name, so a decompressed dataset and
// the original download read alike.
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "forma/data/data_error.hpp"

namespace forma::data::detail {

class byte_reader {
 public:
  explicit byte_reader(std::filesystem::path path) : path_(std::move(path)) {
    std::error_code ec;
    if (std::filesystem::is_directory(path_, ec)) throw data_error(path_, "cannot open: it is a directory");
    file_ = std::fopen(path_.c_str(), "rb");
    if (!file_) throw data_error(path_, std::string("cannot open (") + std::strerror(errno) + ")");
    const auto size = std::filesystem::file_size(path_, ec);
    file_size_ = ec ? 0 : static_cast<std::uint64_t>(size);

    magic_len_ = std::fread(magic_, 1, 2, file_);
    if (magic_len_ == 2 && magic_[0] == 0x1f && magic_[1] == 0x8b) {
      std::fclose(std::exchange(file_, nullptr));
      gz_ = gzopen(path_.c_str(), "rb");
      if (!gz_) throw data_error(path_, std::string("cannot open as gzip (") + std::strerror(errno) + ")");
      gzbuffer(gz_, 1u << 17);  // fewer system calls than zlib's 8 KiB default
      magic_len_ = 0;
    }
  }
  byte_reader(const byte_reader&) = delete;
  byte_reader& operator=(const byte_reader&) = delete;
  ~byte_reader() {
    if (file_) std::fclose(file_);
    if (gz_) gzclose(gz_);
  }

  const std::filesystem::path& path() const noexcept { return path_; }
  bool compressed() const noexcept { return gz_ != nullptr; }

  // Reads up to n bytes; fewer only at the end of the data. A corrupt gzip
  // stream throws; one that is cut short ends early and sets cut_short().
  std::size_t read(std::uint8_t* dst, std::size_t n) {
    std::size_t total = 0;
    while (magic_at_ < magic_len_ && total < n)  // the bytes sniffed, kept rather than rewound (pipes)
      dst[total++] = magic_[magic_at_++];
    while (total < n) {
      const std::size_t want = std::min<std::size_t>(n - total, std::size_t{1} << 30);
      const std::size_t got = gz_ ? read_gz(dst + total, want) : std::fread(dst + total, 1, want, file_);
      if (!gz_ && got < want && std::ferror(file_))
        throw data_error(path_, std::string("read error (") + std::strerror(errno) + ")");
      total += got;
      if (got < want) break;
    }
    consumed_ += total;
    return total;
  }

  // Up to n bytes (all that remain if fewer). Memory grows with what
  // actually arrives, so a header that claims terabytes allocates nothing
  // unusual before the data runs out.
  std::vector<std::uint8_t> read_up_to(std::size_t n) {
    std::vector<std::uint8_t> out;
    if (!gz_) {
      const std::uint64_t left = file_size_ > consumed_ ? file_size_ - consumed_ : 0;
      out.resize(static_cast<std::size_t>(std::min<std::uint64_t>(n, left)));
      out.resize(read(out.data(), out.size()));
      std::uint8_t more;
      if (out.size() == n || read(&more, 1) == 0) return out;
      out.push_back(more);  // the file grew since it was opened
    }
    std::size_t have = out.size();
    while (have < n) {
      // Start small and double: a corrupt stream costs little before it fails.
      const std::size_t next = std::min(n, std::max(have * 2, std::size_t{64} << 10));
      out.resize(next);
      const std::size_t got = read(out.data() + have, next - have);
      have += got;
      if (have < next) break;
    }
    out.resize(have);
    return out;
  }

  // True when no byte is left (reads one to find out, so call it last).
  bool at_end() {
    std::uint8_t b;
    return read(&b, 1) == 0;
  }

  // The gzip stream ended before its trailer: the file was cut.
  bool cut_short() const noexcept { return cut_short_; }
  std::uint64_t consumed() const noexcept { return consumed_; }

 private:
  std::size_t read_gz(std::uint8_t* dst, std::size_t n) {
    const int got = gzread(gz_, dst, static_cast<unsigned>(n));
    int err = Z_OK;
    const char* msg = gzerror(gz_, &err);
    if (err == Z_BUF_ERROR) {  // zlib's "unexpected end of file"
      cut_short_ = true;
    } else if (err == Z_ERRNO) {
      throw data_error(path_, std::string("read error (") + std::strerror(errno) + ")");
    } else if (err != Z_OK || got < 0) {
      throw data_error(path_, std::string("corrupt gzip data (zlib: ") + (msg ? msg : "unknown error") + ")");
    }
    return got < 0 ? 0 : static_cast<std::size_t>(got);
  }

  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  gzFile gz_ = nullptr;
  std::uint64_t file_size_ = 0;
  std::uint64_t consumed_ = 0;
  std::uint8_t magic_[2] = {0, 0};
  std::size_t magic_len_ = 0, magic_at_ = 0;
  bool cut_short_ = false;
};

}  // namespace forma::data::detail
