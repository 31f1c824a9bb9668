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

}  // namespace tessera::ops
