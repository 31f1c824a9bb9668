// MaxPool2d, AvgPool2d and GlobalAvgPool2d against small cases worked by hand.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "tessera/compose/sequential.hpp"
#include "tessera/layers/avg_pool2d.hpp"
#include "tessera/layers/global_avg_pool2d.hpp"
#include "tessera/layers/max_pool2d.hpp"
#include "tessera/model.hpp"

namespace ts = tessera;

namespace {

// A 4x4 plane whose window maxima sit at different corners of their windows.
constexpr double plane4x4[16] = {1, 5, 2, 0,  //
                                 3, 4, 7, 6,  //
                                 -1, 8, 9, 2,  //
                                 0, -3, 4, 10};

template <class T, class S>
ts::Tensor<S, T> tensor_of(std::vector<double> v) {
  std::vector<T> t(v.begin(), v.end());
  return ts::Tensor<S, T>::from(std::move(t));
}

}  // namespace

TEMPLATE_TEST_CASE("MaxPool2d<2> takes the maximum of each 2x2 window", "[layers][pool]", float, double) {
  using T = TestType;
  using S = ts::Shape<1, 4, 4>;
  ts::Model<ts::MaxPool2d<2>, S, ts::Cpu, T> model;
  static_assert(model.output_shape == ts::Shape<1, 2, 2>{});
  static_assert(model.parameter_count == 0);
  auto x = tensor_of<T, S>(std::vector<double>(plane4x4, plane4x4 + 16));
  auto y = model.forward(x);
  REQUIRE(y.batch() == 1);
  CHECK(y.at(0, 0, 0, 0) == T(5));
  CHECK(y.at(0, 0, 0, 1) == T(7));
  CHECK(y.at(0, 0, 1, 0) == T(8));
  CHECK(y.at(0, 0, 1, 1) == T(10));
}

TEMPLATE_TEST_CASE("MaxPool2d keeps the argmax of each output within its input plane", "[layers][pool]",
                   float, double) {
  using T = TestType;
  using S = ts::Shape<2, 4, 4>;
  typename ts::MaxPool2d<2>::template Module<S, T, ts::Cpu> pool;
  static_assert(decltype(pool)::keep_size == 2 * 2 * 2);
  // Sample 0 has the hand-made plane in channel 0 and its negation in channel 1.
  std::vector<T> x(2 * S::size);
  for (int i = 0; i < 16; ++i) {
    x[i] = T(plane4x4[i]);
    x[16 + i] = T(-plane4x4[i]);
  }
  for (int i = 0; i < 32; ++i) x[32 + i] = T(i);  // sample 1: increasing, the last wins
  std::vector<T> y(16), keep(16);
  ts::Context<T> cx;
  pool.forward(x.data(), y.data(), 2, keep.data(), cx);
  // Channel 0 of sample 0: 5 at (0,1), 7 at (1,2), 8 at (2,1), 10 at (3,3).
  // Channel 1 of sample 0 holds -plane: its window maxima are -min of each window:
  //   top-left {1,5,3,4} min 1 at 0; top-right {2,0,7,6} min 0 at 3; bottom-left {-1,8,0,-3} min -3
  //   at 13; bottom-right {9,2,4,10} min 2 at 11.
  const std::vector<T> expected{1, 6, 9, 15, 0, 3, 13, 11, 5, 7, 13, 15, 5, 7, 13, 15};
  const std::vector<T> values{5, 7, 8, 10, -1, 0, 3, -2, 5, 7, 13, 15, 21, 23, 29, 31};
  CHECK(keep == expected);
  CHECK(y == values);
}

TEMPLATE_TEST_CASE("MaxPool2d pads with -inf, never with zero", "[layers][pool]", float, double) {
  using T = TestType;
  using S = ts::Shape<1, 4, 4>;
  ts::Model<ts::MaxPool2d<3, 2, 1>, S, ts::Cpu, T> model;
  static_assert(model.output_shape == ts::Shape<1, 2, 2>{});  // (4 + 2 - 3) / 2 + 1
  std::vector<double> v(16);
  for (int i = 0; i < 16; ++i) v[i] = -1 - i;  // all negative: zero padding would win
  auto y = model.forward(tensor_of<T, S>(v));
  // Windows cover rows/cols {-1,0,1} and {1,2,3}; the maximum is the top-left-most real element.
  CHECK(y.at(0, 0, 0, 0) == T(-1));   // (0, 0)
  CHECK(y.at(0, 0, 0, 1) == T(-2));   // (0, 1)
  CHECK(y.at(0, 0, 1, 0) == T(-5));   // (1, 0)
  CHECK(y.at(0, 0, 1, 1) == T(-6));   // (1, 1)
}

TEMPLATE_TEST_CASE("AvgPool2d<2> averages each 2x2 window", "[layers][pool]", float, double) {
  using T = TestType;
  using S = ts::Shape<1, 4, 4>;
  ts::Model<ts::AvgPool2d<2>, S, ts::Cpu, T> model;
  auto y = model.forward(tensor_of<T, S>(std::vector<double>(plane4x4, plane4x4 + 16)));
  CHECK(y.at(0, 0, 0, 0) == Approx((1 + 5 + 3 + 4) / 4.0));
  CHECK(y.at(0, 0, 0, 1) == Approx((2 + 0 + 7 + 6) / 4.0));
  CHECK(y.at(0, 0, 1, 0) == Approx((-1 + 8 + 0 - 3) / 4.0));
  CHECK(y.at(0, 0, 1, 1) == Approx((9 + 2 + 4 + 10) / 4.0));
}

TEMPLATE_TEST_CASE("AvgPool2d counts the padding in the mean, as PyTorch's default", "[layers][pool]",
                   float, double) {
  using T = TestType;
  using S = ts::Shape<1, 4, 4>;
  ts::Model<ts::AvgPool2d<3, 2, 1>, S, ts::Cpu, T> model;
  static_assert(model.output_shape == ts::Shape<1, 2, 2>{});
  auto y = model.forward(tensor_of<T, S>(std::vector<double>(16, 1.0)));
  CHECK(y.at(0, 0, 0, 0) == Approx(4 / 9.0));  // 2 x 2 real ones, 9 counted
  CHECK(y.at(0, 0, 0, 1) == Approx(6 / 9.0));  // rows {-1,0,1}, cols {1,2,3}
  CHECK(y.at(0, 0, 1, 0) == Approx(6 / 9.0));
  CHECK(y.at(0, 0, 1, 1) == Approx(9 / 9.0));
}

TEMPLATE_TEST_CASE("Pooling with a stride unlike the kernel over a batch of non-square planes",
                   "[layers][pool]", float, double) {
  using T = TestType;
  using S = ts::Shape<2, 3, 5>;
  ts::Model<ts::AvgPool2d<2, 1>, S, ts::Cpu, T> avg;
  ts::Model<ts::MaxPool2d<3, 2>, S, ts::Cpu, T> max;
  static_assert(avg.output_shape == ts::Shape<2, 2, 4>{});
  static_assert(max.output_shape == ts::Shape<2, 1, 2>{});
  std::vector<double> v(3 * S::size);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = double((i * 7) % 11) - 5;
  auto x = tensor_of<T, S>(v);
  auto ya = avg.forward(x);
  auto ym = max.forward(x);
  for (int s = 0; s < 3; ++s)
    for (int c = 0; c < 2; ++c) {
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 4; ++j) {
          const double mean = (x.at(s, c, i, j) + x.at(s, c, i, j + 1) + x.at(s, c, i + 1, j) +
                               x.at(s, c, i + 1, j + 1)) / 4.0;
          CHECK(ya.at(s, c, i, j) == Approx(mean));
        }
      for (int j = 0; j < 2; ++j) {
        T best = -std::numeric_limits<T>::infinity();
        for (int a = 0; a < 3; ++a)
          for (int b = 0; b < 3; ++b) best = std::max(best, x.at(s, c, a, 2 * j + b));
        CHECK(ym.at(s, c, 0, j) == best);
      }
    }
}

TEMPLATE_TEST_CASE("GlobalAvgPool2d gives each channel's mean", "[layers][pool]", float, double) {
  using T = TestType;
  using S = ts::Shape<3, 2, 3>;
  ts::Model<ts::GlobalAvgPool2d, S, ts::Cpu, T> model;
  static_assert(model.output_shape == ts::Shape<3>{});
  std::vector<double> v(2 * S::size);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = double(i);
  auto y = model.forward(tensor_of<T, S>(v));
  for (int s = 0; s < 2; ++s)
    for (int c = 0; c < 3; ++c) {
      const double first = double((s * 3 + c) * 6);
      CHECK(y.at(s, c) == Approx(first + 2.5));  // mean of first .. first + 5
    }
}

TEST_CASE("Pooling layers inside a Sequential", "[layers][pool]") {
  using Net = ts::Sequential<ts::MaxPool2d<2>, ts::AvgPool2d<2>, ts::GlobalAvgPool2d>;
  ts::Model<Net, ts::Shape<2, 8, 8>> model;
  static_assert(model.output_shape == ts::Shape<2>{});
  static_assert(model.parameter_count == 0 && model.buffer_count == 0);
  CHECK(model.tensors().empty());
  ts::Tensor<ts::Shape<2, 8, 8>> x(1);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i % 64);
  auto y = model.forward(x);
  // Max of each 2x2 block of row-major 0..63 is its bottom-right; their mean is the mean of
  // 9, 11, ..., 63 over the 4x4 grid: rows 9 + 16 r, cols + 2 c, so 9 + 24 + 3 = 36.
  CHECK(y.at(0, 0) == Approx(36));
  CHECK(y.at(0, 1) == Approx(36));
}

TEST_CASE("Pooling shape rules and descriptions", "[layers][pool]") {
  using S = ts::Shape<1, 4, 4>;
  static_assert(ts::shape_ok<ts::MaxPool2d<4>, S>);
  static_assert(std::is_same_v<decltype(ts::MaxPool2d<5>::check<S>()),
                               ts::Rule<"MaxPool2d: the kernel is larger than the input plus twice the padding">>);
  static_assert(ts::shape_ok<ts::MaxPool2d<5, 1, 1>, S>);  // 4 + 2 padding holds 5
  static_assert(std::is_same_v<decltype(ts::MaxPool2d<2, 2, 2>::check<S>()),
                               ts::Rule<"MaxPool2d: the padding must be at most half the kernel size">>);
  static_assert(std::is_same_v<decltype(ts::AvgPool2d<2, 2, 2>::check<S>()),
                               ts::Rule<"AvgPool2d: the padding must be at most half the kernel size">>);
  static_assert(std::is_same_v<decltype(ts::MaxPool2d<2>::check<ts::Shape<16>>()),
                               ts::Rule<"MaxPool2d needs a Shape<C, H, W> input">>);
  static_assert(!ts::shape_ok<ts::AvgPool2d<2>, ts::Shape<4, 4>>);
  static_assert(!ts::shape_ok<ts::GlobalAvgPool2d, ts::Shape<4, 4>>);

  using Max = ts::MaxPool2d<3, 2, 1>::Module<ts::Shape<8, 16, 16>, float, ts::Cpu>;
  using Avg = ts::AvgPool2d<2>::Module<ts::Shape<8, 16, 16>, float, ts::Cpu>;
  using Global = ts::GlobalAvgPool2d::Module<ts::Shape<8, 16, 16>, float, ts::Cpu>;
  CHECK(Max::describe() == "MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)");
  CHECK(Avg::describe() == "AvgPool2d(kernel_size=2, stride=2, padding=0)");
  CHECK(Global::describe() == "GlobalAvgPool2d(AdaptiveAvgPool2d(output_size=1) + Flatten)");
  static_assert(Max::keep_size == 8 * 8 * 8 && Avg::keep_size == 0 && Global::keep_size == 0);
  static_assert(Max::flops == 9.0 * 8 * 8 * 8);
  static_assert(Avg::flops == 5.0 * 8 * 8 * 8);
}
