// Softmax and LogSoftmax over dim 1 against closed forms: exp(x) / sum exp(x) worked out in long
// double, along the features of Shape<F> and along the channels at each pixel of Shape<C, H, W>.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <vector>

#include "tessera/compose/sequential.hpp"
#include "tessera/layers/linear.hpp"
#include "tessera/layers/log_softmax.hpp"
#include "tessera/layers/softmax.hpp"
#include "tessera/model.hpp"

namespace ts = tessera;

namespace {

template <class T, class S>
ts::Tensor<S, T> tensor_of(const std::vector<double>& v) {
  return ts::Tensor<S, T>::from(std::vector<T>(v.begin(), v.end()));
}

// Softmax of each sample of x along its first extent, `inner` positions apart, in long double.
std::vector<long double> reference_softmax(const std::vector<double>& x, std::size_t extent,
                                           std::size_t inner) {
  std::vector<long double> y(x.size());
  const std::size_t per_sample = extent * inner;
  for (std::size_t s = 0; s < x.size() / per_sample; ++s)
    for (std::size_t p = 0; p < inner; ++p) {
      long double sum = 0;
      for (std::size_t c = 0; c < extent; ++c)
        sum += std::exp((long double)x[s * per_sample + c * inner + p]);
      for (std::size_t c = 0; c < extent; ++c) {
        const std::size_t i = s * per_sample + c * inner + p;
        y[i] = std::exp((long double)x[i]) / sum;
      }
    }
  return y;
}

// Deterministic values in [-4, 4) that differ along every axis.
std::vector<double> ramp(std::size_t count) {
  std::vector<double> v(count);
  for (std::size_t i = 0; i < count; ++i) v[i] = double((i * 37) % 101) / 101.0 * 8.0 - 4.0;
  return v;
}

template <class T>
constexpr double tolerance = std::is_same_v<T, float> ? 2e-6 : 1e-14;

}  // namespace

TEMPLATE_TEST_CASE("Softmax over the features of Shape<F> gives exp(x) / sum exp(x)", "[layers][softmax]",
                   float, double) {
  using T = TestType;
  using S = ts::Shape<4>;
  ts::Model<ts::Softmax, S, ts::Cpu, T> model;
  static_assert(model.output_shape == S{});
  static_assert(model.parameter_count == 0);
  const std::vector<double> x = {1, 2, 3, 4, -1, 0, 0, 1};
  auto y = model.forward(tensor_of<T, S>(x));
  // [1, 2, 3, 4]: e^k / (e + e^2 + e^3 + e^4).
  const double e = std::exp(1.0), sum = e + e * e + e * e * e + e * e * e * e;
  CHECK(y.at(0, 0) == Approx(e / sum).epsilon(tolerance<T>));
  CHECK(y.at(0, 3) == Approx(e * e * e * e / sum).epsilon(tolerance<T>));
  // [-1, 0, 0, 1].
  const double sum2 = 1 / e + 2 + e;
  CHECK(y.at(1, 0) == Approx(1 / e / sum2).epsilon(tolerance<T>));
  CHECK(y.at(1, 1) == Approx(1 / sum2).epsilon(tolerance<T>));
  CHECK(y.at(1, 2) == Approx(1 / sum2).epsilon(tolerance<T>));
  for (int s = 0; s < 2; ++s) {
    T total = 0;
    for (int f = 0; f < 4; ++f) total += y.at(s, f);
    CHECK(total == Approx(1).epsilon(tolerance<T>));
  }
}

TEMPLATE_TEST_CASE("Softmax subtracts the maximum: huge logits neither overflow nor lose the answer",
                   "[layers][softmax]", float, double) {
  using T = TestType;
  using S = ts::Shape<3>;
  ts::Model<ts::Softmax, S, ts::Cpu, T> model;
  auto y = model.forward(tensor_of<T, S>({1000, 1001, 1002, -1000, -1001, -1002}));
  const double e = std::exp(1.0), sum = 1 + e + e * e;
  // Softmax is shift invariant: [1000, 1001, 1002] is [0, 1, 2].
  CHECK(y.at(0, 0) == Approx(1 / sum).epsilon(tolerance<T>));
  CHECK(y.at(0, 2) == Approx(e * e / sum).epsilon(tolerance<T>));
  CHECK(y.at(1, 0) == Approx(e * e / sum).epsilon(tolerance<T>));
  CHECK(y.at(1, 2) == Approx(1 / sum).epsilon(tolerance<T>));
}

TEMPLATE_TEST_CASE("Softmax over the channels of Shape<C, H, W> normalises each pixel on its own",
                   "[layers][softmax]", float, double) {
  using T = TestType;
  using S = ts::Shape<2, 1, 3>;
  ts::Model<ts::Softmax, S, ts::Cpu, T> model;
  // Channel 0 = [0, 1, 5], channel 1 = [0, 0, 5]: pixels (0, 0), (1, 0) and (5, 5).
  auto y = model.forward(tensor_of<T, S>({0, 1, 5, 0, 0, 5}));
  const double e = std::exp(1.0);
  CHECK(y.at(0, 0, 0, 0) == Approx(0.5).epsilon(tolerance<T>));
  CHECK(y.at(0, 1, 0, 0) == Approx(0.5).epsilon(tolerance<T>));
  CHECK(y.at(0, 0, 0, 1) == Approx(e / (e + 1)).epsilon(tolerance<T>));
  CHECK(y.at(0, 1, 0, 1) == Approx(1 / (e + 1)).epsilon(tolerance<T>));
  CHECK(y.at(0, 0, 0, 2) == Approx(0.5).epsilon(tolerance<T>));
}

TEMPLATE_TEST_CASE("Softmax and LogSoftmax agree with the closed form on large multi-channel batches",
                   "[layers][softmax]", float, double) {
  using T = TestType;
  // 100 pixels per channel (more than one block of positions), 40,000 elements per sample (the
  // loop runs on several threads).
  using S = ts::Shape<4, 100, 100>;
  const std::size_t n = 3;
  const auto x = ramp(n * S::size);
  const auto expected = reference_softmax(x, 4, 100 * 100);
  ts::Model<ts::Softmax, S, ts::Cpu, T> softmax;
  ts::Model<ts::LogSoftmax, S, ts::Cpu, T> log_softmax;
  auto y = softmax.forward(tensor_of<T, S>(x));
  auto z = log_softmax.forward(tensor_of<T, S>(x));
  double worst = 0, worst_log = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    worst = std::max(worst, double(std::fabs(y[i] - expected[i]) / expected[i]));
    worst_log = std::max(worst_log, double(std::fabs(z[i] - std::log(expected[i]))));
  }
  CHECK(worst < 4 * tolerance<T>);
  CHECK(worst_log < 4 * tolerance<T>);
}

TEMPLATE_TEST_CASE("LogSoftmax is the log of Softmax, and stays finite where Softmax underflows",
                   "[layers][softmax]", float, double) {
  using T = TestType;
  using S = ts::Shape<5>;
  ts::Model<ts::Softmax, S, ts::Cpu, T> softmax;
  ts::Model<ts::LogSoftmax, S, ts::Cpu, T> log_softmax;
  static_assert(decltype(log_softmax)::output_shape == S{});
  const std::vector<double> x = {0.5, -2, 3, 0, 1.25, 7, 7, 7, 7, 7};
  auto p = softmax.forward(tensor_of<T, S>(x));
  auto l = log_softmax.forward(tensor_of<T, S>(x));
  for (std::size_t i = 0; i < x.size(); ++i) CHECK(l[i] == Approx(std::log(p[i])).epsilon(tolerance<T>));
  // Equal logits: log(1/5).
  CHECK(l.at(1, 3) == Approx(-std::log(5.0)).epsilon(tolerance<T>));

  // exp(-1000) is 0 in both types; log_softmax([0, -1000]) is [-0, -1000] all the same.
  ts::Model<ts::LogSoftmax, ts::Shape<2>, ts::Cpu, T> pair;
  auto z = pair.forward(tensor_of<T, ts::Shape<2>>({0, -1000}));
  CHECK(z.at(0, 0) == T(0));
  CHECK(z.at(0, 1) == T(-1000));
}

TEMPLATE_TEST_CASE("A NaN spoils only its own row or pixel, and -inf gets probability 0, as in PyTorch",
                   "[layers][softmax]", float, double) {
  using T = TestType;
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  ts::Model<ts::Softmax, ts::Shape<3>, ts::Cpu, T> rows;
  auto y = rows.forward(tensor_of<T, ts::Shape<3>>({1, nan, 2, 0, -inf, 0}));
  for (int f = 0; f < 3; ++f) CHECK(std::isnan(y.at(0, f)));
  CHECK(y.at(1, 0) == T(0.5));
  CHECK(y.at(1, 1) == T(0));
  ts::Model<ts::LogSoftmax, ts::Shape<2, 1, 2>, ts::Cpu, T> pixels;
  auto z = pixels.forward(tensor_of<T, ts::Shape<2, 1, 2>>({nan, 0, 1, 0}));
  CHECK(std::isnan(z.at(0, 0, 0, 0)));
  CHECK(std::isnan(z.at(0, 1, 0, 0)));
  CHECK(z.at(0, 0, 0, 1) == Approx(-std::log(2.0)).epsilon(tolerance<T>));
}

TEST_CASE("Softmax and LogSoftmax describe themselves as PyTorch does and need an extent",
          "[layers][softmax]") {
  using M = ts::bind_t<ts::Softmax, ts::Shape<3, 4, 4>, float, ts::Cpu>;
  static_assert(M::output_shape::size == 48);
  static_assert(M::keep_size == 0 && M::scratch_size == 0 && M::parameter_count == 0);
  CHECK(M::describe() == "Softmax(dim=1)");
  CHECK(M::flops == 5.0 * 48);
  CHECK(ts::bind_t<ts::LogSoftmax, ts::Shape<10>, double, ts::Cpu>::describe() == "LogSoftmax(dim=1)");
  static_assert(!ts::shape_ok<ts::Softmax, ts::Shape<>>);
  static_assert(!ts::shape_ok<ts::LogSoftmax, ts::Shapes<ts::Shape<2>, ts::Shape<2>>>);
  static_assert(ts::shape_ok<ts::LogSoftmax, ts::Shape<7>>);

  // After a Linear, as a classifier ends.
  ts::Model<ts::Sequential<ts::Linear<3>, ts::LogSoftmax>, ts::Shape<4>> model;
  auto y = model.forward(ts::Tensor<ts::Shape<4>>(2, 1.0f));
  for (int s = 0; s < 2; ++s) {
    double total = 0;
    for (int f = 0; f < 3; ++f) total += std::exp(double(y.at(s, f)));
    CHECK(total == Approx(1).epsilon(1e-6));
  }
}
