// matched_accuracy (tessera/eval/matched_accuracy.hpp) against the closed form it is defined by:
// every permutation of the codes' names tried (std::next_permutation, up to 8 classes), on random
// labellings; a relabelled perfect labelling scores 1 with the relabelling as its assignment; a
// labelling that ignores the classes scores what the closed form says; bad input is refused.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "tessera/core/random.hpp"
#include "tessera/eval/matched_accuracy.hpp"

namespace ts = tessera;

namespace {

// The best agreement over all K! renamings, and the first (lexicographically smallest) renaming
// that reaches it.
ts::MatchedAccuracy by_enumeration(const std::vector<std::int64_t>& codes,
                                   const std::vector<std::int64_t>& classes, int k) {
  std::vector<int> pi(static_cast<std::size_t>(k));
  std::iota(pi.begin(), pi.end(), 0);
  ts::MatchedAccuracy best{-1, {}};
  do {
    std::int64_t hits = 0;
    for (std::size_t i = 0; i < codes.size(); ++i) hits += pi[std::size_t(codes[i])] == classes[i];
    const double a = double(hits) / double(codes.size());
    if (a > best.accuracy) best = {a, pi};
  } while (std::next_permutation(pi.begin(), pi.end()));
  return best;
}

}  // namespace

TEST_CASE("matched_accuracy: the best renaming of the codes, as trying every one finds it",
          "[eval][matched_accuracy]") {
  ts::Generator rng(17);
  for (int k = 1; k <= 8; ++k)
    for (int trial = 0; trial < 5; ++trial) {
      // Codes that mostly follow a hidden renaming, with a share of noise that grows per trial.
      std::vector<int> hidden(static_cast<std::size_t>(k));
      std::iota(hidden.begin(), hidden.end(), 0);
      for (int i = k - 1; i > 0; --i)
        std::swap(hidden[std::size_t(i)], hidden[std::size_t(rng.next() % std::uint64_t(i + 1))]);
      const int n = 50 + 37 * trial;
      std::vector<std::int64_t> codes, classes;
      for (int i = 0; i < n; ++i) {
        const auto code = std::int64_t(rng.next() % std::uint64_t(k));
        codes.push_back(code);
        classes.push_back(rng.uniform() < 0.2 * trial ? std::int64_t(rng.next() % std::uint64_t(k))
                                                      : hidden[std::size_t(code)]);
      }
      INFO("K " << k << ", trial " << trial);
      const ts::MatchedAccuracy got = ts::matched_accuracy(codes, classes, k);
      const ts::MatchedAccuracy want = by_enumeration(codes, classes, k);
      CHECK(got.accuracy == want.accuracy);
      CHECK(got.assignment == want.assignment);
    }
}

TEST_CASE("matched_accuracy: a renamed perfect labelling, and one that ignores the classes",
          "[eval][matched_accuracy]") {
  // Ten codes, each always one class, named by the renaming 3 7 0 9 1 5 2 8 4 6.
  const std::vector<int> renaming{3, 7, 0, 9, 1, 5, 2, 8, 4, 6};
  std::vector<std::int64_t> codes, classes;
  for (int i = 0; i < 1000; ++i) {
    codes.push_back(i % 10);
    classes.push_back(renaming[std::size_t(i % 10)]);
  }
  const ts::MatchedAccuracy perfect = ts::matched_accuracy(codes, classes, 10);
  CHECK(perfect.accuracy == 1.0);
  CHECK(perfect.assignment == renaming);

  // Every code gives the ten classes equally often: any renaming matches a tenth.
  for (std::size_t i = 0; i < classes.size(); ++i) classes[i] = std::int64_t(i / 10 % 10);
  const ts::MatchedAccuracy blind = ts::matched_accuracy(codes, classes, 10);
  CHECK(blind.accuracy == Approx(0.1));
  CHECK(blind.assignment == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});  // the first on ties

  // Two codes that both draw class 0 (mode collapse): only one of them can have it.
  const std::vector<std::int64_t> collapsed_codes{0, 0, 1, 1}, collapsed{0, 0, 0, 1};
  const ts::MatchedAccuracy c = ts::matched_accuracy(collapsed_codes, collapsed, 2);
  CHECK(c.accuracy == 0.75);
  CHECK(c.assignment == std::vector<int>{0, 1});
}

TEST_CASE("matched_accuracy: refuses what it cannot match", "[eval][matched_accuracy]") {
  const std::vector<std::int64_t> two{0, 1}, one{0};
  CHECK_THROWS_WITH(ts::matched_accuracy(two, one, 2), Catch::Contains("2 codes for 1 classes"));
  CHECK_THROWS_WITH(ts::matched_accuracy({}, {}, 2), Catch::Contains("no samples"));
  CHECK_THROWS_WITH(ts::matched_accuracy(two, two, 0), Catch::Contains("0 classes; 1 to 20"));
  CHECK_THROWS_WITH(ts::matched_accuracy(two, two, 21), Catch::Contains("21 classes"));
  const std::vector<std::int64_t> bad{0, 2};
  CHECK_THROWS_WITH(ts::matched_accuracy(two, bad, 2),
                    Catch::Contains("sample 1 has code 1 and class 2, outside [0, 2)"));
  CHECK_THROWS_AS(ts::matched_accuracy(bad, two, 2), std::invalid_argument);
}
