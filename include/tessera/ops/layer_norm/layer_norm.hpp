// Layer normalisation, as PyTorch's F.layer_norm computes it: each group of `size` consecutive
// elements (the trailing normalized_shape extents of one sample) is normalised with its own mean
// and biased variance, then scaled and shifted position by position when weight and bias (each
// `size` long) are given. Each backend file defines:
//   layer_norm_forward(dev, x, y, mean, invstd, groups, size, weight or nullptr, bias or nullptr,
//                      eps)
// which writes y and the mean and 1/sqrt(var + eps) of each of the `groups` groups (PyTorch's
// native_layer_norm saves the same two), and
//   layer_norm_backward(dev, x, dy, mean, invstd, dx, groups, size, weight or nullptr,
//                       weight_grad, bias_grad)
// which, from the forward's input and statistics (x-hat is recomputed, not stored), writes dx and
// adds to weight_grad and bias_grad (each skipped when null; weight null means no affine scale).
#pragma once

#include "tessera/ops/layer_norm/cpu.hpp"
