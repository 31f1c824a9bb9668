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
// Second order (core/module.hpp):
//   layer_norm_tangent(dev, x, xt, mean, invstd, yt, tmean, tr, groups, size, weight or nullptr)
// writes the tangent of y along xt, yt = weight invstd (xt - mean(xt) - x-hat mean(x-hat xt)) per
// group, and each group's mean(xt) and mean(x-hat xt) to tmean and tr; and
//   layer_norm_tangent_backward(dev, x, xt, mean, invstd, tmean, tr, dy or nullptr, dyt, dx, dxt,
//                               groups, size, weight or nullptr, weight_grad, bias_grad)
// writes dxt = backward of dyt, dx = backward of dy plus the derivative of yt in x against dyt,
// and adds dy x-hat + dyt x-hat' to weight_grad and dy to bias_grad (each skipped when null).
#pragma once

#include "tessera/ops/layer_norm/cpu.hpp"
