// CycleGAN's training iteration as seed 004 writes it (G_AB is its generator_x2y, G_BA its
// generator_y2x, D_A its discriminator_x, D_B discriminator_y), with the CycleGAN paper's image
// pool in front of each discriminator. Not part of the library: examples only
// (examples/cyclegan.cpp; tests/examples/test_cyclegan.cpp runs it against the seed's PyTorch
// loop).
//   examples::CycleganStep<G, D> step(16, {.cycle = 10, .identity = 5});
//   const auto losses = step(models, optimizers, real_a, real_b, pool_a, pool_b);
// One iteration is three updates:
//   G, F  L = 5 L1(G_BA(a), a) + 5 L1(G_AB(b), b)                          identity
//           + MSE(D_B(G_AB(a)), 1) + MSE(D_A(G_BA(b)), 1)                  adversarial (LSGAN)
//           + 10 L1(G_BA(G_AB(a)), a) + 10 L1(G_AB(G_BA(b)), b)            cycle
//         into both generators (the discriminators frozen); one Adam over both steps;
//   D_A   0.5 (MSE(D_A(a), 1) + MSE(D_A(pool_A(G_BA(b))), 0)), the fakes of the G step, not
//         differentiated into G (the seed's y2x.detach()); D_A's Adam steps;
//   D_B   the same with b and pool_B(G_AB(a)).
// A Model keeps the activations of its last forward only, and each generator runs twice in the
// G step (on the real images, then on the other generator's fakes for the cycle). So the order is:
// both fakes without keeping activations (predict); each generator on [its identity input; the
// other's fake], backward to the fakes' gradient (identity and cycle terms); the frozen
// discriminators' gradient on the fakes; then each generator on the real images again, backward
// from the fakes' summed gradient. Gradients add in the parameters' grads, so this is the seed's
// loss_G.backward() exactly, at one extra forward per generator. InstanceNorm normalises each
// image alone, so the pairs [x; y] and D's [real; fake] batches give each image what it would get
// alone, and D's 0.5 (mean real + mean fake) is the MSE's mean over the 2N outputs.
#pragma once

#include <algorithm>
#include <span>
#include <tessera/core/tensor.hpp>
#include <tessera/train/image_pool.hpp>
#include <tessera/train/loss.hpp>

namespace examples {

namespace ts = tessera;

// The losses of one iteration, each as the seed adds it into loss_G (weights included).
// Double for a double-precision step (the test against PyTorch); the example's are float.
struct CycleLosses {
  double d_a = 0, d_b = 0;  // 0.5 (real + fake)
  double adversarial = 0;   // MSE(D_B(G_AB(a)), 1) + MSE(D_A(G_BA(b)), 1)
  double cycle = 0;         // weighted, both directions
  double identity = 0;      // weighted, both directions
  double g() const { return adversarial + cycle + identity; }
};

// The four models and the three optimizers of a run.
template <class G, class D, class Optimizer>
struct CycleganModels {
  G& g_ab;
  G& g_ba;
  D& d_a;
  D& d_b;
  Optimizer& g_optimizer;  // over both generators' parameters
  Optimizer& d_a_optimizer;
  Optimizer& d_b_optimizer;
};

template <class G, class D>
class CycleganStep {
 public:
  using Image = typename G::Input;
  using Score = typename D::Output;
  using T = typename G::scalar;
  static_assert(
      std::is_same_v<typename G::Output, Image> && std::is_same_v<typename D::Input, Image>,
      "CycleganStep: both domains' images have one shape, G's input and output and D's input");

  // The loss weights: the seed's cycle 10 and identity 5 (the paper's 0.5 lambda).
  struct Weights {
    double cycle = 10, identity = 5;
  };

  CycleganStep(ts::index batch, Weights w)
      : weights_(w),
        fake_a_(batch),
        fake_b_(batch),
        pair_(2 * batch),
        grad_pair_(2 * batch),
        dfake_a_(batch),
        dfake_b_(batch),
        score_grad_(2 * batch),
        targets_(2 * batch) {}

  template <class Optimizer>
  CycleLosses operator()(const CycleganModels<G, D, Optimizer>& m, ts::View<Image, const T> a,
                         ts::View<Image, const T> b, ts::ImagePool<Image, T>& pool_a,
                         ts::ImagePool<Image, T>& pool_b) {
    const ts::index n = a.batch();
    if (b.batch() != n || 2 * n > pair_.batch())
      throw std::invalid_argument("CycleganStep: batches of " + std::to_string(n) + " and " +
                                  std::to_string(b.batch()) + " images for a step made for " +
                                  std::to_string(pair_.batch() / 2));
    CycleLosses l;
    const auto fake_a = view(fake_a_, n), fake_b = view(fake_b_, n);
    copy(m.g_ab.predict(a), fake_b);
    copy(m.g_ba.predict(b), fake_a);

    m.g_ab.zero_grad();
    m.g_ba.zero_grad();
    // Identity and cycle through each generator: G_BA on [a; G_AB(a)], G_AB on [b; G_BA(b)].
    cycle_half(m.g_ba, a, fake_b, view(dfake_b_, n), l);
    cycle_half(m.g_ab, b, fake_a, view(dfake_a_, n), l);
    // The adversarial terms, into the fakes' gradients beside the cycle's.
    l.adversarial = adversarial(m.d_b, fake_b, view(dfake_b_, n)) +
                    adversarial(m.d_a, fake_a, view(dfake_a_, n));
    // Each generator again on the real images, backward from its fakes' whole gradient.
    m.g_ab.forward(a);
    m.g_ab.backward(ts::View<Image, const T>(dfake_b_.data(), n));
    m.g_ba.forward(b);
    m.g_ba.backward(ts::View<Image, const T>(dfake_a_.data(), n));
    m.g_optimizer.step();

    l.d_a = discriminator(m.d_a, m.d_a_optimizer, a, pool_a.query(fake_a));
    l.d_b = discriminator(m.d_b, m.d_b_optimizer, b, pool_b.query(fake_b));
    return l;
  }

 private:
  template <class X>
  static ts::View<typename X::shape, T> view(X& t, ts::index n) {
    return {t.data(), n};
  }
  template <class From, class To>
  static void copy(const From& from, const To& to) {
    std::copy_n(from.data(), std::size_t(to.batch()) * To::shape::size, to.data());
  }

  // g on [x; fake]: the identity term on the first half (g(x) against x), the cycle term on the
  // second (g(fake) against x), backward to the input; the fakes' half of the input gradient goes
  // to dfake (overwritten).
  void cycle_half(G& g, ts::View<Image, const T> x, ts::View<Image, T> fake,
                  ts::View<Image, T> dfake, CycleLosses& l) {
    const ts::index n = x.batch();
    const std::size_t half = std::size_t(n) * Image::size;
    std::copy_n(x.data(), half, pair_.data());
    std::copy_n(fake.data(), half, pair_.data() + half);
    const auto out = g.forward(ts::View<Image, const T>(pair_.data(), 2 * n));
    const ts::View<Image, T> grad_same(grad_pair_.data(), n),
        grad_cycle(grad_pair_.data() + half, n);
    l.identity += ts::l1_loss(ts::View<Image, const T>(out.data(), n), x, grad_same,
                              ts::Reduction::mean, weights_.identity);
    l.cycle += ts::l1_loss(ts::View<Image, const T>(out.data() + half, n), x, grad_cycle,
                           ts::Reduction::mean, weights_.cycle);
    const auto dx = g.backward_to_input(ts::View<Image, const T>(grad_pair_.data(), 2 * n));
    std::copy_n(dx.data() + half, half, dfake.data());
  }

  // MSE(d(fake), 1) with d frozen; its gradient on `fake` is added to dfake.
  T adversarial(D& d, ts::View<Image, const T> fake, ts::View<Image, T> dfake) {
    const ts::index n = fake.batch();
    const ts::View<Score, T> target(targets_.data(), n), grad(score_grad_.data(), n);
    std::fill_n(target.data(), std::size_t(n) * Score::size, T(1));
    d.requires_grad(false);
    const T loss = ts::mse_loss(d.forward(fake), ts::View<Score, const T>(target), grad);
    const auto dx = d.backward_to_input(ts::View<Score, const T>(grad));
    d.requires_grad(true);
    for (std::size_t i = 0; i < std::size_t(n) * Image::size; ++i) dfake.data()[i] += dx.data()[i];
    return loss;
  }

  // One discriminator update on [real; fake] against [1; 0]: 0.5 (MSE real + MSE fake).
  template <class Optimizer>
  T discriminator(D& d, Optimizer& optimizer, ts::View<Image, const T> real,
                  ts::View<Image, const T> fake) {
    const ts::index n = real.batch();
    const std::size_t half = std::size_t(n) * Image::size;
    std::copy_n(real.data(), half, pair_.data());
    std::copy_n(fake.data(), half, pair_.data() + half);
    const ts::View<Score, T> target(targets_.data(), 2 * n), grad(score_grad_.data(), 2 * n);
    std::fill_n(target.data(), std::size_t(n) * Score::size, T(1));
    std::fill_n(target.data() + std::size_t(n) * Score::size, std::size_t(n) * Score::size, T(0));
    d.zero_grad();
    const T loss = ts::mse_loss(d.forward(ts::View<Image, const T>(pair_.data(), 2 * n)),
                                ts::View<Score, const T>(target), grad);
    d.backward(ts::View<Score, const T>(grad));
    optimizer.step();
    return loss;
  }

  Weights weights_;
  ts::Tensor<Image, T> fake_a_, fake_b_, pair_, grad_pair_, dfake_a_, dfake_b_;
  ts::Tensor<Score, T> score_grad_, targets_;
};

}  // namespace examples
