// Upsample, Resize and CenterCrop against cases worked by hand (and checked once against PyTorch
// 1.13's F.interpolate and torchvision's rounding), and against bilinear's closed form on linear
// ramps: it reproduces a + b i + c j exactly at the clamped source coordinates.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

#include "tessera/compose/sequential.hpp"
#include "tessera/layers/center_crop.hpp"
#include "tessera/layers/resize.hpp"
#include "tessera/layers/upsample.hpp"
#include "tessera/model.hpp"

namespace ts = tessera;
using ts::UpsampleMode;

namespace {

template <class T, class S>
ts::Tensor<S, T> tensor_of(const std::vector<double>& v) {
  return ts::Tensor<S, T>::from(std::vector<T>(v.begin(), v.end()));
}

template <class T>
constexpr double tolerance = std::is_same_v<T, float> ? 1e-6 : 1e-13;

// Where bilinear (align_corners=False) reads output index o from: (o + 0.5) in / out - 0.5,
// clamped to the first and last pixel centres.
double clamped_source(int o, int in, int out) {
  return std::clamp((o + 0.5) * in / out - 0.5, 0.0, double(in - 1));
}

}  // namespace

TEMPLATE_TEST_CASE("Upsample<2, bilinear> of [[1, 2], [3, 4]] gives PyTorch's 4x4", "[layers][resample]",
                   float, double) {
  using T = TestType;
  using S = ts::Shape<1, 2, 2>;
  ts::Model<ts::Upsample<2, UpsampleMode::bilinear>, S, ts::Cpu, T> model;
  static_assert(model.output_shape == ts::Shape<1, 4, 4>{});
  static_assert(model.parameter_count == 0);
  auto y = model.forward(tensor_of<T, S>({1, 2, 3, 4}));
  const double expected[4][4] = {
      {1, 1.25, 1.75, 2}, {1.5, 1.75, 2.25, 2.5}, {2.5, 2.75, 3.25, 3.5}, {3, 3.25, 3.75, 4}};
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) CHECK(y.at(0, 0, i, j) == T(expected[i][j]));  // exact: binary fractions
}

TEMPLATE_TEST_CASE("Upsample<3, bilinear> clamps sources left of the first pixel centre to it",
                   "[layers][resample]", float, double) {
  using T = TestType;
  using S = ts::Shape<1, 2, 2>;
  ts::Model<ts::Upsample<3, UpsampleMode::bilinear>, S, ts::Cpu, T> model;
  auto y = model.forward(tensor_of<T, S>({1, 2, 3, 4}));
  // Sources (o + 0.5) / 3 - 0.5 = -1/3, 0, 1/3, 2/3, 1, 4/3: clamped to 0 on the left, the last
  // pixel on the right.
  const double row[6] = {1, 1, 4.0 / 3, 5.0 / 3, 2, 2};
  const double column[6] = {0, 0, 2.0 / 3, 4.0 / 3, 2, 2};
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j) CHECK(y.at(0, 0, i, j) == Approx(row[j] + column[i]).epsilon(tolerance<T>));
}

TEMPLATE_TEST_CASE("Upsample nearest repeats each pixel Scale x Scale times", "[layers][resample]", float,
                   double) {
  using T = TestType;
  using S = ts::Shape<2, 2, 2>;
  ts::Model<ts::Upsample<3>, S, ts::Cpu, T> model;
  static_assert(model.output_shape == ts::Shape<2, 6, 6>{});
  auto y = model.forward(tensor_of<T, S>({1, 2, 3, 4, 5, 6, 7, 8, -1, -2, -3, -4, -5, -6, -7, -8}));
  REQUIRE(y.batch() == 2);
  for (int s = 0; s < 2; ++s)
    for (int c = 0; c < 2; ++c)
      for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 6; ++j) {
          const double v = (s == 0 ? 1 : -1) * (1 + 4 * c + 2 * (i / 3) + j / 3);
          CHECK(y.at(s, c, i, j) == T(v));
        }
}

TEMPLATE_TEST_CASE("Resize interpolates up and down as F.interpolate(size=...)", "[layers][resample]", float,
                   double) {
  using T = TestType;
  // 1 x 3 -> 1 x 5, bilinear: sources 0 (clamped), 0.4, 1, 1.6, 2 (last pixel twice).
  ts::Model<ts::Resize<1, 5>, ts::Shape<1, 1, 3>, ts::Cpu, T> up;
  auto a = up.forward(tensor_of<T, ts::Shape<1, 1, 3>>({0, 10, 20}));
  const double expected_up[5] = {0, 4, 10, 16, 20};
  for (int j = 0; j < 5; ++j)
    CHECK(a.at(0, 0, 0, j) == Approx(expected_up[j]).epsilon(tolerance<T>).margin(tolerance<T>));
  // Nearest: floor(o * 3 / 5) = 0, 0, 1, 1, 2.
  ts::Model<ts::Resize<1, 5, UpsampleMode::nearest>, ts::Shape<1, 1, 3>, ts::Cpu, T> up_nearest;
  auto b = up_nearest.forward(tensor_of<T, ts::Shape<1, 1, 3>>({0, 10, 20}));
  const double expected_nearest[5] = {0, 0, 10, 10, 20};
  for (int j = 0; j < 5; ++j) CHECK(b.at(0, 0, 0, j) == T(expected_nearest[j]));
  // 1 x 5 -> 1 x 3: nearest floor(o * 5 / 3) = 0, 1, 3; bilinear sources 1/3, 2, 11/3.
  ts::Model<ts::Resize<1, 3, UpsampleMode::nearest>, ts::Shape<1, 1, 5>, ts::Cpu, T> down_nearest;
  ts::Model<ts::Resize<1, 3>, ts::Shape<1, 1, 5>, ts::Cpu, T> down;
  auto c = down_nearest.forward(tensor_of<T, ts::Shape<1, 1, 5>>({0, 1, 2, 3, 4}));
  auto d = down.forward(tensor_of<T, ts::Shape<1, 1, 5>>({0, 1, 2, 3, 4}));
  CHECK((c.at(0, 0, 0, 0) == 0 && c.at(0, 0, 0, 1) == 1 && c.at(0, 0, 0, 2) == 3));
  CHECK(d.at(0, 0, 0, 0) == Approx(1.0 / 3).epsilon(tolerance<T>));
  CHECK(d.at(0, 0, 0, 1) == Approx(2).epsilon(tolerance<T>));
  CHECK(d.at(0, 0, 0, 2) == Approx(11.0 / 3).epsilon(tolerance<T>));
  // 4 x 4 -> 2 x 2 halves exactly: each output is the mean of a 2 x 2 block.
  ts::Model<ts::Resize<2, 2>, ts::Shape<1, 4, 4>, ts::Cpu, T> half;
  std::vector<double> ramp16(16);
  for (int i = 0; i < 16; ++i) ramp16[std::size_t(i)] = i;
  auto e = half.forward(tensor_of<T, ts::Shape<1, 4, 4>>(ramp16));
  CHECK(e.at(0, 0, 0, 0) == T(2.5));
  CHECK(e.at(0, 0, 0, 1) == T(4.5));
  CHECK(e.at(0, 0, 1, 0) == T(10.5));
  CHECK(e.at(0, 0, 1, 1) == T(12.5));
  // Same size: a copy.
  ts::Model<ts::Resize<4, 4>, ts::Shape<1, 4, 4>, ts::Cpu, T> same;
  auto f = same.forward(tensor_of<T, ts::Shape<1, 4, 4>>(ramp16));
  for (std::size_t i = 0; i < 16; ++i) CHECK(f[i] == T(ramp16[i]));
}

TEMPLATE_TEST_CASE("Bilinear resampling reproduces linear ramps on large, many-threaded batches",
                   "[layers][resample]", float, double) {
  using T = TestType;
  // 300 output columns: more than one block of the column table; 3 x 2 x 21 x 300 outputs: threads.
  using S = ts::Shape<2, 7, 150>;
  const int n = 3;
  std::vector<double> x(std::size_t(n) * S::size);
  auto ramp = [](int s, int c, double i, double j) { return 0.5 * s - 1.5 * c + 0.25 * i - 0.0625 * j; };
  for (int s = 0; s < n; ++s)
    for (int c = 0; c < 2; ++c)
      for (int i = 0; i < 7; ++i)
        for (int j = 0; j < 150; ++j) x[std::size_t(((s * 2 + c) * 7 + i) * 150 + j)] = ramp(s, c, i, j);

  ts::Model<ts::Upsample<3, UpsampleMode::bilinear>, S, ts::Cpu, T> upsample;
  ts::Model<ts::Resize<21, 450>, S, ts::Cpu, T> resize_up;
  ts::Model<ts::Resize<5, 37>, S, ts::Cpu, T> resize_down;
  const auto input = tensor_of<T, S>(x);
  auto u = upsample.forward(input);
  auto r = resize_up.forward(input);
  double worst = 0;
  for (int s = 0; s < n; ++s)
    for (int c = 0; c < 2; ++c)
      for (int i = 0; i < 21; ++i)
        for (int j = 0; j < 450; ++j)
          worst = std::max(worst, std::fabs(double(u.at(s, c, i, j)) - ramp(s, c, clamped_source(i, 7, 21),
                                                                            clamped_source(j, 150, 450))));
  CHECK(worst < 20 * tolerance<T>);
  // nn.Upsample(scale_factor=3) and F.interpolate(size=3 x) agree bit for bit.
  CHECK(std::equal(u.data(), u.data() + u.size(), r.data()));

  auto d = resize_down.forward(input);
  worst = 0;
  for (int s = 0; s < n; ++s)
    for (int c = 0; c < 2; ++c)
      for (int i = 0; i < 5; ++i)
        for (int j = 0; j < 37; ++j)
          worst = std::max(worst, std::fabs(double(d.at(s, c, i, j)) -
                                            ramp(s, c, clamped_source(i, 7, 5), clamped_source(j, 150, 37))));
  CHECK(worst < 20 * tolerance<T>);
}

TEMPLATE_TEST_CASE("Upsample nearest and Resize nearest agree on wide, many-threaded batches",
                   "[layers][resample]", float, double) {
  using T = TestType;
  using S = ts::Shape<3, 10, 100>;
  std::vector<double> x(4 * S::size);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = double(i % 977);
  ts::Model<ts::Upsample<3>, S, ts::Cpu, T> upsample;
  ts::Model<ts::Resize<30, 300, UpsampleMode::nearest>, S, ts::Cpu, T> resize;
  auto u = upsample.forward(tensor_of<T, S>(x));
  auto r = resize.forward(tensor_of<T, S>(x));
  CHECK(std::equal(u.data(), u.data() + u.size(), r.data()));
  bool repeats = true;
  for (int s = 0; s < 4; ++s)
    for (int c = 0; c < 3; ++c)
      for (int i = 0; i < 30; ++i)
        for (int j = 0; j < 300; ++j)
          repeats =
              repeats && u.at(s, c, i, j) == T(x[std::size_t(((s * 3 + c) * 10 + i / 3) * 100 + j / 3)]);
  CHECK(repeats);
}

TEMPLATE_TEST_CASE("CenterCrop rounds its offsets as torchvision, halves to even", "[layers][resample]",
                   float, double) {
  using T = TestType;
  // Offsets (h - H) / 2 rounded half to even: 5 -> 2 at round(1.5) = 2, 7 -> 4 at 2,
  // 6 -> 3 at round(1.5) = 2, 9 -> 4 at round(2.5) = 2, 6 -> 5 at round(0.5) = 0, 10 -> 3 at round(3.5) = 4.
  using M1 = ts::bind_t<ts::CenterCrop<2, 4>, ts::Shape<1, 5, 7>, T, ts::Cpu>;
  static_assert(M1::top == 2 && M1::left == 2);
  using M2 = ts::bind_t<ts::CenterCrop<3, 4>, ts::Shape<1, 6, 9>, T, ts::Cpu>;
  static_assert(M2::top == 2 && M2::left == 2);
  using M3 = ts::bind_t<ts::CenterCrop<5, 3>, ts::Shape<1, 6, 10>, T, ts::Cpu>;
  static_assert(M3::top == 0 && M3::left == 4);
  using M4 = ts::bind_t<ts::CenterCrop<3, 3>, ts::Shape<1, 8, 4>, T, ts::Cpu>;
  static_assert(M4::top == 2 && M4::left == 0);

  // Each pixel holds 100 c + 10 i + j, so the output shows where the window sits.
  using S = ts::Shape<2, 5, 7>;
  std::vector<double> x;
  for (int s = 0; s < 2; ++s)
    for (int c = 0; c < 2; ++c)
      for (int i = 0; i < 5; ++i)
        for (int j = 0; j < 7; ++j) x.push_back(1000 * s + 100 * c + 10 * i + j);
  ts::Model<ts::CenterCrop<2, 4>, S, ts::Cpu, T> model;
  static_assert(model.output_shape == ts::Shape<2, 2, 4>{});
  auto y = model.forward(tensor_of<T, S>(x));
  for (int s = 0; s < 2; ++s)
    for (int c = 0; c < 2; ++c)
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 4; ++j) CHECK(y.at(s, c, i, j) == T(1000 * s + 100 * c + 10 * (i + 2) + (j + 2)));

  // The whole input is a copy.
  ts::Model<ts::CenterCrop<5, 7>, S, ts::Cpu, T> whole;
  auto w = whole.forward(tensor_of<T, S>(x));
  for (std::size_t i = 0; i < x.size(); ++i) CHECK(w[i] == T(x[i]));
}

TEST_CASE("Resampling layers describe themselves as PyTorch and torchvision do, and check their input",
          "[layers][resample]") {
  using Nearest = ts::bind_t<ts::Upsample<2>, ts::Shape<3, 8, 8>, float, ts::Cpu>;
  using Bilinear = ts::bind_t<ts::Upsample<4, UpsampleMode::bilinear>, ts::Shape<3, 8, 8>, float, ts::Cpu>;
  using Resized = ts::bind_t<ts::Resize<6, 5>, ts::Shape<3, 9, 9>, float, ts::Cpu>;
  using Cropped = ts::bind_t<ts::CenterCrop<4, 3>, ts::Shape<3, 9, 9>, float, ts::Cpu>;
  CHECK(Nearest::describe() == "Upsample(scale_factor=2.0, mode='nearest')");
  CHECK(Bilinear::describe() == "Upsample(scale_factor=4.0, mode='bilinear')");
  CHECK(Resized::describe() == "Resize(size=(6, 5), interpolation=bilinear, max_size=None, antialias=False)");
  CHECK(Cropped::describe() == "CenterCrop(size=(4, 3))");
  static_assert(std::is_same_v<Bilinear::output_shape, ts::Shape<3, 32, 32>>);
  static_assert(std::is_same_v<Resized::output_shape, ts::Shape<3, 6, 5>>);
  static_assert(Nearest::flops == 0 && Bilinear::flops == 9.0 * 3 * 32 * 32);
  static_assert(Resized::keep_size == 0 && Resized::scratch_size == 0 && Cropped::parameter_count == 0);

  static_assert(!ts::shape_ok<ts::Upsample<2>, ts::Shape<8, 8>>);
  static_assert(!ts::shape_ok<ts::Resize<4, 4>, ts::Shapes<ts::Shape<1, 2, 2>, ts::Shape<1, 2, 2>>>);
  static_assert(!ts::shape_ok<ts::CenterCrop<10, 4>, ts::Shape<1, 9, 9>>);
  static_assert(!ts::shape_ok<ts::CenterCrop<4, 10>, ts::Shape<1, 9, 9>>);
  static_assert(
      std::is_same_v<decltype(ts::CenterCrop<10, 4>::check<ts::Shape<1, 9, 9>>()),
                     ts::Rule<"CenterCrop: the crop is larger than the input", ts::crop_size<10, 4>>>);

  // In a Sequential, float by default.
  ts::Model<ts::Sequential<ts::Upsample<2>, ts::CenterCrop<3, 3>>, ts::Shape<1, 2, 2>> model;
  auto y = model.forward(ts::Tensor<ts::Shape<1, 2, 2>>::from({1, 2, 3, 4}));
  // 4 x 4 of 2 x 2 blocks, cropped from (0, 0) (round(0.5) = 0).
  CHECK(y.at(0, 0, 0, 0) == 1.0f);
  CHECK(y.at(0, 0, 0, 2) == 2.0f);
  CHECK(y.at(0, 0, 2, 2) == 4.0f);
}
