// The core: shapes, composition, naming, introspection and forward of composed models, checked
// against closed forms.
#include <catch2/catch.hpp>

#include <numeric>

#include <tessera/tessera.hpp>

namespace ts = tessera;

namespace {
// Sets every value of a model's tensor (by PyTorch name) from a list.
template <class M>
void set(M& model, const std::string& name, std::vector<typename M::scalar> values) {
  for (auto& e : model.tensors())
    if (e.name == name) {
      REQUIRE(values.size() == e.size());
      std::copy(values.begin(), values.end(), e.value);
      return;
    }
  FAIL("no tensor named " << name);
}
}  // namespace

TEST_CASE("shapes are compile-time values", "[core]") {
  static_assert(ts::Shape<3, 64, 64>::size == 3 * 64 * 64);
  static_assert(ts::Shape<3, 64, 64>::rank == 3);
  static_assert(ts::Shape<3, 4>{} == ts::Shape<3, 4>{});
  static_assert(!(ts::Shape<3, 4>{} == ts::Shape<4, 3>{}));
  static_assert(ts::Shapes<ts::Shape<2>, ts::Shape<3, 4>>::size == 14);
  static_assert(ts::pack_offset<1, ts::Shapes<ts::Shape<2>, ts::Shape<3, 4>>>() == 2);
  CHECK(ts::Shape<3, 64, 64>::to_string() == "Shape<3, 64, 64>");
  CHECK(ts::Shape<10>::to_string_with_batch(4) == "[4, 10]");
}

TEST_CASE("tensors index batch-major like PyTorch", "[core]") {
  auto t = ts::Tensor<ts::Shape<2, 3>>::from({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  CHECK(t.batch() == 2);
  CHECK(t.at(1, 0, 2) == 8);
  CHECK(t.to_host() == std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  CHECK(ts::Tensor<ts::Shape<2>>(3, 0.5f).to_host() == std::vector<float>(6, 0.5f));
  using T23 = ts::Tensor<ts::Shape<2, 3>>;
  CHECK_THROWS_WITH(T23::from({1, 2, 3}), Catch::Matchers::Contains("whole number"));
}

TEST_CASE("output shapes, parameter counts and FLOPs are constexpr", "[core]") {
  using Net = ts::Sequential<ts::Conv2d<8, 3, 1, 1>, ts::ReLU, ts::Conv2d<16, 4, 2, 1, ts::no_bias>,
                             ts::Flatten, ts::Linear<10>>;
  using M = ts::Model<Net, ts::Shape<3, 32, 32>>;
  static_assert(M::output_shape == ts::Shape<10>{});
  static_assert(M::parameter_count == (8 * 3 * 9 + 8) + (16 * 8 * 16) + (16 * 16 * 16 * 10 + 10));
  // 2 FLOPs per multiply-add, per output element.
  static_assert(M::flops_per_sample ==
                2.0 * 27 * 8 * 32 * 32 + 8 * 32 * 32 + 2.0 * 128 * 16 * 16 * 16 + 2.0 * 4096 * 10);
  M m;
  static_assert(m.output_shape == ts::Shape<10>{});  // through an object, as the README writes it
}

TEST_CASE("parameter names follow nn.Sequential index paths, Named substitutes a name", "[core]") {
  using Block = ts::Sequential<ts::Conv2d<4, 3, 1, 1, ts::no_bias>, ts::ReLU>;
  using Net = ts::Sequential<ts::Named<"stem", ts::Conv2d<4, 1>>, Block,
                             ts::Residual<ts::Named<"block", Block>>, ts::Inline<ts::Named<"x", ts::Identity>>,
                             ts::Flatten, ts::Named<"head", ts::Sequential<ts::Linear<2>>>>;
  ts::Model<Net, ts::Shape<2, 4, 4>> m;
  std::vector<std::string> names;
  for (auto& e : m.tensors()) names.push_back(e.name);
  CHECK(names == std::vector<std::string>{"stem.weight", "stem.bias", "1.0.weight", "2.block.0.weight",
                                          "head.0.weight", "head.0.bias"});
  // The parameters lie in one block, in forward order.
  CHECK(m.tensors()[1].value == m.tensors()[0].value + 8);
  CHECK(m.parameter_values().size() == m.parameter_count);
}

TEST_CASE("Linear computes x W^T + b", "[core][linear]") {
  ts::Model<ts::Sequential<ts::Linear<2>>, ts::Shape<3>, ts::Cpu, double> m;
  set(m, "0.weight", {1, 2, 3, -1, 0, 1});
  set(m, "0.bias", {0.5, -0.5});
  auto x = ts::Tensor<ts::Shape<3>, double>::from({1, 1, 1, 2, 0, -1});
  auto y = m.forward(x);
  CHECK(y.at(0, 0) == 6.5);
  CHECK(y.at(0, 1) == -0.5);
  CHECK(y.at(1, 0) == -0.5);
  CHECK(y.at(1, 1) == -3.5);
}

TEST_CASE("Conv2d and ConvTranspose2d match hand-computed sums", "[core][conv]") {
  // 1 channel 3x3 input 1..9, 2x2 kernel of ones, stride 1, pad 0: sums of 2x2 windows.
  ts::Model<ts::Conv2d<1, 2, 1, 0, ts::no_bias>, ts::Shape<1, 3, 3>> conv;
  set(conv, "weight", {1, 1, 1, 1});
  auto x = ts::Tensor<ts::Shape<1, 3, 3>>::from({1, 2, 3, 4, 5, 6, 7, 8, 9});
  auto y = conv.forward(x);
  CHECK(std::vector<float>(y.data(), y.data() + 4) == std::vector<float>{12, 16, 24, 28});

  // Padding 1, stride 2: windows centred on (0,0), (0,2), (2,0), (2,2) of the padded image.
  ts::Model<ts::Conv2d<1, 3, 2, 1, ts::no_bias>, ts::Shape<1, 3, 3>> strided;
  set(strided, "weight", {0, 0, 0, 0, 1, 0, 0, 0, 0});  // picks the centre
  auto z = strided.forward(x);
  CHECK(std::vector<float>(z.data(), z.data() + 4) == std::vector<float>{1, 3, 7, 9});

  // The transposed convolution scatters each input value times the kernel: 2x2 input, 2x2 kernel
  // of ones, stride 2 -> each value fills its own 2x2 block.
  ts::Model<ts::ConvTranspose2d<1, 2, 2, 0, 0, ts::no_bias>, ts::Shape<1, 2, 2>> up;
  set(up, "weight", {1, 1, 1, 1});
  auto u = up.forward(ts::Tensor<ts::Shape<1, 2, 2>>::from({1, 2, 3, 4}));
  static_assert(decltype(up)::output_shape == ts::Shape<1, 4, 4>{});
  CHECK(std::vector<float>(u.data(), u.data() + 16) ==
        std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
}

TEST_CASE("Residual adds, CatBranches joins channels, Parallel and Cat route a pack", "[core][compose]") {
  using Net = ts::Sequential<ts::Residual<ts::Conv2d<1, 1, 1, 0, ts::no_bias>>,
                             ts::CatBranches<ts::Identity, ts::Conv2d<1, 1, 1, 0, ts::no_bias>>>;
  ts::Model<Net, ts::Shape<1, 1, 2>> m;
  set(m, "0.weight", {2});    // F(x) = 2x, so the residual gives 3x
  set(m, "1.1.weight", {-1}); // the second branch negates
  auto y = m.forward(ts::Tensor<ts::Shape<1, 1, 2>>::from({1, 2, 3, 4}));
  static_assert(decltype(m)::output_shape == ts::Shape<2, 1, 2>{});
  CHECK(std::vector<float>(y.data(), y.data() + 8) == std::vector<float>{3, 6, -3, -6, 9, 12, -9, -12});

  // Two inputs, each through its own layer, joined: the first input's features come first.
  using Two = ts::Sequential<ts::Parallel<ts::Identity, ts::Linear<2, ts::no_bias>>, ts::Cat>;
  ts::Model<Two, ts::Shapes<ts::Shape<3>, ts::Shape<1>>> two;
  set(two, "0.1.weight", {10, 20});
  auto a = ts::Tensor<ts::Shape<3>>::from({1, 2, 3, 4, 5, 6});
  auto b = ts::Tensor<ts::Shape<1>>::from({1, 2});
  auto out = two.forward(a, b);
  static_assert(decltype(two)::output_shape == ts::Shape<5>{});
  CHECK(std::vector<float>(out.data(), out.data() + 10) == std::vector<float>{1, 2, 3, 10, 20, 4, 5, 6, 20, 40});
  CHECK_THROWS_WITH(two.forward(a, ts::Tensor<ts::Shape<1>>(3)), Catch::Matchers::Contains("different batch sizes"));
}

TEST_CASE("Heads give several outputs from one body", "[core][compose]") {
  using Net = ts::Sequential<ts::Linear<2, ts::no_bias>, ts::Heads<ts::Identity, ts::Sequential<ts::ReLU, ts::Linear<1>>>>;
  ts::Model<Net, ts::Shape<2>> m;
  set(m, "0.weight", {1, 0, 0, -1});
  set(m, "1.1.1.weight", {1, 1});
  set(m, "1.1.1.bias", {0.5});
  auto [body, head] = m.forward(ts::Tensor<ts::Shape<2>>::from({3, 4}));
  CHECK(body.at(0, 0) == 3);
  CHECK(body.at(0, 1) == -4);
  CHECK(head.at(0, 0) == 3.5f);  // relu(3) + relu(-4) + 0.5
}

TEST_CASE("the arena is sized once; forward of the same batch allocates nothing", "[core]") {
  ts::Model<ts::Sequential<ts::Conv2d<4, 3, 1, 1>, ts::ReLU, ts::Flatten, ts::Linear<3>>, ts::Shape<2, 6, 6>> m;
  m.reserve(8);
  ts::Tensor<ts::Shape<2, 6, 6>> x(8, 1.0f);
  const float* first = m.forward(x).data();
  const float* second = m.forward(x).data();
  CHECK(first == second);
  ts::Tensor<ts::Shape<2, 6, 6>> small(3, 1.0f);
  CHECK(m.forward(small).batch() == 3);
}

TEST_CASE("summary lists every layer with path, type, output shape and parameters", "[core]") {
  ts::Model<ts::Sequential<ts::Conv2d<4, 3, 1, 1, ts::no_bias>, ts::Named<"act", ts::LeakyReLU<0.2>>>,
            ts::Shape<3, 8, 8>> m;
  const std::string s = m.summary(16);
  CHECK_THAT(s, Catch::Matchers::Contains("0: Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)"));
  CHECK_THAT(s, Catch::Matchers::Contains("[16, 4, 8, 8]"));
  CHECK_THAT(s, Catch::Matchers::Contains("act: LeakyReLU(negative_slope=0.2)"));
  CHECK_THAT(s, Catch::Matchers::Contains("Total params: 108"));
}

TEST_CASE("the same seed gives the same initial parameters, PyTorch's default bounds", "[core]") {
  using Net = ts::Sequential<ts::Linear<16>>;
  ts::Model<Net, ts::Shape<100>> a(7), b(7), c(8);
  CHECK(std::equal(a.parameter_values().begin(), a.parameter_values().end(), b.parameter_values().begin()));
  CHECK(!std::equal(a.parameter_values().begin(), a.parameter_values().end(), c.parameter_values().begin()));
  for (float v : a.parameter_values()) REQUIRE(std::abs(v) <= 0.1f);  // 1/sqrt(100)
}
