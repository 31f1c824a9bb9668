// Trains a DCGAN of the seeds on Fashion-MNIST, its 28x28 images resized (bilinear) to the models'
// 64x64, one channel:
//   --form 004  the PyTorch-tutorial DCGAN: transposed convolutions from 100x1x1 noise, DCGAN
//               initialisation (conv weights N(0, 0.02), BatchNorm weights N(1, 0.02)), Adam lr 2e-4
//   --form 003  the upsampling form: Linear from 64-d noise, nearest upsampling + 3x3 convolutions,
//               dropout in D, Adam lr 1e-3 (the seed's)
// Both: BCE, betas (0.5, 0.999), D step on real and detached fake, then G step through the updated
// D. Writes samples_<epoch>.png, losses.png and a checkpoint that --resume continues from. An epoch
// of the 004 form takes about ten minutes on two cores, hence one epoch by default. At the end it
// prints the FID of 10,000 generated images, resized back to 28x28, on the features of
// examples/classifier's network (examples/common/scoring.hpp).
//   dcgan --form 004 --epochs 2 --out runs/dcgan
#include <iostream>
#include <string>

#include <tessera/models/dcgan.hpp>
#include <tessera/models/dcgan_upsample.hpp>
#include <tessera/tools.hpp>
#include <tessera/train/init.hpp>

#include "common/flags.hpp"
#include "common/gan_run.hpp"
#include "common/scoring.hpp"

namespace ts = tessera;

struct Settings {
  std::string form = "004";
  int epochs = 1;
  ts::index batch = 64;
  double lr = 0;  // 0: the form's own
  std::uint64_t seed = 1;
  std::string out = "dcgan_output", data = std::string(ts::data::fashion_mnist_default_dir), resume;
  examples::ScoreSettings score;
};

template <class GSpec, class DSpec, class Noise>
void train(const Settings& s, double default_lr, bool dcgan_init) {
  using Image = ts::Shape<1, 64, 64>;
  using G = ts::Model<GSpec, Noise>;
  using D = ts::Model<DSpec, Image>;
  using Score = typename D::Output;
  examples::GanScoring scoring(s.score, s.data);
  examples::GanRun<G, D> run(s.seed, s.batch, s.out, s.data,
                             {.lr = s.lr > 0 ? s.lr : default_lr, .betas = {0.5, 0.999}});
  if (dcgan_init) {
    ts::dcgan_init(run.g);
    ts::dcgan_init(run.d);
  }
  if (!s.resume.empty()) run.resume(s.resume);
  std::cout << run.g.summary(s.batch) << run.d.summary(s.batch);

  ts::Model<ts::Resize<64, 64>, ts::Shape<1, 28, 28>> resize;
  ts::Tensor<Noise> z(s.batch), fixed_noise(64);
  ts::Generator sample_rng(s.seed + 3);
  for (float& v : fixed_noise.span()) v = float(sample_rng.normal());
  ts::Tensor<Score> ones(s.batch, 1.0f), zeros(s.batch, 0.0f), grad(s.batch);

  auto step = [&](ts::View<ts::Shape<1, 28, 28>, const float> images) {
    const ts::index n = images.batch();
    const auto real = resize.predict(images);
    run.noise(z);
    return examples::gan_step(run, real, ts::View<Noise, const float>(z.data(), n),
                              ts::View<Score, const float>(ones.data(), n),
                              ts::View<Score, const float>(zeros.data(), n), ts::View<Score>(grad.data(), n));
  };
  auto sample = [&] {
    const auto images = run.g.predict(fixed_noise);
    return ts::Tensor<Image>::from({images.data(), images.data() + images.size()});
  };
  run.train(s.epochs, step, sample);

  // The classifier sees 28x28: G's 64x64 images resized back as the training images were resized
  // up (bilinear, no antialiasing).
  ts::Model<ts::Resize<28, 28>, Image> shrink;
  scoring.report(
      run.g, s.seed + 4,
      [&](std::span<const std::int64_t> labels, ts::Generator& rng) {
        ts::Tensor<Noise> noise(ts::index(labels.size()));
        for (float& v : noise.span()) v = float(rng.normal());
        const auto images = shrink.predict(run.g.predict(noise));
        return ts::Tensor<ts::Shape<1, 28, 28>>::from(
            {images.data(), images.data() + images.size()});
      },
      /*conditional=*/false);
}

int main(int argc, char** argv) {
  Settings s;
  examples::Flags flags("dcgan", "Trains a seed DCGAN (004: transposed convolutions, 003: upsampling) on "
                                 "Fashion-MNIST resized to 64x64; writes sample grids, a loss curve and a "
                                 "checkpoint to the output folder.");
  flags.add("form", s.form, "004 (transposed convolutions) or 003 (upsampling)", {"004", "003"});
  flags.add("epochs", s.epochs, "passes over the 60,000 training images, in all (a resumed run's included)", examples::between(1, examples::max_epochs));
  flags.add("batch", s.batch, "images per batch", examples::between<ts::index>(1, 60000));
  flags.add("lr", s.lr, "Adam learning rate (0: 2e-4 for 004, 1e-3 for 003)", examples::between(0.0, 1.0));
  flags.add("seed", s.seed, "seed of every random draw (weights, noise, batch order)", examples::any_integer<std::uint64_t>());
  flags.add("out", s.out, "output folder");
  flags.add("data", s.data, "folder of the Fashion-MNIST IDX files");
  flags.add("resume", s.resume, "checkpoint folder of an earlier run (<out>/checkpoint) to continue from");
  examples::add_score_flags(flags, s.score);
  flags.parse(argc, argv);
  return examples::guarded_main("dcgan", [&] {
    if (s.form == "004")
      train<ts::models::DcganGenerator<1>, ts::models::DcganDiscriminator<>, ts::Shape<100, 1, 1>>(s, 2e-4, true);
    else if (s.form == "003")
      train<ts::models::DcganUpsampleGenerator<>, ts::models::DcganUpsampleDiscriminator<>, ts::Shape<64>>(s, 1e-3,
                                                                                                        false);
    else
      throw std::invalid_argument("--form must be 004 or 003, not '" + s.form + "'");
  });
}
