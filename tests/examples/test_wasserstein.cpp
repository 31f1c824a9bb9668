// The WGAN example's losses (examples/common/wasserstein.hpp): each term's value by hand, its
// gradient against central differences, and the hinge's flat side.
#include <catch2/catch.hpp>
#include <vector>

#include "../../examples/common/wasserstein.hpp"
#include "tessera/core/random.hpp"

namespace ts = tessera;

namespace {
using Score = ts::Shape<1, 1, 1>;  // the critic's output per sample

examples::WassersteinTerm term_of(const std::vector<float>& scores, std::vector<float>& grad,
                                  int sign, bool hinge) {
  const ts::index n = ts::index(scores.size());
  grad.assign(scores.size(), 99.0f);  // every element must be written
  return examples::wasserstein_term<Score>(ts::View<Score, const float>(scores.data(), n),
                                           ts::View<Score, float>(grad.data(), n), sign, hinge);
}
}  // namespace

TEST_CASE("Wasserstein terms: the means of the scores, signed, and their closed-form gradients") {
  const std::vector<float> scores{0.5f, -1.5f, 2.0f, 3.0f};  // mean 1
  std::vector<float> grad;

  // WGAN: the critic raises D(real) (sign -1) and lowers D(fake) (sign +1); G raises D(fake).
  auto t = term_of(scores, grad, -1, false);
  CHECK(t.loss == Approx(-1.0));
  CHECK(t.mean_score == Approx(1.0));
  CHECK(grad == std::vector<float>(4, -0.25f));
  t = term_of(scores, grad, +1, false);
  CHECK(t.loss == Approx(1.0));
  CHECK(grad == std::vector<float>(4, 0.25f));

  // Hinge, real side: mean max(0, 1 - D) = (0.5 + 2.5 + 0 + 0) / 4; scores above 1 get no push.
  t = term_of(scores, grad, -1, true);
  CHECK(t.loss == Approx(0.75));
  CHECK(t.mean_score == Approx(1.0));
  CHECK(grad == std::vector<float>{-0.25f, -0.25f, 0.0f, 0.0f});
  // Fake side: mean max(0, 1 + D) = (1.5 + 0 + 3 + 4) / 4; D = -1.5 is already low enough.
  t = term_of(scores, grad, +1, true);
  CHECK(t.loss == Approx(2.125));
  CHECK(grad == std::vector<float>{0.25f, 0.0f, 0.25f, 0.25f});
}

TEST_CASE("Wasserstein terms: the gradients match central differences") {
  ts::Generator rng(11);
  std::vector<float> scores(6), grad, unused;
  for (float& v : scores) v = float(rng.uniform(-3, 3));
  const float h = 1e-2f;
  for (const bool hinge : {false, true})
    for (const int sign : {-1, 1}) {
      term_of(scores, grad, sign, hinge);
      for (std::size_t i = 0; i < scores.size(); ++i) {
        auto plus = scores, minus = scores;
        plus[i] += h;
        minus[i] -= h;
        const double numeric = (double(term_of(plus, unused, sign, hinge).loss) -
                                double(term_of(minus, unused, sign, hinge).loss)) /
                               (2.0 * double(h));
        REQUIRE(grad[i] == Approx(numeric).epsilon(1e-3).margin(1e-4));
      }
    }
}
