// How well a labelling that names its classes itself agrees with the true classes: InfoGAN's
// categorical code, or a clustering, finds the classes without being told which is which, so its
// code k may be class 3. matched_accuracy counts how often code and class co-occur and takes the
// best one-to-one renaming of the codes (the "clustering accuracy" of unsupervised learning, the
// Hungarian matching of scikit-learn's linear_sum_assignment), solved exactly by dynamic
// programming over the subsets of classes already taken (K * 2^K steps, K <= 20).
//   auto m = ts::matched_accuracy(codes, predicted_classes, 10);
//   m.accuracy;       // the fraction of samples whose class is their code's match
//   m.assignment[k];  // the class code k is matched with
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace tessera {

struct MatchedAccuracy {
  double accuracy = 0;
  std::vector<int> assignment;  // assignment[code] = its class; a permutation of 0..K-1
};

// `codes[i]` and `classes[i]` are sample i's code and class, both in [0, K); K between 1 and 20.
// Ties between assignments go to the one that is smallest in lexicographic order of assignment.
inline MatchedAccuracy matched_accuracy(std::span<const std::int64_t> codes,
                                        std::span<const std::int64_t> classes, int k) {
  const std::string where = "tessera::matched_accuracy: ";
  if (k < 1 || k > 20)
    throw std::invalid_argument(where + std::to_string(k) + " classes; 1 to 20 are supported");
  if (codes.size() != classes.size())
    throw std::invalid_argument(where + std::to_string(codes.size()) + " codes for " +
                                std::to_string(classes.size()) + " classes");
  if (codes.empty()) throw std::invalid_argument(where + "no samples");
  const std::size_t n = std::size_t(k);
  std::vector<std::int64_t> counts(n * n, 0);  // counts[code * K + class]
  for (std::size_t i = 0; i < codes.size(); ++i) {
    if (codes[i] < 0 || codes[i] >= k || classes[i] < 0 || classes[i] >= k)
      throw std::invalid_argument(
          where + "sample " + std::to_string(i) + " has code " + std::to_string(codes[i]) +
          " and class " + std::to_string(classes[i]) + ", outside [0, " + std::to_string(k) + ")");
    ++counts[std::size_t(codes[i]) * n + std::size_t(classes[i])];
  }
  // best[mask]: the most samples that codes popcount(mask) .. K-1 can match when the classes in
  // `mask` are taken already (by codes 0 .. popcount(mask) - 1). Filled from the full mask down,
  // so that the assignment is read off front to back, the lowest class first on ties.
  const std::size_t full = (std::size_t(1) << n) - 1;
  std::vector<std::int64_t> best(full + 1, 0);
  for (std::size_t mask = full; mask-- > 0;) {
    const std::size_t code = std::size_t(std::popcount(mask));
    std::int64_t most = -1;
    for (std::size_t c = 0; c < n; ++c)
      if (!(mask >> c & 1))
        most = std::max(most, counts[code * n + c] + best[mask | std::size_t(1) << c]);
    best[mask] = most;
  }
  MatchedAccuracy m;
  std::size_t mask = 0;
  for (std::size_t code = 0; code < n; ++code)
    for (std::size_t c = 0; c < n; ++c)
      if (!(mask >> c & 1) &&
          counts[code * n + c] + best[mask | std::size_t(1) << c] == best[mask]) {
        m.assignment.push_back(int(c));
        mask |= std::size_t(1) << c;
        break;
      }
  m.accuracy = double(best[0]) / double(codes.size());
  return m;
}

}  // namespace tessera
