// Linear map y = x W^T + b over a batch of flat vectors (PyTorch's nn.Linear layout: W is
// out x in). Each backend file defines linear_forward(dev, x, weight, bias or nullptr, y, n, in, out).
#pragma once

#include "tessera/ops/linear/cpu.hpp"
