// Trains seed 004's fully connected GAN on Fashion-MNIST: G maps 64-d noise to a 784-pixel image in
// [-1, 1], D maps an image to the probability that it is real. BCE, Adam lr 2e-4 (betas 0.5,
// 0.999), batch 100; each iteration a D step on a real and a fake batch (the fake detached), then
// a G step through the updated D with the "real" label. Writes samples_<epoch>.png (a fixed batch
// of noise, so the grids show one set of garments taking shape), losses.png, and a checkpoint of
// G, D and both optimizers that --resume continues from. At the end it prints the FID of 10,000
// generated images on the features of examples/classifier's network (examples/common/scoring.hpp).
//   mlp_gan --epochs 30 --out runs/mlp
#include <string>

#include <tessera/models/mlp_gan.hpp>
#include <tessera/tools.hpp>

#include "common/flags.hpp"
#include "common/gan_run.hpp"
#include "common/scoring.hpp"

namespace ts = tessera;

struct Settings {
  int epochs = 30;
  ts::index batch = 100;
  std::uint64_t seed = 1;
  std::string out = "mlp_gan_output", data = std::string(ts::data::fashion_mnist_default_dir), resume;
  examples::ScoreSettings score;
};

void train(const Settings& s) {
  constexpr int latent = 64;
  using G = ts::Model<ts::models::MlpGanGenerator<>, ts::Shape<latent>>;
  using D = ts::Model<ts::models::MlpGanDiscriminator<>, ts::Shape<784>>;
  examples::GanScoring scoring(s.score, s.data);
  examples::GanRun<G, D> run(s.seed, s.batch, s.out, s.data);
  if (!s.resume.empty()) run.resume(s.resume);

  ts::Tensor<ts::Shape<latent>> z(s.batch), fixed_noise(64);
  ts::Generator sample_rng(s.seed + 3);
  for (float& v : fixed_noise.span()) v = float(sample_rng.normal());
  ts::Tensor<ts::Shape<1>> ones(s.batch, 1.0f), zeros(s.batch, 0.0f), grad(s.batch);

  auto step = [&](ts::View<ts::Shape<1, 28, 28>, const float> images) {
    const ts::index n = images.batch();
    const ts::View<ts::Shape<784>, const float> real(images.data(), n);
    run.noise(z);
    const ts::View<ts::Shape<latent>, const float> noise(z.data(), n);
    const ts::View<ts::Shape<1>, const float> real_label(ones.data(), n), fake_label(zeros.data(), n);
    return examples::gan_step(run, real, noise, real_label, fake_label, ts::View<ts::Shape<1>>(grad.data(), n));
  };
  auto sample = [&] {
    const auto images = run.g.predict(fixed_noise);
    return ts::Tensor<ts::Shape<1, 28, 28>>::from({images.data(), images.data() + images.size()});
  };
  run.train(s.epochs, step, sample);

  scoring.report(
      run.g, s.seed + 4,
      [&](std::span<const std::int64_t> labels, ts::Generator& rng) {
        ts::Tensor<ts::Shape<latent>> noise(ts::index(labels.size()));
        for (float& v : noise.span()) v = float(rng.normal());
        const auto images = run.g.predict(noise);
        return ts::Tensor<ts::Shape<1, 28, 28>>::from(
            {images.data(), images.data() + images.size()});
      },
      examples::Classes::none);
}

int main(int argc, char** argv) {
  Settings s;
  examples::Flags flags("mlp_gan", "Trains the seed-004 MLP GAN on Fashion-MNIST; writes sample grids, a loss "
                                   "curve and a checkpoint to the output folder.");
  flags.add("epochs", s.epochs, "passes over the 60,000 training images, in all (a resumed run's included)", examples::between(1, examples::max_epochs));
  flags.add("batch", s.batch, "images per batch", examples::between<ts::index>(1, 60000));
  flags.add("seed", s.seed, "seed of every random draw (weights, noise, batch order)", examples::any_integer<std::uint64_t>());
  flags.add("out", s.out, "output folder");
  flags.add("data", s.data, "folder of the Fashion-MNIST IDX files");
  flags.add("resume", s.resume, "checkpoint folder of an earlier run (<out>/checkpoint) to continue from");
  examples::add_score_flags(flags, s.score);
  flags.parse(argc, argv);
  return examples::guarded_main("mlp_gan", [&] { train(s); });
}
