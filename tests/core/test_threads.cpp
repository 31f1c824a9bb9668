// tessera::set_num_threads: one call sets OpenMP's count (our loops, oneDNN) and OpenBLAS's.
#include <catch2/catch.hpp>
#include <stdexcept>

#include "tessera/tessera.hpp"

namespace ts = tessera;

TEST_CASE("set_num_threads sets every CPU op's thread count", "[threads]") {
  const int before = ts::num_threads();
  ts::set_num_threads(1);
  CHECK(ts::num_threads() == 1);
#if defined(OPENBLAS_VERSION)
  CHECK(openblas_get_num_threads() == 1);
#endif
#if defined(_OPENMP)
  ts::set_num_threads(3);
  CHECK(ts::num_threads() == 3);
#if defined(OPENBLAS_VERSION)
  CHECK(openblas_get_num_threads() == 3);
#endif
#endif
  ts::set_num_threads(before);
  CHECK(ts::num_threads() == before);
}

TEST_CASE("set_num_threads refuses a count below 1, naming itself", "[threads]") {
  const int before = ts::num_threads();
  CHECK_THROWS_WITH(ts::set_num_threads(0), Catch::Contains("tessera::set_num_threads: 0 threads"));
  CHECK_THROWS_AS(ts::set_num_threads(-2), std::invalid_argument);
  CHECK(ts::num_threads() == before);
}
