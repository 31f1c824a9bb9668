// Optimizer updates on the CPU: one loop over the parameter's elements, split over both cores when
// the parameter is large.
#pragma once

#include <cmath>
#include <cstddef>

#include "tessera/core/device.hpp"
#include "tessera/core/parallel.hpp"
#include "tessera/ops/optim/step.hpp"

namespace tessera::ops {

namespace cpu {
// Runs f(j) for every element j of a parameter. `simd`: the elements are independent, so the
// loop is vectorised although the compiler cannot prove that the arrays do not overlap (the
// square roots too, where math functions need not set errno: tessera's CMake target compiles with
// -fno-math-errno). The `if` is the parallel construct's only: a false `if` on simd would run the
// loop one element at a time. f is each thread's own copy, as in ops::map.
template <class F>
void for_each_element(std::size_t count, F f) {
TESSERA_OMP(parallel for simd schedule(static) firstprivate(f) if (parallel : count > 32768))
  for (std::size_t j = 0; j < count; ++j) f(j);
}
}  // namespace cpu

template <class T>
void adam_update(Cpu, T* value, const T* grad, T* exp_avg, T* exp_avg_sq, std::size_t count,
                 AdamStep<T> s) {
  const auto update = [=](std::size_t j, T g) {
    exp_avg[j] = exp_avg[j] * s.beta1 + s.one_minus_beta1 * g;
    exp_avg_sq[j] = exp_avg_sq[j] * s.beta2 + s.one_minus_beta2 * g * g;
    const T denom = std::sqrt(exp_avg_sq[j]) / s.bias_correction2_sqrt + s.eps;
    value[j] = value[j] + s.neg_step_size * exp_avg[j] / denom;
  };
  // Two loops rather than a test per element: GCC vectorises only one side of such a test.
  if (s.weight_decay != 0)
    cpu::for_each_element(count,
                          [=](std::size_t j) { update(j, grad[j] + s.weight_decay * value[j]); });
  else
    cpu::for_each_element(count, [=](std::size_t j) { update(j, grad[j]); });
}

template <class T>
void sgd_update(Cpu, T* value, const T* grad, T* momentum_buffer, std::size_t count, SGDStep<T> s) {
  cpu::for_each_element(count, [=](std::size_t j) {
    T d = s.weight_decay != 0 ? grad[j] + s.weight_decay * value[j] : grad[j];
    if (momentum_buffer) {
      momentum_buffer[j] =
          s.first ? d : momentum_buffer[j] * s.momentum + s.one_minus_dampening * d;
      d = s.nesterov ? d + s.momentum * momentum_buffer[j] : momentum_buffer[j];
    }
    value[j] = value[j] + s.neg_lr * d;
  });
}

template <class T>
void rmsprop_update(Cpu, T* value, const T* grad, T* square_avg, T* momentum_buffer, T* grad_avg,
                    std::size_t count, RMSpropStep<T> s) {
  cpu::for_each_element(count, [=](std::size_t j) {
    const T g = s.weight_decay != 0 ? grad[j] + s.weight_decay * value[j] : grad[j];
    square_avg[j] = square_avg[j] * s.alpha + s.one_minus_alpha * g * g;
    T avg;
    if (grad_avg) {
      grad_avg[j] = grad_avg[j] * s.alpha + s.one_minus_alpha * g;
      avg = std::sqrt(square_avg[j] - grad_avg[j] * grad_avg[j]);
    } else {
      avg = std::sqrt(square_avg[j]);
    }
    avg = avg + s.eps;
    if (momentum_buffer) {
      momentum_buffer[j] = momentum_buffer[j] * s.momentum + g / avg;
      value[j] = value[j] + s.neg_lr * momentum_buffer[j];
    } else {
      value[j] = value[j] + s.neg_lr * g / avg;
    }
  });
}

}  // namespace tessera::ops
