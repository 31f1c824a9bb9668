// Eigen maps over raw tensor memory, shared by the CPU ops. With EIGEN_USE_BLAS (set by the CMake
// target when OpenBLAS is found) Eigen's matrix products run in OpenBLAS on both cores.
#pragma once

#include <Eigen/Core>

#include "tessera/core/shape.hpp"

namespace tessera::ops::cpu {

template <class T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
// A row-major rows x cols matrix over existing memory (PyTorch's layout).
template <class T>
using MatrixMap = Eigen::Map<Matrix<T>>;
template <class T>
using ConstMatrixMap = Eigen::Map<const Matrix<T>>;
template <class T>
using VectorMap = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>;
template <class T>
using ConstVectorMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>;

}  // namespace tessera::ops::cpu
