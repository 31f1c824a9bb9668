// A finite-difference check of second order (Model::input_gradient + double_backward): the model
// runs in double, g = input_gradient(w) for a fixed random w, the loss is L = sum(u * g) for a
// fixed random u, and double_backward(u)'s parameter gradients are compared with central
// differences of L at a sample of coordinates of every parameter.
//   check_second_order<Sequential<Conv2d<4, 3>, Tanh, Flatten, Linear<1>>, Shape<2, 6, 6>>();
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "gradcheck.hpp"
#include "tessera/tessera.hpp"

namespace tessera::testing {

template <class Spec, AnyShape In>
void check_second_order(GradCheck opt = {}) {
  using M = Model<Spec, In, Cpu, double>;
  using Out = typename M::Output;
  M model(opt.seed);
  Generator rng(opt.seed + 1000);
  for (double& v : model.parameter_values()) v += rng.normal(0, 0.1);
  Tensor<In, double> x(opt.batch), u(opt.batch);
  Tensor<Out, double> w(opt.batch);
  for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = rng.normal();
  for (std::size_t i = 0; i < u.size(); ++i) u.data()[i] = rng.normal();
  for (std::size_t i = 0; i < w.size(); ++i) w.data()[i] = rng.normal();
  auto loss = [&] {
    model.forward(x);
    const auto g = model.input_gradient(w);
    double sum = 0;
    for (std::size_t i = 0; i < g.size(); ++i) sum += u.data()[i] * g[i];
    return sum;
  };

  model.zero_grad();
  loss();
  model.double_backward(u);
  const std::vector<double> analytic(model.parameter_grads().begin(), model.parameter_grads().end());
  double largest = 0;
  for (double a : analytic) largest = std::max(largest, std::abs(a));
  // A critic whose second-order gradient is zero everywhere would pass vacuously.
  REQUIRE(largest > 1e-6);

  auto values = model.parameter_values();
  for (const auto& e : model.tensors()) {
    if (e.kind != TensorEntry<double>::Kind::parameter) continue;
    const std::size_t base = std::size_t(e.value - values.data());
    for (std::size_t i : detail::coordinates(e.size(), opt.coordinates, rng)) {
      double& value = values[base + i];
      const double saved = value;
      value = saved + opt.eps;
      const double up = loss();
      value = saved - opt.eps;
      const double down = loss();
      value = saved;
      const double numeric = (up - down) / (2 * opt.eps);
      INFO(e.name << "[" << i << "]: double_backward " << analytic[base + i]
                  << ", finite differences " << numeric);
      CHECK(std::abs(analytic[base + i] - numeric) <=
            opt.atol + opt.rtol * std::abs(numeric) + 1e-9 * std::abs(up));
    }
  }
}

}  // namespace tessera::testing
