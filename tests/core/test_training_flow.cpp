// How gradients flow between models and calls: accumulation, zero_grad, frozen parameters, a loss
// on D(G(z)) reaching G through D's input gradient, multi-output backward and misuse errors.
#include <catch2/catch.hpp>

#include <vector>

#include "tessera/tessera.hpp"

namespace ts = tessera;

namespace {
using G = ts::Sequential<ts::Linear<6>, ts::ReLU, ts::Linear<5>>;
using D = ts::Sequential<ts::Linear<4>, ts::ReLU, ts::Linear<1>>;

template <ts::SingleShape S>
ts::Tensor<S, double> random_tensor(ts::index n, std::uint64_t seed) {
  ts::Generator rng(seed);
  ts::Tensor<S, double> t(n);
  for (auto& v : t.span()) v = rng.normal();
  return t;
}
}  // namespace

TEST_CASE("gradients accumulate across backward calls until zero_grad") {
  ts::Model<G, ts::Shape<3>, ts::Cpu, double> g(1);
  const auto z = random_tensor<ts::Shape<3>>(4, 2);
  const auto w = random_tensor<ts::Shape<5>>(4, 3);
  g.forward(z.view());
  g.backward(w.view());
  const std::vector<double> once(g.parameter_grads().begin(), g.parameter_grads().end());
  g.forward(z.view());
  g.backward(w.view());
  for (std::size_t i = 0; i < once.size(); ++i) REQUIRE(g.parameter_grads()[i] == Approx(2 * once[i]));
  g.zero_grad();
  for (double v : g.parameter_grads()) REQUIRE(v == 0);
}

TEST_CASE("a loss on D(G(z)) reaches G through D's input gradient, as one composed model") {
  ts::Model<G, ts::Shape<3>, ts::Cpu, double> g(1);
  ts::Model<D, ts::Shape<5>, ts::Cpu, double> d(2);
  ts::Model<ts::Sequential<G, D>, ts::Shape<3>, ts::Cpu, double> both(0);
  // The composed model gets the same weights: G's block first, then D's.
  auto all = both.parameter_values();
  std::copy(g.parameter_values().begin(), g.parameter_values().end(), all.begin());
  std::copy(d.parameter_values().begin(), d.parameter_values().end(), all.begin() + g.parameter_count);

  const auto z = random_tensor<ts::Shape<3>>(4, 5);
  const auto w = random_tensor<ts::Shape<1>>(4, 6);
  d.requires_grad(false);  // G step: D frozen
  auto fake = g.forward(z.view());
  d.forward(fake);
  auto dfake = d.backward_to_input(w.view());
  g.backward(dfake);
  for (double v : d.parameter_grads()) REQUIRE(v == 0);  // frozen: untouched
  REQUIRE(d.parameters().empty());

  both.forward(z.view());
  both.backward(w.view());
  for (std::size_t i = 0; i < g.parameter_count; ++i)
    REQUIRE(g.parameter_grads()[i] == Approx(both.parameter_grads()[i]).margin(1e-12));
}

TEST_CASE("a detached input: D's backward without an input gradient leaves G alone") {
  ts::Model<G, ts::Shape<3>, ts::Cpu, double> g(1);
  ts::Model<D, ts::Shape<5>, ts::Cpu, double> d(2);
  const auto z = random_tensor<ts::Shape<3>>(4, 5);
  const auto w = random_tensor<ts::Shape<1>>(4, 6);
  auto fake = g.forward(z.view());
  d.forward(fake);
  d.backward(w.view());  // the D step: only D's parameters
  for (double v : g.parameter_grads()) REQUIRE(v == 0);
  bool any = false;
  for (double v : d.parameter_grads()) any |= v != 0;
  REQUIRE(any);
}

TEST_CASE("freezing part of a model by name prefix") {
  ts::Model<G, ts::Shape<3>, ts::Cpu, double> g(1);
  g.requires_grad(false, "0.");
  REQUIRE(g.parameters().size() == 2);
  REQUIRE(g.parameters()[0]->name == "2.weight");
  g.requires_grad(true);
  REQUIRE(g.parameters().size() == 4);
}

TEST_CASE("backward of a multi-output model takes one gradient per output") {
  using Net = ts::Sequential<ts::Linear<4>, ts::Heads<ts::Linear<2>, ts::Linear<3>>>;
  ts::Model<Net, ts::Shape<3>, ts::Cpu, double> m(1);
  const auto x = random_tensor<ts::Shape<3>>(2, 1);
  m.forward(x.view());
  ts::Tensor<ts::Shape<2>, double> d0(2, 0.0);
  const auto d1 = random_tensor<ts::Shape<3>>(2, 2);
  auto dx = m.backward_to_input(d0.view(), d1.view());
  // Only the second head gets a gradient: the first head's weights stay at zero gradient.
  const auto& e = m.tensors();
  REQUIRE(e[2].name == "1.0.weight");
  for (double v : e[2].grads()) REQUIRE(v == 0);
  bool any = false;
  for (double v : dx.span()) any |= v != 0;
  REQUIRE(any);
}

TEST_CASE("misuse: backward before forward, or with another batch size") {
  ts::Model<G, ts::Shape<3>, ts::Cpu, double> g(1);
  const auto w = random_tensor<ts::Shape<5>>(4, 3);
  REQUIRE_THROWS_WITH(g.backward(w.view()), Catch::Contains("call forward first"));
  const auto z = random_tensor<ts::Shape<3>>(2, 5);
  g.forward(z.view());
  REQUIRE_THROWS_WITH(g.backward(w.view()), Catch::Contains("batch (4) differs from the forward's (2)"));
}

TEST_CASE("a training step allocates its arena once") {
  ts::Model<G, ts::Shape<3>, ts::Cpu, float> g(1);
  ts::Tensor<ts::Shape<3>> z(8, 0.5f);
  ts::Tensor<ts::Shape<5>> w(8, 1.0f);
  g.forward(z.view());
  g.backward_to_input(w.view());
  const float* before = g.forward(z.view()).data();
  g.backward_to_input(w.view());
  REQUIRE(g.forward(z.view()).data() == before);
}

TEST_CASE("predict gives forward's output without keeping activations") {
  using Net = ts::Sequential<ts::Linear<16>, ts::ReLU, ts::Residual<ts::Sequential<ts::Linear<16>, ts::ReLU>>,
                             ts::Heads<ts::Linear<2>, ts::Sequential<ts::Linear<8>, ts::ReLU, ts::Linear<3>>>>;
  using M = ts::Model<Net, ts::Shape<5>, ts::Cpu, double>;
  static_assert(M::inference_bytes_per_sample < M::activation_bytes_per_sample);
  M m(3);
  const auto x = random_tensor<ts::Shape<5>>(3, 4);
  auto [a0, a1] = m.forward(x.view());
  const std::vector<double> f0(a0.span().begin(), a0.span().end()), f1(a1.span().begin(), a1.span().end());
  auto [p0, p1] = m.predict(x.view());
  for (std::size_t i = 0; i < f0.size(); ++i) REQUIRE(p0[i] == f0[i]);
  for (std::size_t i = 0; i < f1.size(); ++i) REQUIRE(p1[i] == f1[i]);
}
