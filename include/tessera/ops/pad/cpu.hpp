// Padding on the CPU: one (sample, channel) plane per task, the planes split over the cores; each
// output row is a fill, a copy of the part of the input row that shows, and a fill.
#pragma once

#include <algorithm>
#include <cstddef>

#include "tessera/core/parallel.hpp"
#include "tessera/core/device.hpp"
#include "tessera/core/shape.hpp"
#include "tessera/ops/pad/geometry.hpp"

namespace tessera::ops {

template <class T>
void constant_pad2d_forward(Cpu, const PadGeometry& g, const T* x, T* y, index n, T value) {
  const index planes = n * g.channels;
  const std::size_t in_plane = std::size_t(g.in_h) * std::size_t(g.in_w);
  const std::size_t out_plane = std::size_t(g.out_h) * std::size_t(g.out_w);
  // The output columns that show input columns, [begin, end); empty when the pad crops past them.
  const int begin = std::clamp(g.left, 0, g.out_w);
  const int end = std::max(begin, std::min(g.out_w, g.in_w + g.left));
TESSERA_OMP(parallel for schedule(static) if (std::size_t(planes) * out_plane > 32768))
  for (index p = 0; p < planes; ++p) {
    const T* xp = x + std::size_t(p) * in_plane;
    T* yp = y + std::size_t(p) * out_plane;
    for (int oy = 0; oy < g.out_h; ++oy) {
      T* dst = yp + std::size_t(oy) * std::size_t(g.out_w);
      const int iy = oy - g.top;
      if (iy < 0 || iy >= g.in_h) {
        std::fill(dst, dst + g.out_w, value);
        continue;
      }
      const T* src = xp + std::size_t(iy) * std::size_t(g.in_w) + std::ptrdiff_t(begin - g.left);
      std::fill(dst, dst + begin, value);
      std::copy(src, src + (end - begin), dst + begin);
      std::fill(dst + end, dst + g.out_w, value);
    }
  }
}

namespace cpu {
// Index i reflected into [0, extent) about the edge pixels (which are not repeated), once: the
// caller guarantees -extent < i < 2 extent - 1.
inline int reflect(int i, int extent) {
  if (i < 0) return -i;
  if (i >= extent) return 2 * (extent - 1) - i;
  return i;
}
}  // namespace cpu

template <class T>
void reflection_pad2d_forward(Cpu, const PadGeometry& g, const T* x, T* y, index n) {
  const index planes = n * g.channels;
  const std::size_t in_plane = std::size_t(g.in_h) * std::size_t(g.in_w);
  const std::size_t out_plane = std::size_t(g.out_h) * std::size_t(g.out_w);
  const int right = g.out_w - g.in_w - g.left;
TESSERA_OMP(parallel for schedule(static) if (std::size_t(planes) * out_plane > 32768))
  for (index p = 0; p < planes; ++p) {
    const T* xp = x + std::size_t(p) * in_plane;
    T* yp = y + std::size_t(p) * out_plane;
    for (int oy = 0; oy < g.out_h; ++oy) {
      const T* src = xp + std::size_t(cpu::reflect(oy - g.top, g.in_h)) * std::size_t(g.in_w);
      T* dst = yp + std::size_t(oy) * std::size_t(g.out_w);
      for (int ox = 0; ox < g.left; ++ox) dst[ox] = src[g.left - ox];
      std::copy(src, src + g.in_w, dst + g.left);
      for (int j = 0; j < right; ++j) dst[g.left + g.in_w + j] = src[g.in_w - 2 - j];
    }
  }
}

// The gradient of a constant pad is its output gradient cut back to the input's window (the
// padding is constant), and that of a crop is it padded back with zeros: both a constant pad.
template <class T>
void constant_pad2d_backward(Cpu, const PadGeometry& g, const T* dy, T* dx, index n) {
  constant_pad2d_forward(Cpu{}, reversed(g), dy, dx, n, T(0));
}

// Every output pixel's gradient goes back to the input pixel it showed; the mirrored borders show
// some input pixels more than once, and their gradients add up.
template <class T>
void reflection_pad2d_backward(Cpu, const PadGeometry& g, const T* dy, T* dx, index n) {
  const index planes = n * g.channels;
  const std::size_t in_plane = std::size_t(g.in_h) * std::size_t(g.in_w);
  const std::size_t out_plane = std::size_t(g.out_h) * std::size_t(g.out_w);
  const int right = g.out_w - g.in_w - g.left;
TESSERA_OMP(parallel for schedule(static) if (std::size_t(planes) * out_plane > 32768))
  for (index p = 0; p < planes; ++p) {
    T* dxp = dx + std::size_t(p) * in_plane;
    const T* dyp = dy + std::size_t(p) * out_plane;
    std::fill(dxp, dxp + in_plane, T(0));
    for (int oy = 0; oy < g.out_h; ++oy) {
      T* dst = dxp + std::size_t(cpu::reflect(oy - g.top, g.in_h)) * std::size_t(g.in_w);
      const T* grad = dyp + std::size_t(oy) * std::size_t(g.out_w);
      for (int ox = 0; ox < g.left; ++ox) dst[g.left - ox] += grad[ox];
      for (int ix = 0; ix < g.in_w; ++ix) dst[ix] += grad[g.left + ix];
      for (int j = 0; j < right; ++j) dst[g.in_w - 2 - j] += grad[g.left + g.in_w + j];
    }
  }
}

}  // namespace tessera::ops
