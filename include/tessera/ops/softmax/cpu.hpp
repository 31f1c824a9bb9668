// Softmax on the CPU, in Eigen arrays. Along contiguous rows (Shape<F>: inner = 1) each pass runs
// over the row. Across planes (channels of Shape<C, H, W>) the inner positions are taken in blocks
// of a few dozen, so that every pass over the axis (maximum, exponentials and sum, normalisation)
// still runs along contiguous memory and the running maxima and sums fit on the stack.
// Exponentials and logs are libm's, not Eigen's vectorised ones: those (Eigen 3.4) return denormals
// instead of 0 for -inf and below the underflow threshold, so a masked logit would keep a
// probability above zero.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "tessera/core/parallel.hpp"
#include "tessera/core/device.hpp"
#include "tessera/core/shape.hpp"
#include "tessera/ops/eigen.hpp"

namespace tessera::ops {

namespace cpu {
inline constexpr std::size_t softmax_block = 64;

template <class T>
using ArrayMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using ConstArrayMap = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

template <class T>
T libm_exp(T v) {
  return std::exp(v);
}
template <class T>
T libm_log(T v) {
  return std::log(v);
}

// The first passes of a softmax over a block of `width` positions whose elements along the axis
// lie `inner` apart: `peak` gets their maxima, y gets exp(x - max) and `total` the sums of those.
// NaN propagates: a NaN maximum makes every exponential NaN, as in PyTorch.
template <class T>
void shifted_exponentials(const T* x, T* y, std::size_t extent, std::size_t inner, std::size_t width, T* peak,
                          T* total) {
  const auto w = Eigen::Index(width);
  ArrayMap<T> max(peak, w), sum(total, w);
  std::copy(x, x + width, peak);
  for (std::size_t c = 1; c < extent; ++c) {
    const T* row = x + c * inner;
    for (std::size_t p = 0; p < width; ++p)
      peak[p] = (row[p] > peak[p] || std::isnan(row[p])) ? row[p] : peak[p];
  }
  sum.setZero();
  for (std::size_t c = 0; c < extent; ++c) {
    ArrayMap<T> out(y + c * inner, w);
    out = (ConstArrayMap<T>(x + c * inner, w) - max).unaryExpr(&libm_exp<T>);
    sum += out;
  }
}

// The same along one contiguous row of `extent` elements.
template <class T>
void shifted_exponentials(const T* x, T* y, std::size_t extent, T& peak, T& total) {
  const auto e = Eigen::Index(extent);
  const ConstArrayMap<T> row(x, e);
  ArrayMap<T> out(y, e);
  // A plain loop rather than maxCoeff<PropagateNaN>, whose AVX-512 form trips a GCC 12 false
  // "used uninitialized" warning; a NaN still wins.
  peak = x[0];
  for (std::size_t i = 1; i < extent; ++i) peak = (x[i] > peak || std::isnan(x[i])) ? x[i] : peak;
  out = (row - peak).unaryExpr(&libm_exp<T>);
  total = out.sum();
}

// Runs `finish(x, y, width, peak, total)` after shifted_exponentials on every row (inner = 1) or
// every (sample, block of inner positions), split over the cores when there is enough work.
template <class T, class Finish>
void softmax_passes(const T* x, T* y, index outer, std::size_t extent, std::size_t inner, Finish finish) {
  const std::size_t per_sample = extent * inner;
  [[maybe_unused]] const bool large = std::size_t(outer) * per_sample > 32768;
  if (inner == 1) {
TESSERA_OMP(parallel for schedule(static) if (large))
    for (index s = 0; s < outer; ++s) {
      const std::size_t at = std::size_t(s) * per_sample;
      // Arrays of a block's size, though one value is used: `finish` is shared with the blocked
      // path, and GCC 12 otherwise warns that its maps could read past a single value.
      T peak[softmax_block], total[softmax_block];
      shifted_exponentials(x + at, y + at, extent, peak[0], total[0]);
      finish(x + at, y + at, std::size_t(1), peak, total);
    }
    return;
  }
  const index blocks = index((inner + softmax_block - 1) / softmax_block);
TESSERA_OMP(parallel for collapse(2) schedule(static) if (large))
  for (index s = 0; s < outer; ++s)
    for (index b = 0; b < blocks; ++b) {
      const std::size_t first = std::size_t(b) * softmax_block;
      const std::size_t width = std::min(softmax_block, inner - first);
      const std::size_t at = std::size_t(s) * per_sample + first;
      T peak[softmax_block], total[softmax_block];
      shifted_exponentials(x + at, y + at, extent, inner, width, peak, total);
      finish(x + at, y + at, width, peak, total);
    }
}

// Runs `pass(at, width)` on every row (inner = 1: width 1, the row contiguous from `at`) or every
// (sample, block of inner positions), as softmax_passes splits the work; for the backward passes,
// which need no maxima.
template <class Pass>
void for_each_axis_block(index outer, std::size_t extent, std::size_t inner, Pass pass) {
  const std::size_t per_sample = extent * inner;
  [[maybe_unused]] const bool large = std::size_t(outer) * per_sample > 32768;
  if (inner == 1) {
TESSERA_OMP(parallel for schedule(static) if (large))
    for (index s = 0; s < outer; ++s) pass(std::size_t(s) * per_sample, std::size_t(1));
    return;
  }
  const index blocks = index((inner + softmax_block - 1) / softmax_block);
TESSERA_OMP(parallel for collapse(2) schedule(static) if (large))
  for (index s = 0; s < outer; ++s)
    for (index b = 0; b < blocks; ++b) {
      const std::size_t first = std::size_t(b) * softmax_block;
      pass(std::size_t(s) * per_sample + first, std::min(softmax_block, inner - first));
    }
}
}  // namespace cpu

template <class T>
void softmax_forward(Cpu, const T* x, T* y, index outer, std::size_t extent, std::size_t inner) {
  cpu::softmax_passes(x, y, outer, extent, inner, [=](const T*, T* yb, std::size_t width, T*, T* total) {
    if (inner == 1) {
      cpu::ArrayMap<T>(yb, Eigen::Index(extent)) /= total[0];
      return;
    }
    const cpu::ConstArrayMap<T> sum(total, Eigen::Index(width));
    for (std::size_t c = 0; c < extent; ++c) cpu::ArrayMap<T>(yb + c * inner, Eigen::Index(width)) /= sum;
  });
}

// log_softmax(x) = (x - max) - log(sum exp(x - max)): never the log of a softmax rounded to zero.
// The order is PyTorch's: adding max and the log first loses digits when x is large.
template <class T>
void log_softmax_forward(Cpu, const T* x, T* y, index outer, std::size_t extent, std::size_t inner) {
  cpu::softmax_passes(
      x, y, outer, extent, inner, [=](const T* xb, T* yb, std::size_t width, T* peak, T* total) {
        if (inner == 1) {
          const T log_sum = std::log(total[0]);
          cpu::ArrayMap<T>(yb, Eigen::Index(extent)) =
              (cpu::ConstArrayMap<T>(xb, Eigen::Index(extent)) - peak[0]) - log_sum;
          return;
        }
        const auto w = Eigen::Index(width);
        cpu::ArrayMap<T> log_sum(total, w);
        log_sum = log_sum.unaryExpr(&cpu::libm_log<T>);
        const cpu::ConstArrayMap<T> max(peak, w);
        for (std::size_t c = 0; c < extent; ++c)
          cpu::ArrayMap<T>(yb + c * inner, w) = (cpu::ConstArrayMap<T>(xb + c * inner, w) - max) - log_sum;
      });
}

// dx = y (dy - sum(dy y)) along the axis, PyTorch's _softmax_backward_data: written in terms of the
// output, which is all a second-order pass would have to differentiate.
template <class T>
void softmax_backward(Cpu, const T* y, const T* dy, T* dx, index outer, std::size_t extent,
                      std::size_t inner) {
  cpu::for_each_axis_block(outer, extent, inner, [=](std::size_t at, std::size_t width) {
    if (inner == 1) {
      const auto e = Eigen::Index(extent);
      const cpu::ConstArrayMap<T> out(y + at, e), grad(dy + at, e);
      const T dot = (out * grad).sum();
      cpu::ArrayMap<T>(dx + at, e) = out * (grad - dot);
      return;
    }
    const auto w = Eigen::Index(width);
    T sums[cpu::softmax_block];
    cpu::ArrayMap<T> dot(sums, w);
    dot.setZero();
    for (std::size_t c = 0; c < extent; ++c)
      dot += cpu::ConstArrayMap<T>(y + at + c * inner, w) *
             cpu::ConstArrayMap<T>(dy + at + c * inner, w);
    for (std::size_t c = 0; c < extent; ++c) {
      const cpu::ConstArrayMap<T> out(y + at + c * inner, w), grad(dy + at + c * inner, w);
      cpu::ArrayMap<T>(dx + at + c * inner, w) = out * (grad - dot);
    }
  });
}

// dx = dy - exp(y) sum(dy) along the axis, PyTorch's _log_softmax_backward_data, from the output.
// libm's exp, as in the forward: Eigen's would turn a masked logit's -inf into a denormal, not 0.
template <class T>
void log_softmax_backward(Cpu, const T* y, const T* dy, T* dx, index outer, std::size_t extent,
                          std::size_t inner) {
  cpu::for_each_axis_block(outer, extent, inner, [=](std::size_t at, std::size_t width) {
    if (inner == 1) {
      const auto e = Eigen::Index(extent);
      const cpu::ConstArrayMap<T> out(y + at, e), grad(dy + at, e);
      const T total = grad.sum();
      cpu::ArrayMap<T>(dx + at, e) = grad - out.unaryExpr(&cpu::libm_exp<T>) * total;
      return;
    }
    const auto w = Eigen::Index(width);
    T sums[cpu::softmax_block];
    cpu::ArrayMap<T> total(sums, w);
    total.setZero();
    for (std::size_t c = 0; c < extent; ++c) total += cpu::ConstArrayMap<T>(dy + at + c * inner, w);
    for (std::size_t c = 0; c < extent; ++c) {
      const cpu::ConstArrayMap<T> out(y + at + c * inner, w), grad(dy + at + c * inner, w);
      cpu::ArrayMap<T>(dx + at + c * inner, w) = grad - out.unaryExpr(&cpu::libm_exp<T>) * total;
    }
  });
}

}  // namespace tessera::ops
