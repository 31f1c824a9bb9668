// Tests for tessera/data/sampler.hpp: every Index once per epoch, drop_last, reproducibility from a
// seed, and that fill() copies the chosen samples into the caller's tensor.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <numeric>
#include <vector>

#include "tessera/data/sampler.hpp"

namespace ts = tessera;
using Index = ts::index;
using ts::data::BatchSampler;

namespace {
std::vector<Index> epoch_indices(const BatchSampler& s) {
  std::vector<Index> all;
  for (Index b = 0; b < s.batches(); ++b) {
    const auto batch = s.indices(b);
    all.insert(all.end(), batch.begin(), batch.end());
  }
  return all;
}

// A dataset of n 2x3x1 samples whose every element is the sample's Index, labelled 100 + Index.
ts::data::LabelledImages<ts::Shape<2, 3, 1>> numbered(Index n) {
  ts::data::LabelledImages<ts::Shape<2, 3, 1>> d;
  d.images = ts::Tensor<ts::Shape<2, 3, 1>>(n);
  for (Index i = 0; i < n; ++i) {
    std::fill_n(d.images.data() + i * 6, 6, float(i));
    d.labels.push_back(100 + i);
  }
  return d;
}
}  // namespace

TEST_CASE("BatchSampler: before any shuffle the order is sequential", "[sampler]") {
  const BatchSampler s(10, 4);
  CHECK(s.batches() == 3);
  CHECK(std::vector<Index>(s.indices(0).begin(), s.indices(0).end()) ==
        std::vector<Index>{0, 1, 2, 3});
  CHECK(std::vector<Index>(s.indices(2).begin(), s.indices(2).end()) == std::vector<Index>{8, 9});
  CHECK_THROWS_AS(s.indices(3), std::out_of_range);
}

TEST_CASE("BatchSampler: each Index exactly once per epoch, every epoch", "[sampler]") {
  BatchSampler s(1003, 64);
  CHECK(s.batches() == 16);
  ts::Generator rng(7);
  std::vector<Index> previous;
  for (int epoch = 0; epoch < 4; ++epoch) {
    s.shuffle(rng);
    std::vector<Index> all = epoch_indices(s);
    CHECK(s.indices(15).size() == 1003 - 15 * 64);
    CHECK(all != previous);  // a new order every epoch
    previous = all;
    std::sort(all.begin(), all.end());
    std::vector<Index> expected(1003);
    std::iota(expected.begin(), expected.end(), Index(0));
    CHECK(all == expected);
  }
}

TEST_CASE("BatchSampler: drop_last leaves out the short batch", "[sampler]") {
  BatchSampler s(1003, 64, /*drop_last=*/true);
  CHECK(s.batches() == 15);
  ts::Generator rng(1);
  s.shuffle(rng);
  std::vector<Index> all = epoch_indices(s);
  CHECK(all.size() == 15 * 64);
  std::sort(all.begin(), all.end());
  CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());  // none twice
  CHECK(all.back() < 1003);

  CHECK(BatchSampler(10, 16, true).batches() == 0);
  CHECK(BatchSampler(10, 16, false).batches() == 1);
  CHECK(BatchSampler(0, 16).batches() == 0);
}

TEST_CASE("BatchSampler: the same seed gives the same epochs, another seed others", "[sampler]") {
  BatchSampler a(500, 32), b(500, 32), c(500, 32);
  ts::Generator ra(42), rb(42), rc(43);
  for (int epoch = 0; epoch < 3; ++epoch) {
    a.shuffle(ra);
    b.shuffle(rb);
    c.shuffle(rc);
    CHECK(epoch_indices(a) == epoch_indices(b));
    CHECK(epoch_indices(a) != epoch_indices(c));
  }
}

TEST_CASE("BatchSampler: the first position of a shuffle is spread over all indices", "[sampler]") {
  // 4000 shuffles of 8: each Index should come first about 500 times.
  BatchSampler s(8, 8);
  ts::Generator rng(3);
  std::vector<int> first(8);
  for (int k = 0; k < 4000; ++k) {
    s.shuffle(rng);
    ++first[std::size_t(s.order()[0])];
  }
  for (const int count : first) CHECK((count > 400 && count < 600));
}

TEST_CASE("BatchSampler::fill copies the batch's samples and labels into the caller's tensor",
          "[sampler]") {
  const auto data = numbered(10);
  BatchSampler s(10, 4);
  ts::Generator rng(5);
  s.shuffle(rng);
  ts::Tensor<ts::Shape<2, 3, 1>> x(4);
  std::vector<std::int64_t> y(4, -1);

  for (Index b = 0; b < s.batches(); ++b) {
    const auto view = s.fill(b, data, x, y);
    CHECK(view.data() == x.data());  // the caller's storage, not a copy
    const auto chosen = s.indices(b);
    REQUIRE(view.batch() == Index(chosen.size()));
    for (Index i = 0; i < view.batch(); ++i) {
      CHECK(view.at(i, 1, 2, 0) == float(chosen[std::size_t(i)]));
      CHECK(y[std::size_t(i)] == 100 + chosen[std::size_t(i)]);
    }
  }
  CHECK(s.fill(2, data, x).batch() == 2);  // labels are optional

  ts::Tensor<ts::Shape<2, 3, 1>> small(3);
  CHECK_THROWS_AS(s.fill(0, data, small), std::invalid_argument);
  std::vector<std::int64_t> few(2);
  CHECK_THROWS_AS(s.fill(0, data, x, few), std::invalid_argument);
  CHECK_THROWS_AS(BatchSampler(11, 4).fill(0, data, x), std::invalid_argument);
  CHECK_THROWS_AS(BatchSampler(10, 0), std::invalid_argument);
}
