#pragma once
// CIFAR-10, binary version (cifar-10-batches-bin): data_batch_1.bin to
// data_batch_5.bin and test_batch.bin, each a run of 3073-byte records: the
// label, then 1024 red, 1024 green and 1024 blue bytes, each plane row-major
// 32x32. Loaded as Keras does, height-width-channel.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "forma/core/shape.hpp"
#include "forma/data/byte_reader.hpp"
#include "forma/data/data_error.hpp"
#include "forma/data/image_set.hpp"

namespace forma::data {

using Cifar10Images = ImageSet<Shape<32, 32, 3>>;
using Cifar10Splits = ImageSplits<Shape<32, 32, 3>>;

inline std::vector<std::string> cifar10_class_names() {
  return {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
}

namespace detail {

inline constexpr std::size_t cifar_plane = 32 * 32;
inline constexpr std::size_t cifar_record = 1 + 3 * cifar_plane;

// Appends the records of one batch file (plain or gzipped) to pixels and
// labels, planes turned into height-width-channel.
inline void read_cifar_batch(const std::filesystem::path& path, std::vector<std::uint8_t>& pixels,
                             std::vector<std::uint8_t>& labels) {
  byte_reader in(path);
  const std::vector<std::uint8_t> raw = in.read_up_to(static_cast<std::size_t>(-1));
  if (in.cut_short()) throw data_error(path, "is truncated: the gzip stream is cut short");
  if (raw.empty()) throw data_error(path, "is empty: a CIFAR-10 batch holds records of 3073 bytes");
  if (raw.size() % cifar_record != 0)
    throw data_error(path, "has " + std::to_string(raw.size()) +
                               " bytes, not a multiple of the 3073 bytes of a CIFAR-10 record (truncated?)");
  const std::size_t n = raw.size() / cifar_record;
  const std::size_t first = labels.size();
  labels.resize(first + n);
  pixels.resize((first + n) * 3 * cifar_plane);
  for (std::size_t r = 0; r < n; ++r) {
    const std::uint8_t* rec = raw.data() + r * cifar_record;
    if (rec[0] >= 10)
      throw data_error(path, "label " + std::to_string(rec[0]) + " at index " + std::to_string(r) +
                                 " is out of range: CIFAR-10 has 10 classes (0 to 9)");
    labels[first + r] = rec[0];
    std::uint8_t* out = pixels.data() + (first + r) * 3 * cifar_plane;
    for (std::size_t p = 0; p < cifar_plane; ++p)
      for (std::size_t c = 0; c < 3; ++c) out[3 * p + c] = rec[1 + c * cifar_plane + p];
  }
}

// batches.meta.txt: one class name a line, blank lines ignored.
inline std::vector<std::string> read_cifar_meta(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw data_error(path, "cannot open");
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (!line.empty()) names.push_back(line);
  }
  if (names.size() != 10)
    throw data_error(path, "lists " + std::to_string(names.size()) + " class names; CIFAR-10 has 10");
  return names;
}

}  // namespace detail

// Loads the 50000 training and 10000 test images of dir (the extracted
// cifar-10-batches-bin), with the class names of batches.meta.txt when
// present, else the standard ten. Every file must be there.
inline Cifar10Splits load_cifar10(const std::filesystem::path& dir) {
  const char* const files[] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                               "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"};
  std::error_code ec;
  for (const char* f : files)  // before reading anything, so a missing file fails fast
    if (!std::filesystem::exists(dir / f, ec))
      throw data_error(dir / f, "cannot open: no such file (a CIFAR-10 directory needs data_batch_1.bin to "
                                "data_batch_5.bin and test_batch.bin)");

  std::vector<std::uint8_t> pixels, labels;
  std::uintmax_t bytes = 0;  // a hint only: a gzipped batch is smaller
  for (int b = 0; b < 5; ++b) bytes += std::filesystem::file_size(dir / files[b], ec);
  pixels.reserve(static_cast<std::size_t>(bytes / detail::cifar_record * (detail::cifar_record - 1)));
  for (int b = 0; b < 5; ++b) detail::read_cifar_batch(dir / files[b], pixels, labels);
  Cifar10Images train(std::move(pixels), std::move(labels));
  pixels = {};
  labels = {};
  detail::read_cifar_batch(dir / files[5], pixels, labels);
  Cifar10Images test(std::move(pixels), std::move(labels));

  const auto meta = dir / "batches.meta.txt";
  auto names = std::filesystem::exists(meta, ec) ? detail::read_cifar_meta(meta) : cifar10_class_names();
  return {std::move(train), std::move(test), std::move(names)};
}

}  // namespace forma::data
