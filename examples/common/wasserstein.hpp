// The Wasserstein-style GAN losses, which are means of the critic's scores (no sigmoid, no log),
// and their gradients, which have a closed form: each sample gets +-1/n. Not part of the library:
// examples only (examples/wgan.cpp).
//   WGAN (Arjovsky et al. 2017):     critic  mean D(fake) - mean D(real)      G  -mean D(G(z))
//   hinge (SNGAN, Miyato et al.):    critic  mean max(0, 1 - D(real)) + mean max(0, 1 + D(fake))
//                                    G       -mean D(G(z))
// Each is a sum of terms over one batch, as the critic sees real and fake images in separate
// forwards:
//   const auto real = examples::wasserstein_term(d.forward(x), grad, -1, hinge);  // raise D(real)
//   d.backward(grad);
#pragma once

#include <cstddef>
#include <tessera/core/tensor.hpp>

namespace examples {

struct WassersteinTerm {
  float loss;        // the term's value
  float mean_score;  // mean D(x) over the batch: mean D(real) - mean D(fake) estimates the distance
};

// One batch's term, `sign` -1 for scores the loss raises (real images for the critic, fakes for
// G) and +1 for those it lowers (fakes for the critic):
//   plain:  L = mean(sign * D(x_i)),             dL/dD(x_i) = sign / n
//   hinge:  L = mean(max(0, 1 + sign * D(x_i))), dL/dD(x_i) = sign / n where 1 + sign * D(x_i) > 0,
//                                                else 0 (also at the kink, as PyTorch's relu)
// Writes the gradient into `grad` (the scores' shape, one value per sample) for the critic's
// backward. Sums in double: a batch of scores near 0.01 (a clipped critic's) keeps its digits.
template <class S>
WassersteinTerm wasserstein_term(tessera::View<S, const float> scores, tessera::View<S, float> grad,
                                 int sign, bool hinge) {
  static_assert(S::size == 1, "wasserstein_term: one score per sample");
  const std::size_t n = std::size_t(scores.batch());
  const float step = float(sign) / float(n);
  double loss = 0, sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double signed_score = sign * double(scores[i]);
    sum += scores[i];
    if (!hinge) {
      loss += signed_score;
      grad[i] = step;
    } else if (1 + signed_score > 0) {
      loss += 1 + signed_score;
      grad[i] = step;
    } else {
      grad[i] = 0;
    }
  }
  return {float(loss / double(n)), float(sum / double(n))};
}

}  // namespace examples
