// Convolutions on the CPU. Float goes through oneDNN where it is present (dnnl.hpp); double, and
// float without oneDNN, go through im2col/col2im around one GEMM for the whole batch (Eigen over
// OpenBLAS): the column matrix of the whole batch makes one large product instead of n small ones.
#pragma once

#include <algorithm>
#include <cstring>
#include <type_traits>

#ifdef TESSERA_HAVE_DNNL
#include "tessera/ops/conv2d/dnnl.hpp"
#endif

#include "tessera/core/device.hpp"
#include "tessera/ops/conv2d/geometry.hpp"
#include "tessera/ops/eigen.hpp"

namespace tessera::ops {

namespace cpu {

// Scratch elements per sample for the convolution: the column matrix and the GEMM's output.
constexpr std::size_t conv2d_scratch(const ConvGeometry& g) {
  const std::size_t pixels = std::size_t(g.out_h) * std::size_t(g.out_w);
  return std::size_t(g.in_channels) * std::size_t(g.kernel * g.kernel) * pixels +
         std::size_t(g.out_channels) * pixels;
}
// Scratch elements per sample for the transposed convolution: the input as channels x pixels and
// the column matrix.
constexpr std::size_t conv_transpose2d_scratch(const ConvGeometry& g) {
  const std::size_t pixels = std::size_t(g.in_h) * std::size_t(g.in_w);
  return std::size_t(g.in_channels) * pixels +
         std::size_t(g.out_channels) * std::size_t(g.kernel * g.kernel) * pixels;
}

// Column matrix of one sample: row (c, ky, kx), column p within the sample's block of `ld`
// columns. Rows for taps that fall into the padding are zero.
template <class T>
void im2col(const ConvGeometry& g, const T* x, T* col, std::size_t ld, std::size_t column0) {
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
          const T* src = x + (std::size_t(c) * std::size_t(g.in_h) + std::size_t(iy)) * std::size_t(g.in_w);
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
void col2im(const ConvGeometry& g, const T* col, std::size_t ld, std::size_t column0, T* y) {
  const int k = g.kernel;
  for (int c = 0; c < g.in_channels; ++c)
    for (int ky = 0; ky < k; ++ky)
      for (int kx = 0; kx < k; ++kx) {
        const T* row = col + (std::size_t((c * k + ky) * k + kx)) * ld + column0;
        for (int oy = 0; oy < g.out_h; ++oy) {
          const int iy = oy * g.stride - g.padding + ky * g.dilation;
          if (iy < 0 || iy >= g.in_h) continue;
          const T* src = row + std::size_t(oy) * std::size_t(g.out_w);
          T* dst = y + (std::size_t(c) * std::size_t(g.in_h) + std::size_t(iy)) * std::size_t(g.in_w);
          for (int ox = 0; ox < g.out_w; ++ox) {
            const int ix = ox * g.stride - g.padding + kx * g.dilation;
            if (ix >= 0 && ix < g.in_w) dst[ix] += src[ox];
          }
        }
      }
}
}  // namespace cpu

// im2col + GEMM needs its column matrix as scratch; oneDNN keeps its own buffers in the plan.
template <class T>
struct ConvPlan<Cpu, T> {
  static constexpr std::size_t scratch(const ConvGeometry& g, bool transposed) {
    return transposed ? cpu::conv_transpose2d_scratch(g) : cpu::conv2d_scratch(g);
  }
};
#ifdef TESSERA_HAVE_DNNL
template <>
struct ConvPlan<Cpu, float> : cpu::DnnlConvPlan {
  static constexpr std::size_t scratch(const ConvGeometry&, bool) { return 0; }
};
#endif

template <class T>
void conv2d_forward(Cpu, ConvPlan<Cpu, T>& plan, const ConvGeometry& g, const T* x, const T* weight,
                    const T* bias, T* y, index n, T* scratch) {
  if constexpr (requires { plan.forward(g, false, x, weight, bias, y, n); }) {  // oneDNN
    plan.forward(g, false, x, weight, bias, y, n);
    return;
  }
  const std::size_t pixels = std::size_t(g.out_h) * std::size_t(g.out_w);
  const std::size_t columns = std::size_t(n) * pixels;
  const std::size_t rows = std::size_t(g.in_channels) * std::size_t(g.kernel * g.kernel);
  const std::size_t in_size = std::size_t(g.in_channels) * std::size_t(g.in_h) * std::size_t(g.in_w);
  const std::size_t out_size = std::size_t(g.out_channels) * pixels;
  T* col = scratch;
  T* product = scratch + rows * columns;

#pragma omp parallel for schedule(static)
  for (index s = 0; s < n; ++s) cpu::im2col(g, x + std::size_t(s) * in_size, col, columns, std::size_t(s) * pixels);

  cpu::ConstMatrixMap<T> W(weight, g.out_channels, index(rows));
  cpu::ConstMatrixMap<T> C(col, index(rows), index(columns));
  cpu::MatrixMap<T> P(product, g.out_channels, index(columns));
  P.noalias() = W * C;

#pragma omp parallel for collapse(2) schedule(static)
  for (index s = 0; s < n; ++s)
    for (int o = 0; o < g.out_channels; ++o) {
      const T* src = product + std::size_t(o) * columns + std::size_t(s) * pixels;
      T* dst = y + std::size_t(s) * out_size + std::size_t(o) * pixels;
      const T b = bias ? bias[o] : T(0);
      for (std::size_t p = 0; p < pixels; ++p) dst[p] = src[p] + b;
    }
}

template <class T>
void conv_transpose2d_forward(Cpu, ConvPlan<Cpu, T>& plan, const ConvGeometry& g, const T* x,
                              const T* weight, const T* bias, T* y, index n, T* scratch) {
  if constexpr (requires { plan.forward(g, true, x, weight, bias, y, n); }) {  // oneDNN
    plan.forward(g, true, x, weight, bias, y, n);
    return;
  }
  const std::size_t pixels = std::size_t(g.in_h) * std::size_t(g.in_w);
  const std::size_t columns = std::size_t(n) * pixels;
  const std::size_t rows = std::size_t(g.out_channels) * std::size_t(g.kernel * g.kernel);
  const std::size_t out_pixels = std::size_t(g.out_h) * std::size_t(g.out_w);
  T* xt = scratch;  // in_channels x (n * pixels)
  T* col = scratch + std::size_t(g.in_channels) * columns;

#pragma omp parallel for collapse(2) schedule(static)
  for (index s = 0; s < n; ++s)
    for (int c = 0; c < g.in_channels; ++c)
      std::memcpy(xt + std::size_t(c) * columns + std::size_t(s) * pixels,
                  x + (std::size_t(s) * std::size_t(g.in_channels) + std::size_t(c)) * pixels,
                  pixels * sizeof(T));

  cpu::ConstMatrixMap<T> W(weight, g.in_channels, index(rows));
  cpu::ConstMatrixMap<T> X(xt, g.in_channels, index(columns));
  cpu::MatrixMap<T> C(col, index(rows), index(columns));
  C.noalias() = W.transpose() * X;

  // The output is the image of col2im: as a convolution geometry, its "input" is our output.
  const ConvGeometry image{g.out_channels, g.out_h, g.out_w, g.in_channels, g.in_h, g.in_w,
                           g.kernel,       g.stride, g.padding, g.dilation};
#pragma omp parallel for schedule(static)
  for (index s = 0; s < n; ++s) {
    T* ys = y + std::size_t(s) * std::size_t(g.out_channels) * out_pixels;
    for (int o = 0; o < g.out_channels; ++o)
      std::fill(ys + std::size_t(o) * out_pixels, ys + std::size_t(o + 1) * out_pixels, bias ? bias[o] : T(0));
    cpu::col2im(image, col, columns, std::size_t(s) * pixels, ys);
  }
}

}  // namespace tessera::ops
