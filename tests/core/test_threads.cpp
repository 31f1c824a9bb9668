// tessera::set_num_threads: one call sets OpenMP's count (our loops, oneDNN) and OpenBLAS's. And
// the other process-wide setting of the CPU ops, set_convolution_algorithm, with its environment
// variable (what each algorithm computes: tests/layers/test_conv_backward.cpp).
#include <catch2/catch.hpp>
#include <cstdlib>
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

TEST_CASE("The convolution algorithm: the program's, else TESSERA_CONVOLUTION_ALGORITHM's",
          "[threads]") {
  using ts::ConvolutionAlgorithm;
  // As at the start of a process: nothing set yet.
  const auto fresh = [](const char* value) {
    ts::detail::convolution_algorithm.store(ts::detail::unset_convolution_algorithm);
    if (value)
      setenv("TESSERA_CONVOLUTION_ALGORITHM", value, 1);
    else
      unsetenv("TESSERA_CONVOLUTION_ALGORITHM");
  };
  fresh(nullptr);
  CHECK(ts::convolution_algorithm() == ConvolutionAlgorithm::fastest);
  fresh("");
  CHECK(ts::convolution_algorithm() == ConvolutionAlgorithm::fastest);
  fresh("direct");
  CHECK(ts::convolution_algorithm() == ConvolutionAlgorithm::direct);
  // Read once: a later change of the environment does not count.
  setenv("TESSERA_CONVOLUTION_ALGORITHM", "winograd", 1);
  CHECK(ts::convolution_algorithm() == ConvolutionAlgorithm::direct);
  fresh("winograd");
  CHECK(ts::convolution_algorithm() == ConvolutionAlgorithm::winograd);
  fresh("fastest");
  CHECK(ts::convolution_algorithm() == ConvolutionAlgorithm::fastest);
  // An unknown value: an error naming the variable, the value and the choices, at each ask.
  fresh("Winograd");
  CHECK_THROWS_WITH(ts::convolution_algorithm(),
                    "TESSERA_CONVOLUTION_ALGORITHM=Winograd: expected fastest, direct or winograd");
  CHECK_THROWS_AS(ts::convolution_algorithm(), std::invalid_argument);
  // The program's setting wins: the environment is not read.
  ts::set_convolution_algorithm(ConvolutionAlgorithm::direct);
  CHECK(ts::convolution_algorithm() == ConvolutionAlgorithm::direct);
  fresh(nullptr);
  ts::set_convolution_algorithm(ConvolutionAlgorithm::fastest);
}
