#pragma once
// The MNIST family on disk: pairs of IDX files (images, labels) named
// train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-... , each plain or
// gzipped (with or without ".gz" in its name).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "forma/core/shape.hpp"
#include "forma/data/data_error.hpp"
#include "forma/data/idx.hpp"
#include "forma/data/image_set.hpp"

namespace forma::data {

using MnistImages = ImageSet<Shape<28, 28, 1>>;
using MnistSplits = ImageSplits<Shape<28, 28, 1>>;

// Where Debian's dataset-fashion-mnist package puts the files.
inline constexpr const char* fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";

inline std::vector<std::string> fashion_mnist_class_names() {
  return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
}

// Images of shape S and their labels from two IDX files: images of dims
// N x H x W (or N x H x W x C), labels of dims N, each label below classes.
template <class S>
ImageSet<S> load_idx_images(const std::filesystem::path& images, const std::filesystem::path& labels,
                            std::size_t classes) {
  static_assert(is_shape<S> && rank_is<S, 3>, "forma::data::load_idx_images needs a Shape<height, width, channels>");
  constexpr std::size_t h = S::dims[0], w = S::dims[1], c = S::dims[2];
  IdxArray x = load_idx(images);
  const bool dims_ok = (x.dims.size() == 3 && c == 1 && x.dims[1] == h && x.dims[2] == w) ||
                       (x.dims.size() == 4 && x.dims[1] == h && x.dims[2] == w && x.dims[3] == c);
  if (!dims_ok)
    throw data_error(images, "wrong image dimensions " + detail::dims_string(x.dims) + ": expected Nx" +
                                 std::to_string(h) + 'x' + std::to_string(w) +
                                 (c == 1 ? std::string() : 'x' + std::to_string(c)) + " (count, height, width" +
                                 (c == 1 ? "" : ", channels") + ")");
  IdxArray y = load_idx(labels);
  if (y.dims.size() != 1)
    throw data_error(labels, "wrong label dimensions " + detail::dims_string(y.dims) +
                                 ": expected one dimension, the count");
  if (x.dims[0] != y.dims[0])
    throw data_error(images, "has " + std::to_string(x.dims[0]) + " images but " + labels.string() + " has " +
                                 std::to_string(y.dims[0]) + " labels");
  for (std::size_t i = 0; i < y.data.size(); ++i)
    if (y.data[i] >= classes)
      throw data_error(labels, "label " + std::to_string(y.data[i]) + " at index " + std::to_string(i) +
                                   " is out of range: there are " + std::to_string(classes) + " classes (0 to " +
                                   std::to_string(classes - 1) + ")");
  return ImageSet<S>(std::move(x.data), std::move(y.data));
}

namespace detail {

// dir/name, or dir/name.gz when only that exists.
inline std::filesystem::path find_idx(const std::filesystem::path& dir, const std::string& name) {
  std::error_code ec;
  if (std::filesystem::exists(dir / name, ec)) return dir / name;
  if (std::filesystem::exists(dir / (name + ".gz"), ec)) return dir / (name + ".gz");
  throw data_error(dir / (name + ".gz"), "cannot open: no such file (nor " + name + " without .gz)");
}

inline MnistSplits load_mnist_files(const std::filesystem::path& dir, std::vector<std::string> class_names) {
  auto set = [&](const std::string& prefix) {
    const auto images = find_idx(dir, prefix + "-images-idx3-ubyte");  // images first, in this order
    const auto labels = find_idx(dir, prefix + "-labels-idx1-ubyte");
    return load_idx_images<Shape<28, 28, 1>>(images, labels, class_names.size());
  };
  MnistImages train = set("train");
  MnistImages test = set("t10k");
  return {std::move(train), std::move(test), std::move(class_names)};
}

}  // namespace detail

// Fashion-MNIST: 60000 training and 10000 test images of 28x28x1, labels
// below 10, and the ten class names.
inline MnistSplits load_fashion_mnist(const std::filesystem::path& dir = fashion_mnist_dir) {
  return detail::load_mnist_files(dir, fashion_mnist_class_names());
}

// MNIST digits, same file names; the class names are "0" to "9".
inline MnistSplits load_mnist(const std::filesystem::path& dir) {
  return detail::load_mnist_files(dir, {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"});
}

}  // namespace forma::data
