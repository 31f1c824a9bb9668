// Gradient penalties of Lipschitz critics. Each is one call that runs the critic on its own input,
// returns the penalty and *adds* the penalty's parameter gradients to the critic's, so that a
// critic step is: zero_grad, the loss's forwards and backwards, the penalty, the optimizer's step.
//   gradient_penalty (WGAN-GP; seed 004): x_hat = alpha real + (1 - alpha) fake with alpha ~ U[0, 1)
//     per sample, and lambda mean_i (||dD(x_hat_i)/dx_hat_i||_2 - 1)^2, lambda = 10;
//   r1_penalty (R1, Mescheder et al. 2018; StyleGAN's): gamma / 2 mean_i ||dD(x_i)/dx_i||^2 on real
//     images; LazyR1 applies it every k steps with weight k, as StyleGAN2's lazy regularisation.
// dD/dx is the gradient of the sum of the critic's outputs for each sample (grad_outputs = ones, as
// the seed writes it), so a PatchGAN critic works too. Both need the critic's layers to have
// second-order rules (core/module.hpp): the first layer without one is a compile error naming it.
//   d.zero_grad();
//   d.forward(real); d.backward(minus_one_over_n);   // -mean D(real)
//   d.forward(fake); d.backward(one_over_n);         // +mean D(fake)
//   const double gp = ts::gradient_penalty(d, real, fake, rng);  // + lambda E[(||g|| - 1)^2]
//   opt.step();
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "tessera/core/random.hpp"
#include "tessera/core/tensor.hpp"
#include "tessera/model.hpp"
#include "tessera/ops/elementwise/elementwise.hpp"

namespace tessera {

namespace detail {
// The critic's input gradient g at x (the gradient of each sample's output sum), and the penalty
// L = mean_i h(||g_i||) with its gradient dL/dg handed to double_backward. h_prime(norm) is
// dh/d(norm) divided by norm (so that dL/dg_i = h_prime(||g_i||) g_i / n), zero where the norm is
// zero, as PyTorch's norm backward gives there.
template <class M, class H, class HPrime>
double input_gradient_penalty(M& critic, View<typename M::Input, const typename M::scalar,
                                             typename M::device> x,
                              H h, HPrime h_prime) {
  using T = typename M::scalar;
  using Dev = typename M::device;
  using In = typename M::Input;
  const index n = x.batch();
  critic.forward(x);
  const Tensor<typename M::Output, T, Dev> ones(n, T(1));
  const auto g = critic.input_gradient(ones);
  std::vector<T> host(std::size_t(n) * In::size);
  ops::to_host(Dev{}, g.data(), host.data(), host.size());
  double total = 0;
  for (index i = 0; i < n; ++i) {
    T* gi = host.data() + std::size_t(i) * In::size;
    double squares = 0;
    for (std::size_t k = 0; k < In::size; ++k) squares += double(gi[k]) * double(gi[k]);
    const double norm = std::sqrt(squares);
    total += h(norm);
    const double scale = norm > 0 ? h_prime(norm) / double(n) : 0.0;
    for (std::size_t k = 0; k < In::size; ++k) gi[k] = T(scale * double(gi[k]));
  }
  Tensor<In, T, Dev> dg(n);
  ops::from_host(Dev{}, host.data(), dg.data(), host.size());
  critic.double_backward(dg);
  return total / double(n);
}

template <class M, class A>
View<typename M::Input, const typename M::scalar, typename M::device> input_view(const A& a,
                                                                                const char* caller,
                                                                                const char* what) {
  const View<typename M::Input, const typename M::scalar, typename M::device> v(a);
  if (v.batch() <= 0)
    throw std::invalid_argument(std::string("tessera::") + caller + ": the " + what +
                                " batch is empty");
  return v;
}
}  // namespace detail

// WGAN-GP's penalty at x_hat = alpha_i real_i + (1 - alpha_i) fake_i for the given alphas (one per
// sample, in [0, 1]); returns lambda mean_i (||dD(x_hat_i)/dx_hat_i||_2 - 1)^2 and adds its
// parameter gradients to the critic's. The critic's last forward is then the one on x_hat.
template <class M, class A, class B>
double gradient_penalty(M& critic, const A& real, const B& fake,
                        std::span<const typename M::scalar> alpha, double lambda = 10) {
  using T = typename M::scalar;
  using Dev = typename M::device;
  using In = typename M::Input;
  const auto r = detail::input_view<M>(real, "gradient_penalty", "real");
  const auto f = detail::input_view<M>(fake, "gradient_penalty", "fake");
  const index n = r.batch();
  if (f.batch() != n || index(alpha.size()) != n)
    throw std::invalid_argument("tessera::gradient_penalty: real (" + std::to_string(n) +
                                "), fake (" + std::to_string(f.batch()) + ") and alpha (" +
                                std::to_string(alpha.size()) + ") differ in batch size");
  for (const T a : alpha)
    if (!(a >= T(0) && a <= T(1)))
      throw std::invalid_argument("tessera::gradient_penalty: alpha " + std::to_string(a) +
                                  " is outside [0, 1]");
  if (!(lambda >= 0) || !std::isfinite(lambda))
    throw std::invalid_argument("tessera::gradient_penalty: lambda " + std::to_string(lambda) +
                                " must be finite and >= 0");
  Tensor<In, T, Dev> x_hat(n);
  for (index i = 0; i < n; ++i) {
    const std::size_t at = std::size_t(i) * In::size;
    ops::blend(Dev{}, alpha[std::size_t(i)], r.data() + at, T(1) - alpha[std::size_t(i)],
               f.data() + at, x_hat.data() + at, In::size);
  }
  return detail::input_gradient_penalty(
      critic, x_hat, [&](double norm) { return lambda * (norm - 1) * (norm - 1); },
      [&](double norm) { return 2 * lambda * (norm - 1) / norm; });
}

// The same with alpha ~ U[0, 1) drawn from `rng`, one per sample (torch.rand(n, 1, 1, 1)).
template <class M, class A, class B>
double gradient_penalty(M& critic, const A& real, const B& fake, Generator& rng,
                        double lambda = 10) {
  using T = typename M::scalar;
  const auto r = detail::input_view<M>(real, "gradient_penalty", "real");
  std::vector<T> alpha(std::size_t(r.batch()));
  for (T& a : alpha) a = T(rng.uniform());
  return gradient_penalty(critic, real, fake, std::span<const T>(alpha), lambda);
}

// R1: gamma / 2 mean_i ||dD(x_i)/dx_i||^2 at the real images x, times `weight` (LazyR1's k); adds
// its parameter gradients to the critic's and returns it.
template <class M, class A>
double r1_penalty(M& critic, const A& real, double gamma, double weight = 1) {
  const auto x = detail::input_view<M>(real, "r1_penalty", "real");
  if (!(gamma >= 0) || !std::isfinite(gamma) || !(weight >= 0) || !std::isfinite(weight))
    throw std::invalid_argument("tessera::r1_penalty: gamma " + std::to_string(gamma) +
                                " and weight " + std::to_string(weight) +
                                " must be finite and >= 0");
  const double c = weight * gamma / 2;
  return detail::input_gradient_penalty(
      critic, x, [&](double norm) { return c * norm * norm; }, [&](double) { return 2 * c; });
}

// StyleGAN2's lazy R1: the penalty on every `every`-th call only, weighted by `every` so that its
// average pull stays gamma / 2 ||grad||^2 per step; other calls return 0 and run nothing.
//   ts::LazyR1 r1{.gamma = 10, .every = 16};
//   const double penalty = r1.step(d, real);
struct LazyR1 {
  double gamma = 10;
  std::int64_t every = 16;
  std::int64_t calls = 0;

  template <class M, class A>
  double step(M& critic, const A& real) {
    if (every < 1)
      throw std::invalid_argument("tessera::LazyR1: every " + std::to_string(every) +
                                  " must be >= 1");
    const bool due = calls % every == 0;
    ++calls;
    return due ? r1_penalty(critic, real, gamma, double(every)) : 0.0;
  }
};

}  // namespace tessera
