// The host scalars one update of a parameter takes. The optimizer (train/adam.hpp, sgd.hpp,
// rmsprop.hpp) computes them once per parameter and step from its options, in double and then
// rounded to T, where PyTorch's loop has them as Python floats; a backend only reads them. Named
// fields rather than a row of T arguments, which would swap silently.
#pragma once

namespace tessera::ops {

template <class T>
struct AdamStep {
  T beta1, one_minus_beta1;  // the running mean of gradients: m = beta1 m + (1 - beta1) g
  T beta2, one_minus_beta2;  // and of their squares
  T eps, weight_decay;
  T neg_step_size;          // -lr / (1 - beta1^step)
  T bias_correction2_sqrt;  // sqrt(1 - beta2^step)
};

template <class T>
struct SGDStep {
  T neg_lr, weight_decay, momentum, one_minus_dampening;
  bool first;  // the momentum buffer's first update, which takes the gradient undamped
  bool nesterov;
};

template <class T>
struct RMSpropStep {
  T neg_lr, alpha, one_minus_alpha;  // square_avg = alpha square_avg + (1 - alpha) g^2
  T eps, momentum, weight_decay;
};

}  // namespace tessera::ops
