// Trains seed 002's InfoGAN on Fashion-MNIST padded to 32x32: G draws an image from noise z (62),
// a one-hot class c (10) and two continuous codes s (N(0, 1)); D scores it (adversarial head) and
// recovers c and s from it (class and code heads), and the information loss (cross-entropy on c,
// MSE on s) trains both, so that c and s come to mean something visible in the image.
// Each iteration is the seed's three updates (examples/common/infogan_step.hpp): G through a
// frozen D (MSE of D's score against 1), D on real (1) and those fakes (0), halved, and the
// information step on fresh draws, whose Adam is a third one over G's and D's parameters together.
// All three Adams lr 2e-4, betas (0.5, 0.999); batch 64; both models start from the seed's
// _weights_init (ts::dcgan_init: conv weights N(0, 0.02), batch-norm weights N(1, 0.02), biases 0).
//   --class-head logits   D's class head gives logits to the cross-entropy (the better default;
//                         SEEDS.md, "Details settled")
//   --class-head softmax  the seed as written: softmax probabilities, which the cross-entropy
//                         passes through a softmax again
//   --lambda-cat, --lambda-con  the information loss's weights; the seed's 1 and 1 (PyTorch-GAN's
//                         InfoGAN, which the seed's models follow, weighs the codes 0.1)
// The images are padded with the background (-1) rather than resized, as examples/wgan.cpp does.
// At the end of each epoch, with G in eval mode and fixed noise (the same in every epoch):
//   samples_<epoch>.png  10 x 10: row r class r; column j noise draw j; codes 0
//   code1_<epoch>.png    10 x 10: row r class r; code 1 from -sweep to +sweep along the columns,
//                        code 2 at 0; one noise draw throughout
//   code2_<epoch>.png    the same for code 2
// and losses.png (D, G, information loss) and a checkpoint (G, D, the three Adams, the losses)
// that --resume continues from. At the end it prints the FID of 10,000 generated images (their
// 28x28 centres; class code i % 10 for image i, continuous codes 0, noise N(0, 1)) on the
// features of examples/classifier's network, and the code-class agreement: the fraction the
// classifier puts in the class matched with their code, under the best one-to-one match of the
// ten codes to the ten classes (G learns the classes without their names; the match is printed
// as code->class pairs), examples/common/scoring.hpp.
//
// G is the expensive part: 14.8 GFLOPs a forward of 64 (its 3x3 convolutions of 128 channels at
// 16x16 and 32x32), run forward and backward twice an iteration. One epoch (937 iterations of 64)
// took 27 minutes on one thread of the 2-core development machine while other jobs kept it loaded
// (load average 4 to 7); hence one epoch by default, and --epochs 3 for the grids of
// docs/examples.md.
//   infogan --epochs 3 --out runs/infogan
#include <cstdint>
#include <iostream>
#include <span>
#include <string>
#include <tessera/models/infogan.hpp>
#include <tessera/tools.hpp>
#include <tessera/train/init.hpp>
#include <vector>

#include "common/flags.hpp"
#include "common/gan_run.hpp"
#include "common/image_data.hpp"
#include "common/infogan_step.hpp"
#include "common/scoring.hpp"

namespace ts = tessera;

struct Settings {
  std::string class_head = "logits";
  int epochs = 1;
  ts::index batch = 64;
  double lr = 2e-4;
  double lambda_cat = 1, lambda_con = 1;
  double sweep = 1;
  std::uint64_t seed = 1;
  std::string out = "infogan_output", data = std::string(ts::data::fashion_mnist_default_dir),
              resume;
  examples::ScoreSettings score;
};

constexpr int latent = 62, classes = 10, codes = 2;
using Image = ts::Shape<1, 32, 32>;
using Latents = examples::LatentCodes<latent, classes, codes>;
using G = ts::Model<ts::models::InfoganGenerator<>,
                    ts::Shapes<ts::Shape<latent>, ts::Shape<classes>, ts::Shape<codes>>>;

template <class DSpec>
void train(const Settings& s) {
  using D = ts::Model<DSpec, Image>;
  examples::GanScoring scoring(s.score, s.data);
  examples::GanRun<G, D> run(s.seed, s.batch, s.out, s.data, {.lr = s.lr, .betas = {0.5, 0.999}},
                             {.title = "InfoGAN losses",
                              .d = "D loss (MSE)",
                              .g = "G loss (MSE)",
                              .third = "information loss (CE + MSE)",
                              .y_label = "loss",
                              .third_key = "info"});
  ts::dcgan_init(run.g);
  ts::dcgan_init(run.d);
  // itertools.chain(netG.parameters(), netD.parameters()): the models are trainable now, so both
  // lists are whole.
  ts::Adam<float> info_optimizer(ts::join_parameters(run.g.parameters(), run.d.parameters()),
                                 {.lr = s.lr, .betas = {0.5, 0.999}});
  run.checkpoint_optimizer("info_optimizer", info_optimizer);
  if (!s.resume.empty()) run.resume(s.resume);
  std::cout << run.g.summary(s.batch) << run.d.summary(s.batch);

  ts::Tensor<Image> real_images(s.batch, -1.0f);
  Latents adversarial(s.batch), info(s.batch);
  examples::InfoganStep<G, D> step(s.batch,
                                   {.categorical = s.lambda_cat, .continuous = s.lambda_con});

  // The grids' codes, the same in every epoch and run.
  ts::Generator sample_rng(s.seed + 3);
  ts::Tensor<ts::Shape<latent>> fixed_noise(10);
  for (float& v : fixed_noise.span()) v = float(sample_rng.normal());
  const Latents fixed = examples::fixed_codes<latent, classes, codes>(fixed_noise, 10);
  const Latents sweep1 = examples::code_sweep<latent, classes, codes>(fixed_noise, 0, 10, s.sweep);
  const Latents sweep2 = examples::code_sweep<latent, classes, codes>(fixed_noise, 1, 10, s.sweep);

  auto train_step = [&](ts::View<ts::Shape<1, 28, 28>, const float> images) {
    examples::pad_into(images, real_images);
    adversarial.draw(run.generator());
    info.draw(run.generator());
    const auto l =
        step(run.g, run.d, run.g_optimizer, run.d_optimizer, info_optimizer,
             ts::View<Image, const float>(real_images.data(), images.batch()), adversarial, info);
    return examples::Losses{l.d, l.g, l.info};
  };
  auto sample = [&] {
    std::vector<examples::NamedGrid<ts::Tensor<Image>>> grids;
    const std::pair<const char*, const Latents*> grid_codes[] = {
        {"samples", &fixed}, {"code1", &sweep1}, {"code2", &sweep2}};
    for (const auto& [name, codes_of] : grid_codes) {
      const auto images = run.g.predict(codes_of->noise, codes_of->one_hot, codes_of->code);
      grids.push_back(
          {name, ts::Tensor<Image>::from({images.data(), images.data() + images.size()})});
    }
    return grids;
  };
  run.train(s.epochs, train_step, sample, /*row=*/10);

  scoring.report(
      run.g, s.seed + 4,
      [&](std::span<const std::int64_t> classes_asked, ts::Generator& rng) {
        Latents asked(ts::index(classes_asked.size()));  // continuous codes 0
        for (float& v : asked.noise.span()) v = float(rng.normal());
        for (std::size_t i = 0; i < classes_asked.size(); ++i)
          asked.set_class(ts::index(i), classes_asked[i]);
        return ts::FashionScorer::centre_crop(
            run.g.predict(asked.noise, asked.one_hot, asked.code));
      },
      examples::Classes::matched);
}

int main(int argc, char** argv) {
  Settings s;
  examples::Flags flags(
      "infogan",
      "Trains seed 002's InfoGAN on Fashion-MNIST padded to 32x32; writes grids of one "
      "class per row (fixed noise, and each continuous code swept along the "
      "columns), a loss plot and a checkpoint to the output folder.");
  flags.add("class-head", s.class_head,
            "logits (D's class head gives logits) or softmax (the seed as written: probabilities, "
            "softmaxed again "
            "by the cross-entropy)",
            {"logits", "softmax"});
  flags.add("epochs", s.epochs,
            "passes over the 60,000 training images, in all (a resumed run's included)",
            examples::between(1, examples::max_epochs));
  flags.add("batch", s.batch, "images per batch (at least 2: D's heads have BatchNorm1d)",
            examples::between<ts::index>(2, 60000));
  flags.add("lr", s.lr, "learning rate of the three Adams", examples::strictly_between(0.0, 1.0));
  flags.add("lambda-cat", s.lambda_cat,
            "weight of the information loss's cross-entropy on the class",
            examples::between(0.0, 100.0));
  flags.add(
      "lambda-con", s.lambda_con,
      "weight of the information loss's MSE on the continuous codes (PyTorch-GAN's InfoGAN: 0.1)",
      examples::between(0.0, 100.0));
  flags.add("sweep", s.sweep,
            "the code grids' columns run from -sweep to +sweep (the codes are drawn N(0, 1))",
            examples::strictly_between(0.0, 10.0));
  flags.add("seed", s.seed,
            "seed of every random draw (weights, noise, classes, codes, batch order)",
            examples::any_integer<std::uint64_t>());
  flags.add("out", s.out, "output folder");
  flags.add("data", s.data, "folder of the Fashion-MNIST IDX files");
  flags.add("resume", s.resume,
            "checkpoint folder of an earlier run (<out>/checkpoint) to continue from");
  examples::add_score_flags(flags, s.score);
  flags.parse(argc, argv);
  return examples::guarded_main("infogan", [&] {
    if (s.class_head == "logits")
      train<ts::models::InfoganDiscriminator<>>(s);
    else
      train<ts::models::InfoganDiscriminator002<>>(s);
  });
}
