// The one source of randomness: an explicit, seedable generator. Distributions are computed here
// rather than with <random>'s, whose results differ between standard libraries, so that a seed
// gives the same numbers everywhere.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>

namespace tessera {

class Generator {
 public:
  explicit Generator(std::uint64_t seed = 0) : engine_(seed) {}
  void seed(std::uint64_t s) { engine_.seed(s); }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return double(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  // Box-Muller; the second value of each pair is dropped to keep the state simple.
  double normal(double mean = 0, double stddev = 1) {
    double u1 = uniform();
    while (u1 <= 0) u1 = uniform();
    const double u2 = uniform();
    return mean + stddev * std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
  }
  bool bernoulli(double p) { return uniform() < p; }
  std::uint64_t next() { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace tessera
