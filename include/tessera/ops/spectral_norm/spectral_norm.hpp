// Spectral normalisation of a weight, as PyTorch's torch.nn.utils.spectral_norm computes it: the
// weight seen as a rows x cols matrix W (dim 0 by the rest, flattened) is divided by sigma = u . W v,
// its largest singular value as the power iteration on u (rows) and v (cols) estimates it. Each
// backend file defines:
//   spectral_norm_forward(dev, weight_orig, u, v, weight, sigma, rows, cols, iterations, eps, update)
// which, when update is set (training), first runs `iterations` steps of the power iteration on u
// and v in place,
//   v = normalize(W^T u),  u = normalize(W v),  normalize(x) = x / max(|x|, eps),
// then writes sigma[0] = u . W v and weight = weight_orig / sigma, and
//   spectral_norm_backward(dev, weight_grad, weight, u, v, sigma, weight_orig_grad, rows, cols)
// which, from G = weight_grad = dL/d(weight) and the forward's weight, u, v and sigma, adds
//   dL/d(weight_orig) = (G - <G, weight> u v^T) / sigma
// to weight_orig_grad: sigma's dependence on W_orig through u v^T, with u and v held constant
// (PyTorch's power iteration runs under no_grad).
#pragma once

#include "tessera/ops/spectral_norm/cpu.hpp"
