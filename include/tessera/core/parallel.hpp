// TESSERA_OMP(...): an OpenMP directive that disappears when the build has no OpenMP, so that the
// Eigen-only build compiles without "unknown pragma" warnings. Loops stay the same either way.
//   TESSERA_OMP(parallel for schedule(static) if (count > 32768))
#pragma once

#define TESSERA_OMP_PRAGMA(text) _Pragma(#text)
#if defined(_OPENMP)
#define TESSERA_OMP(...) TESSERA_OMP_PRAGMA(omp __VA_ARGS__)
#else
#define TESSERA_OMP(...)
#endif
