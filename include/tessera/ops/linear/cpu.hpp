// Linear on the CPU: one GEMM through Eigen (OpenBLAS underneath).
#pragma once

#include "tessera/core/device.hpp"
#include "tessera/ops/eigen.hpp"

namespace tessera::ops {

template <class T>
void linear_forward(Cpu, const T* x, const T* weight, const T* bias, T* y, index n, int in, int out) {
  cpu::ConstMatrixMap<T> X(x, n, in), W(weight, out, in);
  cpu::MatrixMap<T> Y(y, n, out);
  Y.noalias() = X * W.transpose();
  if (bias) Y.rowwise() += cpu::ConstVectorMap<T>(bias, out).transpose();
}

// dx = dy W (when dx is not null); with weight_grad, also dW += dy^T x and db += the column sums
// of dy (when bias_grad is not null).
template <class T>
void linear_backward(Cpu, const T* x, const T* weight, const T* dy, T* dx, T* weight_grad, T* bias_grad,
                     index n, int in, int out) {
  cpu::ConstMatrixMap<T> X(x, n, in), W(weight, out, in), dY(dy, n, out);
  if (dx) cpu::MatrixMap<T>(dx, n, in).noalias() = dY * W;
  if (weight_grad) cpu::MatrixMap<T>(weight_grad, out, in).noalias() += dY.transpose() * X;
  if (bias_grad) cpu::VectorMap<T>(bias_grad, out) += dY.colwise().sum().transpose();
}

}  // namespace tessera::ops
