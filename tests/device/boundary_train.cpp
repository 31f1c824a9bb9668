// The device boundary of training: every loss, every optimizer and weight clipping compiled for a
// device whose memory the host cannot touch (tests/support/opaque_device.hpp). A loss or optimizer
// that reads a parameter, gradient, state buffer or loss input on the host, or hands an op host
// memory, does not compile here. Checked with -fsyntax-only (GCC or clang, with or without
// OpenMP); nothing here runs, nor could it link: the device's ops and memory are declared only.
//   g++ -std=c++20 -fsyntax-only -Iinclude -fopenmp tests/device/boundary_train.cpp
#include "../support/opaque_device.hpp"

// Every op that the losses, the optimizers and Tensor call (ops::to_host and ops::from_host are
// declared by opaque_device.hpp). The losses' ops return the loss value to the host.
TESSERA_OPAQUE_OP(void, fill)
TESSERA_OPAQUE_OP(double, bce_loss)
TESSERA_OPAQUE_OP(std::size_t, first_non_probability)
TESSERA_OPAQUE_OP(double, bce_with_logits_loss)
TESSERA_OPAQUE_OP(double, mse_loss)
TESSERA_OPAQUE_OP(double, l1_loss)
TESSERA_OPAQUE_OP(double, cross_entropy_loss)
TESSERA_OPAQUE_OP(double, nll_loss)
TESSERA_OPAQUE_OP(double, vae_kl_loss)
TESSERA_OPAQUE_OP(void, adam_update)
TESSERA_OPAQUE_OP(void, sgd_update)
TESSERA_OPAQUE_OP(void, rmsprop_update)
TESSERA_OPAQUE_OP(void, clamp)

#include <cstdint>
#include <string>
#include <vector>

#include "tessera/core/shape.hpp"
#include "tessera/core/tensor.hpp"
#include "tessera/core/tensor_entry.hpp"
#include "tessera/train/adam.hpp"
#include "tessera/train/clip.hpp"
#include "tessera/train/loss.hpp"
#include "tessera/train/rmsprop.hpp"
#include "tessera/train/sgd.hpp"

namespace {

namespace ts = tessera;
using Dev = ts::testing::Opaque;

template <class T>
void losses() {
  using Flat = ts::Shape<10>;
  using Image = ts::Shape<3, 4, 4>;
  const ts::Tensor<Flat, T, Dev> x(2), target(2);
  ts::Tensor<Flat, T, Dev> grad(2), grad2(2);
  const ts::View<Flat, const T, Dev> view = x;  // a model's output is a view
  const std::vector<std::int64_t> labels{1, 7};
  for (ts::Reduction r : {ts::Reduction::mean, ts::Reduction::sum, ts::Reduction::batch_mean}) {
    [[maybe_unused]] T loss = ts::bce_loss(view, target, grad, r);
    loss += ts::bce_with_logits_loss(x, target, grad, r);
    loss += ts::mse_loss(view, target, grad, r);
    loss += ts::l1_loss(x, target.view(), grad.view(), r);
    loss += ts::cross_entropy_loss(x, labels, grad, r);
    loss += ts::nll_loss(view, labels, grad, r);
    loss += ts::vae_kl_loss(x, target, grad, grad2, r);
  }
  // Per-pixel labels for Shape<C, H, W> logits.
  const ts::Tensor<Image, T, Dev> logits(2);
  ts::Tensor<Image, T, Dev> logits_grad(2);
  const std::vector<std::int64_t> pixels(2 * 4 * 4, 2);
  [[maybe_unused]] T loss = ts::cross_entropy_loss(logits, pixels, logits_grad);
  loss += ts::nll_loss(logits.view(), pixels, logits_grad);
}

// A model's parameter list, its values and gradients in device memory.
template <class T>
struct Parameters {
  ts::Tensor<ts::Shape<3, 5>, T, Dev> weight{1}, weight_grad{1};
  ts::Tensor<ts::Shape<3>, T, Dev> bias{1}, bias_grad{1};
  std::vector<ts::TensorEntry<T, Dev>> entries{
      {"0.weight", ts::TensorEntry<T, Dev>::Kind::parameter, {3, 5}, weight.data(),
       weight_grad.data(), nullptr, ts::Init::zeros(), "Linear"},
      {"0.bias", ts::TensorEntry<T, Dev>::Kind::parameter, {3}, bias.data(), bias_grad.data(),
       nullptr, ts::Init::zeros(), "Linear"}};

  std::vector<ts::TensorEntry<T, Dev>*> list() { return {&entries[0], &entries[1]}; }
};

template <class T>
void train(ts::Optimizer<T, Dev>& optimizer) {
  optimizer.zero_grad();
  optimizer.step();
  optimizer.set_lr(optimizer.lr() / 2);
  optimizer.save("state.safetensors");
  optimizer.load("state.safetensors");
}

template <class T>
void optimizers() {
  Parameters<T> g, f;
  const std::vector<ts::TensorEntry<T, Dev>*> both = ts::join_parameters(g.list(), f.list());
  ts::Adam<T, Dev> adam(both, {.lr = 2e-4, .betas = {0.5, 0.999}, .weight_decay = 1e-4});
  ts::SGD<T, Dev> sgd(g.list(), {.lr = 0.01, .momentum = 0.9, .nesterov = true});
  ts::SGD<T, Dev> plain_sgd(g.list());
  ts::RMSprop<T, Dev> rmsprop(f.list(), {.lr = 5e-5, .momentum = 0.5, .centered = true});
  train<T>(adam);
  train<T>(sgd);
  train<T>(plain_sgd);
  train<T>(rmsprop);
  // WGAN's critic step: the update, then every parameter clamped.
  ts::clamp_parameters(f.list(), -0.01, 0.01);
  ts::clamp_parameters(rmsprop.parameters(), -0.01, 0.01);
}

}  // namespace

// Every member of every optimizer, its virtual update rule included, in both precisions; then the
// losses, the optimizers and weight clipping as a training loop uses them.
template class tessera::Adam<float, Dev>;
template class tessera::Adam<double, Dev>;
template class tessera::SGD<float, Dev>;
template class tessera::SGD<double, Dev>;
template class tessera::RMSprop<float, Dev>;
template class tessera::RMSprop<double, Dev>;

void boundary_train() {
  losses<float>();
  losses<double>();
  optimizers<float>();
  optimizers<double>();
}
