// pix2pix (Isola et al. 2017) as seed 003 trains it, on Fashion-MNIST: edges -> garment. The input
// is a garment's edge map (Sobel, thresholded: a line drawing, examples/common/edges.hpp), the
// target the garment itself, both padded to 32x32. It is the paper's edges2shoes task on clothes:
// the outline fixes the shape, but not the brightness, the print or the folds, which G has to
// invent plausibly; that is where L1 alone blurs to the mean and the adversarial term is meant to
// help. (Inpainting a masked garment would leave most pixels to copy, an easier and less telling
// test of the conditional GAN.)
//
// Seed 003's models and losses: G is Pix2PixGenerator003, the U-Net, here 5 levels deep for 32x32
// with nf = 16 channels at the top (the seed: 8 levels for 256x256, nf 64); D is the PatchGAN
// Pix2PixDiscriminator003 with 16 features (the seed's 64) on cat(edges, garment), 2 channels in,
// one logit per patch (2x2 patches at 32x32, each seeing the whole image). Widths 16, not 32, so
// that an epoch takes minutes on two cores: at 32 an iteration took 2.2 times as long. Per batch:
//   D: 0.5 * (BCE(D(x, y), 1) + BCE(D(x, G(x)), 0)), G(x) not differentiated into G;
//   G: BCE(D(x, G(x)), 1) + lambda * L1(G(x), y), lambda 100, through the updated D (frozen);
// both Adam lr 2e-4, betas (0.5, 0.999). The BCE is ts::bce_with_logits_loss (D ends in a conv).
//
// An epoch is one pass over the 60,000 training garments. At its end, with G in eval mode (no
// dropout): the mean L1 |G(x) - y| over the first --heldout garments of the 10,000 test ones
// (pixels in [-1, 1]; printed, appended to heldout_l1.txt and plotted in heldout_l1.png),
// triplets_<epoch>.png (32 test garments, each as edges | garment | G's output, four triplets per
// row), losses.png and a checkpoint that --resume continues from.
// Time: the default 3 epochs took 12 min 56 s on one thread of the 2-core development machine
// beside other builds (4.4 to 7.3 iterations of 32 a second); held-out L1 0.107, 0.098, 0.095.
//   pix2pix --out runs/pix2pix
//   pix2pix --out runs/pix2pix --resume runs/pix2pix/checkpoint --epochs 6
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <tessera/models/patchgan.hpp>
#include <tessera/models/pix2pix.hpp>
#include <tessera/tessera.hpp>
#include <tessera/tools.hpp>
#include <vector>

#include "common/edges.hpp"
#include "common/flags.hpp"
#include "common/gan_run.hpp"
#include "common/image_data.hpp"

namespace ts = tessera;
using examples::Image32;

struct Settings {
  int epochs = 3;
  ts::index batch = 32;
  double lambda = 100;
  double threshold = 1.0;
  int heldout = 2000;
  std::uint64_t seed = 1;
  std::string out = "pix2pix_output", data = std::string(ts::data::fashion_mnist_default_dir),
              resume;
};

constexpr int nf = 16, d_features = 16;
constexpr std::size_t depth = 5;
using G = ts::Model<ts::models::Pix2PixGenerator003<1, nf, depth>, Image32>;
using D = ts::Model<ts::models::Pix2PixDiscriminator003<d_features>, ts::Shapes<Image32, Image32>>;
using Score = D::Output;  // Shape<1, 2, 2>: one logit per patch

// Held-out L1 by epoch, from <out>/heldout_l1.txt ("<epoch> <L1>" lines): those of the epochs
// before `epoch`, so that a resumed run's file and plot continue where the checkpoint stopped.
std::vector<double> read_heldout(const std::filesystem::path& file, int epoch) {
  std::vector<double> l1;
  std::ifstream in(file);
  int e = 0;
  double v = 0;
  while (in >> e >> v)
    if (e == int(l1.size()) + 1 && e < epoch) l1.push_back(v);
  return l1;
}

void train(const Settings& s) {
  examples::GanRun<G, D> run(s.seed, s.batch, s.out, s.data, {.lr = 2e-4, .betas = {0.5, 0.999}},
                             {.title = "pix2pix losses",
                              .d = "D: 0.5 (BCE real + BCE fake)",
                              .g = "G: BCE + lambda L1",
                              .y_label = "loss"});
  if (!s.resume.empty()) run.resume(s.resume);
  std::cout << run.g.summary(s.batch) << run.d.summary(s.batch);

  // The held-out pairs, made once.
  const auto test = ts::data::load_fashion_mnist(ts::data::Split::test, s.data);
  const ts::index n_test = std::min<ts::index>(s.heldout, test.size());
  ts::Tensor<Image32> test_garments(n_test), test_edges(n_test);
  examples::pad_into(ts::View<examples::Garment28, const float>(test.images.data(), n_test),
                     test_garments.view());
  examples::sobel_edges(test_garments.view(), test_edges.view(), float(s.threshold));

  ts::Tensor<Image32> garments(s.batch), edges(s.batch), d_output(s.batch);
  ts::Tensor<Image32> l1_grad(s.batch);
  ts::Tensor<Score> ones(s.batch, 1.0f), zeros(s.batch, 0.0f), grad(s.batch);
  const float lambda = float(s.lambda);

  auto step = [&](ts::View<examples::Garment28, const float> images) {
    const ts::index n = images.batch();
    const ts::View<Image32> y(garments.data(), n), x(edges.data(), n);
    examples::pad_into(images, y);
    examples::sobel_edges(y, x, float(s.threshold));
    const ts::View<Score, const float> one(ones.data(), n), zero(zeros.data(), n);
    const ts::View<Score> g(grad.data(), n);
    auto halve = [&] {
      for (float& v : std::span(g.data(), std::size_t(n) * Score::size)) v *= 0.5f;
    };

    run.d.zero_grad();
    float d_loss = ts::bce_with_logits_loss(run.d.forward(x, y), one, g);
    halve();
    run.d.backward(g);
    const auto fake = run.g.forward(x);
    d_loss += ts::bce_with_logits_loss(run.d.forward(x, fake), zero, g);
    halve();
    run.d.backward(g);
    run.d_optimizer.step();

    run.g.zero_grad();
    run.d.requires_grad(false);
    const float adversarial = ts::bce_with_logits_loss(run.d.forward(x, fake), one, g);
    const auto [d_edges, d_fake] = run.d.backward_to_input(g);
    const ts::View<Image32> l1g(l1_grad.data(), n), dy(d_output.data(), n);
    const float l1 = ts::l1_loss(fake, y, l1g);
    // Both terms reach G's output: their gradients add (docs/training.md, several losses).
    for (std::size_t i = 0; i < std::size_t(n) * Image32::size; ++i)
      dy.data()[i] = d_fake.data()[i] + lambda * l1g.data()[i];
    run.g.backward(dy);
    run.d.requires_grad(true);
    run.g_optimizer.step();
    return examples::Losses{0.5f * d_loss, adversarial + lambda * l1};
  };

  // Called at the end of each epoch, G in eval mode: the held-out L1 (printed, kept in
  // heldout_l1.txt and plotted) and the grid of triplets, which GanRun saves as
  // samples_<epoch>.png.
  const std::filesystem::path l1_file = std::filesystem::path(s.out) / "heldout_l1.txt";
  constexpr ts::index shown = 32;
  auto sample = [&] {
    double sum = 0;
    constexpr ts::index chunk = 100;
    for (ts::index start = 0; start < n_test; start += chunk) {
      const ts::index m = std::min(chunk, n_test - start);
      const auto out =
          run.g.forward(ts::View<Image32, const float>(test_edges.data() + start * 1024, m));
      const float* want = test_garments.data() + start * 1024;
      for (std::size_t i = 0; i < std::size_t(m) * 1024; ++i)
        sum += std::abs(double(out.data()[i]) - want[i]);
    }
    const int epoch = run.epoch() + 1;
    std::vector<double> l1 = read_heldout(l1_file, epoch);
    l1.push_back(sum / (double(n_test) * 1024));
    std::ofstream file(l1_file, std::ios::trunc);
    file.precision(9);
    for (std::size_t e = 0; e < l1.size(); ++e) file << e + 1 << " " << l1[e] << "\n";
    if (!file) throw std::runtime_error(l1_file.string() + ": could not write the held-out L1");
    std::vector<double> x(l1.size());
    for (std::size_t e = 0; e < x.size(); ++e) x[e] = double(e + 1);
    ts::io::save_loss_plot(std::filesystem::path(s.out) / "heldout_l1.png",
                           {{"held-out L1", l1, x}},
                           {.title = "held-out L1, " + std::to_string(n_test) + " test garments",
                            .x_label = "epoch",
                            .y_label = "L1 (pixels in [-1, 1])"});
    std::cout << "epoch " << epoch << ": held-out L1 " << examples::fixed(l1.back()) << " on "
              << n_test << " test garments\n";

    const ts::index k = std::min(shown, n_test);
    const auto out = run.g.forward(ts::View<Image32, const float>(test_edges.data(), k));
    return examples::triplets(test_edges, test_garments, out, k);
  };
  run.train(s.epochs, step, sample, /*row=*/12);
}

int main(int argc, char** argv) {
  Settings s;
  examples::Flags flags(
      "pix2pix",
      "Trains seed 003's pix2pix (U-Net G, PatchGAN D, BCE + lambda L1) to draw "
      "Fashion-MNIST garments from their edge maps at 32x32; writes input | target | "
      "output grids, the held-out L1 per epoch, a loss plot and a checkpoint.");
  flags.add("epochs", s.epochs,
            "passes over the 60,000 training garments, in all (a resumed run's included)",
            examples::between(1, examples::max_epochs));
  flags.add("batch", s.batch, "pairs per batch", examples::between<ts::index>(1, 60000));
  flags.add("lambda", s.lambda, "weight of G's L1 term (the seed's 100)",
            examples::between(0.0, 1e6));
  flags.add("threshold", s.threshold,
            "Sobel magnitude above which a pixel is an edge (a 0-to-1 step gives 4)",
            examples::strictly_between(0.0, 4.0));
  flags.add("heldout", s.heldout, "test garments (the first ones) the held-out L1 is measured on",
            examples::between(1, 10000));
  flags.add("seed", s.seed, "seed of every random draw (weights, dropout, batch order)",
            examples::any_integer<std::uint64_t>());
  flags.add("out", s.out, "output folder");
  flags.add("data", s.data, "folder of the Fashion-MNIST IDX files");
  flags.add("resume", s.resume,
            "checkpoint folder of an earlier run (<out>/checkpoint) to continue from");
  flags.parse(argc, argv);
  return examples::guarded_main("pix2pix", [&] { train(s); });
}
