// SpectralNorm (layers/spectral_norm.hpp): parity with PyTorch's nn.utils.spectral_norm over three
// training steps and an evaluation forward (tests/fixtures/make_norm_grad_fixtures.py, the
// spectral_norm_* cases), finite differences, gradient accumulation and freezing, the buffers
// through save and load, and the names, counts and shape rules.
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
#include "../support/temp_dir.hpp"

namespace {

namespace ts = tessera;
using ts::testing::check_close;
using ts::testing::entry_named;
using ts::testing::fixture_values;
using ts::testing::names_of;

template <class M>
auto values_of(const M& model, const std::string& name) {
  const auto values = entry_named(model, name).values();
  return std::vector<typename M::scalar>(values.begin(), values.end());
}

double norm_of(const auto& values) {
  double squares = 0;
  for (auto v : values) squares += double(v) * double(v);
  return std::sqrt(squares);
}

// The fixture's steps in Model<Sequential<Spec>, In, Cpu, T>: from PyTorch's initial state, per
// step a training forward, backward and SGD step (lr 0.1), comparing the output, u, v, sigma and
// the gradients; then an evaluation forward, which must leave u and v alone. The reference is
// float64, so double is held to 1e-10.
template <class Spec, class In, class T>
void check_steps(const std::string& case_name) {
  using Model = ts::Model<ts::Sequential<Spec>, In, ts::Cpu, T>;
  using Out = typename Model::Output;
  INFO("case " << case_name << " (" << (std::is_same_v<T, float> ? "float" : "double") << ")");
  const double rtol = std::is_same_v<T, float> ? 1e-4 : 1e-10, atol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  auto close = [&](const std::string& what, const T* got, const std::vector<double>& want) {
    check_close(what, got, want, rtol, atol);
  };
  const auto file = ts::testing::fixture(case_name);
  const double lr = std::stod(file.metadata.at("lr"));
  const int steps = std::stoi(file.metadata.at("steps"));

  Model model;
  const std::vector<std::string> names{"0.bias", "0.weight_orig", "0.weight_u", "0.weight_v"};
  REQUIRE(names_of(model) == names);
  for (const auto& e : model.tensors()) {
    const auto& record = ts::testing::fixture_record(file, e.name);
    REQUIRE(record.shape == e.dims);
    const auto values = ts::testing::record_values<T>(record);
    std::copy(values.begin(), values.end(), e.value);
  }
  const auto& sn = model.module().template layer<0>();

  model.train();
  for (int k = 0; k < steps; ++k) {
    const std::string step = "step" + std::to_string(k) + ".";
    INFO("step " << k);
    const auto x = ts::Tensor<In, T>::from(fixture_values<T>(file, step + "input"));
    const auto y = model.forward(x);
    close("output", y.data(), fixture_values<double>(file, step + "output"));
    close("u", entry_named(model, "0.weight_u").value, fixture_values<double>(file, step + "u"));
    close("v", entry_named(model, "0.weight_v").value, fixture_values<double>(file, step + "v"));
    close("sigma", sn.sigma, fixture_values<double>(file, step + "sigma"));

    const auto dy = ts::Tensor<Out, T>::from(fixture_values<T>(file, step + "dy"));
    model.zero_grad();
    const auto dx = model.backward_to_input(dy);
    close("dx", dx.data(), fixture_values<double>(file, step + "dx"));
    for (const std::string name : {"0.bias", "0.weight_orig"}) {
      const auto& e = entry_named(model, name);
      close("grad." + name, e.grad, fixture_values<double>(file, step + "grad." + name));
      for (std::size_t i = 0; i < e.size(); ++i) e.value[i] -= T(lr) * e.grad[i];
    }
  }

  model.eval();
  const auto u = values_of(model, "0.weight_u"), v = values_of(model, "0.weight_v");
  const auto x = ts::Tensor<In, T>::from(fixture_values<T>(file, "eval.input"));
  const auto y = model.forward(x);
  close("eval output", y.data(), fixture_values<double>(file, "eval.output"));
  close("eval sigma", sn.sigma, fixture_values<double>(file, "eval.sigma"));
  CHECK(values_of(model, "0.weight_u") == u);
  CHECK(values_of(model, "0.weight_v") == v);
}

}  // namespace

TEMPLATE_TEST_CASE("SpectralNorm matches nn.utils.spectral_norm over training steps and in evaluation",
                   "[layers][spectral_norm][parity]", float, double) {
  check_steps<ts::SpectralNorm<ts::Linear<4>>, ts::Shape<6>, TestType>("spectral_norm_linear");
  check_steps<ts::SpectralNorm<ts::Conv2d<4, 3, 1, 1>, 2>, ts::Shape<2, 4, 4>, TestType>("spectral_norm_conv2d");
}

TEST_CASE("SpectralNorm: finite differences with u and v fixed (evaluation)", "[layers][spectral_norm][gradcheck]") {
  using ts::testing::check_gradients;
  check_gradients<ts::SpectralNorm<ts::Linear<4>>, ts::Shape<5>>({.training = false});
  check_gradients<ts::SpectralNorm<ts::Conv2d<3, 3, 2, 1>>, ts::Shape<2, 5, 5>>({.training = false});
  check_gradients<ts::Sequential<ts::SpectralNorm<ts::Linear<4, ts::no_bias>>, ts::Tanh,
                                 ts::SpectralNorm<ts::Linear<1>>>,
                  ts::Shape<3>>({.training = false});
}

TEST_CASE("SpectralNorm: training gradients hold u and v constant, accumulate, and stop when frozen",
          "[layers][spectral_norm]") {
  using S = ts::Shape<2, 4, 4>;
  using Net = ts::SpectralNorm<ts::Conv2d<3, 3, 1, 1>>;
  ts::Model<Net, S, ts::Cpu, double> model(5);
  ts::Generator g(6);
  ts::Tensor<S, double> x(2);
  ts::Tensor<ts::Shape<3, 4, 4>, double> dy(2);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = g.normal();
  for (std::size_t i = 0; i < dy.size(); ++i) dy[i] = g.normal();

  model.forward(x);  // a power iteration moves u and v
  model.zero_grad();
  const auto dx_view = model.backward_to_input(dy);
  const std::vector<double> dx(dx_view.data(), dx_view.data() + dx_view.size());
  const std::vector<double> grads(model.parameter_grads().begin(), model.parameter_grads().end());

  // Evaluation at the u and v the training forward left computes the same weight, and the same
  // gradients: the training gradient has no term for u and v.
  model.eval();
  model.forward(x);
  model.zero_grad();
  model.backward(dy);
  for (std::size_t i = 0; i < grads.size(); ++i) CHECK(model.parameter_grads()[i] == Approx(grads[i]).margin(1e-14));

  // A second backward adds the same again, through the layer's zeroed working gradient.
  model.backward(dy);
  for (std::size_t i = 0; i < grads.size(); ++i)
    CHECK(model.parameter_grads()[i] == Approx(2 * grads[i]).margin(1e-14));

  // Frozen: the input gradient still flows, the parameters' are left alone.
  model.requires_grad(false);
  const std::vector<double> before(model.parameter_grads().begin(), model.parameter_grads().end());
  const auto frozen_dx = model.backward_to_input(dy);
  for (std::size_t i = 0; i < dx.size(); ++i) CHECK(frozen_dx[i] == Approx(dx[i]).margin(1e-14));
  CHECK(std::equal(before.begin(), before.end(), model.parameter_grads().begin()));
}

TEST_CASE("SpectralNorm: u and v are buffers drawn from the model's generator, saved and loaded",
          "[layers][spectral_norm]") {
  using Net = ts::Sequential<ts::SpectralNorm<ts::Conv2d<4, 3>>, ts::Flatten, ts::SpectralNorm<ts::Linear<2>>>;
  using S = ts::Shape<2, 5, 5>;
  ts::Model<Net, S> model(1);
  CHECK(names_of(model) == std::vector<std::string>{"0.bias", "0.weight_orig", "0.weight_u", "0.weight_v",
                                                    "2.bias", "2.weight_orig", "2.weight_u", "2.weight_v"});
  CHECK(entry_named(model, "0.weight_u").dims == ts::Dims{4});
  CHECK(entry_named(model, "0.weight_v").dims == ts::Dims{18});
  CHECK(entry_named(model, "2.weight_v").dims == ts::Dims{36});
  CHECK(entry_named(model, "0.weight_u").kind == ts::TensorEntry<float>::Kind::buffer);

  // A seed fixes them: N(0, 1) draws normalised to length 1, as PyTorch starts them.
  CHECK(values_of(ts::Model<Net, S>(1), "0.weight_u") == values_of(model, "0.weight_u"));
  CHECK(values_of(ts::Model<Net, S>(2), "0.weight_u") != values_of(model, "0.weight_u"));
  for (const std::string name : {"0.weight_u", "0.weight_v", "2.weight_u", "2.weight_v"})
    CHECK(norm_of(values_of(model, name)) == Approx(1).epsilon(1e-6));
  ts::Tensor<S> x(3);
  ts::Generator g(3);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(g.normal());
  model.forward(x);
  model.forward(x);
  for (const std::string name : {"0.weight_u", "0.weight_v", "2.weight_u", "2.weight_v"})
    CHECK(norm_of(values_of(model, name)) == Approx(1).epsilon(1e-6));

  ts::testing::TempDir dir("tessera_spectral_norm");
  const std::string path = (dir / "sn.safetensors").string();
  model.save(path);
  ts::Model<Net, S> other(9);
  other.load(path);
  for (const auto& e : model.tensors()) CHECK(values_of(other, e.name) == values_of(model, e.name));
  model.eval();
  other.eval();
  const auto y = model.forward(x);
  const std::vector<float> want(y.data(), y.data() + y.size());
  const auto got = other.forward(x);
  CHECK(std::equal(want.begin(), want.end(), got.data()));
}

TEST_CASE("SpectralNorm: counts, description and shape rules", "[layers][spectral_norm]") {
  using Conv = ts::Conv2d<8, 3, 1, 1>;
  using M = ts::SpectralNorm<Conv>::Module<ts::Shape<3, 6, 6>, float, ts::Cpu>;
  using Inner = Conv::Module<ts::Shape<3, 6, 6>, float, ts::Cpu>;
  static_assert(M::rows == 8 && M::cols == 27);
  static_assert(M::parameter_count == Inner::parameter_count && M::buffer_count == 8 + 27);
  static_assert(std::is_same_v<M::output_shape, Inner::output_shape>);
  static_assert(ts::SpectralNorm<ts::Linear<5, ts::no_bias>>::Module<ts::Shape<7>, double, ts::Cpu>::cols == 7);
  CHECK(M::describe() == Inner::describe());

  static_assert(ts::shape_ok<ts::SpectralNorm<ts::Linear<3>>, ts::Shape<4>>);
  static_assert(!ts::shape_ok<ts::SpectralNorm<ts::Linear<3>>, ts::Shape<2, 2>>);  // Linear's own rule
  static_assert(!ts::shape_ok<ts::SpectralNorm<ts::ConvTranspose2d<4, 3>>, ts::Shape<3, 6, 6>>);
  static_assert(!ts::shape_ok<ts::SpectralNorm<ts::BatchNorm2d<>>, ts::Shape<3, 6, 6>>);
  static_assert(!ts::shape_ok<ts::SpectralNorm<ts::Named<"fc", ts::Linear<3>>>, ts::Shape<4>>);
}
