// InfoGAN's training iteration as seed 002 writes it, and the latent codes of its sample grids. Not
// part of the library: examples only (examples/infogan.cpp; tests/examples/test_infogan.cpp runs
// it against the seed's PyTorch loop).
//   examples::LatentCodes<62, 10, 2> adversarial(64), info(64);
//   examples::InfoganStep<G, D> step(64, {.categorical = 1, .continuous = 1});
//   adversarial.draw(rng);
//   info.draw(rng);
//   const auto losses = step(g, d, g_adam, d_adam, info_adam, real, adversarial, info);
// The iteration is three updates (the seed's train loop, with LSGAN's MSE for the adversarial
// game):
//   G     D frozen; L_G = MSE(D_adv(G(z, c, s)), 1) into G only; G's Adam steps;
//   D     L_D = (MSE(D_adv(x), 1) + MSE(D_adv(G(z, c, s)), 0)) / 2 on the same fakes, not
//         differentiated into G (the seed's x_fake.detach()); D's Adam steps;
//   info  fresh z', c', s'; L_I = lambda_cat CE(D_class(G(z', c', s')), c') + lambda_con
//         MSE(D_code(G(...)), s') into G and D; the third Adam, over both models' parameters,
//         steps.
// z and s are N(0, 1), c uniform over the classes (one-hot for G, an index for the cross-entropy).
// D's class head gives logits, or the seed's softmax probabilities (InfoganDiscriminator002), to
// which the cross-entropy applies its own softmax again, as the seed does.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <tessera/core/random.hpp>
#include <tessera/core/tensor.hpp>
#include <tessera/train/loss.hpp>
#include <vector>

namespace examples {

namespace ts = tessera;

// One batch of G's inputs: the noise z, the categorical code c (as class indices and as G's one-hot
// rows) and the continuous code s.
template <int Latent, int Classes, int Code, class T = float>
struct LatentCodes {
  using NoiseShape = ts::Shape<Latent>;
  using ClassShape = ts::Shape<Classes>;
  using CodeShape = ts::Shape<Code>;

  explicit LatentCodes(ts::index batch)
      : noise(batch), one_hot(batch, T(0)), code(batch, T(0)), labels(std::size_t(batch), 0) {
    for (ts::index i = 0; i < batch; ++i) set_class(i, 0);
  }

  ts::index batch() const { return noise.batch(); }

  // Sample i asks for class `c`: its label and its one-hot row.
  void set_class(ts::index i, std::int64_t c) {
    if (c < 0 || c >= Classes)
      throw std::out_of_range("LatentCodes::set_class: class " + std::to_string(c) +
                              " is not in [0, " + std::to_string(Classes) + ")");
    labels[std::size_t(i)] = c;
    T* row = one_hot.data() + i * Classes;
    for (int k = 0; k < Classes; ++k) row[k] = T(k == c);
  }

  // The seed's draws, in this order: z ~ N(0, 1), c uniform over the classes, s ~ N(0, 1)
  // (torch.randn, torch.randint, z_style.normal_()).
  void draw(ts::Generator& rng) {
    for (T& v : noise.span()) v = T(rng.normal());
    for (ts::index i = 0; i < batch(); ++i)
      set_class(i, std::int64_t(rng.next() % std::uint64_t(Classes)));
    for (T& v : code.span()) v = T(rng.normal());
  }

  ts::Tensor<NoiseShape, T> noise;
  ts::Tensor<ClassShape, T> one_hot;
  ts::Tensor<CodeShape, T> code;
  std::vector<std::int64_t> labels;
};

// The grids the example writes at the end of each epoch, each `classes` rows (row r: class r) of
// `columns` images, laid out row by row as save_image_grid reads them.
//   fixed_codes:  column j has noise vector j of `noise` (the same in every row), both continuous
//                 codes 0: how each class looks across ten draws of z;
//   code_sweep:   every image has noise vector 0 of `noise`; continuous code `which` runs from
//                 -range to range along the columns (linspace), the other codes stay 0: what that
//                 code changes, class by class.
// `noise` holds at least `columns` fixed draws of z.
template <int Latent, int Classes, int Code, class T>
LatentCodes<Latent, Classes, Code, T> fixed_codes(const ts::Tensor<ts::Shape<Latent>, T>& noise,
                                                  int columns) {
  if (noise.batch() < columns)
    throw std::invalid_argument("fixed_codes: fewer noise vectors than columns");
  LatentCodes<Latent, Classes, Code, T> grid{ts::index(Classes) * columns};
  for (int r = 0; r < Classes; ++r)
    for (int j = 0; j < columns; ++j) {
      const ts::index i = ts::index(r) * columns + j;
      grid.set_class(i, r);
      std::copy(noise.data() + j * Latent, noise.data() + (j + 1) * Latent,
                grid.noise.data() + i * Latent);
    }
  return grid;
}

template <int Latent, int Classes, int Code, class T>
LatentCodes<Latent, Classes, Code, T> code_sweep(const ts::Tensor<ts::Shape<Latent>, T>& noise,
                                                 int which, int columns, double range) {
  if (which < 0 || which >= Code)
    throw std::out_of_range("code_sweep: code " + std::to_string(which) + " is not in [0, " +
                            std::to_string(Code) + ")");
  if (columns < 2) throw std::invalid_argument("code_sweep: a sweep needs at least two columns");
  LatentCodes<Latent, Classes, Code, T> grid{ts::index(Classes) * columns};
  for (int r = 0; r < Classes; ++r)
    for (int j = 0; j < columns; ++j) {
      const ts::index i = ts::index(r) * columns + j;
      grid.set_class(i, r);
      std::copy(noise.data(), noise.data() + Latent, grid.noise.data() + i * Latent);
      grid.code[std::size_t(i * Code + which)] = T(-range + 2 * range * j / (columns - 1));
    }
  return grid;
}

// The weights of the information loss's two terms (the seed's: 1 and 1; PyTorch-GAN's InfoGAN, on
// which the seed's models are based, weighs the continuous term 0.1).
struct InfoWeights {
  double categorical = 1, continuous = 1;
};

template <class T>
struct InfoganLosses {
  T d, g, info;
};

// The three updates of one iteration (see the top of this file) for a G of three inputs (noise,
// one-hot class, code) and a D of three heads (score, class, code), and the buffers they need for
// batches of up to `batch`.
template <class G, class D, class T = float>
class InfoganStep {
 public:
  InfoganStep(ts::index batch, InfoWeights weights)
      : weights_(weights),
        ones_(batch, T(1)),
        zeros_(batch, T(0)),
        grad_score_(batch),
        no_score_(batch, T(0)),
        grad_class_(batch),
        no_class_(batch, T(0)),
        grad_code_(batch),
        no_code_(batch, T(0)) {}

  // `real`: a batch of training images; `adversarial`: the draws of the G and D steps; `info`:
  // those of the information step (the seed draws them afresh). All of one batch size.
  template <class Optimizer, class Image, int Latent, int Classes, int Code>
  InfoganLosses<T> operator()(G& g, D& d, Optimizer& g_optimizer, Optimizer& d_optimizer,
                              Optimizer& info_optimizer, ts::View<Image, const T> real,
                              const LatentCodes<Latent, Classes, Code, T>& adversarial,
                              const LatentCodes<Latent, Classes, Code, T>& info) {
    static_assert(Classes == ClassShape::size && Code == CodeShape::size,
                  "InfoganStep: the latent codes do not fit D's class and code heads");
    const ts::index n = real.batch();
    if (adversarial.batch() != n || info.batch() != n || n > ones_.batch())
      throw std::invalid_argument("InfoganStep: " + std::to_string(n) + " real images, " +
                                  std::to_string(adversarial.batch()) + " and " +
                                  std::to_string(info.batch()) + " latent codes, buffers for " +
                                  std::to_string(ones_.batch()));
    const Score one(ones_.data(), n), zero(zeros_.data(), n), no_score(no_score_.data(), n);
    const Class no_class(no_class_.data(), n);
    const CodeOut no_code(no_code_.data(), n);
    const ts::View<ScoreShape, T> grad_score(grad_score_.data(), n);
    const ts::View<ClassShape, T> grad_class(grad_class_.data(), n);
    const ts::View<CodeShape, T> grad_code(grad_code_.data(), n);
    InfoganLosses<T> losses{};

    // G: D's score of G's images pulled towards 1 through a frozen D (the seed lets the gradient
    // reach D's parameters too, then zeroes them before D's step: the same).
    g_optimizer.zero_grad();
    const auto fake = g.forward(adversarial.noise, adversarial.one_hot, adversarial.code);
    d.requires_grad(false);
    {
      const auto [score, cls, code] = d.forward(fake);
      losses.g = ts::mse_loss(score, one, grad_score);
    }
    g.backward(d.backward_to_input(grad_score, no_class, no_code));
    d.requires_grad(true);
    g_optimizer.step();

    // D: real towards 1, the same fakes (G's output is not recomputed) towards 0, halved. `fake`
    // still holds them: G has run no forward since.
    d_optimizer.zero_grad();
    {
      const auto [score, cls, code] = d.forward(real);
      losses.d = ts::mse_loss(score, one, grad_score, ts::Reduction::mean, 0.5);
    }
    d.backward(grad_score, no_class, no_code);
    {
      const auto [score, cls, code] = d.forward(fake);
      losses.d += ts::mse_loss(score, zero, grad_score, ts::Reduction::mean, 0.5);
    }
    d.backward(grad_score, no_class, no_code);
    d_optimizer.step();

    // Information: fresh draws; D's class head must name the class G was asked for, its code head
    // the code. Both models learn from it.
    info_optimizer.zero_grad();
    const auto info_fake = g.forward(info.noise, info.one_hot, info.code);
    {
      const auto [score, cls, code] = d.forward(info_fake);
      losses.info = ts::cross_entropy_loss(
                        cls, std::span<const std::int64_t>(info.labels.data(), std::size_t(n)),
                        grad_class, ts::Reduction::mean, weights_.categorical) +
                    ts::mse_loss(code, ts::View<CodeShape, const T>(info.code.data(), n), grad_code,
                                 ts::Reduction::mean, weights_.continuous);
    }
    g.backward(d.backward_to_input(no_score, grad_class, grad_code));
    info_optimizer.step();
    return losses;
  }

 private:
  using ScoreShape = ts::shape_at<0, typename D::Output>;
  using ClassShape = ts::shape_at<1, typename D::Output>;
  using CodeShape = ts::shape_at<2, typename D::Output>;
  using Score = ts::View<ScoreShape, const T>;
  using Class = ts::View<ClassShape, const T>;
  using CodeOut = ts::View<CodeShape, const T>;

  InfoWeights weights_;
  ts::Tensor<ScoreShape, T> ones_, zeros_, grad_score_, no_score_;
  ts::Tensor<ClassShape, T> grad_class_, no_class_;
  ts::Tensor<CodeShape, T> grad_code_, no_code_;
};

}  // namespace examples
