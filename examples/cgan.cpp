// Trains a conditional GAN of the seeds on Fashion-MNIST: G and D both see the class label through
// a learned 10-d embedding, so G draws the garment it is asked for.
//   --form 004  G Linear 110-256-512-1024-784 with LeakyReLU(0.2), Tanh; D Linear 794-1024-512-256-1
//               with LeakyReLU(0.2), Dropout(0.4), Sigmoid (the seed's (noise, embedding) order)
//   --form 002  G with Linear + BatchNorm1d + LeakyReLU blocks 128-256-512-1024; D with dropout
//               before LeakyReLU (the seed's (embedding, noise) order)
// BCE, Adam lr 2e-4, betas (0.5, 0.999). samples_<epoch>.png is a grid of 10 rows, one class per
// row (T-shirt/top, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle boot). At
// the end it prints the FID of 10,000 generated images (1,000 of each class) on the features of
// examples/classifier's network, and the fraction that the classifier puts in the class they were
// drawn for (examples/common/scoring.hpp).
//   cgan --form 004 --epochs 20 --out runs/cgan
#include <string>

#include <tessera/models/cgan.hpp>
#include <tessera/models/cgan002.hpp>
#include <tessera/tools.hpp>

#include "common/flags.hpp"
#include "common/gan_run.hpp"
#include "common/scoring.hpp"

namespace ts = tessera;

struct Settings {
  std::string form = "004";
  int epochs = 10;
  ts::index batch = 100;
  std::uint64_t seed = 1;
  std::string out = "cgan_output", data = std::string(ts::data::fashion_mnist_default_dir), resume;
  examples::ScoreSettings score;
};

template <class GSpec, class DSpec>
void train(const Settings& s) {
  using Noise = ts::Shape<100>;
  using Label = ts::Shape<>;  // a class index, held in the scalar type as the models' Embedding reads it
  using Image = ts::Shape<1, 28, 28>;
  using G = ts::Model<GSpec, ts::Shapes<Noise, Label>>;
  using D = ts::Model<DSpec, ts::Shapes<Image, Label>>;
  using Score = typename D::Output;
  using Fake = typename G::Output;  // 004's G gives 28x28 without a channel axis: the same memory
  examples::GanScoring scoring(s.score, s.data);
  examples::GanRun<G, D> run(s.seed, s.batch, s.out, s.data);
  if (!s.resume.empty()) run.resume(s.resume);

  ts::Tensor<Noise> z(s.batch), fixed_noise(100);
  ts::Tensor<Label> labels(s.batch), real_labels(s.batch), fixed_labels(100);
  ts::Generator sample_rng(s.seed + 3);
  for (float& v : fixed_noise.span()) v = float(sample_rng.normal());
  for (int i = 0; i < 100; ++i) fixed_labels[std::size_t(i)] = float(i / 10);  // row r: class r
  ts::Tensor<Score> ones(s.batch, 1.0f), zeros(s.batch, 0.0f), grad(s.batch);

  auto step = [&](ts::View<Image, const float> real) {
    const ts::index n = real.batch();
    run.noise(z);
    // Real images with their labels; fakes asked for random classes, as the seeds train.
    for (ts::index i = 0; i < n; ++i) real_labels[std::size_t(i)] = float(run.labels()[std::size_t(i)]);
    for (ts::index i = 0; i < n; ++i) labels[std::size_t(i)] = float(run.generator().next() % 10);
    const ts::View<Noise, const float> noise(z.data(), n);
    const ts::View<Label, const float> fake_labels(labels.data(), n), true_labels(real_labels.data(), n);
    const ts::View<Score, const float> one(ones.data(), n), zero(zeros.data(), n);
    const ts::View<Score> g(grad.data(), n);

    run.d.zero_grad();
    float d_loss = ts::bce_loss(run.d.forward(real, true_labels), one, g);
    run.d.backward(g);
    const auto fake = run.g.forward(noise, fake_labels);
    const ts::View<Image, const float> fake_image(fake.data(), n);
    d_loss += ts::bce_loss(run.d.forward(fake_image, fake_labels), zero, g);
    run.d.backward(g);
    run.d_optimizer.step();

    run.g.zero_grad();
    run.d.requires_grad(false);
    const float g_loss = ts::bce_loss(run.d.forward(fake_image, fake_labels), one, g);
    const auto [d_image, d_label] = run.d.backward_to_input(g);
    run.g.backward(ts::View<Fake, const float>(d_image.data(), n));
    run.d.requires_grad(true);
    run.g_optimizer.step();
    return examples::Losses{d_loss, g_loss};
  };
  auto sample = [&] {
    const auto images = run.g.predict(fixed_noise, fixed_labels);
    return ts::Tensor<Image>::from({images.data(), images.data() + images.size()});
  };
  run.train(s.epochs, step, sample, /*row=*/10);

  scoring.report(
      run.g, s.seed + 4,
      [&](std::span<const std::int64_t> classes, ts::Generator& rng) {
        const auto n = ts::index(classes.size());
        ts::Tensor<Noise> noise(n);
        ts::Tensor<Label> asked(n);
        for (float& v : noise.span()) v = float(rng.normal());
        for (ts::index i = 0; i < n; ++i) asked[std::size_t(i)] = float(classes[std::size_t(i)]);
        const auto images = run.g.predict(noise, asked);
        return ts::Tensor<Image>::from({images.data(), images.data() + images.size()});
      },
      examples::Classes::asked);
}

int main(int argc, char** argv) {
  Settings s;
  examples::Flags flags("cgan", "Trains a seed conditional GAN (004 or 002) on Fashion-MNIST; writes grids of "
                                "one class per row, a loss curve and a checkpoint to the output folder.");
  flags.add("form", s.form, "004 (plain Linear blocks) or 002 (Linear + BatchNorm1d blocks)", {"004", "002"});
  flags.add("epochs", s.epochs, "passes over the 60,000 training images, in all (a resumed run's included)", examples::between(1, examples::max_epochs));
  flags.add("batch", s.batch, "images per batch", examples::between<ts::index>(1, 60000));
  flags.add("seed", s.seed, "seed of every random draw (weights, noise, labels, batch order)", examples::any_integer<std::uint64_t>());
  flags.add("out", s.out, "output folder");
  flags.add("data", s.data, "folder of the Fashion-MNIST IDX files");
  flags.add("resume", s.resume, "checkpoint folder of an earlier run (<out>/checkpoint) to continue from");
  examples::add_score_flags(flags, s.score);
  flags.parse(argc, argv);
  return examples::guarded_main("cgan", [&] {
    if (s.form == "004")
      train<ts::models::CganGenerator004, ts::models::CganDiscriminator004>(s);
    else if (s.form == "002")
      train<ts::models::CganGenerator002<>, ts::models::CganDiscriminator002<>>(s);
    else
      throw std::invalid_argument("--form must be 004 or 002, not '" + s.form + "'");
  });
}
