// Backward of BatchNorm1d/2d, InstanceNorm2d, the pools and the dropouts: finite-difference checks
// (tests/support/gradcheck.hpp) in both modes, alone and composed; closed forms for what the
// checker cannot reach (running statistics away from their defaults) or where the meaning is
// PyTorch's (count_include_pad, the dropout mask, max windows sharing a maximum); and the
// bookkeeping (accumulation, frozen models, a mode switch between forward and backward).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "../support/gradcheck.hpp"
#include "tessera/layers/avg_pool2d.hpp"
#include "tessera/layers/batch_norm1d.hpp"
#include "tessera/layers/batch_norm2d.hpp"
#include "tessera/layers/dropout.hpp"
#include "tessera/layers/dropout2d.hpp"
#include "tessera/layers/global_avg_pool2d.hpp"
#include "tessera/layers/instance_norm2d.hpp"
#include "tessera/layers/max_pool2d.hpp"

namespace ts = tessera;
using ts::testing::check_gradients;
using ts::testing::GradCheck;

namespace {

GradCheck eval_mode() {
  GradCheck opt;
  opt.training = false;
  return opt;
}

template <class T>
double tolerance() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-12;
}

template <class S, class T>
ts::Tensor<S, T> random_tensor(ts::index n, std::uint64_t seed) {
  ts::Generator g(seed);
  ts::Tensor<S, T> x(n);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = T(g.normal());
  return x;
}

template <class M>
std::vector<double> values_named(M& model, const std::string& name) {
  for (const auto& e : model.tensors())
    if (e.name == name) return std::vector<double>(e.value, e.value + e.size());
  FAIL("no tensor named " << name);
  return {};
}

}  // namespace

// ---- Finite differences

TEST_CASE("BatchNorm2d backward in training: batch statistics depend on the input",
          "[layers][backward]") {
  check_gradients<ts::BatchNorm2d<>, ts::Shape<3, 4, 4>>();
  check_gradients<ts::BatchNorm2d<0.8>, ts::Shape<3, 4, 4>>();
  GradCheck two;  // the smallest batch training accepts with a 1 x 1 plane
  two.batch = 2;
  check_gradients<ts::BatchNorm2d<>, ts::Shape<2, 1, 1>>(two);
}

TEST_CASE("BatchNorm2d backward in evaluation: running statistics are constants",
          "[layers][backward]") {
  check_gradients<ts::BatchNorm2d<>, ts::Shape<3, 4, 4>>(eval_mode());
  check_gradients<ts::BatchNorm2d<0.8>, ts::Shape<3, 4, 4>>(eval_mode());
}

TEST_CASE("BatchNorm1d backward on Shape<F> and Shape<C, L>", "[layers][backward]") {
  GradCheck four;
  four.batch = 4;
  check_gradients<ts::BatchNorm1d<>, ts::Shape<5>>(four);
  check_gradients<ts::BatchNorm1d<>, ts::Shape<3, 4>>();
  check_gradients<ts::BatchNorm1d<0.8>, ts::Shape<5>>(four);
  check_gradients<ts::BatchNorm1d<>, ts::Shape<5>>(eval_mode());
  check_gradients<ts::BatchNorm1d<>, ts::Shape<3, 4>>(eval_mode());
}

TEST_CASE("InstanceNorm2d backward, with and without affine parameters", "[layers][backward]") {
  check_gradients<ts::InstanceNorm2d<>, ts::Shape<3, 4, 5>>();
  check_gradients<ts::InstanceNorm2d<true>, ts::Shape<3, 4, 5>>();
  check_gradients<ts::InstanceNorm2d<true, 0.8>, ts::Shape<2, 3, 3>>();
  // No running statistics: evaluation computes the same thing.
  check_gradients<ts::InstanceNorm2d<true>, ts::Shape<3, 4, 5>>(eval_mode());
}

TEST_CASE("MaxPool2d backward: strides, overlapping windows and padding", "[layers][backward]") {
  check_gradients<ts::MaxPool2d<2>, ts::Shape<2, 6, 6>>();
  check_gradients<ts::MaxPool2d<2>, ts::Shape<2, 7, 5>>();  // floor mode drops the last row/column
  check_gradients<ts::MaxPool2d<2, 1>, ts::Shape<2, 5, 5>>();
  check_gradients<ts::MaxPool2d<3, 2, 1>, ts::Shape<2, 7, 7>>();
  check_gradients<ts::MaxPool2d<3, 1, 1>, ts::Shape<2, 4, 5>>();
}

TEST_CASE("AvgPool2d backward: strides, overlapping windows and padding", "[layers][backward]") {
  check_gradients<ts::AvgPool2d<2>, ts::Shape<2, 6, 6>>();
  check_gradients<ts::AvgPool2d<2>, ts::Shape<2, 7, 5>>();
  check_gradients<ts::AvgPool2d<2, 1>, ts::Shape<2, 5, 5>>();
  check_gradients<ts::AvgPool2d<3, 2, 1>, ts::Shape<2, 7, 7>>();
  check_gradients<ts::AvgPool2d<4, 3, 2>, ts::Shape<2, 6, 7>>();
}

TEST_CASE("GlobalAvgPool2d backward", "[layers][backward]") {
  check_gradients<ts::GlobalAvgPool2d, ts::Shape<3, 4, 5>>();
  check_gradients<ts::GlobalAvgPool2d, ts::Shape<2, 1, 1>>();
}

TEST_CASE("Dropout and Dropout2d backward: the forward's mask in training, identity in evaluation",
          "[layers][backward]") {
  check_gradients<ts::Dropout<0.3>, ts::Shape<4, 3, 3>>();
  check_gradients<ts::Dropout<0.3>, ts::Shape<4, 3, 3>>(eval_mode());
  check_gradients<ts::Dropout2d<0.5>, ts::Shape<4, 3, 3>>();
  check_gradients<ts::Dropout2d<0.5>, ts::Shape<4, 3, 3>>(eval_mode());
}

TEST_CASE("compositions of the norms, pools and dropouts with Linear and ReLU",
          "[layers][backward]") {
  using Mlp =
      ts::Sequential<ts::Linear<8>, ts::BatchNorm1d<>, ts::ReLU, ts::Dropout<0.25>, ts::Linear<3>>;
  GradCheck four;
  four.batch = 4;
  check_gradients<Mlp, ts::Shape<5>>(four);
  four.training = false;
  check_gradients<Mlp, ts::Shape<5>>(four);

  using Image = ts::Sequential<ts::BatchNorm2d<>, ts::ReLU, ts::MaxPool2d<2>,
                               ts::InstanceNorm2d<true>, ts::AvgPool2d<3, 1, 1>, ts::Dropout2d<0.3>,
                               ts::GlobalAvgPool2d, ts::Linear<2>>;
  check_gradients<Image, ts::Shape<3, 8, 8>>();
  check_gradients<Image, ts::Shape<3, 8, 8>>(eval_mode());
}

// ---- Closed forms

TEMPLATE_TEST_CASE("BatchNorm2d backward in evaluation scales by weight / sqrt(running_var + eps)",
                   "[layers][backward]", float, double) {
  using T = TestType;
  using S = ts::Shape<3, 2, 2>;
  ts::Model<ts::BatchNorm2d<0.8>, S, ts::Cpu, T> model;
  // Statistics and parameters far from their defaults, so that a gradient mixing them up fails.
  ts::Generator g(5);
  for (const auto& e : model.tensors())
    if (e.kind != ts::TensorEntry<T>::Kind::counter)
      for (T& v : e.values()) v = T(e.name == "running_var" ? g.uniform(0.5, 2.0) : g.normal());
  const auto weight = values_named(model, "weight"), mean = values_named(model, "running_mean"),
             var = values_named(model, "running_var");
  model.eval();
  const ts::index n = 2;
  const auto x = random_tensor<S, T>(n, 1);
  const auto dy = random_tensor<S, T>(n, 2);
  model.forward(x);
  const auto dx = model.backward_to_input(dy);
  const auto grads = model.parameter_grads();  // weight, then bias
  std::vector<double> dweight(3, 0), dbias(3, 0);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::size_t c = (i / 4) % 3;
    const double invstd = 1 / std::sqrt(var[c] + 0.8);
    CHECK(double(dx[i]) == Approx(double(dy[i]) * weight[c] * invstd).epsilon(tolerance<T>()));
    dweight[c] += double(dy[i]) * (double(x[i]) - mean[c]) * invstd;
    dbias[c] += double(dy[i]);
  }
  for (std::size_t c = 0; c < 3; ++c) {
    CHECK(double(grads[c]) == Approx(dweight[c]).epsilon(tolerance<T>()).margin(tolerance<T>()));
    CHECK(double(grads[3 + c]) == Approx(dbias[c]).epsilon(tolerance<T>()).margin(tolerance<T>()));
  }
}

TEMPLATE_TEST_CASE("AvgPool2d backward counts the padding in each divisor (count_include_pad)",
                   "[layers][backward]", float, double) {
  using T = TestType;
  using S = ts::Shape<1, 3, 3>;
  ts::Model<ts::AvgPool2d<3, 1, 1>, S, ts::Cpu, T> model;
  model.forward(ts::Tensor<S, T>(1));
  const auto dx = model.backward_to_input(ts::Tensor<S, T>(1, T(1)));
  // Every window divides by 9; an input gets 1/9 from each of the windows that cover it: four at a
  // corner, six at an edge, nine in the middle. Without the padding in the divisor a corner
  // would get 1/4 + 2/6 + 1/9.
  const double want[9] = {4, 6, 4, 6, 9, 6, 4, 6, 4};
  for (std::size_t i = 0; i < 9; ++i)
    CHECK(double(dx[i]) == Approx(want[i] / 9).epsilon(tolerance<T>()));
}

TEMPLATE_TEST_CASE(
    "MaxPool2d backward adds the gradients of overlapping windows that share a maximum",
    "[layers][backward]", float, double) {
  using T = TestType;
  using S = ts::Shape<1, 3, 3>;
  ts::Model<ts::MaxPool2d<2, 1>, S, ts::Cpu, T> model;
  const auto x = ts::Tensor<S, T>::from({1, 2, 3, 4, 9, 5, 6, 7, 8});
  model.forward(x);
  const auto dx =
      model.backward_to_input(ts::Tensor<ts::Shape<1, 2, 2>, T>::from({1, 10, 100, 1000}));
  for (std::size_t i = 0; i < 9; ++i) CHECK(double(dx[i]) == (i == 4 ? 1111.0 : 0.0));
}

TEMPLATE_TEST_CASE("Dropout backward multiplies by the forward's mask", "[layers][backward]", float,
                   double) {
  using T = TestType;
  using S = ts::Shape<64>;
  ts::Model<ts::Dropout<0.25>, S, ts::Cpu, T> model(3);
  auto x = random_tensor<S, T>(2, 4);
  for (T& v : x.span()) v = std::abs(v) + T(0.5);  // never zero, so y == 0 means dropped
  const auto dy = random_tensor<S, T>(2, 5);
  model.train();
  const auto y = model.forward(x);
  std::vector<double> kept(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) kept[i] = y[i] != T(0);
  auto dx = model.backward_to_input(dy);
  std::size_t dropped = 0;
  for (std::size_t i = 0; i < dx.size(); ++i) {
    dropped += kept[i] == 0;
    CHECK(double(dx[i]) == Approx(kept[i] * double(dy[i]) / 0.75).epsilon(tolerance<T>()));
  }
  CHECK(dropped > 0);
  CHECK(dropped < dx.size());

  model.eval();
  model.forward(x);
  dx = model.backward_to_input(dy);
  for (std::size_t i = 0; i < dx.size(); ++i) CHECK(dx[i] == dy[i]);
}

// ---- Bookkeeping

TEST_CASE("BatchNorm backward follows the mode of its forward, not the model's mode at backward",
          "[layers][backward]") {
  using S = ts::Shape<2, 3>;
  using M = ts::Model<ts::BatchNorm1d<>, S, ts::Cpu, double>;
  const auto x = random_tensor<S, double>(4, 1), dy = random_tensor<S, double>(4, 2);
  M reference, switched;
  reference.train();
  reference.forward(x);
  const auto want = reference.backward_to_input(dy);
  switched.train();
  switched.forward(x);
  switched.eval();
  const auto got = switched.backward_to_input(dy);
  for (std::size_t i = 0; i < want.size(); ++i) CHECK(got[i] == want[i]);
}

TEST_CASE("norm parameter gradients accumulate, and a frozen model leaves them alone",
          "[layers][backward]") {
  using S = ts::Shape<2, 3, 3>;
  const auto x = random_tensor<S, double>(3, 1), dy = random_tensor<S, double>(3, 2);
  auto run = [&](auto& model) {
    model.train();
    model.forward(x);
    model.backward(dy);
    const std::vector<double> once(model.parameter_grads().begin(), model.parameter_grads().end());
    model.forward(x);
    model.backward(dy);
    for (std::size_t i = 0; i < once.size(); ++i) {
      CHECK(once[i] != 0);
      CHECK(model.parameter_grads()[i] == Approx(2 * once[i]));
    }
    model.zero_grad();
    model.requires_grad(false);
    model.forward(x);
    const auto dx = model.backward_to_input(dy);
    for (double g : model.parameter_grads()) CHECK(g == 0);
    double sum = 0;
    for (std::size_t i = 0; i < dx.size(); ++i) sum += std::abs(dx[i]);
    CHECK(sum > 0);
  };
  ts::Model<ts::BatchNorm2d<>, S, ts::Cpu, double> bn;
  run(bn);
  ts::Model<ts::InstanceNorm2d<true>, S, ts::Cpu, double> in;
  run(in);
}

TEST_CASE("backward of inputs large enough to split over the cores", "[layers][backward]") {
  // Over 32768 elements per call, so the OpenMP branches run; the loss sums that many terms, so its
  // rounding needs a looser tolerance.
  GradCheck big;
  big.batch = 5;
  big.coordinates = 8;
  big.rtol = 1e-4;
  big.atol = 1e-5;
  using S = ts::Shape<8, 32, 32>;
  check_gradients<ts::BatchNorm2d<>, S>(big);
  check_gradients<ts::InstanceNorm2d<true>, S>(big);
  check_gradients<ts::MaxPool2d<2, 1>, S>(big);
  check_gradients<ts::AvgPool2d<3, 1, 1>, S>(big);
  check_gradients<ts::GlobalAvgPool2d, S>(big);
  check_gradients<ts::Dropout<0.5>, S>(big);
}
