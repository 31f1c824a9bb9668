// Softmax and log-softmax along one axis of a batch, as PyTorch's F.softmax(x, dim) and
// F.log_softmax(x, dim) compute them, stably (the maximum along the axis is subtracted first).
// The tensor is seen as [outer][extent][inner]: outer = batch, extent = the axis softmax runs
// along, inner = everything after it (1 for Shape<F>, H W for channels of Shape<C, H, W>).
// Each backend file defines, for its device tag:
//   softmax_forward(dev, x, y, outer, extent, inner)
//   log_softmax_forward(dev, x, y, outer, extent, inner)
//   softmax_backward(dev, y, dy, dx, outer, extent, inner)       dx from the output y and dy
//   log_softmax_backward(dev, y, dy, dx, outer, extent, inner)   likewise
#pragma once

#include "tessera/ops/softmax/cpu.hpp"
