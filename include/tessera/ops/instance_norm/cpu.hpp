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

}  // namespace tessera::ops
