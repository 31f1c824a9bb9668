// 2-d pooling over NCHW batches, as PyTorch's F.max_pool2d, F.avg_pool2d and
// F.adaptive_avg_pool2d(x, 1) compute them (floor mode; average pooling counts the padding).
// A window has the geometry of a convolution whose input and output channels agree (dilation 1),
// so the ops take a WindowGeometry. Each backend file defines, for its device tag:
//   max_pool2d_forward(dev, geometry, x, y, argmax, n)    argmax: index of the maximum within its
//                                                          input plane (iy * W + ix), stored as T
//   avg_pool2d_forward(dev, geometry, x, y, n)
//   global_avg_pool2d_forward(dev, x, y, planes, plane_size)   one mean per plane
// and their backwards, which overwrite dx with the input gradient of n samples (planes for the
// global pool) from the output gradient dy:
//   max_pool2d_backward(dev, geometry, dy, argmax, dx, n)   argmax: as the forward wrote it
//   avg_pool2d_backward(dev, geometry, dy, dx, n)
//   global_avg_pool2d_backward(dev, dy, dx, planes, plane_size)
#pragma once

#include "tessera/ops/window.hpp"
#include "tessera/ops/pool/cpu.hpp"
