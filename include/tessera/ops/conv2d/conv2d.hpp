// 2-d convolution and transposed convolution over NCHW batches, as PyTorch's F.conv2d and
// F.conv_transpose2d compute them (cross-correlation; weights Cout x Cin x K x K for conv,
// Cin x Cout x K x K for the transposed form). Each backend file defines, for its device tag:
//   ConvPlan<Dev, T>: what the backend keeps per layer between calls (vendor primitives planned
//     for the layer's shapes), with a constexpr scratch(geometry, transposed): elements of
//     scratch per sample that a forward or a backward needs, whichever needs more;
//   conv2d_forward(dev, plan, geometry, x, weight, bias or nullptr, y, n, scratch)
//   conv_transpose2d_forward(dev, plan, geometry, x, weight, bias or nullptr, y, n, scratch)
//   conv2d_backward(dev, plan, geometry, x, weight, dy, dx, weight_grad, bias_grad, n, scratch)
//   conv_transpose2d_backward(dev, plan, geometry, x, weight, dy, dx, weight_grad, bias_grad, n,
//                             scratch)
//     after a forward of the same x: dx = dL/dx (overwritten), weight_grad += dL/dweight and
//     bias_grad += dL/dbias (PyTorch's accumulation); a null pointer is not computed.
#pragma once

#include "tessera/ops/window.hpp"

namespace tessera::ops {
template <class Dev, class T>
struct ConvPlan;
}
#include "tessera/ops/conv2d/cpu.hpp"
