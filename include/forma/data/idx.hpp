#pragma once
// IDX, the file format of the MNIST family: the magic 00 00 <type> <rank>,
// <rank> big-endian uint32 dimensions, then the elements row-major. Plain or
// gzip-compressed.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "forma/data/byte_reader.hpp"
#include "forma/data/data_error.hpp"

namespace forma::data {

// An IDX file of unsigned bytes: its dimensions and its elements, row-major.
struct IdxArray {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> data;
};

namespace detail {

// "60000x28x28"
inline std::string dims_string(std::span<const std::uint32_t> dims) {
  std::string s;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) s += 'x';
    s += std::to_string(dims[i]);
  }
  return s;
}

inline const char* idx_type_name(std::uint8_t type) {
  switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "16-bit integer";
    case 0x0C: return "32-bit integer";
    case 0x0D: return "float";
    case 0x0E: return "double";
    default: return nullptr;
  }
}

inline std::string hex_byte(std::uint8_t b) {
  char s[5];
  std::snprintf(s, sizeof s, "0x%02X", static_cast<unsigned>(b));
  return s;
}

inline std::string cut_note(const byte_reader& in) {
  return in.cut_short() ? " (the gzip stream is cut short)" : "";
}

}  // namespace detail

// Reads an IDX file of unsigned bytes (type 0x08), plain or gzipped. Throws
// data_error naming the file if it is missing, is not IDX, holds another
// element type, or is shorter or longer than its dimensions say.
inline IdxArray load_idx(const std::filesystem::path& path) {
  detail::byte_reader in(path);
  std::uint8_t head[4] = {};
  if (const std::size_t got = in.read(head, 4); got < 4)
    throw data_error(path, "is truncated: the IDX header needs 4 bytes, the file has " + std::to_string(got) +
                               detail::cut_note(in));
  if (head[0] != 0 || head[1] != 0)
    throw data_error(path, "wrong magic number " + detail::hex_byte(head[0]) + ' ' + detail::hex_byte(head[1]) +
                               ' ' + detail::hex_byte(head[2]) + ' ' + detail::hex_byte(head[3]) +
                               ": not an IDX file (those start with 0x00 0x00, the element type and the rank)");
  if (head[2] != 0x08) {
    const char* name = detail::idx_type_name(head[2]);
    throw data_error(path, std::string(name ? "element type " : "unknown element type ") + detail::hex_byte(head[2]) +
                               (name ? std::string(" (") + name + ")" : std::string()) +
                               " is not supported: forma reads IDX files of unsigned bytes (0x08)");
  }
  if (head[3] == 0) throw data_error(path, "has an IDX header with no dimensions");

  IdxArray idx;
  std::uint8_t raw[4 * 255];
  const std::size_t rank = head[3];
  if (const std::size_t got = in.read(raw, 4 * rank); got < 4 * rank)
    throw data_error(path, "is truncated: the IDX header promises " + std::to_string(rank) + " dimensions (" +
                               std::to_string(4 * rank) + " bytes), the file has " + std::to_string(got) +
                               detail::cut_note(in));
  std::size_t count = 1;
  bool overflow = false, empty = false;
  for (std::size_t i = 0; i < rank; ++i) {
    const std::uint32_t d = std::uint32_t{raw[4 * i]} << 24 | std::uint32_t{raw[4 * i + 1]} << 16 |
                            std::uint32_t{raw[4 * i + 2]} << 8 | std::uint32_t{raw[4 * i + 3]};
    idx.dims.push_back(d);
    if (d != 0 && count > std::numeric_limits<std::size_t>::max() / d) overflow = true;
    empty = empty || d == 0;
    count *= d;
  }
  // A zero dimension anywhere makes the array empty, even after dimensions
  // whose product overflowed (a case found by fuzzing).
  if (empty) count = 0;
  const std::string shape = detail::dims_string(idx.dims);
  if (overflow && !empty) throw data_error(path, "has dimensions " + shape + " too large to hold in memory");

  idx.data = in.read_up_to(count);
  if (idx.data.size() < count)
    throw data_error(path, "is truncated: its dimensions " + shape + " need " + std::to_string(count) +
                               " bytes of data, the file has " + std::to_string(idx.data.size()) +
                               detail::cut_note(in));
  const bool at_end = in.at_end();
  if (in.cut_short()) throw data_error(path, "is truncated: the gzip stream is cut short after the data");
  if (!at_end)
    throw data_error(path, "is longer than its dimensions " + shape + " say: bytes follow the " +
                               std::to_string(count) + " bytes of data");
  return idx;
}

}  // namespace forma::data
