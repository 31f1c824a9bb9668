// The one matrix product of the CPU ops: C = A' B' + beta C over row-major matrices (PyTorch's
// layout), A' being A or its transpose and B' likewise, any beta (0 overwrites C). With BLAS (TESSERA_HAVE_BLAS,
// set by the CMake target when OpenBLAS is found; EIGEN_USE_BLAS implies it) that is one call to
// cblas_sgemm or cblas_dgemm, which OpenBLAS runs on every core of the one OpenMP pool. Without BLAS
// Eigen computes it. Either way no other CPU op includes a linear-algebra library, so a program
// built with BLAS does not parse Eigen at all.
#pragma once

#include <cstddef>
#include <type_traits>

#include "tessera/core/shape.hpp"

#if !defined(TESSERA_HAVE_BLAS) && defined(EIGEN_USE_BLAS)
#define TESSERA_HAVE_BLAS 1
#endif

#ifdef TESSERA_HAVE_BLAS
#include <cblas.h>
#else
#include <Eigen/Core>
#endif

namespace tessera::ops::cpu {

enum class Op : bool { none, transpose };

// C (m x n) = A' (m x k) B' (k x n) + beta C. A is stored m x k, or k x m when transposed; B is
// stored k x n, or n x k when transposed; all contiguous.
template <class T>
void gemm(Op a_op, Op b_op, index m, index n, index k, const T* a, const T* b, T beta, T* c) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "tessera: the CPU ops compute in float or double");
  if (m == 0 || n == 0) return;
  const bool ta = a_op == Op::transpose, tb = b_op == Op::transpose;
#ifdef TESSERA_HAVE_BLAS
  // A product with one output row or column is a matrix-vector product, for which OpenBLAS's
  // sgemv is several times faster than its sgemm (a discriminator's last Linear, its gradients).
  // Stored matrices are row-major, so a vector operand is contiguous whether transposed or not.
  constexpr auto gemv = [](CBLAS_TRANSPOSE t, index rows, index cols, const T* matrix, const T* x, T beta_,
                           T* y) {
    if constexpr (std::is_same_v<T, float>)
      cblas_sgemv(CblasRowMajor, t, int(rows), int(cols), 1.0f, matrix, int(cols), x, 1, beta_, y, 1);
    else
      cblas_dgemv(CblasRowMajor, t, int(rows), int(cols), 1.0, matrix, int(cols), x, 1, beta_, y, 1);
  };
  if (n == 1) {  // c = A' b
    gemv(ta ? CblasTrans : CblasNoTrans, ta ? k : m, ta ? m : k, a, b, beta, c);
    return;
  }
  if (m == 1) {  // c = B'^T a
    gemv(tb ? CblasNoTrans : CblasTrans, tb ? n : k, tb ? k : n, b, a, beta, c);
    return;
  }
  const auto lda = ta ? m : k, ldb = tb ? k : n;
  const CBLAS_TRANSPOSE at = ta ? CblasTrans : CblasNoTrans, bt = tb ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, at, bt, int(m), int(n), int(k), 1.0f, a, int(lda), b, int(ldb), beta, c, int(n));
  else
    cblas_dgemm(CblasRowMajor, at, bt, int(m), int(n), int(k), 1.0, a, int(lda), b, int(ldb), beta, c, int(n));
#else
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const Matrix> A(a, ta ? k : m, ta ? m : k), B(b, tb ? n : k, tb ? k : n);
  Eigen::Map<Matrix> C(c, m, n);
  if (beta == T(0))
    C.setZero();
  else if (beta != T(1))
    C *= beta;
  if (ta && tb)
    C.noalias() += A.transpose() * B.transpose();
  else if (ta)
    C.noalias() += A.transpose() * B;
  else if (tb)
    C.noalias() += A * B.transpose();
  else
    C.noalias() += A * B;
#endif
}

}  // namespace tessera::ops::cpu
