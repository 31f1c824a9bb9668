// What the GAN examples print after training: how close their generator's images come to
// Fashion-MNIST by the classifier that examples/classifier.cpp trains (tessera/eval/
// fashion_scorer.hpp): the FID of --score-samples generated images against the 10,000 test images
// on that classifier's features and, for a conditional generator, the fraction that it puts in
// the class they were asked for (or, for InfoGAN's class code, which names the classes itself,
// in the class matched with their code: tessera/eval/matched_accuracy.hpp). Scoring never stops a
// run: without the classifier's weights (or with a file that is not them, or test images that
// cannot be read) the run prints one line saying why and how to make the weights, and ends as it
// would have. Not part of the library: examples only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <tessera/eval/fashion_scorer.hpp>
#include <tessera/eval/matched_accuracy.hpp>
#include <tessera/tools.hpp>
#include <tessera/train/metrics.hpp>
#include <vector>

#include "flags.hpp"
#include "image_data.hpp"

namespace examples {

namespace ts = tessera;

// Where `classifier` writes its weights by default, and so where the GAN examples look for them.
inline constexpr const char* classifier_default_out = "classifier_output";
inline constexpr const char* classifier_file = "classifier.safetensors";
inline std::string default_scorer_path() {
  return (std::filesystem::path(classifier_default_out) / classifier_file).string();
}

struct ScoreSettings {
  std::string scorer = default_scorer_path();
  ts::index samples = 10000;  // as many as the test set has; FID is biased upwards for fewer
};

inline void add_score_flags(Flags& flags, ScoreSettings& s) {
  flags.add(
      "scorer", s.scorer,
      "weights of examples/classifier; after training, the FID of the generated images on its "
      "features (and, conditional, their class accuracy) is printed if the file is there");
  flags.add("score-samples", s.samples,
            "generated images the FID and class accuracy are computed from (0: no score)",
            between<ts::index>(0, 100000));
}

// What report() checks of the generated images' classes, besides their FID.
enum class Classes {
  none,     // an unconditional G: nothing
  asked,    // a conditional G: the fraction the classifier puts in the class asked for
  matched,  // InfoGAN's code: the fraction in the class matched with their code, and the match
};

// Opened before training, so that a run learns at once whether it will end with a score.
class GanScoring {
 public:
  using Image = ts::FashionScorer::Image;

  // `out` receives the lines (std::cout in the examples). A --score-samples of 1 is a UsageError:
  // one image has no covariance.
  GanScoring(const ScoreSettings& s, const std::filesystem::path& data_dir,
             std::ostream& out = std::cout)
      : settings_(s), out_(out) {
    if (s.samples == 1)
      throw UsageError("--score-samples: 1 image has no covariance; 0 (no score) or 2 to 100000");
    if (s.samples == 0) return;
    if (!std::filesystem::exists(s.scorer)) {
      problem_ = "no classifier weights at " + s.scorer +
                 ", so no FID; `classifier --out DIR` (examples/classifier.cpp, a few minutes) "
                 "writes DIR/" +
                 classifier_file + ", and --scorer names it (default " + default_scorer_path() +
                 ")";
      return;
    }
    try {
      scorer_.emplace(s.scorer, data_dir);
    } catch (const std::exception& e) {
      problem_ = std::string("cannot score with --scorer: ") + e.what();
      out_ << "note: " << *problem_ << "; training goes on, without a score at the end\n";
    }
  }

  bool ready() const { return scorer_.has_value(); }
  // The scorer, for an example that scores other images than a generator's (cyclegan's
  // translations); nullptr when there is none, after the constructor said why.
  ts::FashionScorer* scorer() {
    if (!scorer_ && problem_ && settings_.samples != 0) {
      out_ << "score: " << *problem_ << "\n";
      problem_.reset();  // said once
    }
    return scorer_ ? &*scorer_ : nullptr;
  }

  // Generates --score-samples images with generate(labels, rng), which returns labels.size()
  // images in [-1, 1] as a Tensor<Shape<1, 28, 28>> (a conditional generator draws class labels[i]
  // for image i; labels run 0, 1, ..., 9, 0, ...), in chunks of `chunk`, G in eval mode as for
  // the sample grids and back in training mode afterwards. The draws come from a generator of
  // their own seeded with `seed`, so the training's are untouched and a G always gets the same
  // score. Prints one line: the FID against the test set and what `classes` asks for (the class
  // accuracy, or the code-class agreement with its match "code->class"), with how many images
  // and how long it took; or why there is no score.
  template <class G, class Generate>
  void report(G& g, std::uint64_t seed, Generate generate, Classes classes) {
    if (settings_.samples == 0) return;
    if (!scorer_) {
      out_ << "score: " << *problem_ << "\n";
      return;
    }
    try {
      const Stopwatch clock;
      const ts::index n = settings_.samples;
      ts::Tensor<Image> images(n);
      std::vector<std::int64_t> labels(static_cast<std::size_t>(n));
      for (ts::index i = 0; i < n; ++i) labels[std::size_t(i)] = i % ts::FashionScorer::class_count;
      ts::Generator rng(seed);
      g.eval();
      for (ts::index first = 0; first < n; first += chunk) {
        const ts::index count = std::min(chunk, n - first);
        const ts::Tensor<Image> part = generate(
            std::span<const std::int64_t>(labels).subspan(std::size_t(first), std::size_t(count)),
            rng);
        std::copy(part.data(), part.data() + part.size(),
                  images.data() + std::size_t(first) * Image::size);
      }
      g.train();
      // One pass of the classifier: features for the FID, probabilities for the classes.
      const ts::FashionScorer::Scores scores = scorer_->score(images);
      const double fid = scorer_->fid(scores);
      std::string check;
      if (classes == Classes::asked) {
        check = "; class accuracy " + fixed(ts::FashionScorer::class_accuracy(scores, labels), 4);
      } else if (classes == Classes::matched) {
        const auto match = ts::matched_accuracy(labels, ts::argmax_labels(scores.probabilities),
                                                ts::FashionScorer::class_count);
        check = "; code-class agreement " + fixed(match.accuracy, 4) + " (code->class";
        for (std::size_t c = 0; c < match.assignment.size(); ++c)
          check += " " + std::to_string(c) + "->" + std::to_string(match.assignment[c]);
        check += ")";
      }
      out_ << "score: FID " << fixed(fid, 2) << " of " << n << " generated images against the "
           << scorer_->test_statistics().count << " test images on the features of "
           << settings_.scorer << " (Fashion-MNIST FID with tessera's classifier, not Inception's)"
           << check;
      out_ << "  [" << fixed(clock.seconds(), 1) << " s]\n";
    } catch (const std::exception& e) {
      g.train();
      out_ << "score: none: " << e.what() << "\n";
    }
  }

  static constexpr ts::index chunk = 250;  // generated images per predict

 private:
  ScoreSettings settings_;
  std::ostream& out_;
  std::optional<ts::FashionScorer> scorer_;
  std::optional<std::string> problem_;  // why there is no scorer
};

}  // namespace examples
