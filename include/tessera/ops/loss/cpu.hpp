// Losses on the CPU: one fused pass per loss that writes the gradient and sums the value, split
// over both cores when the batch is large. Sums run in double whatever T is, so a mean over a
// U-Net's millions of pixels keeps its digits. Exponentials and logs are libm's (see
// ops/softmax/cpu.hpp for why not Eigen's).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "tessera/core/parallel.hpp"
#include "tessera/core/device.hpp"
#include "tessera/core/shape.hpp"

namespace tessera::ops {

namespace cpu {
inline constexpr std::size_t loss_parallel_threshold = 32768;
// Positions of a per-pixel loss handled together, so that every pass over the classes runs along
// contiguous memory and the per-position maxima and sums fit on the stack.
inline constexpr std::size_t loss_block = 64;

// Sum over i in [0, count) of term(i), which also writes the gradient of element i.
template <class Term>
double sum_terms(std::size_t count, Term term) {
  double total = 0;
TESSERA_OMP(parallel for reduction(+ : total) schedule(static) if (count > loss_parallel_threshold))
  for (std::size_t i = 0; i < count; ++i) total += double(term(i));
  return total;
}

// Sum of block(sample, first, width) over every sample and every block of up to loss_block of
// the `inner` positions.
template <class Block>
double sum_blocks(index outer, std::size_t elements_per_sample, std::size_t inner, Block block) {
  const index blocks = index((inner + loss_block - 1) / loss_block);
  [[maybe_unused]] const bool large =
      std::size_t(outer) * elements_per_sample > loss_parallel_threshold;
  double total = 0;
TESSERA_OMP(parallel for collapse(2) reduction(+ : total) schedule(static) if (large))
  for (index s = 0; s < outer; ++s)
    for (index b = 0; b < blocks; ++b) {
      const std::size_t first = std::size_t(b) * loss_block;
      total += block(s, first, std::min(loss_block, inner - first));
    }
  return total;
}

// 1 / (1 + exp(-x)) without overflowing exp for large |x|.
template <class T>
T sigmoid(T x) {
  if (x >= 0) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}
}  // namespace cpu

template <class T>
std::size_t first_non_probability(Cpu, const T* input, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i)
    if (!(input[i] >= 0 && input[i] <= 1)) return i;
  return count;
}

template <class T>
T bce_loss(Cpu, const T* input, const T* target, T* grad, std::size_t count, T scale) {
  // PyTorch's guards: a log of 0 counts as -100, and the gradient's denominator never drops below
  // 1e-12, so that a saturated sigmoid gives a large finite loss instead of inf or NaN. PyTorch's
  // 1e-12 is a float constant even in double, hence 1e-12f.
  const T floor = T(-100), epsilon = T(1e-12f);
  const double total = cpu::sum_terms(count, [=](std::size_t i) {
    const T x = input[i], y = target[i];
    grad[i] = scale * (x - y) / std::max((T(1) - x) * x, epsilon);
    return -(y * std::max(std::log(x), floor) + (T(1) - y) * std::max(std::log1p(-x), floor));
  });
  return T(double(scale) * total);
}

template <class T>
T bce_with_logits_loss(Cpu, const T* logits, const T* target, T* grad, std::size_t count, T scale) {
  const double total = cpu::sum_terms(count, [=](std::size_t i) {
    const T x = logits[i], y = target[i];
    grad[i] = scale * (cpu::sigmoid(x) - y);
    // -(y log s(x) + (1 - y) log(1 - s(x))) rewritten so that exp only ever sees -|x|.
    return std::max(x, T(0)) - x * y + std::log1p(std::exp(-std::abs(x)));
  });
  return T(double(scale) * total);
}

template <class T>
T mse_loss(Cpu, const T* input, const T* target, T* grad, std::size_t count, T scale) {
  const double total = cpu::sum_terms(count, [=](std::size_t i) {
    const T d = input[i] - target[i];
    grad[i] = scale * T(2) * d;
    return d * d;
  });
  return T(double(scale) * total);
}

template <class T>
T l1_loss(Cpu, const T* input, const T* target, T* grad, std::size_t count, T scale) {
  const double total = cpu::sum_terms(count, [=](std::size_t i) {
    const T d = input[i] - target[i];
    grad[i] = scale * T((d > 0) - (d < 0));
    return std::abs(d);
  });
  return T(double(scale) * total);
}

// log_softmax over the classes, then the negative log-likelihood of each label; the gradient is
// scale * (softmax - one_hot(label)). Exponentials are taken after subtracting each position's
// maximum, so logits of +-1000 are as good as any.
template <class T>
T cross_entropy_loss(Cpu, const T* logits, const std::int64_t* labels, T* grad, index outer,
                     std::size_t classes, std::size_t inner, T scale) {
  const std::size_t per_sample = classes * inner;
  const double total =
      cpu::sum_blocks(outer, per_sample, inner, [=](index s, std::size_t first, std::size_t width) {
        const T* x = logits + std::size_t(s) * per_sample + first;  // class c at x[c * inner + p]
        T* g = grad + std::size_t(s) * per_sample + first;
        const std::int64_t* label = labels + std::size_t(s) * inner + first;
        T peak[cpu::loss_block], sum[cpu::loss_block];
        std::copy(x, x + width, peak);
        for (std::size_t c = 1; c < classes; ++c)
          for (std::size_t p = 0; p < width; ++p) {
            const T v = x[c * inner + p];
            peak[p] = (v > peak[p] || std::isnan(v)) ? v : peak[p];
          }
        std::fill(sum, sum + width, T(0));
        for (std::size_t c = 0; c < classes; ++c)
          for (std::size_t p = 0; p < width; ++p) {
            const T e = std::exp(x[c * inner + p] - peak[p]);
            g[c * inner + p] = e;
            sum[p] += e;
          }
        double loss = 0;
        for (std::size_t p = 0; p < width; ++p) {
          const std::size_t at = std::size_t(label[p]) * inner + p;
          loss -= double((x[at] - peak[p]) -
                         std::log(sum[p]));  // PyTorch's order: no digits lost to peak
        }
        for (std::size_t c = 0; c < classes; ++c)
          for (std::size_t p = 0; p < width; ++p)
            g[c * inner + p] = g[c * inner + p] / sum[p] * scale;
        for (std::size_t p = 0; p < width; ++p) g[std::size_t(label[p]) * inner + p] -= scale;
        return loss;
      });
  return T(double(scale) * total);
}

template <class T>
T nll_loss(Cpu, const T* log_probs, const std::int64_t* labels, T* grad, index outer,
           std::size_t classes, std::size_t inner, T scale) {
  const std::size_t per_sample = classes * inner;
  const double total =
      cpu::sum_blocks(outer, per_sample, inner, [=](index s, std::size_t first, std::size_t width) {
        const T* x = log_probs + std::size_t(s) * per_sample + first;
        T* g = grad + std::size_t(s) * per_sample + first;
        const std::int64_t* label = labels + std::size_t(s) * inner + first;
        for (std::size_t c = 0; c < classes; ++c)
          std::fill(g + c * inner, g + c * inner + width, T(0));
        double loss = 0;
        for (std::size_t p = 0; p < width; ++p) {
          const std::size_t at = std::size_t(label[p]) * inner + p;
          loss -= double(x[at]);
          g[at] = -scale;
        }
        return loss;
      });
  return T(double(scale) * total);
}

template <class T>
T vae_kl_loss(Cpu, const T* mu, const T* logvar, T* grad_mu, T* grad_logvar, std::size_t count,
              T scale) {
  const double total = cpu::sum_terms(count, [=](std::size_t i) {
    const T m = mu[i], log_variance = logvar[i], variance = std::exp(log_variance);
    grad_mu[i] = scale * m;
    grad_logvar[i] = scale * T(0.5) * (variance - T(1));
    return T(-0.5) * (T(1) + log_variance - m * m - variance);
  });
  return T(double(scale) * total);
}

}  // namespace tessera::ops
