#pragma once
// The safetensors file format (https://github.com/huggingface/safetensors),
// read and written without knowing about models:
//
//   8 bytes   N, the header's length, unsigned little-endian
//   N bytes   a JSON object: for each tensor
//               "name": {"dtype": "F32", "shape": [784, 200],
//                        "data_offsets": [begin, end]}
//             (offsets relative to the data section), and optionally
//               "__metadata__": {"key": "value", ...}  (strings only)
//   the data  each tensor's elements, row-major, little-endian, covering
//             the data section without gaps or overlaps
//
// parse() checks all of that and throws weights_error naming the file and
// the problem; it reads nothing beyond the bytes it is given, so it is safe
// on any input (a fuzz target calls it through load_weights_from_memory).
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "forma/io/weights_error.hpp"

namespace forma::io::safetensors {

// A header above this is not a weights file's: refused before reading it.
inline constexpr std::uint64_t max_header_bytes = 100u * 1024u * 1024u;

// Bytes per element of each safetensors dtype; 0 for a name it does not have.
inline std::size_t dtype_size(std::string_view dtype) noexcept {
  constexpr std::pair<std::string_view, std::size_t> sizes[] = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2},
      {"U16", 2},  {"F16", 2}, {"BF16", 2}, {"I32", 4},    {"U32", 4},     {"F32", 4},
      {"I64", 8},  {"U64", 8}, {"F64", 8}};
  for (const auto& [name, size] : sizes)
    if (name == dtype) return size;
  return 0;
}

// The dtype of forma's scalar types.
template <class T>
constexpr std::string_view dtype_of() noexcept {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "forma::io::safetensors stores float (F32) and double (F64)");
  return std::is_same_v<T, float> ? "F32" : "F64";
}

// "[784, 200]"; a long shape is cut after 8 dimensions.
inline std::string shape_text(std::span<const std::uint64_t> shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    if (i == 8) {
      s += "...";
      break;
    }
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

struct tensor_info {
  std::string name;
  std::string dtype;
  std::vector<std::uint64_t> shape;
  std::uint64_t begin = 0;  // data_offsets, relative to the data section
  std::uint64_t end = 0;
};

// A checked file: tensors in the order of their data, the metadata, and the
// data section (a view of the bytes given to parse).
struct file_view {
  std::vector<tensor_info> tensors;
  std::map<std::string, std::string, std::less<>> metadata;
  std::span<const std::byte> data;

  const tensor_info* find(std::string_view name) const noexcept {
    for (const auto& t : tensors)
      if (t.name == name) return &t;
    return nullptr;
  }
  const std::string* meta(std::string_view key) const noexcept {
    const auto it = metadata.find(key);
    return it == metadata.end() ? nullptr : &it->second;
  }
  std::span<const std::byte> bytes_of(const tensor_info& t) const noexcept {
    return data.subspan(static_cast<std::size_t>(t.begin), static_cast<std::size_t>(t.end - t.begin));
  }
};

namespace detail {

inline bool to_u64(const nlohmann::json& j, std::uint64_t& out) {
  if (!j.is_number_unsigned()) return false;
  out = j.get<std::uint64_t>();
  return true;
}

inline tensor_info read_entry(const std::string& name, const nlohmann::json& e, const std::filesystem::path& file) {
  auto bad = [&](const std::string& why) {
    return weights_error(file, "the header's entry for tensor '" + name + "' " + why);
  };
  if (!e.is_object()) throw bad("is not a JSON object");
  const auto dtype = e.find("dtype");
  const auto shape = e.find("shape");
  const auto offsets = e.find("data_offsets");
  if (dtype == e.end() || shape == e.end() || offsets == e.end())
    throw bad("lacks one of \"dtype\", \"shape\" and \"data_offsets\"");
  if (!dtype->is_string()) throw bad("has a \"dtype\" that is not a string");
  if (!shape->is_array()) throw bad("has a \"shape\" that is not an array");
  if (!offsets->is_array() || offsets->size() != 2) throw bad("has \"data_offsets\" that are not two numbers");

  tensor_info t;
  t.name = name;
  t.dtype = dtype->get<std::string>();
  const std::size_t element = dtype_size(t.dtype);
  if (element == 0) throw bad("has the unknown dtype '" + t.dtype + "'");
  for (const auto& d : *shape) {
    std::uint64_t n = 0;
    if (!to_u64(d, n)) throw bad("has a shape dimension that is not a non-negative integer");
    t.shape.push_back(n);
  }
  if (!to_u64((*offsets)[0], t.begin) || !to_u64((*offsets)[1], t.end))
    throw bad("has \"data_offsets\" that are not non-negative integers");
  if (t.end < t.begin)
    throw bad("lies: its data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
              "] end before they begin");

  // Elements times element size, unless that overflows.
  constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t bytes = element;
  bool overflow = false;
  for (std::uint64_t d : t.shape) {
    if (d != 0 && bytes > max / d) overflow = true;
    bytes = overflow ? 0 : bytes * d;
  }
  if (overflow || bytes != t.end - t.begin)
    throw bad("lies: its data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) + "] hold " +
              std::to_string(t.end - t.begin) + " bytes, but shape " + shape_text(t.shape) + " of " + t.dtype +
              " needs " + (overflow ? std::string("more than 2^64") : std::to_string(bytes)));
  return t;
}

}  // namespace detail

// Checks a whole file held in memory; `file` names it in messages.
inline file_view parse(std::span<const std::byte> bytes, const std::filesystem::path& file) {
  if (bytes.size() < 8)
    throw weights_error(file, "truncated: the file has " + std::to_string(bytes.size()) +
                                  " bytes, fewer than the 8 that hold the header length (not a safetensors file?)");
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | std::to_integer<std::uint64_t>(bytes[static_cast<std::size_t>(i)]);
  const std::uint64_t after = bytes.size() - 8;
  if (n > max_header_bytes)
    throw weights_error(file, "the header length " + std::to_string(n) + " is absurd (the limit is " +
                                  std::to_string(max_header_bytes) +
                                  " bytes); this is not a safetensors file, or its first 8 bytes are damaged");
  if (n > after)
    throw weights_error(file, "truncated: the header length says " + std::to_string(n) + " bytes, but only " +
                                  std::to_string(after) + " follow the first 8");

  const char* text = reinterpret_cast<const char*>(bytes.data() + 8);
  const nlohmann::json header = nlohmann::json::parse(text, text + n, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded())
    throw weights_error(file, "the header is not valid JSON; this is not a safetensors file, or it is damaged");
  if (!header.is_object()) throw weights_error(file, "the header is JSON but not an object of tensors");

  file_view view;
  view.data = bytes.subspan(static_cast<std::size_t>(8 + n));
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) throw weights_error(file, "the header's __metadata__ is not a JSON object");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string())
          throw weights_error(file, "the header's __metadata__ value for '" + key +
                                        "' is not a string (safetensors metadata holds strings only)");
        view.metadata.emplace(key, value.get<std::string>());
      }
      continue;
    }
    view.tensors.push_back(detail::read_entry(name, entry, file));
  }

  // The data section must hold every tensor: report the one reaching
  // furthest past its end.
  const std::uint64_t data_size = view.data.size();
  const tensor_info* furthest = nullptr;
  for (const auto& t : view.tensors)
    if (t.end > data_size && (!furthest || t.end > furthest->end)) furthest = &t;
  if (furthest)
    throw weights_error(file, "truncated: tensor '" + furthest->name + "' has data_offsets [" +
                                  std::to_string(furthest->begin) + ", " + std::to_string(furthest->end) +
                                  "], but the data section has only " + std::to_string(data_size) + " bytes");

  // And be covered exactly once, in order.
  std::stable_sort(view.tensors.begin(), view.tensors.end(),
                   [](const tensor_info& a, const tensor_info& b) {
                     return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
                   });
  std::uint64_t expected = 0;
  const tensor_info* previous = nullptr;
  for (const auto& t : view.tensors) {
    if (t.begin < expected)
      throw weights_error(file, "the header lies: tensors '" + previous->name + "' [" +
                                    std::to_string(previous->begin) + ", " + std::to_string(previous->end) +
                                    "] and '" + t.name + "' [" + std::to_string(t.begin) + ", " +
                                    std::to_string(t.end) + "] overlap");
    if (t.begin > expected)
      throw weights_error(file, "the header lies: no tensor holds bytes [" + std::to_string(expected) + ", " +
                                    std::to_string(t.begin) + ") of the data section, before tensor '" + t.name +
                                    "'");
    expected = t.end;
    previous = &t;
  }
  if (expected != data_size)
    throw weights_error(file, "the header lies: no tensor holds the last " + std::to_string(data_size - expected) +
                                  " bytes of the data section");
  return view;
}

// Little-endian element copies between forma's scalars and file bytes.
template <class T>
void store_little_endian(std::byte* dst, const T* src, std::size_t count) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(dst, src, count * sizeof(T));
  } else {
    for (std::size_t i = 0; i < count; ++i) {
      std::byte b[sizeof(T)];
      std::memcpy(b, src + i, sizeof(T));
      std::reverse(b, b + sizeof(T));
      std::memcpy(dst + i * sizeof(T), b, sizeof(T));
    }
  }
}
template <class T>
void load_little_endian(T* dst, const std::byte* src, std::size_t count) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(dst, src, count * sizeof(T));
  } else {
    for (std::size_t i = 0; i < count; ++i) {
      std::byte b[sizeof(T)];
      std::memcpy(b, src + i * sizeof(T), sizeof(T));
      std::reverse(b, b + sizeof(T));
      std::memcpy(dst + i, b, sizeof(T));
    }
  }
}

// Builds a file in memory: metadata first in the header, then the tensors
// in the order they were added, which is also the order of their data. The
// header is padded with spaces so that the data starts 8-byte aligned (as
// the reference implementation does). The same input gives the same bytes.
class writer {
 public:
  void set_metadata(std::string key, std::string value) { metadata_[std::move(key)] = std::move(value); }

  // fill(std::byte* dst) writes exactly the tensor's bytes, little-endian.
  template <class Fill>
  void add(std::string name, std::string_view dtype, std::vector<std::uint64_t> shape, Fill&& fill) {
    std::uint64_t bytes = dtype_size(dtype);
    for (std::uint64_t d : shape) bytes *= d;
    const std::size_t begin = data_.size();
    data_.resize(begin + static_cast<std::size_t>(bytes));
    std::forward<Fill>(fill)(data_.data() + begin);
    tensors_.push_back({std::move(name), std::string(dtype), std::move(shape), begin, data_.size()});
  }

  std::vector<std::byte> finish() const {
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata_.empty()) header["__metadata__"] = metadata_;
    for (const auto& t : tensors_)
      header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {t.begin, t.end}}};
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    std::vector<std::byte> out(8 + text.size() + data_.size());
    for (std::size_t i = 0; i < 8; ++i)
      out[i] = static_cast<std::byte>((static_cast<std::uint64_t>(text.size()) >> (8 * i)) & 0xff);
    std::memcpy(out.data() + 8, text.data(), text.size());
    if (!data_.empty()) std::memcpy(out.data() + 8 + text.size(), data_.data(), data_.size());
    return out;
  }

 private:
  std::map<std::string, std::string> metadata_;
  std::vector<tensor_info> tensors_;
  std::vector<std::byte> data_;
};

}  // namespace forma::io::safetensors
