// The pix2pix example's pairs (examples/pix2pix.cpp): a Fashion-MNIST garment padded to 32x32
// (image_data.hpp's pad_into) and its edge map, the "edges2shoes" task of the pix2pix paper on
// clothes. The edge map is the Sobel gradient magnitude of the garment, thresholded to a line
// drawing: white (+1) lines on black (-1).
#pragma once

#include <cmath>
#include <cstring>
#include <tessera/tools.hpp>

#include "image_data.hpp"

namespace examples {

namespace ts = tessera;

using Garment28 = ts::Shape<1, 28, 28>;
using Image32 = ts::Shape<1, 32, 32>;

// Sobel on the brightness b = (v + 1) / 2 in [0, 1] of each 32x32 image, the outside read as
// background (0): |G| = sqrt(Gx^2 + Gy^2), with Gx = [-1 0 1; -2 0 2; -1 0 1] and Gy its transpose.
// A step from 0 to 1 gives |G| = 4 beside it; a pixel is an edge (+1) where |G| > threshold,
// else -1. The frame of the padded image is background, so garments' outlines close.
inline void sobel_edges(ts::View<Image32, const float> images, ts::View<Image32> edges,
                        float threshold) {
  for (ts::index i = 0; i < images.batch(); ++i) {
    const float* in = images.data() + i * 1024;
    float* out = edges.data() + i * 1024;
    auto b = [&](int y, int x) {
      return y < 0 || y >= 32 || x < 0 || x >= 32 ? 0.0f : (in[y * 32 + x] + 1.0f) * 0.5f;
    };
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x) {
        const float gx = (b(y - 1, x + 1) + 2 * b(y, x + 1) + b(y + 1, x + 1)) -
                         (b(y - 1, x - 1) + 2 * b(y, x - 1) + b(y + 1, x - 1));
        const float gy = (b(y + 1, x - 1) + 2 * b(y + 1, x) + b(y + 1, x + 1)) -
                         (b(y - 1, x - 1) + 2 * b(y - 1, x) + b(y - 1, x + 1));
        out[y * 32 + x] = std::sqrt(gx * gx + gy * gy) > threshold ? 1.0f : -1.0f;
      }
  }
}

}  // namespace examples
