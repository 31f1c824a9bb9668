// How many threads the CPU ops use: one call for all of them.
//   tessera::set_num_threads(1);   // e.g. beside another busy process
// tessera's own loops, oneDNN's convolutions (its CPU runtime is OpenMP) and OpenBLAS's GEMMs (its
// OpenMP build, the one scripts/deps installs, runs on the same pool) all take their thread count
// from OpenMP's, which this sets for the calling thread: call it from the thread that runs the
// models. OpenBLAS is also told directly, which its pthread build needs. Without OpenMP everything
// runs on one thread and num_threads() is 1. The starting count is OpenMP's (OMP_NUM_THREADS, else
// one per core).
#pragma once

#include <stdexcept>
#include <string>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "tessera/ops/gemm.hpp"  // cblas.h, where BLAS is used: OPENBLAS_VERSION when it is OpenBLAS

namespace tessera {

inline void set_num_threads(int n) {
  if (n < 1)
    throw std::invalid_argument("tessera::set_num_threads: " + std::to_string(n) +
                                " threads; it needs at least 1");
#if defined(_OPENMP)
  omp_set_num_threads(n);
#endif
#if defined(OPENBLAS_VERSION)
  openblas_set_num_threads(n);
#endif
}

// The thread count the next CPU op will use.
inline int num_threads() {
#if defined(_OPENMP)
  return omp_get_max_threads();
#else
  return 1;
#endif
}

}  // namespace tessera
