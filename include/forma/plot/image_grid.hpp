#pragma once
// image_grid and prediction_grid: the first images of a data set as a PNG,
// each upscaled and captioned with its class (what the Keras tutorials show
// with matplotlib before training, and with predicted vs. true classes after).
//
// Images are Tensor<Shape<H, W, C>, float or double> in row-major HWC order
// with values in [0, 1] (clamped; NaN draws black); C = 1 draws grayscale,
// C = 3 RGB. Labels are class indices (std::uint32_t, as the sparse losses
// take them) into class_names; with no class names the caption is the index.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <ranges>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "forma/core/scalar.hpp"
#include "forma/core/shape.hpp"
#include "forma/core/tensor.hpp"
#include "forma/plot/canvas.hpp"
#include "forma/plot/font.hpp"
#include "forma/plot/png.hpp"

namespace forma::plot {

struct grid_options {
  std::size_t count = 10;     // draw the first `count` images (fewer if there are fewer)
  std::size_t per_row = 10;   // images in a row of the grid
  int scale = 3;              // each image pixel becomes a scale x scale square
  int text_scale = 1;         // each font pixel becomes a text_scale x text_scale square
  int margin = 12;            // pixels around the grid
  int spacing = 12;           // pixels between cells, across and down
  std::string title;          // drawn above the grid when not empty
  Rgb background = colors::white;
  Rgb text = colors::ink;
  Rgb right = colors::green;  // prediction_grid: caption of a correct prediction
  Rgb wrong = colors::red;    // ... and of a wrong one
};

// Shape<H, W, 1> and Shape<H, W, 3>: the images the grids can draw.
template <class S>
inline constexpr bool image_channels_supported = false;
template <std::size_t H, std::size_t W>
inline constexpr bool image_channels_supported<Shape<H, W, 1>> = true;
template <std::size_t H, std::size_t W>
inline constexpr bool image_channels_supported<Shape<H, W, 3>> = true;

namespace detail {

template <class X>
inline constexpr bool is_tensor = false;
template <class S, Scalar T>
inline constexpr bool is_tensor<Tensor<S, T>> = true;

struct grid_caption {
  std::string text;  // may hold '\n'
  Rgb color;
};

template <class S>
constexpr void check_image_shape() {
  static_assert(rank_is<S, 3>,
                "forma::plot draws images of Shape<H, W, C>; copy flat rows such as Shape<784> into "
                "Tensor<Shape<28, 28, 1>> first");
  static_assert(!rank_is<S, 3> || image_channels_supported<S>,
                "forma::plot draws images with C = 1 (grayscale) or C = 3 (RGB) channels in Shape<H, W, C>");
}

inline std::uint8_t to_byte(double v) noexcept {
  if (!(v > 0)) return 0;  // NaN too
  if (v >= 1) return 255;
  return static_cast<std::uint8_t>(std::lround(v * 255));
}

inline std::string class_name(std::span<const std::string> names, std::uint32_t label, const char* what) {
  if (names.empty()) return std::to_string(label);
  if (label >= names.size())
    throw std::invalid_argument(std::string("forma::plot: ") + what + " " + std::to_string(label) +
                                " is not a class index; there are " + std::to_string(names.size()) +
                                " class names");
  return names[label];
}

inline void check_options(const grid_options& o, std::size_t shown, const char* fn) {
  const std::string f = std::string("forma::plot::") + fn;
  if (shown == 0) throw std::invalid_argument(f + " has no images to draw");
  if (o.per_row == 0) throw std::invalid_argument(f + " needs per_row of at least 1");
  if (o.scale < 1 || o.scale > 64) throw std::invalid_argument(f + " needs a scale from 1 to 64");
  if (o.text_scale < 1 || o.text_scale > 16) throw std::invalid_argument(f + " needs a text_scale from 1 to 16");
  // At least one pixel, for the frame drawn just outside each image.
  if (o.margin < 1 || o.margin > 1000 || o.spacing < 1 || o.spacing > 1000)
    throw std::invalid_argument(f + " needs a margin and spacing from 1 to 1000 pixels");
}

template <class S, class T>
Canvas draw_grid(std::span<const Tensor<S, T>> images, const std::vector<grid_caption>& captions,
                 const grid_options& o) {
  constexpr int h = static_cast<int>(S::dims[0]), w = static_cast<int>(S::dims[1]);
  constexpr std::size_t c = S::dims[2];
  const int n = static_cast<int>(captions.size());
  const int ts = o.text_scale;
  const auto too_large = [&](long long cw, long long ch) {
    return std::invalid_argument("forma::plot: a grid of " + std::to_string(n) + " images at scale " +
                                 std::to_string(o.scale) + " would be " + std::to_string(cw) + " x " +
                                 std::to_string(ch) + " pixels; draw fewer or smaller");
  };
  if (1LL * w * o.scale > Canvas::max_side || 1LL * h * o.scale > Canvas::max_side)
    throw too_large(1LL * w * o.scale, 1LL * h * o.scale);
  const int img_w = w * o.scale, img_h = h * o.scale;

  // Every cell is as wide as the widest caption or image, so columns line up.
  int caption_w = 0, caption_h = 0;
  for (const auto& cap : captions) {
    caption_w = std::max(caption_w, text_width(cap.text, ts));
    caption_h = std::max(caption_h, text_height(cap.text, ts));
  }
  const int margin = o.margin, gap_x = o.spacing, gap_y = o.spacing, caption_gap = 5;
  const int cell_w = std::max(img_w, caption_w), cell_h = img_h + caption_gap + caption_h;
  const int cols = static_cast<int>(std::min<std::size_t>(o.per_row, static_cast<std::size_t>(n)));
  const int rows = (n + cols - 1) / cols;
  const int title_h = o.title.empty() ? 0 : text_height(o.title, 2 * ts) + 10;

  const long long canvas_w = std::max(2LL * margin + 1LL * cols * cell_w + (cols - 1LL) * gap_x,
                                      2LL * margin + text_width(o.title, 2 * ts));
  const long long canvas_h = 2LL * margin + title_h + 1LL * rows * cell_h + (rows - 1LL) * gap_y;
  if (canvas_w > Canvas::max_side || canvas_h > Canvas::max_side) throw too_large(canvas_w, canvas_h);
  Canvas canvas(static_cast<int>(canvas_w), static_cast<int>(canvas_h), o.background);
  if (!o.title.empty()) draw_text(canvas, margin, margin, o.title, o.text, 2 * ts);

  for (int i = 0; i < n; ++i) {
    const int cell_x = margin + (i % cols) * (cell_w + gap_x);
    const int cell_y = margin + title_h + (i / cols) * (cell_h + gap_y);
    const int x0 = cell_x + (cell_w - img_w) / 2;
    // A light frame, so that images as pale as the background keep their edges.
    canvas.frame_rect(x0, cell_y, img_w, img_h, colors::frame);
    const auto& img = images[static_cast<std::size_t>(i)];
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const auto at = [&](std::size_t ch) {
          return to_byte(static_cast<double>(img(static_cast<std::size_t>(y), static_cast<std::size_t>(x), ch)));
        };
        const Rgb px = c == 1 ? Rgb{at(0), at(0), at(0)} : Rgb{at(0), at(1), at(2)};
        canvas.fill_rect(x0 + x * o.scale, cell_y + y * o.scale, o.scale, o.scale, px);
      }
    // The caption centred under the image as a block, so that the lines of a
    // two-line caption start in the same column.
    const auto& cap = captions[static_cast<std::size_t>(i)];
    draw_text(canvas, cell_x + (cell_w - text_width(cap.text, ts)) / 2, cell_y + img_h + caption_gap, cap.text,
              cap.color, ts);
  }
  return canvas;
}

}  // namespace detail

// Draws the first options.count images with their class names as captions.
template <class S, Scalar T>
void image_grid(std::span<const Tensor<S, T>> images, std::span<const std::uint32_t> labels,
                std::span<const std::string> class_names, const std::filesystem::path& path,
                const grid_options& options = {}) {
  detail::check_image_shape<S>();
  if constexpr (rank_is<S, 3> && image_channels_supported<S>) {
    const std::size_t n = std::min(options.count, images.size());
    detail::check_options(options, n, "image_grid");
    if (labels.size() < n)
      throw std::invalid_argument("forma::plot::image_grid draws " + std::to_string(n) + " images but got " +
                                  std::to_string(labels.size()) + " labels");
    std::vector<detail::grid_caption> captions;
    for (std::size_t i = 0; i < n; ++i)
      captions.push_back({detail::class_name(class_names, labels[i], "label"), options.text});
    write_png(detail::draw_grid(images, captions, options), path);
  }
}

// After evaluation: each caption reads "pred: <class>" over "true: <class>",
// green where the prediction is right and red where it is wrong.
template <class S, Scalar T>
void prediction_grid(std::span<const Tensor<S, T>> images, std::span<const std::uint32_t> predicted,
                     std::span<const std::uint32_t> actual, std::span<const std::string> class_names,
                     const std::filesystem::path& path, const grid_options& options = {}) {
  detail::check_image_shape<S>();
  if constexpr (rank_is<S, 3> && image_channels_supported<S>) {
    const std::size_t n = std::min(options.count, images.size());
    detail::check_options(options, n, "prediction_grid");
    if (predicted.size() < n || actual.size() < n)
      throw std::invalid_argument("forma::plot::prediction_grid draws " + std::to_string(n) + " images but got " +
                                  std::to_string(predicted.size()) + " predictions and " +
                                  std::to_string(actual.size()) + " true labels");
    std::vector<detail::grid_caption> captions;
    for (std::size_t i = 0; i < n; ++i)
      captions.push_back({"pred: " + detail::class_name(class_names, predicted[i], "prediction") +
                              "\ntrue: " + detail::class_name(class_names, actual[i], "label"),
                          predicted[i] == actual[i] ? options.right : options.wrong});
    write_png(detail::draw_grid(images, captions, options), path);
  }
}

// The same for any contiguous range of tensors (std::vector, std::array, a
// non-const std::span), which a std::span parameter cannot deduce from.
template <std::ranges::contiguous_range R>
  requires std::ranges::sized_range<R> && detail::is_tensor<std::remove_cv_t<std::ranges::range_value_t<R>>>
void image_grid(const R& images, std::span<const std::uint32_t> labels, std::span<const std::string> class_names,
                const std::filesystem::path& path, const grid_options& options = {}) {
  using tensor = std::remove_cv_t<std::ranges::range_value_t<R>>;
  image_grid(std::span<const tensor>(std::ranges::data(images), std::ranges::size(images)), labels, class_names,
             path, options);
}

template <std::ranges::contiguous_range R>
  requires std::ranges::sized_range<R> && detail::is_tensor<std::remove_cv_t<std::ranges::range_value_t<R>>>
void prediction_grid(const R& images, std::span<const std::uint32_t> predicted, std::span<const std::uint32_t> actual,
                     std::span<const std::string> class_names, const std::filesystem::path& path,
                     const grid_options& options = {}) {
  using tensor = std::remove_cv_t<std::ranges::range_value_t<R>>;
  prediction_grid(std::span<const tensor>(std::ranges::data(images), std::ranges::size(images)), predicted, actual,
                  class_names, path, options);
}

}  // namespace forma::plot
