// FadeIn (layers/fade_in.hpp), the worked example of docs/layers.md: its closed form, its
// gradients by finite differences, its runtime scalar through Model, its shape rules, and the
// page's copy of its code.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include <tessera/tessera.hpp>

#include "../support/gradcheck.hpp"

namespace {

namespace ts = tessera;
using S = ts::Shape<2, 3>;
using Pair = ts::Shapes<S, S>;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The text from `struct FadeIn {` to the `};` that closes it at the start of a line.
std::string fade_in_struct(const std::string& text) {
  const auto begin = text.find("struct FadeIn {");
  REQUIRE(begin != std::string::npos);
  const auto end = text.find("\n};", begin);
  REQUIRE(end != std::string::npos);
  return text.substr(begin, end + 3 - begin);
}

}  // namespace

TEST_CASE("FadeIn: (1 - alpha) a + alpha b, and its gradients", "[layers][fade_in]") {
  ts::Model<ts::FadeIn, Pair> model;
  ts::Tensor<S> a(2), b(2);
  for (std::size_t i = 0; i < a.size(); ++i) {
    a.data()[i] = float(i) - 5;
    b.data()[i] = 3 * float(i) + 1;
  }
  // It starts at alpha = 0: the new path has no effect.
  CHECK(model.get_scalar("alpha") == 0);
  auto y = model.forward(a, b);
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(y.data()[i] == a.data()[i]);

  model.set_scalar("alpha", 0.25);
  CHECK(model.get_scalar("alpha") == 0.25);
  y = model.forward(a, b);
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(y.data()[i] == Approx(0.75 * a.data()[i] + 0.25 * b.data()[i]));

  ts::Tensor<S> dy(2);
  for (std::size_t i = 0; i < dy.size(); ++i) dy.data()[i] = float(i % 5) - 2;
  const auto [da, db] = model.backward_to_input(dy);
  for (std::size_t i = 0; i < dy.size(); ++i) {
    CHECK(da.data()[i] == Approx(0.75 * dy.data()[i]));
    CHECK(db.data()[i] == Approx(0.25 * dy.data()[i]));
  }
}

TEST_CASE("FadeIn: finite differences inside a growing block", "[layers][fade_in][gradcheck]") {
  // ProGAN's pattern: the old path (here a Linear) and the new block, blended by alpha.
  using Grow = ts::Sequential<ts::Branches<ts::Linear<4>, ts::Sequential<ts::Linear<4>, ts::Tanh>>, ts::FadeIn>;
  ts::testing::check_gradients<Grow, ts::Shape<3>>({.scalars = {{"1.alpha", 0.3}}});
  ts::testing::check_gradients<Grow, ts::Shape<3>>({.scalars = {{"1.alpha", 1.0}}});
}

TEST_CASE("FadeIn: a runtime scalar is found by its path, kept by a move, and checked", "[layers][fade_in]") {
  using Grow = ts::Sequential<ts::Branches<ts::Identity, ts::Tanh>, ts::FadeIn>;
  ts::Model<Grow, ts::Shape<3>> model;
  model.set_scalar("1.alpha", 0.5);
  ts::Model<Grow, ts::Shape<3>> moved(std::move(model));
  CHECK(moved.get_scalar("1.alpha") == 0.5);
  ts::Tensor<ts::Shape<3>> x(1, 2.0f);
  const auto y = moved.forward(x);
  CHECK(y.data()[0] == Approx(0.5 * 2 + 0.5 * std::tanh(2.0)));

  CHECK_THROWS_WITH(moved.set_scalar("alpha", 1), Catch::Contains("'alpha'") && Catch::Contains("'1.alpha'"));
  CHECK_THROWS_AS(moved.get_scalar("0.alpha"), std::invalid_argument);
  CHECK_THROWS_WITH(moved.set_scalar("1.alpha", std::nan("")), Catch::Contains("'1.alpha'") && Catch::Contains("finite"));
  CHECK(moved.get_scalar("1.alpha") == 0.5);  // unchanged by the failed call
}

TEST_CASE("FadeIn: its shape rules", "[layers][fade_in]") {
  static_assert(ts::shape_ok<ts::FadeIn, Pair>);
  static_assert(!ts::shape_ok<ts::FadeIn, S>);
  static_assert(!ts::shape_ok<ts::FadeIn, ts::Shapes<S, S, S>>);
  static_assert(!ts::shape_ok<ts::FadeIn, ts::Shapes<S, ts::Shape<3, 2>>>);
  static_assert(ts::Model<ts::FadeIn, Pair>::parameter_count == 0);
  static_assert(std::is_same_v<ts::Model<ts::FadeIn, Pair>::Output, S>);
}

TEST_CASE("docs/layers.md shows FadeIn's code as the header has it", "[layers][fade_in][docs]") {
  const std::string root = std::string(TESSERA_TEST_DATA_DIR) + "/..";
  CHECK(fade_in_struct(read_text(root + "/docs/layers.md")) ==
        fade_in_struct(read_text(root + "/include/tessera/layers/fade_in.hpp")));
}
