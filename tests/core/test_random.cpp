// The generator's engine is MT19937-64 written out in core/random.hpp: it must give exactly the
// numbers of std::mt19937_64 (so that seeds reproduce what earlier versions produced).
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>

#include "tessera/core/random.hpp"

TEST_CASE("The engine is std::mt19937_64, number for number") {
  for (std::uint64_t seed : {std::uint64_t(0), std::uint64_t(1), std::uint64_t(5489),
                             std::uint64_t(0xDEADBEEFCAFEF00DULL), ~std::uint64_t(0)}) {
    std::mt19937_64 reference(seed);
    tessera::detail::Mt19937_64 ours(seed);
    for (int i = 0; i < 2000; ++i) REQUIRE(ours() == reference());
    // Reseeding starts the sequence again.
    ours.seed(seed + 1);
    reference.seed(seed + 1);
    for (int i = 0; i < 700; ++i) REQUIRE(ours() == reference());
  }
}

TEST_CASE("Generator draws are those of its engine") {
  tessera::Generator g(42);
  std::mt19937_64 reference(42);
  for (int i = 0; i < 100; ++i) REQUIRE(g.next() == reference());
  const double u = g.uniform();
  CHECK(u == double(reference() >> 11) * 0x1.0p-53);
}
