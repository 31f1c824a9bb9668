// Resampling on the CPU: one (sample, channel) plane per task, the planes split over the cores.
// Output columns go in blocks whose source indices and weights are worked out once per plane
// into a table on the stack, not once per row, and nothing is allocated.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "tessera/core/parallel.hpp"
#include "tessera/core/device.hpp"
#include "tessera/core/shape.hpp"
#include "tessera/ops/upsample/geometry.hpp"

namespace tessera::ops {

namespace cpu {
inline constexpr int resample_block = 256;

// a wa + b wb. PyTorch's x86 build contracts this to fma(a, wa, b wb); so does a build of ours
// with FMA enabled (-mfma, -march=native), and then bilinear results match torch 1.13's bit for
// bit in float and double. Without it they differ in the last bit.
template <class T>
inline T weighted_pair(T a, T wa, T b, T wb) {
#if defined(__FP_FAST_FMA) && defined(__FP_FAST_FMAF)
  return std::fma(a, wa, b * wb);
#else
  return a * wa + b * wb;
#endif
}
}  // namespace cpu

template <class T>
void upsample_nearest2d_forward(Cpu, const ResampleGeometry& g, const T* x, T* y, index n) {
  const index planes = n * g.channels;
  const std::size_t in_plane = std::size_t(g.in_h) * std::size_t(g.in_w);
  const std::size_t out_plane = std::size_t(g.out_h) * std::size_t(g.out_w);
TESSERA_OMP(parallel for schedule(static) if (std::size_t(planes) * out_plane > 32768))
  for (index p = 0; p < planes; ++p) {
    const T* xp = x + std::size_t(p) * in_plane;
    T* yp = y + std::size_t(p) * out_plane;
    int column[cpu::resample_block];
    for (int ox0 = 0; ox0 < g.out_w; ox0 += cpu::resample_block) {
      const int width = std::min(cpu::resample_block, g.out_w - ox0);
      for (int j = 0; j < width; ++j) column[j] = nearest_source(ox0 + j, g.in_w, g.out_w, g.scale_w);
      for (int oy = 0; oy < g.out_h; ++oy) {
        const T* src = xp + std::size_t(nearest_source(oy, g.in_h, g.out_h, g.scale_h)) * std::size_t(g.in_w);
        T* dst = yp + std::size_t(oy) * std::size_t(g.out_w) + std::size_t(ox0);
        for (int j = 0; j < width; ++j) dst[j] = src[column[j]];
      }
    }
  }
}

// Rows are interpolated from the two column-interpolated source rows: PyTorch's order of
// operations, so that rounding agrees with it too.
template <class T>
void upsample_bilinear2d_forward(Cpu, const ResampleGeometry& g, const T* x, T* y, index n) {
  const index planes = n * g.channels;
  const std::size_t in_plane = std::size_t(g.in_h) * std::size_t(g.in_w);
  const std::size_t out_plane = std::size_t(g.out_h) * std::size_t(g.out_w);
TESSERA_OMP(parallel for schedule(static) if (std::size_t(planes) * out_plane > 16384))
  for (index p = 0; p < planes; ++p) {
    const T* xp = x + std::size_t(p) * in_plane;
    T* yp = y + std::size_t(p) * out_plane;
    LinearSource<T> column[cpu::resample_block];
    for (int ox0 = 0; ox0 < g.out_w; ox0 += cpu::resample_block) {
      const int width = std::min(cpu::resample_block, g.out_w - ox0);
      for (int j = 0; j < width; ++j) column[j] = linear_source<T>(ox0 + j, g.in_w, g.out_w, g.scale_w);
      for (int oy = 0; oy < g.out_h; ++oy) {
        const LinearSource<T> row = linear_source<T>(oy, g.in_h, g.out_h, g.scale_h);
        const T* top = xp + std::size_t(row.i0) * std::size_t(g.in_w);
        const T* bottom = xp + std::size_t(row.i1) * std::size_t(g.in_w);
        T* dst = yp + std::size_t(oy) * std::size_t(g.out_w) + std::size_t(ox0);
        for (int j = 0; j < width; ++j) {
          const LinearSource<T>& c = column[j];
          const T upper = cpu::weighted_pair(top[c.i0], c.w0, top[c.i1], c.w1);
          const T lower = cpu::weighted_pair(bottom[c.i0], c.w0, bottom[c.i1], c.w1);
          dst[j] = cpu::weighted_pair(upper, row.w0, lower, row.w1);
        }
      }
    }
  }
}

// The backwards are the forwards transposed: each output gradient is added back to the sources
// it was read from, with the same indices and weights. A plane's sources lie in that plane, so the
// planes still split over the cores without two threads adding to one element.
template <class T>
void upsample_nearest2d_backward(Cpu, const ResampleGeometry& g, const T* dy, T* dx, index n) {
  const index planes = n * g.channels;
  const std::size_t in_plane = std::size_t(g.in_h) * std::size_t(g.in_w);
  const std::size_t out_plane = std::size_t(g.out_h) * std::size_t(g.out_w);
TESSERA_OMP(parallel for schedule(static) if (std::size_t(planes) * out_plane > 32768))
  for (index p = 0; p < planes; ++p) {
    T* dxp = dx + std::size_t(p) * in_plane;
    const T* dyp = dy + std::size_t(p) * out_plane;
    std::fill(dxp, dxp + in_plane, T(0));
    int column[cpu::resample_block];
    for (int ox0 = 0; ox0 < g.out_w; ox0 += cpu::resample_block) {
      const int width = std::min(cpu::resample_block, g.out_w - ox0);
      for (int j = 0; j < width; ++j)
        column[j] = nearest_source(ox0 + j, g.in_w, g.out_w, g.scale_w);
      for (int oy = 0; oy < g.out_h; ++oy) {
        T* source =
            dxp + std::size_t(nearest_source(oy, g.in_h, g.out_h, g.scale_h)) * std::size_t(g.in_w);
        const T* grad = dyp + std::size_t(oy) * std::size_t(g.out_w) + std::size_t(ox0);
        for (int j = 0; j < width; ++j) source[column[j]] += grad[j];
      }
    }
  }
}

// Forward took upper and lower from the two source rows and mixed them with the row weights; the
// gradient goes back the same way: to upper and lower by the row weights, then to the columns.
template <class T>
void upsample_bilinear2d_backward(Cpu, const ResampleGeometry& g, const T* dy, T* dx, index n) {
  const index planes = n * g.channels;
  const std::size_t in_plane = std::size_t(g.in_h) * std::size_t(g.in_w);
  const std::size_t out_plane = std::size_t(g.out_h) * std::size_t(g.out_w);
TESSERA_OMP(parallel for schedule(static) if (std::size_t(planes) * out_plane > 16384))
  for (index p = 0; p < planes; ++p) {
    T* dxp = dx + std::size_t(p) * in_plane;
    const T* dyp = dy + std::size_t(p) * out_plane;
    std::fill(dxp, dxp + in_plane, T(0));
    LinearSource<T> column[cpu::resample_block];
    for (int ox0 = 0; ox0 < g.out_w; ox0 += cpu::resample_block) {
      const int width = std::min(cpu::resample_block, g.out_w - ox0);
      for (int j = 0; j < width; ++j)
        column[j] = linear_source<T>(ox0 + j, g.in_w, g.out_w, g.scale_w);
      for (int oy = 0; oy < g.out_h; ++oy) {
        const LinearSource<T> row = linear_source<T>(oy, g.in_h, g.out_h, g.scale_h);
        T* top = dxp + std::size_t(row.i0) * std::size_t(g.in_w);
        T* bottom = dxp + std::size_t(row.i1) * std::size_t(g.in_w);
        const T* grad = dyp + std::size_t(oy) * std::size_t(g.out_w) + std::size_t(ox0);
        for (int j = 0; j < width; ++j) {
          const LinearSource<T>& c = column[j];
          const T upper = row.w0 * grad[j], lower = row.w1 * grad[j];
          top[c.i0] += c.w0 * upper;
          top[c.i1] += c.w1 * upper;
          bottom[c.i0] += c.w0 * lower;
          bottom[c.i1] += c.w1 * lower;
        }
      }
    }
  }
}

}  // namespace tessera::ops
