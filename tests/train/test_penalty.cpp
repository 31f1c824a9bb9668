// Second order and the gradient penalties built on it: Model::input_gradient + double_backward
// against finite differences (double) for critics of every layer with a second-order rule;
// gradient_penalty and r1_penalty against finite differences of their own values; LazyR1's
// schedule; and the errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "../support/gradcheck.hpp"
#include "../support/second_order_check.hpp"
#include "tessera/tessera.hpp"

namespace ts = tessera;
using ts::testing::check_second_order;

TEST_CASE("double_backward of an MLP critic matches finite differences", "[penalty]") {
  check_second_order<ts::Sequential<ts::Flatten, ts::Linear<7>, ts::LeakyReLU<0.2>, ts::Linear<6>,
                                    ts::Tanh, ts::Linear<5>, ts::ELU<>, ts::Linear<4>, ts::Sigmoid,
                                    ts::Linear<3>, ts::ReLU, ts::Linear<1>>,
                     ts::Shape<2, 2, 2>>();
}

TEST_CASE("double_backward through each activation alone", "[penalty]") {
  check_second_order<ts::Sequential<ts::Linear<6>, ts::Tanh, ts::Linear<1>>, ts::Shape<4>>();
  check_second_order<ts::Sequential<ts::Linear<6>, ts::Sigmoid, ts::Linear<1>>, ts::Shape<4>>();
  check_second_order<ts::Sequential<ts::Linear<6>, ts::ELU<0.7>, ts::Linear<1>>, ts::Shape<4>>();
  check_second_order<ts::Sequential<ts::Linear<6>, ts::LeakyReLU<0.1>, ts::Linear<1>>, ts::Shape<4>>();
  check_second_order<ts::Sequential<ts::Linear<6>, ts::ReLU, ts::Linear<1>>, ts::Shape<4>>();
}

TEST_CASE("double_backward where the activation comes first and last", "[penalty]") {
  // Tanh first: its f'' term reaches the input side only; Sigmoid last: a curved output.
  check_second_order<ts::Sequential<ts::Tanh, ts::Linear<5>, ts::Sigmoid>, ts::Shape<3>>();
  // Several outputs per sample (a PatchGAN-like critic) with a non-uniform w.
  check_second_order<ts::Sequential<ts::Linear<5>, ts::ELU<>, ts::Linear<3>>, ts::Shape<4>>();
}

TEST_CASE("double_backward of a convolutional critic matches finite differences", "[penalty]") {
  check_second_order<ts::Sequential<ts::Conv2d<3, 3, 1, 1>, ts::LeakyReLU<0.2>, ts::Conv2d<4, 4, 2, 1>,
                                    ts::Tanh, ts::ConvTranspose2d<2, 4, 2, 1>, ts::ELU<>,
                                    ts::Conv2d<2, 3, 2, 0, ts::no_bias>, ts::Sigmoid, ts::Flatten,
                                    ts::Linear<1>, ts::Reshape<ts::Shape<1, 1>>, ts::Identity>,
                     ts::Shape<2, 6, 6>>({.batch = 2, .coordinates = 12});
}

TEST_CASE("double_backward through AvgPool2d and Residual", "[penalty]") {
  check_second_order<ts::Sequential<ts::Conv2d<3, 3, 1, 1>, ts::ELU<>, ts::AvgPool2d<2>,
                                    ts::Residual<ts::Sequential<ts::Conv2d<3, 3, 1, 1>, ts::Tanh>>,
                                    ts::AvgPool2d<3, 2, 1>, ts::Flatten, ts::Linear<1>>,
                     ts::Shape<2, 6, 6>>({.batch = 2, .coordinates = 12});
  // A residual block of piecewise-linear layers: its dL/dx is the skip's alone.
  check_second_order<ts::Sequential<ts::Linear<4>, ts::Tanh,
                                    ts::Residual<ts::Sequential<ts::Linear<4>, ts::LeakyReLU<0.2>, ts::Linear<4>>>,
                                    ts::Sigmoid, ts::Linear<1>>,
                     ts::Shape<3>>();
}

TEST_CASE("double_backward through InstanceNorm2d", "[penalty]") {
  check_second_order<ts::Sequential<ts::Conv2d<3, 3, 1, 1>, ts::InstanceNorm2d<true>,
                                    ts::LeakyReLU<0.2>, ts::Conv2d<2, 3, 2, 1>, ts::InstanceNorm2d<>,
                                    ts::Tanh, ts::Flatten, ts::Linear<1>>,
                     ts::Shape<2, 6, 6>>({.batch = 2, .coordinates = 12});
  // Alone, with a plain sum above it: only its curvature reaches the weights below.
  check_second_order<ts::Sequential<ts::Linear<12>, ts::Reshape<ts::Shape<3, 2, 2>>,
                                    ts::InstanceNorm2d<true>, ts::Flatten, ts::Linear<2>>,
                     ts::Shape<4>>();
}

TEST_CASE("double_backward through LayerNorm", "[penalty]") {
  // Over a whole sample, with and without its elementwise affine, and over the last extent only.
  check_second_order<ts::Sequential<ts::Conv2d<3, 3, 1, 1>, ts::LayerNorm<>, ts::LeakyReLU<0.2>,
                                    ts::Conv2d<2, 3, 2, 1>, ts::LayerNorm<1, 1e-5, false>, ts::Tanh,
                                    ts::Flatten, ts::Linear<1>>,
                     ts::Shape<2, 6, 6>>({.batch = 2, .coordinates = 12});
  check_second_order<ts::Sequential<ts::Linear<12>, ts::Reshape<ts::Shape<3, 4>>, ts::LayerNorm<1>,
                                    ts::Flatten, ts::Linear<2>>,
                     ts::Shape<4>>();
}

TEST_CASE("double_backward through Branches, Parallel, Cat and CatBranches", "[penalty]") {
  // A piecewise-linear branch (its dL/dx is zero from above) beside a curved one, each way.
  check_second_order<ts::Sequential<ts::Linear<5>,
                                    ts::Branches<ts::Sequential<ts::Linear<3>, ts::LeakyReLU<0.2>>,
                                                 ts::Sequential<ts::Linear<2>, ts::Tanh>>,
                                    ts::Cat, ts::Linear<1>>,
                     ts::Shape<4>>();
  check_second_order<
      ts::Sequential<ts::Linear<5>,
                     ts::Branches<ts::Sequential<ts::Linear<3>, ts::Tanh>,
                                  ts::Sequential<ts::Linear<2>, ts::LeakyReLU<0.2>>>,
                     ts::Parallel<ts::Sigmoid, ts::Linear<2>>, ts::Cat, ts::Linear<1>>,
      ts::Shape<4>>();
  check_second_order<
      ts::Sequential<ts::Linear<5>,
                     ts::Branches<ts::Sequential<ts::Linear<3>, ts::ELU<>>, ts::Linear<2>>,
                     ts::Parallel<ts::Linear<2>, ts::Sequential<ts::Linear<3>, ts::Tanh>>, ts::Cat,
                     ts::Linear<1>>,
      ts::Shape<4>>();
  // The skip connection of a U-Net critic: cat(x, inner(x)).
  check_second_order<
      ts::Sequential<
          ts::Conv2d<2, 3, 1, 1>,
          ts::CatBranches<ts::Identity, ts::Sequential<ts::Conv2d<3, 3, 1, 1>, ts::Tanh>>,
          ts::Flatten, ts::Linear<1>>,
      ts::Shape<1, 4, 4>>({.batch = 2, .coordinates = 12});
}

namespace {
// The penalty's own value at the model's parameters, for finite differences.
template <class M, class F>
void check_penalty_gradients(M& model, F penalty_value, double rtol = 1e-6) {
  model.zero_grad();
  penalty_value();
  // penalty_value adds its gradients on every call: keep the first call's only.
  const std::vector<double> analytic(model.parameter_grads().begin(), model.parameter_grads().end());
  ts::Generator rng(5);
  auto values = model.parameter_values();
  for (const auto& e : model.tensors()) {
    if (e.kind != ts::TensorEntry<double>::Kind::parameter) continue;
    const std::size_t base = std::size_t(e.value - values.data());
    for (std::size_t i : ts::testing::detail::coordinates(e.size(), 15, rng)) {
      double& value = values[base + i];
      const double saved = value, eps = 1e-6;
      value = saved + eps;
      const double up = penalty_value();
      value = saved - eps;
      const double down = penalty_value();
      value = saved;
      const double numeric = (up - down) / (2 * eps);
      INFO(e.name << "[" << i << "]: penalty gradient " << analytic[base + i]
                  << ", finite differences " << numeric);
      CHECK(std::abs(analytic[base + i] - numeric) <= 1e-8 + rtol * std::abs(numeric));
    }
  }
}

template <class S>
ts::Tensor<S, double> normal_tensor(ts::index n, ts::Generator& rng, double scale = 1) {
  ts::Tensor<S, double> t(n);
  for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = scale * rng.normal();
  return t;
}
}  // namespace

TEST_CASE("gradient_penalty: value and parameter gradients", "[penalty]") {
  using Critic = ts::Sequential<ts::Conv2d<4, 3, 2, 1>, ts::LeakyReLU<0.2>, ts::Flatten, ts::Linear<6>,
                                ts::Tanh, ts::Linear<1>>;
  ts::Model<Critic, ts::Shape<1, 6, 6>, ts::Cpu, double> d(3);
  ts::Generator rng(11);
  const auto real = normal_tensor<ts::Shape<1, 6, 6>>(4, rng);
  const auto fake = normal_tensor<ts::Shape<1, 6, 6>>(4, rng);
  const std::vector<double> alpha{0.1, 0.5, 0.9, 1.0};

  SECTION("the value is lambda mean (||g|| - 1)^2 at x_hat") {
    const double penalty = ts::gradient_penalty(d, real, fake, std::span<const double>(alpha), 10);
    ts::Tensor<ts::Shape<1, 6, 6>, double> x_hat(4);
    for (std::size_t i = 0; i < x_hat.size(); ++i) {
      const double a = alpha[i / 36];
      x_hat.data()[i] = a * real.data()[i] + (1 - a) * fake.data()[i];
    }
    d.forward(x_hat);
    const auto g = d.input_gradient(ts::Tensor<ts::Shape<1>, double>(4, 1.0));
    double expected = 0;
    for (int s = 0; s < 4; ++s) {
      double squares = 0;
      for (int k = 0; k < 36; ++k) squares += g[std::size_t(s * 36 + k)] * g[std::size_t(s * 36 + k)];
      expected += 10 * (std::sqrt(squares) - 1) * (std::sqrt(squares) - 1) / 4;
    }
    CHECK(penalty == Approx(expected).epsilon(1e-12));
    CHECK(penalty > 0);
  }
  SECTION("its parameter gradients match finite differences") {
    check_penalty_gradients(d, [&] {
      return ts::gradient_penalty(d, real, fake, std::span<const double>(alpha), 10);
    });
  }
  SECTION("it adds to the gradients already there") {
    d.zero_grad();
    ts::gradient_penalty(d, real, fake, std::span<const double>(alpha));
    const std::vector<double> once(d.parameter_grads().begin(), d.parameter_grads().end());
    ts::gradient_penalty(d, real, fake, std::span<const double>(alpha));
    for (std::size_t i = 0; i < once.size(); ++i) CHECK(d.parameter_grads()[i] == Approx(2 * once[i]));
  }
  SECTION("alpha drawn from a generator: the same draws give the same penalty") {
    ts::Generator a(7), b(7);
    const double first = ts::gradient_penalty(d, real, fake, a);
    const double second = ts::gradient_penalty(d, real, fake, b);
    CHECK(first == second);
    CHECK(ts::gradient_penalty(d, real, fake, a) != first);
  }
  SECTION("a frozen critic gets no gradients") {
    d.zero_grad();
    d.requires_grad(false);
    ts::gradient_penalty(d, real, fake, std::span<const double>(alpha));
    for (double v : d.parameter_grads()) CHECK(v == 0);
  }
}

TEST_CASE("r1_penalty and LazyR1", "[penalty]") {
  using Critic = ts::Sequential<ts::Linear<8>, ts::ELU<>, ts::Linear<5>, ts::Sigmoid, ts::Linear<1>>;
  ts::Model<Critic, ts::Shape<6>, ts::Cpu, double> d(4);
  ts::Generator rng(12);
  const auto real = normal_tensor<ts::Shape<6>>(5, rng);

  SECTION("value: gamma / 2 mean ||g||^2") {
    const double penalty = ts::r1_penalty(d, real, 10);
    const auto g = d.input_gradient(ts::Tensor<ts::Shape<1>, double>(5, 1.0));
    double squares = 0;
    for (std::size_t i = 0; i < g.size(); ++i) squares += g[i] * g[i];
    CHECK(penalty == Approx(10.0 / 2 * squares / 5).epsilon(1e-12));
  }
  SECTION("parameter gradients match finite differences") {
    check_penalty_gradients(d, [&] { return ts::r1_penalty(d, real, 10); });
    check_penalty_gradients(d, [&] { return ts::r1_penalty(d, real, 3, 4); });
  }
  SECTION("LazyR1 runs every k-th call, weighted by k") {
    ts::LazyR1 r1{.gamma = 10, .every = 3};
    const double full = ts::r1_penalty(d, real, 10);
    d.zero_grad();
    CHECK(r1.step(d, real) == Approx(3 * full));
    const std::vector<double> after_first(d.parameter_grads().begin(), d.parameter_grads().end());
    CHECK(r1.step(d, real) == 0);
    CHECK(r1.step(d, real) == 0);
    for (std::size_t i = 0; i < after_first.size(); ++i) CHECK(d.parameter_grads()[i] == after_first[i]);
    CHECK(r1.step(d, real) == Approx(3 * full));
  }
}

TEST_CASE("second order in float agrees with double", "[penalty]") {
  using Critic = ts::Sequential<ts::Conv2d<3, 3, 1, 1>, ts::LeakyReLU<0.2>, ts::Flatten, ts::Linear<4>,
                                ts::Tanh, ts::Linear<1>>;
  ts::Model<Critic, ts::Shape<2, 5, 5>, ts::Cpu, double> d64(9);
  ts::Model<Critic, ts::Shape<2, 5, 5>, ts::Cpu, float> d32(9);
  ts::Generator rng(13);
  const auto real = normal_tensor<ts::Shape<2, 5, 5>>(3, rng);
  const auto fake = normal_tensor<ts::Shape<2, 5, 5>>(3, rng);
  ts::Tensor<ts::Shape<2, 5, 5>> real32(3), fake32(3);
  for (std::size_t i = 0; i < real.size(); ++i) {
    real32.data()[i] = float(real.data()[i]);
    fake32.data()[i] = float(fake.data()[i]);
  }
  for (std::size_t i = 0; i < d64.parameter_values().size(); ++i)
    d64.parameter_values()[i] = double(d32.parameter_values()[i]);
  const std::vector<double> a64{0.2, 0.6, 0.75};
  const std::vector<float> a32{0.2f, 0.6f, 0.75f};
  d64.zero_grad();
  d32.zero_grad();
  const double p64 = ts::gradient_penalty(d64, real, fake, std::span<const double>(a64));
  const double p32 = ts::gradient_penalty(d32, real32, fake32, std::span<const float>(a32));
  CHECK(p32 == Approx(p64).epsilon(1e-4));
  double largest = 0;
  for (double g : d64.parameter_grads()) largest = std::max(largest, std::abs(g));
  for (std::size_t i = 0; i < d64.parameter_grads().size(); ++i)
    CHECK(std::abs(d32.parameter_grads()[i] - d64.parameter_grads()[i]) <= 1e-4 * largest);
}

TEST_CASE("second-order errors name the call", "[penalty]") {
  using Critic = ts::Sequential<ts::Linear<3>, ts::Tanh, ts::Linear<1>>;
  ts::Model<Critic, ts::Shape<2>, ts::Cpu, double> d(1);
  ts::Tensor<ts::Shape<2>, double> x(2, 0.5), u(2, 1.0), u3(3, 1.0);
  ts::Tensor<ts::Shape<1>, double> ones(2, 1.0);
  d.forward(x);
  CHECK_THROWS_WITH(d.double_backward(u), Catch::Contains("call input_gradient after the forward"));
  d.input_gradient(ones);
  CHECK_THROWS_WITH(d.double_backward(u3), Catch::Contains("the batch of dg (3)"));
  d.forward(x);
  CHECK_THROWS_WITH(d.double_backward(u), Catch::Contains("call input_gradient"));
  const std::vector<double> alpha{0.5, 1.5};
  CHECK_THROWS_WITH(ts::gradient_penalty(d, x, x, std::span<const double>(alpha)),
                    Catch::Contains("alpha 1.5") && Catch::Contains("outside [0, 1]"));
  const std::vector<double> one{0.5};
  CHECK_THROWS_WITH(ts::gradient_penalty(d, x, x, std::span<const double>(one)),
                    Catch::Contains("differ in batch size"));
  CHECK_THROWS_WITH(ts::r1_penalty(d, x, -1), Catch::Contains("tessera::r1_penalty: gamma -1"));
  ts::LazyR1 never{.gamma = 1, .every = 0};
  CHECK_THROWS_WITH(never.step(d, x), Catch::Contains("every 0"));
}
