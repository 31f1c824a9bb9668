// The sparse autoencoder example's KL penalty (examples/common/sparsity.hpp): its value by hand
// and its gradient against central differences.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "../../examples/common/sparsity.hpp"
#include "tessera/core/random.hpp"

namespace ts = tessera;

namespace {
using Code = ts::Shape<4>;

double penalty_of(std::vector<float> code, double p, double beta) {
  std::vector<float> grad(code.size(), 0.0f);
  const ts::index n = ts::index(code.size() / Code::size);
  return examples::add_kl_sparsity<Code>(ts::View<Code, const float>(code.data(), n),
                                         ts::View<Code, float>(grad.data(), n), p, beta);
}
}  // namespace

TEST_CASE("KL sparsity penalty: beta * sum_j KL(p || mean activation of unit j)") {
  // Every unit at mean 0.5 with p = 0.05: 4 * (0.05 log 0.1 + 0.95 log 1.9), times beta.
  const double kl = 0.05 * std::log(0.1) + 0.95 * std::log(1.9);
  REQUIRE(penalty_of(std::vector<float>(8, 0.5f), 0.05, 2.0) == Approx(2.0 * 4 * kl));
  // At the target there is nothing to pay.
  REQUIRE(penalty_of(std::vector<float>(8, 0.05f), 0.05, 1.0) == Approx(0.0).margin(1e-7));
}

TEST_CASE("KL sparsity penalty: the gradient added to dcode matches central differences") {
  ts::Generator rng(7);
  const ts::index n = 3;
  std::vector<float> code(std::size_t(n) * Code::size);
  for (float& v : code) v = float(rng.uniform(0.05, 0.95));
  const std::vector<float> upstream(code.size(), 0.25f);  // what the decoder gave: kept, added to
  std::vector<float> grad = upstream;
  examples::add_kl_sparsity<Code>(ts::View<Code, const float>(code.data(), n),
                                  ts::View<Code, float>(grad.data(), n), 0.1, 0.5);
  const float h = 1e-2f;
  for (std::size_t i = 0; i < code.size(); ++i) {
    auto plus = code, minus = code;
    plus[i] += h;
    minus[i] -= h;
    const double numeric =
        (penalty_of(plus, 0.1, 0.5) - penalty_of(minus, 0.1, 0.5)) / (2.0 * double(h));
    REQUIRE(grad[i] - upstream[i] == Approx(numeric).epsilon(1e-3));
  }
}
