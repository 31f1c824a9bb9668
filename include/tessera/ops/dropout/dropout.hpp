// Dropout over a batch: in training each group of `group` consecutive elements (1 for PyTorch's
// F.dropout, one H x W plane for F.dropout2d) is zeroed with probability p, drawn in order from
// the generator, and the rest are scaled by 1/(1 - p); in evaluation y = x. Each backend defines:
//   dropout_forward(dev, x, y, mask, count, group, p, training, rng)
// which also writes the mask y = x * mask used (the scale or 0; all ones in evaluation); the same
// generator state gives the same mask, and in evaluation the generator is not touched and may be
// null. Backward is then dx = dy * mask in either mode:
//   dropout_backward(dev, dy, mask, dx, count)
#pragma once

#include "tessera/ops/dropout/cpu.hpp"
