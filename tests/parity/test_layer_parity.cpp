// Forward parity with PyTorch: each case loads tests/fixtures/<case>.safetensors, written by
// tests/fixtures/make_fixtures.py from a real PyTorch module with randomised parameters and buffers,
// into the tessera spec that mirrors it, and checks that the state_dict names and shapes agree,
// that forward gives PyTorch's output, and, for a training-mode BatchNorm, its running statistics.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include <tessera/io/safetensors.hpp>
#include <tessera/tessera.hpp>
// Layers that tessera.hpp did not include yet when this test was written; harmless once it does.
#include <tessera/layers/center_crop.hpp>
#include <tessera/layers/embedding.hpp>
#include <tessera/layers/log_softmax.hpp>
#include <tessera/layers/reflection_pad2d.hpp>
#include <tessera/layers/resize.hpp>
#include <tessera/layers/softmax.hpp>
#include <tessera/layers/upsample.hpp>
#include <tessera/layers/zero_pad2d.hpp>

#include "../support/fixtures.hpp"

namespace {

namespace ts = tessera;
namespace io = tessera::io;
using ts::testing::check_close;
using ts::testing::fixture;
using ts::testing::fixture_record;
using ts::testing::record_integer;
using ts::testing::record_values;

template <class... L>
using Seq = ts::Sequential<L...>;

std::string dims_text(const std::vector<std::int64_t>& dims) {
  std::string s = "(";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + ")";
}

// Builds Model<Spec, In, Cpu, T>, loads the fixture's state_dict into it, runs forward in the
// fixture's mode and compares with PyTorch. The names must match both ways: every tensor the model
// declares is in the fixture with the same shape, and every state_dict entry is in the model.
template <class Spec, class In, class T>
void check_fixture(const std::string& case_name, bool train = false, double rtol = 1e-5) {
  using Model = ts::Model<Spec, In, ts::Cpu, T>;
  using Entry = ts::TensorEntry<T>;
  const double atol = 1e-6;
  INFO("case " << case_name << " (" << (std::is_same_v<T, float> ? "float" : "double") << ", "
               << (train ? "train" : "eval") << " mode)");

  const io::SafetensorsFile file = fixture(case_name);
  const auto mode = file.metadata.find("mode");
  REQUIRE(mode != file.metadata.end());
  REQUIRE(mode->second == (train ? "train" : "eval"));  // the fixture was made in this mode
  Model model;

  std::set<std::string> loaded;
  for (const Entry& e : model.tensors()) {
    const io::TensorRecord& r = fixture_record(file, e.name);
    INFO("tensor '" << e.name << "': tessera " << dims_text(e.dims) << ", PyTorch "
                    << dims_text(r.shape));
    REQUIRE(r.shape == e.dims);
    if (e.kind == Entry::Kind::counter) {
      *e.count = record_integer(r);
    } else {
      const std::vector<T> v = record_values<T>(r);
      REQUIRE(v.size() == e.size());
      std::copy(v.begin(), v.end(), e.value);
    }
    loaded.insert(e.name);
  }
  for (const auto& [name, r] : file.tensors) {
    const bool state = name != "input" && name != "output" && name.rfind("after.", 0) != 0;
    INFO("PyTorch state_dict entry '" << name << "' has no tessera counterpart");
    CHECK((!state || loaded.count(name) == 1));
  }

  const io::TensorRecord& input = fixture_record(file, "input");
  const std::vector<std::int64_t> sample(In::dims.begin(), In::dims.end());
  REQUIRE(input.shape.size() == sample.size() + 1);
  REQUIRE(std::vector<std::int64_t>(input.shape.begin() + 1, input.shape.end()) == sample);
  const auto x = ts::Tensor<In, T>::from(record_values<T>(input));

  const io::TensorRecord& output = fixture_record(file, "output");
  {
    using Out = typename Model::Output;
    std::vector<std::int64_t> out_dims{input.shape[0]};
    out_dims.insert(out_dims.end(), Out::dims.begin(), Out::dims.end());
    INFO("output: tessera " << dims_text(out_dims) << ", PyTorch " << dims_text(output.shape));
    REQUIRE(output.shape == out_dims);
  }

  model.train(train);
  const auto y = model.forward(x);
  check_close("output", y.data(), record_values<T>(output), rtol, atol);

  for (const Entry& e : model.tensors()) {
    const auto it = file.tensors.find("after." + e.name);
    if (it == file.tensors.end()) continue;
    if (e.kind == Entry::Kind::counter) {
      INFO(e.name);
      CHECK(*e.count == record_integer(it->second));
    } else {
      check_close(e.name + " after the step", e.value, record_values<T>(it->second), rtol, atol);
    }
  }
  if (train) {  // a train-mode fixture must carry the statistics it is meant to check
    std::size_t after = 0;
    for (const auto& [name, r] : file.tensors) after += name.rfind("after.", 0) == 0;
    CHECK(after > 0);
  }
}

// The layers with arithmetic worth checking in double too (against the float fixture, so the
// tolerance stays float's).
template <class Spec, class In>
void check_float_and_double(const std::string& case_name, bool train = false) {
  check_fixture<Spec, In, float>(case_name, train);
  check_fixture<Spec, In, double>(case_name, train);
}

}  // namespace

TEST_CASE("parity: Linear", "[parity]") {
  check_float_and_double<Seq<ts::Linear<5>>, ts::Shape<7>>("linear");
  check_float_and_double<Seq<ts::Linear<5, ts::no_bias>>, ts::Shape<7>>("linear_nobias");
}

TEST_CASE("parity: Conv2d", "[parity]") {
  check_float_and_double<Seq<ts::Conv2d<4, 3>>, ts::Shape<3, 8, 8>>("conv2d");
  check_float_and_double<Seq<ts::Conv2d<4, 4, 2, 1>>, ts::Shape<3, 8, 8>>("conv2d_s2p1");
  check_float_and_double<Seq<ts::Conv2d<4, 3, 1, 2, ts::no_bias, 2>>, ts::Shape<3, 8, 8>>(
      "conv2d_dil");
  check_float_and_double<Seq<ts::Conv2d<3, 7>>, ts::Shape<2, 9, 9>>("conv2d_7x7");
}

TEST_CASE("parity: ConvTranspose2d", "[parity]") {
  check_float_and_double<Seq<ts::ConvTranspose2d<3, 4, 2, 1>>, ts::Shape<4, 5, 5>>(
      "conv_transpose2d");
  check_float_and_double<Seq<ts::ConvTranspose2d<3, 3, 2, 1, 1>>, ts::Shape<4, 5, 5>>(
      "convt_outpad");
  check_float_and_double<Seq<ts::ConvTranspose2d<5, 4, 1, 0, 0, ts::no_bias>>, ts::Shape<6, 1, 1>>(
      "convt_k4s1p0_nobias");
}

TEST_CASE("parity: pooling", "[parity]") {
  check_fixture<Seq<ts::MaxPool2d<2>>, ts::Shape<3, 6, 6>, float>("maxpool2d");
  check_fixture<Seq<ts::MaxPool2d<2>>, ts::Shape<3, 7, 7>, float>("maxpool2d_odd");
  check_fixture<Seq<ts::MaxPool2d<3, 2, 1>>, ts::Shape<3, 7, 7>, float>("maxpool2d_k3s2p1");
  check_fixture<Seq<ts::AvgPool2d<2>>, ts::Shape<3, 6, 6>, float>("avgpool2d");
  check_fixture<Seq<ts::AvgPool2d<3, 2, 1>>, ts::Shape<3, 7, 7>, float>("avgpool2d_k3s2p1");
  check_fixture<Seq<ts::GlobalAvgPool2d>, ts::Shape<3, 5, 5>, float>("global_avg_pool");
}

TEST_CASE("parity: BatchNorm", "[parity]") {
  check_float_and_double<Seq<ts::BatchNorm2d<>>, ts::Shape<3, 4, 4>>("batchnorm2d_eval");
  check_float_and_double<Seq<ts::BatchNorm2d<>>, ts::Shape<3, 4, 4>>("batchnorm2d_train", true);
  check_float_and_double<Seq<ts::BatchNorm2d<0.8>>, ts::Shape<3, 4, 4>>("batchnorm2d_eps08");
  check_float_and_double<Seq<ts::BatchNorm2d<0.8>>, ts::Shape<3, 4, 4>>("batchnorm2d_eps08_train",
                                                                        true);
  check_float_and_double<Seq<ts::BatchNorm1d<>>, ts::Shape<6>>("batchnorm1d_eval");
  check_float_and_double<Seq<ts::BatchNorm1d<>>, ts::Shape<6>>("batchnorm1d_train", true);
}

TEST_CASE("parity: InstanceNorm2d", "[parity]") {
  check_float_and_double<Seq<ts::InstanceNorm2d<>>, ts::Shape<3, 5, 5>>("instancenorm2d");
  check_float_and_double<Seq<ts::InstanceNorm2d<true>>, ts::Shape<3, 5, 5>>("instancenorm2d_affine");
}

TEST_CASE("parity: activations", "[parity]") {
  check_fixture<Seq<ts::ReLU>, ts::Shape<3, 4, 4>, float>("relu");
  check_fixture<Seq<ts::LeakyReLU<0.2>>, ts::Shape<3, 4, 4>, float>("leaky_relu");
  check_fixture<Seq<ts::ELU<>>, ts::Shape<3, 4, 4>, float>("elu");
  check_fixture<Seq<ts::Tanh>, ts::Shape<3, 4, 4>, float>("tanh");
  check_fixture<Seq<ts::Sigmoid>, ts::Shape<3, 4, 4>, float>("sigmoid");
}

TEST_CASE("parity: Softmax and LogSoftmax", "[parity]") {
  check_fixture<Seq<ts::Softmax>, ts::Shape<5>, float>("softmax");
  check_fixture<Seq<ts::Softmax>, ts::Shape<4, 3, 3>, float>("softmax_4d");
  check_fixture<Seq<ts::LogSoftmax>, ts::Shape<5>, float>("log_softmax");
  check_fixture<Seq<ts::LogSoftmax>, ts::Shape<4, 3, 3>, float>("log_softmax_4d");
}

TEST_CASE("parity: Upsample and Resize", "[parity]") {
  check_fixture<Seq<ts::Upsample<2>>, ts::Shape<3, 4, 4>, float>("upsample_nearest2");
  check_fixture<Seq<ts::Upsample<2, ts::UpsampleMode::bilinear>>, ts::Shape<3, 4, 4>, float>(
      "upsample_bilinear2");
  check_fixture<Seq<ts::Resize<6, 6>>, ts::Shape<3, 9, 9>, float>("resize_down");
  check_fixture<Seq<ts::Resize<8, 8>>, ts::Shape<3, 5, 5>, float>("resize_up");
}

TEST_CASE("parity: padding and cropping", "[parity]") {
  check_fixture<Seq<ts::ZeroPad2d<1, 0, 1, 0>>, ts::Shape<3, 4, 4>, float>("zeropad2d");
  check_fixture<Seq<ts::ReflectionPad2d<3>>, ts::Shape<3, 5, 5>, float>("reflectionpad2d");
  check_fixture<Seq<ts::ReflectionPad2d<1, 2, 0, 1>>, ts::Shape<3, 5, 5>, float>(
      "reflectionpad2d_asym");
  check_fixture<Seq<ts::CenterCrop<4, 4>>, ts::Shape<3, 7, 7>, float>("center_crop");
  check_fixture<Seq<ts::CenterCrop<4, 4>>, ts::Shape<3, 9, 9>, float>("center_crop_9to4");
  check_fixture<Seq<ts::CenterCrop<3, 5>>, ts::Shape<2, 8, 6>, float>("center_crop_rect");
}

TEST_CASE("parity: Embedding", "[parity]") {
  check_fixture<Seq<ts::Embedding<10, 4>>, ts::Shape<1>, float>("embedding");
}

TEST_CASE("parity: Flatten and Reshape", "[parity]") {
  check_fixture<Seq<ts::Flatten>, ts::Shape<3, 4, 4>, float>("flatten");
  check_fixture<Seq<ts::Reshape<ts::Shape<2, 12>>>, ts::Shape<4, 6>, float>("reshape");
}

TEST_CASE("parity: Dropout in evaluation mode", "[parity]") {
  check_fixture<Seq<ts::Dropout<0.5>>, ts::Shape<3, 4, 4>, float>("dropout_eval");
  check_fixture<Seq<ts::Dropout2d<0.5>>, ts::Shape<3, 4, 4>, float>("dropout2d_eval");
}

TEST_CASE("parity: DCGAN generator block", "[parity]") {
  using Block = ts::Sequential<ts::ConvTranspose2d<4, 4, 1, 0, 0, ts::no_bias>, ts::BatchNorm2d<>,
                               ts::ReLU, ts::ConvTranspose2d<3, 4, 2, 1, 0, ts::no_bias>, ts::Tanh>;
  check_float_and_double<Block, ts::Shape<8, 1, 1>>("dcgan_block");
}
