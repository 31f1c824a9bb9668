// Trains seed 001's autoencoders on Fashion-MNIST (pixels in [0, 1]): the convolutional one
// (1x28x28 -> 64x1x1 code -> 1x28x28) or the dense one (784 -> 20 -> 784), in three kinds:
//   plain      reconstruct the input
//   denoising  Gaussian noise added to the input (clamped to [0, 1]), the clean image as target
//   sparse     a Sigmoid on the code and a penalty beta * sum_j KL(p || mean activation of unit j),
//              the mean taken over the batch (the sparse autoencoder of Ng's lecture notes)
// The encoder and the decoder are two models, with the names of models::ConvAutoencoder /
// DenseAutoencoder ("encoder.0.weight", ..., "decoder.0.weight", ...): the sparsity gradient is
// added at the code, between the decoder's input gradient and the encoder's backward. The two
// weight files written at the end (encoder.safetensors, decoder.safetensors) hold the one-model
// form's tensors under its names; the sparse encoder's extra Sigmoid has no parameters.
// Loss MSE or BCE per pixel (mean), Adam lr 1e-3. Each epoch prints the training losses and the
// test-set reconstruction loss; reconstructions.png shows test inputs over their reconstructions.
//   autoencoder --model conv --kind denoising --epochs 4 --out runs/dae
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>
#include <tessera/models/autoencoder.hpp>
#include <tessera/tools.hpp>
#include <vector>

#include "common/flags.hpp"
#include "common/image_data.hpp"
#include "common/sparsity.hpp"

namespace ts = tessera;

namespace {

using Image = ts::Shape<1, 28, 28>;
constexpr std::size_t pixels = Image::size;

struct Options {
  std::string model = "conv", kind = "plain", loss = "mse";
  int epochs = 10;
  ts::index batch = 128;
  double lr = 1e-3, noise = 0.4, sparsity = 0.05, beta = 0.01;
  std::uint64_t seed = 1;
  std::string out = "autoencoder_output", data = std::string(ts::data::fashion_mnist_default_dir);
};

// models::ConvAutoencoder and DenseAutoencoder are
// Sequential<Named<"encoder", E>, Named<"decoder", D>>; the sparse kind puts a Sigmoid (no
// parameters, so the names stay "encoder.*") after E.
template <class Net>
struct halves;
template <class Encoder, class Decoder>
struct halves<ts::Sequential<Encoder, Decoder>> {
  using encoder = Encoder;
  using decoder = Decoder;
  using sigmoid_encoder = ts::Sequential<Encoder, ts::Sigmoid>;
};

template <class X>
float reconstruction_loss(const std::string& kind, const X& recon, ts::const_view_of<X> target,
                          ts::view_of<X> grad) {
  return kind == "bce" ? ts::bce_loss(recon, target, grad) : ts::mse_loss(recon, target, grad);
}

// The denoising kind's encoder input: clamp(x + sigma * N(0, 1), 0, 1).
void corrupt(const float* clean, float* noisy, std::size_t count, double sigma,
             ts::Generator& rng) {
  for (std::size_t i = 0; i < count; ++i)
    noisy[i] = std::clamp(clean[i] + float(sigma * rng.normal()), 0.0f, 1.0f);
}

// One training run: Enc maps In to the code, Dec the code back to In.
template <class Enc, class Dec, class In>
int train(const Options& o) {
  using Code = typename Enc::Output;
  const bool sparse = o.kind == "sparse", denoising = o.kind == "denoising";
  Enc encoder(o.seed);
  Dec decoder(o.seed + 1);
  ts::Adam<float> adam(ts::join_parameters(encoder.parameters(), decoder.parameters()),
                       {.lr = o.lr});
  std::cout << "autoencoder: " << o.model << ", " << o.kind << ", " << o.loss << " loss; "
            << Enc::parameter_count + Dec::parameter_count << " parameters, code "
            << Code::to_string() << "\n";

  const auto train_set = examples::load_fashion_mnist_unit(ts::data::Split::train, o.data);
  const auto test_set = examples::load_fashion_mnist_unit(ts::data::Split::test, o.data);
  ts::data::BatchSampler sampler(train_set.size(), examples::batch_within(o.batch, train_set.size(), o.data),
                                 /*drop_last=*/true);
  ts::Tensor<Image> images(o.batch), noisy(o.batch);
  ts::Tensor<In> grad(o.batch);
  ts::Tensor<Code> dcode(o.batch);
  ts::Generator rng(o.seed + 2);

  // The test set, through predict in eval mode; the same noise every time (its own generator).
  struct Evaluation {
    double loss = 0, mse = 0, input_mse = 0, mean_code = 0;
  };
  auto evaluate = [&](ts::index count, ts::Tensor<Image>* keep_input, ts::Tensor<In>* keep_output) {
    encoder.eval();
    decoder.eval();
    ts::Generator test_rng(o.seed + 3);
    constexpr ts::index chunk = 500;
    ts::Tensor<Image> input(chunk);
    ts::Tensor<In> g(chunk);
    Evaluation e;
    for (ts::index start = 0; start < count; start += chunk) {
      const ts::index n = std::min(chunk, count - start);
      const float* clean = test_set.images.data() + std::size_t(start) * pixels;
      if (denoising)
        corrupt(clean, input.data(), std::size_t(n) * pixels, o.noise, test_rng);
      else
        std::copy(clean, clean + std::size_t(n) * pixels, input.data());
      const ts::View<In, const float> x(input.data(), n), target(clean, n);
      const auto code = encoder.predict(x);
      for (float v : code.span()) e.mean_code += v;
      const auto recon = decoder.predict(code);
      const ts::View<In> gn(g.data(), n);
      e.loss += double(reconstruction_loss(o.loss, recon, target, gn)) * double(n);
      e.mse += double(ts::mse_loss(recon, target, gn)) * double(n);
      e.input_mse += double(ts::mse_loss(x, target, gn)) * double(n);
      if (start == 0 && keep_input) {
        std::copy(input.data(), input.data() + keep_input->size(), keep_input->data());
        std::copy(recon.data(), recon.data() + keep_output->size(), keep_output->data());
      }
    }
    e.loss /= double(count);
    e.mse /= double(count);
    e.input_mse /= double(count);
    e.mean_code /= double(count) * double(Code::size);
    encoder.train();
    decoder.train();
    return e;
  };

  examples::Stopwatch clock;
  const ts::index per_epoch = sampler.batches();
  Evaluation test;
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    sampler.shuffle(rng);
    double sum_loss = 0, sum_penalty = 0;
    for (ts::index b = 0; b < per_epoch; ++b) {
      const auto clean = sampler.fill(b, train_set, images.view());
      const ts::index n = clean.batch();
      if (denoising) corrupt(clean.data(), noisy.data(), clean.size(), o.noise, rng);
      const ts::View<In, const float> x(denoising ? noisy.data() : clean.data(), n),
          target(clean.data(), n);

      adam.zero_grad();
      const auto code = encoder.forward(x);
      const auto recon = decoder.forward(code);
      sum_loss += reconstruction_loss(o.loss, recon, target, grad.view());
      const auto dz = decoder.backward_to_input(grad.view());
      if (sparse) {
        std::copy(dz.data(), dz.data() + dz.size(), dcode.data());
        sum_penalty += examples::add_kl_sparsity<Code>(code, dcode.view(), o.sparsity, o.beta);
        encoder.backward(dcode.view());
      } else {
        encoder.backward(dz);
      }
      adam.step();
    }
    test = evaluate(test_set.size(), nullptr, nullptr);
    std::cout << "epoch " << epoch << "/" << o.epochs << ": train " << o.loss << " "
              << examples::fixed(sum_loss / double(per_epoch), 5);
    if (sparse)
      std::cout << ", sparsity penalty " << examples::fixed(sum_penalty / double(per_epoch), 5)
                << ", test mean code activation " << examples::fixed(test.mean_code, 3);
    std::cout << ", test " << o.loss << " " << examples::fixed(test.loss, 5);
    if (o.loss != "mse") std::cout << ", test mse " << examples::fixed(test.mse, 5);
    std::cout << "  [" << examples::fixed(clock.seconds(), 1) << " s]\n" << std::flush;
  }

  // 16 test images: the encoder's input, the reconstruction, and (denoising) the clean target.
  constexpr ts::index shown = 16;
  ts::Tensor<Image> input(shown);
  ts::Tensor<In> recon(shown);
  evaluate(shown, &input, &recon);
  const int rows = denoising ? 3 : 2;
  ts::Tensor<Image> grid(rows * shown);
  std::copy(input.data(), input.data() + input.size(), grid.data());
  std::copy(recon.data(), recon.data() + recon.size(), grid.data() + shown * pixels);
  if (denoising)
    std::copy(test_set.images.data(), test_set.images.data() + shown * pixels,
              grid.data() + 2 * shown * pixels);
  const std::filesystem::path out(o.out);
  std::filesystem::create_directories(out);
  ts::io::save_image_grid(grid, out / "reconstructions.png", {.nrow = int(shown)});
  encoder.save(out / "encoder.safetensors");
  decoder.save(out / "decoder.safetensors");

  std::cout << "test reconstruction (" << test_set.size() << " images): " << o.loss << " "
            << examples::fixed(test.loss, 5);
  if (o.loss != "mse") std::cout << ", mse " << examples::fixed(test.mse, 5);
  if (denoising)
    std::cout << " (the noisy input's mse: " << examples::fixed(test.input_mse, 5) << ")";
  if (sparse)
    std::cout << ", mean code activation " << examples::fixed(test.mean_code, 3) << " (target "
              << o.sparsity << ")";
  std::cout << "\ntime " << examples::fixed(clock.seconds(), 1) << " s; wrote "
            << (out / "reconstructions.png").string() << " and the encoder/decoder weights\n";
  return 0;
}

template <class Net, class In>
int run(const Options& o) {
  using Halves = halves<Net>;
  using Decoder =
      ts::Model<typename Halves::decoder, typename ts::Model<typename Halves::encoder, In>::Output>;
  if (o.kind == "sparse")
    return train<ts::Model<typename Halves::sigmoid_encoder, In>, Decoder, In>(o);
  return train<ts::Model<typename Halves::encoder, In>, Decoder, In>(o);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  examples::Flags flags(
      "autoencoder",
      "Trains seed 001's convolutional or dense autoencoder (plain, denoising or sparse) on "
      "Fashion-MNIST, reports the test reconstruction loss and writes reconstructions.png.");
  flags.add("model", o.model, "conv (1x28x28 -> 64x1x1 -> 1x28x28) or dense (784 -> 20 -> 784)", {"conv", "dense"});
  flags.add("kind", o.kind, "plain, denoising or sparse", {"plain", "denoising", "sparse"});
  flags.add("loss", o.loss, "reconstruction loss per pixel: mse or bce", {"mse", "bce"});
  flags.add("epochs", o.epochs, "passes over the 60,000 training images", examples::between(1, examples::max_epochs));
  flags.add("batch", o.batch, "images per batch", examples::between<ts::index>(1, 60000));
  flags.add("lr", o.lr, "Adam learning rate", examples::above(0.0, 1.0));
  flags.add("noise", o.noise, "denoising: standard deviation of the Gaussian noise on the input",
            examples::between(0.0, 10.0));
  flags.add("sparsity", o.sparsity, "sparse: target mean activation p of each code unit",
            examples::strictly_between(0.0, 1.0));
  flags.add("beta", o.beta, "sparse: weight of the KL(p || mean activation) penalty", examples::between(0.0, 1e6));
  flags.add("seed", o.seed, "seed of every random draw (weights, order, noise)", examples::any_integer<std::uint64_t>());
  flags.add("out", o.out, "output folder");
  flags.add("data", o.data, "folder of the Fashion-MNIST IDX files");
  flags.parse(argc, argv);  // --model, --kind, --loss and the numbers are checked there
  return examples::guarded_main("autoencoder", [&] {
    if (o.model == "conv")
      run<ts::models::ConvAutoencoder<>, Image>(o);
    else
      run<ts::models::DenseAutoencoder<>, ts::Shape<784>>(o);
  });
}
