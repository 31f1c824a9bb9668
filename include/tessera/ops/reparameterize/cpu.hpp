// The reparameterisation on the CPU: one fused loop, split over both cores when large enough.
#pragma once

#include <cmath>
#include <cstddef>

#include "tessera/core/parallel.hpp"
#include "tessera/core/device.hpp"

namespace tessera::ops {

// z = mu + exp(0.5 logvar) eps, as PyTorch's `mu + torch.exp(0.5 * logvar) * eps`.
template <class T>
void reparameterize_forward(Cpu, const T* mu, const T* logvar, const T* eps, T* z, std::size_t count) {
TESSERA_OMP(parallel for schedule(static) if (count > 32768))
  for (std::size_t i = 0; i < count; ++i) z[i] = mu[i] + std::exp(T(0.5) * logvar[i]) * eps[i];
}

// dmu = dz, dlogvar = dz eps exp(0.5 logvar) / 2, deps = dz exp(0.5 logvar). From logvar, not from
// z - mu, which loses its digits where mu is large next to the noise.
template <class T>
void reparameterize_backward(Cpu, const T* logvar, const T* eps, const T* dz, T* dmu, T* dlogvar,
                             T* deps, std::size_t count) {
TESSERA_OMP(parallel for schedule(static) if (count > 32768))
  for (std::size_t i = 0; i < count; ++i) {
    const T scale = std::exp(T(0.5) * logvar[i]);
    dmu[i] = dz[i];
    dlogvar[i] = T(0.5) * dz[i] * eps[i] * scale;
    deps[i] = dz[i] * scale;
  }
}

}  // namespace tessera::ops
