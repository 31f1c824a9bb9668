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
