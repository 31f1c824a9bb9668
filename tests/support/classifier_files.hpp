// Files for tests of the scorer (tessera/eval/fashion_scorer.hpp) and of the GAN examples' scoring
// (examples/common/scoring.hpp): a weights file of models::FashionClassifier with the values that
// tests/fixtures/make_scorer_fixtures.py gives its PyTorch twin, and a Fashion-MNIST test split of
// chosen images in IDX files, so that no test trains a classifier or reads the real data set.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>

#include "idx_files.hpp"
#include "tessera/model.hpp"
#include "tessera/models/fashion_classifier.hpp"

namespace tessera::testing {

// make_scorer_fixtures.py's formula_weights: tensor t (in state_dict order), element i: a weight is
// 1.7 sin(0.37 i + 1.3 t + 0.5) / sqrt(fan_in), a bias 0.1 cos(0.71 i + t), in double, then float.
template <class Net>
void set_formula_weights(Net& net) {
  int t = 0;
  for (const auto& e : net.tensors()) {
    const bool weight = e.name.ends_with("weight");
    std::size_t fan_in = 1;
    for (std::size_t d = 1; d < e.dims.size(); ++d) fan_in *= std::size_t(e.dims[d]);
    const auto values = e.values();
    for (std::size_t i = 0; i < values.size(); ++i)
      values[i] =
          weight
              ? float(1.7 * std::sin(0.37 * double(i) + 1.3 * t + 0.5) / std::sqrt(double(fan_in)))
              : float(0.1 * std::cos(0.71 * double(i) + t));
    ++t;
  }
}

// <dir>/classifier.safetensors holding the formula weights; returns its path.
inline std::string formula_classifier_file(const std::filesystem::path& dir) {
  Model<models::FashionClassifier, Shape<1, 28, 28>> net;
  set_formula_weights(net);
  const std::string path = (dir / "classifier.safetensors").string();
  net.save(path);
  return path;
}

// t10k-images/labels in `dir` holding `images` (values in [-1, 1], their bytes recovered from
// p / 255 * 2 - 1), labelled 0, 1, ..., 9, 0, ...
template <class Images>
void write_test_split(const std::filesystem::path& dir, const Images& images) {
  Bytes pixels, labels;
  for (const float v : images.span())
    pixels.push_back(std::uint8_t(std::lround((v + 1.0f) / 2.0f * 255.0f)));
  for (index i = 0; i < images.batch(); ++i) labels.push_back(std::uint8_t(i % 10));
  const auto n = std::uint32_t(images.batch());
  write_bytes(dir / "t10k-images-idx3-ubyte.gz", gzip_bytes(idx_bytes(0x08, {n, 28, 28}, pixels)));
  write_bytes(dir / "t10k-labels-idx1-ubyte.gz", gzip_bytes(idx_bytes(0x08, {n}, labels)));
}

}  // namespace tessera::testing
