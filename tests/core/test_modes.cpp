// Per-submodule train/eval modes, as PyTorch's module.train() / module.eval() on a submodule:
// checked against PyTorch (tests/fixtures/make_norm_grad_fixtures.py, case mixed_modes_grad) and
// for the rules of the API itself.
#include <catch2/catch.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <tessera/tessera.hpp>

#include "../support/fixtures.hpp"

namespace {

namespace ts = tessera;
using ts::testing::check_close;
using ts::testing::fixture_values;

// torch: Sequential(Sequential(Linear(5, 8), BatchNorm1d(8), ReLU(), Dropout(0.5), Linear(8, 4),
// BatchNorm1d(4))), so the names are "0.0.weight", ...
using Net = ts::Sequential<ts::Sequential<ts::Linear<8>, ts::BatchNorm1d<>, ts::ReLU, ts::Dropout<0.5>,
                                          ts::Linear<4>, ts::BatchNorm1d<>>>;
using In = ts::Shape<5>;

template <class T>
void check_mixed_modes() {
  using Entry = ts::TensorEntry<T>;
  INFO((std::is_same_v<T, float> ? "float" : "double"));
  const auto file = ts::testing::fixture("mixed_modes_grad");
  REQUIRE(file.metadata.at("mode") == "mixed_modes");

  ts::Model<Net, In, ts::Cpu, T> model;
  for (const Entry& e : model.tensors()) {
    if (e.kind == Entry::Kind::counter) continue;
    const auto v = fixture_values<T>(file, e.name);
    REQUIRE(v.size() == e.size());
    std::copy(v.begin(), v.end(), e.value);
  }
  // model.train(); model[0][3].eval(); model[0][5].eval()
  model.train();
  model.eval("0.3");
  model.eval("0.5");
  CHECK(model.is_training());
  CHECK(model.is_training("0"));
  CHECK(model.is_training("0.1"));
  CHECK_FALSE(model.is_training("0.3"));
  CHECK_FALSE(model.is_training("0.5"));

  // PyTorch computed in float32: both scalar types are held to float's tolerance.
  const double rtol = 1e-4, atol = 1e-5;
  const auto x = ts::Tensor<In, T>::from(fixture_values<T>(file, "input"));
  const auto y = model.forward(x);
  check_close("output", y.data(), fixture_values<T>(file, "output"), rtol, atol);
  const auto dy = ts::Tensor<ts::Shape<4>, T>::from(fixture_values<T>(file, "dy"));
  model.zero_grad();
  const auto dx = model.backward_to_input(dy);
  check_close("dx", dx.data(), fixture_values<T>(file, "dx"), rtol, atol);
  for (const Entry& e : model.tensors()) {
    if (e.kind == Entry::Kind::parameter)
      check_close("grad." + e.name, e.grad, fixture_values<T>(file, "grad." + e.name), rtol, atol);
    else if (e.kind == Entry::Kind::buffer)  // the first BatchNorm's move, the second's do not
      check_close("after." + e.name, e.value, fixture_values<T>(file, "after." + e.name), rtol, atol);
  }
  std::int64_t first = -1, second = -1;
  for (const Entry& e : model.tensors()) {
    if (e.name == "0.1.num_batches_tracked") first = *e.count;
    if (e.name == "0.5.num_batches_tracked") second = *e.count;
  }
  CHECK(first == 1);
  CHECK(second == 0);
}

}  // namespace

TEST_CASE("modes: BatchNorm training, Dropout and a second BatchNorm in eval, as PyTorch", "[modes][parity]") {
  check_mixed_modes<float>();
  check_mixed_modes<double>();
}

TEST_CASE("modes: a submodule's mode covers its subtree; train() and eval() set every module", "[modes]") {
  ts::Model<Net, In> model(3);
  CHECK(model.is_training());  // PyTorch's modules start in training mode
  model.eval("0");
  CHECK(model.is_training());  // the root keeps its own flag, as in PyTorch
  CHECK_FALSE(model.is_training("0"));
  CHECK_FALSE(model.is_training("0.3"));
  model.train(true, "0.3");
  CHECK(model.is_training("0.3"));
  CHECK_FALSE(model.is_training("0.1"));
  model.train();
  CHECK(model.is_training("0.5"));
  model.eval();
  CHECK_FALSE(model.is_training());
  CHECK_FALSE(model.is_training("0.3"));

  // Dropout off in a training model: the forward is the same as in eval mode, and does not
  // depend on the generator.
  ts::Tensor<In> x(4);
  for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = float(i % 7) - 3.0f;
  model.eval();
  std::vector<float> eval_out;
  {
    const auto y = model.forward(x);
    eval_out.assign(y.data(), y.data() + y.size());
  }
  model.train();
  model.eval("0.1");
  model.eval("0.3");
  model.eval("0.5");
  const auto y = model.forward(x);
  CHECK(std::equal(eval_out.begin(), eval_out.end(), y.data()));
  const auto p = model.predict(x);
  CHECK(std::equal(eval_out.begin(), eval_out.end(), p.data()));
}

TEST_CASE("modes: an unknown submodule is an error that names it", "[modes]") {
  ts::Model<Net, In> model;
  CHECK_THROWS_WITH(model.eval("0.9"), Catch::Contains("'0.9'") && Catch::Contains("no submodule"));
  CHECK_THROWS_WITH(model.train(true, "1"), Catch::Contains("'1'"));
  CHECK_THROWS_WITH(model.is_training("0.3.x"), Catch::Contains("'0.3.x'"));
  CHECK_THROWS_AS(model.eval("0."), std::invalid_argument);
  // A failed call changes nothing.
  CHECK(model.is_training("0.3"));
}
