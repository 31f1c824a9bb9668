// The gradient penalties against PyTorch (tests/fixtures/make_penalty_fixtures.py): a whole
// WGAN-GP critic loss as seed 004 writes it (-mean D(real) + mean D(fake) + lambda E[(||g|| - 1)^2],
// through torch.autograd.grad(create_graph=True) and loss.backward()) for an MLP and a conv critic,
// and an R1 loss, in float and in double.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "../support/fixtures.hpp"
#include "tessera/tessera.hpp"

namespace ts = tessera;
using namespace ts::testing;

namespace {

template <class T>
struct Tolerance;
template <>
struct Tolerance<float> {
  static constexpr double rtol = 1e-5, atol_of_largest = 1e-5;
};
template <>
struct Tolerance<double> {
  static constexpr double rtol = 1e-10, atol_of_largest = 1e-11;
};

// One critic's loss: the Wasserstein terms (or R1's softplus term) by ordinary backward, the
// penalty by the library call, all gradients summed in the model, compared with PyTorch's.
template <class Critic, class In, class T>
void check_case(const std::string& name, bool gp) {
  INFO(name << (sizeof(T) == 4 ? " in float" : " in double"));
  const auto file = fixture(name);
  ts::Model<Critic, In, ts::Cpu, T> d(1);
  const auto loaded = d.load(fixture_path(name), {.strict = false});
  REQUIRE(loaded.missing_keys.empty());

  const auto real_values = fixture_values<T>(file, "real"), fake_values = fixture_values<T>(file, "fake");
  const auto alpha = fixture_values<T>(file, "alpha");
  const ts::index n = ts::index(alpha.size());
  ts::Tensor<In, T> real(n), fake(n);
  std::copy(real_values.begin(), real_values.end(), real.data());
  std::copy(fake_values.begin(), fake_values.end(), fake.data());

  d.zero_grad();
  double loss = 0;
  ts::Tensor<ts::Shape<1>, T> dy(n);
  const auto real_scores = d.forward(real);
  for (ts::index i = 0; i < n; ++i) {
    const double s = double(real_scores[std::size_t(i)]);
    if (gp) {
      loss -= s / double(n);
      dy[std::size_t(i)] = T(-1.0 / double(n));
    } else {  // softplus(-s) and its derivative -sigmoid(-s)
      loss += std::log1p(std::exp(-s)) / double(n);
      dy[std::size_t(i)] = T(-1 / (1 + std::exp(s)) / double(n));
    }
  }
  d.backward(dy);
  double penalty = 0;
  if (gp) {
    const auto fake_scores = d.forward(fake);
    for (ts::index i = 0; i < n; ++i) {
      loss += double(fake_scores[std::size_t(i)]) / double(n);
      dy[std::size_t(i)] = T(1.0 / double(n));
    }
    d.backward(dy);
    penalty = ts::gradient_penalty(d, real, fake, std::span<const T>(alpha), 10);
  } else {
    penalty = ts::r1_penalty(d, real, 10);
  }
  loss += penalty;
  const double rtol = Tolerance<T>::rtol;
  CHECK(penalty == Approx(fixture_scalar(file, "penalty")).epsilon(rtol));
  CHECK(loss == Approx(fixture_scalar(file, "loss")).epsilon(rtol));
  // The penalty must matter: without it the gradients would be far off.
  CHECK(std::abs(penalty) > 0.05 * std::abs(loss));

  // The input gradient the penalty saw: at x_hat (the critic's last forward) or at real.
  const auto g = d.input_gradient(ts::Tensor<ts::Shape<1>, T>(n, T(1)));
  const auto want_g = fixture_values<double>(file, "gradients");
  double largest_g = 0;
  for (double v : want_g) largest_g = std::max(largest_g, std::abs(v));
  check_close("gradients", g.data(), want_g, rtol, Tolerance<T>::atol_of_largest * largest_g);

  // Absolute tolerance from the model's largest gradient: the last bias's is exactly 0 in exact
  // arithmetic (-mean 1 + mean 1) and rounding noise here.
  double largest = 0;
  for (const auto& e : d.tensors())
    for (double v : fixture_values<double>(file, "grad." + e.name)) largest = std::max(largest, std::abs(v));
  for (const auto& e : d.tensors())
    check_close("grad." + e.name, e.grad, fixture_values<double>(file, "grad." + e.name), rtol,
                Tolerance<T>::atol_of_largest * largest);
}

using Mlp = ts::Sequential<ts::Flatten, ts::Linear<16>, ts::LeakyReLU<0.2>, ts::Linear<8>, ts::Tanh,
                           ts::Linear<1>>;
using Conv = ts::Sequential<ts::Conv2d<4, 3, 2, 1>, ts::LeakyReLU<0.2>, ts::Conv2d<8, 3, 2, 1>, ts::ELU<>,
                            ts::Flatten, ts::Linear<1>>;
using NormConv = ts::Sequential<ts::Conv2d<4, 3, 2, 1>, ts::LayerNorm<>, ts::LeakyReLU<0.2>,
                                ts::Conv2d<4, 3, 1, 1>, ts::InstanceNorm2d<true>, ts::AvgPool2d<2>,
                                ts::Flatten, ts::Linear<1>>;
using R1Conv = ts::Sequential<ts::Conv2d<4, 3, 1, 1>, ts::Sigmoid, ts::Conv2d<2, 4, 2, 1>, ts::Flatten,
                              ts::Linear<1>>;

}  // namespace

TEST_CASE("WGAN-GP critic loss of an MLP critic matches PyTorch", "[penalty][parity]") {
  check_case<Mlp, ts::Shape<1, 3, 4>, float>("wgan_gp_mlp", true);
  check_case<Mlp, ts::Shape<1, 3, 4>, double>("wgan_gp_mlp", true);
}

TEST_CASE("WGAN-GP critic loss of a conv critic matches PyTorch", "[penalty][parity]") {
  check_case<Conv, ts::Shape<2, 8, 8>, float>("wgan_gp_conv", true);
  check_case<Conv, ts::Shape<2, 8, 8>, double>("wgan_gp_conv", true);
}

TEST_CASE("WGAN-GP critic loss of a LayerNorm and InstanceNorm critic matches PyTorch",
          "[penalty][parity]") {
  check_case<NormConv, ts::Shape<2, 8, 8>, float>("wgan_gp_norm", true);
  check_case<NormConv, ts::Shape<2, 8, 8>, double>("wgan_gp_norm", true);
}

TEST_CASE("R1 loss of a conv critic matches PyTorch", "[penalty][parity]") {
  check_case<R1Conv, ts::Shape<1, 6, 6>, float>("r1_conv", false);
  check_case<R1Conv, ts::Shape<1, 6, 6>, double>("r1_conv", false);
}
