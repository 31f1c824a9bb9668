// Shuffled mini-batches over an epoch, like PyTorch's DataLoader(shuffle=True, drop_last=...) for
// a dataset held in memory. The order comes from an explicit Generator, so a seed reproduces a
// run; batches are copied into a tensor the caller owns, so a training loop allocates nothing.
//   data::BatchSampler sampler(train.size(), 64, /*drop_last=*/true);
//   Tensor<Shape<1, 28, 28>> x(64);
//   for (int epoch = 0; epoch < epochs; ++epoch) {
//     sampler.shuffle(rng);
//     for (index b = 0; b < sampler.batches(); ++b) {
//       View<Shape<1, 28, 28>> real = sampler.fill(b, train, x);   // batch 64, or fewer at the end
//       ...
//     }
//   }
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "tessera/core/random.hpp"
#include "tessera/core/shape.hpp"
#include "tessera/core/tensor.hpp"
#include "tessera/data/dataset.hpp"

namespace tessera::data {

// Uniform in [0, bound) without modulo bias: draws below 2^64 mod bound are rejected, so every
// value has the same number of 64-bit draws mapping to it.
inline std::uint64_t uniform_below(Generator& rng, std::uint64_t bound) {
  const std::uint64_t reject_below = (std::uint64_t(0) - bound) % bound;
  for (;;) {
    const std::uint64_t r = rng.next();
    if (r >= reject_below) return r % bound;
  }
}

class BatchSampler {
 public:
  // Until the first shuffle() the order is 0, 1, 2, ... (PyTorch's shuffle=False).
  BatchSampler(index dataset_size, index batch_size, bool drop_last = false)
      : batch_size_(batch_size),
        drop_last_(drop_last),
        order_(std::size_t(std::max<index>(dataset_size, 0))) {
    if (dataset_size < 0)
      throw std::invalid_argument("tessera::data::BatchSampler: negative dataset size");
    if (batch_size <= 0)
      throw std::invalid_argument("tessera::data::BatchSampler: batch size must be positive");
    std::iota(order_.begin(), order_.end(), index(0));
  }

  // Starts an epoch in a fresh random order (Fisher-Yates). The order depends only on the
  // generator's state, not on earlier epochs.
  void shuffle(Generator& rng) {
    std::iota(order_.begin(), order_.end(), index(0));
    for (std::size_t i = order_.size(); i > 1; --i)
      std::swap(order_[i - 1], order_[std::size_t(uniform_below(rng, i))]);
  }

  index dataset_size() const { return index(order_.size()); }
  index batch_size() const { return batch_size_; }
  bool drop_last() const { return drop_last_; }
  // Batches per epoch: a last, smaller batch counts unless drop_last.
  index batches() const {
    const index n = dataset_size();
    return drop_last_ ? n / batch_size_ : (n + batch_size_ - 1) / batch_size_;
  }
  // The whole epoch's order.
  std::span<const index> order() const { return order_; }
  // The dataset indices of batch b.
  std::span<const index> indices(index b) const {
    if (b < 0 || b >= batches())
      throw std::out_of_range("tessera::data::BatchSampler: batch " + std::to_string(b) + " of " +
                              std::to_string(batches()));
    const index begin = b * batch_size_;
    const index end = std::min(begin + batch_size_, dataset_size());
    return std::span(order_).subspan(std::size_t(begin), std::size_t(end - begin));
  }

  // Copies batch b's samples into `images` (and their labels into `labels`, unless empty) and
  // returns the view of `images` they fill: batch_size() samples, or fewer in a last batch.
  template <SingleShape S>
  View<S, float> fill(index b, const LabelledImages<S>& data,
                      std::type_identity_t<View<S, float>> images,
                      std::span<std::int64_t> labels = {}) const {
    if (data.size() != dataset_size())
      throw std::invalid_argument("tessera::data::BatchSampler::fill: the sampler was made for " +
                                  std::to_string(dataset_size()) + " samples, the dataset has " +
                                  std::to_string(data.size()));
    const std::span<const index> batch = indices(b);
    const index n = index(batch.size());
    if (images.batch() < n)
      throw std::invalid_argument("tessera::data::BatchSampler::fill: the images tensor holds " +
                                  std::to_string(images.batch()) + " samples, the batch has " +
                                  std::to_string(n));
    if (!labels.empty() && index(labels.size()) < n)
      throw std::invalid_argument("tessera::data::BatchSampler::fill: the labels span holds " +
                                  std::to_string(labels.size()) + " values, the batch has " +
                                  std::to_string(n));
    for (index i = 0; i < n; ++i) {
      const index src = batch[std::size_t(i)];
      std::memcpy(images.data() + std::size_t(i) * S::size,
                  data.images.data() + std::size_t(src) * S::size, S::size * sizeof(float));
      if (!labels.empty()) labels[std::size_t(i)] = data.labels[std::size_t(src)];
    }
    return View<S, float>(images.data(), n);
  }

 private:
  index batch_size_;
  bool drop_last_;
  std::vector<index> order_;
};

}  // namespace tessera::data
