// The VAE's reparameterisation z = mu + exp(logvar / 2) * eps, elementwise over a whole batch.
// Each backend file defines reparameterize_forward(dev, mu, logvar, eps, z, count) and
// reparameterize_backward(dev, logvar, eps, dz, dmu, dlogvar, deps, count), the gradients of all
// three inputs (eps too: a caller may differentiate through the noise).
#pragma once

#include "tessera/ops/reparameterize/cpu.hpp"
