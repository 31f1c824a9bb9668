// Layer normalisation on the CPU: the groups split over the cores for the statistics and the input
// gradient, blocks of positions within a group for the parameter gradients; sums in double, the
// variance in a second pass over the group.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "tessera/core/device.hpp"
#include "tessera/core/parallel.hpp"
#include "tessera/core/shape.hpp"

namespace tessera::ops {

// x-hat is computed from the mean and invstd as stored (rounded to T), so that backward, which
// recomputes it from them, sees exactly the x-hat the forward used.
template <class T>
void layer_norm_forward(Cpu, const T* x, T* y, T* mean, T* invstd, index groups, std::size_t size,
                        const T* weight, const T* bias, double eps) {
TESSERA_OMP(parallel for schedule(static) if (std::size_t(groups) * size > 32768))
  for (index g = 0; g < groups; ++g) {
    const std::size_t at = std::size_t(g) * size;
    double sum = 0;
    for (std::size_t i = 0; i < size; ++i) sum += double(x[at + i]);
    const double m = sum / double(size);
    // Squared deviations from the mean, not E[x^2] - mean^2, which cancels badly when the mean is
    // large beside the spread.
    double squares = 0;
    for (std::size_t i = 0; i < size; ++i) {
      const double d = double(x[at + i]) - m;
      squares += d * d;
    }
    mean[g] = T(m);
    invstd[g] = T(1 / std::sqrt(squares / double(size) + eps));
    const double ms = double(mean[g]), is = double(invstd[g]);
    for (std::size_t i = 0; i < size; ++i) {
      const double h = (double(x[at + i]) - ms) * is;
      const double w = weight ? double(weight[i]) : 1, b = bias ? double(bias[i]) : 0;
      y[at + i] = T(h * w + b);
    }
  }
}

// With gw = weight dy (dy without a weight) and x-hat = (x - mean) invstd, over each group:
//   dx = invstd (gw - mean(gw) - x-hat mean(gw x-hat)),
// and per position, summed over every group: dweight += dy x-hat, dbias += dy.
template <class T>
void layer_norm_backward(Cpu, const T* x, const T* dy, const T* mean, const T* invstd, T* dx,
                         index groups, std::size_t size, const T* weight, T* weight_grad,
                         T* bias_grad) {
  [[maybe_unused]] const std::size_t total = std::size_t(groups) * size;
  if (dx) {
TESSERA_OMP(parallel for schedule(static) if (total > 32768))
    for (index g = 0; g < groups; ++g) {
      const std::size_t at = std::size_t(g) * size;
      const double m = double(mean[g]), is = double(invstd[g]);
      double sum_gw = 0, sum_gw_xhat = 0;
      for (std::size_t i = 0; i < size; ++i) {
        const double gw = double(dy[at + i]) * (weight ? double(weight[i]) : 1);
        sum_gw += gw;
        sum_gw_xhat += gw * (double(x[at + i]) - m) * is;
      }
      const double mean_gw = sum_gw / double(size), mean_gw_xhat = sum_gw_xhat / double(size);
      for (std::size_t i = 0; i < size; ++i) {
        const double gw = double(dy[at + i]) * (weight ? double(weight[i]) : 1);
        const double h = (double(x[at + i]) - m) * is;
        dx[at + i] = T(is * (gw - mean_gw - h * mean_gw_xhat));
      }
    }
  }
  if (!weight_grad && !bias_grad) return;
  // Each block of positions has a single writer, which sums over every group in double on its
  // stack (no allocation), reading a contiguous run of each group.
  constexpr std::size_t block = 64;
  const index blocks = index((size + block - 1) / block);
TESSERA_OMP(parallel for schedule(static) if (total > 32768))
  for (index b = 0; b < blocks; ++b) {
    const std::size_t begin = std::size_t(b) * block, end = std::min(size, begin + block);
    double dw[block] = {}, db[block] = {};
    for (index g = 0; g < groups; ++g) {
      const std::size_t at = std::size_t(g) * size;
      const double m = double(mean[g]), is = double(invstd[g]);
      for (std::size_t i = begin; i < end; ++i) {
        const double d = double(dy[at + i]);
        db[i - begin] += d;
        dw[i - begin] += d * (double(x[at + i]) - m) * is;
      }
    }
    for (std::size_t i = begin; i < end; ++i) {
      if (weight_grad) weight_grad[i] += T(dw[i - begin]);
      if (bias_grad) bias_grad[i] += T(db[i - begin]);
    }
  }
}

}  // namespace tessera::ops
