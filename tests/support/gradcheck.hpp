// A finite-difference check of backward, for any layer or composition: the model runs in double
// precision, the loss is L = sum(w * y) over every output for a fixed random w, and backward's
// gradients of L with respect to each input and each parameter are compared with central
// differences (L(v + eps) - L(v - eps)) / (2 eps) at a sample of coordinates.
//   check_gradients<Sequential<Conv2d<4, 3>, BatchNorm2d<>, ReLU>, Shape<2, 6, 6>>();
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "tessera/tessera.hpp"

namespace tessera::testing {

struct GradCheck {
  index batch = 3;
  bool training = true;          // BatchNorm batch statistics, Dropout masks (re-drawn identically)
  std::uint64_t seed = 1;
  double eps = 1e-6;
  double rtol = 1e-5, atol = 1e-7;
  std::size_t coordinates = 30;  // checked per tensor; every one when the tensor is smaller
  bool check_inputs = true;      // false for index inputs (Embedding)
  std::vector<std::pair<std::string, double>> scalars = {};  // runtime scalars to set: {"2.alpha", 0.3}
  // Fills the input tensors (all parts, laid out one after the other); default N(0, 1).
  std::function<void(std::vector<double>&, Generator&)> make_input = {};
};

namespace detail {
// Coordinates of a tensor of `size` elements to check: all, or an evenly spread sample.
inline std::vector<std::size_t> coordinates(std::size_t size, std::size_t wanted, Generator& rng) {
  std::vector<std::size_t> out;
  if (size <= wanted) {
    for (std::size_t i = 0; i < size; ++i) out.push_back(i);
  } else {
    for (std::size_t i = 0; i < wanted; ++i) out.push_back(std::size_t(rng.next() % size));
  }
  return out;
}
}  // namespace detail

template <class Spec, AnyShape In>
void check_gradients(GradCheck opt = {}) {
  using M = Model<Spec, In, Cpu, double>;
  using Out = typename M::Output;
  constexpr std::size_t parts_in = part_count<In>(), parts_out = part_count<Out>();
  M model(opt.seed);
  model.train(opt.training);
  for (const auto& [path, value] : opt.scalars) model.set_scalar(path, value);
  Generator rng(opt.seed + 1000);
  // Parameters that start at a constant (BatchNorm's ones and zeros) get a random nudge, so that a
  // gradient mixing up weight and bias cannot pass.
  for (double& v : model.parameter_values()) v += rng.normal(0, 0.1);

  std::vector<double> x(std::size_t(opt.batch) * In::size);
  if (opt.make_input)
    opt.make_input(x, rng);
  else
    for (double& v : x) v = rng.normal();
  std::vector<double> w(std::size_t(opt.batch) * Out::size);
  for (double& v : w) v = rng.normal();

  auto part = [&]<std::size_t I, class S>(std::vector<double>& data) {
    return View<part_at<I, S>, double>(data.data() + std::size_t(opt.batch) * pack_offset<I, S>(),
                                       opt.batch);
  };
  // The model's generator is re-seeded before every forward, so Dropout draws the same masks.
  auto forward = [&] {
    model.generator().seed(opt.seed + 7);
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return model.forward(part.template operator()<I, In>(x)...);
    }(std::make_index_sequence<parts_in>{});
  };
  auto loss = [&] {
    auto y = forward();
    double sum = 0;
    auto add = [&]<std::size_t I>(auto view) {
      const double* wp = w.data() + std::size_t(opt.batch) * pack_offset<I, Out>();
      for (std::size_t i = 0; i < view.size(); ++i) sum += wp[i] * view[i];
    };
    if constexpr (parts_out == 1)
      add.template operator()<0>(y);
    else
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        (add.template operator()<I>(std::get<I>(y)), ...);
      }(std::make_index_sequence<parts_out>{});
    return sum;
  };

  // Analytic gradients.
  model.zero_grad();
  forward();
  std::vector<double> dx(x.size());
  {
    auto copy = [&]<std::size_t I>(auto view) {
      std::copy(view.data(), view.data() + view.size(), dx.data() + std::size_t(opt.batch) * pack_offset<I, In>());
    };
    auto g = [&]<std::size_t... I>(std::index_sequence<I...>) {
      return model.backward_to_input(part.template operator()<I, Out>(w)...);
    }(std::make_index_sequence<parts_out>{});
    if constexpr (parts_in == 1)
      copy.template operator()<0>(g);
    else
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        (copy.template operator()<I>(std::get<I>(g)), ...);
      }(std::make_index_sequence<parts_in>{});
  }
  const std::vector<double> dparams(model.parameter_grads().begin(), model.parameter_grads().end());

  auto compare = [&](const std::string& what, double& value, double analytic) {
    const double saved = value;
    value = saved + opt.eps;
    const double up = loss();
    value = saved - opt.eps;
    const double down = loss();
    value = saved;
    const double numeric = (up - down) / (2 * opt.eps);
    INFO(what << ": backward " << analytic << ", finite differences " << numeric);
    CHECK(std::abs(analytic - numeric) <= opt.atol + opt.rtol * std::abs(numeric) + 1e-9 * std::abs(up));
  };

  if (opt.check_inputs)
    for (std::size_t i : detail::coordinates(x.size(), 2 * opt.coordinates, rng))
      compare("input element " + std::to_string(i), x[i], dx[i]);
  auto values = model.parameter_values();
  for (const auto& e : model.tensors()) {
    if (e.kind != TensorEntry<double>::Kind::parameter) continue;
    const std::size_t base = std::size_t(e.value - values.data());
    for (std::size_t i : detail::coordinates(e.size(), opt.coordinates, rng))
      compare(e.name + "[" + std::to_string(i) + "]", values[base + i], dparams[base + i]);
  }
}

}  // namespace tessera::testing
