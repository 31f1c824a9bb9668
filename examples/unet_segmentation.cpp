// Segments Fashion-MNIST garments on noisy 64x64 canvases with a narrow U-Net built from
// compose/unet.hpp: levels 8-16-32 and a 64-wide bottleneck of two padded 3x3 convolutions
// (Conv2d without bias, BatchNorm2d, ReLU) each, MaxPool2d(2) down, ConvTranspose2d(k2, s2) up,
// PlainConcat skips (padding keeps every size, so nothing is cropped or resized) and a 1x1 head to
// two classes: 1x64x64 -> 2x64x64 logits, about 120k parameters.
//
// The task, made up here: each canvas has a background of random brightness in [0, 0.3], one or
// two garments (28x28, at random places, the second drawn over the first where they overlap,
// each at a random contrast in [0.6, 1]) and Gaussian noise on every pixel. The true mask is the
// garments' pixels (source value >= 0.1). A garment's faint pixels end up darker than the
// background, so a threshold on brightness cannot find them; the U-Net has to see shapes.
// Training canvases are drawn fresh each epoch from the training split; the held-out canvases come
// from the test split (a fixed seed, so every run scores the same ones).
//
// Loss: per-pixel two-class cross-entropy (mean over pixels), Adam. Each epoch prints the training
// loss and the held-out Dice coefficient of the garment class (pooled over all pixels, and the
// mean of the per-canvas values) with the pixel accuracy; the end prints them beside the best
// brightness threshold's Dice, and writes segmentation.png (rows of 8: input, predicted mask,
// true mask) and unet.safetensors.
//   unet_segmentation --epochs 6 --out runs/unet
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>
#include <tessera/models/unet.hpp>
#include <tessera/tessera.hpp>
#include <tessera/train/metrics.hpp>
#include <vector>

#include "common/flags.hpp"
#include "common/image_data.hpp"

namespace ts = tessera;

namespace {

constexpr int side = 64;
using Canvas = ts::Shape<1, side, side>;
using Logits = ts::Shape<2, side, side>;
constexpr std::size_t canvas_pixels = Canvas::size;

template <int C>
using ConvBlock = ts::Sequential<ts::Conv2d<C, 3, 1, 1, ts::no_bias>, ts::BatchNorm2d<>, ts::ReLU,
                                 ts::Conv2d<C, 3, 1, 1, ts::no_bias>, ts::BatchNorm2d<>, ts::ReLU>;
template <int C>
using UpConv = ts::ConvTranspose2d<C, 2, 2>;
using SegNet = ts::UNet<ts::Levels<8, 16, 32>, ConvBlock, ts::MaxPool2d<2>, UpConv, ts::PlainConcat,
                        ConvBlock<64>, ts::Conv2d<2, 1>>;

struct Task {
  double noise = 0.2;           // standard deviation of the pixel noise
  double ink = 0.1;             // a garment pixel at least this bright belongs to the mask
  double max_background = 0.3;  // background brightness, uniform in [0, max_background]
};

// Draws canvases: garments from `source` placed on a noisy background, and their mask.
class CanvasMaker {
 public:
  CanvasMaker(const examples::FashionImages& source, Task task) : source_(source), task_(task) {}

  // Fills n canvases and their n * 64 * 64 labels (1: garment).
  void make(ts::index n, float* images, std::int64_t* labels, ts::Generator& rng) const {
    std::vector<float> layer(canvas_pixels);
    for (ts::index s = 0; s < n; ++s) {
      float* image = images + std::size_t(s) * canvas_pixels;
      std::int64_t* mask = labels + std::size_t(s) * canvas_pixels;
      std::fill(layer.begin(), layer.end(), -1.0f);  // -1: no garment here
      std::fill(mask, mask + canvas_pixels, 0);
      const int garments = rng.bernoulli(0.5) ? 2 : 1;
      for (int g = 0; g < garments; ++g) {
        const auto index = ts::index(ts::data::uniform_below(rng, std::uint64_t(source_.size())));
        const int top = int(ts::data::uniform_below(rng, side - 28 + 1));
        const int left = int(ts::data::uniform_below(rng, side - 28 + 1));
        const float contrast = float(rng.uniform(0.6, 1.0));
        const float* garment = source_.images.data() + std::size_t(index) * 28 * 28;
        for (int y = 0; y < 28; ++y)
          for (int x = 0; x < 28; ++x) {
            const float v = garment[y * 28 + x];
            if (v < float(task_.ink)) continue;
            const std::size_t at = std::size_t(top + y) * side + std::size_t(left + x);
            layer[at] = v * contrast;
            mask[at] = 1;
          }
      }
      const float background = float(rng.uniform(0.0, task_.max_background));
      for (std::size_t i = 0; i < canvas_pixels; ++i)
        image[i] = (layer[i] >= 0 ? layer[i] : background) + float(task_.noise * rng.normal());
    }
  }

 private:
  const examples::FashionImages& source_;
  Task task_;
};

struct Scores {
  double dice = 0, mean_dice = 0, accuracy = 0;
};

// Dice of the garment class, pooled and per canvas, and pixel accuracy.
Scores score(std::span<const std::int64_t> predicted, std::span<const std::int64_t> truth) {
  ts::DiceCounts counts;
  counts.add(predicted, truth);
  std::size_t right = 0;
  for (std::size_t i = 0; i < predicted.size(); ++i) right += predicted[i] == truth[i];
  return {counts.dice(), ts::mean_dice(predicted, truth, canvas_pixels),
          double(right) / double(predicted.size())};
}

}  // namespace

int main(int argc, char** argv) {
  int epochs = 6;
  ts::index batch = 16, canvases = 1024, test_canvases = 512;
  double lr = 2e-3;
  Task task;
  std::uint64_t seed = 1;
  std::string out = "unet_segmentation_output",
              data = std::string(ts::data::fashion_mnist_default_dir);
  examples::Flags flags(
      "unet_segmentation",
      "Trains a narrow U-Net to segment Fashion-MNIST garments on noisy 64x64 canvases; reports "
      "the held-out Dice coefficient and writes segmentation.png.");
  flags.add("epochs", epochs, "epochs, each of --canvases fresh training canvases");
  flags.add("batch", batch, "canvases per batch");
  flags.add("canvases", canvases, "training canvases per epoch (drawn anew each epoch)");
  flags.add("test-canvases", test_canvases,
            "held-out canvases (from the test split) for the Dice score");
  flags.add("lr", lr, "Adam learning rate");
  flags.add("noise", task.noise, "standard deviation of the Gaussian pixel noise");
  flags.add("seed", seed, "seed of every random draw (weights, canvases)");
  flags.add("out", out, "output folder");
  flags.add("data", data, "folder of the Fashion-MNIST IDX files");
  flags.parse(argc, argv);
  if (epochs < 1 || batch < 1 || canvases < batch || test_canvases < 8)
    return std::cerr << "unet_segmentation: need --epochs, --batch >= 1, --canvases >= --batch, "
                        "--test-canvases >= 8\n",
           2;

  ts::Model<SegNet, Canvas> net(seed);
  ts::Adam<float> adam(net.parameters(), {.lr = lr});
  std::cout << "unet_segmentation: U-Net 8-16-32 (bottleneck 64) on 1x64x64 canvases, "
            << net.parameter_count << " parameters, "
            << examples::fixed(net.flops_per_sample / 1e6, 1) << " MFLOP per forward\n";

  const auto train_set = examples::load_fashion_mnist_unit(ts::data::Split::train, data);
  const auto test_set = examples::load_fashion_mnist_unit(ts::data::Split::test, data);
  const CanvasMaker train_maker(train_set, task), test_maker(test_set, task);

  // The held-out canvases, made once.
  ts::Tensor<Canvas> test_images(test_canvases);
  std::vector<std::int64_t> test_labels(std::size_t(test_canvases) * canvas_pixels);
  {
    ts::Generator test_rng(seed + 1000);
    test_maker.make(test_canvases, test_images.data(), test_labels.data(), test_rng);
  }
  std::vector<std::int64_t> predicted(test_labels.size());
  auto evaluate = [&] {
    net.eval();
    constexpr ts::index chunk = 64;
    for (ts::index start = 0; start < test_canvases; start += chunk) {
      const ts::index n = std::min(chunk, test_canvases - start);
      const auto logits =
          net.predict(ts::View<Canvas, const float>(test_images.data() + start * canvas_pixels, n));
      const auto labels = ts::argmax_labels(logits);
      std::copy(labels.begin(), labels.end(), predicted.begin() + start * ts::index(canvas_pixels));
    }
    net.train();
    return score(predicted, test_labels);
  };

  ts::Tensor<Canvas> images(batch);
  ts::Tensor<Logits> grad(batch);
  std::vector<std::int64_t> labels(std::size_t(batch) * canvas_pixels);
  ts::Generator rng(seed + 1);
  examples::Stopwatch clock;
  const ts::index per_epoch = canvases / batch;
  Scores test;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    double sum_loss = 0;
    for (ts::index b = 0; b < per_epoch; ++b) {
      train_maker.make(batch, images.data(), labels.data(), rng);
      adam.zero_grad();
      sum_loss += ts::cross_entropy_loss(net.forward(images.view()), labels, grad.view());
      net.backward(grad.view());
      adam.step();
    }
    test = evaluate();
    std::cout << "epoch " << epoch << "/" << epochs << ": train cross-entropy "
              << examples::fixed(sum_loss / double(per_epoch), 4) << "; held-out Dice "
              << examples::fixed(test.dice, 4) << " (mean per canvas "
              << examples::fixed(test.mean_dice, 4) << "), pixel accuracy "
              << examples::fixed(test.accuracy, 4) << "  [" << examples::fixed(clock.seconds(), 1)
              << " s]\n"
              << std::flush;
  }
  const double seconds = clock.seconds();

  // The baseline a U-Net has to beat: a brightness threshold, the best of 0.05, 0.10, ..., 0.95
  // chosen on the held-out canvases themselves (so an optimistic one).
  double best_threshold = 0, best_dice = 0;
  for (int t = 1; t < 20; ++t) {
    std::vector<std::int64_t> thresholded(test_labels.size());
    for (std::size_t i = 0; i < thresholded.size(); ++i)
      thresholded[i] = test_images[i] >= 0.05f * float(t);
    if (const double d = ts::dice_coefficient(thresholded, test_labels); d > best_dice) {
      best_dice = d;
      best_threshold = 0.05 * t;
    }
  }

  // 8 held-out canvases, their predicted masks and their true masks, one row each.
  constexpr ts::index shown = 8;
  ts::Tensor<Canvas> grid(3 * shown);
  for (ts::index s = 0; s < shown; ++s)
    for (std::size_t i = 0; i < canvas_pixels; ++i) {
      const std::size_t at = std::size_t(s) * canvas_pixels + i;
      grid[at] = std::clamp(test_images[at], 0.0f, 1.0f);
      grid[std::size_t(shown) * canvas_pixels + at] = float(predicted[at]);
      grid[std::size_t(2 * shown) * canvas_pixels + at] = float(test_labels[at]);
    }
  const std::filesystem::path dir(out);
  std::filesystem::create_directories(dir);
  ts::io::save_image_grid(grid, dir / "segmentation.png", {.nrow = int(shown), .pad_value = 0.5f});
  net.save(dir / "unet.safetensors");

  std::cout << "held-out Dice (" << test_canvases << " canvases): " << examples::fixed(test.dice, 4)
            << " pooled, " << examples::fixed(test.mean_dice, 4)
            << " mean per canvas; pixel accuracy " << examples::fixed(test.accuracy, 4)
            << "\nbest brightness threshold (" << examples::fixed(best_threshold, 2)
            << ") for comparison: Dice " << examples::fixed(best_dice, 4) << "\ntime "
            << examples::fixed(seconds, 1) << " s training; wrote "
            << (dir / "segmentation.png").string() << " and unet.safetensors\n";
}
