// Metrics of segmentation outputs: per-pixel class labels from logits (argmax over channels) and
// the Dice coefficient 2|P n T| / (|P| + |T|) of one class between predicted and true label maps,
// pooled over a whole set or averaged per image.
//   auto predicted = ts::argmax_labels(net.predict(x));     // (N, H, W) labels from Shape<C, H, W>
//   ts::DiceCounts dice;
//   dice.add(predicted, true_labels);                         // class 1, by default
//   dice.dice();                                              // pooled over everything added
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "tessera/train/loss.hpp"

namespace tessera {

// The class of highest logit at each position of Shape<C> or Shape<C, H, W> logits, laid out as
// cross_entropy_loss takes labels: one per sample (Shape<C>) or per sample and position (N, H, W).
// Ties go to the lowest class, as torch.argmax.
template <TensorOrView X>
std::vector<std::int64_t> argmax_labels(const X& logits) {
  using S = typename X::shape;
  static_assert(S::rank >= 1, "tessera::argmax_labels: logits of Shape<C> or Shape<C, H, W>");
  constexpr std::size_t classes = std::size_t(S::dims[0]), positions = S::size / classes;
  const const_view_of<X> x = logits;
  const std::size_t n = std::size_t(x.batch());
  std::vector<std::int64_t> labels(n * positions);
  for (std::size_t s = 0; s < n; ++s) {
    const auto* sample = x.data() + s * S::size;
    for (std::size_t p = 0; p < positions; ++p) {
      std::size_t best = 0;
      for (std::size_t c = 1; c < classes; ++c)
        if (sample[c * positions + p] > sample[best * positions + p]) best = c;
      labels[s * positions + p] = std::int64_t(best);
    }
  }
  return labels;
}

// Counts for the Dice coefficient of one class, accumulated over batches: the positions where both
// maps have the class, and where each has it.
struct DiceCounts {
  std::int64_t intersection = 0, predicted = 0, target = 0;

  void add(std::span<const std::int64_t> predicted_labels,
           std::span<const std::int64_t> target_labels, std::int64_t cls = 1) {
    if (predicted_labels.size() != target_labels.size())
      throw std::invalid_argument(
          "tessera::DiceCounts::add: " + std::to_string(predicted_labels.size()) +
          " predicted labels but " + std::to_string(target_labels.size()) + " target labels");
    for (std::size_t i = 0; i < predicted_labels.size(); ++i) {
      const bool p = predicted_labels[i] == cls, t = target_labels[i] == cls;
      intersection += p && t;
      predicted += p;
      target += t;
    }
  }
  // 2|P n T| / (|P| + |T|); `empty` when neither map has the class (both agree: 1, by convention).
  double dice(double empty = 1.0) const {
    const std::int64_t total = predicted + target;
    return total == 0 ? empty : 2.0 * double(intersection) / double(total);
  }
};

// The Dice coefficient of class `cls` between two label maps of the same size.
inline double dice_coefficient(std::span<const std::int64_t> predicted,
                               std::span<const std::int64_t> target, std::int64_t cls = 1,
                               double empty = 1.0) {
  DiceCounts counts;
  counts.add(predicted, target, cls);
  return counts.dice(empty);
}

// The mean over images of each image's Dice coefficient; `positions` labels per image (H * W).
inline double mean_dice(std::span<const std::int64_t> predicted,
                        std::span<const std::int64_t> target, std::size_t positions,
                        std::int64_t cls = 1, double empty = 1.0) {
  if (positions == 0 || predicted.size() % positions != 0)
    throw std::invalid_argument("tessera::mean_dice: " + std::to_string(predicted.size()) +
                                " labels are not a whole number of images of " +
                                std::to_string(positions));
  if (predicted.size() != target.size())
    throw std::invalid_argument("tessera::mean_dice: " + std::to_string(predicted.size()) +
                                " predicted labels but " + std::to_string(target.size()) +
                                " target labels");
  const std::size_t images = predicted.size() / positions;
  if (images == 0) throw std::invalid_argument("tessera::mean_dice: no images");
  double sum = 0;
  for (std::size_t i = 0; i < images; ++i)
    sum += dice_coefficient(predicted.subspan(i * positions, positions),
                            target.subspan(i * positions, positions), cls, empty);
  return sum / double(images);
}

}  // namespace tessera
