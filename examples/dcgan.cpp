// Trains a DCGAN of the seeds on Fashion-MNIST, one channel, at 32x32 by default:
//   --form 004  the PyTorch-tutorial DCGAN: transposed convolutions from 100x1x1 noise, DCGAN
//               initialisation (conv weights N(0, 0.02), BatchNorm weights N(1, 0.02)),
//               Adam lr 2e-4
//   --form 003  the upsampling form: Linear from 64-d noise, nearest upsampling + 3x3 convolutions,
//               dropout in D, Adam lr 1e-3 (the seed's)
//   --size 32   the 28x28 images padded to 32x32 with the background (-1), as examples/wgan.cpp
//               does; the 004 form has one up-block fewer in G and one down-block fewer in D
//               (models/dcgan.hpp, Size 32), the 003 form's Linear projects to 8x8 instead of 16x16
//               (its seed's own default image size is 32). The FID is taken on the 28x28 centres.
//   --size 64   the PyTorch tutorial's size: the images resized (bilinear) to 64x64, the FID on
//               G's images resized back to 28x28.
// Both: BCE, betas (0.5, 0.999), D step on real and detached fake, then G step through the updated
// D. Writes samples_<epoch>.png, losses.png and a checkpoint that --resume continues from. At the
// end it prints the FID of 10,000 generated images on the features of examples/classifier's
// network (examples/common/scoring.hpp).
//
// Time, batch 64, 004 form: at 32x32, 3.2 iterations a second on one thread (a 45 s smoke run
// with OMP_NUM_THREADS=1 while the machine's other core was busy); the default 3 epochs took
// 25 min 6 s on one thread beside other runs (load average about 3; docs/examples.md). The 003
// form at 32 runs at about 1.7 iterations a second on one thread. At 64x64 an epoch of the 004
// form takes about ten minutes on two cores (0.6 s an iteration).
//   dcgan --out runs/dcgan
//   dcgan --size 64 --epochs 1 --out runs/dcgan64
#include <iostream>
#include <string>
#include <tessera/models/dcgan.hpp>
#include <tessera/models/dcgan_upsample.hpp>
#include <tessera/tools.hpp>
#include <tessera/train/init.hpp>

#include "common/flags.hpp"
#include "common/gan_run.hpp"
#include "common/image_data.hpp"
#include "common/scoring.hpp"

namespace ts = tessera;

struct Settings {
  std::string form = "004";
  std::string size = "32";
  int epochs = 3;
  ts::index batch = 64;
  double lr = 0;  // 0: the form's own
  std::uint64_t seed = 1;
  std::string out = "dcgan_output", data = std::string(ts::data::fashion_mnist_default_dir), resume;
  examples::ScoreSettings score;
};

template <class GSpec, class DSpec, class Noise, int Size>
void train(const Settings& s, double default_lr, bool dcgan_init) {
  using Image = ts::Shape<1, Size, Size>;
  using Raw = ts::Shape<1, 28, 28>;
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

  // 32: the 28x28 images framed with the background (-1); 64: resized (bilinear).
  ts::Model<ts::Resize<64, 64>, Raw> resize;
  ts::Tensor<Image> framed(Size == 32 ? s.batch : 0, -1.0f);
  ts::Tensor<Noise> z(s.batch), fixed_noise(64);
  ts::Generator sample_rng(s.seed + 3);
  for (float& v : fixed_noise.span()) v = float(sample_rng.normal());
  ts::Tensor<Score> ones(s.batch, 1.0f), zeros(s.batch, 0.0f), grad(s.batch);

  auto step = [&](ts::View<Raw, const float> images) {
    const ts::index n = images.batch();
    auto real = [&] {
      if constexpr (Size == 32) {
        examples::pad_into(images, framed);
        return ts::View<Image, const float>(framed.data(), n);
      } else {
        return resize.predict(images);
      }
    }();
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

  // The classifier sees 28x28: at 32 the centre of G's images (the frame cut off); at 64 G's images
  // resized back as the training images were resized up (bilinear, no antialiasing).
  ts::Model<ts::Resize<28, 28>, Image> shrink;
  scoring.report(
      run.g, s.seed + 4,
      [&](std::span<const std::int64_t> labels, ts::Generator& rng) {
        ts::Tensor<Noise> noise(ts::index(labels.size()));
        for (float& v : noise.span()) v = float(rng.normal());
        if constexpr (Size == 32) {
          return ts::FashionScorer::centre_crop(run.g.predict(noise));
        } else {
          const auto images = shrink.predict(run.g.predict(noise));
          return ts::Tensor<Raw>::from({images.data(), images.data() + images.size()});
        }
      },
      examples::Classes::none);
}

template <int Size>
void train_form(const Settings& s) {
  namespace models = ts::models;
  if (s.form == "004")
    train<models::DcganGenerator<1, 64, Size>, models::DcganDiscriminator<64, Size>,
          ts::Shape<100, 1, 1>, Size>(s, 2e-4, true);
  else if (s.form == "003")
    train<models::DcganUpsampleGenerator<1, Size>, models::DcganUpsampleDiscriminator<>,
          ts::Shape<64>, Size>(s, 1e-3, false);
  else
    throw std::invalid_argument("--form must be 004 or 003, not '" + s.form + "'");
}

int main(int argc, char** argv) {
  Settings s;
  examples::Flags flags("dcgan",
                        "Trains a seed DCGAN (004: transposed convolutions, 003: upsampling) on "
                        "Fashion-MNIST padded to 32x32 (or resized to 64x64); writes sample grids, "
                        "a loss curve and a checkpoint to the output folder.");
  flags.add("form", s.form, "004 (transposed convolutions) or 003 (upsampling)", {"004", "003"});
  flags.add(
      "size", s.size,
      "image size: 32 (the 28x28 images framed with the background; 004: one block fewer in G and "
      "D, "
      "003: G's Linear projects to 8x8) or 64 (resized, bilinear: the PyTorch tutorial's size)",
      {"32", "64"});
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
    if (s.size == "32")
      train_form<32>(s);
    else
      train_form<64>(s);
  });
}
