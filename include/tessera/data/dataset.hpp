// A labelled image dataset held in memory: every sample of a split as one batch-major tensor, its
// class labels as int64 (the type PyTorch's cross-entropy and embeddings take), and the class
// names. Loaders (data/fashion_mnist.hpp) produce it; data/sampler.hpp draws batches from it.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "tessera/core/shape.hpp"
#include "tessera/core/tensor.hpp"

namespace tessera::data {

template <SingleShape S>
struct LabelledImages {
  Tensor<S, float> images;
  std::vector<std::int64_t> labels;               // one per sample, in [0, class_names.size())
  std::span<const std::string_view> class_names;  // points at the loader's static table

  index size() const { return images.batch(); }
};

}  // namespace tessera::data
