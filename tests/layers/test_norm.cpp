// BatchNorm1d, BatchNorm2d and InstanceNorm2d against their closed forms: statistics of the output,
// the running statistics' momentum formula, evaluation with running statistics, and the names.
#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "tessera/compose/sequential.hpp"
#include "tessera/layers/batch_norm1d.hpp"
#include "tessera/layers/batch_norm2d.hpp"
#include "tessera/layers/conv2d.hpp"
#include "tessera/layers/instance_norm2d.hpp"
#include "tessera/layers/relu.hpp"
#include "tessera/model.hpp"

#include "../support/entries.hpp"

namespace ts = tessera;
using ts::testing::entry_named;
using ts::testing::names_of;

namespace {

// Values spread differently per channel so that each channel has its own mean and variance.
template <class T, class S>
ts::Tensor<S, T> random_input(ts::index n, std::uint64_t seed) {
  ts::Generator g(seed);
  ts::Tensor<S, T> x(n);
  const std::size_t channel = S::size / std::size_t(S::dims[0]);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double c = double((i / channel) % std::size_t(S::dims[0]));
    x[i] = T(g.normal(c - 1, 0.5 + c));
  }
  return x;
}

// Mean and biased variance of channel c over the batch and the spatial extent.
template <class V>
std::pair<double, double> channel_stats(const V& v, ts::index n, int channels, std::size_t spatial, int c) {
  double sum = 0, squares = 0;
  const double count = double(n) * double(spatial);
  for (ts::index s = 0; s < n; ++s)
    for (std::size_t i = 0; i < spatial; ++i) sum += double(v[(std::size_t(s) * channels + c) * spatial + i]);
  const double mean = sum / count;
  for (ts::index s = 0; s < n; ++s)
    for (std::size_t i = 0; i < spatial; ++i) {
      const double d = double(v[(std::size_t(s) * channels + c) * spatial + i]) - mean;
      squares += d * d;
    }
  return {mean, squares / count};
}

template <class T>
double tolerance() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-12;
}

}  // namespace

TEMPLATE_TEST_CASE("BatchNorm2d in training normalises each channel with the batch statistics",
                   "[layers][norm]", float, double) {
  using T = TestType;
  using S = ts::Shape<3, 5, 4>;
  ts::Model<ts::BatchNorm2d<>, S, ts::Cpu, T> model;
  static_assert(model.output_shape == S{});
  static_assert(model.parameter_count == 6 && model.buffer_count == 6);
  REQUIRE(model.is_training());
  const auto x = random_input<T, S>(4, 1);
  auto y = model.forward(x);
  for (int c = 0; c < 3; ++c) {
    auto [mean, var] = channel_stats(y, 4, 3, 20, c);
    CHECK(mean == Approx(0).margin(100 * tolerance<T>()));
    // Var of the output is var / (var + eps), a hair under 1.
    auto [xm, xv] = channel_stats(x, 4, 3, 20, c);
    CHECK(var == Approx(xv / (xv + 1e-5)).epsilon(100 * tolerance<T>()));
    (void)xm;
  }

  // Weight and bias scale and shift each channel.
  const T w[3] = {2, -1, 0.5}, b[3] = {0.5, 0, -3};
  std::copy(w, w + 3, entry_named(model, "weight").value);
  std::copy(b, b + 3, entry_named(model, "bias").value);
  y = model.forward(x);
  for (int c = 0; c < 3; ++c) {
    auto [mean, var] = channel_stats(y, 4, 3, 20, c);
    auto [xm, xv] = channel_stats(x, 4, 3, 20, c);
    CHECK(mean == Approx(b[c]).margin(100 * tolerance<T>()));
    CHECK(var == Approx(double(w[c]) * double(w[c]) * xv / (xv + 1e-5)).epsilon(100 * tolerance<T>()));
    (void)xm;
  }
}

TEMPLATE_TEST_CASE("BatchNorm2d running statistics follow the momentum formula with the unbiased variance",
                   "[layers][norm]", float, double) {
  using T = TestType;
  using S = ts::Shape<2, 3, 3>;
  ts::Model<ts::BatchNorm2d<1e-5, 0.25>, S, ts::Cpu, T> model;
  const auto& rm = entry_named(model, "running_mean");
  const auto& rv = entry_named(model, "running_var");
  const auto& tracked = entry_named(model, "num_batches_tracked");
  CHECK(rm.values()[0] == T(0));
  CHECK(rv.values()[0] == T(1));
  CHECK(*tracked.count == 0);

  const auto x1 = random_input<T, S>(3, 7);
  const auto x2 = random_input<T, S>(3, 8);
  model.forward(x1);
  model.forward(x2);
  CHECK(*tracked.count == 2);
  const double m = 0.25, count = 3 * 9, unbias = count / (count - 1);
  for (int c = 0; c < 2; ++c) {
    auto [m1, v1] = channel_stats(x1, 3, 2, 9, c);
    auto [m2, v2] = channel_stats(x2, 3, 2, 9, c);
    const double mean = (1 - m) * ((1 - m) * 0 + m * m1) + m * m2;
    const double var = (1 - m) * ((1 - m) * 1 + m * v1 * unbias) + m * v2 * unbias;
    CHECK(double(rm.values()[c]) == Approx(mean).margin(10 * tolerance<T>()));
    CHECK(double(rv.values()[c]) == Approx(var).epsilon(10 * tolerance<T>()));
  }
}

TEMPLATE_TEST_CASE("BatchNorm2d in evaluation uses the running statistics and leaves them alone",
                   "[layers][norm]", float, double) {
  using T = TestType;
  using S = ts::Shape<2, 2, 3>;
  ts::Model<ts::BatchNorm2d<>, S, ts::Cpu, T> model;
  const T mean[2] = {1, -2}, var[2] = {4, 0.25}, w[2] = {3, 1}, b[2] = {0, 1};
  std::copy(mean, mean + 2, entry_named(model, "running_mean").value);
  std::copy(var, var + 2, entry_named(model, "running_var").value);
  std::copy(w, w + 2, entry_named(model, "weight").value);
  std::copy(b, b + 2, entry_named(model, "bias").value);
  model.eval();
  const auto x = random_input<T, S>(2, 3);
  auto y = model.forward(x);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const int c = int((i / 6) % 2);
    const double expected = (double(x[i]) - mean[c]) / std::sqrt(double(var[c]) + 1e-5) * w[c] + b[c];
    CHECK(double(y[i]) == Approx(expected).margin(10 * tolerance<T>()));
  }
  CHECK(entry_named(model, "running_mean").values()[1] == T(-2));
  CHECK(entry_named(model, "running_var").values()[1] == T(0.25));
  CHECK(*entry_named(model, "num_batches_tracked").count == 0);
}

TEMPLATE_TEST_CASE("BatchNorm2d keeps x-hat, and the mean and invstd it used", "[layers][norm]", float,
                   double) {
  using T = TestType;
  using S = ts::Shape<2, 2, 2>;
  using M = ts::BatchNorm2d<>::Module<S, T, ts::Cpu>;
  static_assert(M::keep_size == S::size);
  ts::Model<ts::BatchNorm2d<>, S, ts::Cpu, T> model;
  std::copy_n(std::vector<T>{3, 3}.data(), 2, entry_named(model, "weight").value);
  // One sample: channel 0 is 1, 2, 3, 4 (mean 2.5, var 1.25); channel 1 is constant 7.
  const auto x = ts::Tensor<S, T>::from({1, 2, 3, 4, 7, 7, 7, 7, 4, 3, 2, 1, 7, 7, 7, 7});
  model.forward(x);
  auto& bn = model.module();
  CHECK(double(bn.mean[0]) == Approx(2.5));
  CHECK(double(bn.mean[1]) == Approx(7));
  CHECK(double(bn.invstd[0]) == Approx(1 / std::sqrt(1.25 + 1e-5)));
  CHECK(double(bn.invstd[1]) == Approx(1 / std::sqrt(1e-5)));
  std::vector<T> y(16), keep(16);
  ts::Generator g;
  ts::Context<T> cx{nullptr, &g};
  bn.forward(x.data(), y.data(), 2, keep.data(), cx);
  for (int i = 0; i < 16; ++i) CHECK(double(y[i]) == Approx(3 * double(keep[i])));
  CHECK(double(keep[0]) == Approx(-1.5 / std::sqrt(1.25 + 1e-5)));
  CHECK(keep[5] == T(0));
}

TEMPLATE_TEST_CASE("BatchNorm1d on Shape<F> and Shape<C, L>", "[layers][norm]", float, double) {
  using T = TestType;
  {
    using S = ts::Shape<3>;
    ts::Model<ts::BatchNorm1d<>, S, ts::Cpu, T> model;
    const auto x = random_input<T, S>(5, 11);
    auto y = model.forward(x);
    for (int c = 0; c < 3; ++c) {
      auto [mean, var] = channel_stats(y, 5, 3, 1, c);
      auto [xm, xv] = channel_stats(x, 5, 3, 1, c);
      CHECK(mean == Approx(0).margin(100 * tolerance<T>()));
      CHECK(var == Approx(xv / (xv + 1e-5)).epsilon(100 * tolerance<T>()));
      CHECK(double(entry_named(model, "running_mean").values()[c]) == Approx(0.1 * xm));
      CHECK(double(entry_named(model, "running_var").values()[c]) ==
            Approx(0.9 + 0.1 * xv * 5 / 4).epsilon(10 * tolerance<T>()));
    }
    // One sample has no variance to learn from, in training; in evaluation it is fine.
    const auto one = random_input<T, S>(1, 12);
    CHECK_THROWS_AS(model.forward(one), std::invalid_argument);
    model.eval();
    CHECK_NOTHROW(model.forward(one));
  }
  {
    using S = ts::Shape<2, 6>;
    ts::Model<ts::BatchNorm1d<>, S, ts::Cpu, T> model;
    static_assert(model.parameter_count == 4 && model.buffer_count == 4);
    const auto x = random_input<T, S>(3, 13);
    auto y = model.forward(x);
    for (int c = 0; c < 2; ++c) {
      auto [mean, var] = channel_stats(y, 3, 2, 6, c);
      auto [xm, xv] = channel_stats(x, 3, 2, 6, c);
      CHECK(mean == Approx(0).margin(100 * tolerance<T>()));
      CHECK(var == Approx(xv / (xv + 1e-5)).epsilon(100 * tolerance<T>()));
      CHECK(double(entry_named(model, "running_var").values()[c]) ==
            Approx(0.9 + 0.1 * xv * 18 / 17).epsilon(10 * tolerance<T>()));
      (void)xm;
    }
    // A single sample of length 6 is enough.
    CHECK_NOTHROW(model.forward(random_input<T, S>(1, 14)));
  }
}

TEST_CASE("Batch norm names, counts, descriptions and shape rules", "[layers][norm]") {
  using Net = ts::Sequential<ts::Conv2d<4, 3, 1, 1, ts::no_bias>, ts::BatchNorm2d<>, ts::ReLU>;
  ts::Model<Net, ts::Shape<3, 8, 8>> model;
  CHECK(names_of(model) == std::vector<std::string>{"0.weight", "1.weight", "1.bias", "1.running_mean",
                                                    "1.running_var", "1.num_batches_tracked"});
  static_assert(model.parameter_count == 4 * 3 * 3 * 3 + 8);
  static_assert(model.buffer_count == 8);
  CHECK(entry_named(model, "1.running_var").dims == ts::Dims{4});
  CHECK(entry_named(model, "1.num_batches_tracked").kind ==
        ts::TensorEntry<float>::Kind::counter);

  using B2 = ts::BatchNorm2d<>::Module<ts::Shape<64, 8, 8>, float, ts::Cpu>;
  using B1 = ts::BatchNorm1d<1e-3, 0.01>::Module<ts::Shape<128>, float, ts::Cpu>;
  CHECK(B2::describe() == "BatchNorm2d(64, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
  CHECK(B1::describe() == "BatchNorm1d(128, eps=0.001, momentum=0.01, affine=True, track_running_stats=True)");
  static_assert(B2::keep_size == 64 * 8 * 8 && B2::scratch_size == 0);

  static_assert(std::is_same_v<
                decltype(ts::BatchNorm2d<>::check<ts::Shape<64>>()),
                ts::Rule<"BatchNorm2d needs a Shape<C, H, W> input; use BatchNorm1d for Shape<F> or Shape<C, L>">>);
  static_assert(!ts::shape_ok<ts::BatchNorm1d<>, ts::Shape<3, 8, 8>>);
  static_assert(ts::shape_ok<ts::BatchNorm1d<>, ts::Shape<3, 8>>);
}

TEMPLATE_TEST_CASE("InstanceNorm2d normalises each sample's channel plane", "[layers][norm]", float,
                   double) {
  using T = TestType;
  using S = ts::Shape<3, 4, 5>;
  ts::Model<ts::InstanceNorm2d<>, S, ts::Cpu, T> model;
  static_assert(model.parameter_count == 0 && model.buffer_count == 0);
  CHECK(model.tensors().empty());
  const auto x = random_input<T, S>(2, 21);
  for (bool training : {true, false}) {  // no running statistics: the same either way
    model.train(training);
    auto y = model.forward(x);
    for (ts::index s = 0; s < 2; ++s)
      for (int c = 0; c < 3; ++c) {
        auto [mean, var] = channel_stats(y.sample(s).data(), 1, 3, 20, c);
        auto [xm, xv] = channel_stats(x.view().sample(s).data(), 1, 3, 20, c);
        CHECK(mean == Approx(0).margin(100 * tolerance<T>()));
        CHECK(var == Approx(xv / (xv + 1e-5)).epsilon(100 * tolerance<T>()));
        (void)xm;
      }
  }
}

TEMPLATE_TEST_CASE("InstanceNorm2d with Affine scales and shifts per channel and keeps x-hat and invstd",
                   "[layers][norm]", float, double) {
  using T = TestType;
  using S = ts::Shape<2, 2, 2>;
  ts::Model<ts::InstanceNorm2d<true>, S, ts::Cpu, T> model;
  static_assert(model.parameter_count == 4);
  CHECK(names_of(model) == std::vector<std::string>{"weight", "bias"});
  CHECK(entry_named(model, "weight").values()[1] == T(1));
  CHECK(entry_named(model, "bias").values()[1] == T(0));
  const T w[2] = {2, -1}, b[2] = {1, 0.5};
  std::copy(w, w + 2, entry_named(model, "weight").value);
  std::copy(b, b + 2, entry_named(model, "bias").value);
  // Sample 0: channel 0 is 1, 2, 3, 4 (mean 2.5, var 1.25), channel 1 is 0, 0, 0, 8 (mean 2, var 12).
  const auto x = ts::Tensor<S, T>::from({1, 2, 3, 4, 0, 0, 0, 8, 4, 3, 2, 1, 8, 0, 0, 0});
  auto y = model.forward(x);
  const double is0 = 1 / std::sqrt(1.25 + 1e-5), is1 = 1 / std::sqrt(12 + 1e-5);
  CHECK(double(y.at(0, 0, 0, 0)) == Approx(2 * -1.5 * is0 + 1));
  CHECK(double(y.at(0, 1, 1, 1)) == Approx(-1 * 6 * is1 + 0.5));
  CHECK(double(y.at(1, 0, 0, 0)) == Approx(2 * 1.5 * is0 + 1));
  CHECK(double(y.at(1, 1, 0, 0)) == Approx(-1 * 6 * is1 + 0.5));

  using M = typename ts::InstanceNorm2d<true>::template Module<S, T, ts::Cpu>;
  static_assert(M::keep_size == S::size + 2);
  std::vector<T> out(16), keep(2 * M::keep_size);
  ts::Context<T> cx;
  model.module().forward(x.data(), out.data(), 2, keep.data(), cx);
  CHECK(double(keep[0]) == Approx(-1.5 * is0));
  CHECK(double(keep[7]) == Approx(6 * is1));
  // After the n x size of x-hat: invstd of planes (0,0), (0,1), (1,0), (1,1).
  CHECK(double(keep[16]) == Approx(is0));
  CHECK(double(keep[17]) == Approx(is1));
  CHECK(double(keep[18]) == Approx(is0));
  CHECK(double(keep[19]) == Approx(is1));
}

TEST_CASE("InstanceNorm2d names, description and shape rules", "[layers][norm]") {
  using Net = ts::Sequential<ts::Conv2d<4, 3, 1, 1>, ts::InstanceNorm2d<true>, ts::ReLU>;
  ts::Model<Net, ts::Shape<3, 8, 8>> model;
  CHECK(names_of(model) == std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias"});
  using Plain = ts::InstanceNorm2d<>::Module<ts::Shape<64, 8, 8>, float, ts::Cpu>;
  using Affine = ts::InstanceNorm2d<true, 1e-3>::Module<ts::Shape<64, 8, 8>, float, ts::Cpu>;
  CHECK(Plain::describe() == "InstanceNorm2d(64, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)");
  CHECK(Affine::describe() == "InstanceNorm2d(64, eps=0.001, momentum=0.1, affine=True, track_running_stats=False)");
  static_assert(std::is_same_v<decltype(ts::InstanceNorm2d<>::check<ts::Shape<8, 1, 1>>()),
                               ts::Rule<"InstanceNorm2d needs more than one spatial element per channel (H x W > 1)">>);
  static_assert(!ts::shape_ok<ts::InstanceNorm2d<>, ts::Shape<8, 4>>);
}
