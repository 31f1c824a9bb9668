// ZeroPad2d and ReflectionPad2d against cases worked by hand (PyTorch's (left, right, top,
// bottom) order), and against a direct reading of their definitions on large batches.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdlib>
#include <type_traits>
#include <vector>

#include "tessera/compose/sequential.hpp"
#include "tessera/layers/conv2d.hpp"
#include "tessera/layers/reflection_pad2d.hpp"
#include "tessera/layers/zero_pad2d.hpp"
#include "tessera/model.hpp"

namespace ts = tessera;

namespace {

template <class T, class S>
ts::Tensor<S, T> tensor_of(const std::vector<double>& v) {
  return ts::Tensor<S, T>::from(std::vector<T>(v.begin(), v.end()));
}

template <class View, std::size_t H, std::size_t W>
void check_plane(const View& y, int sample, int channel, const double (&expected)[H][W]) {
  for (std::size_t i = 0; i < H; ++i)
    for (std::size_t j = 0; j < W; ++j) {
      INFO("row " << i << ", column " << j);
      CHECK(y.at(sample, channel, int(i), int(j)) == expected[i][j]);
    }
}

// Mirror of i about the edge pixels of [0, extent), as the definition reads: the distance past
// an edge, taken back inside from that edge.
int mirror(int i, int extent) { return i < 0 ? -i : i >= extent ? (extent - 1) - (i - (extent - 1)) : i; }

}  // namespace

TEMPLATE_TEST_CASE("ZeroPad2d<1, 0, 1, 0> pads the left and top only, as nn.ZeroPad2d((1, 0, 1, 0))",
                   "[layers][pad]", float, double) {
  using T = TestType;
  using S = ts::Shape<1, 2, 2>;
  ts::Model<ts::ZeroPad2d<1, 0, 1, 0>, S, ts::Cpu, T> model;
  static_assert(model.output_shape == ts::Shape<1, 3, 3>{});
  static_assert(model.parameter_count == 0);
  auto y = model.forward(tensor_of<T, S>({1, 2, 3, 4}));
  check_plane(y, 0, 0, {{0, 0, 0}, {0, 1, 2}, {0, 3, 4}});
}

TEMPLATE_TEST_CASE("ZeroPad2d<P> pads all four sides; other orders keep PyTorch's meaning", "[layers][pad]",
                   float, double) {
  using T = TestType;
  using S = ts::Shape<2, 1, 2>;
  ts::Model<ts::ZeroPad2d<1>, S, ts::Cpu, T> all;
  static_assert(all.output_shape == ts::Shape<2, 3, 4>{});
  auto y = all.forward(tensor_of<T, S>({1, 2, 3, 4, 5, 6, 7, 8}));
  REQUIRE(y.batch() == 2);
  check_plane(y, 0, 1, {{0, 0, 0, 0}, {0, 3, 4, 0}, {0, 0, 0, 0}});
  check_plane(y, 1, 0, {{0, 0, 0, 0}, {0, 5, 6, 0}, {0, 0, 0, 0}});
  // (left, right, top, bottom) = (0, 2, 1, 0): two columns on the right, one row on top.
  ts::Model<ts::ZeroPad2d<0, 2, 1, 0>, S, ts::Cpu, T> mixed;
  static_assert(mixed.output_shape == ts::Shape<2, 2, 4>{});
  auto z = mixed.forward(tensor_of<T, S>({1, 2, 3, 4, 5, 6, 7, 8}));
  check_plane(z, 1, 1, {{0, 0, 0, 0}, {7, 8, 0, 0}});
}

TEMPLATE_TEST_CASE("ReflectionPad2d<1> of the 3x3 plane 1..9 mirrors about the edge pixels", "[layers][pad]",
                   float, double) {
  using T = TestType;
  using S = ts::Shape<1, 3, 3>;
  ts::Model<ts::ReflectionPad2d<1>, S, ts::Cpu, T> model;
  static_assert(model.output_shape == ts::Shape<1, 5, 5>{});
  auto y = model.forward(tensor_of<T, S>({1, 2, 3, 4, 5, 6, 7, 8, 9}));
  check_plane(y, 0, 0,
              {{5, 4, 5, 6, 5},  //
               {2, 1, 2, 3, 2},
               {5, 4, 5, 6, 5},
               {8, 7, 8, 9, 8},
               {5, 4, 5, 6, 5}});
}

TEMPLATE_TEST_CASE("ReflectionPad2d<1, 2, 0, 1> pads each side by its own amount", "[layers][pad]", float,
                   double) {
  using T = TestType;
  using S = ts::Shape<1, 3, 3>;
  ts::Model<ts::ReflectionPad2d<1, 2, 0, 1>, S, ts::Cpu, T> model;
  static_assert(model.output_shape == ts::Shape<1, 4, 6>{});
  auto y = model.forward(tensor_of<T, S>({1, 2, 3, 4, 5, 6, 7, 8, 9}));
  check_plane(y, 0, 0,
              {{2, 1, 2, 3, 2, 1},  //
               {5, 4, 5, 6, 5, 4},
               {8, 7, 8, 9, 8, 7},
               {5, 4, 5, 6, 5, 4}});
  // The largest padding allowed: one less than the extent.
  ts::Model<ts::ReflectionPad2d<2>, S, ts::Cpu, T> widest;
  auto z = widest.forward(tensor_of<T, S>({1, 2, 3, 4, 5, 6, 7, 8, 9}));
  const double first_row[7] = {9, 8, 7, 8, 9, 8, 7};  // row 2 of the input, mirrored twice over
  for (int j = 0; j < 7; ++j) CHECK(z.at(0, 0, 0, j) == first_row[j]);
}

TEMPLATE_TEST_CASE("Pads agree with their definitions on large, many-threaded batches", "[layers][pad]",
                   float, double) {
  using T = TestType;
  using S = ts::Shape<3, 40, 50>;
  const int n = 4;
  std::vector<double> x(std::size_t(n) * S::size);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = double(int(i * 7919 % 2003) - 1000);
  auto at = [&](int s, int c, int i, int j) { return x[std::size_t(((s * 3 + c) * 40 + i) * 50 + j)]; };

  ts::Model<ts::ReflectionPad2d<3, 1, 2, 39>, S, ts::Cpu, T> reflect;
  auto r = reflect.forward(tensor_of<T, S>(x));
  static_assert(decltype(reflect)::output_shape == ts::Shape<3, 81, 54>{});
  ts::Model<ts::ZeroPad2d<5, 0, 2, 7>, S, ts::Cpu, T> zero;
  auto z = zero.forward(tensor_of<T, S>(x));
  static_assert(decltype(zero)::output_shape == ts::Shape<3, 49, 55>{});
  bool reflect_ok = true, zero_ok = true;
  for (int s = 0; s < n; ++s)
    for (int c = 0; c < 3; ++c) {
      for (int i = 0; i < 81; ++i)
        for (int j = 0; j < 54; ++j)
          reflect_ok = reflect_ok && r.at(s, c, i, j) == T(at(s, c, mirror(i - 2, 40), mirror(j - 3, 50)));
      for (int i = 0; i < 49; ++i)
        for (int j = 0; j < 55; ++j) {
          const int iy = i - 2, ix = j - 5;
          const bool inside = iy >= 0 && iy < 40 && ix >= 0 && ix < 50;
          zero_ok = zero_ok && z.at(s, c, i, j) == T(inside ? at(s, c, iy, ix) : 0);
        }
    }
  CHECK(reflect_ok);
  CHECK(zero_ok);
}

TEST_CASE("Pads describe themselves as PyTorch does and check their input", "[layers][pad]") {
  using Zero = ts::bind_t<ts::ZeroPad2d<1, 0, 1, 0>, ts::Shape<3, 8, 8>, float, ts::Cpu>;
  using ZeroAll = ts::bind_t<ts::ZeroPad2d<2>, ts::Shape<3, 8, 8>, float, ts::Cpu>;
  using Reflect = ts::bind_t<ts::ReflectionPad2d<3>, ts::Shape<3, 8, 8>, double, ts::Cpu>;
  CHECK(Zero::describe() == "ZeroPad2d((1, 0, 1, 0))");
  CHECK(ZeroAll::describe() == "ZeroPad2d((2, 2, 2, 2))");
  CHECK(Reflect::describe() == "ReflectionPad2d((3, 3, 3, 3))");
  static_assert(Zero::flops == 0 && Reflect::keep_size == 0 && Reflect::scratch_size == 0);

  static_assert(!ts::shape_ok<ts::ZeroPad2d<1>, ts::Shape<8, 8>>);
  static_assert(!ts::shape_ok<ts::ReflectionPad2d<1>, ts::Shapes<ts::Shape<1, 4, 4>>>);
  // Padding must stay below the extent it mirrors: 3 of a 3-wide input is too much, on any side.
  static_assert(ts::shape_ok<ts::ReflectionPad2d<2>, ts::Shape<1, 3, 3>>);
  static_assert(!ts::shape_ok<ts::ReflectionPad2d<3>, ts::Shape<1, 3, 3>>);
  static_assert(!ts::shape_ok<ts::ReflectionPad2d<0, 3, 0, 0>, ts::Shape<1, 9, 3>>);
  static_assert(!ts::shape_ok<ts::ReflectionPad2d<0, 0, 0, 3>, ts::Shape<1, 3, 9>>);
  static_assert(ts::shape_ok<ts::ReflectionPad2d<0, 0, 0, 3>, ts::Shape<1, 4, 1>>);
  static_assert(std::is_same_v<
                decltype(ts::ReflectionPad2d<3>::check<ts::Shape<1, 3, 3>>()),
                ts::Rule<"ReflectionPad2d: each padding must be smaller than the input extent it mirrors "
                         "(left and right than the width, top and bottom than the height)",
                         ts::pad_sides<3, 3, 3, 3>>>);

  // CycleGAN's stem: reflection pad 3, then a 7x7 convolution without padding keeps the size.
  ts::Model<ts::Sequential<ts::ReflectionPad2d<3>, ts::Conv2d<4, 7>>, ts::Shape<3, 16, 16>> stem;
  static_assert(stem.output_shape == ts::Shape<4, 16, 16>{});
  auto y = stem.forward(ts::Tensor<ts::Shape<3, 16, 16>>(1, 1.0f));
  CHECK(y.batch() == 1);
}
