// Segmentation metrics against values worked out by hand: argmax over channels, the Dice
// coefficient pooled and per image, and the empty-mask convention.
#include <catch2/catch.hpp>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "tessera/core/tensor.hpp"
#include "tessera/train/metrics.hpp"

namespace ts = tessera;

TEST_CASE(
    "argmax_labels: per sample for Shape<C>, per pixel for Shape<C, H, W>, ties to the lowest "
    "class") {
  const auto scores = ts::Tensor<ts::Shape<3>>::from({1, 3, 2, 5, 0, 5});
  REQUIRE(ts::argmax_labels(scores) == std::vector<std::int64_t>{1, 0});

  // One sample, two classes, 2x2 pixels: channel 0 then channel 1.
  const auto logits = ts::Tensor<ts::Shape<2, 2, 2>>::from({0.1f, 0.9f, 0.5f, -1.0f,  //
                                                            0.2f, 0.3f, 0.5f, 2.0f});
  REQUIRE(ts::argmax_labels(logits) == std::vector<std::int64_t>{1, 0, 0, 1});
}

TEST_CASE("Dice coefficient of one class: 2|P n T| / (|P| + |T|)") {
  const std::vector<std::int64_t> predicted{1, 1, 0, 0, 1, 0}, target{1, 0, 0, 1, 1, 0};
  // class 1: both at 0 and 4, |P| = 3, |T| = 3 -> 4 / 6; class 0: both at 2 and 5 -> 4 / 6.
  REQUIRE(ts::dice_coefficient(predicted, target) == Approx(4.0 / 6.0));
  REQUIRE(ts::dice_coefficient(predicted, target, 0) == Approx(4.0 / 6.0));
  REQUIRE(ts::dice_coefficient(target, target) == 1.0);
  const std::vector<std::int64_t> none(6, 0), inverse{0, 1, 1, 0, 1, 1};
  REQUIRE(ts::dice_coefficient(none, target) == 0.0);        // nothing predicted
  REQUIRE(ts::dice_coefficient(none, none) == 1.0);          // nothing to find, nothing found
  REQUIRE(ts::dice_coefficient(none, none, 1, 0.0) == 0.0);  // ... unless told otherwise
  REQUIRE(ts::dice_coefficient(inverse, std::vector<std::int64_t>{1, 0, 0, 1, 0, 0}) == 0.0);
  // A third class is just another label: |P n T| = 1 (at 1), |P| = 2, |T| = 1 -> 2 / 3.
  REQUIRE(ts::dice_coefficient(std::vector<std::int64_t>{0, 2, 2},
                               std::vector<std::int64_t>{0, 2, 1}, 2) == Approx(2.0 / 3.0));
}

TEST_CASE("Dice pooled over batches versus averaged per image") {
  // Image 1: predicted {1, 1, 0}, true {1, 0, 0}: 2 * 1 / (2 + 1) = 2/3.
  // Image 2: nothing predicted, nothing there: 1 by convention.
  const std::vector<std::int64_t> predicted{1, 1, 0, 0, 0, 0}, target{1, 0, 0, 0, 0, 0};
  REQUIRE(ts::mean_dice(predicted, target, 3) == Approx((2.0 / 3.0 + 1.0) / 2));
  ts::DiceCounts pooled;
  pooled.add(std::span(predicted).first(3), std::span(target).first(3));
  pooled.add(std::span(predicted).last(3), std::span(target).last(3));
  REQUIRE(pooled.intersection == 1);
  REQUIRE(pooled.predicted == 2);
  REQUIRE(pooled.target == 1);
  REQUIRE(pooled.dice() == Approx(2.0 / 3.0));
  REQUIRE(ts::DiceCounts{}.dice() == 1.0);

  REQUIRE_THROWS_AS(pooled.add(predicted, std::span(target).first(3)), std::invalid_argument);
  REQUIRE_THROWS_AS(ts::mean_dice(predicted, target, 4), std::invalid_argument);
}
