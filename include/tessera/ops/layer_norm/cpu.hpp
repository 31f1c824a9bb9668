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

// Second order, per group with s = invstd and x-hat recomputed as in backward:
//   x-hat' = s (x' - mean(x') - x-hat r),  r = mean(x-hat x'),  y' = weight x-hat'.
// mean(x') and r of each group go to tmean and tr, for the backward below.
template <class T>
void layer_norm_tangent(Cpu, const T* x, const T* xt, const T* mean, const T* invstd, T* yt,
                        T* tmean, T* tr, index groups, std::size_t size, const T* weight) {
TESSERA_OMP(parallel for schedule(static) if (std::size_t(groups) * size > 32768))
for (index g = 0; g < groups; ++g) {
  const std::size_t at = std::size_t(g) * size;
  const double m = double(mean[g]), s = double(invstd[g]);
  double sum = 0, sum_xhat = 0;
  for (std::size_t i = 0; i < size; ++i) {
    sum += double(xt[at + i]);
    sum_xhat += (double(x[at + i]) - m) * s * double(xt[at + i]);
  }
  tmean[g] = T(sum / double(size));
  tr[g] = T(sum_xhat / double(size));
  const double mt = double(tmean[g]), r = double(tr[g]);
  for (std::size_t i = 0; i < size; ++i) {
    const double h = (double(x[at + i]) - m) * s;
    yt[at + i] = T((weight ? double(weight[i]) : 1) * s * (double(xt[at + i]) - mt - h * r));
  }
}
}

// The backward of (y, y'). With a = weight dy', x'c = x' - mean(x'), q = mean(a x-hat) and r, s as
// above, the derivative of <dy', y'> in x is
//   s^2 ((3 q r - mean(a x'c)) x-hat - r (a - mean(a)) - q x'c),
// which joins the first-order backward of dy (when dy is not null); dx' is the first-order
// backward of dy'. Per position: dweight += dy x-hat + dy' x-hat', dbias += dy.
template <class T>
void layer_norm_tangent_backward(Cpu, const T* x, const T* xt, const T* mean, const T* invstd,
                                 const T* tmean, const T* tr, const T* dy, const T* dyt, T* dx,
                                 T* dxt, index groups, std::size_t size, const T* weight,
                                 T* weight_grad, T* bias_grad) {
  const double count = double(size);
  [[maybe_unused]] const std::size_t total = std::size_t(groups) * size;
  auto w_at = [weight](std::size_t i) { return weight ? double(weight[i]) : 1.0; };
TESSERA_OMP(parallel for schedule(static) if (total > 32768))
for (index g = 0; g < groups; ++g) {
  const std::size_t at = std::size_t(g) * size;
  const double m = double(mean[g]), s = double(invstd[g]);
  const double mt = double(tmean[g]), r = double(tr[g]);
  double sum_a = 0, sum_a_xhat = 0, sum_a_xtc = 0, sum_gw = 0, sum_gw_xhat = 0;
  for (std::size_t i = 0; i < size; ++i) {
    const double h = (double(x[at + i]) - m) * s, a = w_at(i) * double(dyt[at + i]);
    sum_a += a;
    sum_a_xhat += a * h;
    sum_a_xtc += a * (double(xt[at + i]) - mt);
    if (dy) {
      const double gw = w_at(i) * double(dy[at + i]);
      sum_gw += gw;
      sum_gw_xhat += gw * h;
    }
  }
  const double mean_a = sum_a / count, q = sum_a_xhat / count, mean_a_xtc = sum_a_xtc / count;
  const double mean_gw = sum_gw / count, mean_gw_xhat = sum_gw_xhat / count;
  for (std::size_t i = 0; i < size; ++i) {
    const double h = (double(x[at + i]) - m) * s, a = w_at(i) * double(dyt[at + i]);
    if (dxt) dxt[at + i] = T(s * (a - mean_a - h * q));
    if (!dx) continue;
    double v =
        s * s * ((3 * q * r - mean_a_xtc) * h - r * (a - mean_a) - q * (double(xt[at + i]) - mt));
    if (dy) v += s * (w_at(i) * double(dy[at + i]) - mean_gw - h * mean_gw_xhat);
    dx[at + i] = T(v);
  }
}
if (!weight_grad && !bias_grad) return;
// As in layer_norm_backward: each block of positions has one writer, summing over the groups.
constexpr std::size_t block = 64;
const index blocks = index((size + block - 1) / block);
TESSERA_OMP(parallel for schedule(static) if (total > 32768))
for (index b = 0; b < blocks; ++b) {
  const std::size_t begin = std::size_t(b) * block, end = std::min(size, begin + block);
  double dw[block] = {}, db[block] = {};
  for (index g = 0; g < groups; ++g) {
    const std::size_t at = std::size_t(g) * size;
    const double m = double(mean[g]), s = double(invstd[g]);
    const double mt = double(tmean[g]), r = double(tr[g]);
    for (std::size_t i = begin; i < end; ++i) {
      const double h = (double(x[at + i]) - m) * s;
      const double ht = s * (double(xt[at + i]) - mt - h * r);
      const double d = dy ? double(dy[at + i]) : 0;
      db[i - begin] += d;
      dw[i - begin] += d * h + double(dyt[at + i]) * ht;
    }
  }
  for (std::size_t i = begin; i < end; ++i) {
    if (weight_grad) weight_grad[i] += T(dw[i - begin]);
    if (bias_grad) bias_grad[i] += T(db[i - begin]);
  }
}
}

}  // namespace tessera::ops
