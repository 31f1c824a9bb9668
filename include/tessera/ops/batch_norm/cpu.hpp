// Batch normalisation on the CPU: the channels split over the cores. Statistics are summed in
// double, in two passes (mean, then squared deviations), so float batches of a million values per
// channel keep their variance.
#pragma once

#include <cmath>
#include <cstddef>

#include "tessera/core/parallel.hpp"
#include "tessera/core/device.hpp"
#include "tessera/core/shape.hpp"

namespace tessera::ops {

template <class T>
void batch_norm_forward(Cpu, const T* x, T* y, index n, int channels, std::size_t spatial,
                        const T* weight, const T* bias, T* running_mean, T* running_var, T* xhat,
                        T* mean, T* invstd, bool training, double eps, double momentum) {
  const std::size_t stride = std::size_t(channels) * spatial;  // one sample
  const double count = double(n) * double(spatial);
TESSERA_OMP(parallel for schedule(static) if (std::size_t(n) * stride > 32768))
  for (int c = 0; c < channels; ++c) {
    const std::size_t first = std::size_t(c) * spatial;
    double m, is;
    if (training) {
      double sum = 0;
      for (index s = 0; s < n; ++s) {
        const T* xc = x + std::size_t(s) * stride + first;
        for (std::size_t i = 0; i < spatial; ++i) sum += double(xc[i]);
      }
      m = sum / count;
      double squares = 0;
      for (index s = 0; s < n; ++s) {
        const T* xc = x + std::size_t(s) * stride + first;
        for (std::size_t i = 0; i < spatial; ++i) {
          const double d = double(xc[i]) - m;
          squares += d * d;
        }
      }
      is = 1 / std::sqrt(squares / count + eps);
      running_mean[c] = T((1 - momentum) * double(running_mean[c]) + momentum * m);
      running_var[c] = T((1 - momentum) * double(running_var[c]) + momentum * squares / (count - 1));
    } else {
      m = double(running_mean[c]);
      is = 1 / std::sqrt(double(running_var[c]) + eps);
    }
    mean[c] = T(m);
    invstd[c] = T(is);
    const double w = double(weight[c]), b = double(bias[c]);
    for (index s = 0; s < n; ++s) {
      const std::size_t at = std::size_t(s) * stride + first;
      for (std::size_t i = 0; i < spatial; ++i) {
        const double h = (double(x[at + i]) - m) * is;
        xhat[at + i] = T(h);
        y[at + i] = T(h * w + b);
      }
    }
  }
}

// Per channel, with g = dy: dbias += sum g, dweight += sum g xhat. With batch statistics the mean
// and variance depend on x, which gives PyTorch's
//   dx = weight invstd (g - mean(g) - xhat mean(g xhat));
// with running statistics they are constants and dx = weight invstd g.
template <class T>
void batch_norm_backward(Cpu, const T* dy, const T* xhat, T* dx, index n, int channels,
                         std::size_t spatial, const T* weight, const T* invstd, T* weight_grad,
                         T* bias_grad, bool batch_statistics) {
  const std::size_t stride = std::size_t(channels) * spatial;
  const double count = double(n) * double(spatial);
  const bool sums = batch_statistics || weight_grad || bias_grad;
TESSERA_OMP(parallel for schedule(static) if (std::size_t(n) * stride > 32768))
  for (int c = 0; c < channels; ++c) {
    const std::size_t first = std::size_t(c) * spatial;
    double sum_g = 0, sum_g_xhat = 0;
    if (sums)
      for (index s = 0; s < n; ++s) {
        const std::size_t at = std::size_t(s) * stride + first;
        for (std::size_t i = 0; i < spatial; ++i) {
          sum_g += double(dy[at + i]);
          sum_g_xhat += double(dy[at + i]) * double(xhat[at + i]);
        }
      }
    if (weight_grad) weight_grad[c] += T(sum_g_xhat);
    if (bias_grad) bias_grad[c] += T(sum_g);
    if (!dx) continue;
    const double k = double(weight[c]) * double(invstd[c]);
    const double mean_g = batch_statistics ? sum_g / count : 0;
    const double mean_g_xhat = batch_statistics ? sum_g_xhat / count : 0;
    for (index s = 0; s < n; ++s) {
      const std::size_t at = std::size_t(s) * stride + first;
      for (std::size_t i = 0; i < spatial; ++i)
        dx[at + i] = T(k * (double(dy[at + i]) - mean_g - double(xhat[at + i]) * mean_g_xhat));
    }
  }
}

}  // namespace tessera::ops
