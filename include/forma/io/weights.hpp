#pragma once
// save_weights(model, path) / load_weights(model, path): a model's weights in
// the safetensors format, under Keras' names and in Keras' layouts:
//
//   dense.kernel    [inputs, units]     dense.bias    [units]
//   dense_1.kernel  ...                                        (F32, or F64
//                                                               for a model
//                                                               in double)
//   batch_normalization.moving_mean [features]   (non-trainable state too)
//
// without forma's row padding; layers without parameters write nothing. The
// header's __metadata__ records {"format": "forma", "format_version": "1",
// "architecture": architecture_signature<Model>()}.
//
// Loading checks the whole file first (structure, every tensor's name,
// dtype and shape, the architecture) and only then copies into the model:
// on any failure it throws weights_error naming the file and the problem,
// and the model keeps its weights. Files from other tools (PyTorch's
// safetensors, say) load when their tensors have forma's names and Keras'
// layouts; a file that records no architecture is matched by its tensors
// alone. Tensors named "optimizer.*" (a checkpoint's optimizer state, see
// checkpoint.hpp) are skipped, so load_weights reads checkpoints too.
//
// Saving writes the file whole or not at all (a temporary file beside it,
// renamed over it): a failed save leaves an existing file as it was.
#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "forma/io/architecture_signature.hpp"
#include "forma/io/named_tensors.hpp"
#include "forma/io/safetensors.hpp"
#include "forma/io/weights_error.hpp"
#include "forma/plot/atomic_file.hpp"

namespace forma::io {

struct LoadOptions {
  // Refuse a file whose recorded architecture differs from the model's even
  // when every tensor fits (Dense(200,tanh) weights into Dense(200,relu)).
  // Set it to false to load such weights anyway; tensors must still match.
  bool check_architecture = true;
};

// The version of forma's layout of names and metadata in the files.
inline constexpr std::string_view weights_format_version = "1";

namespace detail {

template <class Net>
concept savable_model = requires {
  typename Net::params_type;
  typename Net::value_type;
  Net::layer_count;
} && Net::valid;

template <class Net>
void put_format_metadata(safetensors::writer& w) {
  w.set_metadata("format", "forma");
  w.set_metadata("format_version", std::string(weights_format_version));
  w.set_metadata("architecture", std::string(architecture_signature<Net>()));
}

template <class T>
void add_tensors(safetensors::writer& w, const std::vector<named_tensor<const T>>& tensors) {
  for (const auto& t : tensors)
    w.add(t.name, safetensors::dtype_of<T>(), t.shape(), [&](std::byte* dst) {
      for (std::size_t r = 0; r < t.layout.rows(); ++r)
        safetensors::store_little_endian(dst + r * t.layout.cols() * sizeof(T), t.row(r), t.layout.cols());
    });
}

// A tensor of the file checked against its place in the model, to be copied
// once everything has been checked.
template <class T>
struct pending_copy {
  const named_tensor<T>* to;
  std::span<const std::byte> from;
};

// " (the file holds weights of A; the model is B)" when the file records
// another architecture: said with every mismatch, as the likely cause.
template <class Net>
std::string architecture_note(const safetensors::file_view& f) {
  const std::string* a = f.meta("architecture");
  if (!a || *a == architecture_signature<Net>()) return {};
  return " (the file holds weights of " + *a + "; the model is " + std::string(architecture_signature<Net>()) + ")";
}

inline void check_format(const safetensors::file_view& f, const std::filesystem::path& file) {
  const std::string* format = f.meta("format");
  if (!format || *format != "forma") return;  // another tool's file: judged by its tensors
  const std::string* version = f.meta("format_version");
  if (version && *version != weights_format_version)
    throw weights_error(file, "written in forma's weights format version " + *version + ", which this forma (version " +
                                  std::string(weights_format_version) + ") cannot read");
}

// Finds each of the model's tensors in the file, in the model's order, and
// names the first that is missing or differs.
template <class T>
void match_tensors(const safetensors::file_view& f, const std::vector<named_tensor<T>>& wanted,
                   std::vector<pending_copy<T>>& out, const std::filesystem::path& file, const std::string& note) {
  using scalar = std::remove_const_t<T>;
  for (const auto& t : wanted) {
    const auto* info = f.find(t.name);
    const std::vector<std::uint64_t> shape = t.shape();
    if (!info)
      throw weights_error(file, "the file has no tensor " + t.name + ", which the model needs (shape " +
                                    safetensors::shape_text(shape) + ")" + note);
    if (info->dtype != safetensors::dtype_of<scalar>())
      throw weights_error(file, t.name + " is " + info->dtype + " in the file but the model computes in " +
                                    std::string(safetensors::dtype_of<scalar>()) +
                                    " (a model rebound to double reads F64)" + note);
    if (info->shape != shape)
      throw weights_error(file, t.name + " has shape " + safetensors::shape_text(info->shape) +
                                    " in the file but " + safetensors::shape_text(shape) + " in the model" + note);
    out.push_back({&t, f.bytes_of(*info)});
  }
}

// Every tensor of the file must have a place (or be skipped on purpose).
template <class T>
void refuse_extra_tensors(const safetensors::file_view& f, const std::vector<pending_copy<T>>& matched,
                          const std::function<bool(std::string_view)>& skip, const std::filesystem::path& file,
                          const std::string& note) {
  for (const auto& info : f.tensors) {
    bool known = false;
    for (const auto& m : matched) known = known || m.to->name == info.name;
    if (!known && !(skip && skip(info.name)))
      throw weights_error(file, "the file has a tensor " + info.name + " (shape " +
                                    safetensors::shape_text(info.shape) + "), which the model does not have" + note);
  }
}

template <class Net>
void check_architecture(const safetensors::file_view& f, const LoadOptions& options,
                        const std::filesystem::path& file) {
  const std::string* a = f.meta("architecture");
  if (!options.check_architecture || !a || *a == architecture_signature<Net>()) return;
  throw weights_error(file, "the file holds weights of " + *a + " but the model is " +
                                std::string(architecture_signature<Net>()) +
                                "; their tensors fit, and LoadOptions{.check_architecture = false} loads them anyway");
}

// After every check: cannot fail.
template <class T>
void commit(const std::vector<pending_copy<T>>& copies) noexcept {
  for (const auto& c : copies) {
    const std::size_t cols = c.to->layout.cols();
    for (std::size_t r = 0; r < c.to->layout.rows(); ++r)
      safetensors::load_little_endian(c.to->row(r), c.from.data() + r * cols * sizeof(T), cols);
  }
}

inline std::string errno_text(int e) {
  return e != 0 ? std::generic_category().message(e) : std::string("unknown error");
}

inline std::vector<std::byte> read_whole_file(const std::filesystem::path& file) {
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (status.type() == std::filesystem::file_type::not_found)
    throw weights_error(file, "the file does not exist");
  if (status.type() == std::filesystem::file_type::directory)
    throw weights_error(file, "this is a directory, not a weights file");
  errno = 0;
  std::FILE* f = std::fopen(file.string().c_str(), "rb");
  if (!f) throw weights_error(file, "cannot open the file: " + errno_text(errno));
  // The size is a hint: read until the end, however long the file is now.
  const auto hint = std::filesystem::file_size(file, ec);
  std::vector<std::byte> bytes;
  bytes.reserve(ec ? 0 : static_cast<std::size_t>(hint) + 1);
  constexpr std::size_t chunk = std::size_t{1} << 16;
  for (;;) {
    const std::size_t old = bytes.size();
    bytes.resize(old + std::max(chunk, bytes.capacity() - old));
    const std::size_t want = bytes.size() - old;
    const std::size_t got = std::fread(bytes.data() + old, 1, want, f);
    bytes.resize(old + got);
    if (got < want) break;
  }
  const int e = errno;
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) throw weights_error(file, "cannot read the file: " + errno_text(e));
  return bytes;
}

// write_atomically, with its failures as weights_error.
inline void write_whole_file(const std::filesystem::path& file, std::span<const std::byte> bytes) {
  try {
    plot::write_atomically(file, [&](std::FILE* f, std::string& why) {
      errno = 0;
      if (std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fflush(f) != 0) {
        why = "writing failed: " + errno_text(errno);
        return false;
      }
      return true;
    });
  } catch (const plot::write_error& e) {
    // Its message repeats the path after plot's prefix: keep only the reason.
    const std::string what = e.what(), prefix = "forma::plot could not write '" + file.string() + "': ";
    throw weights_error(file, "cannot write the file: " +
                                  (what.starts_with(prefix) ? what.substr(prefix.size()) : what));
  }
}

}  // namespace detail

// The bytes save_weights writes.
template <class Net>
  requires detail::savable_model<Net>
std::vector<std::byte> save_weights_to_memory(const Net& model) {
  using T = typename Net::value_type;
  safetensors::writer w;
  detail::put_format_metadata<Net>(w);
  detail::add_tensors<T>(w, model_tensors(model));
  return w.finish();
}

template <class Net>
  requires detail::savable_model<Net>
void save_weights(const Net& model, const std::filesystem::path& path) {
  const std::vector<std::byte> bytes = save_weights_to_memory(model);
  detail::write_whole_file(path, bytes);
}

// Loads weights from bytes in memory (a fuzz target's entry point: no file
// system); `source` names them in messages.
template <class Net>
  requires detail::savable_model<Net>
void load_weights_from_memory(Net& model, std::span<const std::byte> bytes, const LoadOptions& options = {},
                              const std::filesystem::path& source = "<memory>") {
  const safetensors::file_view f = safetensors::parse(bytes, source);
  detail::check_format(f, source);
  const std::string note = detail::architecture_note<Net>(f);
  const auto wanted = model_tensors(model);
  std::vector<detail::pending_copy<typename Net::value_type>> copies;
  detail::match_tensors(f, wanted, copies, source, note);
  detail::refuse_extra_tensors(
      f, copies, [](std::string_view name) { return name.starts_with("optimizer."); }, source, note);
  detail::check_architecture<Net>(f, options, source);
  detail::commit(copies);
}

template <class Net>
  requires detail::savable_model<Net>
void load_weights(Net& model, const std::filesystem::path& path, const LoadOptions& options = {}) {
  const std::vector<std::byte> bytes = detail::read_whole_file(path);
  load_weights_from_memory(model, bytes, options, path);
}

}  // namespace forma::io
