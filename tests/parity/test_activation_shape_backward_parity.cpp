// Backward parity with PyTorch for the activations and shape layers whose gradients do arithmetic:
// each case loads tests/fixtures/<case>.safetensors, written by
// tests/fixtures/make_act_grad_fixtures.py from one forward and one backward of a PyTorch layer,
// runs the same in tessera (float, and double against the same float numbers) and compares the
// output, the input gradient and, for Embedding, the weight gradient.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <tessera/io/safetensors.hpp>
#include <tessera/tessera.hpp>
#include <type_traits>
#include <vector>

#include "../support/fixtures.hpp"

namespace {

namespace ts = tessera;
namespace io = tessera::io;
using ts::testing::check_close;
using ts::testing::fixture;
using ts::testing::fixture_record;
using ts::testing::record_values;

// The shape a batch of per-sample shape S has in PyTorch.
template <class S>
std::vector<std::int64_t> batched(std::int64_t n) {
  std::vector<std::int64_t> dims{n};
  dims.insert(dims.end(), S::dims.begin(), S::dims.end());
  return dims;
}

// Sequential<Layer> bound to In in T, its state_dict loaded from the fixture; forward of "input",
// backward of "dy", compared with "output", "dx" (or, where the fixture has none, an input
// gradient of zeros: Embedding's labels) and "grad.<name>" for each parameter.
template <class Layer, class In, class T>
void check_backward_fixture(const std::string& case_name) {
  using Model = ts::Model<ts::Sequential<Layer>, In, ts::Cpu, T>;
  using Out = typename Model::Output;
  INFO("case " << case_name << " (" << (std::is_same_v<T, float> ? "float" : "double") << ")");
  const io::SafetensorsFile file = fixture(case_name);

  Model model;
  for (const auto& e : model.tensors()) {
    const io::TensorRecord& r = fixture_record(file, e.name);
    REQUIRE(r.shape == e.dims);
    const std::vector<T> v = record_values<T>(r);
    std::copy(v.begin(), v.end(), e.value);
  }

  const io::TensorRecord& input = fixture_record(file, "input");
  const std::int64_t n = input.shape.at(0);
  REQUIRE(input.shape == batched<In>(n));
  REQUIRE(fixture_record(file, "dy").shape == batched<Out>(n));
  const auto x = ts::Tensor<In, T>::from(record_values<T>(input));
  const auto dy = ts::Tensor<Out, T>::from(record_values<T>(fixture_record(file, "dy")));

  model.zero_grad();
  const auto y = model.forward(x);
  check_close("output", y.data(), record_values<T>(fixture_record(file, "output")));
  const auto dx = model.backward_to_input(dy);
  if (file.tensors.count("dx")) {
    REQUIRE(fixture_record(file, "dx").shape == batched<In>(n));
    check_close("dx", dx.data(), record_values<T>(fixture_record(file, "dx")));
  } else {
    CHECK(std::all_of(dx.data(), dx.data() + dx.size(), [](T v) { return v == T(0); }));
  }
  for (const auto& e : model.tensors())
    if (e.kind == ts::TensorEntry<T>::Kind::parameter)
      check_close("grad." + e.name, e.grad, record_values<T>(fixture_record(file, "grad." + e.name)));
}

template <class Layer, class In>
void check_float_and_double(const std::string& case_name) {
  check_backward_fixture<Layer, In, float>(case_name);
  check_backward_fixture<Layer, In, double>(case_name);
}

}  // namespace

TEST_CASE("backward parity: bilinear Upsample and Resize", "[parity][backward]") {
  check_float_and_double<ts::Upsample<2, ts::UpsampleMode::bilinear>, ts::Shape<3, 4, 5>>(
      "upsample_bilinear2_grad");
  check_float_and_double<ts::Upsample<3, ts::UpsampleMode::bilinear>, ts::Shape<2, 3, 4>>(
      "upsample_bilinear3_grad");
  check_float_and_double<ts::Resize<4, 3>, ts::Shape<2, 7, 5>>("resize_down_grad");
}

TEST_CASE("backward parity: ReflectionPad2d", "[parity][backward]") {
  check_float_and_double<ts::ReflectionPad2d<3, 1, 2, 3>, ts::Shape<2, 4, 5>>(
      "reflectionpad2d_grad");
}

TEST_CASE("backward parity: Softmax and LogSoftmax", "[parity][backward]") {
  check_float_and_double<ts::Softmax, ts::Shape<5>>("softmax_grad");
  check_float_and_double<ts::Softmax, ts::Shape<4, 3, 3>>("softmax_4d_grad");
  check_float_and_double<ts::LogSoftmax, ts::Shape<5>>("log_softmax_grad");
  check_float_and_double<ts::LogSoftmax, ts::Shape<4, 3, 3>>("log_softmax_4d_grad");
}

TEST_CASE("backward parity: ELU", "[parity][backward]") {
  check_float_and_double<ts::ELU<0.7>, ts::Shape<3, 4, 4>>("elu_grad");
}

TEST_CASE("backward parity: Embedding", "[parity][backward]") {
  check_float_and_double<ts::Embedding<10, 4>, ts::Shape<>>("embedding_grad");
  check_float_and_double<ts::Embedding<10, 4>, ts::Shape<5>>("embedding_seq_grad");
}
