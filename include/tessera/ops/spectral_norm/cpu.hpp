// Spectral normalisation on the CPU. The power iteration's matrix-vector products are ops::cpu::gemm
// calls (OpenBLAS's sgemv where present, as PyTorch's torch.mv); norms, sigma and <G, W> are summed
// in double.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "tessera/core/device.hpp"
#include "tessera/core/parallel.hpp"
#include "tessera/core/shape.hpp"
#include "tessera/ops/gemm.hpp"

namespace tessera::ops {

namespace cpu {
// x / max(|x|, eps), PyTorch's F.normalize: eps keeps a zero vector zero instead of NaN.
template <class T>
void normalize(T* x, index count, double eps) {
  double squares = 0;
  for (index i = 0; i < count; ++i) squares += double(x[i]) * double(x[i]);
  const T norm = T(std::max(std::sqrt(squares), eps));
  for (index i = 0; i < count; ++i) x[i] /= norm;
}
}  // namespace cpu

template <class T>
void spectral_norm_forward(Cpu, const T* weight_orig, T* u, T* v, T* weight, T* sigma, index rows,
                           index cols, int iterations, double eps, bool update) {
  using cpu::Op;
  if (update)
    for (int i = 0; i < iterations; ++i) {
      cpu::gemm(Op::transpose, Op::none, cols, 1, rows, weight_orig, u, T(0), v);
      cpu::normalize(v, cols, eps);
      cpu::gemm(Op::none, Op::none, rows, 1, cols, weight_orig, v, T(0), u);
      cpu::normalize(u, rows, eps);
    }
  double s = 0;
  for (index r = 0; r < rows; ++r) {
    const T* row = weight_orig + std::size_t(r) * std::size_t(cols);
    double wv = 0;
    for (index c = 0; c < cols; ++c) wv += double(row[c]) * double(v[c]);
    s += double(u[r]) * wv;
  }
  // PyTorch divides by sigma in the weight's precision; so does this.
  sigma[0] = T(s);
  const T divisor = sigma[0];
  const std::size_t count = std::size_t(rows) * std::size_t(cols);
TESSERA_OMP(parallel for schedule(static) if (count > 32768))
  for (std::size_t i = 0; i < count; ++i) weight[i] = weight_orig[i] / divisor;
}

template <class T>
void spectral_norm_backward(Cpu, const T* weight_grad, const T* weight, const T* u, const T* v,
                            const T* sigma, T* weight_orig_grad, index rows, index cols) {
  const std::size_t count = std::size_t(rows) * std::size_t(cols);
  double inner = 0;
  for (std::size_t i = 0; i < count; ++i) inner += double(weight_grad[i]) * double(weight[i]);
  const double s = double(sigma[0]);
TESSERA_OMP(parallel for schedule(static) if (count > 32768))
  for (index r = 0; r < rows; ++r) {
    const std::size_t at = std::size_t(r) * std::size_t(cols);
    const double ur = inner * double(u[r]);
    for (index c = 0; c < cols; ++c)
      weight_orig_grad[at + std::size_t(c)] += T((double(weight_grad[at + std::size_t(c)]) - ur * double(v[c])) / s);
  }
}

}  // namespace tessera::ops
