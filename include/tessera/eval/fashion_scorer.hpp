// Scores generated Fashion-MNIST images with the classifier that examples/classifier.cpp trains
// (models::FashionClassifier): the Frechet distance between the generated images' and the test
// set's 128 penultimate activations ("Fashion-MNIST FID on tessera classifier features": it has
// FID's formula, not Inception's features, so its numbers compare only with each other), and the
// fraction of conditional samples that the classifier puts in the class they were asked for.
//   ts::FashionScorer scorer("classifier_output/classifier.safetensors");
//   double fid = scorer.fid(images);                        // 1x28x28 images in [-1, 1]
//   double hit = scorer.class_accuracy(images, labels);     // the classes G was asked for
//   scorer.fid(ts::FashionScorer::centre_crop(images32));   // wgan's 32x32 padded images
// Tools side (tessera::tools): the test set's statistics come from the IDX files.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

#include "tessera/compose/sequential.hpp"
#include "tessera/core/tensor.hpp"
#include "tessera/data/fashion_mnist.hpp"
#include "tessera/eval/frechet.hpp"
#include "tessera/io/weights.hpp"
#include "tessera/layers/center_crop.hpp"
#include "tessera/layers/softmax.hpp"
#include "tessera/model.hpp"
#include "tessera/models/fashion_classifier.hpp"

namespace tessera {

class FashionScorer {
 public:
  using Image = Shape<1, 28, 28>;
  static constexpr int feature_count = 128;
  static constexpr int class_count = 10;
  using Features = Shape<feature_count>;
  using Probabilities = Shape<class_count>;
  // Images per forward pass, so that the arenas stay small whatever the set's size: predict keeps
  // two of the largest activation (32x28x28 floats), about 200 KB an image, so 20 MB.
  static constexpr index chunk = 100;

  // Reads the classifier's weights, checked as a whole before anything is used: a missing file,
  // a missing or unexpected tensor, or one of another shape is a WeightsError naming the file
  // (and the tensor). `data_dir` holds the Fashion-MNIST IDX files that test_statistics() reads.
  explicit FashionScorer(const std::string& weights,
                         const std::filesystem::path& data_dir = data::fashion_mnist_default_dir)
      : weights_(weights), data_dir_(data_dir) {
    if (!std::filesystem::is_regular_file(weights))
      throw WeightsError(weights,
                         "no such file: the scorer reads the weights that examples/classifier "
                         "writes (classifier --out DIR gives DIR/classifier.safetensors)");
    {
      // The whole classifier, strictly: every name and shape, and nothing else in the file.
      Model<models::FashionClassifier, Image> whole;
      whole.load(weights);
    }
    // Then its two parts, each taking its own keys from the same file.
    features_.load(weights, {.strict = false});
    head_.load(weights, {.strict = false});
    features_.eval();
    head_.eval();
  }

  const std::string& weights() const { return weights_; }

  struct Scores {
    Tensor<Features> features;            // the penultimate activations (after the ReLU)
    Tensor<Probabilities> probabilities;  // softmax of the logits, one row per image
  };

  // Features and class probabilities of 1x28x28 images in [-1, 1] (as the loader and the GANs'
  // Tanh give them).
  Scores score(View<Image, const float> images) {
    Scores s{Tensor<Features>(images.batch()), Tensor<Probabilities>(images.batch())};
    for_chunks(images,
               [&](index start, View<Features, const float> f, View<Probabilities, const float> p) {
                 std::copy(f.data(), f.data() + f.size(),
                           s.features.data() + std::size_t(start) * Features::size);
                 std::copy(p.data(), p.data() + p.size(),
                           s.probabilities.data() + std::size_t(start) * Probabilities::size);
               });
    return s;
  }

  // The Gaussian of the images' features.
  GaussianStats statistics(View<Image, const float> images) {
    FeatureMoments moments(feature_count);
    for_chunks(images, [&](index, View<Features, const float> f, View<Probabilities, const float>) {
      moments.add(f);
    });
    return moments.stats();
  }

  // The Gaussian of the 10,000 test images' features: read and computed on the first call only.
  const GaussianStats& test_statistics() {
    if (!test_) test_ = statistics(data::load_fashion_mnist(data::Split::test, data_dir_).images);
    return *test_;
  }

  // The Frechet distance between the images' features and the test set's.
  double fid(View<Image, const float> images) {
    return frechet_distance(statistics(images), test_statistics());
  }
  // The same of images scored already: with class_accuracy(scores, ...), one pass of the
  // classifier gives both.
  double fid(const Scores& scores) {
    FeatureMoments moments(feature_count);
    moments.add(scores.features);
    return frechet_distance(moments.stats(), test_statistics());
  }

  // The fraction of images whose most probable class is their label (ties to the lower class).
  double class_accuracy(View<Image, const float> images, std::span<const std::int64_t> labels) {
    check_labels(labels, images.batch());
    return class_accuracy(score(images), labels);
  }
  static double class_accuracy(const Scores& scores, std::span<const std::int64_t> labels) {
    const index n = scores.probabilities.batch();
    check_labels(labels, n);
    std::int64_t hits = 0;
    for (index i = 0; i < n; ++i) {
      const float* row = scores.probabilities.data() + std::size_t(i) * class_count;
      hits += std::max_element(row, row + class_count) - row == labels[std::size_t(i)];
    }
    return double(hits) / double(n);
  }

  // The central 28x28 of larger images (wgan's, padded to 32x32 with a 2-pixel frame of -1), at
  // CenterCrop's offsets (torchvision's CenterCrop): 32 -> 28 keeps rows and columns 2 to 29.
  // Images of another size made by resizing (dcgan's 64x64) want a resize back, not a crop.
  template <TensorOrView X>
  static Tensor<Image> centre_crop(const X& images) {
    using S = typename X::shape;
    static_assert(S::rank == 3 && S::dims[0] == 1 && S::dims[1] >= 28 && S::dims[2] >= 28,
                  "tessera::FashionScorer::centre_crop: images of Shape<1, H, W> with H, W >= 28");
    constexpr int h = S::dims[1], w = S::dims[2];
    constexpr int top = detail::center_crop_offset(h - 28),
                  left = detail::center_crop_offset(w - 28);
    const const_view_of<X> x = images;
    Tensor<Image> out(x.batch());
    for (index i = 0; i < x.batch(); ++i)
      for (int y = 0; y < 28; ++y)
        std::memcpy(out.data() + (std::size_t(i) * 28 + std::size_t(y)) * 28,
                    x.data() + (std::size_t(i) * h + std::size_t(y + top)) * w + left,
                    28 * sizeof(float));
    return out;
  }

 private:
  static void check_labels(std::span<const std::int64_t> labels, index images) {
    if (labels.size() != std::size_t(images))
      throw std::invalid_argument(
          "tessera::FashionScorer::class_accuracy: " + std::to_string(labels.size()) +
          " labels for " + std::to_string(images) + " images");
    if (images == 0)
      throw std::invalid_argument("tessera::FashionScorer::class_accuracy: no images");
  }

  // Runs the classifier over `images` in chunks, calling use(first index, features, probabilities).
  template <class Use>
  void for_chunks(View<Image, const float> images, Use use) {
    for (index start = 0; start < images.batch(); start += chunk) {
      const index n = std::min(chunk, images.batch() - start);
      const View<Image, const float> part(images.data() + std::size_t(start) * Image::size, n);
      const View<Features, const float> f = features_.predict(part);
      const View<Probabilities, const float> p = head_.predict(f);
      use(start, f, p);
    }
  }

  std::string weights_;
  std::filesystem::path data_dir_;
  Model<models::FashionFeatures, Image> features_;
  Model<Sequential<models::FashionHead, Softmax>, Features> head_;
  std::optional<GaussianStats> test_;
};

}  // namespace tessera
