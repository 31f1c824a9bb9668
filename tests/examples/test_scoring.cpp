// The GAN examples' score (examples/common/scoring.hpp): with the classifier's weights, the line it
// prints carries the FID and class accuracy that FashionScorer gives the same generated images;
// without them, or with a file that is not them, or without readable test images, it is one line
// saying why and never an exception; and its flags take and refuse what they say. The generator is
// a tiny untrained model and the classifier has fixed formula weights, so nothing trains here.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "../../examples/common/scoring.hpp"
#include "../support/classifier_files.hpp"
#include "../support/fixtures.hpp"
#include "../support/temp_dir.hpp"

namespace ts = tessera;
using examples::GanScoring;
using examples::ScoreSettings;
using ts::testing::TempDir;
using Image = ts::Shape<1, 28, 28>;

namespace {

// A generator's stand-in: untrained, 8-d noise to 784 pixels in [-1, 1].
using TinyG = ts::Model<ts::Sequential<ts::Linear<784>, ts::Tanh>, ts::Shape<8>>;

// What report() hands generate(), and what generate() gave back.
struct Generated {
  std::vector<std::int64_t> labels;
  std::vector<std::size_t> chunks;
  std::vector<float> pixels;
  bool eval_mode = true;  // G was in eval mode at every call
};

// A generate(labels, rng) for report(): G's images of fresh noise, recorded in `seen`.
auto tiny_generate(TinyG& g, Generated& seen) {
  return [&g, &seen](std::span<const std::int64_t> labels, ts::Generator& rng) {
    seen.labels.insert(seen.labels.end(), labels.begin(), labels.end());
    seen.chunks.push_back(labels.size());
    seen.eval_mode = seen.eval_mode && !g.is_training();
    ts::Tensor<ts::Shape<8>> noise(ts::index(labels.size()));
    for (float& v : noise.span()) v = float(rng.normal());
    const auto images = g.predict(noise);
    seen.pixels.insert(seen.pixels.end(), images.data(), images.data() + images.size());
    return ts::Tensor<Image>::from({images.data(), images.data() + images.size()});
  };
}

std::size_t lines(const std::string& text) {
  return std::size_t(std::count(text.begin(), text.end(), '\n'));
}

// The ten real test images of make_scorer_fixtures.py, as a test split in `dir`.
void write_ten_test_images(const TempDir& dir) {
  const auto fixture = ts::io::read_safetensors(std::string(TESSERA_TEST_DATA_DIR) +
                                                "/fixtures/eval/fashion_scorer.safetensors");
  ts::testing::write_test_split(
      dir.path(), ts::Tensor<Image>::from(ts::testing::fixture_values<float>(fixture, "images")));
}

// The working directory moved to `dir` for a scope (the default --scorer is a relative path).
struct InDirectory {
  std::filesystem::path before = std::filesystem::current_path();
  explicit InDirectory(const std::filesystem::path& dir) { std::filesystem::current_path(dir); }
  ~InDirectory() { std::filesystem::current_path(before); }
};

}  // namespace

TEST_CASE(
    "scoring: the FID and class accuracy of the generated images, as FashionScorer gives them",
    "[examples][scoring]") {
  TempDir dir("tessera_scoring");
  write_ten_test_images(dir);
  const ScoreSettings settings{.scorer = ts::testing::formula_classifier_file(dir.path()),
                               .samples = 260};
  std::ostringstream out;
  GanScoring scoring(settings, dir.path(), out);
  REQUIRE(scoring.ready());
  CHECK(out.str().empty());

  TinyG g(3);
  g.train();
  Generated seen;
  scoring.report(g, 11, tiny_generate(g, seen), examples::Classes::asked);
  CHECK(g.is_training());  // back as it was
  CHECK(seen.eval_mode);
  CHECK(seen.chunks == std::vector<std::size_t>{250, 10});
  REQUIRE(seen.labels.size() == 260);
  for (std::size_t i = 0; i < seen.labels.size(); ++i)
    CHECK(seen.labels[i] == std::int64_t(i % 10));

  // The same numbers from a scorer of its own, on the images generate() returned.
  ts::FashionScorer reference(settings.scorer, dir.path());
  const auto images = ts::Tensor<Image>::from(seen.pixels);
  const double fid = reference.fid(images);
  const double accuracy = reference.class_accuracy(images, seen.labels);
  INFO(out.str());
  CHECK(fid > 1.0);  // an untrained G is far from the test images
  CHECK(lines(out.str()) == 1);
  CHECK_THAT(
      out.str(),
      Catch::StartsWith("score: FID " + examples::fixed(fid, 2) +
                        " of 260 generated images against the 10 test images on the features of " +
                        settings.scorer));
  CHECK_THAT(out.str(),
             Catch::Contains("; class accuracy " + examples::fixed(accuracy, 4) + "  ["));

  // Its own generator: the same G scores the same, whatever the training drew meanwhile.
  std::ostringstream again;
  GanScoring second(settings, dir.path(), again);
  Generated seen_again;
  second.report(g, 11, tiny_generate(g, seen_again), examples::Classes::none);
  CHECK(seen_again.pixels == seen.pixels);
  CHECK_THAT(again.str(), Catch::StartsWith("score: FID " + examples::fixed(fid, 2) + " of 260 "));
  CHECK_THAT(again.str(), !Catch::Contains("class accuracy"));

  // InfoGAN's code names its classes itself: the agreement under the best match of codes to the
  // classes the classifier gives, as matched_accuracy finds it, and the match.
  std::ostringstream matched;
  GanScoring third(settings, dir.path(), matched);
  Generated seen_third;
  third.report(g, 11, tiny_generate(g, seen_third), examples::Classes::matched);
  CHECK(seen_third.pixels == seen.pixels);
  const auto match = ts::matched_accuracy(
      seen.labels, ts::argmax_labels(reference.score(images).probabilities), 10);
  CHECK(match.accuracy >= accuracy);  // the identity is one of the matches tried
  std::string pairs;
  for (std::size_t c = 0; c < 10; ++c)
    pairs += " " + std::to_string(c) + "->" + std::to_string(match.assignment[c]);
  INFO(matched.str());
  CHECK(lines(matched.str()) == 1);
  CHECK_THAT(matched.str(),
             Catch::StartsWith("score: FID " + examples::fixed(fid, 2) + " of 260 "));
  CHECK_THAT(matched.str(),
             Catch::Contains("; code-class agreement " + examples::fixed(match.accuracy, 4) +
                             " (code->class" + pairs + ")  ["));
  CHECK_THAT(matched.str(), !Catch::Contains("class accuracy"));
}

TEST_CASE("scoring: without the classifier's weights, one line says how to make them",
          "[examples][scoring]") {
  TempDir dir("tessera_scoring");
  TinyG g;
  Generated seen;

  SECTION("the default path, relative to the working directory") {
    const InDirectory here(dir.path());
    std::ostringstream out;
    GanScoring scoring(ScoreSettings{}, dir.path(), out);
    CHECK_FALSE(scoring.ready());
    scoring.report(g, 1, tiny_generate(g, seen), examples::Classes::none);
    CHECK(out.str() ==
          "score: no classifier weights at classifier_output/classifier.safetensors, so no FID; "
          "`classifier --out DIR` (examples/classifier.cpp, a few minutes) writes "
          "DIR/classifier.safetensors, and --scorer names it (default "
          "classifier_output/classifier.safetensors)\n");
  }
  SECTION("a path named with --scorer") {
    const std::string missing = (dir / "nothing.safetensors").string();
    std::ostringstream out;
    GanScoring scoring(ScoreSettings{.scorer = missing}, dir.path(), out);
    scoring.report(g, 1, tiny_generate(g, seen), examples::Classes::asked);
    CHECK(lines(out.str()) == 1);
    CHECK_THAT(out.str(),
               Catch::StartsWith("score: no classifier weights at " + missing + ", so no FID; "));
  }
  CHECK(seen.chunks.empty());  // nothing generated
}

TEST_CASE(
    "scoring: a file that is not the classifier's, or test images that cannot be read, are a line, "
    "not an error",
    "[examples][scoring]") {
  TempDir dir("tessera_scoring");
  TinyG g;
  g.train();
  Generated seen;

  SECTION("not the classifier's weights: said before training, and again at the end") {
    const std::string text = (dir / "notes.safetensors").string();
    std::ofstream(text) << "not weights";
    std::ostringstream out;
    GanScoring scoring(ScoreSettings{.scorer = text}, dir.path(), out);
    CHECK_FALSE(scoring.ready());
    CHECK_THAT(out.str(), Catch::StartsWith("note: cannot score with --scorer: " + text + ": ") &&
                              Catch::EndsWith("; training goes on, without a score at the end\n"));
    out.str("");
    scoring.report(g, 1, tiny_generate(g, seen), examples::Classes::none);
    CHECK(lines(out.str()) == 1);
    CHECK_THAT(out.str(), Catch::StartsWith("score: cannot score with --scorer: " + text + ": "));
    CHECK(seen.chunks.empty());
  }
  SECTION("no test split where --data points") {
    const ScoreSettings settings{.scorer = ts::testing::formula_classifier_file(dir.path()),
                                 .samples = 20};
    std::ostringstream out;
    GanScoring scoring(settings, dir.path(), out);
    REQUIRE(scoring.ready());
    CHECK_NOTHROW(scoring.report(g, 1, tiny_generate(g, seen), examples::Classes::none));
    CHECK(lines(out.str()) == 1);
    CHECK_THAT(out.str(),
               Catch::StartsWith("score: none: ") && Catch::Contains("t10k-images-idx3-ubyte"));
    CHECK(g.is_training());
  }
}

TEST_CASE("scoring: --scorer and --score-samples take and refuse what they say",
          "[examples][scoring]") {
  ScoreSettings s;
  examples::Flags flags("gan", "test");
  examples::add_score_flags(flags, s);
  const char* good[] = {"gan", "--scorer", "runs/c/classifier.safetensors", "--score-samples=2000"};
  REQUIRE(flags.parse_or_throw(int(std::size(good)), good));
  CHECK(s.scorer == "runs/c/classifier.safetensors");
  CHECK(s.samples == 2000);

  const auto refused = [&](std::vector<const char*> args) {
    args.insert(args.begin(), "gan");
    try {
      flags.parse_or_throw(int(args.size()), args.data());
    } catch (const examples::UsageError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK_THAT(refused({"--score-samples", "100001"}),
             Catch::Contains("--score-samples") && Catch::Contains("0 to 100000"));
  CHECK_THAT(refused({"--score-samples", "-1"}), Catch::Contains("--score-samples"));
  CHECK_THAT(refused({"--scorer", ""}), Catch::Contains("--scorer: needs a non-empty value"));

  // One image has no covariance; 0 means no score, whatever --scorer says.
  TempDir dir("tessera_scoring");
  CHECK_THROWS_AS(GanScoring(ScoreSettings{.samples = 1}, dir.path()), examples::UsageError);
  std::ostringstream out;
  GanScoring none(ScoreSettings{.scorer = (dir / "missing").string(), .samples = 0}, dir.path(),
                  out);
  TinyG g;
  Generated seen;
  none.report(g, 1, tiny_generate(g, seen), examples::Classes::asked);
  CHECK(out.str().empty());
  CHECK(seen.chunks.empty());
}
