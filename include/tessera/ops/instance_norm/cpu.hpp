// Instance normalisation on the CPU: the planes split over the cores; statistics summed in double,
// in two passes.
#pragma once

#include <cmath>
#include <cstddef>

#include "tessera/core/device.hpp"
#include "tessera/core/shape.hpp"

namespace tessera::ops {

template <class T>
void instance_norm_forward(Cpu, const T* x, T* y, T* xhat, T* invstd, index n, int channels,
                           std::size_t plane, const T* weight, const T* bias, double eps) {
  const index planes = n * channels;
#pragma omp parallel for schedule(static) if (std::size_t(planes) * plane > 32768)
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

}  // namespace tessera::ops
