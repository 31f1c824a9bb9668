// The README's first model, so that what it promises stays true.
#include <catch2/catch.hpp>

#include <filesystem>

#include <tessera/tessera.hpp>

namespace ts = tessera;

TEST_CASE("the README example compiles, runs and saves", "[readme]") {
  using Net = ts::Sequential<ts::Conv2d<32, 3, 1, 1>, ts::BatchNorm2d<>, ts::ReLU, ts::MaxPool2d<2>,
                             ts::Flatten, ts::Linear<10>>;
  ts::Model<Net, ts::Shape<1, 28, 28>> net;
  static_assert(net.output_shape == ts::Shape<10>{});
  static_assert(net.parameter_count == 63'114);
  net.eval();
  ts::Tensor<ts::Shape<1, 28, 28>> x(4, 0.5f);
  auto logits = net.forward(x);
  CHECK(logits.batch() == 4);
  const auto path = std::filesystem::temp_directory_path() / "tessera_readme.safetensors";
  net.save(path);
  CHECK(std::filesystem::exists(path));
}

#include <tessera/models/mlp_gan.hpp>

TEST_CASE("the README's G step compiles, runs and moves G", "[readme]") {
  ts::Model<ts::models::MlpGanGenerator<>, ts::Shape<64>> g;
  ts::Model<ts::models::MlpGanDiscriminator<>, ts::Shape<784>> d;
  ts::Adam<float> opt_g(g.parameters(), {.lr = 2e-4, .betas = {0.5, 0.999}});
  ts::Adam<float> opt_d(d.parameters(), {.lr = 2e-4, .betas = {0.5, 0.999}});
  ts::Tensor<ts::Shape<1>> ones(100, 1.0f), grad(100);
  ts::Tensor<ts::Shape<64>> z(100, 0.5f);
  const std::vector<float> before(g.parameter_values().begin(), g.parameter_values().end());

  g.zero_grad();
  d.requires_grad(false);
  auto fake = g.forward(z);
  float loss = ts::bce_loss(d.forward(fake), ones, grad);
  g.backward(d.backward_to_input(grad));
  d.requires_grad(true);
  opt_g.step();

  CHECK(loss > 0);
  CHECK(std::vector<float>(g.parameter_values().begin(), g.parameter_values().end()) != before);
  for (float v : d.parameter_grads()) REQUIRE(v == 0);
}
