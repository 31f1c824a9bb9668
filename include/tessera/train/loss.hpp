// Losses for training. Each returns the loss and overwrites `grad` (shaped like the input) with
// dL/d(input), ready for model.backward(grad). Values and gradients are torch.nn.functional's,
// checked against PyTorch in tests/train/test_losses.cpp; docs/training.md shows them in use.
// A last argument `weight` multiplies both, as PyTorch's `weight * F.mse_loss(...)` does: a GAN's
// halved D loss, InfoGAN's lambda_con, without a pass over the gradient afterwards.
// Inputs and gradients live on any device (the device of the first argument); the work is its ops'
// (ops/loss), and only the loss value comes back to the host.
//   ts::Tensor<ts::Shape<1>> grad(n);
//   float loss = ts::bce_loss(d.forward(x), real_labels, grad);   // mean over the batch
//   d.backward(grad);
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "tessera/core/device.hpp"
#include "tessera/core/module.hpp"
#include "tessera/core/tensor.hpp"
#include "tessera/ops/elementwise/elementwise.hpp"
#include "tessera/ops/loss/loss.hpp"

namespace tessera {

// How the per-element losses become one number. mean and sum are PyTorch's reduction='mean' and
// 'sum' (for the class losses, mean is over the labels). batch_mean is the sum divided by the batch
// size: a sum over each sample's elements averaged over samples, the usual convention for a VAE
// (KLDivLoss calls it 'batchmean').
enum class Reduction { mean, sum, batch_mean };

// A batch of samples of one Shape: a View (a model's output) or a Tensor. The losses deduce the
// shape, scalar type and device from their first argument; the others convert to views of that
// shape on that device, so a tensor of the wrong shape (or in another device's memory) does not
// compile.
template <class X>
concept TensorOrView = requires(const X& x) {
  typename X::shape;
  typename X::scalar;
  typename X::device;
  x.data();
  x.batch();
}
&&SingleShape<typename X::shape>;

template <TensorOrView X>
using scalar_of = std::remove_const_t<typename X::scalar>;
template <TensorOrView X>
using device_of = typename X::device;
template <TensorOrView X>
using const_view_of = View<typename X::shape, const scalar_of<X>, device_of<X>>;
template <TensorOrView X>
using view_of = View<typename X::shape, scalar_of<X>, device_of<X>>;

namespace detail {
inline void check_batch(const char* loss, const char* what, index got, index want) {
  if (got != want)
    throw std::invalid_argument(std::string("tessera::") + loss + ": the " + what + "'s batch (" +
                                std::to_string(got) + ") differs from the input's (" +
                                std::to_string(want) + ")");
}

// The factor the ops apply to every term and its gradient: the reduction's 1 / count times the
// loss's weight, in double and rounded once, so that weight * loss is PyTorch's
// `weight * F.mse_loss(...)` to the last place of T.
template <class T>
T reduction_scale(const char* loss, Reduction r, std::size_t elements, index batch, double weight) {
  if (!std::isfinite(weight))
    throw std::invalid_argument(std::string("tessera::") + loss + ": the weight " +
                                std::to_string(weight) + " is not a finite number");
  switch (r) {
    case Reduction::mean:
      return T(weight / double(elements));
    case Reduction::sum:
      return T(weight);
    case Reduction::batch_mean:
      return T(weight / double(batch));
  }
  throw std::invalid_argument("tessera: unknown Reduction");
}

// "[1, 0, 3]": where the label at flat position i of a (batch, d1, d2, ...) label tensor sits.
template <SingleShape S>
std::string label_position(std::size_t i) {
  std::string text;
  for (int k = S::rank - 1; k >= 1; --k) {
    text = ", " + std::to_string(i % std::size_t(S::dims[k])) + text;
    i /= std::size_t(S::dims[k]);
  }
  return "[" + std::to_string(i) + text + "]";
}

// Class losses take one label per sample (Shape<C>) or per sample and position (Shape<C, H, W>:
// labels laid out (batch, H, W)); every label must name one of the C classes.
template <SingleShape S>
void check_labels(const char* loss, std::span<const std::int64_t> labels, index batch) {
  static_assert(S::rank >= 1, "tessera: a class loss needs logits of Shape<C> or Shape<C, H, W>");
  constexpr std::size_t classes = std::size_t(S::dims[0]), positions = S::size / classes;
  if (labels.size() != std::size_t(batch) * positions)
    throw std::invalid_argument(
        std::string("tessera::") + loss + ": " + std::to_string(labels.size()) +
        " labels for a batch of " + std::to_string(batch) + " " + S::to_string() +
        " inputs; expected " + std::to_string(std::size_t(batch) * positions) +
        (positions > 1 ? " (one per sample and position)" : " (one per sample)"));
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] < 0 || labels[i] >= std::int64_t(classes))
      throw std::out_of_range(std::string("tessera::") + loss + ": label " +
                              std::to_string(labels[i]) + " at position " + label_position<S>(i) +
                              " is not a class index in [0, " + std::to_string(classes) + ")");
}

// A loss of (input, target) that compares element by element; op(dev, ...) is its ops:: function.
template <TensorOrView X, class Op>
scalar_of<X> elementwise_loss(const char* loss, const X& input, const_view_of<X> target,
                              view_of<X> grad, Reduction r, double weight, Op op) {
  using T = scalar_of<X>;
  const const_view_of<X> x = input;
  check_batch(loss, "target", target.batch(), x.batch());
  check_batch(loss, "gradient", grad.batch(), x.batch());
  return op(device_of<X>{}, x.data(), target.data(), grad.data(), x.size(),
            reduction_scale<T>(loss, r, x.size(), x.batch(), weight));
}

// The labels come from the host, where they are checked; a device whose memory the host does not
// reach gets a copy for its op.
template <TensorOrView X, class Op>
scalar_of<X> class_loss(const char* loss, const X& input, std::span<const std::int64_t> labels,
                        view_of<X> grad, Reduction r, double weight, Op op) {
  using T = scalar_of<X>;
  using S = typename X::shape;
  using Dev = device_of<X>;
  const const_view_of<X> x = input;
  check_batch(loss, "gradient", grad.batch(), x.batch());
  check_labels<S>(loss, labels, x.batch());
  constexpr std::size_t classes = std::size_t(S::dims[0]);
  auto run = [&](Ptr<const std::int64_t, Dev> device_labels) {
    return op(Dev{}, x.data(), device_labels, grad.data(), x.batch(), classes, S::size / classes,
              reduction_scale<T>(loss, r, labels.size(), x.batch(), weight));
  };
  if constexpr (HostMemory<Dev>) {
    return run(labels.data());
  } else {
    Buffer<std::int64_t, Dev> device_labels(labels.size());
    ops::from_host(Dev{}, labels.data(), device_labels.data(), labels.size());
    return run(device_labels.data());
  }
}
}  // namespace detail

// Binary cross-entropy of probabilities (after a Sigmoid) against targets in [0, 1]; PyTorch's
// F.binary_cross_entropy, logs clamped at -100. An input outside [0, 1] (or NaN) throws
// std::invalid_argument, as PyTorch refuses it.
template <TensorOrView X>
scalar_of<X> bce_loss(const X& input, const_view_of<X> target, view_of<X> grad,
                      Reduction r = Reduction::mean, double weight = 1) {
  using Dev = device_of<X>;
  const const_view_of<X> x = input;
  const std::size_t i = ops::first_non_probability(Dev{}, x.data(), x.size());
  if (i < x.size()) {
    scalar_of<X> value;
    ops::to_host(Dev{}, x.data() + i, &value, 1);
    throw std::invalid_argument(
        "tessera::bce_loss: input " + std::to_string(value) + " at element " + std::to_string(i) +
        " is not a probability in [0, 1] (is a Sigmoid missing? bce_with_logits_loss "
        "takes logits)");
  }
  return detail::elementwise_loss("bce_loss", x, target, grad, r, weight,
                                  [](auto... a) { return ops::bce_loss(a...); });
}

// Binary cross-entropy of logits: sigmoid and BCE in one, exact for any logit (F.
// binary_cross_entropy_with_logits). Prefer it to Sigmoid + bce_loss.
template <TensorOrView X>
scalar_of<X> bce_with_logits_loss(const X& logits, const_view_of<X> target, view_of<X> grad,
                                  Reduction r = Reduction::mean, double weight = 1) {
  return detail::elementwise_loss("bce_with_logits_loss", logits, target, grad, r, weight,
                                  [](auto... a) { return ops::bce_with_logits_loss(a...); });
}

// Mean squared error (F.mse_loss): LSGAN's adversarial loss, autoencoder reconstructions.
template <TensorOrView X>
scalar_of<X> mse_loss(const X& input, const_view_of<X> target, view_of<X> grad,
                      Reduction r = Reduction::mean, double weight = 1) {
  return detail::elementwise_loss("mse_loss", input, target, grad, r, weight,
                                  [](auto... a) { return ops::mse_loss(a...); });
}

// Mean absolute error (F.l1_loss): pix2pix's and CycleGAN's reconstruction terms.
template <TensorOrView X>
scalar_of<X> l1_loss(const X& input, const_view_of<X> target, view_of<X> grad,
                     Reduction r = Reduction::mean, double weight = 1) {
  return detail::elementwise_loss("l1_loss", input, target, grad, r, weight,
                                  [](auto... a) { return ops::l1_loss(a...); });
}

// Cross-entropy of logits against class labels (F.cross_entropy): Shape<C> logits take one label
// per sample; Shape<C, H, W> logits take one per pixel, laid out (batch, H, W), as U-Net's
// segmentation loss. A label outside [0, C) throws std::out_of_range naming it and its position.
template <TensorOrView X>
scalar_of<X> cross_entropy_loss(const X& logits, std::span<const std::int64_t> labels,
                                view_of<X> grad, Reduction r = Reduction::mean, double weight = 1) {
  return detail::class_loss("cross_entropy_loss", logits, labels, grad, r, weight,
                            [](auto... a) { return ops::cross_entropy_loss(a...); });
}

// Negative log-likelihood of log-probabilities (after LogSoftmax) against class labels
// (F.nll_loss); labels as for cross_entropy_loss.
template <TensorOrView X>
scalar_of<X> nll_loss(const X& log_probs, std::span<const std::int64_t> labels, view_of<X> grad,
                      Reduction r = Reduction::mean, double weight = 1) {
  return detail::class_loss("nll_loss", log_probs, labels, grad, r, weight,
                            [](auto... a) { return ops::nll_loss(a...); });
}

// The VAE's KL term, KL(N(mu, exp(logvar)) || N(0, 1)) = -1/2 sum(1 + logvar - mu^2 - exp(logvar)),
// with its gradients for both encoder outputs. The PyTorch VAE example sums it (Reduction::sum)
// next to a summed reconstruction loss; batch_mean gives the same per sample.
template <TensorOrView X>
scalar_of<X> vae_kl_loss(const X& mu, const_view_of<X> logvar, view_of<X> grad_mu,
                         view_of<X> grad_logvar, Reduction r = Reduction::mean, double weight = 1) {
  using T = scalar_of<X>;
  const const_view_of<X> m = mu;
  detail::check_batch("vae_kl_loss", "logvar", logvar.batch(), m.batch());
  detail::check_batch("vae_kl_loss", "mu gradient", grad_mu.batch(), m.batch());
  detail::check_batch("vae_kl_loss", "logvar gradient", grad_logvar.batch(), m.batch());
  return ops::vae_kl_loss(
      device_of<X>{}, m.data(), logvar.data(), grad_mu.data(), grad_logvar.data(), m.size(),
      detail::reduction_scale<T>("vae_kl_loss", r, m.size(), m.batch(), weight));
}

}  // namespace tessera
