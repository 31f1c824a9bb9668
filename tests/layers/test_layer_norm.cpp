// LayerNorm (layers/layer_norm.hpp): parity with PyTorch's nn.LayerNorm, forward and backward
// (tests/fixtures/make_norm_grad_fixtures.py, the layernorm_* cases), finite differences in double,
// parameter gradients that accumulate, the variant without affine parameters against its closed
// form, float statistics of an input far from zero, samples kept apart, and the names, counts,
// description and shape rules.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include <tessera/tessera.hpp>

#include "../support/entries.hpp"
#include "../support/fixtures.hpp"
#include "../support/gradcheck.hpp"

namespace {

namespace ts = tessera;
using ts::testing::check_close;
using ts::testing::entry_named;
using ts::testing::fixture_record;
using ts::testing::fixture_values;
using ts::testing::names_of;

// Loads the fixture's weight and bias (if any) into Model<Sequential<Spec>, In, Cpu, T>, runs one
// forward and the backward of its "dy" from zeroed gradients, and compares the output, "dx" and
// "grad.0.weight" / "grad.0.bias" with PyTorch's (float32, at fixtures.hpp's default tolerances).
template <class Spec, class In, class T>
void check_parity(const std::string& case_name, const std::vector<std::string>& parameters) {
  using Model = ts::Model<ts::Sequential<Spec>, In, ts::Cpu, T>;
  INFO("case " << case_name << " (" << (std::is_same_v<T, float> ? "float" : "double") << ")");
  const auto file = ts::testing::fixture(case_name);

  Model model;
  REQUIRE(names_of(model) == parameters);
  for (const auto& e : model.tensors()) {
    REQUIRE(fixture_record(file, e.name).shape == e.dims);
    const std::vector<T> v = fixture_values<T>(file, e.name);
    REQUIRE(v.size() == e.size());
    std::copy(v.begin(), v.end(), e.value);
  }
  const auto x = ts::Tensor<In, T>::from(fixture_values<T>(file, "input"));
  const auto y = model.forward(x);
  check_close("output", y.data(), fixture_values<T>(file, "output"));

  const auto dy = ts::Tensor<In, T>::from(fixture_values<T>(file, "dy"));
  REQUIRE(dy.batch() == x.batch());
  model.zero_grad();
  const auto dx = model.backward_to_input(dy);
  check_close("dx", dx.data(), fixture_values<T>(file, "dx"));
  for (const auto& e : model.tensors())
    check_close("grad." + e.name, e.grad, fixture_values<T>(file, "grad." + e.name));
}

template <class Spec, class In>
void check_float_and_double(const std::string& case_name,
                            const std::vector<std::string>& parameters = {"0.weight", "0.bias"}) {
  check_parity<Spec, In, float>(case_name, parameters);
  check_parity<Spec, In, double>(case_name, parameters);
}

// Mean and biased variance of each run of `size` values, in double.
std::vector<std::pair<double, double>> statistics(const auto* v, std::size_t count,
                                                  std::size_t size) {
  std::vector<std::pair<double, double>> out;
  for (std::size_t at = 0; at < count; at += size) {
    double sum = 0, squares = 0;
    for (std::size_t i = 0; i < size; ++i) sum += double(v[at + i]);
    const double mean = sum / double(size);
    for (std::size_t i = 0; i < size; ++i)
      squares += (double(v[at + i]) - mean) * (double(v[at + i]) - mean);
    out.emplace_back(mean, squares / double(size));
  }
  return out;
}

}  // namespace

TEST_CASE("LayerNorm: PyTorch parity of the output and of the input and parameter gradients",
          "[layers][layer_norm][parity]") {
  // nn.LayerNorm([4, 5, 6]) on NCHW: each sample as a whole.
  check_float_and_double<ts::LayerNorm<>, ts::Shape<4, 5, 6>>("layernorm_chw_grad");
  // nn.LayerNorm(10) on a flat input, whose mean (20) is large beside its spread (0.5).
  check_float_and_double<ts::LayerNorm<>, ts::Shape<10>>("layernorm_flat_grad");
  // nn.LayerNorm(5) on Shape<3, 4, 5>: each row of the last extent on its own.
  check_float_and_double<ts::LayerNorm<1>, ts::Shape<3, 4, 5>>("layernorm_last1_grad");
  // nn.LayerNorm([4, 5], eps=1e-3, elementwise_affine=False) on an input of spread 0.1, where eps
  // shows in the output.
  check_float_and_double<ts::LayerNorm<2, 1e-3, false>, ts::Shape<3, 4, 5>>(
      "layernorm_last2_noaffine_grad", {});
}

TEST_CASE("LayerNorm: finite differences in double", "[layers][layer_norm][gradcheck]") {
  using ts::testing::check_gradients;
  check_gradients<ts::LayerNorm<>, ts::Shape<3, 4, 5>>();
  check_gradients<ts::LayerNorm<>, ts::Shape<7>>();
  check_gradients<ts::LayerNorm<1>, ts::Shape<3, 4, 5>>();
  check_gradients<ts::LayerNorm<2, 0.1>, ts::Shape<3, 4, 5>>();
  check_gradients<ts::LayerNorm<2, 1e-5, false>, ts::Shape<3, 4, 5>>();
  // Positions within a group beyond the first block of 64 that the parameter gradients sum over.
  check_gradients<ts::LayerNorm<>, ts::Shape<2, 9, 9>>({.batch = 2, .coordinates = 60});
  // A WGAN-GP critic's block: convolution, LayerNorm over (C, H, W), LeakyReLU, and a score.
  using Critic = ts::Sequential<ts::Conv2d<4, 3, 2, 1>, ts::LayerNorm<>, ts::LeakyReLU<0.2>,
                                ts::Flatten, ts::Linear<1>>;
  check_gradients<Critic, ts::Shape<2, 6, 6>>();
}

TEST_CASE("LayerNorm: parameter gradients add up over backward calls while dx is overwritten",
          "[layers][layer_norm]") {
  using S = ts::Shape<3, 4>;
  ts::Model<ts::LayerNorm<>, S, ts::Cpu, double> model;
  ts::Generator rng(5);
  for (double& v : model.parameter_values()) v += rng.normal(0, 0.3);
  ts::Tensor<S, double> x(2), dy(2);
  for (double& v : x.span()) v = rng.normal(1, 2);
  for (double& v : dy.span()) v = rng.normal();

  model.forward(x);
  model.zero_grad();
  const auto dx = model.backward_to_input(dy);
  const std::vector<double> once(model.parameter_grads().begin(), model.parameter_grads().end());
  const std::vector<double> dx_once(dx.data(), dx.data() + dx.size());
  REQUIRE(std::any_of(once.begin(), once.end(), [](double g) { return std::abs(g) > 1e-3; }));

  const auto dx_again = model.backward_to_input(dy);
  for (std::size_t i = 0; i < once.size(); ++i)
    CHECK(model.parameter_grads()[i] == Approx(2 * once[i]));
  for (std::size_t i = 0; i < dx_once.size(); ++i) CHECK(dx_again.data()[i] == Approx(dx_once[i]));

  // A frozen model computes the input gradient only.
  model.requires_grad(false);
  model.zero_grad();
  const auto dx_frozen = model.backward_to_input(dy);
  for (double g : model.parameter_grads()) CHECK(g == 0);
  for (std::size_t i = 0; i < dx_once.size(); ++i) CHECK(dx_frozen.data()[i] == Approx(dx_once[i]));
}

TEMPLATE_TEST_CASE("LayerNorm without affine parameters: (x - mean) / sqrt(var + eps) per group",
                   "[layers][layer_norm]", float, double) {
  using T = TestType;
  using S = ts::Shape<3, 4, 5>;
  ts::Model<ts::LayerNorm<2, 0.01, false>, S, ts::Cpu, T> model;
  static_assert(decltype(model)::parameter_count == 0);
  CHECK(model.tensors().empty());
  ts::Tensor<S, T> x(2);
  ts::Generator rng(3);
  for (T& v : x.span()) v = T(rng.normal(-1, 0.3));
  const auto y = model.forward(x);
  // Groups of 4 x 5 values, three per sample.
  const auto stats = statistics(x.data(), x.size(), 20);
  REQUIRE(stats.size() == 6);
  const double rel = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  for (std::size_t g = 0; g < stats.size(); ++g) {
    const auto [mean, var] = stats[g];
    for (std::size_t i = 0; i < 20; ++i) {
      const double want = (double(x.data()[g * 20 + i]) - mean) / std::sqrt(var + 0.01);
      CHECK(double(y.data()[g * 20 + i]) == Approx(want).epsilon(rel).margin(rel));
    }
  }
}

TEST_CASE("LayerNorm in float: statistics of an input far from zero", "[layers][layer_norm]") {
  // Mean 1000, spread 1: E[x^2] - mean^2 summed in float would lose the variance altogether.
  using S = ts::Shape<8, 8, 8>;
  ts::Model<ts::LayerNorm<>, S> model;
  ts::Tensor<S> x(2);
  ts::Generator rng(11);
  for (float& v : x.span()) v = float(1000 + rng.normal());
  const auto y = model.forward(x);
  const auto in = statistics(x.data(), x.size(), S::size);
  const auto out = statistics(y.data(), y.size(), S::size);
  for (std::size_t s = 0; s < 2; ++s) {
    INFO("sample " << s);
    CHECK(out[s].first == Approx(0).margin(1e-4));
    CHECK(out[s].second == Approx(in[s].second / (in[s].second + 1e-5)).epsilon(1e-4));
  }
}

TEST_CASE("LayerNorm keeps samples apart: one sample's output and gradient ignore the others",
          "[layers][layer_norm]") {
  using S = ts::Shape<2, 3, 3>;
  ts::Model<ts::LayerNorm<>, S, ts::Cpu, double> model, single;
  ts::Generator rng(7);
  for (double& v : model.parameter_values()) v += rng.normal(0, 0.3);
  std::copy(model.parameter_values().begin(), model.parameter_values().end(),
            single.parameter_values().begin());
  ts::Tensor<S, double> x(3), dy(3), x0(1), dy0(1);
  for (double& v : x.span()) v = rng.normal(0, 2);
  for (double& v : dy.span()) v = rng.normal();
  std::copy(x.data(), x.data() + S::size, x0.data());
  std::copy(dy.data(), dy.data() + S::size, dy0.data());

  const auto y = model.forward(x);
  const auto y0 = single.forward(x0);
  for (std::size_t i = 0; i < S::size; ++i)
    CHECK(y.data()[i] == Approx(y0.data()[i]).epsilon(1e-12));
  const auto dx = model.backward_to_input(dy);
  const auto dx0 = single.backward_to_input(dy0);
  for (std::size_t i = 0; i < S::size; ++i)
    CHECK(dx.data()[i] == Approx(dx0.data()[i]).epsilon(1e-12));
}

TEST_CASE("LayerNorm: state_dict names and counts and its description and shape rules",
          "[layers][layer_norm]") {
  // As PyTorch names and counts them:
  //   nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1), nn.LayerNorm([8, 6, 6]), nn.LeakyReLU(0.2))
  using Net = ts::Sequential<ts::Conv2d<8, 3, 1, 1>, ts::LayerNorm<>, ts::LeakyReLU<0.2>>;
  ts::Model<Net, ts::Shape<3, 6, 6>> net;
  static_assert(decltype(net)::parameter_count == (8 * 3 * 9 + 8) + 2 * 8 * 6 * 6);
  CHECK(names_of(net) == std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias"});
  CHECK(entry_named(net, "1.weight").dims == ts::Dims{8, 6, 6});
  for (float w : entry_named(net, "1.weight").values()) CHECK(w == 1);
  for (float b : entry_named(net, "1.bias").values()) CHECK(b == 0);

  ts::Model<ts::LayerNorm<1>, ts::Shape<3, 4, 5>> last;
  static_assert(decltype(last)::parameter_count == 2 * 5);
  CHECK(entry_named(last, "weight").dims == ts::Dims{5});
  using LastTwo = ts::LayerNorm<2>::Module<ts::Shape<3, 4, 5>, float, ts::Cpu>;
  static_assert(LastTwo::group_size == 20 && LastTwo::groups == 3 && LastTwo::keep_size == 6);

  CHECK(ts::LayerNorm<>::Module<ts::Shape<64, 8, 8>, float, ts::Cpu>::describe() ==
        "LayerNorm((64, 8, 8), eps=1e-05, elementwise_affine=True)");
  CHECK(ts::LayerNorm<>::Module<ts::Shape<10>, float, ts::Cpu>::describe() ==
        "LayerNorm((10,), eps=1e-05, elementwise_affine=True)");
  CHECK(ts::LayerNorm<1, 1e-3, false>::Module<ts::Shape<3, 4, 5>, double, ts::Cpu>::describe() ==
        "LayerNorm((5,), eps=0.001, elementwise_affine=False)");
  CHECK(ts::LayerNorm<2>::Module<ts::Shape<3, 4, 5>, float, ts::Cpu>::describe() ==
        "LayerNorm((4, 5), eps=1e-05, elementwise_affine=True)");

  static_assert(ts::shape_ok<ts::LayerNorm<>, ts::Shape<1>>);
  static_assert(ts::shape_ok<ts::LayerNorm<3>, ts::Shape<3, 4, 5>>);
  static_assert(std::is_same_v<decltype(ts::LayerNorm<4>::check<ts::Shape<3, 4, 5>>()),
                               ts::Rule<"LayerNorm<K> normalises the last K extents: K must be "
                                        "from 1 to the rank of the input",
                                        ts::layer_norm_dims<4>>>);
  static_assert(!ts::shape_ok<ts::LayerNorm<0>, ts::Shape<3, 4, 5>>);
  static_assert(!ts::shape_ok<ts::LayerNorm<-2>, ts::Shape<3>>);
  static_assert(!ts::shape_ok<ts::LayerNorm<>, ts::Shape<>>);
  static_assert(!ts::shape_ok<ts::LayerNorm<>, ts::Shapes<ts::Shape<3>, ts::Shape<3>>>);
}
