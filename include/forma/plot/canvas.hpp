#pragma once
// Canvas: an RGB image in memory (8 bits a channel, rows top to bottom), what
// the plot functions draw on and write_png saves. Drawing outside it is
// clipped, so callers never bounds-check.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace forma::plot {

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
  friend constexpr bool operator==(Rgb, Rgb) = default;
};

namespace colors {
inline constexpr Rgb white{255, 255, 255};
inline constexpr Rgb black{0, 0, 0};
inline constexpr Rgb ink{30, 30, 30};          // text: softer than black
inline constexpr Rgb axis{90, 90, 90};
inline constexpr Rgb grid{228, 228, 228};
inline constexpr Rgb frame{200, 200, 200};
inline constexpr Rgb blue{31, 119, 180};       // matplotlib's first two cycle colours,
inline constexpr Rgb orange{255, 127, 14};     // which Keras users know from their charts
inline constexpr Rgb green{0, 140, 0};
inline constexpr Rgb red{210, 0, 0};
}  // namespace colors

class Canvas {
 public:
  // Large enough for any grid or chart, small enough that width * height * 3
  // never overflows and a typo does not allocate gigabytes.
  static constexpr int max_side = 1 << 15;

  Canvas(int width, int height, Rgb background = colors::white) : width_(width), height_(height) {
    if (width < 1 || height < 1 || width > max_side || height > max_side)
      throw std::invalid_argument("forma::plot::Canvas needs 1 to " + std::to_string(max_side) +
                                  " pixels a side; got " + std::to_string(width) + " x " +
                                  std::to_string(height));
    pixels_.resize(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3);
    fill_rect(0, 0, width, height, background);
  }

  int width() const noexcept { return width_; }
  int height() const noexcept { return height_; }
  // Row-major RGB triples, exactly what libpng's PNG_FORMAT_RGB expects.
  const std::vector<std::uint8_t>& pixels() const noexcept { return pixels_; }

  bool contains(int x, int y) const noexcept { return x >= 0 && y >= 0 && x < width_ && y < height_; }

  Rgb at(int x, int y) const {
    if (!contains(x, y))
      throw std::out_of_range("forma::plot::Canvas::at(" + std::to_string(x) + ", " + std::to_string(y) +
                              ") is outside " + std::to_string(width_) + " x " + std::to_string(height_));
    const std::uint8_t* p = &pixels_[offset(x, y)];
    return {p[0], p[1], p[2]};
  }

  void set(int x, int y, Rgb c) noexcept {
    if (!contains(x, y)) return;
    std::uint8_t* p = &pixels_[offset(x, y)];
    p[0] = c.r, p[1] = c.g, p[2] = c.b;
  }

  // Mixes c over the pixel with weight alpha in [0, 1]: the antialiased edges.
  void blend(int x, int y, Rgb c, double alpha) noexcept {
    if (!contains(x, y) || !(alpha > 0)) return;
    alpha = std::min(alpha, 1.0);
    std::uint8_t* p = &pixels_[offset(x, y)];
    const auto mix = [alpha](std::uint8_t under, std::uint8_t over) {
      return static_cast<std::uint8_t>(std::lround(under + (over - under) * alpha));
    };
    p[0] = mix(p[0], c.r), p[1] = mix(p[1], c.g), p[2] = mix(p[2], c.b);
  }

  void fill_rect(int x, int y, int w, int h, Rgb c) noexcept {
    const int x0 = std::max(x, 0), y0 = std::max(y, 0);
    const int x1 = static_cast<int>(std::min<long long>(static_cast<long long>(x) + w, width_));
    const int y1 = static_cast<int>(std::min<long long>(static_cast<long long>(y) + h, height_));
    for (int yy = y0; yy < y1; ++yy)
      for (int xx = x0; xx < x1; ++xx) set(xx, yy, c);
  }

  // A one-pixel outline whose inside is exactly the w x h rectangle at (x, y).
  void frame_rect(int x, int y, int w, int h, Rgb c) noexcept {
    fill_rect(x - 1, y - 1, w + 2, 1, c);
    fill_rect(x - 1, y + h, w + 2, 1, c);
    fill_rect(x - 1, y, 1, h, c);
    fill_rect(x + w, y, 1, h, c);
  }

  // An antialiased segment of the given width between points in pixel
  // coordinates (pixel (i, j) covers [i, i+1) x [j, j+1)): each pixel takes
  // the colour in proportion to how close its centre is to the segment.
  void line(double x0, double y0, double x1, double y1, Rgb c, double line_width = 1.0) noexcept {
    if (!std::isfinite(x0) || !std::isfinite(y0) || !std::isfinite(x1) || !std::isfinite(y1) ||
        !(line_width > 0 && line_width < max_side))
      return;
    const double half = line_width / 2;
    const double dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
    // The bounding box, clamped in double so that far-off points cannot
    // overflow the conversion to int.
    const auto bound = [](double v, int hi) { return static_cast<int>(std::clamp(v, 0.0, double(hi))); };
    const int xa = bound(std::floor(std::min(x0, x1) - half - 1), width_ - 1);
    const int xb = bound(std::ceil(std::max(x0, x1) + half + 1), width_ - 1);
    const int ya = bound(std::floor(std::min(y0, y1) - half - 1), height_ - 1);
    const int yb = bound(std::ceil(std::max(y0, y1) + half + 1), height_ - 1);
    for (int y = ya; y <= yb; ++y)
      for (int x = xa; x <= xb; ++x) {
        const double px = x + 0.5, py = y + 0.5;
        const double t = len2 > 0 ? std::clamp(((px - x0) * dx + (py - y0) * dy) / len2, 0.0, 1.0) : 0.0;
        const double d = std::hypot(px - (x0 + t * dx), py - (y0 + t * dy));
        blend(x, y, c, half + 0.5 - d);
      }
  }

  // A filled, antialiased circle: the markers on a chart's data points.
  void disc(double cx, double cy, double radius, Rgb c) noexcept { line(cx, cy, cx, cy, c, 2 * radius); }

 private:
  std::size_t offset(int x, int y) const noexcept {
    return (static_cast<std::size_t>(y) * static_cast<std::size_t>(width_) + static_cast<std::size_t>(x)) * 3;
  }

  int width_, height_;
  std::vector<std::uint8_t> pixels_;
};

}  // namespace forma::plot
