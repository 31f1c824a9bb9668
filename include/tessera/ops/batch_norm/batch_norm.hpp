// Batch normalisation over N x C x S batches (S: the spatial extent, 1 for flat features), as
// PyTorch's F.batch_norm computes it: in training, each channel is normalised with the batch's
// mean and biased variance and the running statistics move toward the batch's mean and unbiased
// variance; in evaluation the running statistics normalise. Each backend file defines:
//   batch_norm_forward(dev, x, y, n, channels, spatial, weight, bias, running_mean, running_var,
//                      xhat, mean, invstd, training, eps, momentum)
// which writes y, the normalised input xhat (same layout as x) and the per-channel mean and
// 1/sqrt(var + eps) it used, and in training updates the running statistics (needs n S > 1), and
//   batch_norm_backward(dev, dy, xhat, dx, n, channels, spatial, weight, invstd, weight_grad,
//                       bias_grad, batch_statistics)
// which, from the forward's xhat and invstd, writes dx and adds to weight_grad and bias_grad (each
// skipped when null); batch_statistics says whether the forward normalised with the batch's own
// statistics (training), whose dependence on x then enters dx.
#pragma once

#include "tessera/ops/batch_norm/cpu.hpp"
