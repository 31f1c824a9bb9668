// Linear map y = x W^T + b over a batch of flat vectors (PyTorch's nn.Linear layout: W is
// out x in). Each backend file defines linear_forward(dev, x, weight, bias or nullptr, y, n, in, out)
// and linear_backward(dev, x, weight, dy, dx, weight_grad, bias_grad, n, in, out), where a null
// dx or gradient is not computed.
#pragma once

#include "tessera/ops/linear/cpu.hpp"
