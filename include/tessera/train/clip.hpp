// Weight clipping, as the WGAN paper (Arjovsky et al. 2017) keeps its critic Lipschitz: after each
// critic update every parameter is clamped to [-c, c] (c = 0.01 in the paper). PyTorch:
//   for p in critic.parameters(): p.data.clamp_(-c, c)
// here:
//   critic_optimizer.step();
//   ts::clamp_parameters(critic_parameters, -0.01, 0.01);
// The work is one op per tensor (ops::clamp), so it runs on the parameters' device.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "tessera/core/tensor_entry.hpp"
#include "tessera/ops/elementwise/elementwise.hpp"

namespace tessera {

// Clamps every entry of `parameters` to [low, high] in place: values inside keep their bits, values
// outside become exactly T(low) or T(high), a NaN stays NaN. Every entry of the list is clamped,
// frozen ones (requires_grad false) too, as PyTorch's loop clamps every tensor it is given. Note
// that Model::parameters() lists only the trainable ones: take the list while the critic is
// trainable (as its optimizer does) or use the optimizer's, `critic_optimizer.parameters()`.
// Throws std::invalid_argument for bounds that are NaN or with low > high (torch.clamp would set
// everything to high), a null entry, or an entry that is not a parameter (BatchNorm's running
// statistics are buffers: clamping them would be a bug, and PyTorch's parameters() has none).
// BatchNorm's weight and bias are parameters and are clamped, as in the WGAN paper's code.
template <class T, class Dev>
void clamp_parameters(const std::vector<TensorEntry<T, Dev>*>& parameters, double low,
                      double high) {
  if (!(low <= high))  // false for NaN too
    throw std::invalid_argument("tessera::clamp_parameters: the bounds [" + std::to_string(low) +
                                ", " + std::to_string(high) +
                                "] are not an interval (low must be at most high, neither NaN)");
  for (const TensorEntry<T, Dev>* e : parameters) {
    if (e == nullptr)
      throw std::invalid_argument("tessera::clamp_parameters: a null entry in the parameter list");
    if (e->kind != TensorEntry<T, Dev>::Kind::parameter || e->value == nullptr)
      throw std::invalid_argument("tessera::clamp_parameters: '" + e->name +
                                  "' is not a parameter (a buffer or counter?)");
  }
  for (const TensorEntry<T, Dev>* e : parameters)
    ops::clamp(Dev{}, e->value, e->size(), T(low), T(high));
}

}  // namespace tessera
