// The reparameterisation on the CPU: one fused loop, split over both cores when large enough.
#pragma once

#include <cmath>
#include <cstddef>

#include "tessera/core/device.hpp"

namespace tessera::ops {

// z = mu + exp(0.5 logvar) eps, as PyTorch's `mu + torch.exp(0.5 * logvar) * eps`.
template <class T>
void reparameterize_forward(Cpu, const T* mu, const T* logvar, const T* eps, T* z, std::size_t count) {
#pragma omp parallel for schedule(static) if (count > 32768)
  for (std::size_t i = 0; i < count; ++i) z[i] = mu[i] + std::exp(T(0.5) * logvar[i]) * eps[i];
}

}  // namespace tessera::ops
