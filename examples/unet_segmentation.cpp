// Segments synthetic cells with a narrow U-Net in the seed's style (models::SeedUNetWith, see
// models/unet.hpp): levels 8-16-32 and a 64-wide bottleneck of two VALID (unpadded) 3x3
// convolutions (Conv2d without bias, BatchNorm2d, ReLU) each, MaxPool2d(2) down,
// ConvTranspose2d(k4, s2, p1) up, CropConcat skips (the 2015 paper's centre crop) and a padded 3x3
// head to two classes: 1x140x140 -> 2x52x52 logits. Every valid convolution takes a pixel from each
// side, so the output covers the input's centre 52x52 and the label of a canvas is the centre crop
// of its mask.
//
// The task, made up in examples/common/blobs.hpp: 12 to 22 cell-like blobs (ellipses with smooth
// irregular borders, radius 6 to 13, inner texture and sometimes a darker nucleus, each at its own
// contrast above a textured background of random level), under uneven illumination, a light blur
// and Gaussian pixel noise (sigma 0.1, --noise). Faint cells are barely brighter than bright
// backgrounds, so a brightness threshold does not find them. Training canvases are drawn fresh each
// epoch; the held-out canvases come from a generator of their own (a fixed seed), so every epoch
// scores the same ones.
//
// Loss: per-pixel two-class cross-entropy (mean over pixels), Adam. Before training and after every
// epoch it prints the held-out Dice coefficient of the cell class (train/metrics.hpp: pooled over
// all pixels, and the mean of the per-canvas values) with the pixel accuracy, and the epoch's
// training loss; the end prints the best brightness threshold's Dice for comparison and writes
// segmentation.png (one held-out canvas a row: the whole input with the labelled region framed,
// that region, the true mask, the predicted mask, and the region tinted green where both masks say
// cell, red where only the true mask does, blue where only the prediction does) and
// unet.safetensors.
//   unet_segmentation --epochs 8 --out runs/unet
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>
#include <tessera/io/png.hpp>
#include <tessera/models/unet.hpp>
#include <tessera/tools.hpp>
#include <tessera/train/metrics.hpp>
#include <vector>

#include "common/blobs.hpp"
#include "common/flags.hpp"
#include "common/image_data.hpp"

namespace ts = tessera;

namespace {

constexpr int in_side = 140, out_side = 52;
using Canvas = ts::Shape<1, in_side, in_side>;
using Logits = ts::Shape<2, out_side, out_side>;
constexpr std::size_t canvas_pixels = Canvas::size, label_pixels = std::size_t(out_side) * out_side;

using SegNet = ts::models::SeedUNetWith<ts::CropConcat, 2, 8, 16, 32>;

// Fills n canvases and their n * 52 * 52 labels (1: cell), the centre crops of the masks.
void make(ts::index n, float* images, std::int64_t* labels, ts::Generator& rng,
          const examples::BlobOptions& options) {
  std::vector<std::int64_t> mask(canvas_pixels);
  for (ts::index s = 0; s < n; ++s) {
    examples::draw_blobs(in_side, in_side, images + std::size_t(s) * canvas_pixels, mask.data(),
                         rng, options);
    examples::centre_crop(mask.data(), in_side, in_side, labels + std::size_t(s) * label_pixels,
                          out_side, out_side);
  }
}

struct Scores {
  double dice = 0, mean_dice = 0, accuracy = 0;
};

// Dice of the cell class, pooled and per canvas, and pixel accuracy.
Scores score(std::span<const std::int64_t> predicted, std::span<const std::int64_t> truth) {
  ts::DiceCounts counts;
  counts.add(predicted, truth);
  std::size_t right = 0;
  for (std::size_t i = 0; i < predicted.size(); ++i) right += predicted[i] == truth[i];
  return {counts.dice(), ts::mean_dice(predicted, truth, label_pixels),
          double(right) / double(predicted.size())};
}

// The input pixel under output pixel (y, x).
constexpr int margin = (in_side - out_side) / 2;

std::uint8_t gray(float v) {
  return std::uint8_t(std::clamp(v, 0.0f, 1.0f) * 255.0f + 0.5f);
}

}  // namespace

int main(int argc, char** argv) {
  int epochs = 8;
  ts::index batch = 8, canvases = 512, test_canvases = 256;
  double lr = 2e-3;
  examples::BlobOptions blobs;
  std::uint64_t seed = 1;
  std::string out = "unet_segmentation_output";
  examples::Flags flags(
      "unet_segmentation",
      "Trains a narrow valid-convolution U-Net to segment synthetic cells (1x140x140 canvases, "
      "2x52x52 output); reports the held-out Dice coefficient each epoch and writes "
      "segmentation.png.");
  flags.add("epochs", epochs, "epochs, each of --canvases fresh training canvases", examples::between(1, examples::max_epochs));
  flags.add("batch", batch, "canvases per batch (at most --canvases)", examples::between<ts::index>(1, 4096));
  flags.add("canvases", canvases, "training canvases per epoch (drawn anew each epoch)",
            examples::between<ts::index>(1, 1000000));
  flags.add("test-canvases", test_canvases, "held-out canvases for the Dice score",
            examples::between<ts::index>(8, 100000));
  flags.add("lr", lr, "Adam learning rate", examples::above(0.0, 1.0));
  flags.add("noise", blobs.noise, "standard deviation of the Gaussian pixel noise", examples::between(0.0, 10.0));
  flags.add("seed", seed, "seed of every random draw (weights, canvases)", examples::any_integer<std::uint64_t>());
  flags.add("out", out, "output folder");
  flags.parse(argc, argv);
  if (canvases < batch)
    return std::cerr << "unet_segmentation: --batch: " << batch << " is more than --canvases " << canvases
                     << "; a batch is at most one epoch's canvases\n",
           2;

  ts::Model<SegNet, Canvas> net(seed);
  static_assert(decltype(net)::output_shape == Logits{});
  ts::Adam<float> adam(net.parameters(), {.lr = lr});
  std::cout << "unet_segmentation: U-Net 8-16-32 (bottleneck 64), valid 3x3 convolutions, "
               "CropConcat; 1x140x140 -> 2x52x52, "
            << net.parameter_count << " parameters, "
            << examples::fixed(net.flops_per_sample / 1e6, 1) << " MFLOP per forward\n";

  // The held-out canvases, made once.
  ts::Tensor<Canvas> test_images(test_canvases);
  std::vector<std::int64_t> test_labels(std::size_t(test_canvases) * label_pixels);
  {
    ts::Generator test_rng(seed + 1000);
    make(test_canvases, test_images.data(), test_labels.data(), test_rng, blobs);
  }
  std::vector<std::int64_t> predicted(test_labels.size());
  auto evaluate = [&] {
    net.eval();
    constexpr ts::index chunk = 32;
    for (ts::index start = 0; start < test_canvases; start += chunk) {
      const ts::index n = std::min(chunk, test_canvases - start);
      const auto logits =
          net.predict(ts::View<Canvas, const float>(test_images.data() + start * canvas_pixels, n));
      const auto labels = ts::argmax_labels(logits);
      std::copy(labels.begin(), labels.end(), predicted.begin() + start * ts::index(label_pixels));
    }
    net.train();
    return score(predicted, test_labels);
  };
  auto report = [](const Scores& s) {
    return "held-out Dice " + examples::fixed(s.dice, 4) + " (mean per canvas " +
           examples::fixed(s.mean_dice, 4) + "), pixel accuracy " + examples::fixed(s.accuracy, 4);
  };

  examples::Stopwatch clock;
  Scores test = evaluate();
  std::cout << "epoch 0/" << epochs << " (untrained): " << report(test) << "\n" << std::flush;
  ts::Tensor<Canvas> images(batch);
  ts::Tensor<Logits> grad(batch);
  std::vector<std::int64_t> labels(std::size_t(batch) * label_pixels);
  ts::Generator rng(seed + 1);
  const ts::index per_epoch = canvases / batch;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    double sum_loss = 0;
    for (ts::index b = 0; b < per_epoch; ++b) {
      make(batch, images.data(), labels.data(), rng, blobs);
      adam.zero_grad();
      sum_loss += ts::cross_entropy_loss(net.forward(images.view()), labels, grad.view());
      net.backward(grad.view());
      adam.step();
    }
    test = evaluate();
    std::cout << "epoch " << epoch << "/" << epochs << ": train cross-entropy "
              << examples::fixed(sum_loss / double(per_epoch), 4) << "; " << report(test) << "  ["
              << examples::fixed(clock.seconds(), 1) << " s]\n"
              << std::flush;
  }
  const double seconds = clock.seconds();

  // The baseline a U-Net has to beat: a brightness threshold on the labelled region, the best of
  // 0.05, 0.10, ..., 0.95 chosen on the held-out canvases themselves (so an optimistic one).
  double best_threshold = 0, best_dice = 0;
  std::vector<std::int64_t> thresholded(test_labels.size());
  for (int t = 1; t < 20; ++t) {
    for (ts::index s = 0; s < test_canvases; ++s)
      for (int y = 0; y < out_side; ++y)
        for (int x = 0; x < out_side; ++x)
          thresholded[std::size_t(s) * label_pixels + std::size_t(y * out_side + x)] =
              test_images[std::size_t(s) * canvas_pixels +
                          std::size_t((y + margin) * in_side + x + margin)] >= 0.05f * float(t);
    if (const double d = ts::dice_coefficient(thresholded, test_labels); d > best_dice) {
      best_dice = d;
      best_threshold = 0.05 * t;
    }
  }

  // 6 held-out canvases, one a row: the whole input (the labelled region framed in yellow), the
  // region, the true mask, the predicted mask, and the region tinted by both masks. The region's
  // panels are drawn at twice their size, so that every panel is as tall as the input.
  constexpr int shown = 6, scale = 2, pad = 4, panel = out_side * scale;
  static_assert(panel <= in_side);
  const int width = pad + (in_side + pad) + 4 * (panel + pad),
            height = pad + shown * (in_side + pad);
  ts::io::RgbImage picture(width, height, {128, 128, 128});
  for (int s = 0; s < shown; ++s) {
    const float* image = test_images.data() + std::size_t(s) * canvas_pixels;
    const std::int64_t* truth = test_labels.data() + std::size_t(s) * label_pixels;
    const std::int64_t* guess = predicted.data() + std::size_t(s) * label_pixels;
    const int top = pad + s * (in_side + pad);
    for (int y = 0; y < in_side; ++y)
      for (int x = 0; x < in_side; ++x) {
        const bool around =
            y >= margin - 1 && y <= margin + out_side && x >= margin - 1 && x <= margin + out_side;
        const bool frame = around && (y == margin - 1 || y == margin + out_side ||
                                      x == margin - 1 || x == margin + out_side);
        const std::uint8_t v = gray(image[y * in_side + x]);
        picture.set(pad + x, top + y, frame ? ts::io::Rgb{255, 220, 0} : ts::io::Rgb{v, v, v});
      }
    const int top_panel = top + (in_side - panel) / 2;
    for (int y = 0; y < panel; ++y)
      for (int x = 0; x < panel; ++x) {
        const int oy = y / scale, ox = x / scale, at = oy * out_side + ox;
        const std::uint8_t v = gray(image[(oy + margin) * in_side + ox + margin]);
        const std::uint8_t t = truth[at] ? 255 : 0, p = guess[at] ? 255 : 0;
        ts::io::Rgb tinted{v, v, v};
        if (truth[at] || guess[at]) {
          const ts::io::Rgb tint = truth[at] && guess[at] ? ts::io::Rgb{0, 255, 0}
                                   : truth[at]            ? ts::io::Rgb{255, 0, 0}
                                                          : ts::io::Rgb{0, 96, 255};
          auto mix = [&](std::uint8_t a, std::uint8_t b) { return std::uint8_t((a + b) / 2); };
          tinted = {mix(v, tint.r), mix(v, tint.g), mix(v, tint.b)};
        }
        int left = pad + in_side + pad;
        picture.set(left + x, top_panel + y, {v, v, v});
        left += panel + pad;
        picture.set(left + x, top_panel + y, {t, t, t});
        left += panel + pad;
        picture.set(left + x, top_panel + y, {p, p, p});
        left += panel + pad;
        picture.set(left + x, top_panel + y, tinted);
      }
  }
  const std::filesystem::path dir(out);
  std::filesystem::create_directories(dir);
  ts::io::write_png(dir / "segmentation.png", picture);
  net.save(dir / "unet.safetensors");

  std::cout << "held-out Dice (" << test_canvases
            << " canvases, 52x52 each): " << examples::fixed(test.dice, 4) << " pooled, "
            << examples::fixed(test.mean_dice, 4) << " mean per canvas; pixel accuracy "
            << examples::fixed(test.accuracy, 4) << "\nbest brightness threshold ("
            << examples::fixed(best_threshold, 2) << ") for comparison: Dice "
            << examples::fixed(best_dice, 4) << "\ntime " << examples::fixed(seconds, 1)
            << " s training; wrote " << (dir / "segmentation.png").string()
            << " and unet.safetensors\n";
}
