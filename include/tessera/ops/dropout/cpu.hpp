// Dropout on the CPU. The draws are sequential so that a seed fixes the mask whatever the number
// of threads.
#pragma once

#include <algorithm>
#include <cstddef>

#include "tessera/core/parallel.hpp"
#include "tessera/core/device.hpp"
#include "tessera/core/random.hpp"

namespace tessera::ops {

template <class T>
void dropout_forward(Cpu, const T* x, T* y, T* mask, std::size_t count, std::size_t group, double p,
                     bool training, Generator* rng) {
  if (!training) {
    std::copy(x, x + count, y);
    std::fill(mask, mask + count, T(1));
    return;
  }
  // As PyTorch: the scale is computed in T; p = 1 drops everything.
  const T scale = p < 1 ? T(1) / T(1 - p) : T(0);
  for (std::size_t g = 0; g < count; g += group) {
    const T m = rng->bernoulli(p) ? T(0) : scale;
    std::fill(mask + g, mask + g + group, m);
  }
TESSERA_OMP(parallel for schedule(static) if (count > 32768))
  for (std::size_t i = 0; i < count; ++i) y[i] = x[i] * mask[i];
}

template <class T>
void dropout_backward(Cpu, const T* dy, const T* mask, T* dx, std::size_t count) {
TESSERA_OMP(parallel for schedule(static) if (count > 32768))
  for (std::size_t i = 0; i < count; ++i) dx[i] = dy[i] * mask[i];
}

}  // namespace tessera::ops
