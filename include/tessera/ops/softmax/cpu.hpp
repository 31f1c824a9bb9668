// Softmax on the CPU, in plain loops the compiler vectorises. Along contiguous rows (Shape<F>:
// inner = 1) each pass runs over the row. Across planes (channels of Shape<C, H, W>) the inner
// positions are taken in blocks of a few dozen, so that every pass over the axis (maximum,
// exponentials and sum, normalisation) still runs along contiguous memory and the running maxima
// and sums fit on the stack. Exponentials and logs are libm's: a masked logit (-inf, or below the
// underflow threshold) gets a probability of exactly 0.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "tessera/core/parallel.hpp"
#include "tessera/core/device.hpp"
#include "tessera/core/shape.hpp"

namespace tessera::ops {

namespace cpu {
inline constexpr std::size_t softmax_block = 64;

// The first passes of a softmax over a block of `width` positions whose elements along the axis
// lie `inner` apart: `peak` gets their maxima, y gets exp(x - max) and `total` the sums of those.
// NaN propagates: a NaN maximum makes every exponential NaN, as in PyTorch.
template <class T>
void shifted_exponentials(const T* x, T* y, std::size_t extent, std::size_t inner, std::size_t width, T* peak,
                          T* total) {
  std::copy(x, x + width, peak);
  for (std::size_t c = 1; c < extent; ++c) {
    const T* row = x + c * inner;
    for (std::size_t p = 0; p < width; ++p)
      peak[p] = (row[p] > peak[p] || std::isnan(row[p])) ? row[p] : peak[p];
  }
  std::fill(total, total + width, T(0));
  for (std::size_t c = 0; c < extent; ++c) {
    const T* in = x + c * inner;
    T* out = y + c * inner;
    for (std::size_t p = 0; p < width; ++p) {
      out[p] = std::exp(in[p] - peak[p]);
      total[p] += out[p];
    }
  }
}

// The same along one contiguous row of `extent` elements.
template <class T>
void shifted_exponentials(const T* x, T* y, std::size_t extent, T& peak, T& total) {
  peak = x[0];
  for (std::size_t i = 1; i < extent; ++i) peak = (x[i] > peak || std::isnan(x[i])) ? x[i] : peak;
  T sum = 0;
  for (std::size_t i = 0; i < extent; ++i) {
    y[i] = std::exp(x[i] - peak);
    sum += y[i];
  }
  total = sum;
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
      T peak, total;
      shifted_exponentials(x + at, y + at, extent, peak, total);
      finish(x + at, y + at, std::size_t(1), &peak, &total);
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

// In each function below, a row (inner = 1) is the axis itself, contiguous; otherwise the axis runs
// across `inner`-strided rows of a block `width` wide.
template <class T>
void softmax_forward(Cpu, const T* x, T* y, index outer, std::size_t extent, std::size_t inner) {
  cpu::softmax_passes(x, y, outer, extent, inner, [=](const T*, T* yb, std::size_t width, T*, T* total) {
    if (inner == 1) {
      for (std::size_t c = 0; c < extent; ++c) yb[c] /= total[0];
      return;
    }
    for (std::size_t c = 0; c < extent; ++c)
      for (std::size_t p = 0; p < width; ++p) yb[c * inner + p] /= total[p];
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
          for (std::size_t c = 0; c < extent; ++c) yb[c] = (xb[c] - peak[0]) - log_sum;
          return;
        }
        for (std::size_t p = 0; p < width; ++p) total[p] = std::log(total[p]);
        for (std::size_t c = 0; c < extent; ++c)
          for (std::size_t p = 0; p < width; ++p)
            yb[c * inner + p] = (xb[c * inner + p] - peak[p]) - total[p];
      });
}

// dx = y (dy - sum(dy y)) along the axis, PyTorch's _softmax_backward_data: written in terms of the
// output, which is all a second-order pass would have to differentiate.
template <class T>
void softmax_backward(Cpu, const T* y, const T* dy, T* dx, index outer, std::size_t extent,
                      std::size_t inner) {
  cpu::for_each_axis_block(outer, extent, inner, [=](std::size_t at, std::size_t width) {
    const T *out = y + at, *grad = dy + at;
    T* d = dx + at;
    if (inner == 1) {
      T dot = 0;
      for (std::size_t c = 0; c < extent; ++c) dot += out[c] * grad[c];
      for (std::size_t c = 0; c < extent; ++c) d[c] = out[c] * (grad[c] - dot);
      return;
    }
    T dot[cpu::softmax_block] = {};
    for (std::size_t c = 0; c < extent; ++c)
      for (std::size_t p = 0; p < width; ++p) dot[p] += out[c * inner + p] * grad[c * inner + p];
    for (std::size_t c = 0; c < extent; ++c)
      for (std::size_t p = 0; p < width; ++p)
        d[c * inner + p] = out[c * inner + p] * (grad[c * inner + p] - dot[p]);
  });
}

// dx = dy - exp(y) sum(dy) along the axis, PyTorch's _log_softmax_backward_data, from the output.
template <class T>
void log_softmax_backward(Cpu, const T* y, const T* dy, T* dx, index outer, std::size_t extent,
                          std::size_t inner) {
  cpu::for_each_axis_block(outer, extent, inner, [=](std::size_t at, std::size_t width) {
    const T *out = y + at, *grad = dy + at;
    T* d = dx + at;
    if (inner == 1) {
      T total = 0;
      for (std::size_t c = 0; c < extent; ++c) total += grad[c];
      for (std::size_t c = 0; c < extent; ++c) d[c] = grad[c] - std::exp(out[c]) * total;
      return;
    }
    T total[cpu::softmax_block] = {};
    for (std::size_t c = 0; c < extent; ++c)
      for (std::size_t p = 0; p < width; ++p) total[p] += grad[c * inner + p];
    for (std::size_t c = 0; c < extent; ++c)
      for (std::size_t p = 0; p < width; ++p)
        d[c * inner + p] = grad[c * inner + p] - std::exp(out[c * inner + p]) * total[p];
  });
}

}  // namespace tessera::ops
