// Synthetic "cells" for segmentation examples: a few blobs with smooth irregular borders, inner
// texture (and sometimes a darker nucleus), each at its own brightness over a textured background
// of random level, under uneven illumination, a light blur and Gaussian pixel noise. The mask is
// the blobs' pixels. Everything is drawn from the Generator passed in, so a seed gives the same
// images on every run.
//   examples::BlobOptions options;                 // counts, radii, contrast, noise
//   std::vector<float> image(h * w);
//   std::vector<std::int64_t> mask(h * w);         // 1: inside a blob
//   examples::draw_blobs(h, w, image.data(), mask.data(), rng, options);
//   examples::centre_crop(mask.data(), h, w, crop.data(), ch, cw);  // what valid convs label
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <tessera/core/random.hpp>
#include <vector>

namespace examples {

struct BlobOptions {
  int min_blobs = 12, max_blobs = 22;               // blobs per image, uniform in [min, max]
  double min_radius = 6, max_radius = 13;           // mean radius in pixels
  double min_contrast = 0.12, max_contrast = 0.55;  // blob brightness above the background
  double max_background = 0.35;                     // background level, uniform in [0.05, max]
  double noise = 0.1;                               // standard deviation of the pixel noise
};

namespace detail {

// Smooth noise in [0, 1]: random values on a grid of `cell` pixels, bilinearly interpolated.
inline std::vector<float> value_noise(int h, int w, double cell, tessera::Generator& rng) {
  const int gh = int(h / cell) + 2, gw = int(w / cell) + 2;
  std::vector<float> grid(std::size_t(gh) * std::size_t(gw));
  for (float& v : grid) v = float(rng.uniform());
  std::vector<float> out(std::size_t(h) * std::size_t(w));
  for (int y = 0; y < h; ++y) {
    const double fy = y / cell;
    const int y0 = int(fy);
    const float ty = float(fy - y0);
    for (int x = 0; x < w; ++x) {
      const double fx = x / cell;
      const int x0 = int(fx);
      const float tx = float(fx - x0);
      auto g = [&](int yy, int xx) {
        return grid[std::size_t(yy) * std::size_t(gw) + std::size_t(xx)];
      };
      const float top = g(y0, x0) + tx * (g(y0, x0 + 1) - g(y0, x0));
      const float bottom = g(y0 + 1, x0) + tx * (g(y0 + 1, x0 + 1) - g(y0 + 1, x0));
      out[std::size_t(y) * std::size_t(w) + std::size_t(x)] = top + ty * (bottom - top);
    }
  }
  return out;
}

// One pass of the separable [1 2 1] / 4 filter, edges clamped.
inline void blur121(std::vector<float>& image, int h, int w) {
  std::vector<float> tmp(image.size());
  auto at = [&](const std::vector<float>& v, int y, int x) {
    return v[std::size_t(std::clamp(y, 0, h - 1)) * std::size_t(w) +
             std::size_t(std::clamp(x, 0, w - 1))];
  };
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      tmp[std::size_t(y) * std::size_t(w) + std::size_t(x)] =
          0.25f * at(image, y, x - 1) + 0.5f * at(image, y, x) + 0.25f * at(image, y, x + 1);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      image[std::size_t(y) * std::size_t(w) + std::size_t(x)] =
          0.25f * at(tmp, y - 1, x) + 0.5f * at(tmp, y, x) + 0.25f * at(tmp, y + 1, x);
}

}  // namespace detail

// Draws one h x w image (values roughly in [0, 1], noise aside) into `image` and its mask (1 inside
// a blob, 0 outside) into `mask`. Blob centres fall anywhere in the image, so blobs may be cut by
// its border; later blobs are drawn over earlier ones.
inline void draw_blobs(int h, int w, float* image, std::int64_t* mask, tessera::Generator& rng,
                       const BlobOptions& options = {}) {
  const std::size_t pixels = std::size_t(h) * std::size_t(w);
  const float background = float(rng.uniform(0.05, options.max_background));
  // Background: its level, a faint coarse texture.
  const auto bg_texture = detail::value_noise(h, w, 10, rng);
  std::vector<float> value(pixels);
  for (std::size_t i = 0; i < pixels; ++i) value[i] = background + 0.12f * (bg_texture[i] - 0.5f);
  std::fill(mask, mask + pixels, 0);

  const auto fine = detail::value_noise(h, w, 3, rng);  // texture inside the blobs
  const auto coarse = detail::value_noise(h, w, 7, rng);
  const int blobs =
      options.min_blobs + int(rng.uniform() * double(options.max_blobs - options.min_blobs + 1));
  for (int b = 0; b < blobs; ++b) {
    const double cy = rng.uniform(0, h), cx = rng.uniform(0, w);
    const double radius = rng.uniform(options.min_radius, options.max_radius);
    const double aspect = rng.uniform(0.6, 1.0);  // minor / major axis
    const double angle = rng.uniform(0, std::numbers::pi);
    const double ca = std::cos(angle), sa = std::sin(angle);
    // The border: radius * (1 + sum_k a_k cos(k phi + p_k)), k = 2, 3, 4, 5.
    double amp[4], phase[4];
    for (int k = 0; k < 4; ++k) {
      amp[k] = rng.uniform(0, 0.12 / (1 + 0.5 * k));
      phase[k] = rng.uniform(0, 2 * std::numbers::pi);
    }
    const float level = background + float(rng.uniform(options.min_contrast, options.max_contrast));
    const bool nucleus = rng.bernoulli(0.5);
    const double nucleus_size = rng.uniform(0.3, 0.5);
    const double reach = radius * 1.6 + 2;
    const int y0 = std::max(0, int(cy - reach)), y1 = std::min(h - 1, int(cy + reach));
    const int x0 = std::max(0, int(cx - reach)), x1 = std::min(w - 1, int(cx + reach));
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) {
        const double dy = y + 0.5 - cy, dx = x + 0.5 - cx;
        const double u = ca * dx + sa * dy, v = (-sa * dx + ca * dy) / aspect;  // ellipse frame
        const double r = std::hypot(u, v);
        const double phi = std::atan2(v, u);
        double border = 1;
        for (int k = 0; k < 4; ++k) border += amp[k] * std::cos((k + 2) * phi + phase[k]);
        const double d = r / (radius * border);  // < 1 inside
        // Half a pixel either side of the border is blended, in pixels of the major axis.
        const float alpha = float(std::clamp((1 - d) * radius * border / 1.5 + 0.5, 0.0, 1.0));
        if (alpha <= 0) continue;
        const std::size_t at = std::size_t(y) * std::size_t(w) + std::size_t(x);
        float inside = level * (0.8f + 0.3f * (fine[at] - 0.5f) + 0.3f * (coarse[at] - 0.5f));
        if (nucleus && d < nucleus_size) inside *= 0.8f;
        value[at] = (1 - alpha) * value[at] + alpha * inside;
        if (d <= 1) mask[at] = 1;
      }
  }
  detail::blur121(value, h, w);
  const auto light = detail::value_noise(h, w, 48, rng);  // uneven illumination, +-20%
  for (std::size_t i = 0; i < pixels; ++i)
    image[i] = value[i] * (0.8f + 0.4f * light[i]) + float(options.noise * rng.normal());
}

// The centre ch x cw part of an h x w map (offsets rounded down, as a valid-convolution U-Net's
// output sits in its input when the margins are even).
template <class T>
void centre_crop(const T* source, int h, int w, T* target, int ch, int cw) {
  const int top = (h - ch) / 2, left = (w - cw) / 2;
  for (int y = 0; y < ch; ++y)
    std::copy(source + std::size_t(top + y) * std::size_t(w) + std::size_t(left),
              source + std::size_t(top + y) * std::size_t(w) + std::size_t(left + cw),
              target + std::size_t(y) * std::size_t(cw));
}

}  // namespace examples
