// The one source of randomness: an explicit, seedable generator. Distributions are computed here
// rather than with <random>'s, whose results differ between standard libraries, so that a seed
// gives the same numbers everywhere. The engine is MT19937-64, written out here (the same numbers
// as std::mt19937_64, tested) because <random> alone costs about a fifth of the include's compile
// time.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace tessera {

namespace detail {
// MT19937-64 (Matsumoto and Nishimura), with std::mt19937_64's seeding.
class Mt19937_64 {
 public:
  explicit Mt19937_64(std::uint64_t seed) { this->seed(seed); }
  void seed(std::uint64_t s) {
    state_[0] = s;
    for (std::size_t i = 1; i < n; ++i)
      state_[i] = 6364136223846793005ULL * (state_[i - 1] ^ (state_[i - 1] >> 62)) + i;
    at_ = n;
  }
  std::uint64_t operator()() {
    if (at_ >= n) twist();
    std::uint64_t x = state_[at_++];
    x ^= (x >> 29) & 0x5555555555555555ULL;
    x ^= (x << 17) & 0x71D67FFFEDA60000ULL;
    x ^= (x << 37) & 0xFFF7EEE000000000ULL;
    return x ^ (x >> 43);
  }

 private:
  static constexpr std::size_t n = 312, m = 156;
  void twist() {
    constexpr std::uint64_t upper = 0xFFFFFFFF80000000ULL, lower = 0x7FFFFFFFULL;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t y = (state_[i] & upper) | (state_[(i + 1) % n] & lower);
      state_[i] = state_[(i + m) % n] ^ (y >> 1) ^ ((y & 1) ? 0xB5026F5AA96619E9ULL : 0);
    }
    at_ = 0;
  }
  std::array<std::uint64_t, n> state_{};
  std::size_t at_ = n;
};
}  // namespace detail

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
  detail::Mt19937_64 engine_;
};

}  // namespace tessera
