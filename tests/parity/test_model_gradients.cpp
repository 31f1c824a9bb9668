// Backward of whole seed models against PyTorch: tests/fixtures/make_model_grad_fixtures.py
// differentiates L = sum(output * w) with torch.autograd on the same weights
// (<case>_state_dict.safetensors) and inputs; here Model::backward_to_input must give the same
// gradient for every float input and every parameter. Train mode (BatchNorm batch statistics)
// except for the models with dropout.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "tessera/models/cgan002.hpp"
#include "tessera/models/dcgan.hpp"
#include "tessera/models/dcgan_upsample.hpp"
#include "tessera/models/infogan.hpp"
#include "tessera/models/mlp_gan.hpp"
#include "tessera/models/patchgan.hpp"
#include "tessera/models/vae.hpp"
#include "tessera/tessera.hpp"

#include "../support/fixtures.hpp"

namespace ts = tessera;
namespace models = tessera::models;
using ts::Shape;
using ts::Shapes;

namespace {

using ts::testing::fixture;
using ts::testing::fixture_path;
using ts::testing::fixture_values;

// Elementwise |got - want| <= 1e-4 |want| + 1e-5 scale, where scale is the largest gradient of the
// whole model: float32 gradients summed in another order than PyTorch's. (A bias just before a
// train-mode BatchNorm has a true gradient of 0; both sides give rounding noise around 1e-7 there.)
template <class Range>
void check_close(const std::string& what, const Range& got, const std::vector<float>& want, double scale) {
  INFO(what);
  REQUIRE(std::size_t(got.size()) == want.size());
  ts::testing::check_close(what, got.data(), want, 1e-4, 1e-5 * scale);
}

std::string part(const char* base, std::size_t i, bool many) {
  return many ? std::string(base) + "." + std::to_string(i) : std::string(base);
}

template <class Spec, class In>
void check_gradients(const std::string& case_name, bool train) {
  INFO("case " << case_name);
  using M = ts::Model<Spec, In>;
  using Out = typename M::Output;
  constexpr bool many_in = !ts::SingleShape<In>, many_out = !ts::SingleShape<Out>;
  constexpr std::size_t ins = ts::part_count<In>();
  M model;
  model.load(fixture_path(case_name + "_state_dict"));
  model.train(train);
  const auto file = fixture(case_name + "_grad");
  double scale = 0;
  for (const auto& [name, record] : file.tensors)
    if (name.starts_with("grad."))
      for (float v : fixture_values<float>(file, name)) scale = std::max(scale, double(std::abs(v)));

  auto dx = [&]<std::size_t... I>(std::index_sequence<I...>) {
    const auto inputs = std::tuple{ts::Tensor<ts::part_at<I, In>>::from(fixture_values<float>(file, part("input", I, many_in)))...};
    model.forward(std::get<I>(inputs)...);
    return [&]<std::size_t... J>(std::index_sequence<J...>) {
      const auto ws = std::tuple{ts::Tensor<ts::part_at<J, Out>>::from(fixture_values<float>(file, part("w", J, many_out)))...};
      auto g = model.backward_to_input(std::get<J>(ws)...);
      // Copied out: the views live in the model's arena.
      if constexpr (many_in)
        return std::tuple{std::vector<float>(std::get<I>(g).span().begin(), std::get<I>(g).span().end())...};
      else
        return std::tuple{std::vector<float>(g.span().begin(), g.span().end())};
    }(std::make_index_sequence<ts::part_count<Out>()>{});
  }(std::make_index_sequence<ins>{});

  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((file.tensors.count("grad." + part("input", I, many_in))
          ? check_close("grad." + part("input", I, many_in), std::get<I>(dx),
                        fixture_values<float>(file, "grad." + part("input", I, many_in)), scale)
          : void()),
     ...);
  }(std::make_index_sequence<ins>{});
  for (const auto& e : model.tensors())
    if (e.kind == ts::TensorEntry<float>::Kind::parameter) check_close("grad." + e.name, e.grads(), fixture_values<float>(file, "grad." + e.name), scale);
}

}  // namespace

TEST_CASE("gradients match PyTorch: MLP GAN (seed 004)", "[parity][backward]") {
  check_gradients<models::MlpGanGenerator<49, 32>, Shape<8>>("mlpgan_g", true);
  check_gradients<models::MlpGanDiscriminator<32>, Shape<49>>("mlpgan_d", true);
}

TEST_CASE("gradients match PyTorch: DCGAN (seed 004 transposed-convolution form)", "[parity][backward]") {
  check_gradients<models::DcganGenerator<1, 2>, Shape<8, 1, 1>>("dcgan004_g", true);
  check_gradients<models::DcganDiscriminator<2>, Shape<1, 64, 64>>("dcgan004_d", true);
}

TEST_CASE("gradients match PyTorch: DCGAN at 32x32 (one block fewer each side)",
          "[parity][backward]") {
  check_gradients<models::DcganGenerator<1, 2, 32>, Shape<8, 1, 1>>("dcgan004_g32", true);
  check_gradients<models::DcganDiscriminator<2, 32>, Shape<1, 32, 32>>("dcgan004_d32", true);
}

TEST_CASE("gradients match PyTorch: DCGAN (seed 003 upsampling form)", "[parity][backward]") {
  check_gradients<models::DcganUpsampleGenerator<1, 16, 8>, Shape<8>>("dcgan003_g", true);
  check_gradients<models::DcganUpsampleDiscriminator<4>, Shape<1, 16, 16>>("dcgan003_d", false);
}

TEST_CASE("gradients match PyTorch: CGAN (seed 002), labels through an embedding", "[parity][backward]") {
  check_gradients<models::CganGenerator002<1, 8, 10, 8>, Shapes<Shape<12>, Shape<>>>("cgan002_g", true);
  check_gradients<models::CganDiscriminator002<10, 32>, Shapes<Shape<1, 8, 8>, Shape<>>>("cgan002_d", false);
}

TEST_CASE("gradients match PyTorch: InfoGAN, three inputs and three heads", "[parity][backward]") {
  check_gradients<models::InfoganGenerator<1, 16, 8>, Shapes<Shape<6>, Shape<10>, Shape<2>>>("infogan_g", true);
  check_gradients<models::InfoganDiscriminator002<10, 2, 4, 16>, Shape<1, 16, 16>>("infogan_d", false);
}

TEST_CASE("gradients match PyTorch: VAE and the pix2pix PatchGAN on an image pair", "[parity][backward]") {
  check_gradients<models::Vae<64, 32, 8>, Shapes<Shape<64>, Shape<8>>>("vae", true);
  check_gradients<models::Pix2PixDiscriminator003<4>, Shapes<Shape<1, 32, 32>, Shape<1, 32, 32>>>("pix2pix003_d", true);
}
