// Pooling on the CPU: one loop nest per (sample, channel) plane, the planes split over the cores.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include "tessera/core/parallel.hpp"
#include "tessera/core/device.hpp"
#include "tessera/core/shape.hpp"
#include "tessera/ops/window.hpp"

namespace tessera::ops {

// Padding counts as -inf, so it never wins. NaN wins over everything (the last NaN of a window,
// as in PyTorch's CPU kernel). The argmax
// is written as T: exact while a plane holds fewer than 2^24 elements in float.
template <class T>
void max_pool2d_forward(Cpu, const WindowGeometry& g, const T* x, T* y, T* argmax, index n) {
  const index planes = n * g.in_channels;
  const std::size_t in_plane = std::size_t(g.in_h) * std::size_t(g.in_w);
  const std::size_t out_plane = std::size_t(g.out_h) * std::size_t(g.out_w);
TESSERA_OMP(parallel for schedule(static) if (std::size_t(planes) * out_plane > 32768))
  for (index p = 0; p < planes; ++p) {
    const T* xp = x + std::size_t(p) * in_plane;
    T* yp = y + std::size_t(p) * out_plane;
    T* ap = argmax + std::size_t(p) * out_plane;
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int y0 = oy * g.stride - g.padding;
      const int y_begin = std::max(y0, 0), y_end = std::min(y0 + g.kernel, g.in_h);
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int x0 = ox * g.stride - g.padding;
        const int x_begin = std::max(x0, 0), x_end = std::min(x0 + g.kernel, g.in_w);
        T best = -std::numeric_limits<T>::infinity();
        std::size_t best_at = std::size_t(y_begin) * std::size_t(g.in_w) + std::size_t(x_begin);
        for (int iy = y_begin; iy < y_end; ++iy)
          for (int ix = x_begin; ix < x_end; ++ix) {
            const std::size_t at = std::size_t(iy) * std::size_t(g.in_w) + std::size_t(ix);
            const T v = xp[at];
            if (v > best || std::isnan(v)) {
              best = v;
              best_at = at;
            }
          }
        const std::size_t o = std::size_t(oy) * std::size_t(g.out_w) + std::size_t(ox);
        yp[o] = best;
        ap[o] = T(best_at);
      }
    }
  }
}

// Each output's gradient goes to the input its forward chose; overlapping windows that chose the
// same input add up.
template <class T>
void max_pool2d_backward(Cpu, const WindowGeometry& g, const T* dy, const T* argmax, T* dx, index n) {
  const index planes = n * g.in_channels;
  const std::size_t in_plane = std::size_t(g.in_h) * std::size_t(g.in_w);
  const std::size_t out_plane = std::size_t(g.out_h) * std::size_t(g.out_w);
TESSERA_OMP(parallel for schedule(static) if (std::size_t(planes) * in_plane > 32768))
  for (index p = 0; p < planes; ++p) {
    T* dxp = dx + std::size_t(p) * in_plane;
    const T* dyp = dy + std::size_t(p) * out_plane;
    const T* ap = argmax + std::size_t(p) * out_plane;
    std::fill(dxp, dxp + in_plane, T(0));
    for (std::size_t o = 0; o < out_plane; ++o) dxp[std::size_t(ap[o])] += dyp[o];
  }
}

// The divisor is the window clipped to the padded input, as PyTorch's count_include_pad=True; in
// floor mode that is always kernel * kernel.
template <class T>
void avg_pool2d_forward(Cpu, const WindowGeometry& g, const T* x, T* y, index n) {
  const index planes = n * g.in_channels;
  const std::size_t in_plane = std::size_t(g.in_h) * std::size_t(g.in_w);
  const std::size_t out_plane = std::size_t(g.out_h) * std::size_t(g.out_w);
TESSERA_OMP(parallel for schedule(static) if (std::size_t(planes) * out_plane > 32768))
  for (index p = 0; p < planes; ++p) {
    const T* xp = x + std::size_t(p) * in_plane;
    T* yp = y + std::size_t(p) * out_plane;
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int y0 = oy * g.stride - g.padding;
      const int y_begin = std::max(y0, 0), y_end = std::min(y0 + g.kernel, g.in_h);
      const int padded_h = std::min(y0 + g.kernel, g.in_h + g.padding) - y0;
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int x0 = ox * g.stride - g.padding;
        const int x_begin = std::max(x0, 0), x_end = std::min(x0 + g.kernel, g.in_w);
        const int padded_w = std::min(x0 + g.kernel, g.in_w + g.padding) - x0;
        T sum = T(0);
        for (int iy = y_begin; iy < y_end; ++iy)
          for (int ix = x_begin; ix < x_end; ++ix)
            sum += xp[std::size_t(iy) * std::size_t(g.in_w) + std::size_t(ix)];
        yp[std::size_t(oy) * std::size_t(g.out_w) + std::size_t(ox)] = sum / T(padded_h * padded_w);
      }
    }
  }
}

// Each output's gradient, divided by the forward's divisor, goes to every input of its window; the
// share of the padded positions goes nowhere.
template <class T>
void avg_pool2d_backward(Cpu, const WindowGeometry& g, const T* dy, T* dx, index n) {
  const index planes = n * g.in_channels;
  const std::size_t in_plane = std::size_t(g.in_h) * std::size_t(g.in_w);
  const std::size_t out_plane = std::size_t(g.out_h) * std::size_t(g.out_w);
TESSERA_OMP(parallel for schedule(static) if (std::size_t(planes) * in_plane > 32768))
  for (index p = 0; p < planes; ++p) {
    T* dxp = dx + std::size_t(p) * in_plane;
    const T* dyp = dy + std::size_t(p) * out_plane;
    std::fill(dxp, dxp + in_plane, T(0));
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int y0 = oy * g.stride - g.padding;
      const int y_begin = std::max(y0, 0), y_end = std::min(y0 + g.kernel, g.in_h);
      const int padded_h = std::min(y0 + g.kernel, g.in_h + g.padding) - y0;
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int x0 = ox * g.stride - g.padding;
        const int x_begin = std::max(x0, 0), x_end = std::min(x0 + g.kernel, g.in_w);
        const int padded_w = std::min(x0 + g.kernel, g.in_w + g.padding) - x0;
        const std::size_t o = std::size_t(oy) * std::size_t(g.out_w) + std::size_t(ox);
        const T share = dyp[o] / T(padded_h * padded_w);
        for (int iy = y_begin; iy < y_end; ++iy)
          for (int ix = x_begin; ix < x_end; ++ix)
            dxp[std::size_t(iy) * std::size_t(g.in_w) + std::size_t(ix)] += share;
      }
    }
  }
}

// Sums in double: a 64 x 64 plane in float would otherwise lose the low bits of its mean.
template <class T>
void global_avg_pool2d_forward(Cpu, const T* x, T* y, index planes, std::size_t plane_size) {
TESSERA_OMP(parallel for schedule(static) if (std::size_t(planes) * plane_size > 32768))
  for (index p = 0; p < planes; ++p) {
    const T* xp = x + std::size_t(p) * plane_size;
    double sum = 0;
    for (std::size_t i = 0; i < plane_size; ++i) sum += double(xp[i]);
    y[p] = T(sum / double(plane_size));
  }
}

template <class T>
void global_avg_pool2d_backward(Cpu, const T* dy, T* dx, index planes, std::size_t plane_size) {
TESSERA_OMP(parallel for schedule(static) if (std::size_t(planes) * plane_size > 32768))
  for (index p = 0; p < planes; ++p) {
    T* dxp = dx + std::size_t(p) * plane_size;
    std::fill(dxp, dxp + plane_size, T(double(dy[p]) / double(plane_size)));
  }
}

}  // namespace tessera::ops
