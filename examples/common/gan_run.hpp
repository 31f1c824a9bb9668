// What the GAN examples share around their training step: the two models and their Adam
// optimizers, Fashion-MNIST in shuffled batches, the loss history, a progress display, and at the
// end of each epoch a sample grid, the loss curve and a checkpoint that --resume continues from.
// The step itself (what D and G see, which labels) is each example's own.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <tessera/tessera.hpp>

namespace examples {

namespace ts = tessera;

struct Losses {
  float d, g;
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

template <class G, class D>
class GanRun {
 public:
  using Images = ts::Shape<1, 28, 28>;

  GanRun(std::uint64_t seed, ts::index batch, std::filesystem::path out, const std::filesystem::path& data_dir,
         ts::AdamOptions adam = {.lr = 2e-4, .betas = {0.5, 0.999}})
      : g(seed),
        d(seed + 1),
        g_optimizer(g.parameters(), adam),
        d_optimizer(d.parameters(), adam),
        seed_(seed),
        rng_(seed + 2),
        out_(std::move(out)),
        data_(ts::data::load_fashion_mnist(ts::data::Split::train, data_dir)),
        sampler_(data_.size(), batch, /*drop_last=*/true),
        images_(batch),
        labels_(std::size_t(batch)) {
    std::filesystem::create_directories(out_);
  }

  G g;
  D d;
  ts::Adam<float> g_optimizer, d_optimizer;

  // Standard normal noise from the run's generator.
  template <class Tensor>
  void noise(Tensor& z) {
    for (float& v : z.span()) v = float(rng_.normal());
  }
  ts::Generator& generator() { return rng_; }
  // The labels of the batch the step is working on.
  std::span<const std::int64_t> labels() const { return {labels_.data(), std::size_t(current_batch_)}; }

  // Loads models, optimizers, the epoch count and the loss history from a checkpoint folder.
  void resume(const std::filesystem::path& dir) {
    g.load(dir / "g.safetensors");
    d.load(dir / "d.safetensors");
    g_optimizer.load(dir / "g_optimizer.safetensors");
    d_optimizer.load(dir / "d_optimizer.safetensors");
    std::ifstream in(dir / "progress.txt");
    std::string word;
    if (!(in >> word >> epoch_) || word != "epochs")
      throw std::runtime_error((dir / "progress.txt").string() + ": not a checkpoint progress file");
    float dl, gl;
    while (in >> dl >> gl) history_.push_back({dl, gl});
    std::cout << "resumed from " << dir << " after epoch " << epoch_ << "\n";
  }

  // Runs epochs (after those already done), calling step(images) on each batch; step returns the
  // batch's Losses (labels() has the batch's labels). sample() returns the images for the grid at
  // the end of each epoch (a Tensor of Shape<C, H, W>, values in [-1, 1]); its rows hold `row`.
  template <class Step, class Sample>
  void train(int epochs, Step step, Sample sample, int row = 8) {
    const ts::index per_epoch = sampler_.batches();
    ts::ProgressBar progress(std::cout, per_epoch * epochs);
    for (int e = 0; e < epochs; ++e, ++epoch_) {
      // Each epoch's draws (order, noise) from its own seed: a resumed run repeats them exactly.
      rng_.seed(seed_ + 2 + 1000003 * std::uint64_t(epoch_ + 1));
      sampler_.shuffle(rng_);
      Losses sum{0, 0};
      for (ts::index b = 0; b < per_epoch; ++b) {
        const auto real = sampler_.fill(b, data_, images_.view(), labels_);
        current_batch_ = real.batch();
        const Losses l = step(real);
        history_.push_back(l);
        sum.d += l.d;
        sum.g += l.g;
        progress.update(e * per_epoch + b + 1, {{"epoch", double(epoch_ + 1)}, {"loss_D", l.d}, {"loss_G", l.g}});
      }
      progress.message("epoch " + std::to_string(epoch_ + 1) + ": mean loss_D " + std::to_string(sum.d / per_epoch) +
                       ", loss_G " + std::to_string(sum.g / per_epoch));
      end_of_epoch(sample, row);
    }
    progress.finish();
  }

  const std::vector<Losses>& history() const { return history_; }

 private:
  template <class Sample>
  void end_of_epoch(Sample& sample, int row) {
    g.eval();  // sampling in eval mode, as the seeds do
    const auto images = sample();
    g.train();
    char name[32];
    std::snprintf(name, sizeof name, "samples_%03d.png", epoch_ + 1);
    ts::io::save_image_grid(images, out_ / name, {.nrow = row, .normalize = true, .value_range = {{-1.0f, 1.0f}}});

    std::vector<double> d_losses, g_losses;
    for (const auto& l : history_) {
      d_losses.push_back(l.d);
      g_losses.push_back(l.g);
    }
    ts::io::save_loss_plot(out_ / "losses.png", {{"D loss", d_losses}, {"G loss", g_losses}},
                           {.title = "GAN losses", .x_label = "iteration", .y_label = "BCE loss", .smoothing = 50});

    const auto dir = out_ / "checkpoint";
    std::filesystem::create_directories(dir);
    g.save(dir / "g.safetensors");
    d.save(dir / "d.safetensors");
    g_optimizer.save(dir / "g_optimizer.safetensors");
    d_optimizer.save(dir / "d_optimizer.safetensors");
    std::ofstream progress(dir / "progress.txt");
    progress << "epochs " << epoch_ + 1 << "\n";
    for (const auto& l : history_) progress << l.d << " " << l.g << "\n";
  }

  std::uint64_t seed_;
  ts::Generator rng_;
  std::filesystem::path out_;
  ts::data::LabelledImages<Images> data_;
  ts::data::BatchSampler sampler_;
  ts::Tensor<Images> images_;
  std::vector<std::int64_t> labels_;
  ts::index current_batch_ = 0;
  std::vector<Losses> history_;
  int epoch_ = 0;
};

}  // namespace examples
