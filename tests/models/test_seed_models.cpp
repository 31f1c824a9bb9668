// The seed-004 models of SEEDS.md: shapes and parameter counts proved at compile time, PyTorch's
// state_dict names, and a forward pass.
#include <catch2/catch.hpp>
#include <tessera/models/cgan.hpp>
#include <tessera/models/cyclegan.hpp>
#include <tessera/models/dcgan.hpp>
#include <tessera/tessera.hpp>
#include <type_traits>

namespace ts = tessera;
namespace models = tessera::models;

using DcganG = ts::Model<models::DcganGenerator<>, ts::Shape<100, 1, 1>>;
using DcganD = ts::Model<models::DcganDiscriminator<>, ts::Shape<3, 64, 64>>;
static_assert(DcganG::output_shape == ts::Shape<3, 64, 64>{});
static_assert(DcganG::parameter_count == 3'576'704);
static_assert(DcganD::output_shape == ts::Shape<1, 1, 1>{});
static_assert(DcganD::parameter_count == 2'765'568);

// The 32x32 forms (one block fewer at each end). The counts are PyTorch's: sum(p.numel() for p in
// m.parameters()) of the nn.Sequentials dcgan004_generator32 / dcgan004_discriminator32 in
// tests/fixtures/make_model_grad_fixtures.py, built with /usr/bin/python3 (torch 1.13) at nz 100.
using DcganG32 = ts::Model<models::DcganGenerator<3, 64, 32>, ts::Shape<100, 1, 1>>;
using DcganD32 = ts::Model<models::DcganDiscriminator<64, 32>, ts::Shape<3, 32, 32>>;
static_assert(DcganG32::output_shape == ts::Shape<3, 32, 32>{});
static_assert(DcganG32::parameter_count == 1'068'928);
static_assert(DcganD32::output_shape == ts::Shape<1, 1, 1>{});
static_assert(DcganD32::parameter_count == 663'296);
// One channel, as examples/dcgan.cpp trains them (width 64), and examples/wgan.cpp's G (width 32).
using Noise = ts::Shape<100, 1, 1>;
using Gray32 = ts::Shape<1, 32, 32>;
static_assert(ts::Model<models::DcganGenerator<1, 64, 32>, Noise>::parameter_count == 1'066'880);
static_assert(ts::Model<models::DcganDiscriminator<64, 32>, Gray32>::parameter_count == 661'248);
static_assert(ts::Model<models::DcganGenerator<1, 32, 32>, Noise>::parameter_count == 369'600);
static_assert(ts::Model<models::DcganDiscriminator<32, 32>, Gray32>::parameter_count == 166'784);
// Size 64 is the default: the tutorial's types, unchanged.
static_assert(std::is_same_v<models::DcganGenerator<3, 64>, models::DcganGenerator<3, 64, 64>>);
static_assert(std::is_same_v<models::DcganDiscriminator<>, models::DcganDiscriminator<64, 64>>);

using CycleG = ts::Model<models::CycleganGenerator<>, ts::Shape<3, 256, 256>>;
using CycleD = ts::Model<models::CycleganDiscriminator<>, ts::Shape<3, 256, 256>>;
static_assert(CycleG::output_shape == ts::Shape<3, 256, 256>{});
static_assert(CycleG::parameter_count == 11'378'179);
static_assert(CycleD::output_shape == ts::Shape<>{});
static_assert(CycleD::parameter_count == 2'764'737);

using CganG = ts::Model<models::CganGenerator004, ts::Shapes<ts::Shape<100>, ts::Shape<>>>;
using CganD = ts::Model<models::CganDiscriminator004, ts::Shapes<ts::Shape<1, 28, 28>, ts::Shape<>>>;
static_assert(CganG::output_shape == ts::Shape<28, 28>{});
static_assert(CganG::parameter_count == 1'489'012);
static_assert(CganD::output_shape == ts::Shape<>{});
static_assert(CganD::parameter_count == 1'470'565);

namespace {
template <class M>
std::vector<std::string> names(const M& m) {
  std::vector<std::string> out;
  for (auto& e : m.tensors()) out.push_back(e.name);
  return out;
}
}  // namespace

TEST_CASE("DCGAN generator and discriminator: names and a forward pass", "[models]") {
  DcganG g;
  auto n = names(g);
  REQUIRE(n.size() == 5 + 4 * 5);  // 5 conv weights, 4 BatchNorms of 5 tensors each
  CHECK(n[0] == "main.0.weight");
  CHECK(n[1] == "main.1.weight");
  CHECK(n[3] == "main.1.running_mean");
  CHECK(n[5] == "main.1.num_batches_tracked");
  CHECK(n.back() == "main.12.weight");
  g.eval();
  ts::Tensor<ts::Shape<100, 1, 1>> z(2);
  for (std::size_t i = 0; i < z.size(); ++i) z[i] = float(g.generator().normal());
  auto image = g.forward(z);
  for (std::size_t i = 0; i < image.size(); ++i) REQUIRE(std::abs(image[i]) <= 1.0f);  // Tanh

  DcganD d;
  d.eval();
  auto p = d.forward(image);
  REQUIRE(p.batch() == 2);
  CHECK(p[0] > 0.0f);
  CHECK(p[0] < 1.0f);
}

TEST_CASE("DCGAN at 32x32: PyTorch's names, a forward pass", "[models]") {
  // state_dict().keys() of the same nn.Sequentials in PyTorch (torch 1.13).
  DcganG32 g;
  CHECK(names(g) == std::vector<std::string>{
                        "main.0.weight", "main.1.weight", "main.1.bias", "main.1.running_mean",
                        "main.1.running_var", "main.1.num_batches_tracked", "main.3.weight",
                        "main.4.weight", "main.4.bias", "main.4.running_mean", "main.4.running_var",
                        "main.4.num_batches_tracked", "main.6.weight", "main.7.weight",
                        "main.7.bias", "main.7.running_mean", "main.7.running_var",
                        "main.7.num_batches_tracked", "main.9.weight"});
  DcganD32 d;
  CHECK(names(d) == std::vector<std::string>{
                        "main.0.weight", "main.2.weight", "main.3.weight", "main.3.bias",
                        "main.3.running_mean", "main.3.running_var", "main.3.num_batches_tracked",
                        "main.5.weight", "main.6.weight", "main.6.bias", "main.6.running_mean",
                        "main.6.running_var", "main.6.num_batches_tracked", "main.8.weight"});
  g.eval();
  d.eval();
  ts::Tensor<ts::Shape<100, 1, 1>> z(2);
  for (std::size_t i = 0; i < z.size(); ++i) z[i] = float(g.generator().normal());
  auto image = g.forward(z);
  for (std::size_t i = 0; i < image.size(); ++i) REQUIRE(std::abs(image[i]) <= 1.0f);  // Tanh
  auto p = d.forward(image);
  REQUIRE(p.batch() == 2);
  CHECK(p[1] > 0.0f);
  CHECK(p[1] < 1.0f);
}

TEST_CASE("CycleGAN generator names its residual blocks like the PyTorch implementation", "[models]") {
  // The generator is size-agnostic; 32x32 keeps the test fast.
  ts::Model<models::CycleganGenerator<>, ts::Shape<3, 32, 32>> g;
  auto n = names(g);
  CHECK(n[0] == "model.1.weight");
  CHECK(std::find(n.begin(), n.end(), "model.10.conv_block.1.weight") != n.end());
  CHECK(std::find(n.begin(), n.end(), "model.18.conv_block.5.bias") != n.end());
  CHECK(n.back() == "model.26.bias");
  ts::Tensor<ts::Shape<3, 32, 32>> x(1, 0.25f);
  auto y = g.forward(x);
  REQUIRE(y.batch() == 1);
  static_assert(decltype(g)::output_shape == ts::Shape<3, 32, 32>{});
}

TEST_CASE("CycleGAN's widths and block count are template parameters, counted as PyTorch does",
          "[models]") {
  // PyTorch's Generator(1, 1, n_residual_blocks=6) with ngf 16 and Discriminator(1) with ndf 32,
  // built as seed 004 builds them (the counts from torch's parameters()): examples/cyclegan.cpp's.
  using Small = ts::Model<models::CycleganGenerator<1, 6, 16>, ts::Shape<1, 32, 32>>;
  using SmallD = ts::Model<models::CycleganDiscriminator<32>, ts::Shape<1, 32, 32>>;
  STATIC_REQUIRE(Small::parameter_count == 490'945);
  STATIC_REQUIRE(SmallD::parameter_count == 693'217);
  STATIC_REQUIRE(ts::Model<models::CycleganGenerator<>, ts::Shape<3, 32, 32>>::parameter_count ==
                 11'378'179);
  Small g;
  auto n = names(g);
  CHECK(n[0] == "model.1.weight");
  CHECK(std::find(n.begin(), n.end(), "model.15.conv_block.5.bias") != n.end());  // the 6th block
  CHECK(n.back() == "model.23.bias");
  static_assert(Small::output_shape == ts::Shape<1, 32, 32>{});
}

TEST_CASE("CGAN pair: noise and label in, image out; image and label in, probability out", "[models]") {
  CganG g;
  CHECK(names(g) == std::vector<std::string>{"label_emb.weight", "model.0.weight", "model.0.bias",
                                             "model.2.weight", "model.2.bias", "model.4.weight",
                                             "model.4.bias", "model.6.weight", "model.6.bias"});
  g.eval();
  ts::Tensor<ts::Shape<100>> z(3, 0.1f);
  auto labels = ts::Tensor<ts::Shape<>>::from({0, 5, 9});
  auto image = g.forward(z, labels);
  REQUIRE(image.batch() == 3);

  CganD d;
  d.eval();
  ts::Tensor<ts::Shape<1, 28, 28>> x(3);
  std::copy(image.data(), image.data() + image.size(), x.data());
  auto p = d.forward(x, labels);
  CHECK(p[2] > 0.0f);
  CHECK(p[2] < 1.0f);
  // A label outside the embedding is an error naming the layer, not a wild read.
  auto bad = ts::Tensor<ts::Shape<>>::from({0, 10, 1});
  CHECK_THROWS_WITH(g.forward(z, bad), Catch::Matchers::Contains("Embedding"));
}
