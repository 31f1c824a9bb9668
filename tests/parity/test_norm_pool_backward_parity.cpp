// Backward parity with PyTorch for the normalisation and pooling layers: each case loads
// tests/fixtures/<case>.safetensors, written by tests/fixtures/make_norm_grad_fixtures.py from one
// forward and backward of a PyTorch layer with randomised parameters and buffers, runs the same
// step in tessera and compares the output, the input gradient and every parameter gradient.
#include <catch2/catch.hpp>

#include <string>
#include <type_traits>
#include <vector>

#include <tessera/io/safetensors.hpp>
#include <tessera/tessera.hpp>

#include "../support/fixtures.hpp"

namespace {

namespace ts = tessera;
namespace io = tessera::io;
using ts::testing::check_close;
using ts::testing::fixture;
using ts::testing::fixture_record;
using ts::testing::record_values;

// Loads the fixture's state into Model<Spec, In, Cpu, T>, runs forward in the fixture's mode and
// backward of its "dy", and compares with PyTorch's output, "dx" and "grad.<parameter>".
template <class Spec, class In, class T>
void check_backward(const std::string& case_name) {
  using Model = ts::Model<Spec, In, ts::Cpu, T>;
  using Entry = ts::TensorEntry<T>;
  INFO("case " << case_name << " (" << (std::is_same_v<T, float> ? "float" : "double") << ")");
  const io::SafetensorsFile file = fixture(case_name);
  const auto mode = file.metadata.find("mode");
  REQUIRE(mode != file.metadata.end());

  Model model;
  std::size_t parameters = 0;
  for (const Entry& e : model.tensors()) {
    const io::TensorRecord& r = fixture_record(file, e.name);
    REQUIRE(r.shape == e.dims);
    if (e.kind == Entry::Kind::counter) continue;  // does not enter the arithmetic
    const std::vector<T> v = record_values<T>(r);
    REQUIRE(v.size() == e.size());
    std::copy(v.begin(), v.end(), e.value);
    parameters += e.kind == Entry::Kind::parameter;
  }

  model.train(mode->second == "train");
  const auto x = ts::Tensor<In, T>::from(record_values<T>(fixture_record(file, "input")));
  const auto y = model.forward(x);
  check_close("output", y.data(), record_values<T>(fixture_record(file, "output")));
  using Out = typename Model::Output;
  const auto dy = ts::Tensor<Out, T>::from(record_values<T>(fixture_record(file, "dy")));
  REQUIRE(dy.batch() == x.batch());
  model.zero_grad();
  const auto dx = model.backward_to_input(dy);
  check_close("dx", dx.data(), record_values<T>(fixture_record(file, "dx")));

  std::size_t compared = 0;
  for (const Entry& e : model.tensors()) {
    if (e.kind != Entry::Kind::parameter) continue;
    check_close("grad." + e.name, e.grad, record_values<T>(fixture_record(file, "grad." + e.name)));
    ++compared;
  }
  CHECK(compared == parameters);
}

template <class Spec, class In>
void check_float_and_double(const std::string& case_name) {
  check_backward<Spec, In, float>(case_name);
  check_backward<Spec, In, double>(case_name);
}

template <class... L>
using Seq = ts::Sequential<L...>;

}  // namespace

TEST_CASE("backward parity: BatchNorm2d and BatchNorm1d in training", "[parity][backward]") {
  check_float_and_double<Seq<ts::BatchNorm2d<>>, ts::Shape<3, 4, 4>>("batchnorm2d_train_grad");
  check_float_and_double<Seq<ts::BatchNorm1d<>>, ts::Shape<6>>("batchnorm1d_train_grad");
}

TEST_CASE("backward parity: InstanceNorm2d with affine parameters", "[parity][backward]") {
  check_float_and_double<Seq<ts::InstanceNorm2d<true>>, ts::Shape<3, 5, 5>>(
      "instancenorm2d_affine_grad");
}

TEST_CASE("backward parity: MaxPool2d and AvgPool2d with overlap and padding",
          "[parity][backward]") {
  check_float_and_double<Seq<ts::MaxPool2d<3, 2, 1>>, ts::Shape<3, 7, 7>>("maxpool2d_grad");
  check_float_and_double<Seq<ts::AvgPool2d<3, 2, 1>>, ts::Shape<3, 7, 7>>("avgpool2d_grad");
}
