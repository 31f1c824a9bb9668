// The remaining models of SEEDS.md (MLP GAN, DCGAN seed 003, WGAN critic, autoencoders, VAE,
// CGAN seed 002, InfoGAN, the pix2pix discriminators): shapes and parameter counts proved at
// compile time against SEEDS.md's table, PyTorch's state_dict names, a forward pass in evaluation
// mode with the output ranges the last activation promises, and forward parity with the seeds'
// PyTorch code on narrow copies (tests/fixtures/make_fixtures.py), loaded with Model::load from a
// state_dict file so that every name is checked both ways.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include <tessera/io/safetensors.hpp>
#include <tessera/models/autoencoder.hpp>
#include <tessera/models/cgan002.hpp>
#include <tessera/models/dcgan_upsample.hpp>
#include <tessera/models/infogan.hpp>
#include <tessera/models/mlp_gan.hpp>
#include <tessera/models/patchgan.hpp>
#include <tessera/models/vae.hpp>
#include <tessera/models/wgan.hpp>
#include <tessera/tessera.hpp>

#include "../support/fixtures.hpp"

namespace ts = tessera;
namespace models = tessera::models;
using ts::Shape;
using ts::Shapes;

// ---- SEEDS.md's table, at compile time -------------------------------------------------------

using MlpG = ts::Model<models::MlpGanGenerator<>, Shape<64>>;
using MlpD = ts::Model<models::MlpGanDiscriminator<>, Shape<784>>;
static_assert(MlpG::output_shape == Shape<784>{});
static_assert(MlpG::parameter_count == 283'920);
static_assert(MlpD::output_shape == Shape<1>{});
static_assert(MlpD::parameter_count == 267'009);

using Dcgan3G = ts::Model<models::DcganUpsampleGenerator<>, Shape<64>>;
using Dcgan3D = ts::Model<models::DcganUpsampleDiscriminator<>, Shape<1, 64, 64>>;
static_assert(Dcgan3G::output_shape == Shape<1, 64, 64>{});
static_assert(Dcgan3G::parameter_count == 2'352'513);
static_assert(Dcgan3D::output_shape == Shape<1>{});
static_assert(Dcgan3D::parameter_count == 99'649);

// Not in the table: the DCGAN-004 discriminator less its Sigmoid, hence the same count.
using Critic = ts::Model<models::WganCritic<>, Shape<3, 64, 64>>;
static_assert(Critic::output_shape == Shape<1, 1, 1>{});
static_assert(Critic::parameter_count == 2'765'568);
static_assert(ts::Model<models::WganCritic<64, ts::InstanceNorm2d<true>>, Shape<3, 64, 64>>::parameter_count ==
              2'765'568);  // affine InstanceNorm has BatchNorm's two parameters per channel

using ConvAe = ts::Model<models::ConvAutoencoder<>, Shape<1, 28, 28>>;
using DenseAe = ts::Model<models::DenseAutoencoder<>, Shape<784>>;
static_assert(ConvAe::output_shape == Shape<1, 28, 28>{});
static_assert(ConvAe::parameter_count == 210'369);
static_assert(DenseAe::output_shape == Shape<784>{});
static_assert(DenseAe::parameter_count == 644'804);  // 784*400+400 + 400*20+20 + 20*400+400 + 400*784+784

using VaeM = ts::Model<models::Vae<>, Shapes<Shape<784>, Shape<20>>>;
static_assert(VaeM::output_shape == Shapes<Shape<784>, Shape<20>, Shape<20>>{});
static_assert(VaeM::parameter_count == 652'824);

using Cgan2G = ts::Model<models::CganGenerator002<>, Shapes<Shape<100>, Shape<>>>;
using Cgan2G64 = ts::Model<models::CganGenerator002<1, 64>, Shapes<Shape<100>, Shape<>>>;
using Cgan2D = ts::Model<models::CganDiscriminator002<>, Shapes<Shape<1, 28, 28>, Shape<>>>;
using Cgan2D64 = ts::Model<models::CganDiscriminator002<>, Shapes<Shape<1, 64, 64>, Shape<>>>;
static_assert(Cgan2G::output_shape == Shape<1, 28, 28>{});
static_assert(Cgan2G::parameter_count == 1'511'412);
static_assert(Cgan2G64::output_shape == Shape<1, 64, 64>{});
static_assert(Cgan2G64::parameter_count == 4'906'212);
static_assert(Cgan2D::output_shape == Shape<1>{});
static_assert(Cgan2D::parameter_count == 1'503'333);
static_assert(Cgan2D64::output_shape == Shape<1>{});
static_assert(Cgan2D64::parameter_count == 4'894'821);

using InfoG = ts::Model<models::InfoganGenerator<>, Shapes<Shape<62>, Shape<10>, Shape<2>>>;
using InfoD = ts::Model<models::InfoganDiscriminator<>, Shape<1, 32, 32>>;
using InfoD002 = ts::Model<models::InfoganDiscriminator002<>, Shape<1, 32, 32>>;
static_assert(InfoG::output_shape == Shape<1, 32, 32>{});
static_assert(InfoG::parameter_count == 836'993);
static_assert(InfoD::output_shape == Shapes<Shape<1>, Shape<10>, Shape<2>>{});
static_assert(InfoD::parameter_count == 231'501);
static_assert(InfoD002::output_shape == Shapes<Shape<1>, Shape<10>, Shape<2>>{});
static_assert(InfoD002::parameter_count == 231'501);

using Patch3 = ts::Model<models::Pix2PixDiscriminator003<>, Shapes<Shape<3, 256, 256>, Shape<3, 256, 256>>>;
using Began0 = ts::Model<models::Pix2PixDiscriminator000<>, Shape<3, 256, 256>>;
static_assert(Patch3::output_shape == Shape<1, 16, 16>{});
static_assert(Patch3::parameter_count == 2'767'809);
static_assert(Began0::output_shape == Shape<3, 256, 256>{});
static_assert(Began0::parameter_count == 795'587);

// The pack plumbing the VAE and CGAN-002 stand on.
static_assert(std::is_same_v<ts::flat_pack_t<Shapes<Shapes<Shape<2>, Shape<3>>, Shape<4>>>,
                             Shapes<Shape<2>, Shape<3>, Shape<4>>>);
static_assert(std::is_same_v<ts::flat_pack_t<Shapes<Shape<1>, Shapes<Shape<2>, Shapes<Shape<3>>>>>,
                             Shapes<Shape<1>, Shape<2>, Shape<3>>>);
static_assert(!ts::shape_ok<ts::Reparameterize, Shapes<Shape<3>, Shape<3>>>);
static_assert(!ts::shape_ok<ts::Reparameterize, Shapes<Shape<3>, Shape<3>, Shape<4>>>);
static_assert(!ts::shape_ok<ts::Select<2>, Shapes<Shape<3>, Shape<3>>>);
static_assert(!ts::shape_ok<ts::Select<0>, Shape<3>>);

namespace {

template <class M>
std::vector<std::string> names(const M& m) {
  std::vector<std::string> out;
  for (auto& e : m.tensors()) out.push_back(e.name);
  return out;
}

// The first names, then the last ones, of a model's state_dict.
template <class M>
void check_names(const M& m, const std::vector<std::string>& first, const std::vector<std::string>& last) {
  const auto n = names(m);
  REQUIRE(n.size() >= first.size());
  REQUIRE(n.size() >= last.size());
  CHECK(std::vector<std::string>(n.begin(), n.begin() + std::ptrdiff_t(first.size())) == first);
  CHECK(std::vector<std::string>(n.end() - std::ptrdiff_t(last.size()), n.end()) == last);
}

template <class S>
ts::Tensor<S> normal_tensor(ts::index n, ts::Generator& rng, float scale = 1.0f) {
  ts::Tensor<S> t(n);
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = scale * float(rng.normal());
  return t;
}

template <class V>
void check_range(const V& y, float low, float high, bool open) {
  for (std::size_t i = 0; i < y.size(); ++i) {
    INFO("element " << i << " = " << y[i]);
    REQUIRE(std::isfinite(y[i]));
    if (open) {
      REQUIRE(y[i] > low);
      REQUIRE(y[i] < high);
    } else {
      REQUIRE(y[i] >= low);
      REQUIRE(y[i] <= high);
    }
  }
}

// ---- Parity with PyTorch ----------------------------------------------------------------------

using ts::testing::fixture;
using ts::testing::fixture_path;
using ts::testing::fixture_record;
using ts::testing::fixture_values;

// |got - want| <= 1e-5 |want| + atol elementwise, and the same batch and per-sample size.
template <class V>
void check_close(const std::string& what, const V& got, const ts::io::TensorRecord& want_record,
                 double atol = 1e-6) {
  const auto want = ts::testing::record_values<float>(want_record);
  INFO(what);
  REQUIRE(got.size() == want.size());
  REQUIRE(want_record.shape.front() == got.batch());
  ts::testing::check_close(what, got.data(), want, 1e-5, atol);
}

// Loads <case>_state_dict.safetensors (PyTorch's state_dict of the seed's module) with
// Model::load -- which refuses a missing or unexpected name -- runs forward in evaluation mode on
// the fixture's input(s) ("input", or "input.0", "input.1", ...) and compares with its output(s).
template <class Spec, class In>
void check_parity(const std::string& case_name, double atol = 1e-6) {
  INFO("case " << case_name);
  ts::Model<Spec, In> model;
  model.load(fixture_path(case_name + "_state_dict"));
  model.eval();
  const auto file = fixture(case_name);
  const auto y = [&] {
    if constexpr (ts::SingleShape<In>) {
      return model.forward(ts::Tensor<In>::from(fixture_values<float>(file, "input")));
    } else {
      return [&]<std::size_t... I>(std::index_sequence<I...>) {
        const auto inputs = std::tuple{
            ts::Tensor<ts::shape_at<I, In>>::from(fixture_values<float>(file, "input." + std::to_string(I)))...};
        return model.forward(std::get<I>(inputs)...);
      }(std::make_index_sequence<In::count>{});
    }
  }();
  using Out = typename ts::Model<Spec, In>::Output;
  if constexpr (ts::SingleShape<Out>) {
    check_close("output", y, fixture_record(file, "output"), atol);
  } else {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (check_close("output." + std::to_string(I), std::get<I>(y), fixture_record(file, "output." + std::to_string(I)), atol),
       ...);
    }(std::make_index_sequence<Out::count>{});
  }
}

}  // namespace

TEST_CASE("MLP GAN (seed 004): nn.Sequential names, Tanh and Sigmoid ranges", "[models][gan]") {
  MlpG g;
  check_names(g, {"0.weight", "0.bias", "2.weight"}, {"2.bias", "4.weight", "4.bias"});
  MlpD d;
  check_names(d, {"0.weight", "0.bias"}, {"4.weight", "4.bias"});
  g.eval();
  d.eval();
  const auto image = g.forward(normal_tensor<Shape<64>>(2, g.generator()));
  check_range(image, -1, 1, false);
  const auto p = d.forward(image);
  REQUIRE(p.batch() == 2);
  check_range(p, 0, 1, true);
}

TEST_CASE("DCGAN, upsampling form (seed 003): attribute names and ranges", "[models][gan]") {
  Dcgan3G g;
  check_names(g, {"lin.0.weight", "lin.0.bias", "bn1.weight", "bn1.bias", "bn1.running_mean"},
              {"bn3.num_batches_tracked", "cn3.weight", "cn3.bias"});
  Dcgan3D d;
  check_names(d, {"disc_model.0.weight", "disc_model.0.bias", "disc_model.3.weight", "disc_model.3.bias",
                  "disc_model.6.weight"},
              {"disc_model.14.num_batches_tracked", "adverse_lyr.0.weight", "adverse_lyr.0.bias"});
  g.eval();
  d.eval();
  const auto image = g.forward(normal_tensor<Shape<64>>(2, g.generator()));
  check_range(image, -1, 1, false);
  check_range(d.forward(image), 0, 1, true);
}

TEST_CASE("WGAN critic: the DCGAN discriminator's names, an unbounded score", "[models][gan]") {
  Critic c;
  check_names(c, {"main.0.weight", "main.2.weight", "main.3.weight"}, {"main.9.num_batches_tracked", "main.11.weight"});
  c.eval();
  const auto score = c.forward(normal_tensor<Shape<3, 64, 64>>(2, c.generator()));
  REQUIRE(score.batch() == 2);
  check_range(score, -1e30f, 1e30f, false);  // finite; no Sigmoid bounds it
}

TEST_CASE("autoencoders (seed 001): encoder/decoder names, outputs in (0, 1)", "[models][ae]") {
  ConvAe ae;
  check_names(ae, {"encoder.0.weight", "encoder.0.bias", "encoder.2.weight"},
              {"decoder.2.bias", "decoder.4.weight", "decoder.4.bias"});
  ae.eval();
  ts::Tensor<Shape<1, 28, 28>> x(2);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i % 7) / 7.0f;
  check_range(ae.forward(x), 0, 1, true);

  DenseAe dae;
  CHECK(names(dae) == std::vector<std::string>{"encoder.0.weight", "encoder.0.bias", "encoder.2.weight",
                                               "encoder.2.bias", "decoder.0.weight", "decoder.0.bias",
                                               "decoder.2.weight", "decoder.2.bias"});
  dae.eval();
  check_range(dae.forward(normal_tensor<Shape<784>>(2, dae.generator())), 0, 1, true);
}

TEST_CASE("Reparameterize is mu + exp(logvar / 2) eps", "[layers][vae]") {
  using In = Shapes<Shape<3>, Shape<3>, Shape<3>>;
  ts::Model<ts::Sequential<ts::Reparameterize>, In> m;
  static_assert(decltype(m)::output_shape == Shape<3>{});
  static_assert(decltype(m)::parameter_count == 0);
  const auto mu = ts::Tensor<Shape<3>>::from({0.5f, -1.0f, 2.0f, 0.0f, 3.0f, -0.25f});
  const auto logvar = ts::Tensor<Shape<3>>::from({0.0f, 1.0f, -2.0f, 0.7f, -0.3f, 4.0f});
  const auto eps = ts::Tensor<Shape<3>>::from({1.0f, -0.5f, 0.25f, 2.0f, 0.0f, -1.5f});
  const auto z = m.forward(mu, logvar, eps);
  REQUIRE(z.batch() == 2);
  for (std::size_t i = 0; i < 6; ++i)
    CHECK(z[i] == Approx(mu[i] + std::exp(0.5 * logvar[i]) * eps[i]).epsilon(1e-6));
  CHECK(ts::Reparameterize::Module<In, float, ts::Cpu>::describe().find("Reparameterize") == 0);
}

TEST_CASE("Select reorders a pack, FlattenPack un-nests one", "[layers]") {
  using In = Shapes<Shape<2>, Shape<1>, Shape<3>>;
  ts::Model<ts::Sequential<ts::Select<2, 0>>, In> pick;
  static_assert(decltype(pick)::output_shape == Shapes<Shape<3>, Shape<2>>{});
  const auto a = ts::Tensor<Shape<2>>::from({1, 2, 3, 4});
  const auto b = ts::Tensor<Shape<1>>::from({5, 6});
  const auto c = ts::Tensor<Shape<3>>::from({7, 8, 9, 10, 11, 12});
  const auto [c2, a2] = pick.forward(a, b, c);
  CHECK(std::vector<float>(c2.data(), c2.data() + c2.size()) == std::vector<float>{7, 8, 9, 10, 11, 12});
  CHECK(std::vector<float>(a2.data(), a2.data() + a2.size()) == std::vector<float>{1, 2, 3, 4});

  // ((a, b), c) through FlattenPack and Cat: the nested layout is the flat one.
  ts::Model<ts::Sequential<ts::Branches<ts::Select<0, 1>, ts::Select<2>>, ts::FlattenPack, ts::Cat>, In> flat;
  static_assert(decltype(flat)::output_shape == Shape<6>{});
  const auto joined = flat.forward(a, b, c);
  CHECK(std::vector<float>(joined.data(), joined.data() + joined.size()) ==
        std::vector<float>{1, 2, 5, 7, 8, 9, 3, 4, 6, 10, 11, 12});
}

TEST_CASE("VAE (seed 001): fc1..fc4 names, (recon, mu, logvar) out", "[models][vae]") {
  VaeM vae;
  CHECK(names(vae) == std::vector<std::string>{"fc1.weight", "fc1.bias", "fc21.weight", "fc21.bias",
                                               "fc22.weight", "fc22.bias", "fc3.weight", "fc3.bias",
                                               "fc4.weight", "fc4.bias"});
  vae.eval();
  ts::Tensor<Shape<784>> x(2);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i % 11) / 11.0f;
  const auto eps = normal_tensor<Shape<20>>(2, vae.generator());
  const auto [recon, mu, logvar] = vae.forward(x, eps);
  check_range(recon, 0, 1, true);
  REQUIRE(mu.batch() == 2);
  REQUIRE(logvar.batch() == 2);
  // eps = 0 decodes mu itself: the reconstruction does not depend on logvar then.
  const ts::Tensor<Shape<20>> zero(2, 0.0f);
  const auto [recon0, mu0, logvar0] = vae.forward(x, zero);
  std::vector<float> r0(recon0.data(), recon0.data() + recon0.size());
  ts::Model<models::VaeDecoder<>, Shape<20>> decoder;
  std::vector<float> mus(mu0.data(), mu0.data() + mu0.size());
  // Hand the VAE's fc3/fc4 to a bare decoder, named there "fc3.*", "fc4.*" too.
  const auto& from = vae.tensors();
  for (const auto& e : decoder.tensors()) {
    const auto it = std::find_if(from.begin(), from.end(), [&](const auto& f) { return f.name == e.name; });
    REQUIRE(it != from.end());
    std::copy(it->value, it->value + it->size(), e.value);
  }
  decoder.eval();
  const auto direct = decoder.forward(ts::Tensor<Shape<20>>::from(mus));
  for (std::size_t i = 0; i < r0.size(); ++i) REQUIRE(direct[i] == r0[i]);
}

TEST_CASE("CGAN (seed 002): (embedding, noise) order, names, ranges", "[models][gan]") {
  Cgan2G g;
  check_names(g, {"label_embedding.weight", "model.0.weight", "model.0.bias", "model.2.weight", "model.2.bias",
                  "model.3.weight"},
              {"model.9.num_batches_tracked", "model.11.weight", "model.11.bias"});
  Cgan2D d;
  CHECK(names(d) == std::vector<std::string>{"label_embedding.weight", "model.0.weight", "model.0.bias",
                                             "model.2.weight", "model.2.bias", "model.5.weight",
                                             "model.5.bias", "model.8.weight", "model.8.bias",
                                             "model.9.weight", "model.9.bias"});
  g.eval();
  d.eval();
  const auto labels = ts::Tensor<Shape<>>::from({3, 9});
  const auto image = g.forward(normal_tensor<Shape<100>>(2, g.generator()), labels);
  check_range(image, -1, 1, false);
  check_range(d.forward(image, labels), 0, 1, true);
}

TEST_CASE("InfoGAN (seed 002): three inputs, three heads, softmax rows sum to 1", "[models][gan]") {
  InfoG g;
  check_names(g, {"stem_linear.0.weight", "stem_linear.0.bias", "model.0.weight"},
              {"model.7.num_batches_tracked", "model.9.weight", "model.9.bias"});
  InfoD002 d;
  check_names(d, {"model.0.weight", "model.0.bias", "model.3.weight"},
              {"model.14.num_batches_tracked", "adv_linear.weight", "adv_linear.bias", "class_linear.0.weight",
               "class_linear.0.bias", "class_linear.1.weight", "class_linear.1.bias", "class_linear.1.running_mean",
               "class_linear.1.running_var", "class_linear.1.num_batches_tracked", "class_linear.3.weight",
               "class_linear.3.bias", "code_linear.0.weight", "code_linear.0.bias", "code_linear.1.weight",
               "code_linear.1.bias", "code_linear.1.running_mean", "code_linear.1.running_var",
               "code_linear.1.num_batches_tracked", "code_linear.3.weight", "code_linear.3.bias"});
  CHECK(names(InfoD{}) == names(d));
  g.eval();
  d.eval();
  ts::Tensor<Shape<10>> one_hot(2, 0.0f);
  one_hot[3] = 1;
  one_hot[10 + 7] = 1;
  const auto image = g.forward(normal_tensor<Shape<62>>(2, g.generator()), one_hot,
                               normal_tensor<Shape<2>>(2, g.generator(), 0.5f));
  check_range(image, -1, 1, false);
  const auto [adv, cls, code] = d.forward(image);
  REQUIRE(adv.batch() == 2);
  REQUIRE(code.batch() == 2);
  check_range(cls, 0, 1, false);
  for (ts::index s = 0; s < 2; ++s) {
    float sum = 0;
    for (int k = 0; k < 10; ++k) sum += cls[std::size_t(s) * 10 + std::size_t(k)];
    CHECK(sum == Approx(1.0f).epsilon(1e-5));
  }
}

TEST_CASE("pix2pix discriminators: seed 003 PatchGAN on a pair, seed 000 autoencoder", "[models][gan]") {
  // Both are size-agnostic within their rules; small images keep the test fast.
  ts::Model<models::Pix2PixDiscriminator003<>, Shapes<Shape<3, 64, 64>, Shape<3, 64, 64>>> patch;
  static_assert(decltype(patch)::output_shape == Shape<1, 4, 4>{});
  static_assert(decltype(patch)::parameter_count == 2'767'809);
  check_names(patch, {"lyr1.0.weight", "lyr1.0.bias", "lyr2.0.weight", "lyr2.0.bias"},
              {"lyr4.0.bias", "conv_layer_1.weight", "conv_layer_1.bias"});
  patch.eval();
  const auto scores = patch.forward(normal_tensor<Shape<3, 64, 64>>(2, patch.generator()),
                                    normal_tensor<Shape<3, 64, 64>>(2, patch.generator()));
  REQUIRE(scores.batch() == 2);
  check_range(scores, -1e30f, 1e30f, false);

  ts::Model<models::Pix2PixDiscriminator000<>, Shape<3, 32, 32>> began;
  static_assert(decltype(began)::parameter_count == 795'587);
  check_names(began, {"conv1.0.weight", "conv1.0.bias", "conv2.0.weight", "conv2.0.bias", "conv2.2.weight"},
              {"deconv1.0.bias", "deconv1.2.weight", "deconv1.2.bias", "deconv1.4.weight", "deconv1.4.bias"});
  const auto began_names = names(began);
  const auto encode = std::find(began_names.begin(), began_names.end(), "encode.weight");
  REQUIRE(began_names.end() - encode > 5);
  CHECK(std::vector<std::string>(encode, encode + 5) ==
        std::vector<std::string>{"encode.weight", "encode.bias", "decode.weight", "decode.bias", "deconv4.0.weight"});
  began.eval();
  check_range(began.forward(normal_tensor<Shape<3, 32, 32>>(2, began.generator())), -1, 1, false);
}

TEST_CASE("parity with PyTorch: MLP GAN and DCGAN seed 003", "[models][parity]") {
  check_parity<models::MlpGanGenerator<49, 32>, Shape<8>>("mlpgan_g");
  check_parity<models::MlpGanDiscriminator<32>, Shape<49>>("mlpgan_d");
  // The generators' last 3x3 convolution sums up to 576 products of activations as large as 40
  // (the fixture's randomised weights are 0.5 N(0, 1)), so float32 itself is only good to about
  // 1e-5 near zero: PyTorch's own float32 output differs from its float64 one by up to 9.4e-6 here
  // (8.7e-6 for InfoGAN's). Hence atol 2e-5 for these two; rtol stays 1e-5.
  check_parity<models::DcganUpsampleGenerator<1, 16, 8>, Shape<8>>("dcgan003_g", 2e-5);
  check_parity<models::DcganUpsampleDiscriminator<4>, Shape<1, 16, 16>>("dcgan003_d");
}

TEST_CASE("parity with PyTorch: VAE", "[models][parity][vae]") {
  check_parity<models::Vae<64, 32, 8>, Shapes<Shape<64>, Shape<8>>>("vae");
}

TEST_CASE("parity with PyTorch: CGAN seed 002", "[models][parity]") {
  // Its 1024-wide Linear + BatchNorm(eps 0.8) chain ends near 0.1 where OpenBLAS's summation order
  // shows: with OPENBLAS_CORETYPE=Haswell the output is within rtol 1e-5, with OpenBLAS's own
  // SkylakeX kernels two of 64 values differ by 2e-6 (2e-5 relative). atol 2e-5 as for dcgan003_g.
  check_parity<models::CganGenerator002<1, 8, 10, 8>, Shapes<Shape<12>, Shape<>>>("cgan002_g", 2e-5);
  check_parity<models::CganDiscriminator002<10, 32>, Shapes<Shape<1, 8, 8>, Shape<>>>("cgan002_d");
}

TEST_CASE("parity with PyTorch: InfoGAN generator and three-headed discriminator", "[models][parity]") {
  check_parity<models::InfoganGenerator<1, 16, 8>, Shapes<Shape<6>, Shape<10>, Shape<2>>>("infogan_g", 2e-5);  // see dcgan003_g
  check_parity<models::InfoganDiscriminator002<10, 2, 4, 16>, Shape<1, 16, 16>>("infogan_d");

  // The logits form, same weights: its softmax is the seed's class output.
  ts::Model<models::InfoganDiscriminator<10, 2, 4, 16>, Shape<1, 16, 16>> d;
  d.load(fixture_path("infogan_d_state_dict"));
  d.eval();
  const auto file = fixture("infogan_d");
  const auto [adv, logits, code] = d.forward(ts::Tensor<Shape<1, 16, 16>>::from(fixture_values<float>(file, "input")));
  const auto probs = fixture_values<float>(file, "output.1");
  for (std::size_t s = 0; s < 2; ++s) {
    float top = logits[s * 10], sum = 0;
    for (std::size_t k = 0; k < 10; ++k) top = std::max(top, logits[s * 10 + k]);
    for (std::size_t k = 0; k < 10; ++k) sum += std::exp(logits[s * 10 + k] - top);
    for (std::size_t k = 0; k < 10; ++k)
      CHECK(std::exp(logits[s * 10 + k] - top) / sum == Approx(probs[s * 10 + k]).epsilon(1e-5).margin(1e-6));
  }
  check_close("adv (logits form)", adv, fixture_record(file, "output.0"));
  check_close("code (logits form)", code, fixture_record(file, "output.2"));
}

TEST_CASE("parity with PyTorch: pix2pix discriminators (seed 003 PatchGAN, seed 000)", "[models][parity]") {
  check_parity<models::Pix2PixDiscriminator003<4>, Shapes<Shape<1, 32, 32>, Shape<1, 32, 32>>>("pix2pix003_d");
  check_parity<models::Pix2PixDiscriminator000<3, 4, 4>, Shape<3, 16, 16>>("pix2pix000_d");
}
