// CycleGAN (Zhu et al. 2017) as seed 004 trains it, on two unpaired Fashion-MNIST classes: sneakers
// (domain A, class 7) <-> ankle boots (domain B, class 9) by default, 6,000 training images each,
// padded to 32x32 with the background. Nothing pairs a sneaker with a boot: G_AB has to learn
// "make it a boot" (raise the shaft, keep the sole and the pose) from the adversarial loss, and the
// cycle loss makes it keep enough of the sneaker for G_BA to bring it back.
//
// Seed 004's models, narrowed for 28-pixel garments: G is CycleganGenerator<1, 6, 16> (reflection-
// padded 7x7 stem, two stride-2 convolutions, 6 residual blocks at 8x8, two transposed
// convolutions; ngf 16 instead of 64, 6 blocks as the paper uses below 256x256; 0.49M parameters)
// and D is CycleganDiscriminator<32> (the 70x70 PatchGAN with ndf 32, its 2x2 patch scores
// averaged; 0.69M). The seed's losses and optimizers (examples/common/cyclegan_step.hpp): LSGAN
// (MSE), cycle L1 x 10, identity L1 x 5; one Adam (2e-4, betas 0.5, 0.999) over both generators,
// one per discriminator, at a constant rate as the seed trains. --decay-epochs N is the paper's
// schedule instead: the rate falls linearly to 0 over the last N epochs (a ts::LambdaLR on each
// Adam). The paper's pool of 50 earlier fakes before each D (ts::ImagePool); --pool 0 gives D the
// newest fakes only, as the seed's loop does. The seed trains with batch 1 (its InstanceNorm
// normalises each image alone, so the batch only averages the gradient); 16 here, for the CPU's
// sake.
//
// An epoch is one pass over the 6,000 sneakers, each batch beside a batch of boots in an order of
// its own (the seed's unaligned pairs). At its end, on the first --heldout test images of each
// class: the cycle L1 |G_BA(G_AB(a)) - a| and |G_AB(G_BA(b)) - b| (pixels in [-1, 1]) and, when
// examples/classifier's weights are there (--scorer), the translation accuracy (the fraction of
// G_AB(a) that the classifier takes for boots, of G_BA(b) for sneakers) and the FID of G_AB(a)
// against the real test boots and of G_BA(b) against the sneakers, on the classifier's features
// (the untranslated images' FID, printed once, is the distance there was to cover). Printed,
// appended to heldout.txt and plotted in heldout.png; the grids a2b2a_<epoch>.png and
// b2a2b_<epoch>.png (test images, each as x | translated | back); losses.png; a checkpoint
// (models, optimizers, pools) that --resume continues from.
//   cyclegan --out runs/cyclegan
//   cyclegan --out runs/cyclegan --resume runs/cyclegan/checkpoint --epochs 8
#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <tessera/io/checkpoint.hpp>
#include <tessera/models/cyclegan.hpp>
#include <tessera/tessera.hpp>
#include <tessera/tools.hpp>
#include <vector>

#include "common/cyclegan_step.hpp"
#include "common/flags.hpp"
#include "common/image_data.hpp"
#include "common/scoring.hpp"

namespace ts = tessera;
namespace fs = std::filesystem;
using Image = ts::Shape<1, 32, 32>;
using Garment = ts::Shape<1, 28, 28>;

constexpr int ngf = 16, blocks = 6, ndf = 32;
using G = ts::Model<ts::models::CycleganGenerator<1, blocks, ngf>, Image>;
using D = ts::Model<ts::models::CycleganDiscriminator<ndf>, Image>;
using Step = examples::CycleganStep<G, D>;

struct Settings {
  int epochs = 3, decay_epochs = 0, heldout = 1000, pool = 50;
  ts::index batch = 16;
  std::int64_t class_a = 7, class_b = 9;
  double lr = 2e-4, lambda_cycle = 10, lambda_identity = 0.5;
  std::uint64_t seed = 1;
  std::string out = "cyclegan_output", data = std::string(ts::data::fashion_mnist_default_dir),
              resume;
  examples::ScoreSettings score;
};

// The images of one class, padded to 32x32 with the background.
ts::Tensor<Image> domain(const ts::data::LabelledImages<Garment>& set, std::int64_t label,
                         ts::index limit = -1) {
  std::vector<ts::index> picked;
  for (ts::index i = 0; i < set.size(); ++i)
    if (set.labels[std::size_t(i)] == label && (limit < 0 || ts::index(picked.size()) < limit))
      picked.push_back(i);
  ts::Tensor<Image> out(ts::index(picked.size()));
  for (std::size_t k = 0; k < picked.size(); ++k)
    examples::pad_into<32>(ts::View<Garment, const float>(set.images.data() + picked[k] * 784, 1),
                           ts::View<Image>(out.data() + k * 1024, 1));
  return out;
}

// What a run has done: epochs and each iteration's losses, kept in the checkpoint.
struct History {
  int epochs = 0;
  std::vector<examples::CycleLosses> losses;
};

std::string history_text(const History& h) {
  std::ostringstream out;
  out.precision(9);
  out << "epochs " << h.epochs << "\niterations " << h.losses.size() << "\n";
  for (const auto& l : h.losses)
    out << l.d_a << " " << l.d_b << " " << l.adversarial << " " << l.cycle << " " << l.identity
        << "\n";
  return out.str();
}

History read_history(const fs::path& path, const ts::io::Checkpoint& saved) {
  auto fail = [&](const std::string& problem) { throw ts::io::CheckpointError(path, problem); };
  if (saved.value("content") != "cyclegan-run")
    fail("the checkpoint holds '" + saved.value("content") + "', not a CycleGAN run");
  std::ifstream in(path);
  std::string word, line;
  History h;
  std::size_t iterations = 0;
  if (!(in >> word >> h.epochs) || word != "epochs" || h.epochs < 1 ||
      h.epochs > examples::max_epochs || !(in >> word >> iterations) || word != "iterations")
    fail("does not start with 'epochs <n>' and 'iterations <k>'");
  if (std::to_string(h.epochs) != saved.value("epochs"))
    fail("epochs " + std::to_string(h.epochs) + ", but the manifest says " + saved.value("epochs"));
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string v[5], rest;
    float f[5];
    bool ok = bool(words >> v[0] >> v[1] >> v[2] >> v[3] >> v[4]) && !(words >> rest);
    for (int k = 0; ok && k < 5; ++k) {
      const auto [end, ec] = std::from_chars(v[k].data(), v[k].data() + v[k].size(), f[k]);
      ok = ec == std::errc() && end == v[k].data() + v[k].size();
    }
    if (!ok)
      fail("line " + std::to_string(h.losses.size() + 3) + ": '" + line + "' is not five losses");
    h.losses.push_back({f[0], f[1], f[2], f[3], f[4]});
  }
  if (h.losses.size() != iterations)
    fail("has " + std::to_string(h.losses.size()) + " iterations of losses, but says " +
         std::to_string(iterations));
  return h;
}

// The held-out numbers of one epoch; the scores are NaN without a classifier.
struct Heldout {
  double cycle_a = 0, cycle_b = 0;
  double accuracy_ab = NAN, accuracy_ba = NAN, fid_ab = NAN, fid_ba = NAN;
};

void train(const Settings& s) {
  if (s.class_a == s.class_b)
    throw examples::UsageError("--class-a and --class-b are both " + std::to_string(s.class_a) +
                               ": CycleGAN translates between two classes");
  if (s.decay_epochs > s.epochs)
    throw examples::UsageError("--decay-epochs " + std::to_string(s.decay_epochs) +
                               " is more than --epochs " + std::to_string(s.epochs));
  const fs::path out(s.out);
  fs::create_directories(out);

  const auto train_set = ts::data::load_fashion_mnist(ts::data::Split::train, s.data);
  const auto test_set = ts::data::load_fashion_mnist(ts::data::Split::test, s.data);
  const ts::Tensor<Image> train_a = domain(train_set, s.class_a),
                          train_b = domain(train_set, s.class_b);
  const ts::Tensor<Image> test_a = domain(test_set, s.class_a, s.heldout),
                          test_b = domain(test_set, s.class_b, s.heldout);
  const ts::index per_epoch = std::min(train_a.batch(), train_b.batch()) / s.batch;
  if (per_epoch < 1)
    throw examples::UsageError("--batch " + std::to_string(s.batch) + " is more than the " +
                               std::to_string(std::min(train_a.batch(), train_b.batch())) +
                               " training images of a class");
  std::cout << "A: " << train_set.class_names[std::size_t(s.class_a)] << " (" << train_a.batch()
            << " training, " << test_a.batch()
            << " held out), B: " << train_set.class_names[std::size_t(s.class_b)] << " ("
            << train_b.batch() << ", " << test_b.batch() << ")\n";

  G g_ab(s.seed), g_ba(s.seed + 1);
  D d_a(s.seed + 2), d_b(s.seed + 3);
  const ts::AdamOptions adam{.lr = s.lr, .betas = {0.5, 0.999}};
  ts::Adam<float> g_optimizer(ts::join_parameters(g_ab.parameters(), g_ba.parameters()), adam),
      d_a_optimizer(d_a.parameters(), adam), d_b_optimizer(d_b.parameters(), adam);
  // The paper's linear decay: lr for epochs 0 .. E - N - 1, then falling by lr / N an epoch.
  const int constant = s.epochs - s.decay_epochs, decay = s.decay_epochs;
  auto rule = [=](int epoch) {
    return 1.0 - std::max(0, epoch + 1 - constant) / double(decay + 1);
  };
  ts::LambdaLR g_schedule(g_optimizer, rule), d_a_schedule(d_a_optimizer, rule),
      d_b_schedule(d_b_optimizer, rule);
  ts::ImagePool<Image> pool_a(s.pool, s.seed + 4), pool_b(s.pool, s.seed + 5);
  std::cout << g_ab.summary(s.batch) << d_a.summary(s.batch);

  // What a checkpoint holds besides the history, each as <name>.safetensors.
  auto for_each_part = [&](auto use) {
    use("g_ab", g_ab);
    use("g_ba", g_ba);
    use("d_a", d_a);
    use("d_b", d_b);
    use("g_optimizer", g_optimizer);
    use("d_a_optimizer", d_a_optimizer);
    use("d_b_optimizer", d_b_optimizer);
    use("pool_a", pool_a);
    use("pool_b", pool_b);
  };
  History history;
  if (!s.resume.empty()) {
    const auto saved = ts::io::Checkpoint::open(s.resume);
    if (saved.recovered())
      std::cout << "note: " << s.resume << " is missing; using " << saved.folder().string()
                << ", the checkpoint that an interrupted save had set aside\n";
    history = read_history(saved.file("progress.txt"), saved);
    for_each_part(
        [&](const std::string& name, auto& part) { part.load(saved.file(name + ".safetensors")); });
    if (history.epochs > s.epochs)
      throw examples::UsageError("--epochs " + std::to_string(s.epochs) + " is less than the " +
                                 std::to_string(history.epochs) + " epochs already done by " +
                                 s.resume);
    for (auto* schedule : {&g_schedule, &d_a_schedule, &d_b_schedule})
      schedule->set_last_epoch(history.epochs);
    std::cout << "resumed from " << saved.folder().string() << " after epoch " << history.epochs
              << "\n";
  }

  examples::GanScoring scoring(s.score, s.data);
  ts::FashionScorer* scorer = scoring.scorer();
  // The real test images' feature statistics, which every epoch's FIDs compare with.
  ts::GaussianStats stats_a, stats_b;
  if (scorer) {
    stats_a = scorer->statistics(ts::FashionScorer::centre_crop(test_a));
    stats_b = scorer->statistics(ts::FashionScorer::centre_crop(test_b));
    std::cout << "untranslated: FID(A, B) "
              << examples::fixed(ts::frechet_distance(stats_a, stats_b), 2) << " on "
              << test_a.batch() << " and " << test_b.batch() << " test images\n";
  }

  // The held-out measures and grids, G in eval mode (no difference to InstanceNorm without
  // running statistics, as here; kept for a G that has some).
  const fs::path heldout_file = out / "heldout.txt";
  auto evaluate = [&](int epoch) {
    g_ab.eval();
    g_ba.eval();
    auto translate = [&](G& g, const ts::Tensor<Image>& x) {
      ts::Tensor<Image> y(x.batch());
      for (ts::index start = 0; start < x.batch(); start += 100) {
        const ts::index m = std::min<ts::index>(100, x.batch() - start);
        const auto part = g.predict(ts::View<Image, const float>(x.data() + start * 1024, m));
        std::copy_n(part.data(), std::size_t(m) * 1024, y.data() + start * 1024);
      }
      return y;
    };
    const auto ab = translate(g_ab, test_a), aba = translate(g_ba, ab);
    const auto ba = translate(g_ba, test_b), bab = translate(g_ab, ba);
    auto l1 = [](const ts::Tensor<Image>& x, const ts::Tensor<Image>& y) {
      double sum = 0;
      for (std::size_t i = 0; i < x.size(); ++i) sum += std::abs(double(x.data()[i]) - y.data()[i]);
      return sum / double(x.size());
    };
    Heldout h{l1(aba, test_a), l1(bab, test_b)};
    std::cout << "epoch " << epoch << ": held-out cycle L1 A->B->A " << examples::fixed(h.cycle_a)
              << ", B->A->B " << examples::fixed(h.cycle_b);
    if (scorer) {
      const auto crop_ab = ts::FashionScorer::centre_crop(ab),
                 crop_ba = ts::FashionScorer::centre_crop(ba);
      h.accuracy_ab = scorer->class_accuracy(
          crop_ab, std::vector<std::int64_t>(std::size_t(ab.batch()), s.class_b));
      h.accuracy_ba = scorer->class_accuracy(
          crop_ba, std::vector<std::int64_t>(std::size_t(ba.batch()), s.class_a));
      h.fid_ab = ts::frechet_distance(scorer->statistics(crop_ab), stats_b);
      h.fid_ba = ts::frechet_distance(scorer->statistics(crop_ba), stats_a);
      std::cout << "; translation accuracy A->B " << examples::fixed(h.accuracy_ab) << ", B->A "
                << examples::fixed(h.accuracy_ba) << "; FID(G_AB(A), B) "
                << examples::fixed(h.fid_ab, 2) << ", FID(G_BA(B), A) "
                << examples::fixed(h.fid_ba, 2);
    }
    std::cout << "\n";

    // heldout.txt keeps the epochs before this one (a resumed run continues its file).
    std::vector<std::string> lines;
    {
      std::ifstream in(heldout_file);
      std::string line;
      while (std::getline(in, line) && int(lines.size()) + 1 < epoch)
        if (line.rfind(std::to_string(lines.size() + 1) + " ", 0) == 0) lines.push_back(line);
    }
    std::ostringstream line;
    line.precision(9);
    line << epoch << " " << h.cycle_a << " " << h.cycle_b << " " << h.accuracy_ab << " "
         << h.accuracy_ba << " " << h.fid_ab << " " << h.fid_ba;
    lines.push_back(line.str());
    std::ofstream file(heldout_file, std::ios::trunc);
    for (const auto& l : lines) file << l << "\n";
    if (!file)
      throw std::runtime_error(heldout_file.string() + ": could not write the held-out scores");
    std::vector<double> ca, cb, x;
    for (const auto& l : lines) {
      std::istringstream words(l);
      double e, a, b;
      words >> e >> a >> b;
      x.push_back(e);
      ca.push_back(a);
      cb.push_back(b);
    }
    ts::io::save_loss_plot(
        out / "heldout.png", {{"cycle L1 A->B->A", ca, x}, {"cycle L1 B->A->B", cb, x}},
        {.title = "held-out cycle L1", .x_label = "epoch", .y_label = "L1 (pixels in [-1, 1])"});

    // Triplets x | translated | back, four to a row, of the first 24 test images of each domain.
    auto grid = [&](const char* name, const ts::Tensor<Image>& x, const ts::Tensor<Image>& y,
                    const ts::Tensor<Image>& z) {
      const auto images = examples::triplets(x, y, z, 24);
      char file_name[64];
      std::snprintf(file_name, sizeof file_name, "%s_%03d.png", name, epoch);
      ts::io::save_image_grid(images, out / file_name,
                              {.nrow = 12, .normalize = true, .value_range = {{-1.0f, 1.0f}}});
    };
    grid("a2b2a", test_a, ab, aba);
    grid("b2a2b", test_b, ba, bab);
    g_ab.train();
    g_ba.train();
  };

  auto save_checkpoint = [&] {
    ts::io::CheckpointWriter save(out / "checkpoint");
    for_each_part([&](const std::string& name, const auto& part) {
      part.save(save.file(name + ".safetensors"));
    });
    save.write_text("progress.txt", history_text(history));
    save.set("content", "cyclegan-run");
    save.set("epochs", std::to_string(history.epochs));
    save.commit();
  };

  auto plot_losses = [&] {
    std::vector<double> da, db, adv, cyc, id;
    for (const auto& l : history.losses) {
      da.push_back(l.d_a);
      db.push_back(l.d_b);
      adv.push_back(l.adversarial);
      cyc.push_back(l.cycle);
      id.push_back(l.identity);
    }
    ts::io::save_loss_plot(
        out / "losses.png",
        {{"D_A: 0.5 (real + fake)", da},
         {"D_B", db},
         {"G: adversarial (both)", adv},
         {"G: 10 cycle L1 (both)", cyc},
         {"G: 5 identity L1 (both)", id}},
        {.title = "CycleGAN losses", .x_label = "iteration", .y_label = "loss", .smoothing = 50});
  };

  if (history.epochs == s.epochs) {
    std::cout << "the checkpoint has all " << s.epochs << " epochs already; nothing to train\n";
    return;
  }
  Step step(s.batch, {.cycle = s.lambda_cycle, .identity = s.lambda_cycle * s.lambda_identity});
  const examples::CycleganModels<G, D, ts::Adam<float>> models{
      g_ab, g_ba, d_a, d_b, g_optimizer, d_a_optimizer, d_b_optimizer};
  ts::Tensor<Image> batch_a(s.batch), batch_b(s.batch);
  std::vector<ts::index> order_a(std::size_t(train_a.batch())),
      order_b(std::size_t(train_b.batch()));
  ts::Generator rng(0);
  ts::ProgressBar progress(std::cout, per_epoch * (s.epochs - history.epochs));
  for (int e = 0; history.epochs < s.epochs; ++e) {
    // Each epoch's draws from seeds of its own, so that a resumed run repeats them.
    const std::uint64_t epoch_seed = s.seed + 1000003 * std::uint64_t(history.epochs + 1);
    rng.seed(epoch_seed);
    pool_a.generator().seed(epoch_seed + 4);
    pool_b.generator().seed(epoch_seed + 5);
    for (auto* order : {&order_a, &order_b}) {
      for (std::size_t i = 0; i < order->size(); ++i) (*order)[i] = ts::index(i);
      for (std::size_t i = order->size(); i > 1; --i)
        std::swap((*order)[i - 1], (*order)[rng.next() % i]);
    }
    double sum_d = 0, sum_g = 0, sum_cycle = 0;
    for (ts::index b = 0; b < per_epoch; ++b) {
      for (ts::index i = 0; i < s.batch; ++i) {
        const std::size_t k = std::size_t(b * s.batch + i);
        std::copy_n(train_a.data() + order_a[k] * 1024, 1024, batch_a.data() + i * 1024);
        std::copy_n(train_b.data() + order_b[k] * 1024, 1024, batch_b.data() + i * 1024);
      }
      const auto l = step(models, batch_a, batch_b, pool_a, pool_b);
      history.losses.push_back(l);
      sum_d += l.d_a + l.d_b;
      sum_g += l.g();
      sum_cycle += l.cycle;
      progress.update(e * per_epoch + b + 1, {{"epoch", double(history.epochs + 1)},
                                              {"D_A", l.d_a},
                                              {"D_B", l.d_b},
                                              {"G", l.g()},
                                              {"cycle", l.cycle}});
    }
    ++history.epochs;
    progress.message("epoch " + std::to_string(history.epochs) + ": mean D_A + D_B " +
                     std::to_string(sum_d / per_epoch) + ", G " +
                     std::to_string(sum_g / per_epoch) + " (cycle " +
                     std::to_string(sum_cycle / per_epoch) + "), lr " +
                     std::to_string(g_optimizer.lr()));
    // The next epoch's lr (after the last epoch the rule gives 0 with --decay-epochs: never used).
    for (auto* schedule : {&g_schedule, &d_a_schedule, &d_b_schedule}) schedule->step();
    evaluate(history.epochs);
    plot_losses();
    save_checkpoint();  // whole or not at all: a kill leaves the previous epoch's
  }
  progress.finish();
}

int main(int argc, char** argv) {
  Settings s;
  examples::Flags flags("cyclegan",
                        "Trains seed 004's CycleGAN (two ResNet generators, two PatchGANs, LSGAN + "
                        "cycle + identity losses) between two unpaired Fashion-MNIST classes at "
                        "32x32; writes A->B->A and B->A->B grids, held-out scores, a loss plot and "
                        "a checkpoint.");
  flags.add("epochs", s.epochs,
            "passes over domain A's training images, in all (a resumed run's included)",
            examples::between(1, examples::max_epochs));
  flags.add("decay-epochs", s.decay_epochs,
            "of these, the last ones over which the learning rate falls linearly to 0 (the paper's "
            "schedule; 0: constant, as the seed trains)",
            examples::between(0, examples::max_epochs));
  flags.add("batch", s.batch, "image pairs per batch", examples::between<ts::index>(1, 6000));
  flags.add("class-a", s.class_a, "Fashion-MNIST class of domain A (7: sneaker)",
            examples::between<std::int64_t>(0, 9));
  flags.add("class-b", s.class_b, "Fashion-MNIST class of domain B (9: ankle boot)",
            examples::between<std::int64_t>(0, 9));
  flags.add("lr", s.lr, "Adam learning rate of all three optimizers (the seed's 2e-4)",
            examples::strictly_between(0.0, 1.0));
  flags.add("lambda-cycle", s.lambda_cycle, "weight of the cycle L1 (the seed's 10)",
            examples::between(0.0, 1e6));
  flags.add("lambda-identity", s.lambda_identity,
            "weight of the identity L1, as a fraction of --lambda-cycle (the seed's 0.5: 5)",
            examples::between(0.0, 1e6));
  flags.add("pool", s.pool,
            "earlier fakes each D also learns from (the paper's 50; 0: the seed's newest only)",
            examples::between(0, 100000));
  flags.add("heldout", s.heldout, "test images of each class the held-out scores use",
            examples::between(2, 1000));
  flags.add("seed", s.seed, "seed of every random draw (weights, batch order, pools)",
            examples::any_integer<std::uint64_t>());
  flags.add("out", s.out, "output folder");
  flags.add("data", s.data, "folder of the Fashion-MNIST IDX files");
  flags.add("resume", s.resume,
            "checkpoint folder of an earlier run (<out>/checkpoint) to continue from");
  examples::add_score_flags(flags, s.score);
  flags.parse(argc, argv);
  return examples::guarded_main("cyclegan", [&] { train(s); });
}
