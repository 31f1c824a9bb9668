// The VAE's reparameterisation z = mu + exp(logvar / 2) * eps, elementwise over a whole batch.
// Each backend file defines reparameterize_forward(dev, mu, logvar, eps, z, count).
#pragma once

#include "tessera/ops/reparameterize/cpu.hpp"
