// 2-d convolution and transposed convolution over NCHW batches, as PyTorch's F.conv2d and
// F.conv_transpose2d compute them (cross-correlation; weights Cout x Cin x K x K for conv,
// Cin x Cout x K x K for the transposed form). Each backend file defines, for its device tag:
//   conv2d_forward(dev, geometry, x, weight, bias or nullptr, y, n, scratch)
//   conv_transpose2d_forward(dev, geometry, x, weight, bias or nullptr, y, n, scratch)
// and the scratch sizes per sample they need.
#pragma once

#include "tessera/ops/conv2d/geometry.hpp"
#include "tessera/ops/conv2d/cpu.hpp"
