// FashionScorer (tessera/eval/fashion_scorer.hpp) with a classifier of known weights: its features
// and probabilities against PyTorch's, its FID against a "test set" it reads from IDX files against
// numpy's, its class accuracy, the centre crop, and a weights file that is missing or does not
// hold the classifier (make_scorer_fixtures.py writes the reference numbers).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "../support/classifier_files.hpp"
#include "../support/fixtures.hpp"
#include "../support/temp_dir.hpp"
#include "tessera/eval/fashion_scorer.hpp"
#include "tessera/train/metrics.hpp"

namespace ts = tessera;
using ts::FashionScorer;
using ts::testing::fixture_values;
using ts::testing::TempDir;
using Image = FashionScorer::Image;

namespace {

ts::io::SafetensorsFile scorer_fixture() {
  return ts::io::read_safetensors(std::string(TESSERA_TEST_DATA_DIR) +
                                  "/fixtures/eval/fashion_scorer.safetensors");
}

std::string formula_weights_file(const TempDir& dir) {
  return ts::testing::formula_classifier_file(dir.path());
}

ts::Tensor<Image> flipped(const ts::Tensor<Image>& images) {
  ts::Tensor<Image> out(images.batch());
  for (ts::index i = 0; i < images.batch(); ++i)
    for (int y = 0; y < 28; ++y)
      for (int x = 0; x < 28; ++x) out.at(i, 0, y, x) = images.at(i, 0, y, 27 - x);
  return out;
}

template <class X>
void check_close(const X& got, const std::vector<double>& want, double atol) {
  REQUIRE(got.size() == want.size());
  double worst = 0;
  for (std::size_t i = 0; i < want.size(); ++i)
    worst = std::max(worst, std::abs(double(got.data()[i]) - want[i]));
  INFO("largest difference " << worst);
  CHECK(worst <= atol);
}

// The message of the WeightsError (or another FileError) that constructing a scorer throws.
std::string scorer_error(const std::string& path) {
  try {
    FashionScorer scorer(path);
  } catch (const ts::io::FileError& e) {
    CHECK(e.path() == path);
    return e.what();
  }
  FAIL("no error for " << path);
  return {};
}

}  // namespace

// As PyTorch counts them (make_scorer_fixtures.py's FashionClassifier).
static_assert(ts::Model<ts::models::FashionClassifier, Image>::parameter_count == 421'642);
static_assert(ts::Model<ts::models::FashionFeatures, Image>::parameter_count == 420'352);

TEST_CASE("FashionScorer: features and probabilities as PyTorch's classifier gives them",
          "[eval][scorer]") {
  const auto file = scorer_fixture();
  TempDir dir("tessera_scorer");
  FashionScorer scorer(formula_weights_file(dir), dir.path());
  const auto images = ts::Tensor<Image>::from(fixture_values<float>(file, "images"));
  REQUIRE(images.batch() == 10);

  const FashionScorer::Scores s = scorer.score(images);
  check_close(s.features, fixture_values<double>(file, "features"), 1e-5);
  check_close(s.probabilities, fixture_values<double>(file, "probabilities"), 1e-6);
  const FashionScorer::Scores f = scorer.score(flipped(images));
  check_close(f.features, fixture_values<double>(file, "flipped.features"), 1e-5);
  check_close(f.probabilities, fixture_values<double>(file, "flipped.probabilities"), 1e-6);
  for (ts::index i = 0; i < 10; ++i) {
    double sum = 0;
    for (int c = 0; c < 10; ++c) sum += s.probabilities.at(i, c);
    CHECK(sum == Approx(1.0).epsilon(1e-6));
  }
}

TEST_CASE("FashionScorer: FID against the test set it reads, as numpy computes it",
          "[eval][scorer]") {
  const auto file = scorer_fixture();
  TempDir dir("tessera_scorer");
  const auto images = ts::Tensor<Image>::from(fixture_values<float>(file, "images"));
  ts::testing::write_test_split(dir.path(),
                                images);  // the scorer's "test set": the ten images themselves
  FashionScorer scorer(formula_weights_file(dir), dir.path());

  const ts::GaussianStats& test = scorer.test_statistics();
  CHECK(test.count == 10);
  CHECK(&scorer.test_statistics() == &test);  // computed once
  CHECK(scorer.fid(flipped(images)) ==
        Approx(ts::testing::fixture_scalar(file, "fid")).epsilon(1e-5));
  CHECK(scorer.fid(images) == Approx(0.0).margin(1e-6));
  // From the scores of one pass of the classifier: the same distance.
  CHECK(scorer.fid(scorer.score(flipped(images))) ==
        Approx(ts::testing::fixture_scalar(file, "fid")).epsilon(1e-5));
  CHECK(scorer.fid(scorer.score(flipped(images))) ==
        Approx(scorer.fid(flipped(images))).epsilon(1e-9));
  // statistics() of one set, in chunks of FashionScorer::chunk: a set larger than a chunk.
  ts::Tensor<Image> many(FashionScorer::chunk + 7);
  for (ts::index i = 0; i < many.batch(); ++i)
    std::copy(images.data() + (i % 10) * Image::size, images.data() + (i % 10 + 1) * Image::size,
              many.data() + i * Image::size);
  const ts::GaussianStats repeated = scorer.statistics(many);
  const auto features = scorer.score(images).features;
  ts::FeatureMoments expected(FashionScorer::feature_count);
  for (ts::index i = 0; i < many.batch(); ++i) expected.add(features.data() + (i % 10) * 128, 1);
  CHECK(repeated.count == FashionScorer::chunk + 7);
  // A chunk and ten images are different convolution problems: the chunk's may run Winograd's
  // algorithm (ts::ConvolutionAlgorithm), whose rounding moves the features by about 1e-6.
  CHECK((repeated.mean - expected.stats().mean).cwiseAbs().maxCoeff() < 1e-5);
  CHECK((repeated.covariance - expected.stats().covariance).cwiseAbs().maxCoeff() < 1e-5);
}

TEST_CASE("FashionScorer: class accuracy is the fraction classified as labelled",
          "[eval][scorer]") {
  const auto file = scorer_fixture();
  TempDir dir("tessera_scorer");
  FashionScorer scorer(formula_weights_file(dir), dir.path());
  const auto images = ts::Tensor<Image>::from(fixture_values<float>(file, "images"));
  const std::vector<std::int64_t> labels =
      ts::testing::record_integers(ts::testing::fixture_record(file, "labels"));
  CHECK(scorer.class_accuracy(images, labels) ==
        Approx(ts::testing::fixture_scalar(file, "accuracy")));
  const std::vector<std::int64_t> predicted = ts::argmax_labels(scorer.score(images).probabilities);
  CHECK(scorer.class_accuracy(images, predicted) == 1.0);
  // From the scores of one pass of the classifier: the same fractions.
  const FashionScorer::Scores scores = scorer.score(images);
  CHECK(FashionScorer::class_accuracy(scores, labels) ==
        Approx(ts::testing::fixture_scalar(file, "accuracy")));
  CHECK(FashionScorer::class_accuracy(scores, predicted) == 1.0);
  CHECK_THROWS_WITH(FashionScorer::class_accuracy(scores, std::vector<std::int64_t>(11)),
                    Catch::Contains("11 labels for 10 images"));
  CHECK_THROWS_WITH(scorer.class_accuracy(images, std::vector<std::int64_t>(9)),
                    Catch::Contains("9 labels for 10 images"));
}

TEST_CASE("FashionScorer::centre_crop takes torchvision's CenterCrop window", "[eval][scorer]") {
  // wgan's images: 28x28 in a frame of 2 pixels of -1.
  ts::Tensor<ts::Shape<1, 32, 32>> framed(3, -1.0f);
  ts::Tensor<Image> inner(3);
  for (ts::index i = 0; i < 3; ++i)
    for (int y = 0; y < 28; ++y)
      for (int x = 0; x < 28; ++x)
        framed.at(i, 0, y + 2, x + 2) = inner.at(i, 0, y, x) = float(i * 1000 + y * 28 + x);
  const ts::Tensor<Image> cropped = FashionScorer::centre_crop(framed);
  CHECK(std::equal(cropped.span().begin(), cropped.span().end(), inner.span().begin(),
                   inner.span().end()));

  // Uneven margins: 30 -> 28 starts at row 1, 33 -> 28 at column round(2.5) = 2 (half to even).
  ts::Tensor<ts::Shape<1, 30, 33>> odd(2);
  for (std::size_t k = 0; k < odd.span().size(); ++k) odd.span()[k] = float(k);
  const ts::Tensor<Image> c = FashionScorer::centre_crop(odd);
  CHECK(c.at(1, 0, 0, 0) == odd.at(1, 0, 1, 2));
  CHECK(c.at(1, 0, 27, 27) == odd.at(1, 0, 28, 29));
}

TEST_CASE(
    "FashionScorer: a weights file that is missing or not the classifier's is refused by name",
    "[eval][scorer]") {
  TempDir dir("tessera_scorer");
  const std::string missing = (dir / "nothing.safetensors").string();
  CHECK_THAT(scorer_error(missing),
             Catch::Contains(missing + ": no such file") && Catch::Contains("examples/classifier"));

  // The feature extractor alone: the classifier's keys are missing.
  ts::Model<ts::models::FashionFeatures, Image> features_only;
  const std::string partial = (dir / "features.safetensors").string();
  features_only.save(partial);
  CHECK_THAT(scorer_error(partial),
             Catch::Contains("missing keys 'classifier.weight', 'classifier.bias'"));

  // Names right, a width wrong.
  using Narrow = ts::Sequential<
      ts::Named<"features", ts::Sequential<ts::Conv2d<16, 3, 1, 1>, ts::ReLU, ts::MaxPool2d<2>,
                                           ts::Conv2d<64, 3, 1, 1>, ts::ReLU, ts::MaxPool2d<2>,
                                           ts::Flatten, ts::Linear<128>, ts::ReLU>>,
      ts::models::FashionHead>;
  ts::Model<Narrow, Image> narrow;
  const std::string wrong_shape = (dir / "narrow.safetensors").string();
  narrow.save(wrong_shape);
  CHECK_THAT(scorer_error(wrong_shape),
             Catch::Contains("tensor 'features.0.weight' has shape [16, 1, 3, 3] but the model "
                             "expects [32, 1, 3, 3]"));

  // Everything, and one tensor more.
  ts::Model<ts::models::FashionClassifier, Image> net;
  const std::string extra = (dir / "extra.safetensors").string();
  ts::save_models(extra, {{"", net}, {"extra", features_only}});
  CHECK_THAT(scorer_error(extra), Catch::Contains("unexpected key 'extra."));

  // Not a safetensors file at all.
  const std::string text = (dir / "notes.safetensors").string();
  std::ofstream(text) << "not weights";
  CHECK_THAT(scorer_error(text), Catch::StartsWith(text + ": "));

  // And the whole classifier is accepted.
  const std::string good = (dir / "good.safetensors").string();
  net.save(good);
  CHECK_NOTHROW(FashionScorer(good));
}
