// InfoGAN's iteration (examples/common/infogan_step.hpp) against seed 002's PyTorch train loop
// (tests/fixtures/make_infogan_fixtures.py): the same small G and D from the same weights, fed the
// same draws for a few iterations, give PyTorch's three losses at every iteration, its weights and
// running statistics at the end, and its Adams' running means of the gradients (which a gradient
// scaled wrongly changes, though Adam's step hardly notices the scale). Then the latent codes of
// the example's sample grids.
//
// The tolerances are set by the problem, not by tessera: a few parameters get gradients that are
// zero but for rounding (a BatchNorm's bias whose shift the next BatchNorm removes), so Adam moves
// them by rounding noise over eps, and whatever reads them inherits it. PyTorch against itself,
// its real batch moved by one to three parts in 1e15, differs by up to 4.7e-10 in such a bias after
// three iterations (1.4e-10 in an exp_avg, 3e-11 in a loss); so 2e-9 absolute for weights
// (1/100,000 of one Adam step of lr 2e-4), 5e-10 for the running means of the gradients and 1e-9
// relative for the losses. A real mistake (the D loss not halved, a lambda left out, a step out of
// order) moves things by a step.
#include <catch2/catch.hpp>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "../../examples/common/infogan_step.hpp"
#include "../support/entries.hpp"
#include "../support/fixtures.hpp"
#include "../support/temp_dir.hpp"
#include "tessera/io/safetensors.hpp"
#include "tessera/model.hpp"
#include "tessera/models/infogan.hpp"
#include "tessera/train/adam.hpp"

namespace ts = tessera;
using ts::testing::check_close;
using ts::testing::fixture;
using ts::testing::fixture_integers;
using ts::testing::fixture_path;
using ts::testing::fixture_scalar;
using ts::testing::fixture_values;

namespace {

using Image = ts::Shape<1, 16, 16>;
using Codes = examples::LatentCodes<4, 10, 2, double>;
using G = ts::Model<ts::models::InfoganGenerator<1, 16, 4>,
                    ts::Shapes<ts::Shape<4>, ts::Shape<10>, ts::Shape<2>>, ts::Cpu, double>;

// Iteration k's draws `prefix` ("" or "info_") from the fixture.
Codes codes_of(const ts::io::SafetensorsFile& file, int k, const std::string& prefix, ts::index n) {
  const std::string it = "it" + std::to_string(k) + "." + prefix;
  Codes codes(n);
  codes.noise = ts::Tensor<ts::Shape<4>, double>::from(fixture_values<double>(file, it + "z"));
  codes.code = ts::Tensor<ts::Shape<2>, double>::from(fixture_values<double>(file, it + "code"));
  const auto labels = fixture_integers(file, it + "labels");
  REQUIRE(labels.size() == std::size_t(n));
  for (ts::index i = 0; i < n; ++i) codes.set_class(i, labels[std::size_t(i)]);
  return codes;
}

// An optimizer's exp_avg of each parameter against PyTorch's, through its saved state.
void check_running_means(const ts::Adam<double>& adam, const ts::io::SafetensorsFile& want,
                         const std::string& label) {
  ts::testing::TempDir dir("tessera_infogan");
  adam.save((dir / "adam.safetensors").string());
  const auto saved = ts::io::read_safetensors((dir / "adam.safetensors").string());
  for (std::size_t i = 0; i < adam.parameters().size(); ++i) {
    const std::string key = label + "." + std::to_string(i);
    INFO(key << " (" << adam.parameters()[i]->name << ")");
    const auto got = ts::testing::record_values<double>(
        ts::testing::fixture_record(saved, "state." + std::to_string(i) + ".exp_avg"));
    check_close(key, got.data(), fixture_values<double>(want, key), 1e-8, 5e-10);
  }
}

template <class DSpec>
void check_against_pytorch(const std::string& name, examples::InfoWeights weights) {
  INFO("case " << name);
  using D = ts::Model<DSpec, Image, ts::Cpu, double>;
  const auto file = fixture(name);
  const int iterations = std::stoi(file.metadata.at("iterations"));
  const ts::index n = std::stoi(file.metadata.at("batch"));
  REQUIRE(std::stod(file.metadata.at("lambda_cat")) == weights.categorical);
  REQUIRE(std::stod(file.metadata.at("lambda_con")) == weights.continuous);

  G g;
  D d;
  g.load(fixture_path(name + "_g_state_dict"));
  d.load(fixture_path(name + "_d_state_dict"));
  for (const char* dropout : {"model.2", "model.5", "model.9", "model.13"})
    d.eval(dropout);  // as the fixture
  ts::Adam<double> g_adam(g.parameters(), {.lr = 2e-4, .betas = {0.5, 0.999}});
  ts::Adam<double> d_adam(d.parameters(), {.lr = 2e-4, .betas = {0.5, 0.999}});
  ts::Adam<double> info_adam(ts::join_parameters(g.parameters(), d.parameters()),
                             {.lr = 2e-4, .betas = {0.5, 0.999}});
  examples::InfoganStep<G, D, double> step(n, weights);

  for (int k = 0; k < iterations; ++k) {
    INFO("iteration " << k);
    const std::string it = "it" + std::to_string(k) + ".";
    const auto real = ts::Tensor<Image, double>::from(fixture_values<double>(file, it + "real"));
    const auto losses = step(g, d, g_adam, d_adam, info_adam, real.view(), codes_of(file, k, "", n),
                             codes_of(file, k, "info_", n));
    CHECK(losses.g == Approx(fixture_scalar(file, it + "loss_g")).epsilon(1e-9));
    CHECK(losses.d == Approx(fixture_scalar(file, it + "loss_d")).epsilon(1e-9));
    CHECK(losses.info == Approx(fixture_scalar(file, it + "loss_info")).epsilon(1e-9));
  }

  // Weights and running statistics after the last iteration.
  auto check_model = [&](const auto& model, const std::string& prefix) {
    for (const auto& e : model.tensors()) {
      INFO(prefix << e.name);
      if (e.count != nullptr) {
        CHECK(*e.count == fixture_integers(file, prefix + e.name).at(0));
      } else {
        check_close(prefix + e.name, e.values().data(),
                    fixture_values<double>(file, prefix + e.name), 1e-8, 2e-9);
      }
    }
  };
  check_model(g, "g.");
  check_model(d, "d.");
  check_running_means(g_adam, file, "opt_g");
  check_running_means(d_adam, file, "opt_d");
  check_running_means(info_adam, file, "opt_info");
}

}  // namespace

TEST_CASE(
    "InfoGAN's iteration follows seed 002's PyTorch loop: softmax class head, weights 1 and 1",
    "[examples][infogan][parity]") {
  check_against_pytorch<ts::models::InfoganDiscriminator002<10, 2, 2, 8>>("infogan_step_002",
                                                                          {1.0, 1.0});
}

TEST_CASE("InfoGAN's iteration with class logits and other weights of the information loss",
          "[examples][infogan][parity]") {
  check_against_pytorch<ts::models::InfoganDiscriminator<10, 2, 2, 8>>("infogan_step_logits",
                                                                       {0.7, 0.1});
}

TEST_CASE("InfoGAN's draws: one-hot rows name the labels, every class comes up, codes N(0, 1)",
          "[examples][infogan]") {
  ts::Generator rng(5);
  Codes codes(2000);
  codes.draw(rng);
  std::set<std::int64_t> seen;
  double sum = 0, squares = 0;
  for (ts::index i = 0; i < codes.batch(); ++i) {
    const std::int64_t label = codes.labels[std::size_t(i)];
    seen.insert(label);
    for (int k = 0; k < 10; ++k)
      REQUIRE(codes.one_hot[std::size_t(i * 10 + k)] == double(k == label));
  }
  for (double v : codes.code.span()) {
    sum += v;
    squares += v * v;
  }
  CHECK(seen.size() == 10);
  CHECK(sum / 4000 == Approx(0).margin(0.06));  // 4 standard errors of a mean of 4000 N(0, 1)
  CHECK(squares / 4000 == Approx(1).margin(0.1));
  CHECK_THROWS_AS(codes.set_class(0, 10), std::out_of_range);
}

TEST_CASE(
    "InfoGAN's grids: one class per row; fixed noise per column, or one code swept along the row",
    "[examples][infogan]") {
  ts::Generator rng(9);
  ts::Tensor<ts::Shape<4>, double> noise(10);
  for (double& v : noise.span()) v = rng.normal();
  const auto noise_of = [](const Codes& c, ts::index i) {
    return std::vector<double>(c.noise.data() + i * 4, c.noise.data() + (i + 1) * 4);
  };
  const auto fixed_noise = [&](ts::index j) {
    return std::vector<double>(noise.data() + j * 4, noise.data() + (j + 1) * 4);
  };

  const Codes fixed = examples::fixed_codes<4, 10, 2>(noise, 10);
  REQUIRE(fixed.batch() == 100);
  for (ts::index i = 0; i < 100; ++i) {
    INFO("image " << i);
    CHECK(fixed.labels[std::size_t(i)] == i / 10);
    CHECK(noise_of(fixed, i) == fixed_noise(i % 10));
    CHECK(fixed.code[std::size_t(2 * i)] == 0);
    CHECK(fixed.code[std::size_t(2 * i + 1)] == 0);
  }

  for (int which = 0; which < 2; ++which) {
    const Codes sweep = examples::code_sweep<4, 10, 2>(noise, which, 10, 1.0);
    REQUIRE(sweep.batch() == 100);
    for (ts::index i = 0; i < 100; ++i) {
      INFO("code " << which << ", image " << i);
      CHECK(sweep.labels[std::size_t(i)] == i / 10);
      CHECK(sweep.one_hot[std::size_t(i * 10 + i / 10)] == 1);
      CHECK(noise_of(sweep, i) == fixed_noise(0));
      CHECK(sweep.code[std::size_t(2 * i + which)] == Approx(-1 + 2.0 * double(i % 10) / 9));
      CHECK(sweep.code[std::size_t(2 * i + 1 - which)] == 0);
    }
  }
  const Codes wide = examples::code_sweep<4, 10, 2>(noise, 1, 5, 2.0);
  CHECK(wide.code[1] == -2);
  CHECK(wide.code[2 * 4 + 1] == 2);
  CHECK(wide.code[2 * 2 + 1] == 0);
  CHECK_THROWS_AS((examples::code_sweep<4, 10, 2>(noise, 2, 10, 1.0)), std::out_of_range);
}
