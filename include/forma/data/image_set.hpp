#pragma once
// ImageSet<Shape<H, W, C>>: N images of bytes as loaded from disk, with a
// class label each. N is data, so this is where the library allocates.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "forma/core/shape.hpp"
#include "forma/data/data_error.hpp"

namespace forma::data {

template <class S>
class ImageSet {
  static_assert(is_shape<S> && rank_is<S, 3>,
                "forma::data::ImageSet needs a Shape<height, width, channels>");

 public:
  using shape = S;
  static constexpr std::size_t height = S::dims[0];
  static constexpr std::size_t width = S::dims[1];
  static constexpr std::size_t channels = S::dims[2];
  static constexpr std::size_t image_size = S::size;

  ImageSet() = default;
  // pixels: the images one after another, each height-width-channel
  // (Keras' channels_last); labels: one per image.
  ImageSet(std::vector<std::uint8_t> pixels, std::vector<std::uint8_t> labels)
      : pixels_(std::move(pixels)), labels_(std::move(labels)) {
    if (pixels_.size() != labels_.size() * image_size)
      throw data_error("forma::data::ImageSet: " + std::to_string(pixels_.size()) + " pixel bytes are not " +
                       std::to_string(labels_.size()) + " images of " + std::to_string(image_size) + " bytes");
  }

  std::size_t size() const noexcept { return labels_.size(); }
  bool empty() const noexcept { return labels_.empty(); }

  std::span<const std::uint8_t, image_size> image(std::size_t i) const noexcept {
    return std::span<const std::uint8_t, image_size>(pixels_.data() + i * image_size, image_size);
  }
  std::uint8_t pixel(std::size_t i, std::size_t h, std::size_t w, std::size_t c) const noexcept {
    return pixels_[i * image_size + (h * width + w) * channels + c];
  }
  std::uint8_t label(std::size_t i) const noexcept { return labels_[i]; }

  std::span<const std::uint8_t> pixels() const noexcept { return pixels_; }
  std::span<const std::uint8_t> labels() const noexcept { return labels_; }

 private:
  std::vector<std::uint8_t> pixels_;
  std::vector<std::uint8_t> labels_;
};

// What a loader returns, as Keras' load_data() does, plus the class names:
// auto [train, test, class_names] = load_fashion_mnist();
template <class S>
struct ImageSplits {
  ImageSet<S> train;
  ImageSet<S> test;
  std::vector<std::string> class_names;
};

}  // namespace forma::data
