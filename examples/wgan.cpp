// Trains a Wasserstein GAN on Fashion-MNIST at 32x32: a DCGAN-style generator (transposed
// convolutions from 100x1x1 noise) against a critic that scores images (no sigmoid, no log), kept
// Lipschitz in one of two ways:
//   --variant clip  WGAN (Arjovsky et al. 2017), the paper's settings: critic loss
//                   mean D(fake) - mean D(real), G loss -mean D(G(z)), RMSprop lr 5e-5, 5 critic
//                   steps per G step, every critic parameter clamped to [-0.01, 0.01] after each
//                   critic step (ts::clamp_parameters). The critic keeps BatchNorm, as the
//                   paper's DCGAN critic does (its weight and bias are clamped too, as there).
//   --variant sn    SNGAN (Miyato et al. 2018): every convolution of the critic wrapped in
//                   ts::SpectralNorm, no BatchNorm (its division by the batch's spread is not
//                   bounded by the weights' norms), no clipping; the hinge loss, which the SNGAN
//                   paper trains with and which keeps the scores near [-1, 1] (the plain WGAN
//                   loss lets them drift, as nothing ties them to a level); Adam lr 2e-4, betas
//                   (0.5, 0.999), one critic step per G step: the paper's setting C, where
//                   spectral normalisation did well, with about 3.5 times the G steps of its
//                   5-critic-step settings in the same time.
//   --variant gp    WGAN-GP (Gulrajani et al. 2017), the paper's settings: the WGAN loss plus
//                   ts::gradient_penalty, lambda (||dD(x_hat)/dx_hat||_2 - 1)^2 at random points
//                   between real and fake images (lambda 10, a second-order gradient), Adam lr
//                   1e-4, betas (0, 0.9), 5 critic steps per G step, no clipping; the critic has no
//                   BatchNorm (the penalty is per sample, and BatchNorm mixes the batch's samples).
// The three critics (common/wgan_critics.hpp) are the same pyramid (32 -> 16 -> 8 -> 4 -> 1,
// LeakyReLU 0.2), so the variants differ only in how the critic is kept Lipschitz; all models start
// from DCGAN's initialisation, as the WGAN code's weights_init does (for spectral normalisation a
// weight's scale only sets the effective step size).
//
// The 28x28 images are padded to 32x32 with the background (-1, black: what 0 is before the
// [-1, 1] scaling), not resized: every pixel stays as the data set has it (bilinear resizing
// by 8/7 softens the texture), G only has to learn a constant frame, and 32 = 2^5 suits the
// stride-2 pyramid. (ts::ZeroPad2d would pad with 0, a grey frame in [-1, 1].)
//
// Each iteration is one critic step on a fresh real batch and fresh noise; every --critic-steps-th
// iteration then takes a G step on that iteration's fakes through the updated, frozen critic. An
// epoch is one pass of the critic over the 60,000 images (937 batches of 64: 187 G steps for
// clip, 937 for sn). The reported losses are the critic's, and G's (-mean D(fake)) and the
// distance estimate (mean D(real) - mean D(fake)) as the critic scored the iteration's batches
// before its update. Writes samples_<epoch>.png, losses.png (both losses and the estimate) and a
// checkpoint that --resume continues from. At the end it prints the FID of 10,000 generated images,
// their 28x28 centres (the frame cut off), on the features of examples/classifier's network
// (examples/common/scoring.hpp).
//
// Time, batch 64, on the 2-core development machine: clip 12.9 iterations a second on one thread
// (73 s an epoch measured), 20.1 on two (47 s an epoch); sn 9.9 on one thread (about 100 s an
// epoch), about 15 on two by the same ratio (about 61 s). So the default 10 epochs take about
// 8 minutes (clip) and 10 minutes (sn) on two quiet cores, 12 and 17 minutes on one thread.
//   wgan --variant clip --out runs/wgan_clip
//   wgan --variant sn --out runs/wgan_sn --epochs 20
#include <iostream>
#include <string>
#include <tessera/models/dcgan.hpp>
#include <tessera/tessera.hpp>
#include <tessera/tools.hpp>

#include "common/flags.hpp"
#include "common/gan_run.hpp"
#include "common/image_data.hpp"
#include "common/scoring.hpp"
#include "common/wasserstein.hpp"
#include "common/wgan_critics.hpp"

namespace ts = tessera;

// G: the library's 32x32 DCGAN generator (models/dcgan.hpp), one channel, at the critics' width
// (the channels of its last hidden layer): ConvT 100 -> 4F (4x4), 2F (8x8), F (16x16), 1 (32x32).
template <int F>
using Generator32 = ts::models::DcganGenerator<1, F, 32>;

// The critics (ClipCritic32, SnCritic32, GpCritic32) and the width live in common/wgan_critics.hpp,
// which benchmarks/bench_train.cpp times too.
using examples::ClipCritic32;
using examples::GpCritic32;
using examples::SnCritic32;
constexpr int width = examples::wgan_width;

struct Settings {
  std::string variant = "clip";
  int epochs = 10;
  ts::index batch = 64;
  int critic_steps = 0;  // 0: the variant's own
  double lr = 0;         // 0: the variant's own
  double clip = 0;       // 0: the WGAN paper's 0.01 (clip only)
  std::uint64_t seed = 1;
  std::string out = "wgan_output", data = std::string(ts::data::fashion_mnist_default_dir), resume;
  examples::ScoreSettings score;
};

using Noise = ts::Shape<100, 1, 1>;
using Image = ts::Shape<1, 32, 32>;

// What sets the variants apart besides the critic and the optimizer.
struct Variant {
  bool hinge;        // the hinge loss for the critic, else the WGAN loss
  int critic_steps;  // per G step
  double clip;       // the bound of weight clipping; 0: none
  double lambda;     // the weight of the gradient penalty; 0: none
  examples::LossPlot plot;
};

template <class Critic, class Optimizer, class Options>
void train(const Settings& s, const Options& options, const Variant& v) {
  using G = ts::Model<Generator32<width>, Noise>;
  using D = ts::Model<Critic, Image>;
  using Score = typename D::Output;
  examples::GanScoring scoring(s.score, s.data);
  examples::GanRun<G, D, Optimizer> run(s.seed, s.batch, s.out, s.data, options, v.plot);
  ts::dcgan_init(run.g);
  ts::dcgan_init(run.d);
  // Taken now, while the critic is trainable: parameters() leaves out frozen ones, and the critic
  // is frozen during each G step.
  const auto critic_parameters = run.d.parameters();
  // Clipped from the start, so that its first scores are those of a critic inside the box too (the
  // WGAN code clamps before each critic step, which comes to the same).
  if (v.clip > 0) ts::clamp_parameters(critic_parameters, -v.clip, v.clip);
  if (!s.resume.empty()) run.resume(s.resume);
  std::cout << run.g.summary(s.batch) << run.d.summary(s.batch);

  ts::Tensor<Image> real_images(s.batch, -1.0f);
  ts::Tensor<Noise> z(s.batch), fixed_noise(64);
  ts::Generator sample_rng(s.seed + 3);
  for (float& x : fixed_noise.span()) x = float(sample_rng.normal());
  ts::Tensor<Score> grad_tensor(s.batch);

  auto step = [&](ts::View<ts::Shape<1, 28, 28>, const float> images) {
    const ts::index n = images.batch();
    // Which iteration of the whole run this is (the history holds those done, resumed ones too),
    // so that a resumed run takes its G steps where a straight one would.
    const bool g_step = (run.history().size() + 1) % std::size_t(v.critic_steps) == 0;
    examples::pad_into(images, real_images);
    const ts::View<Image, const float> real(real_images.data(), n);
    const ts::View<Score> grad(grad_tensor.data(), n);
    run.noise(z);

    run.d.zero_grad();
    const auto on_real = examples::wasserstein_term(run.d.forward(real), grad, -1, v.hinge);
    run.d.backward(grad);
    const auto fake = run.g.forward(ts::View<Noise, const float>(z.data(), n));
    const auto on_fake = examples::wasserstein_term(run.d.forward(fake), grad, +1, v.hinge);
    run.d.backward(grad);
    // alpha is drawn from the run's generator, which each epoch re-seeds, so that --resume repeats
    // the draws. Only a critic with second-order rules compiles the penalty.
    double penalty = 0;
    if constexpr (ts::SecondOrder<typename D::module_type, float, ts::Cpu>) {
      if (v.lambda > 0) penalty = ts::gradient_penalty(run.d, real, fake, run.generator(), v.lambda);
    }
    run.d_optimizer.step();
    if (v.clip > 0) ts::clamp_parameters(critic_parameters, -v.clip, v.clip);

    if (g_step) {
      run.g.zero_grad();
      run.d.requires_grad(false);
      examples::wasserstein_term(run.d.forward(fake), grad, -1, /*hinge=*/false);  // -mean D(G(z))
      run.g.backward(run.d.backward_to_input(grad));
      run.d.requires_grad(true);
      run.g_optimizer.step();
    }
    return examples::Losses{on_real.loss + on_fake.loss + float(penalty), -on_fake.mean_score,
                            on_real.mean_score - on_fake.mean_score};
  };
  auto sample = [&] {
    const auto images = run.g.predict(fixed_noise);
    return ts::Tensor<Image>::from({images.data(), images.data() + images.size()});
  };
  run.train(s.epochs, step, sample);

  scoring.report(
      run.g, s.seed + 4,
      [&](std::span<const std::int64_t> labels, ts::Generator& rng) {
        ts::Tensor<Noise> noise(ts::index(labels.size()));
        for (float& v : noise.span()) v = float(rng.normal());
        return ts::FashionScorer::centre_crop(run.g.predict(noise));
      },
      examples::Classes::none);
}

int main(int argc, char** argv) {
  Settings s;
  examples::Flags flags("wgan", "Trains a Wasserstein GAN on Fashion-MNIST padded to 32x32, its critic kept "
                                "Lipschitz by weight clipping (WGAN), a gradient penalty (WGAN-GP) or spectral "
                                "normalisation (SNGAN); "
                                "writes sample grids, a loss plot and a checkpoint to the output folder.");
  flags.add("variant", s.variant,
            "clip (WGAN: weight clipping, RMSprop), gp (WGAN-GP: gradient penalty, Adam) or sn (SNGAN: "
            "spectral norm, hinge loss, Adam)",
            {"clip", "gp", "sn"});
  flags.add("epochs", s.epochs,
            "passes of the critic over the 60,000 training images, in all (a resumed run's included)",
            examples::between(1, examples::max_epochs));
  flags.add("batch", s.batch, "images per batch", examples::between<ts::index>(1, 60000));
  flags.add("critic-steps", s.critic_steps, "critic steps per G step (0: 5 for clip and gp, 1 for sn)",
            examples::between(0, 100));
  flags.add("lr", s.lr,
            "learning rate of both optimizers (0: 5e-5 RMSprop for clip, 1e-4 Adam for gp, 2e-4 Adam for sn)",
            examples::between(0.0, 1.0));
  flags.add("clip", s.clip, "clip only: the bound c of the critic's parameters, clamped to [-c, c] (0: 0.01)",
            examples::between(0.0, 1.0));
  flags.add("seed", s.seed, "seed of every random draw (weights, noise, batch order)",
            examples::any_integer<std::uint64_t>());
  flags.add("out", s.out, "output folder");
  flags.add("data", s.data, "folder of the Fashion-MNIST IDX files");
  flags.add("resume", s.resume, "checkpoint folder of an earlier run (<out>/checkpoint) to continue from");
  examples::add_score_flags(flags, s.score);
  flags.parse(argc, argv);
  return examples::guarded_main("wgan", [&] {
    if (s.variant == "clip") {
      train<ClipCritic32<width>, ts::RMSprop<float>>(
          s, ts::RMSpropOptions{.lr = s.lr > 0 ? s.lr : 5e-5},
          {.hinge = false,
           .critic_steps = s.critic_steps > 0 ? s.critic_steps : 5,
           .clip = s.clip > 0 ? s.clip : 0.01,
           .lambda = 0,
           .plot = {.title = "WGAN (weight clipping)", .d = "critic loss", .y_label = "Wasserstein loss"}});
    } else if (s.clip > 0) {
      throw examples::UsageError("--clip: only --variant clip clips weights, not --variant " + s.variant);
    } else if (s.variant == "gp") {
      train<GpCritic32<width>, ts::Adam<float>>(
          s, ts::AdamOptions{.lr = s.lr > 0 ? s.lr : 1e-4, .betas = {0.0, 0.9}},
          {.hinge = false,
           .critic_steps = s.critic_steps > 0 ? s.critic_steps : 5,
           .clip = 0,
           .lambda = 10,
           .plot = {.title = "WGAN-GP (gradient penalty)", .d = "critic loss", .y_label = "Wasserstein loss + penalty"}});
    } else {
      train<SnCritic32<width>, ts::Adam<float>>(
          s, ts::AdamOptions{.lr = s.lr > 0 ? s.lr : 2e-4, .betas = {0.5, 0.999}},
          {.hinge = true,
           .critic_steps = s.critic_steps > 0 ? s.critic_steps : 1,
           .clip = 0,
           .lambda = 0,
           .plot = {.title = "SNGAN (spectral norm, hinge loss)", .d = "critic loss", .y_label = "hinge loss"}});
    }
  });
}
