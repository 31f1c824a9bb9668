// Resampling of NCHW batches to another height and width, as PyTorch's F.interpolate computes it
// for mode='nearest' and for mode='bilinear' with align_corners=False (no antialiasing); these are
// the aten ops upsample_nearest2d and upsample_bilinear2d, which nn.Upsample and torchvision's
// tensor resize (before 0.17) call. The rules that map an output index to its source indices and
// weights live in geometry.hpp; each backend file defines, for its device tag:
//   upsample_nearest2d_forward(dev, geometry, x, y, n)
//   upsample_bilinear2d_forward(dev, geometry, x, y, n)
//   upsample_nearest2d_backward(dev, geometry, dy, dx, n)    dx overwritten
//   upsample_bilinear2d_backward(dev, geometry, dy, dx, n)   dx overwritten
#pragma once

#include "tessera/ops/upsample/cpu.hpp"
#include "tessera/ops/upsample/geometry.hpp"
