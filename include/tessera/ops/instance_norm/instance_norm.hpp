// Instance normalisation over NCHW batches, as PyTorch's F.instance_norm computes it without
// running statistics: every (sample, channel) plane is normalised with its own mean and biased
// variance, then scaled and shifted per channel when weight and bias are given. Each backend file
// defines:
//   instance_norm_forward(dev, x, y, xhat, invstd, n, channels, plane, weight or nullptr,
//                         bias or nullptr, eps)
// which writes y, the normalised input xhat (same layout as x) and 1/sqrt(var + eps) of each of
// the n x channels planes, and
//   instance_norm_backward(dev, dy, xhat, invstd, dx, n, channels, plane, weight or nullptr,
//                          weight_grad, bias_grad)
// which, from the forward's xhat and invstd, writes dx and adds to weight_grad and bias_grad (each
// skipped when null; weight null means no affine scale). Second order (core/module.hpp):
//   instance_norm_tangent(dev, xt, xhat, invstd, xhat_t, yt, n, channels, plane, weight or nullptr)
// writes the tangent of xhat along xt, xhat_t = invstd (xt - mean(xt) - xhat mean(xhat xt)) per
// plane, and of y, yt = weight xhat_t; and
//   instance_norm_tangent_backward(dev, xt, xhat, invstd, xhat_t, dy or nullptr, dyt, dx, dxt, n,
//                                  channels, plane, weight or nullptr, weight_grad, bias_grad)
// writes dxt = backward of dyt, dx = backward of dy plus the derivative of yt in x against dyt,
// and adds dy.xhat + dyt.xhat_t to weight_grad and dy to bias_grad (each skipped when null).
#pragma once

#include "tessera/ops/instance_norm/cpu.hpp"
