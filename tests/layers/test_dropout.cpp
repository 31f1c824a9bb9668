// Dropout and Dropout2d: identity in evaluation; in training the share dropped, the exact scale of
// the rest, whole channels for Dropout2d, the kept mask, and masks fixed by the model's seed.
#include <catch2/catch.hpp>

#include <cmath>
#include <type_traits>
#include <vector>

#include "tessera/compose/sequential.hpp"
#include "tessera/layers/dropout.hpp"
#include "tessera/layers/dropout2d.hpp"
#include "tessera/layers/linear.hpp"
#include "tessera/model.hpp"

namespace ts = tessera;

namespace {

template <class T, class S>
ts::Tensor<S, T> nonzero_input(ts::index n) {
  ts::Tensor<S, T> x(n);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = T(1 + double(i % 97) / 8) * (i % 2 ? T(-1) : T(1));
  return x;
}

template <class V>
std::vector<double> copy_of(const V& v) {
  return std::vector<double>(v.data(), v.data() + v.size());
}

}  // namespace

TEMPLATE_TEST_CASE("Dropout is the identity in evaluation", "[layers][dropout]", float, double) {
  using T = TestType;
  using S = ts::Shape<4, 5>;
  ts::Model<ts::Dropout<0.5>, S, ts::Cpu, T> model;
  static_assert(model.output_shape == S{} && model.parameter_count == 0);
  model.eval();
  const auto x = nonzero_input<T, S>(3);
  auto y = model.forward(x);
  for (std::size_t i = 0; i < x.size(); ++i) CHECK(y[i] == x[i]);
}

TEMPLATE_TEST_CASE("Dropout in training drops about P and scales the rest by exactly 1/(1 - P)",
                   "[layers][dropout]", float, double) {
  using T = TestType;
  using S = ts::Shape<1000>;
  ts::Model<ts::Dropout<0.3>, S, ts::Cpu, T> model(5);
  REQUIRE(model.is_training());
  const auto x = nonzero_input<T, S>(20);
  auto y = model.forward(x);
  const T scale = T(1) / T(1 - 0.3);
  std::size_t dropped = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (y[i] == T(0))
      ++dropped;
    else
      CHECK(y[i] == x[i] * scale);
  }
  // 20000 draws: the standard deviation of the share is 0.0032.
  CHECK(double(dropped) / double(x.size()) == Approx(0.3).margin(0.02));
}

TEMPLATE_TEST_CASE("Dropout keeps its scaled mask for backward", "[layers][dropout]", float, double) {
  using T = TestType;
  using S = ts::Shape<2, 3, 4>;
  using M = typename ts::Dropout<0.25>::template Module<S, T, ts::Cpu>;
  static_assert(M::keep_size == S::size && M::scratch_size == 0);
  M dropout;
  const auto x = nonzero_input<T, S>(5);
  std::vector<T> y(x.size()), mask(x.size());
  ts::Generator g(3);
  ts::Context<T> cx{nullptr, &g};
  dropout.forward(x.data(), y.data(), 5, mask.data(), cx);
  const T scale = T(1) / T(0.75);
  std::size_t dropped = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    CHECK((mask[i] == T(0) || mask[i] == scale));
    CHECK(y[i] == x[i] * mask[i]);
    dropped += mask[i] == T(0);
  }
  CHECK(dropped > 0);
  CHECK(dropped < x.size());

  // In evaluation the mask is all ones (backward is then the identity) and no generator is needed.
  dropout.mode.training = false;
  cx.rng = nullptr;
  dropout.forward(x.data(), y.data(), 5, mask.data(), cx);
  for (std::size_t i = 0; i < x.size(); ++i) {
    CHECK(mask[i] == T(1));
    CHECK(y[i] == x[i]);
  }
}

TEST_CASE("Dropout masks are fixed by the model's seed", "[layers][dropout]") {
  using S = ts::Shape<64>;
  const auto x = nonzero_input<float, S>(4);
  ts::Model<ts::Dropout<>, S> a(42), b(42), c(43);
  const auto ya1 = copy_of(a.forward(x));
  const auto ya2 = copy_of(a.forward(x));
  const auto yb1 = copy_of(b.forward(x));
  const auto yb2 = copy_of(b.forward(x));
  const auto yc1 = copy_of(c.forward(x));
  CHECK(ya1 == yb1);
  CHECK(ya2 == yb2);
  CHECK(ya1 != ya2);  // the generator moves on
  CHECK(ya1 != yc1);
  // Reseeding replays the same masks.
  a.generator().seed(42);
  CHECK(copy_of(a.forward(x)) == ya1);
}

TEMPLATE_TEST_CASE("Dropout with P = 0 keeps everything and P = 1 drops everything", "[layers][dropout]",
                   float, double) {
  using T = TestType;
  using S = ts::Shape<50>;
  const auto x = nonzero_input<T, S>(2);
  ts::Model<ts::Dropout<0.0>, S, ts::Cpu, T> none;
  ts::Model<ts::Dropout<1.0>, S, ts::Cpu, T> all;
  auto y0 = none.forward(x);
  for (std::size_t i = 0; i < x.size(); ++i) CHECK(y0[i] == x[i]);
  auto y1 = all.forward(x);
  for (std::size_t i = 0; i < x.size(); ++i) CHECK(y1[i] == T(0));
}

TEMPLATE_TEST_CASE("Dropout2d drops whole channels of each sample", "[layers][dropout]", float, double) {
  using T = TestType;
  using S = ts::Shape<64, 3, 3>;
  ts::Model<ts::Dropout2d<0.5>, S, ts::Cpu, T> model(9);
  const auto x = nonzero_input<T, S>(8);
  auto y = model.forward(x);
  const T scale = T(2);
  std::size_t dropped = 0;
  for (ts::index s = 0; s < 8; ++s)
    for (int c = 0; c < 64; ++c) {
      const bool zero = y.at(s, c, 0, 0) == T(0);
      dropped += zero;
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
          if (zero)
            CHECK(y.at(s, c, i, j) == T(0));
          else
            CHECK(y.at(s, c, i, j) == x.at(s, c, i, j) * scale);
        }
    }
  // 512 channels: the standard deviation of the share is 0.022.
  CHECK(double(dropped) / 512 == Approx(0.5).margin(0.1));

  model.eval();
  auto z = model.forward(x);
  for (std::size_t i = 0; i < x.size(); ++i) CHECK(z[i] == x[i]);
}

TEST_CASE("Dropout2d masks are fixed by the model's seed", "[layers][dropout]") {
  using S = ts::Shape<16, 2, 2>;
  const auto x = nonzero_input<double, S>(4);
  ts::Model<ts::Dropout2d<0.4>, S, ts::Cpu, double> a(1), b(1);
  CHECK(copy_of(a.forward(x)) == copy_of(b.forward(x)));
  CHECK(copy_of(a.forward(x)) == copy_of(b.forward(x)));
}

TEST_CASE("Dropout descriptions, counts and shape rules", "[layers][dropout]") {
  using Net = ts::Sequential<ts::Linear<8>, ts::Dropout<0.2>, ts::Linear<2>>;
  ts::Model<Net, ts::Shape<4>> model;
  CHECK(model.tensors().size() == 4);
  CHECK(model.tensors()[2].name == "2.weight");
  using D = ts::Dropout<>::Module<ts::Shape<10>, float, ts::Cpu>;
  using D2 = ts::Dropout2d<0.1>::Module<ts::Shape<8, 4, 4>, float, ts::Cpu>;
  CHECK(D::describe() == "Dropout(p=0.5, inplace=False)");
  CHECK(D2::describe() == "Dropout2d(p=0.1, inplace=False)");
  static_assert(D2::keep_size == 8 * 4 * 4 && D2::parameter_count == 0 && D2::buffer_count == 0);
  static_assert(ts::shape_ok<ts::Dropout<>, ts::Shape<3, 4, 5, 6>>);
  static_assert(std::is_same_v<decltype(ts::Dropout2d<>::check<ts::Shape<10>>()),
                               ts::Rule<"Dropout2d needs a Shape<C, H, W> input; use Dropout for other shapes">>);
}
