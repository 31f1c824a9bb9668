// Instance normalisation over NCHW batches, as PyTorch's F.instance_norm computes it without
// running statistics: every (sample, channel) plane is normalised with its own mean and biased
// variance, then scaled and shifted per channel when weight and bias are given. Each backend file
// defines:
//   instance_norm_forward(dev, x, y, xhat, invstd, n, channels, plane, weight or nullptr,
//                         bias or nullptr, eps)
// which writes y, the normalised input xhat (same layout as x) and 1/sqrt(var + eps) of each of
// the n x channels planes.
#pragma once

#include "tessera/ops/instance_norm/cpu.hpp"
