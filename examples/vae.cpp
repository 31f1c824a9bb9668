// Trains seed 001's variational autoencoder (models::Vae: 784 -> 400 -> (mu, logvar) of 20 ->
// z = mu + exp(logvar / 2) * eps -> 400 -> 784, PyTorch's VAE example) on Fashion-MNIST with pixels
// in [0, 1]. Loss per batch, as the example and SEEDS.md: BCE of the reconstruction summed over
// pixels, plus KL(N(mu, sigma^2) || N(0, I)) = -1/2 sum(1 + logvar - mu^2 - exp(logvar)); Adam lr
// 1e-3. The noise eps is the model's second input, drawn here. Each epoch prints both terms per
// image for the training and the test set (their sum is the negative ELBO); at the end it writes
// reconstructions.png (test images over their reconstructions), samples.png (64 draws of
// z ~ N(0, I) through the decoder, a models::VaeDecoder holding the trained fc3/fc4 weights),
// interpolation.png (8 rows, each a pair of test images with 10 decodings of points evenly spaced
// on the line between their mu between them) and vae.safetensors, which PyTorch's VAE class loads.
//   vae --epochs 10 --out runs/vae
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>
#include <tessera/models/vae.hpp>
#include <tessera/tools.hpp>

#include "common/flags.hpp"
#include "common/image_data.hpp"

namespace ts = tessera;

int main(int argc, char** argv) {
  int epochs = 10;
  ts::index batch = 128;
  double lr = 1e-3;
  std::uint64_t seed = 1;
  std::string out = "vae_output", data = std::string(ts::data::fashion_mnist_default_dir);
  examples::Flags flags(
      "vae",
      "Trains seed 001's VAE on Fashion-MNIST, reports the test ELBO terms and writes "
      "reconstructions.png, samples.png and interpolation.png.");
  flags.add("epochs", epochs, "passes over the 60,000 training images", examples::between(1, examples::max_epochs));
  flags.add("batch", batch, "images per batch", examples::between<ts::index>(1, 60000));
  flags.add("lr", lr, "Adam learning rate", examples::above(0.0, 1.0));
  flags.add("seed", seed, "seed of every random draw (weights, order, eps)", examples::any_integer<std::uint64_t>());
  flags.add("out", out, "output folder");
  flags.add("data", data, "folder of the Fashion-MNIST IDX files");
  flags.parse(argc, argv);

  constexpr int latent = 20;
  using Pixels = ts::Shape<784>;
  using Latent = ts::Shape<latent>;
  using Image = ts::Shape<1, 28, 28>;
  ts::Model<ts::models::Vae<784, 400, latent>, ts::Shapes<Pixels, Latent>> vae(seed);
  ts::Adam<float> adam(vae.parameters(), {.lr = lr});
  std::cout << "vae: " << vae.parameter_count << " parameters, latent " << latent << "\n";

  const auto train_set = examples::load_fashion_mnist_unit(ts::data::Split::train, data);
  const auto test_set = examples::load_fashion_mnist_unit(ts::data::Split::test, data);
  try {
    examples::batch_within(batch, train_set.size(), data);
  } catch (const examples::UsageError& e) {
    return std::cerr << "vae: " << e.what() << "\n", 2;
  }
  ts::data::BatchSampler sampler(train_set.size(), batch, /*drop_last=*/true);
  ts::Tensor<Image> images(batch);
  ts::Tensor<Pixels> grad_recon(batch);
  ts::Tensor<Latent> eps(batch), grad_mu(batch), grad_logvar(batch);
  ts::Generator rng(seed + 2);
  auto draw = [](ts::Generator& g, auto& tensor) {
    for (float& v : tensor.span()) v = float(g.normal());
  };

  // Summed BCE and KL per image over the test set, eps from a generator of its own so that every
  // evaluation sees the same noise.
  struct Terms {
    double bce = 0, kl = 0;
  };
  auto evaluate = [&] {
    vae.eval();
    ts::Generator test_rng(seed + 3);
    constexpr ts::index chunk = 500;
    ts::Tensor<Latent> e(chunk), gm(chunk), gl(chunk);
    ts::Tensor<Pixels> gr(chunk);
    Terms t;
    for (ts::index start = 0; start < test_set.size(); start += chunk) {
      const ts::index n = std::min(chunk, test_set.size() - start);
      draw(test_rng, e);
      const ts::View<Pixels, const float> x(
          test_set.images.data() + std::size_t(start) * Pixels::size, n);
      const auto [recon, mu, logvar] = vae.predict(x, ts::View<Latent, const float>(e.data(), n));
      t.bce += ts::bce_loss(recon, x, ts::View<Pixels>(gr.data(), n), ts::Reduction::sum);
      t.kl += ts::vae_kl_loss(mu, logvar, ts::View<Latent>(gm.data(), n),
                              ts::View<Latent>(gl.data(), n), ts::Reduction::sum);
    }
    vae.train();
    return Terms{t.bce / double(test_set.size()), t.kl / double(test_set.size())};
  };

  examples::Stopwatch clock;
  const ts::index per_epoch = sampler.batches();
  Terms test;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    sampler.shuffle(rng);
    Terms train;
    for (ts::index b = 0; b < per_epoch; ++b) {
      const auto batch_images = sampler.fill(b, train_set, images.view());
      const ts::View<Pixels, const float> x(batch_images.data(), batch_images.batch());
      draw(rng, eps);
      adam.zero_grad();
      const auto [recon, mu, logvar] = vae.forward(x, eps.view());
      train.bce += ts::bce_loss(recon, x, grad_recon.view(), ts::Reduction::sum);
      train.kl +=
          ts::vae_kl_loss(mu, logvar, grad_mu.view(), grad_logvar.view(), ts::Reduction::sum);
      vae.backward(grad_recon.view(), grad_mu.view(), grad_logvar.view());
      adam.step();
    }
    const double seen = double(per_epoch * batch);
    test = evaluate();
    std::cout << "epoch " << epoch << "/" << epochs << ": train BCE "
              << examples::fixed(train.bce / seen, 2) << " + KL "
              << examples::fixed(train.kl / seen, 2) << " = "
              << examples::fixed((train.bce + train.kl) / seen, 2) << "; test BCE "
              << examples::fixed(test.bce, 2) << " + KL " << examples::fixed(test.kl, 2) << " = "
              << examples::fixed(test.bce + test.kl, 2) << " per image  ["
              << examples::fixed(clock.seconds(), 1) << " s]\n"
              << std::flush;
  }

  const std::filesystem::path dir(out);
  std::filesystem::create_directories(dir);
  vae.eval();
  // 16 test images over their reconstructions (eps drawn as in training).
  constexpr ts::index shown = 16;
  ts::Tensor<Latent> e(shown);
  ts::Generator picture_rng(seed + 4);
  draw(picture_rng, e);
  const ts::View<Pixels, const float> x(test_set.images.data(), shown);
  const auto [recon, mu, logvar] = vae.predict(x, e.view());
  ts::Tensor<Image> comparison(2 * shown);
  std::copy(x.data(), x.data() + x.size(), comparison.data());
  std::copy(recon.data(), recon.data() + recon.size(), comparison.data() + x.size());
  ts::io::save_image_grid(comparison, dir / "reconstructions.png", {.nrow = int(shown)});

  // z ~ N(0, I) through the decoder alone.
  ts::Model<ts::models::VaeDecoder<784, 400>, Latent> decoder;
  examples::copy_by_name(vae, decoder);
  decoder.eval();
  ts::Tensor<Latent> z(64);
  draw(picture_rng, z);
  const auto samples = decoder.predict(z);
  ts::io::save_image_grid(ts::View<Image, const float>(samples.data(), samples.batch()),
                          dir / "samples.png");

  // A latent-space interpolation grid: row r goes from test image 2r to test image 2r + 1 (the
  // first 16 of the test set, as in reconstructions.png). Its first and last cells are the two
  // images themselves; the 10 between decode mu_a + t (mu_b - mu_a), t = 0, 1/9, ..., 1.
  constexpr ts::index pairs = 8, steps = 10, columns = steps + 2;
  ts::Tensor<Latent> path(pairs * steps);
  for (ts::index r = 0; r < pairs; ++r)
    for (ts::index k = 0; k < steps; ++k) {
      const float t = float(k) / float(steps - 1);
      const float* a = mu.data() + std::size_t(2 * r) * latent;
      const float* b = a + latent;
      float* to = path.data() + std::size_t(r * steps + k) * latent;
      for (int j = 0; j < latent; ++j) to[j] = a[j] + t * (b[j] - a[j]);
    }
  const auto between = decoder.predict(path);
  ts::Tensor<Image> interpolation(pairs * columns);
  for (ts::index r = 0; r < pairs; ++r) {
    auto cell = [&](ts::index c) {
      return interpolation.data() + std::size_t(r * columns + c) * Pixels::size;
    };
    const float* first = x.data() + std::size_t(2 * r) * Pixels::size;
    std::copy(first, first + Pixels::size, cell(0));
    std::copy(first + Pixels::size, first + 2 * Pixels::size, cell(columns - 1));
    for (ts::index k = 0; k < steps; ++k) {
      const float* decoded = between.data() + std::size_t(r * steps + k) * Pixels::size;
      std::copy(decoded, decoded + Pixels::size, cell(k + 1));
    }
  }
  ts::io::save_image_grid(interpolation, dir / "interpolation.png", {.nrow = int(columns)});
  vae.save(dir / "vae.safetensors");

  std::cout << "test (" << test_set.size() << " images, per image): reconstruction BCE "
            << examples::fixed(test.bce, 2) << ", KL " << examples::fixed(test.kl, 2)
            << ", negative ELBO " << examples::fixed(test.bce + test.kl, 2) << "\ntime "
            << examples::fixed(clock.seconds(), 1) << " s; wrote "
            << (dir / "reconstructions.png").string() << ", " << (dir / "samples.png").string()
            << ", " << (dir / "interpolation.png").string() << " and vae.safetensors\n";
}
