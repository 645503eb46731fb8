#pragma once
// What the loader fuzz targets share. forma's loaders read files (through
// detail::byte_reader, which sniffs the gzip magic), while libFuzzer hands
// over bytes in memory: each input is written to a scratch file, one path per
// process and role, reused from input to input, in $FORMA_FUZZ_SCRATCH
// (scripts/fuzz.sh makes one and removes it, crash or not), else in /dev/shm
// when it exists, else in the temporary directory.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <unistd.h>

namespace forma_fuzz {

// A findings report for a broken property (as opposed to a sanitizer's):
// prints it and aborts, which libFuzzer records as a crash with its input.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "forma fuzz: property violated: %s\n", what);
  std::abort();
}

inline std::filesystem::path scratch_dir() {
  if (const char* dir = std::getenv("FORMA_FUZZ_SCRATCH"); dir && *dir) return dir;
  std::error_code ec;
  if (std::filesystem::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0) return "/dev/shm";
  return std::filesystem::temp_directory_path();
}

// A file the target rewrites for every input; removed at exit.
class scratch_file {
 public:
  explicit scratch_file(const std::string& role)
      : path_(scratch_dir() / ("forma-fuzz-" + std::to_string(::getpid()) + "-" + role)) {}
  scratch_file(const scratch_file&) = delete;
  scratch_file& operator=(const scratch_file&) = delete;
  ~scratch_file() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }

  const std::filesystem::path& write(std::span<const std::uint8_t> bytes) const {
    std::FILE* f = std::fopen(path_.c_str(), "wb");
    if (!f) fail("cannot create the scratch file");
    const bool ok = bytes.empty() || std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    if (std::fclose(f) != 0 || !ok) fail("cannot write the scratch file");
    return path_;
  }

 private:
  std::filesystem::path path_;
};

// bytes as one gzip member (what `gzip` writes), fast level.
inline std::vector<std::uint8_t> gzip(std::span<const std::uint8_t> bytes) {
  z_stream s{};
  if (deflateInit2(&s, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) fail("deflateInit2");
  std::vector<std::uint8_t> out(deflateBound(&s, static_cast<uLong>(bytes.size())) + 32);
  s.next_in = const_cast<Bytef*>(bytes.data());
  s.avail_in = static_cast<uInt>(bytes.size());
  s.next_out = out.data();
  s.avail_out = static_cast<uInt>(out.size());
  if (deflate(&s, Z_FINISH) != Z_STREAM_END) fail("deflate");
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

inline bool starts_gzip(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

// A number in [0, n) that depends on every byte of the input, so the fuzzer
// can steer it (where a gzip stream is cut, say); salt makes independent
// choices from the same input.
inline std::size_t pick(std::span<const std::uint8_t> bytes, std::size_t n, std::uint8_t salt = 0) {
  std::uint64_t h = (14695981039346656037u ^ salt) * 1099511628211u;  // FNV-1a, salt first
  for (const std::uint8_t b : bytes) h = (h ^ b) * 1099511628211u;
  return n == 0 ? 0 : static_cast<std::size_t>(h % n);
}

}  // namespace forma_fuzz
