// Optimizer updates: one pass over a parameter that reads its gradient and state buffers and writes
// the new value and state, as torch.optim's single-tensor loops compute them, operation by
// operation (so that float rounds as PyTorch's float does). The step's scalars come from the host
// in a struct (step.hpp). Each backend file defines, for its device tag:
//   adam_update(dev, value, grad, exp_avg, exp_avg_sq, count, AdamStep)
//   sgd_update(dev, value, grad, momentum_buffer, count, SGDStep)
//       momentum_buffer null without momentum
//   rmsprop_update(dev, value, grad, square_avg, momentum_buffer, grad_avg, count, RMSpropStep)
//       momentum_buffer null without momentum, grad_avg null unless centered
// Weight decay is PyTorch's L2 form, added to the gradient (skipped when 0).
#pragma once

#include "tessera/ops/optim/cpu.hpp"
#include "tessera/ops/optim/step.hpp"
