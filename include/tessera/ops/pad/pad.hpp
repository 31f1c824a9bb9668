// Padding and cropping of NCHW batches, as PyTorch's F.pad computes them: mode='constant' (zeros
// for nn.ZeroPad2d) and mode='reflect' (nn.ReflectionPad2d). A crop is a constant pad with
// negative amounts, as F.pad allows, so CenterCrop uses constant_pad2d_forward too. Each backend
// file defines, for its device tag:
//   constant_pad2d_forward(dev, geometry, x, y, n, value)   any padding, negative crops
//   reflection_pad2d_forward(dev, geometry, x, y, n)        0 <= padding < the extent it pads
//   constant_pad2d_backward(dev, geometry, dy, dx, n)       dx overwritten; value has no gradient
//   reflection_pad2d_backward(dev, geometry, dy, dx, n)     dx overwritten
#pragma once

#include "tessera/ops/pad/cpu.hpp"
#include "tessera/ops/pad/geometry.hpp"
