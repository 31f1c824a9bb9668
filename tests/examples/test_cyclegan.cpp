// CycleGAN's iteration (examples/common/cyclegan_step.hpp) against seed 004's PyTorch train loop
// (tests/fixtures/make_cyclegan_fixtures.py): two small generators and two small discriminators
// from the same weights, fed the same batches for three iterations, give PyTorch's five losses at
// every iteration, its four models' weights at the end and its three Adams' running means of the
// gradients (which a term weighted wrongly changes, though Adam's step hardly notices a scale).
// The pools have capacity 0, the seed's own loop (D sees the newest fakes); the pool's draws are
// tessera's own, tested in tests/train/test_image_pool.cpp.
//
// The tolerances are set by the problem, not by tessera: every convolution before an
// InstanceNorm has a bias whose gradient is zero but for rounding (the norm removes the shift), so
// Adam moves it by rounding noise over eps. PyTorch against itself, its real batches moved by one
// to three parts in 1e15 (make_cyclegan_fixtures.py --noise), differs by up to 6.6e-11 in such a
// bias after three iterations, 2.1e-14 in an exp_avg and 2e-15 relative in a loss; so 1e-9
// absolute for weights (1/200,000 of one Adam step of lr 2e-4), 1e-12 for the running means of the
// gradients (up to 1.8 here) and 1e-10 relative for the losses. Tessera against PyTorch differs by
// 1.1e-10, 1.6e-14 and 2.5e-15 (December 2026, GCC 12, oneDNN). A real mistake (a weight of 4 for
// 5, the adversarial gradient left out, D fed the fakes of the updated G) moves things by a step:
// each fails dozens of these checks.
#include <catch2/catch.hpp>
#include <string>

#include "../../examples/common/cyclegan_step.hpp"
#include "../support/fixtures.hpp"
#include "../support/temp_dir.hpp"
#include "tessera/io/safetensors.hpp"
#include "tessera/model.hpp"
#include "tessera/models/cyclegan.hpp"
#include "tessera/train/adam.hpp"

namespace ts = tessera;
using ts::testing::check_close;
using ts::testing::fixture;
using ts::testing::fixture_path;
using ts::testing::fixture_scalar;
using ts::testing::fixture_values;

namespace {

constexpr const char* name = "cyclegan_step";
using Image = ts::Shape<1, 32, 32>;
using G = ts::Model<ts::models::CycleganGenerator<1, 2, 2>, Image, ts::Cpu, double>;
using D = ts::Model<ts::models::CycleganDiscriminator<2>, Image, ts::Cpu, double>;

// An optimizer's exp_avg of each parameter against PyTorch's, through its saved state.
void check_running_means(const ts::Adam<double>& adam, const ts::io::SafetensorsFile& want,
                         const std::string& label) {
  ts::testing::TempDir dir("tessera_cyclegan");
  adam.save((dir / "adam.safetensors").string());
  const auto saved = ts::io::read_safetensors((dir / "adam.safetensors").string());
  std::size_t count = 0;
  for (const auto& [key, record] : want.tensors) count += key.starts_with(label + ".");
  CHECK(adam.parameters().size() == count);
  for (std::size_t i = 0; i < adam.parameters().size(); ++i) {
    const std::string key = label + "." + std::to_string(i);
    INFO(key << " (" << adam.parameters()[i]->name << ")");
    const auto got = ts::testing::record_values<double>(
        ts::testing::fixture_record(saved, "state." + std::to_string(i) + ".exp_avg"));
    check_close(key, got.data(), fixture_values<double>(want, key), 0, 1e-12);
  }
}

// A model's weights against the state_dict `prefix`<name> of the fixture.
template <class M>
void check_model(const M& model, const ts::io::SafetensorsFile& want, const std::string& prefix) {
  std::size_t count = 0;
  for (const auto& [key, record] : want.tensors) count += key.starts_with(prefix);
  CHECK(model.tensors().size() == count);
  for (const auto& e : model.tensors()) {
    INFO(prefix << e.name);
    check_close(prefix + e.name, e.values().data(), fixture_values<double>(want, prefix + e.name),
                0, 1e-9);
  }
}

}  // namespace

TEST_CASE("CycleGAN's iteration follows seed 004's PyTorch loop: identity, LSGAN and cycle terms",
          "[examples][cyclegan][parity]") {
  const auto file = fixture(name);
  const int iterations = std::stoi(file.metadata.at("iterations"));
  const ts::index n = std::stoi(file.metadata.at("batch"));
  const examples::CycleganStep<G, D>::Weights weights{.cycle = 10, .identity = 5};
  REQUIRE(std::stod(file.metadata.at("lambda_cycle")) == weights.cycle);
  REQUIRE(std::stod(file.metadata.at("lambda_identity")) == weights.identity);

  // Strict loads: tessera's names are the PyTorch state_dicts', every one.
  G g_ab, g_ba;
  D d_a, d_b;
  g_ab.load(fixture_path(std::string(name) + "_g_ab_state_dict"));
  g_ba.load(fixture_path(std::string(name) + "_g_ba_state_dict"));
  d_a.load(fixture_path(std::string(name) + "_d_a_state_dict"));
  d_b.load(fixture_path(std::string(name) + "_d_b_state_dict"));
  const ts::AdamOptions options{.lr = 2e-4, .betas = {0.5, 0.999}};
  ts::Adam<double> g_adam(ts::join_parameters(g_ab.parameters(), g_ba.parameters()), options);
  ts::Adam<double> d_a_adam(d_a.parameters(), options), d_b_adam(d_b.parameters(), options);
  const examples::CycleganModels<G, D, ts::Adam<double>> models{g_ab,   g_ba,     d_a,     d_b,
                                                                g_adam, d_a_adam, d_b_adam};
  ts::ImagePool<Image, double> pool_a(0), pool_b(0);
  examples::CycleganStep<G, D> step(n, weights);

  for (int k = 0; k < iterations; ++k) {
    INFO("iteration " << k);
    const std::string it = "it" + std::to_string(k) + ".";
    const auto a = ts::Tensor<Image, double>::from(fixture_values<double>(file, it + "real_a"));
    const auto b = ts::Tensor<Image, double>::from(fixture_values<double>(file, it + "real_b"));
    REQUIRE(a.batch() == n);
    const auto losses = step(models, a.view(), b.view(), pool_a, pool_b);
    CHECK(losses.d_a == Approx(fixture_scalar(file, it + "d_a")).epsilon(1e-10));
    CHECK(losses.d_b == Approx(fixture_scalar(file, it + "d_b")).epsilon(1e-10));
    CHECK(losses.adversarial == Approx(fixture_scalar(file, it + "adversarial")).epsilon(1e-10));
    CHECK(losses.cycle == Approx(fixture_scalar(file, it + "cycle")).epsilon(1e-10));
    CHECK(losses.identity == Approx(fixture_scalar(file, it + "identity")).epsilon(1e-10));
  }

  check_model(g_ab, file, "g_ab.");
  check_model(g_ba, file, "g_ba.");
  check_model(d_a, file, "d_a.");
  check_model(d_b, file, "d_b.");
  check_running_means(g_adam, file, "opt_g");
  check_running_means(d_a_adam, file, "opt_d_a");
  check_running_means(d_b_adam, file, "opt_d_b");
}
