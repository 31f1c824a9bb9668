// Which algorithms the CPU's float convolutions may run: one setting for the process.
//   tessera::set_convolution_algorithm(tessera::ConvolutionAlgorithm::direct);  // reproducible
// or, for any program, TESSERA_CONVOLUTION_ALGORITHM=direct (or fastest, winograd) in the
// environment: the starting value, read when a convolution first asks for it unless the program
// set one before (an unknown value is an error then, naming the variable).
// fastest (the default): a 3x3 stride-1 convolution (dilation 1, not transposed) of 100 MFLOP or
//   more runs Winograd's algorithm where oneDNN has it for this CPU (F(4x4, 3x3), AVX-512) and it
//   measured at least 10% faster than the direct algorithm for that problem and direction
//   (forward, data gradient, weight gradient). Each problem is timed once per process (one run
//   of each after a warm-up, on a buffer the measurements keep), when the first plan that needs
//   it is made, and the choice is kept for every later plan: the first step of a U-Net 572 takes
//   about 13 s longer (docs/performance.md). Winograd's results differ from the direct
//   algorithm's by a few 1e-6 relative (2-norm), as float rounding does; since the choice comes
//   from timing, two processes may choose differently and so differ in the last bits.
// direct: every convolution runs the direct algorithm (or im2col + GEMM): results do not depend
//   on timing.
// winograd: every convolution that Winograd's algorithm can run does, whatever its size or speed
//   (for measurements and tests).
// The setting applies to plans made after it: a layer plans on its first call for a batch size,
// so set it before the model's first forward. Double precision and builds without oneDNN always
// run im2col + GEMM.
#pragma once

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace tessera {

enum class ConvolutionAlgorithm { fastest, direct, winograd };

namespace detail {
inline constexpr int unset_convolution_algorithm = -1;  // the environment's, on first use
inline std::atomic<int> convolution_algorithm{unset_convolution_algorithm};
}  // namespace detail

inline void set_convolution_algorithm(ConvolutionAlgorithm algorithm) {
  detail::convolution_algorithm.store(int(algorithm));
}

// The setting; the first call without one set reads TESSERA_CONVOLUTION_ALGORITHM (unset or
// empty: fastest) and throws std::invalid_argument for another value.
inline ConvolutionAlgorithm convolution_algorithm() {
  if (const int set = detail::convolution_algorithm.load();
      set != detail::unset_convolution_algorithm)
    return ConvolutionAlgorithm(set);
  const char* value = std::getenv("TESSERA_CONVOLUTION_ALGORITHM");
  const std::string name = value ? value : "";
  ConvolutionAlgorithm algorithm;
  if (name.empty() || name == "fastest")
    algorithm = ConvolutionAlgorithm::fastest;
  else if (name == "direct")
    algorithm = ConvolutionAlgorithm::direct;
  else if (name == "winograd")
    algorithm = ConvolutionAlgorithm::winograd;
  else
    throw std::invalid_argument("TESSERA_CONVOLUTION_ALGORITHM=" + name +
                                ": expected fastest, direct or winograd");
  int expected = detail::unset_convolution_algorithm;
  detail::convolution_algorithm.compare_exchange_strong(expected, int(algorithm));
  return ConvolutionAlgorithm(detail::convolution_algorithm.load());
}

}  // namespace tessera
