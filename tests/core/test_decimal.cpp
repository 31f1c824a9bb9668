// Decimal: the exact value and the type identity of real-valued template arguments
// (LeakyReLU<0.2>), on every compiler we support.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <type_traits>

#include "tessera/layers/batch_norm2d.hpp"
#include "tessera/layers/leaky_relu.hpp"

namespace ts = tessera;

static_assert(ts::Decimal(0.2).num == 1 && ts::Decimal(0.2).den == 5);
static_assert(ts::Decimal(1e-5).num == 1 && ts::Decimal(1e-5).den == 100000);
static_assert(ts::Decimal(-0.75).num == -3 && ts::Decimal(-0.75).den == 4);
static_assert(ts::Decimal(3).num == 3 && ts::Decimal(3).den == 1);
static_assert(ts::Decimal(0.0).num == 0 && ts::Decimal(0.0).den == 1);
static_assert(double(ts::Decimal(0.1)) == 0.1 && double(ts::Decimal(0.8)) == 0.8);
// Equal literals, one type; different literals, different types.
static_assert(std::is_same_v<ts::LeakyReLU<0.2>, ts::LeakyReLU<0.20>>);
static_assert(std::is_same_v<ts::LeakyReLU<0.2>, ts::LeakyReLU<2e-1>>);
static_assert(!std::is_same_v<ts::LeakyReLU<0.2>, ts::LeakyReLU<0.21>>);
static_assert(std::is_same_v<ts::LeakyReLU<>, ts::LeakyReLU<0.01>>);
static_assert(std::is_same_v<ts::BatchNorm2d<0.8>, ts::BatchNorm2d<0.8, 0.1>>);

TEST_CASE("Decimal holds every literal of up to 15 significant digits exactly") {
  std::mt19937_64 gen(42);
  char text[64];
  for (int i = 0; i < 20000; ++i) {
    const int digits = 1 + int(gen() % 15);
    const int exponent = int(gen() % 14) - 10;  // 1e-10 .. 1e3
    const long long mantissa = (long long)(gen() % 1000000000000000ULL) % [&] {
      long long p = 1;
      for (int d = 0; d < digits; ++d) p *= 10;
      return p;
    }();
    std::snprintf(text, sizeof text, "%llde%d", (gen() & 1) ? mantissa : -mantissa, exponent);
    const double v = std::strtod(text, nullptr);
    const ts::Decimal d(v);
    INFO(text);
    REQUIRE(d.value() == v);
  }
}

TEST_CASE("Layers print their Decimal arguments as PyTorch does") {
  using M = ts::LeakyReLU<0.2>::Module<ts::Shape<4>, float, ts::Cpu>;
  CHECK(M::describe() == "LeakyReLU(negative_slope=0.2)");
}
