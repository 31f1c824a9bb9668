// The model the Model::load and optimizer-state fuzzers load into: small, but with every kind of
// named tensor a model has (Conv2d and Linear parameters, BatchNorm2d running statistics and its
// num_batches_tracked counter), so every branch of the loaders' per-tensor checks is reachable.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "tessera/compose/sequential.hpp"
#include "tessera/layers/batch_norm2d.hpp"
#include "tessera/layers/conv2d.hpp"
#include "tessera/layers/linear.hpp"
#include "tessera/layers/relu.hpp"
#include "tessera/layers/reshape.hpp"
#include "tessera/model.hpp"

namespace tessera::fuzz {

using FuzzNet = Sequential<Conv2d<4, 3, 1, 1>, BatchNorm2d<>, ReLU, Flatten, Linear<3>>;
using FuzzInput = Shape<1, 6, 6>;
using FuzzModel = Model<FuzzNet, FuzzInput>;

// Every value and counter of a model, to put it back before each input (so that an input behaves
// the same whatever ran before it) and to check that a rejected load changed nothing.
class Snapshot {
 public:
  explicit Snapshot(const FuzzModel& model) {
    for (const auto& e : model.tensors()) {
      if (e.kind == TensorEntry<float>::Kind::counter) {
        counters_.push_back(*e.count);
      } else {
        const auto v = e.values();
        values_.insert(values_.end(), v.begin(), v.end());
      }
    }
  }
  void restore(const FuzzModel& model) const {
    std::size_t at = 0, counter = 0;
    for (const auto& e : model.tensors()) {
      if (e.kind == TensorEntry<float>::Kind::counter) {
        *e.count = counters_[counter++];
      } else {
        std::memcpy(e.value, values_.data() + at, e.size() * sizeof(float));
        at += e.size();
      }
    }
  }
  // Bitwise, so that a NaN written by a partial load is seen too.
  bool same_as(const FuzzModel& model) const {
    const Snapshot now(model);
    return now.counters_ == counters_ && now.values_.size() == values_.size() &&
           std::memcmp(now.values_.data(), values_.data(), values_.size() * sizeof(float)) == 0;
  }

 private:
  std::vector<float> values_;
  std::vector<std::int64_t> counters_;
};

}  // namespace tessera::fuzz
