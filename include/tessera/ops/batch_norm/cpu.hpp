// Batch normalisation on the CPU: the channels split over the cores. Statistics are summed in
// double, in two passes (mean, then squared deviations), so float batches of a million values per
// channel keep their variance.
#pragma once

#include <cmath>
#include <cstddef>

#include "tessera/core/device.hpp"
#include "tessera/core/shape.hpp"

namespace tessera::ops {

template <class T>
void batch_norm_forward(Cpu, const T* x, T* y, index n, int channels, std::size_t spatial,
                        const T* weight, const T* bias, T* running_mean, T* running_var, T* xhat,
                        T* mean, T* invstd, bool training, double eps, double momentum) {
  const std::size_t stride = std::size_t(channels) * spatial;  // one sample
  const double count = double(n) * double(spatial);
#pragma omp parallel for schedule(static) if (std::size_t(n) * stride > 32768)
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

}  // namespace tessera::ops
