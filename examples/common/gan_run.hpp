// What the GAN examples share around their training step: the two models and their optimizers
// (Adam unless the example names another), Fashion-MNIST in shuffled batches, the loss history, a
// progress display, and at the end of each epoch a sample grid, the loss curve and a checkpoint
// that --resume continues from. The step itself (what D and G see, which labels, which loss) is
// each example's own.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <tessera/io/checkpoint.hpp>
#include <tessera/tools.hpp>

#include "flags.hpp"

namespace examples {

namespace ts = tessera;

// What one iteration reports: D's loss and G's and, where the game has one, a third number: a
// Wasserstein critic's estimate of the distance between the real and the generated images,
// mean D(real) - mean D(fake), or InfoGAN's information loss (the BCE GANs have none).
struct Losses {
  float d, g;
  std::optional<float> third = std::nullopt;
};

// The words of losses.png and of the progress line: the BCE GANs' by default; a WGAN names its
// critic's loss and units, InfoGAN its information loss. `third_key` is the third number's short
// name on the progress bar and in the epoch's summary.
struct LossPlot {
  std::string title = "GAN losses";
  std::string d = "D loss", g = "G loss", third = "W estimate";
  std::string y_label = "BCE loss";
  std::string third_key = "W";
};

// A sample grid of its own name: sample() at the end of an epoch returns one image Tensor (written
// as samples_<epoch>.png) or a std::vector of these, each written as <name>_<epoch>.png (InfoGAN's
// grids of fixed codes and of each code swept).
template <class Images>
struct NamedGrid {
  std::string name;
  Images images;
};

// One iteration of the standard (unconditional) GAN game with BCE, as the seeds train:
// D step on the real batch labelled 1 and on G(noise), not differentiated into G, labelled 0;
// then a G step through the updated D with the fake batch labelled 1 (D frozen). `ones`, `zeros`
// and `grad` are views of D's output shape for this batch. Returns D's loss (real + fake) and G's.
template <class Run, class Real, class Noise, class Label, class Grad>
Losses gan_step(Run& run, const Real& real, const Noise& noise, const Label& ones, const Label& zeros,
                const Grad& grad) {
  run.d.zero_grad();
  float d_loss = ts::bce_loss(run.d.forward(real), ones, grad);
  run.d.backward(grad);
  const auto fake = run.g.forward(noise);
  d_loss += ts::bce_loss(run.d.forward(fake), zeros, grad);
  run.d.backward(grad);
  run.d_optimizer.step();

  run.g.zero_grad();
  run.d.requires_grad(false);
  const float g_loss = ts::bce_loss(run.d.forward(fake), ones, grad);
  run.g.backward(run.d.backward_to_input(grad));
  run.d.requires_grad(true);
  run.g_optimizer.step();
  return {d_loss, g_loss};
}

// G and D are Models; Optimizer (one type for both, each model its own) is Adam<float>, SGD<float>
// or RMSprop<float>, constructed with `options` (the default is the seeds' Adam; another optimizer
// passes its own options).
template <class G, class D, class Optimizer = ts::Adam<float>>
class GanRun {
 public:
  using Images = ts::Shape<1, 28, 28>;
  using OptimizerOptions = std::remove_cvref_t<decltype(std::declval<const Optimizer&>().options())>;

  GanRun(std::uint64_t seed, ts::index batch, std::filesystem::path out, const std::filesystem::path& data_dir,
         OptimizerOptions options = {.lr = 2e-4, .betas = {0.5, 0.999}}, LossPlot plot = {})
      : g(seed),
        d(seed + 1),
        g_optimizer(g.parameters(), options),
        d_optimizer(d.parameters(), options),
        plot_(std::move(plot)),
        seed_(seed),
        rng_(seed + 2),
        out_(std::move(out)),
        data_(ts::data::load_fashion_mnist(ts::data::Split::train, data_dir)),
        sampler_(data_.size(), batch_within(batch, data_.size(), data_dir.string()), /*drop_last=*/true),
        images_(batch),
        labels_(std::size_t(batch)) {
    std::filesystem::create_directories(out_);
  }

  G g;
  D d;
  Optimizer g_optimizer, d_optimizer;

  // Standard normal noise from the run's generator.
  template <class Tensor>
  void noise(Tensor& z) {
    for (float& v : z.span()) v = float(rng_.normal());
  }
  ts::Generator& generator() { return rng_; }
  // The labels of the batch the step is working on.
  std::span<const std::int64_t> labels() const { return {labels_.data(), std::size_t(current_batch_)}; }

  // An optimizer beyond G's and D's (InfoGAN's over both models' parameters), saved in each
  // checkpoint as <name>.safetensors and loaded by resume(): register it before resume().
  void checkpoint_optimizer(std::string name, ts::Optimizer<float>& optimizer) {
    extra_optimizers_.push_back({std::move(name), &optimizer});
  }

  // Loads models, optimizers, the epoch count and the loss history from a checkpoint folder that
  // end_of_epoch wrote (or its ".previous", left by a save killed between its two renames). The
  // whole folder is verified first: a file missing, truncated or from another save, a damaged
  // manifest or progress file is a CheckpointError naming the folder and the file, and nothing is
  // loaded.
  void resume(const std::filesystem::path& dir) {
    const ts::io::Checkpoint saved = ts::io::Checkpoint::open(dir);
    if (saved.recovered())
      std::cout << "note: " << dir.string() << " is missing; using " << saved.folder().string()
                << ", the checkpoint that an interrupted save had set aside\n";
    const Progress progress = read_progress(saved);
    g.load(saved.file("g.safetensors"));
    d.load(saved.file("d.safetensors"));
    g_optimizer.load(saved.file("g_optimizer.safetensors"));
    d_optimizer.load(saved.file("d_optimizer.safetensors"));
    for (const auto& [name, optimizer] : extra_optimizers_)
      optimizer->load(saved.file(name + ".safetensors"));
    epoch_ = progress.epochs;
    history_ = progress.history;
    resumed_from_ = saved.folder();
    std::cout << "resumed from " << saved.folder().string() << " after epoch " << epoch_ << "\n";
  }

  // Trains until `epochs` epochs are done in all (those of a resumed checkpoint count), calling
  // step(images) on each batch; step returns the batch's Losses (labels() has the batch's labels).
  // sample() returns the images for the grid at the end of each epoch (a Tensor of Shape<C, H, W>,
  // values in [-1, 1]), or several grids as a std::vector<NamedGrid<Tensor>>; their rows hold
  // `row`. A checkpoint already past `epochs` is a UsageError.
  template <class Step, class Sample>
  void train(int epochs, Step step, Sample sample, int row = 8) {
    if (epoch_ > epochs)
      throw UsageError("--epochs " + std::to_string(epochs) + " is less than the " + std::to_string(epoch_) +
                       " epochs already done by the checkpoint " + resumed_from_.string() +
                       " (--epochs counts all epochs, those resumed included)");
    if (epoch_ == epochs) {
      std::cout << "the checkpoint has all " << epochs << " epochs already; nothing to train\n";
      return;
    }
    const int first = epoch_;
    const ts::index per_epoch = sampler_.batches();
    ts::ProgressBar progress(std::cout, per_epoch * (epochs - first));
    for (int e = 0; epoch_ < epochs; ++e, ++epoch_) {
      // Each epoch's draws (order, noise, and the models' own: dropout masks) from its own seeds,
      // so that a resumed run repeats them exactly (a model's generator is not in its weights
      // file).
      rng_.seed(seed_ + 2 + 1000003 * std::uint64_t(epoch_ + 1));
      g.generator().seed(seed_ + 4 + 1000003 * std::uint64_t(epoch_ + 1));
      d.generator().seed(seed_ + 5 + 1000003 * std::uint64_t(epoch_ + 1));
      sampler_.shuffle(rng_);
      double sum_d = 0, sum_g = 0, sum_third = 0;
      for (ts::index b = 0; b < per_epoch; ++b) {
        const auto real = sampler_.fill(b, data_, images_.view(), labels_);
        current_batch_ = real.batch();
        const Losses l = step(real);
        history_.push_back(l);
        sum_d += l.d;
        sum_g += l.g;
        const ts::index done = e * per_epoch + b + 1;
        if (l.third) {
          sum_third += *l.third;
          progress.update(done, {{"epoch", double(epoch_ + 1)},
                                 {"loss_D", l.d},
                                 {"loss_G", l.g},
                                 {plot_.third_key, *l.third}});
        } else {
          progress.update(done, {{"epoch", double(epoch_ + 1)}, {"loss_D", l.d}, {"loss_G", l.g}});
        }
      }
      progress.message("epoch " + std::to_string(epoch_ + 1) + ": mean loss_D " +
                       std::to_string(sum_d / per_epoch) + ", loss_G " +
                       std::to_string(sum_g / per_epoch) +
                       (history_.back().third
                            ? ", " + plot_.third_key + " " + std::to_string(sum_third / per_epoch)
                            : ""));
      end_of_epoch(sample, row);
    }
    progress.finish();
  }

  const std::vector<Losses>& history() const { return history_; }
  // Epochs finished before the one in progress, a resumed checkpoint's included: in sample(), the
  // epoch that is ending is epoch() + 1.
  int epoch() const { return epoch_; }

 private:
  template <class Sample>
  void end_of_epoch(Sample& sample, int row) {
    g.eval();  // sampling in eval mode, as the seeds do
    const auto images = sample();
    g.train();
    auto save_grid = [&](const std::string& prefix, const auto& grid) {
      char number[32];
      std::snprintf(number, sizeof number, "_%03d.png", epoch_ + 1);
      ts::io::save_image_grid(grid, out_ / (prefix + number),
                              {.nrow = row, .normalize = true, .value_range = {{-1.0f, 1.0f}}});
    };
    if constexpr (requires(const std::remove_cvref_t<decltype(images)>& grids) {
                    grids.front().name;
                  }) {
      for (const auto& grid : images) save_grid(grid.name, grid.images);
    } else {
      save_grid("samples", images);
    }

    std::vector<double> d_losses, g_losses, thirds;
    for (const auto& l : history_) {
      d_losses.push_back(l.d);
      g_losses.push_back(l.g);
      thirds.push_back(l.third.value_or(std::nan("")));  // NaN: a gap in the line
    }
    std::vector<ts::io::PlotSeries> series{{plot_.d, d_losses}, {plot_.g, g_losses}};
    if (history_.back().third) series.push_back({plot_.third, thirds});
    ts::io::save_loss_plot(out_ / "losses.png", series,
                           {.title = plot_.title, .x_label = "iteration", .y_label = plot_.y_label, .smoothing = 50});

    // The checkpoint as a whole or not at all (tessera/io/checkpoint.hpp): a kill at any point
    // leaves the previous epoch's checkpoint, never G of one epoch with D of another.
    ts::io::CheckpointWriter save(out_ / "checkpoint");
    g.save(save.file("g.safetensors"));
    d.save(save.file("d.safetensors"));
    g_optimizer.save(save.file("g_optimizer.safetensors"));
    d_optimizer.save(save.file("d_optimizer.safetensors"));
    for (const auto& [name, optimizer] : extra_optimizers_)
      optimizer->save(save.file(name + ".safetensors"));
    std::ostringstream progress;
    progress.precision(9);  // floats read back exactly
    progress << "epochs " << epoch_ + 1 << "\niterations " << history_.size() << "\n";
    for (const auto& l : history_) {
      progress << l.d << " " << l.g;
      if (l.third) progress << " " << *l.third;
      progress << "\n";
    }
    save.write_text("progress.txt", progress.str());
    save.set("content", "gan-run");
    save.set("epochs", std::to_string(epoch_ + 1));
    save.set("iterations", std::to_string(history_.size()));
    save.set("batch", std::to_string(sampler_.batch_size()));
    save.commit();
  }

  struct Progress {
    int epochs = 0;
    std::vector<Losses> history;
  };

  // progress.txt of a verified checkpoint: "epochs <n>", "iterations <k>", then k lines of
  // "<loss_D> <loss_G>" or, from a game with a third number, "<loss_D> <loss_G> <third>", agreeing
  // with the manifest; each epoch had at least one batch and at most the data set's images.
  Progress read_progress(const ts::io::Checkpoint& saved) const {
    const auto path = saved.file("progress.txt");
    auto fail = [&](const std::string& problem) { throw ts::io::CheckpointError(path, problem); };
    if (saved.values().count("content") && saved.value("content") != "gan-run")
      fail("the checkpoint holds '" + saved.value("content") + "', not a GAN run");
    std::ifstream in(path);
    std::string line;
    auto header = [&](const char* key, std::int64_t max) {
      std::string word, rest;
      std::int64_t value = 0;
      if (!std::getline(in, line)) fail(std::string("no '") + key + " <n>' line: not a GAN checkpoint's progress file");
      std::istringstream words(line);
      if (!(words >> word >> value) || word != key || (words >> rest))
        fail("'" + line + "' is not '" + key + " <n>': not a GAN checkpoint's progress file");
      if (value < 1 || value > max)
        fail(std::string(key) + " " + std::to_string(value) + " is out of range (1 to " + std::to_string(max) + ")");
      if (saved.value(key) != std::to_string(value))
        fail(std::string(key) + " " + std::to_string(value) + ", but the manifest says " + saved.value(key));
      return value;
    };
    Progress p;
    p.epochs = int(header("epochs", max_epochs));
    const std::int64_t iterations = header("iterations", std::int64_t(max_epochs) * data_.size());
    if (iterations < p.epochs || iterations > std::int64_t(p.epochs) * data_.size())
      fail("iterations " + std::to_string(iterations) + " does not fit " + std::to_string(p.epochs) +
           " epochs of 1 to " + std::to_string(data_.size()) + " batches");
    while (std::getline(in, line)) {
      const std::string where = "line " + std::to_string(p.history.size() + 3);
      std::istringstream words(line);
      std::string d, g, third, rest;
      if (!(words >> d >> g) || ((words >> third) && (words >> rest)))
        fail(where + " is not two losses (and a third number)");
      const auto dl = parse_loss(d), gl = parse_loss(g);
      const auto wl = third.empty() ? std::optional<float>() : parse_loss(third);
      if (!dl || !gl || (!third.empty() && !wl))
        fail(where + ": '" + line + "' is not two losses (and a third number)");
      if (!p.history.empty() && p.history.front().third.has_value() != wl.has_value())
        fail(where + (wl ? " has a third number" : " has no third number") + ", unlike line 3");
      p.history.push_back({*dl, *gl, wl});
    }
    if (std::int64_t(p.history.size()) != iterations)
      fail("has " + std::to_string(p.history.size()) + " losses, but iterations says " + std::to_string(iterations));
    return p;
  }
  static std::optional<float> parse_loss(const std::string& text) {
    float v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
    return v;  // NaN and inf are kept: a run that diverged is still a run
  }

  LossPlot plot_;
  std::uint64_t seed_;
  ts::Generator rng_;
  std::filesystem::path out_;
  ts::data::LabelledImages<Images> data_;
  ts::data::BatchSampler sampler_;
  ts::Tensor<Images> images_;
  std::vector<std::int64_t> labels_;
  ts::index current_batch_ = 0;
  std::vector<Losses> history_;
  std::vector<std::pair<std::string, ts::Optimizer<float>*>> extra_optimizers_;
  int epoch_ = 0;
  std::filesystem::path resumed_from_;
};

}  // namespace examples
