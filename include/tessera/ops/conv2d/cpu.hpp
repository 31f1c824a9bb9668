// Convolutions on the CPU. Float goes through oneDNN where it is present (dnnl.hpp); double, and
// float without oneDNN, go through im2col/col2im around one GEMM for the whole batch (ops/gemm.hpp):
// the column matrix of the whole batch makes one large product instead of n small ones.
// Backward reuses the forward pieces: a convolution's data gradient is the transposed convolution
// of the swapped geometry and vice versa; the weight gradient is one more GEMM over the batch.
#pragma once

#include <algorithm>
#include <cstring>
#include <numeric>
#include <type_traits>

#ifdef TESSERA_HAVE_DNNL
#include "tessera/ops/conv2d/dnnl.hpp"
#endif

#include "tessera/core/device.hpp"
#include "tessera/core/parallel.hpp"
#include "tessera/ops/window.hpp"
#include "tessera/ops/gemm.hpp"

namespace tessera::ops {

namespace cpu {

// Scratch elements per sample for the convolution: the column matrix and the GEMM's output.
constexpr std::size_t conv2d_scratch(const WindowGeometry& g) {
  const std::size_t pixels = std::size_t(g.out_h) * std::size_t(g.out_w);
  return std::size_t(g.in_channels) * std::size_t(g.kernel * g.kernel) * pixels +
         std::size_t(g.out_channels) * pixels;
}
// Scratch elements per sample for the transposed convolution: the input as channels x pixels and
// the column matrix.
constexpr std::size_t conv_transpose2d_scratch(const WindowGeometry& g) {
  const std::size_t pixels = std::size_t(g.in_h) * std::size_t(g.in_w);
  return std::size_t(g.in_channels) * pixels +
         std::size_t(g.out_channels) * std::size_t(g.kernel * g.kernel) * pixels;
}
// Backward needs no more: it is made of the same GEMMs on the swapped geometry.
constexpr std::size_t gemm_scratch(const WindowGeometry& g, bool transposed) {
  return transposed ? conv_transpose2d_scratch(g) : conv2d_scratch(g);
}

// Column matrix of one sample: row (c, ky, kx), column p within the sample's block of `ld`
// columns. Rows for taps that fall into the padding are zero.
template <class T>
void im2col(const WindowGeometry& g, const T* x, T* col, std::size_t ld, std::size_t column0) {
  const int k = g.kernel;
  for (int c = 0; c < g.in_channels; ++c)
    for (int ky = 0; ky < k; ++ky)
      for (int kx = 0; kx < k; ++kx) {
        T* row = col + (std::size_t((c * k + ky) * k + kx)) * ld + column0;
        for (int oy = 0; oy < g.out_h; ++oy) {
          const int iy = oy * g.stride - g.padding + ky * g.dilation;
          T* dst = row + std::size_t(oy) * std::size_t(g.out_w);
          if (iy < 0 || iy >= g.in_h) {
            std::fill(dst, dst + g.out_w, T(0));
            continue;
          }
          const T* src =
              x + (std::size_t(c) * std::size_t(g.in_h) + std::size_t(iy)) * std::size_t(g.in_w);
          for (int ox = 0; ox < g.out_w; ++ox) {
            const int ix = ox * g.stride - g.padding + kx * g.dilation;
            dst[ox] = (ix >= 0 && ix < g.in_w) ? src[ix] : T(0);
          }
        }
      }
}

// The adjoint of im2col for one sample: adds each column entry back onto the image (y must be
// zeroed or hold what to add to). Here the "image" is the transposed convolution's output, so the
// roles of in and out in the geometry are swapped by the caller.
template <class T>
void col2im(const WindowGeometry& g, const T* col, std::size_t ld, std::size_t column0, T* y) {
  const int k = g.kernel;
  for (int c = 0; c < g.in_channels; ++c)
    for (int ky = 0; ky < k; ++ky)
      for (int kx = 0; kx < k; ++kx) {
        const T* row = col + (std::size_t((c * k + ky) * k + kx)) * ld + column0;
        for (int oy = 0; oy < g.out_h; ++oy) {
          const int iy = oy * g.stride - g.padding + ky * g.dilation;
          if (iy < 0 || iy >= g.in_h) continue;
          const T* src = row + std::size_t(oy) * std::size_t(g.out_w);
          T* dst =
              y + (std::size_t(c) * std::size_t(g.in_h) + std::size_t(iy)) * std::size_t(g.in_w);
          for (int ox = 0; ox < g.out_w; ++ox) {
            const int ix = ox * g.stride - g.padding + kx * g.dilation;
            if (ix >= 0 && ix < g.in_w) dst[ix] += src[ox];
          }
        }
      }
}

// n samples of `channels` x `pixels` as one channels x (n pixels) matrix: a channel's pixels of the
// whole batch in one row, so that one GEMM serves the batch.
template <class T>
void channel_rows(const T* x, int channels, std::size_t pixels, index n, T* rows) {
  const std::size_t columns = std::size_t(n) * pixels;
TESSERA_OMP(parallel for collapse(2) schedule(static))
  for (index s = 0; s < n; ++s)
    for (int c = 0; c < channels; ++c)
      std::memcpy(rows + std::size_t(c) * columns + std::size_t(s) * pixels,
                  x + (std::size_t(s) * std::size_t(channels) + std::size_t(c)) * pixels,
                  pixels * sizeof(T));
}

// y = conv(x, weight) + bias: im2col of the batch, one GEMM, then back to NCHW with the bias.
template <class T>
void gemm_conv2d(const WindowGeometry& g, const T* x, const T* weight, const T* bias, T* y, index n,
                 T* scratch) {
  const std::size_t pixels = std::size_t(g.out_h) * std::size_t(g.out_w);
  const std::size_t columns = std::size_t(n) * pixels;
  const std::size_t rows = std::size_t(g.in_channels) * std::size_t(g.kernel * g.kernel);
  const std::size_t in_size =
      std::size_t(g.in_channels) * std::size_t(g.in_h) * std::size_t(g.in_w);
  const std::size_t out_size = std::size_t(g.out_channels) * pixels;
  T* col = scratch;
  T* product = scratch + rows * columns;

TESSERA_OMP(parallel for schedule(static))
  for (index s = 0; s < n; ++s)
    im2col(g, x + std::size_t(s) * in_size, col, columns, std::size_t(s) * pixels);

  gemm(Op::none, Op::none, g.out_channels, index(columns), index(rows), weight, col, T(0), product);

TESSERA_OMP(parallel for collapse(2) schedule(static))
  for (index s = 0; s < n; ++s)
    for (int o = 0; o < g.out_channels; ++o) {
      const T* src = product + std::size_t(o) * columns + std::size_t(s) * pixels;
      T* dst = y + std::size_t(s) * out_size + std::size_t(o) * pixels;
      const T b = bias ? bias[o] : T(0);
      for (std::size_t p = 0; p < pixels; ++p) dst[p] = src[p] + b;
    }
}

// y = conv_transpose(x, weight) + bias: one GEMM into a column matrix, then col2im of each sample.
template <class T>
void gemm_conv_transpose2d(const WindowGeometry& g, const T* x, const T* weight, const T* bias, T* y,
                           index n, T* scratch) {
  const std::size_t pixels = std::size_t(g.in_h) * std::size_t(g.in_w);
  const std::size_t columns = std::size_t(n) * pixels;
  const std::size_t rows = std::size_t(g.out_channels) * std::size_t(g.kernel * g.kernel);
  const std::size_t out_pixels = std::size_t(g.out_h) * std::size_t(g.out_w);
  T* xt = scratch;  // in_channels x (n * pixels)
  T* col = scratch + std::size_t(g.in_channels) * columns;

  channel_rows(x, g.in_channels, pixels, n, xt);
  gemm(Op::transpose, Op::none, index(rows), index(columns), g.in_channels, weight, xt, T(0), col);

  // The output is the image of col2im: as a convolution geometry, its "input" is our output.
  const WindowGeometry image = g.swapped();
TESSERA_OMP(parallel for schedule(static))
  for (index s = 0; s < n; ++s) {
    T* ys = y + std::size_t(s) * std::size_t(g.out_channels) * out_pixels;
    for (int o = 0; o < g.out_channels; ++o)
      std::fill(ys + std::size_t(o) * out_pixels, ys + std::size_t(o + 1) * out_pixels,
                bias ? bias[o] : T(0));
    col2im(image, col, columns, std::size_t(s) * pixels, ys);
  }
}

// weight_grad += dy x_col^T, the convolution's weight gradient as one GEMM over the batch: dy as
// out_channels x (n pixels) rows, x as its column matrix. Uses as much scratch as gemm_conv2d.
template <class T>
void accumulate_weight_grad(const WindowGeometry& g, const T* x, const T* dy, T* weight_grad, index n,
                            T* scratch) {
  const std::size_t pixels = std::size_t(g.out_h) * std::size_t(g.out_w);
  const std::size_t columns = std::size_t(n) * pixels;
  const std::size_t rows = std::size_t(g.in_channels) * std::size_t(g.kernel * g.kernel);
  const std::size_t in_size =
      std::size_t(g.in_channels) * std::size_t(g.in_h) * std::size_t(g.in_w);
  T* col = scratch;
  T* dy_rows = scratch + rows * columns;

TESSERA_OMP(parallel for schedule(static))
  for (index s = 0; s < n; ++s)
    im2col(g, x + std::size_t(s) * in_size, col, columns, std::size_t(s) * pixels);
  channel_rows(dy, g.out_channels, pixels, n, dy_rows);

  gemm(Op::none, Op::transpose, g.out_channels, index(rows), index(columns), dy_rows, col, T(1), weight_grad);
}

// bias_grad[c] += the sum of dy over the batch and the pixels of channel c.
template <class T>
void accumulate_bias_grad(const T* dy, int channels, std::size_t pixels, index n, T* bias_grad) {
TESSERA_OMP(parallel for schedule(static))
  for (int c = 0; c < channels; ++c) {
    T sum = 0;
    for (index s = 0; s < n; ++s) {
      const T* p = dy + (std::size_t(s) * std::size_t(channels) + std::size_t(c)) * pixels;
      sum += std::accumulate(p, p + pixels, T(0));
    }
    bias_grad[c] += sum;
  }
}
}  // namespace cpu

// im2col + GEMM takes its buffers from the scratch; oneDNN keeps its own in the plan, except for
// the few transposed convolutions it cannot express, which fall back to im2col.
template <class T>
struct ConvPlan<Cpu, T> {
  static constexpr std::size_t scratch(const WindowGeometry& g, bool transposed) {
    return cpu::gemm_scratch(g, transposed);
  }
};
#ifdef TESSERA_HAVE_DNNL
template <>
struct ConvPlan<Cpu, float> : cpu::DnnlConvPlan {
  static constexpr std::size_t scratch(const WindowGeometry& g, bool transposed) {
    return supports(g, transposed) ? 0 : cpu::gemm_scratch(g, transposed);
  }
};
// Whether T's convolutions go to oneDNN (those that it supports).
template <class T>
inline constexpr bool dnnl_plan = std::is_same_v<T, float>;
#else
template <class T>
inline constexpr bool dnnl_plan = false;
#endif

template <class T>
void conv2d_forward(Cpu, ConvPlan<Cpu, T>& plan, const WindowGeometry& g, const T* x, const T* weight,
                    const T* bias, T* y, index n, T* scratch) {
  if constexpr (dnnl_plan<T>) {
    if (plan.supports(g, false)) {
      plan.forward(g, false, x, weight, bias, y, n);
      return;
    }
  }
  cpu::gemm_conv2d(g, x, weight, bias, y, n, scratch);
}

template <class T>
void conv_transpose2d_forward(Cpu, ConvPlan<Cpu, T>& plan, const WindowGeometry& g, const T* x,
                              const T* weight, const T* bias, T* y, index n, T* scratch) {
  if constexpr (dnnl_plan<T>) {
    if (plan.supports(g, true)) {
      plan.forward(g, true, x, weight, bias, y, n);
      return;
    }
  }
  cpu::gemm_conv_transpose2d(g, x, weight, bias, y, n, scratch);
}

template <class T>
void conv2d_backward(Cpu, ConvPlan<Cpu, T>& plan, const WindowGeometry& g, const T* x,
                     const T* weight, const T* dy, T* dx, T* weight_grad, T* bias_grad, index n,
                     T* scratch) {
  if constexpr (dnnl_plan<T>) {
    if (plan.supports(g, false)) {
      plan.backward(g, false, x, weight, dy, dx, weight_grad, bias_grad, n);
      return;
    }
  }
  if (dx) cpu::gemm_conv_transpose2d<T>(g.swapped(), dy, weight, nullptr, dx, n, scratch);
  if (weight_grad) cpu::accumulate_weight_grad(g, x, dy, weight_grad, n, scratch);
  if (bias_grad)
    cpu::accumulate_bias_grad(dy, g.out_channels, std::size_t(g.out_h) * std::size_t(g.out_w), n,
                              bias_grad);
}

// The transposed convolution's weight gradient is the convolution's of the swapped geometry, with
// the roles of x and dy exchanged: both are sums of x * dy over the same pairs of pixels.
template <class T>
void conv_transpose2d_backward(Cpu, ConvPlan<Cpu, T>& plan, const WindowGeometry& g, const T* x,
                               const T* weight, const T* dy, T* dx, T* weight_grad, T* bias_grad,
                               index n, T* scratch) {
  if constexpr (dnnl_plan<T>) {
    if (plan.supports(g, true)) {
      plan.backward(g, true, x, weight, dy, dx, weight_grad, bias_grad, n);
      return;
    }
  }
  if (dx) cpu::gemm_conv2d<T>(g.swapped(), dy, weight, nullptr, dx, n, scratch);
  if (weight_grad) cpu::accumulate_weight_grad(g.swapped(), dy, x, weight_grad, n, scratch);
  if (bias_grad)
    cpu::accumulate_bias_grad(dy, g.out_channels, std::size_t(g.out_h) * std::size_t(g.out_w), n,
                              bias_grad);
}

}  // namespace tessera::ops
