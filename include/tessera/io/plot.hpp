// Line plots of training curves (a GAN's D and G losses per iteration) written as PNG, with what a
// person expects of a chart: a title, axes with round-numbered ticks and labels, a grid, a legend,
// and optional moving-average smoothing that draws the raw values faintly behind. No plotting
// library needed: text comes from an embedded bitmap font, lines are anti-aliased here.
//   io::save_loss_plot("losses.png", {{"D loss", d_losses}, {"G loss", g_losses}}, {.smoothing =
//   50});
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/io/detail/font.hpp"
#include "tessera/io/png.hpp"

namespace tessera::io {

struct PlotSeries {
  std::string name;                         // in the legend; series without a name have no entry
  std::vector<double> values;               // y; NaN and infinities leave a gap in the line
  std::vector<double> x = {};               // empty: 0, 1, 2, ... (one point per iteration)
  std::optional<Rgb> color = std::nullopt;  // empty: the next of matplotlib's tab10 colours
};

struct PlotOptions {
  int width = 800;  // pixels
  int height = 500;
  std::string title = "Training losses";
  std::string x_label = "iteration";
  std::string y_label = "loss";
  // Moving-average window in points: above 1, each series is drawn as the mean of its last
  // `smoothing` values, with the raw values faint behind it.
  int smoothing = 0;
  int font_scale = 0;  // screen pixels per font pixel; 0 picks one to suit the image size
};

// A rectangle of pixels, [x0, x1) x [y0, y1).
struct PlotBox {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool contains(int x, int y) const { return x >= x0 && x < x1 && y >= y0 && y < y1; }
  int width() const { return x1 - x0; }
  int height() const { return y1 - y0; }
};

// The picture and where its parts went (tests and callers that add to the picture use them).
struct Plot {
  RgbImage image;
  PlotBox axes;    // the data area, inside the frame
  PlotBox legend;  // empty when no series has a name
  PlotBox title;
};

namespace detail {

inline constexpr Rgb text_color{34, 34, 34};
inline constexpr Rgb frame_color{68, 68, 68};
inline constexpr Rgb grid_color{229, 229, 229};
inline constexpr Rgb legend_border_color{204, 204, 204};
// matplotlib's default cycle ("tab10"), which people read as "the loss plot colours".
inline constexpr std::array<Rgb, 10> tab10{{{31, 119, 180},
                                            {255, 127, 14},
                                            {44, 160, 44},
                                            {214, 39, 40},
                                            {148, 103, 189},
                                            {140, 86, 75},
                                            {227, 119, 194},
                                            {127, 127, 127},
                                            {188, 189, 34},
                                            {23, 190, 207}}};

inline void blend(RgbImage& image, int x, int y, Rgb c, float alpha) {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height || alpha <= 0) return;
  const Rgb old = image.at(x, y);
  const auto mix = [alpha](std::uint8_t from, std::uint8_t to) {
    return std::uint8_t(
        std::lround(float(from) + (float(to) - float(from)) * std::min(alpha, 1.0f)));
  };
  image.set(x, y, {mix(old.r, c.r), mix(old.g, c.g), mix(old.b, c.b)});
}

inline void fill(RgbImage& image, PlotBox box, Rgb c) {
  for (int y = std::max(box.y0, 0); y < std::min(box.y1, image.height); ++y)
    for (int x = std::max(box.x0, 0); x < std::min(box.x1, image.width); ++x) image.set(x, y, c);
}

// Text at integer scale: each font pixel becomes a scale x scale square.
inline int text_width(std::string_view text, int scale) {
  return text.empty() ? 0 : int(text.size()) * (glyph_width + 1) * scale - scale;
}
inline int text_height(int scale) {
  return glyph_height * scale;
}

// Draws text with its top-left corner at (x, y); `upward` turns it a quarter turn anticlockwise
// (for a y-axis label), (x, y) then being the top-left of the turned text's box.
inline void draw_text(RgbImage& image, int x, int y, std::string_view text, int scale, Rgb c,
                      bool upward = false) {
  const int length = text_width(text, scale);
  for (std::size_t k = 0; k < text.size(); ++k) {
    const auto& rows = glyph(text[k]);
    for (int gy = 0; gy < glyph_height; ++gy) {
      for (int gx = 0; gx < glyph_width; ++gx) {
        if (!(rows[std::size_t(gy)] & (0x10 >> gx))) continue;
        for (int sy = 0; sy < scale; ++sy) {
          for (int sx = 0; sx < scale; ++sx) {
            const int tx = (int(k) * (glyph_width + 1) + gx) * scale + sx, ty = gy * scale + sy;
            const int px = upward ? x + ty : x + tx, py = upward ? y + length - 1 - tx : y + ty;
            if (px >= 0 && py >= 0 && px < image.width && py < image.height) image.set(px, py, c);
          }
        }
      }
    }
  }
}

// How much of each pixel of a box a series' line covers. Segments take the maximum with what is
// there rather than adding, so that the joints of a polyline are not drawn twice as dark.
class Coverage {
 public:
  explicit Coverage(PlotBox box)
      : box_(box), cover_(std::size_t(box.width()) * std::size_t(box.height())) {}

  // A segment between pixel-space points (pixel (i, j) has its centre at (i + 0.5, j + 0.5)),
  // `width` pixels thick with round ends; coverage falls off over one pixel at the edge.
  void segment(double ax, double ay, double bx, double by, double width) {
    const double r = width / 2;
    const int x0 = std::max(box_.x0, int(std::floor(std::min(ax, bx) - r - 1)));
    const int x1 = std::min(box_.x1, int(std::ceil(std::max(ax, bx) + r + 1)));
    const int y0 = std::max(box_.y0, int(std::floor(std::min(ay, by) - r - 1)));
    const int y1 = std::min(box_.y1, int(std::ceil(std::max(ay, by) + r + 1)));
    const double dx = bx - ax, dy = by - ay, length2 = dx * dx + dy * dy;
    for (int y = y0; y < y1; ++y) {
      for (int x = x0; x < x1; ++x) {
        const double px = x + 0.5 - ax, py = y + 0.5 - ay;
        const double t = length2 > 0 ? std::clamp((px * dx + py * dy) / length2, 0.0, 1.0) : 0.0;
        const double distance = std::hypot(px - t * dx, py - t * dy);
        const float c = float(std::clamp(r + 0.5 - distance, 0.0, 1.0));
        float& cell =
            cover_[std::size_t(y - box_.y0) * std::size_t(box_.width()) + std::size_t(x - box_.x0)];
        cell = std::max(cell, c);
      }
    }
  }

  void paint(RgbImage& image, Rgb color, float opacity) const {
    for (int y = box_.y0; y < box_.y1; ++y)
      for (int x = box_.x0; x < box_.x1; ++x)
        blend(image, x, y, color,
              opacity * cover_[std::size_t(y - box_.y0) * std::size_t(box_.width()) +
                               std::size_t(x - box_.x0)]);
  }

 private:
  PlotBox box_;
  std::vector<float> cover_;
};

// Round-numbered ticks (1, 2 or 5 times a power of ten apart) inside [low, high], about `target`
// of them; with `integers`, at least 1 apart (no tick at iteration 2.5). `decimals` is how many
// digits after the point their labels need.
struct Ticks {
  std::vector<double> values;
  double step = 1;
  int decimals = 0;
};

inline Ticks nice_ticks(double low, double high, int target, bool integers = false) {
  Ticks t;
  const double raw = (high - low) / std::max(target, 1);
  if (!(raw > 0) || !std::isfinite(raw)) return t;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double fraction = raw / magnitude;
  t.step = (fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10) * magnitude;
  if (integers) t.step = std::max(t.step, 1.0);
  t.decimals = std::max(0, -int(std::floor(std::log10(t.step) + 1e-9)));
  const double eps = t.step * 1e-9;
  for (double k = std::ceil((low - eps) / t.step); k * t.step <= high + eps; ++k)
    t.values.push_back(std::abs(k) < 0.5 ? 0.0 : k * t.step);  // no "-0"
  return t;
}

inline std::string tick_label(double v, const Ticks& ticks) {
  char buffer[32];
  const double largest = ticks.values.empty() ? 0
                                              : std::max(std::abs(ticks.values.front()),
                                                         std::abs(ticks.values.back()));
  if (largest >= 1e6 || ticks.step < 1e-4)
    std::snprintf(buffer, sizeof buffer, "%.3g", v);
  else
    std::snprintf(buffer, sizeof buffer, "%.*f", ticks.decimals, v);
  return buffer;
}

// The mean of each value and the window - 1 before it, over the finite ones among them.
inline std::vector<double> moving_average(const std::vector<double>& values, int window) {
  std::vector<double> out(values.size());
  double sum = 0;
  int count = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (std::isfinite(values[i])) sum += values[i], ++count;
    if (i >= std::size_t(window) && std::isfinite(values[i - std::size_t(window)]))
      sum -= values[i - std::size_t(window)], --count;
    out[i] = count > 0 ? sum / count : std::numeric_limits<double>::quiet_NaN();
  }
  return out;
}

}  // namespace detail

// Draws the series as a line chart. Throws std::invalid_argument for an image too small for its
// labels or a series whose x and values differ in length.
inline Plot render_plot(const std::vector<PlotSeries>& series, const PlotOptions& options = {}) {
  if (options.width < 120 || options.height < 90)
    throw std::invalid_argument("tessera::io::render_plot: " + std::to_string(options.width) +
                                " x " + std::to_string(options.height) +
                                " is too small (at least 120 x 90)");
  for (const auto& s : series)
    if (!s.x.empty() && s.x.size() != s.values.size())
      throw std::invalid_argument("tessera::io::render_plot: series \"" + s.name + "\" has " +
                                  std::to_string(s.x.size()) + " x values for " +
                                  std::to_string(s.values.size()) + " values");

  // Font pixels of 2x2 at the default size: about the size of matplotlib's labels at 100 dpi.
  const int s = options.font_scale > 0
                    ? options.font_scale
                    : std::max(1, (std::min(options.width, options.height) + 100) / 250);
  const int title_scale = s + 1;
  const int pad = 5 * s, gap = 3 * s, tick_length = 3 * s;

  // What is drawn: each series' points, smoothed or not, and the data's extent.
  struct Line {
    std::vector<double> x, raw, shown;
    Rgb color;
  };
  std::vector<Line> lines;
  constexpr double inf = std::numeric_limits<double>::infinity();
  bool integer_x = true;  // iterations or epochs
  double x_low = inf, x_high = -inf, y_low = inf, y_high = -inf;
  for (std::size_t i = 0; i < series.size(); ++i) {
    Line line;
    line.raw = series[i].values;
    line.x = series[i].x;
    if (line.x.empty())
      for (std::size_t k = 0; k < line.raw.size(); ++k) line.x.push_back(double(k));
    line.shown =
        options.smoothing > 1 ? detail::moving_average(line.raw, options.smoothing) : line.raw;
    line.color = series[i].color.value_or(detail::tab10[i % detail::tab10.size()]);
    for (std::size_t k = 0; k < line.raw.size(); ++k) {
      if (!std::isfinite(line.raw[k]) || !std::isfinite(line.x[k])) continue;
      x_low = std::min(x_low, line.x[k]), x_high = std::max(x_high, line.x[k]);
      integer_x = integer_x && line.x[k] == std::round(line.x[k]);
      y_low = std::min(y_low, line.raw[k]), y_high = std::max(y_high, line.raw[k]);
    }
    lines.push_back(std::move(line));
  }
  if (!(x_low <= x_high)) x_low = 0, x_high = 1;  // nothing finite to show: empty axes
  if (!(y_low <= y_high)) y_low = 0, y_high = 1;
  if (x_low == x_high) x_low -= 0.5, x_high += 0.5;
  if (y_low == y_high) {
    const double half = std::max(0.5, std::abs(y_low) * 0.1);
    y_low -= half, y_high += half;
  }
  const double y_margin = (y_high - y_low) * 0.05;  // as matplotlib, so extremes clear the frame
  y_low -= y_margin, y_high += y_margin;

  // Layout, from the outside in. Heights do not depend on the ticks; the left margin depends on
  // the y tick labels' width, and the x ticks on the width that leaves.
  Plot plot;
  plot.image = RgbImage(options.width, options.height, {255, 255, 255});
  PlotBox& axes = plot.axes;
  axes.y0 = pad + (options.title.empty() ? 0 : detail::text_height(title_scale) + 2 * gap);
  axes.y1 = options.height - pad - (options.x_label.empty() ? 0 : detail::text_height(s) + gap) -
            detail::text_height(s) - gap - tick_length;
  const detail::Ticks y_ticks =
      detail::nice_ticks(y_low, y_high, std::clamp((axes.y1 - axes.y0) / (18 * s), 2, 8));
  int y_label_width = 0;
  for (const double v : y_ticks.values)
    y_label_width = std::max(y_label_width, detail::text_width(detail::tick_label(v, y_ticks), s));
  axes.x0 = pad + (options.y_label.empty() ? 0 : detail::text_height(s) + gap) + y_label_width +
            gap + tick_length;
  // The x tick labels' width sets how many fit, and half the last one must fit right of the axes:
  // measure a first choice of ticks, then choose again for the width left.
  int x_label_width = 0;
  for (const auto& ticks : {detail::nice_ticks(x_low, x_high, 4, integer_x),
                            detail::nice_ticks(x_low, x_high, 10, integer_x)})
    for (const double v : ticks.values)
      x_label_width = std::max(x_label_width, detail::text_width(detail::tick_label(v, ticks), s));
  axes.x1 = options.width - std::max(pad, x_label_width / 2 + s);
  if (axes.width() < 20 * s || axes.height() < 20 * s)
    throw std::invalid_argument("tessera::io::render_plot: " + std::to_string(options.width) +
                                " x " + std::to_string(options.height) +
                                " leaves no room for the data at font scale " + std::to_string(s));
  const detail::Ticks x_ticks = detail::nice_ticks(
      x_low, x_high, std::clamp(axes.width() / (x_label_width + 8 * s), 2, 10), integer_x);

  // Data to pixel centres: the ends of the ranges land on the centres of the edge pixels.
  const auto px = [&](double x) {
    return axes.x0 + 0.5 + (x - x_low) / (x_high - x_low) * (axes.width() - 1);
  };
  const auto py = [&](double y) {
    return axes.y1 - 0.5 - (y - y_low) / (y_high - y_low) * (axes.height() - 1);
  };
  RgbImage& image = plot.image;

  // Grid, frame, ticks and their labels.
  for (const double v : y_ticks.values) {
    const int y = int(std::floor(py(v)));
    detail::fill(image, {axes.x0, y, axes.x1, y + 1}, detail::grid_color);
    detail::fill(image, {axes.x0 - 1 - tick_length, y, axes.x0 - 1, y + 1}, detail::frame_color);
    const std::string label = detail::tick_label(v, y_ticks);
    detail::draw_text(image, axes.x0 - 1 - tick_length - gap - detail::text_width(label, s),
                      y - (7 * s) / 2, label, s, detail::text_color);
  }
  for (const double v : x_ticks.values) {
    const int x = int(std::floor(px(v)));
    detail::fill(image, {x, axes.y0, x + 1, axes.y1}, detail::grid_color);
    detail::fill(image, {x, axes.y1 + 1, x + 1, axes.y1 + 1 + tick_length}, detail::frame_color);
    const std::string label = detail::tick_label(v, x_ticks);
    detail::draw_text(image, x - detail::text_width(label, s) / 2, axes.y1 + 1 + tick_length + gap,
                      label, s, detail::text_color);
  }
  detail::fill(image, {axes.x0 - 1, axes.y0 - 1, axes.x1 + 1, axes.y0}, detail::frame_color);
  detail::fill(image, {axes.x0 - 1, axes.y1, axes.x1 + 1, axes.y1 + 1}, detail::frame_color);
  detail::fill(image, {axes.x0 - 1, axes.y0, axes.x0, axes.y1}, detail::frame_color);
  detail::fill(image, {axes.x1, axes.y0, axes.x1 + 1, axes.y1}, detail::frame_color);

  // Axis labels and title, centred on the axes.
  if (!options.x_label.empty())
    detail::draw_text(image, (axes.x0 + axes.x1 - detail::text_width(options.x_label, s)) / 2,
                      options.height - pad - detail::text_height(s), options.x_label, s,
                      detail::text_color);
  if (!options.y_label.empty())
    detail::draw_text(image, pad, (axes.y0 + axes.y1 - detail::text_width(options.y_label, s)) / 2,
                      options.y_label, s, detail::text_color, /*upward=*/true);
  if (!options.title.empty()) {
    const int w = detail::text_width(options.title, title_scale);
    plot.title = {(axes.x0 + axes.x1 - w) / 2, pad, (axes.x0 + axes.x1 + w) / 2,
                  pad + detail::text_height(title_scale)};
    detail::draw_text(image, plot.title.x0, plot.title.y0, options.title, title_scale,
                      detail::text_color);
  }

  // The lines: faint raw values first when smoothing, so that every smoothed line is on top.
  const double line_width = 0.75 * s + 0.5, faint_width = 0.5 * s + 0.5;
  const auto stroke = [&](const Line& line, const std::vector<double>& y, double width,
                          float opacity) {
    detail::Coverage cover(axes);
    for (std::size_t k = 0; k < y.size(); ++k) {
      if (!std::isfinite(y[k]) || !std::isfinite(line.x[k])) continue;
      const bool joined = k > 0 && std::isfinite(y[k - 1]) && std::isfinite(line.x[k - 1]);
      const double x1 = px(line.x[k]), y1 = py(y[k]);
      // A lone point (no finite neighbour before it) still shows, as a dot.
      cover.segment(joined ? px(line.x[k - 1]) : x1, joined ? py(y[k - 1]) : y1, x1, y1, width);
    }
    cover.paint(image, line.color, opacity);
  };
  if (options.smoothing > 1)
    for (const Line& line : lines) stroke(line, line.raw, faint_width, 0.3f);
  for (const Line& line : lines) stroke(line, line.shown, line_width, 1.0f);

  // Legend, in the corner of the axes where it hides the fewest points (matplotlib's "best").
  std::vector<std::size_t> named;
  int name_width = 0;
  for (std::size_t i = 0; i < series.size(); ++i) {
    if (series[i].name.empty()) continue;
    named.push_back(i);
    name_width = std::max(name_width, detail::text_width(series[i].name, s));
  }
  if (!named.empty()) {
    const int row = detail::text_height(s) + 2 * s, sample = 16 * s;
    const int w = gap + sample + gap + name_width + gap, h = int(named.size()) * row + 2 * s;
    const int left = axes.x0 + 4 * s, right = axes.x1 - 4 * s;
    const int top = axes.y0 + 4 * s, bottom = axes.y1 - 4 * s;
    // In matplotlib's order of preference: upper right, upper left, lower left, lower right.
    const std::array<PlotBox, 4> corners{{{right - w, top, right, top + h},
                                          {left, top, left + w, top + h},
                                          {left, bottom - h, left + w, bottom},
                                          {right - w, bottom - h, right, bottom}}};
    std::size_t best = 0, fewest = std::numeric_limits<std::size_t>::max();
    for (std::size_t c = 0; c < corners.size(); ++c) {
      std::size_t hidden = 0;
      for (const Line& line : lines)
        for (std::size_t k = 0; k < line.shown.size(); ++k)
          if (std::isfinite(line.shown[k]) &&
              corners[c].contains(int(px(line.x[k])), int(py(line.shown[k]))))
            ++hidden;
      if (hidden < fewest) fewest = hidden, best = c;
    }
    plot.legend = corners[best];
    const PlotBox& box = plot.legend;
    detail::fill(image, box, detail::legend_border_color);
    detail::fill(image, {box.x0 + 1, box.y0 + 1, box.x1 - 1, box.y1 - 1}, {255, 255, 255});
    for (std::size_t e = 0; e < named.size(); ++e) {
      const int entry_top = box.y0 + s + int(e) * row;
      const Line& line = lines[named[e]];
      detail::Coverage cover(box);
      const double mid = entry_top + s + 3.5 * s;  // the middle of a capital letter
      cover.segment(box.x0 + gap, mid, box.x0 + gap + sample, mid, line_width);
      cover.paint(image, line.color, 1.0f);
      detail::draw_text(image, box.x0 + gap + sample + gap, entry_top + s, series[named[e]].name, s,
                        detail::text_color);
    }
  }
  return plot;
}

// render_plot, written as a PNG.
inline void save_loss_plot(const std::filesystem::path& path, const std::vector<PlotSeries>& series,
                           const PlotOptions& options = {}) {
  write_png(path, render_plot(series, options).image);
}

}  // namespace tessera::io
