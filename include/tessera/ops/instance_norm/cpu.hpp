// Instance normalisation on the CPU: the planes split over the cores; statistics summed in double,
// in two passes.
#pragma once

#include <cmath>
#include <cstddef>

#include "tessera/core/parallel.hpp"
#include "tessera/core/device.hpp"
#include "tessera/core/shape.hpp"

namespace tessera::ops {

template <class T>
void instance_norm_forward(Cpu, const T* x, T* y, T* xhat, T* invstd, index n, int channels,
                           std::size_t plane, const T* weight, const T* bias, double eps) {
  const index planes = n * channels;
TESSERA_OMP(parallel for schedule(static) if (std::size_t(planes) * plane > 32768))
  for (index p = 0; p < planes; ++p) {
    const std::size_t at = std::size_t(p) * plane;
    double sum = 0;
    for (std::size_t i = 0; i < plane; ++i) sum += double(x[at + i]);
    const double m = sum / double(plane);
    double squares = 0;
    for (std::size_t i = 0; i < plane; ++i) {
      const double d = double(x[at + i]) - m;
      squares += d * d;
    }
    const double is = 1 / std::sqrt(squares / double(plane) + eps);
    invstd[p] = T(is);
    const int c = int(p % channels);
    const double w = weight ? double(weight[c]) : 1, b = bias ? double(bias[c]) : 0;
    for (std::size_t i = 0; i < plane; ++i) {
      const double h = (double(x[at + i]) - m) * is;
      xhat[at + i] = T(h);
      y[at + i] = T(h * w + b);
    }
  }
}

// The batch-norm gradient of each plane on its own, with g = weight dy:
//   dx = invstd (g - mean(g) - xhat mean(g xhat)),
// and dweight, dbias summed over every plane of the channel. The channels split over the cores, so
// that each one's parameter gradients have a single writer.
template <class T>
void instance_norm_backward(Cpu, const T* dy, const T* xhat, const T* invstd, T* dx, index n,
                            int channels, std::size_t plane, const T* weight, T* weight_grad,
                            T* bias_grad) {
  const double count = double(plane);
  [[maybe_unused]] const std::size_t total = std::size_t(n) * std::size_t(channels) * plane;
TESSERA_OMP(parallel for schedule(static) if (total > 32768))
  for (int c = 0; c < channels; ++c) {
    const double w = weight ? double(weight[c]) : 1;
    double channel_dy = 0, channel_dy_xhat = 0;
    for (index s = 0; s < n; ++s) {
      const std::size_t p = std::size_t(s) * std::size_t(channels) + std::size_t(c);
      const std::size_t at = p * plane;
      double sum_dy = 0, sum_dy_xhat = 0;
      for (std::size_t i = 0; i < plane; ++i) {
        sum_dy += double(dy[at + i]);
        sum_dy_xhat += double(dy[at + i]) * double(xhat[at + i]);
      }
      channel_dy += sum_dy;
      channel_dy_xhat += sum_dy_xhat;
      if (!dx) continue;
      const double k = w * double(invstd[p]);
      const double mean_dy = sum_dy / count, mean_dy_xhat = sum_dy_xhat / count;
      for (std::size_t i = 0; i < plane; ++i)
        dx[at + i] = T(k * (double(dy[at + i]) - mean_dy - double(xhat[at + i]) * mean_dy_xhat));
    }
    if (weight_grad) weight_grad[c] += T(channel_dy_xhat);
    if (bias_grad) bias_grad[c] += T(channel_dy);
  }
}

// Second order, per plane of N elements with s = invstd, w the channel's weight:
//   xhat' = s (x' - mean(x') - xhat r),  r = mean(xhat x'),  y' = w xhat'.
template <class T>
void instance_norm_tangent(Cpu, const T* xt, const T* xhat, const T* invstd, T* xhat_t, T* yt,
                           index n, int channels, std::size_t plane, const T* weight) {
  const index planes = n * channels;
TESSERA_OMP(parallel for schedule(static) if (std::size_t(planes) * plane > 32768))
  for (index p = 0; p < planes; ++p) {
    const std::size_t at = std::size_t(p) * plane;
    double sum = 0, sum_xhat = 0;
    for (std::size_t i = 0; i < plane; ++i) {
      sum += double(xt[at + i]);
      sum_xhat += double(xhat[at + i]) * double(xt[at + i]);
    }
    const double m = sum / double(plane), r = sum_xhat / double(plane), s = double(invstd[p]);
    const double w = weight ? double(weight[p % channels]) : 1;
    for (std::size_t i = 0; i < plane; ++i) {
      const double h = s * (double(xt[at + i]) - m - double(xhat[at + i]) * r);
      xhat_t[at + i] = T(h);
      yt[at + i] = T(w * h);
    }
  }
}

// The backward of (y, y'). With a = w dy', x'c = x' - mean(x'), q = mean(a xhat) and r, s as above,
// the derivative of <dy', y'> in x is
//   s^2 ((3 q r - mean(a x'c)) xhat - r (a - mean(a)) - q x'c),
// which joins the first-order backward of dy; dx' is the first-order backward of dy'.
template <class T>
void instance_norm_tangent_backward(Cpu, const T* xt, const T* xhat, const T* invstd, const T* xhat_t,
                                    const T* dy, const T* dyt, T* dx, T* dxt, index n, int channels,
                                    std::size_t plane, const T* weight, T* weight_grad, T* bias_grad) {
  const double count = double(plane);
  [[maybe_unused]] const std::size_t total = std::size_t(n) * std::size_t(channels) * plane;
TESSERA_OMP(parallel for schedule(static) if (total > 32768))
  for (int c = 0; c < channels; ++c) {
    const double w = weight ? double(weight[c]) : 1;
    double channel_w = 0, channel_b = 0;
    for (index smp = 0; smp < n; ++smp) {
      const std::size_t p = std::size_t(smp) * std::size_t(channels) + std::size_t(c);
      const std::size_t at = p * plane;
      double sum_xt = 0, sum_xhat_xt = 0, sum_dyt = 0, sum_dyt_xhat = 0, sum_dyt_xt = 0;
      double sum_dy = 0, sum_dy_xhat = 0, sum_dyt_xhat_t = 0;
      for (std::size_t i = 0; i < plane; ++i) {
        const double h = double(xhat[at + i]), v = double(xt[at + i]), g = double(dyt[at + i]);
        sum_xt += v;
        sum_xhat_xt += h * v;
        sum_dyt += g;
        sum_dyt_xhat += g * h;
        sum_dyt_xt += g * v;
        sum_dyt_xhat_t += g * double(xhat_t[at + i]);
        if (dy) {
          sum_dy += double(dy[at + i]);
          sum_dy_xhat += double(dy[at + i]) * h;
        }
      }
      channel_w += sum_dy_xhat + sum_dyt_xhat_t;
      channel_b += sum_dy;
      const double s = double(invstd[p]), k = w * s;
      const double mean_dyt = sum_dyt / count, mean_dyt_xhat = sum_dyt_xhat / count;
      if (dxt)
        for (std::size_t i = 0; i < plane; ++i)
          dxt[at + i] = T(k * (double(dyt[at + i]) - mean_dyt - double(xhat[at + i]) * mean_dyt_xhat));
      if (!dx) continue;
      const double m = sum_xt / count, r = sum_xhat_xt / count;
      const double mean_a = w * mean_dyt, q = w * mean_dyt_xhat;
      const double mean_a_xtc = w * sum_dyt_xt / count - mean_a * m;
      const double mean_dy = sum_dy / count, mean_dy_xhat = sum_dy_xhat / count;
      for (std::size_t i = 0; i < plane; ++i) {
        const double h = double(xhat[at + i]);
        const double a = w * double(dyt[at + i]), xtc = double(xt[at + i]) - m;
        double v = s * s * ((3 * q * r - mean_a_xtc) * h - r * (a - mean_a) - q * xtc);
        if (dy) v += k * (double(dy[at + i]) - mean_dy - h * mean_dy_xhat);
        dx[at + i] = T(v);
      }
    }
    if (weight_grad) weight_grad[c] += T(channel_w);
    if (bias_grad) bias_grad[c] += T(channel_b);
  }
}

}  // namespace tessera::ops
