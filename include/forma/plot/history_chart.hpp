#pragma once
// history_chart: the learning curves of a History as a PNG, one panel per
// metric side by side (loss, then accuracy), training and validation in two
// colours, as Keras users draw them with matplotlib after fit.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "forma/plot/canvas.hpp"
#include "forma/plot/font.hpp"
#include "forma/plot/png.hpp"
#include "forma/train/history.hpp"

namespace forma::plot {

struct chart_options {
  int width = 900;
  int height = 400;
  // One panel for each of these that the history holds (the name or its
  // "val_" twin); the rest are skipped.
  std::vector<std::string> metrics = {"loss", "accuracy"};
  Rgb training = colors::blue;
  Rgb validation = colors::orange;
  Rgb background = colors::white;
  Rgb text = colors::ink;
};

namespace detail {

struct axis_ticks {
  double lo, hi, step;
  int decimals;
};

// A 1-2-5 step giving about `target` intervals over [lo, hi], and the range
// widened to whole steps, so the end ticks sit on the frame.
inline axis_ticks nice_ticks(double lo, double hi, int target = 5) {
  if (!(hi - lo > 1e-12 * std::max(1.0, std::abs(lo)))) {  // flat or single value
    const double pad = std::max(std::abs(lo) * 0.1, 0.1);
    lo -= pad, hi += pad;
  } else {
    const double pad = (hi - lo) * 0.05;  // keep the curve off the frame
    lo -= pad, hi += pad;
  }
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  const double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  return {std::floor(lo / step + 1e-9) * step, std::ceil(hi / step - 1e-9) * step, step, decimals};
}

inline std::string format_tick(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  if (s.find_first_not_of("-0.") == std::string::npos && s[0] == '-') s.erase(0, 1);  // no "-0.0"
  return s;
}

// "loss" -> "Loss", "mean_squared_error" -> "Mean squared error".
inline std::string metric_title(std::string name) {
  std::replace(name.begin(), name.end(), '_', ' ');
  if (!name.empty()) name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
  return name;
}

struct legend_layout {
  static constexpr int sample = 18, sample_gap = 5, entry_gap = 16;
  static int width(bool with_validation) {
    int w = sample + sample_gap + text_width("training");
    if (with_validation) w += entry_gap + sample + sample_gap + text_width("validation");
    return w;
  }
};

inline void draw_legend(Canvas& canvas, int x, int y, bool with_validation, const chart_options& o) {
  const auto entry = [&](Rgb color, const char* label) {
    const double cy = y + 4.0;  // on a pixel boundary: a crisp two-pixel line through the letters' middle
    canvas.line(x, cy, x + legend_layout::sample, cy, color, 2.0);
    canvas.disc(x + legend_layout::sample / 2.0, cy, 2.5, color);
    x += legend_layout::sample + legend_layout::sample_gap;
    draw_text(canvas, x, y, label, o.text);
    x += text_width(label) + legend_layout::entry_gap;
  };
  entry(o.training, "training");
  if (with_validation) entry(o.validation, "validation");
}

}  // namespace detail

// Draws the chart in memory; history_chart writes it. Throws
// std::invalid_argument when the history holds none of options.metrics.
inline Canvas draw_history_chart(const History& history, const chart_options& o = {}) {
  const auto series = [&](const std::string& k) -> const std::vector<double>* {
    const auto it = history.history.find(k);
    return it == history.history.end() ? nullptr : &it->second;
  };
  std::vector<std::string> panels;
  for (const auto& m : o.metrics)
    if (series(m) || series("val_" + m)) panels.push_back(m);
  if (panels.empty()) {
    std::string have;
    for (const auto& [k, v] : history.history) have += (have.empty() ? "" : ", ") + k;
    throw std::invalid_argument("forma::plot::history_chart finds none of the metrics to draw in the history "
                                "(it has: " + (have.empty() ? std::string("nothing") : have) + ")");
  }
  const int n_panels = static_cast<int>(panels.size());
  if (o.width < 220 * n_panels || o.height < 180)
    throw std::invalid_argument("forma::plot::history_chart needs at least 220 x 180 pixels a panel; got " +
                                std::to_string(o.width) + " x " + std::to_string(o.height) + " for " +
                                std::to_string(n_panels) + " panels");

  // Epoch numbers, counted from 1, of row i of every series.
  std::size_t rows = history.epoch.size();
  for (const auto& [k, v] : history.history) rows = std::max(rows, v.size());
  const auto epoch_of = [&](std::size_t i) {
    return i < history.epoch.size() ? history.epoch[i] + 1 : static_cast<int>(i) + 1;
  };
  int e_first = rows ? epoch_of(0) : 1, e_last = rows ? epoch_of(0) : 1;
  for (std::size_t i = 0; i < rows; ++i) {
    e_first = std::min(e_first, epoch_of(i));
    e_last = std::max(e_last, epoch_of(i));
  }

  Canvas canvas(o.width, o.height, o.background);
  const int panel_w = o.width / n_panels;
  const int title_scale = 2, title_y = 14, pad_left = 60, pad_right = 22, pad_bottom = 44;
  const int title_h = font::glyph_rows * title_scale;

  // The legend sits right of the title, or under it where a panel is too narrow.
  bool legend_below = false;
  for (const auto& m : panels) {
    const int plot_w = panel_w - pad_left - pad_right;
    const bool val = series("val_" + m) != nullptr;
    if (text_width(detail::metric_title(m), title_scale) + 16 + detail::legend_layout::width(val) > plot_w)
      legend_below = true;
  }
  const int top = title_y + title_h + (legend_below ? 28 : 14);
  const int bottom = o.height - pad_bottom;

  for (int p = 0; p < n_panels; ++p) {
    const std::string& m = panels[static_cast<std::size_t>(p)];
    const std::vector<double>* train = series(m);
    const std::vector<double>* val = series("val_" + m);
    const int left = p * panel_w + pad_left, right = (p + 1) * panel_w - pad_right;

    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto* s : {train, val})
      if (s)
        for (const double v : *s)
          if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    if (!(lo <= hi)) lo = 0, hi = 1;  // nothing finite to draw: an empty frame
    const detail::axis_ticks yt = detail::nice_ticks(lo, hi);

    const double inset = 10;  // keep the first and last points off the frame
    const auto x_of = [&](int e) {
      if (e_last == e_first) return (left + right) / 2.0;
      return left + inset + (e - e_first) * (right - left - 2 * inset) / double(e_last - e_first);
    };
    const auto y_of = [&](double v) { return bottom - (v - yt.lo) / (yt.hi - yt.lo) * (bottom - top); };

    // Grid, y ticks and their labels.
    for (int k = 0;; ++k) {
      const double v = yt.lo + k * yt.step;
      if (v > yt.hi + yt.step * 1e-6) break;
      const int y = static_cast<int>(std::lround(y_of(v) - 0.5));
      if (y > top && y < bottom) canvas.fill_rect(left, y, right - left, 1, colors::grid);
      canvas.fill_rect(left - 5, y, 4, 1, colors::axis);
      const std::string label = detail::format_tick(v, yt.decimals);
      draw_text(canvas, left - 8 - text_width(label), y - 3, label, o.text);
    }
    // x ticks at whole epochs: every one, or every 2nd, 5th, 10th... so that
    // about ten are labelled.
    int step = 1;
    for (const int s : {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000}) {
      step = s;
      if ((e_last - e_first) / s <= 10) break;
    }
    std::vector<int> xticks;
    for (int e = e_first; e <= e_last; ++e)
      if (e % step == 0 || step == 1) xticks.push_back(e);
    if (xticks.size() < 2 && e_last != e_first) xticks = {e_first, e_last};
    if (xticks.empty()) xticks = {e_first};
    for (const int e : xticks) {
      const int x = static_cast<int>(std::lround(x_of(e) - 0.5));
      canvas.fill_rect(x, bottom + 1, 1, 4, colors::axis);
      const std::string label = std::to_string(e);
      draw_text(canvas, x - text_width(label) / 2, bottom + 9, label, o.text);
    }
    draw_text(canvas, (left + right - text_width("epoch")) / 2, bottom + 24, "epoch", o.text);
    canvas.frame_rect(left, top, right - left, bottom - top, colors::axis);

    // Curves: segments between neighbouring finite points, a NaN breaks the line.
    const bool markers = rows <= 40;
    for (const auto& [s, color] : {std::pair{train, o.training}, std::pair{val, o.validation}}) {
      if (!s) continue;
      for (std::size_t i = 0; i + 1 < s->size(); ++i) {
        const double a = (*s)[i], b = (*s)[i + 1];
        if (std::isfinite(a) && std::isfinite(b))
          canvas.line(x_of(epoch_of(i)), y_of(a), x_of(epoch_of(i + 1)), y_of(b), color, 2.0);
      }
      if (markers || s->size() == 1)
        for (std::size_t i = 0; i < s->size(); ++i)
          if (std::isfinite((*s)[i])) canvas.disc(x_of(epoch_of(i)), y_of((*s)[i]), 3.0, color);
    }

    const std::string title = detail::metric_title(m);
    draw_text(canvas, left, title_y, title, o.text, title_scale);
    const int legend_w = detail::legend_layout::width(val != nullptr);
    if (train || val) {
      const int ly = legend_below ? title_y + title_h + 6 : title_y + (title_h - 7) / 2;
      detail::draw_legend(canvas, legend_below ? left : right - legend_w, ly, val != nullptr, o);
    }
  }
  return canvas;
}

// Replaces `path` atomically; throws write_error naming `path` on failure.
inline void history_chart(const History& history, const std::filesystem::path& path, const chart_options& o = {}) {
  write_png(draw_history_chart(history, o), path);
}

}  // namespace forma::plot
