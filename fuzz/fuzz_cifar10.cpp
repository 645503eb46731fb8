// libFuzzer target: one CIFAR-10 batch file (forma::data::detail::
// read_cifar_batch, what load_cifar10 calls per file) and a batches.meta.txt
// (detail::read_cifar_meta) on arbitrary bytes.
//
// Findings are crashes, sanitizer reports, exceptions other than
// forma::data::data_error, and broken properties:
//   - a batch accepted is a whole number of 3073-byte records with labels
//     below 10, and its pixels are those records' planes turned into
//     height-width-channel (checked against the bytes); a well-formed batch
//     is accepted; a second read appends and leaves the first untouched;
//   - the same bytes gzipped load the same;
//   - a gzip stream cut anywhere before its end is rejected;
//   - a meta file accepted lists 10 non-empty names.
// Gzip is sampled (the fuzzer's own gzip inputs, and the gzip checks of
// plain ones, on one input in 32 and 256, chosen by the bytes so a run is
// reproducible): fuzz_idx covers byte_reader's gzip path at full rate.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "forma/data/cifar10.hpp"
#include "fuzz_support.hpp"

namespace {

constexpr std::size_t plane = 32 * 32;
constexpr std::size_t record = 1 + 3 * plane;

struct Batch {
  std::vector<std::uint8_t> pixels, labels;
  bool operator==(const Batch&) const = default;
};

std::optional<Batch> try_read(const std::filesystem::path& path) {
  Batch b;
  try {
    forma::data::detail::read_cifar_batch(path, b.pixels, b.labels);
  } catch (const forma::data::data_error&) {
    return std::nullopt;
  }
  return b;
}

// The batch as the format defines it, written independently of the loader.
std::optional<Batch> reference(std::span<const std::uint8_t> bytes) {
  if (bytes.empty() || bytes.size() % record != 0) return std::nullopt;
  const std::size_t n = bytes.size() / record;
  Batch b;
  b.labels.resize(n);
  b.pixels.resize(n * 3 * plane);
  for (std::size_t r = 0; r < n; ++r) {
    const std::uint8_t* rec = bytes.data() + r * record;
    if (rec[0] >= 10) return std::nullopt;
    b.labels[r] = rec[0];
    for (std::size_t y = 0; y < 32; ++y)
      for (std::size_t x = 0; x < 32; ++x)
        for (std::size_t c = 0; c < 3; ++c)
          b.pixels[((r * 32 + y) * 32 + x) * 3 + c] = rec[1 + c * plane + y * 32 + x];
  }
  return b;
}

void check_meta(const std::filesystem::path& path) {
  try {
    const std::vector<std::string> names = forma::data::detail::read_cifar_meta(path);
    if (names.size() != 10) forma_fuzz::fail("read_cifar_meta accepted a list of other than 10 names");
    for (const std::string& n : names)
      if (n.empty() || n.find('\n') != std::string::npos)
        forma_fuzz::fail("read_cifar_meta returned an empty name or one with a line break");
  } catch (const forma::data::data_error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const forma_fuzz::scratch_file plain_file("cifar"), gz_file("cifar.gz"), cut_file("cifar-cut.gz");
  const std::span<const std::uint8_t> bytes(data, size);
  const bool gzipped = forma_fuzz::starts_gzip(bytes);
  if (gzipped && forma_fuzz::pick(bytes, 32, 1) != 0) return -1;  // not added to the corpus
  const std::filesystem::path& path = plain_file.write(bytes);

  check_meta(path);
  const std::optional<Batch> plain = try_read(path);
  if (gzipped) return 0;  // no plain reading to compare with

  if (plain != reference(bytes))
    forma_fuzz::fail(plain ? "read_cifar_batch accepted a malformed batch, or misread it"
                           : "read_cifar_batch rejected a well-formed batch");
  if (plain) {  // read again, appending
    Batch twice = *plain;
    forma::data::detail::read_cifar_batch(path, twice.pixels, twice.labels);
    Batch doubled = *plain;
    doubled.pixels.insert(doubled.pixels.end(), plain->pixels.begin(), plain->pixels.end());
    doubled.labels.insert(doubled.labels.end(), plain->labels.begin(), plain->labels.end());
    if (!(twice == doubled)) forma_fuzz::fail("a second read_cifar_batch did not append the same records");
  }

  if (forma_fuzz::pick(bytes, 256, 2) != 0) return 0;
  const std::vector<std::uint8_t> gz = forma_fuzz::gzip(bytes);
  if (plain != try_read(gz_file.write(gz))) forma_fuzz::fail("the gzipped batch loads differently");

  const std::span<const std::uint8_t> cut(gz.data(), forma_fuzz::pick(bytes, gz.size()));
  if (try_read(cut_file.write(cut))) forma_fuzz::fail("read_cifar_batch accepted a gzip stream cut short");
  return 0;
}
