// The sparse autoencoder's penalty (Ng's CS294A notes, SEEDS.md's "KL between the mean activation
// and a target sparsity p"): beta * sum_j KL(p || q_j), q_j the mean over the batch of code unit j
// (a Sigmoid output, so in (0, 1)), and its gradient, added to the code's gradient between the
// decoder's input gradient and the encoder's backward. Not part of the library: examples only.
//   auto dz = decoder.backward_to_input(grad);             // dL/dcode from the reconstruction
//   std::copy(dz.data(), dz.data() + dz.size(), dcode.data());
//   penalty = examples::add_kl_sparsity(code, dcode.view(), 0.05, 0.01);
//   encoder.backward(dcode.view());
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <tessera/core/tensor.hpp>
#include <vector>

namespace examples {

// KL(p || q) between Bernoulli distributions: p log(p / q) + (1 - p) log((1 - p) / (1 - q)).
inline double bernoulli_kl(double p, double q) {
  return p * std::log(p / q) + (1 - p) * std::log((1 - p) / (1 - q));
}

// Returns beta * sum_j KL(p || q_j) and adds its gradient to dcode:
//   d/d a_ij = beta / N * ((1 - p) / (1 - q_j) - p / q_j),
// q_j clamped to [1e-6, 1 - 1e-6] so that a dead or saturated unit gives a finite push back.
template <class S>
double add_kl_sparsity(tessera::View<S, const float> code, tessera::View<S, float> dcode, double p,
                       double beta) {
  const std::size_t n = std::size_t(code.batch()), units = S::size;
  std::vector<double> q(units, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < units; ++j) q[j] += code[i * units + j];
  double penalty = 0;
  for (std::size_t j = 0; j < units; ++j) {
    q[j] = std::clamp(q[j] / double(n), 1e-6, 1 - 1e-6);
    penalty += bernoulli_kl(p, q[j]);
    const float g = float(beta / double(n) * ((1 - p) / (1 - q[j]) - p / q[j]));
    for (std::size_t i = 0; i < n; ++i) dcode[i * units + j] += g;
  }
  return beta * penalty;
}

}  // namespace examples
