// Linear on the CPU: one GEMM (OpenBLAS where present) adding x W^T to the bias.
#pragma once

#include <algorithm>

#include "tessera/core/device.hpp"
#include "tessera/ops/gemm.hpp"

namespace tessera::ops {

// y = x W^T + b: x is n x in, W out x in (PyTorch's layout).
// With a bias, y starts as b in every row and the GEMM adds x W^T to it (beta 1): one pass over y
// before the product instead of BLAS's zeroing (beta 0) and a pass adding b after it, as
// torch.addmm does. BLAS may add b to a partial sum, so the last bits can differ from adding it
// after the product.
template <class T>
void linear_forward(Cpu, const T* x, const T* weight, const T* bias, T* y, index n, int in, int out) {
  using cpu::Op;
  if (bias)
    for (index s = 0; s < n; ++s)
      std::copy(bias, bias + out, y + std::size_t(s) * std::size_t(out));
  cpu::gemm(Op::none, Op::transpose, n, out, in, x, weight, bias ? T(1) : T(0), y);
}

// dx = dy W (when dx is not null); with weight_grad, also dW += dy^T x and db += the column sums
// of dy (when bias_grad is not null).
template <class T>
void linear_backward(Cpu, const T* x, const T* weight, const T* dy, T* dx, T* weight_grad, T* bias_grad,
                     index n, int in, int out) {
  using cpu::Op;
  if (dx) cpu::gemm(Op::none, Op::none, n, in, out, dy, weight, T(0), dx);
  if (weight_grad) cpu::gemm(Op::transpose, Op::none, out, in, n, dy, x, T(1), weight_grad);
  if (bias_grad)
    for (index s = 0; s < n; ++s)
      for (int o = 0; o < out; ++o) bias_grad[o] += dy[std::size_t(s) * std::size_t(out) + std::size_t(o)];
}

}  // namespace tessera::ops
