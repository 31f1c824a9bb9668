// 2-d convolution and transposed convolution over NCHW batches, as PyTorch's F.conv2d and
// F.conv_transpose2d compute them (cross-correlation; weights Cout x Cin x K x K for conv,
// Cin x Cout x K x K for the transposed form). Each backend file defines, for its device tag:
//   ConvPlan<Dev, T>: what the backend keeps per layer between calls (vendor primitives planned
//     for the layer's shapes), with a constexpr scratch(geometry, transposed): elements of
//     scratch per sample it needs;
//   conv2d_forward(dev, plan, geometry, x, weight, bias or nullptr, y, n, scratch)
//   conv_transpose2d_forward(dev, plan, geometry, x, weight, bias or nullptr, y, n, scratch)
#pragma once

#include "tessera/ops/conv2d/geometry.hpp"

namespace tessera::ops {
template <class Dev, class T>
struct ConvPlan;
}
#include "tessera/ops/conv2d/cpu.hpp"
