// Tests for tessera/io/plot.hpp: the PNG has the requested size, both series' colours appear in
// the axes, the legend and title hold text, smoothing draws the raw data faintly; and the helpers
// (ticks, labels, moving average, font) on their own.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "../support/temp_dir.hpp"
#include "tessera/io/plot.hpp"

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wpedantic"
#if __has_include(<stb/stb_image.h>)
#include <stb/stb_image.h>
#else
#include <stb_image.h>
#endif
#pragma GCC diagnostic pop

namespace io = tessera::io;
using Catch::Matchers::Contains;
using io::PlotBox;
using io::Rgb;

namespace {

// A GAN-like pair of curves: D settling near 0.6, G rising towards 2.5, both noisy.
std::vector<io::PlotSeries> losses(int n) {
  std::vector<double> d, g;
  for (int i = 0; i < n; ++i) {
    d.push_back(0.6 + 0.8 * std::exp(-i / 100.0) + 0.1 * std::sin(i * 1.7));
    g.push_back(2.5 - 1.2 * std::exp(-i / 200.0) + 0.3 * std::cos(i * 2.3));
  }
  return {{"D loss", d}, {"G loss", g}};
}

int count(const io::RgbImage& image, PlotBox box, Rgb color) {
  int n = 0;
  for (int y = box.y0; y < box.y1; ++y)
    for (int x = box.x0; x < box.x1; ++x) n += image.at(x, y) == color;
  return n;
}

Rgb faint(Rgb c, float opacity) {
  const auto mix = [&](std::uint8_t to) {
    return std::uint8_t(std::lround(255 + (float(to) - 255) * opacity));
  };
  return {mix(c.r), mix(c.g), mix(c.b)};
}

}  // namespace

TEST_CASE("save_loss_plot writes a PNG of the requested size", "[plot]") {
  tessera::testing::TempDir dir("tessera_plot");
  const auto path = dir / "losses.png";
  io::save_loss_plot(path, losses(500), {.width = 640, .height = 360});
  int w = 0, h = 0, channels = 0;
  unsigned char* pixels = stbi_load(path.c_str(), &w, &h, &channels, 3);
  REQUIRE(pixels != nullptr);
  stbi_image_free(pixels);
  CHECK(w == 640);
  CHECK(h == 360);

  REQUIRE_THROWS_AS(io::save_loss_plot(dir / "missing" / "x.png", losses(5)), io::ImageWriteError);
}

TEST_CASE("render_plot: both series in the axes, a legend and a title with text", "[plot]") {
  const io::Plot plot = io::render_plot(losses(500));
  const io::RgbImage& image = plot.image;
  REQUIRE(image.width == 800);
  REQUIRE(image.height == 500);
  const Rgb blue = io::detail::tab10[0], orange = io::detail::tab10[1];
  const Rgb white{255, 255, 255};

  // The axes sit inside the image, leaving room on every side for labels.
  const PlotBox& axes = plot.axes;
  CHECK(axes.x0 > 40);
  CHECK(axes.y0 > 20);
  CHECK(axes.x1 < image.width);
  CHECK(axes.y1 < image.height - 20);
  CHECK(count(image, axes, blue) > 500);
  CHECK(count(image, axes, orange) > 500);
  CHECK(image.at(0, 0) == white);  // white background outside the axes
  CHECK(count(image, {0, 0, axes.x0 - 1, image.height}, io::detail::text_color) >
        100);  // tick labels, y label
  CHECK(count(image, {0, axes.y1 + 1, image.width, image.height}, io::detail::text_color) > 100);

  // The legend: inside the axes, holding both colours' samples and the names in text colour.
  const PlotBox& legend = plot.legend;
  REQUIRE(legend.width() > 0);
  CHECK(legend.x0 >= axes.x0);
  CHECK(legend.x1 <= axes.x1);
  CHECK(legend.y0 >= axes.y0);
  CHECK(legend.y1 <= axes.y1);
  CHECK(count(image, legend, io::detail::text_color) > 50);
  CHECK(count(image, legend, blue) > 10);
  CHECK(count(image, legend, orange) > 10);

  REQUIRE(plot.title.width() > 0);
  CHECK(plot.title.y1 <= axes.y0);
  CHECK(count(image, plot.title, io::detail::text_color) > 100);
}

TEST_CASE("render_plot: the legend goes where it hides no data", "[plot]") {
  // A line along the top edge of the axes: the legend must drop to a lower corner.
  std::vector<double> flat_top(100, 1.0);
  flat_top[50] = 0.0;
  const io::Plot plot = io::render_plot({{"top", flat_top}});
  CHECK(plot.legend.y0 > (plot.axes.y0 + plot.axes.y1) / 2);
}

TEST_CASE("render_plot: smoothing draws the mean on top of the faint raw values", "[plot]") {
  const Rgb blue = io::detail::tab10[0];
  const io::Plot raw = io::render_plot(losses(800));
  const io::Plot smooth = io::render_plot(losses(800), {.smoothing = 25});
  // Anti-aliased edges of the plain line have that colour here and there, the faint line widely.
  const int faint_plain = count(raw.image, raw.axes, faint(blue, 0.3f));
  const int faint_smoothed = count(smooth.image, smooth.axes, faint(blue, 0.3f));
  CHECK(faint_smoothed > 200);
  CHECK(faint_plain * 10 < faint_smoothed);
  CHECK(count(smooth.image, smooth.axes, blue) > 300);
}

TEST_CASE("render_plot: colours, names, x values and gaps as given", "[plot]") {
  const Rgb red{200, 0, 0};
  std::vector<double> values{1, 2, std::numeric_limits<double>::quiet_NaN(), 4, 5};
  const io::Plot plot =
      io::render_plot({{"", values, {0, 100, 200, 300, 400}, red}},
                      {.width = 400, .height = 300, .title = "", .x_label = "", .y_label = ""});
  CHECK(plot.legend.width() == 0);  // no named series, no legend
  CHECK(plot.title.width() == 0);
  CHECK(count(plot.image, plot.axes, red) > 20);
  // The gap: no red in the middle fifth of the axes, around x = 200.
  const int mid = (plot.axes.x0 + plot.axes.x1) / 2, fifth = plot.axes.width() / 10;
  CHECK(count(plot.image, {mid - fifth, plot.axes.y0, mid + fifth, plot.axes.y1}, red) == 0);
}

TEST_CASE("render_plot: nothing finite to draw still gives labelled axes", "[plot]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_NOTHROW(io::render_plot({}));
  CHECK_NOTHROW(io::render_plot({{"empty", {}}, {"nan", {nan, nan}}, {"one", {3.0}}}));
}

TEST_CASE("render_plot: refuses a size without room and mismatched x", "[plot]") {
  CHECK_THROWS_AS(io::render_plot(losses(5), {.width = 100, .height = 50}), std::invalid_argument);
  CHECK_THROWS_AS(io::render_plot(losses(5), {.width = 200, .height = 120, .font_scale = 6}),
                  std::invalid_argument);
  CHECK_THROWS_WITH(io::render_plot({{"G", {1, 2, 3}, {0, 1}}}),
                    Contains("series \"G\" has 2 x values for 3 values"));
}

TEST_CASE("nice_ticks: round steps inside the range", "[plot]") {
  const auto t = io::detail::nice_ticks(0, 1, 5);
  CHECK(t.step == Approx(0.2));
  REQUIRE(t.values.size() == 6);
  CHECK(t.values.front() == 0.0);
  CHECK(t.values.back() == Approx(1.0));
  CHECK(io::detail::tick_label(t.values[3], t) == "0.6");

  const auto u = io::detail::nice_ticks(0.03, 4.2, 6);
  CHECK(u.step == Approx(0.5));
  CHECK(u.values.front() == Approx(0.5));
  CHECK(u.values.back() == Approx(4.0));

  const auto negative = io::detail::nice_ticks(-0.37, 0.21, 6);
  CHECK(negative.step == Approx(0.1));
  CHECK(io::detail::tick_label(negative.values.front(), negative) == "-0.3");
  CHECK(io::detail::tick_label(0.0, negative) == "0.0");

  const auto iterations = io::detail::nice_ticks(0, 4, 10, /*integers=*/true);
  CHECK(iterations.step == 1.0);
  CHECK(io::detail::tick_label(iterations.values.back(), iterations) == "4");
  const auto many = io::detail::nice_ticks(0, 60000, 6, true);
  CHECK(many.step == 10000.0);
  CHECK(io::detail::tick_label(many.values.back(), many) == "60000");
}

TEST_CASE("moving_average: the mean of the last `window` finite values", "[plot]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto m = io::detail::moving_average({1, 2, 3, 4}, 2);
  CHECK(m == std::vector<double>{1, 1.5, 2.5, 3.5});
  const auto g = io::detail::moving_average({nan, 2, nan, 4, 6}, 2);
  CHECK(std::isnan(g[0]));
  CHECK(g[1] == 2);
  CHECK(g[2] == 2);
  CHECK(g[3] == 4);
  CHECK(g[4] == 5);
}

TEST_CASE("font: glyphs for printable ASCII, '?' for the rest", "[plot]") {
  const auto& a = io::detail::glyph('A');
  CHECK(a[0] == 0x0E);  // .###.
  CHECK(a[3] == 0x1F);  // #####
  CHECK(io::detail::glyph(' ') == std::array<std::uint8_t, 8>{});
  CHECK(io::detail::glyph('\x7f') == io::detail::glyph('?'));
  CHECK(io::detail::glyph('\n') == io::detail::glyph('?'));
  for (int c = 33; c < 127; ++c) {
    INFO("character " << char(c));
    const auto& rows = io::detail::glyph(char(c));
    int lit = 0;
    for (const auto r : rows) lit += r != 0;
    CHECK(lit > 0);  // every visible character draws something
  }
}
