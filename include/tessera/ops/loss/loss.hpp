// Loss functions over a whole batch: each returns scale * (sum of the per-element losses) and
// overwrites grad with scale * d(sum)/d(input), so that one `scale` expresses PyTorch's reductions
// (1 / count for 'mean', 1 for 'sum'). Values follow torch.nn.functional, including its guards:
// BCE clamps its logs at -100 and divides its gradient by max(x (1 - x), 1e-12).
// Tensors are in the device's memory; the value returns to the host. Each backend file defines, for
// its device tag:
//   bce_loss(dev, input, target, grad, count, scale)               input in [0, 1]
//   first_non_probability(dev, input, count)
//       the index of the first element outside [0, 1] (or NaN), count if none: what bce_loss checks
//   bce_with_logits_loss(dev, logits, target, grad, count, scale)  stable for any logit
//   mse_loss(dev, input, target, grad, count, scale)
//   l1_loss(dev, input, target, grad, count, scale)                gradient 0 where input == target
//   cross_entropy_loss(dev, logits, labels, grad, outer, classes, inner, scale)
//   nll_loss(dev, log_probs, labels, grad, outer, classes, inner, scale)
//       inputs laid out [outer][classes][inner] (inner = 1 for Shape<C>, H W for Shape<C, H, W>),
//       labels [outer][inner] in the device's memory, each already checked to lie in [0, classes)
//   vae_kl_loss(dev, mu, logvar, grad_mu, grad_logvar, count, scale)
//       the per-element term -1/2 (1 + logvar - mu^2 - exp(logvar))
#pragma once

#include "tessera/ops/loss/cpu.hpp"
