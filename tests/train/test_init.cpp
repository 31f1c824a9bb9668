// Initialisers: fans against numbers PyTorch's _calculate_fan_in_and_fan_out gives (ConvTranspose2d
// included, whose fan_in comes from dim 1), each distribution's sample mean and deviation within
// statistical tolerance of its target, selection by layer type and tensor name, DCGAN's rule set,
// bit-identical parameters from the same seed, and the bounds of PyTorch's default initialisation
// that every model starts with.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "tessera/compose/sequential.hpp"
#include "tessera/layers/batch_norm2d.hpp"
#include "tessera/layers/conv2d.hpp"
#include "tessera/layers/conv_transpose2d.hpp"
#include "tessera/layers/leaky_relu.hpp"
#include "tessera/layers/linear.hpp"
#include "tessera/layers/relu.hpp"
#include "tessera/layers/reshape.hpp"
#include "tessera/layers/spectral_norm.hpp"
#include "tessera/layers/tanh.hpp"
#include "tessera/model.hpp"
#include "tessera/train/init.hpp"

namespace ts = tessera;

namespace {

// A DCGAN-style generator: tensors "0.weight" (100, 64, 4, 4), "1.weight"/"1.bias" (64),
// "3.weight" (64, 3, 4, 4), "3.bias" (3).
using DcganGenerator =
    ts::Sequential<ts::ConvTranspose2d<64, 4, 2, 1, 0, ts::no_bias>, ts::BatchNorm2d<>, ts::ReLU,
                   ts::ConvTranspose2d<3, 4, 2, 1>, ts::Tanh>;
using GeneratorModel = ts::Model<DcganGenerator, ts::Shape<100, 1, 1>>;
// A classifier: "0.weight" (64, 3, 3, 3), "0.bias", "1.weight"/"1.bias" (64),
// "4.weight" (256, 576), "4.bias".
using Classifier =
    ts::Sequential<ts::Conv2d<64, 3>, ts::BatchNorm2d<>, ts::ReLU, ts::Flatten, ts::Linear<256>>;
using ClassifierModel = ts::Model<Classifier, ts::Shape<3, 5, 5>>;

template <class M>
const ts::TensorEntry<float>& tensor(const M& model, const std::string& name) {
  for (const auto& e : model.tensors())
    if (e.name == name) return e;
  FAIL("no tensor " << name);
  throw std::logic_error("unreachable");
}

struct Sample {
  double mean = 0, stddev = 0, max_abs = 0;
  double within_one_stddev =
      0;  // fraction within one deviation of the mean: 0.683 normal, 0.577 uniform
};

Sample sample_of(std::span<const float> values) {
  Sample s;
  for (float v : values) s.mean += v;
  s.mean /= double(values.size());
  for (float v : values) {
    s.stddev += (v - s.mean) * (v - s.mean);
    s.max_abs = std::max(s.max_abs, double(std::abs(v)));
  }
  s.stddev = std::sqrt(s.stddev / double(values.size()));
  for (float v : values) s.within_one_stddev += std::abs(v - s.mean) <= s.stddev;
  s.within_one_stddev /= double(values.size());
  return s;
}

// Mean and deviation within 5 standard errors of their targets: for n samples the mean's error is
// stddev / sqrt(n) and the deviation's about stddev / sqrt(2n) (a little more for a uniform).
void check_distribution(std::span<const float> values, double mean, double stddev, bool normal) {
  const Sample s = sample_of(values);
  const double n = double(values.size());
  INFO("sample mean " << s.mean << ", deviation " << s.stddev << " of " << n
                      << " values; target mean " << mean << ", deviation " << stddev);
  CHECK(std::abs(s.mean - mean) <= 5 * stddev / std::sqrt(n));
  CHECK(std::abs(s.stddev - stddev) <= 5 * stddev / std::sqrt(2 * n));
  if (n > 10000) CHECK(s.within_one_stddev == Approx(normal ? 0.6827 : 0.5774).margin(0.01));
}

void check_uniform_bound(std::span<const float> values, double bound) {
  INFO("bound " << bound);
  const Sample s = sample_of(values);
  CHECK(s.max_abs <= bound);
  // The largest of n uniform draws lies within bound (1 - 10/n) but for a chance of e^-10.
  CHECK(s.max_abs >= bound * (1 - 10.0 / double(values.size())));
  check_distribution(values, 0, bound / std::sqrt(3.0), false);
}

}  // namespace

TEST_CASE("Fans are PyTorch's, ConvTranspose2d's fan_in included", "[train][init]") {
  // From torch.nn.init._calculate_fan_in_and_fan_out(m.weight) in PyTorch 1.13.
  struct Case {
    ts::Dims dims;  // of Conv2d(3, 64, 3), ConvTranspose2d(100, 64, 4, 2, 1), Linear(512, 256),
                    // ConvTranspose2d(64, 3, 4, 2, 1), Conv2d(64, 128, 4, 2, 1)
    std::int64_t fan_in, fan_out;
  };
  const Case cases[] = {{{64, 3, 3, 3}, 27, 576},
                        {{100, 64, 4, 4}, 1024, 1600},
                        {{256, 512}, 512, 256},
                        {{64, 3, 4, 4}, 48, 1024},
                        {{128, 64, 4, 4}, 1024, 2048}};
  for (const Case& c : cases) {
    const ts::Fans f = ts::fans_of(c.dims);
    CHECK(f.fan_in == c.fan_in);
    CHECK(f.fan_out == c.fan_out);
  }
  // And those are the dims the layers give their weights.
  GeneratorModel g;
  CHECK(tensor(g, "0.weight").dims == ts::Dims{100, 64, 4, 4});
  CHECK(tensor(g, "3.weight").dims == ts::Dims{64, 3, 4, 4});
  ClassifierModel c;
  CHECK(tensor(c, "0.weight").dims == ts::Dims{64, 3, 3, 3});
  CHECK(tensor(c, "4.weight").dims == ts::Dims{256, 576});

  CHECK_THROWS_AS(ts::fans_of({64}), std::invalid_argument);
  // nn.init.calculate_gain('leaky_relu', 0.2) and ('tanh').
  CHECK(ts::gain_of(ts::Nonlinearity::leaky_relu, 0.2) ==
        Approx(1.3867504905630728).epsilon(1e-15));
  CHECK(ts::gain_of(ts::Nonlinearity::tanh) == Approx(1.6666666666666667).epsilon(1e-15));
  CHECK(ts::gain_of(ts::Nonlinearity::relu) == std::sqrt(2.0));
  CHECK(ts::gain_of(ts::Nonlinearity::linear) == 1);
}

TEST_CASE("Each initialiser draws from its distribution", "[train][init]") {
  GeneratorModel g(3);
  const auto& weight = tensor(g, "0.weight");  // 102,400 values; fan_in 1024, fan_out 1600
  const auto values = [&] { return std::span<const float>(weight.values()); };
  auto apply = [&](const ts::init::Initializer& how) {
    ts::initialize(weight, how, g.generator());
  };

  SECTION("constant") {
    apply(ts::init::constant(0.25));
    CHECK(std::all_of(values().begin(), values().end(), [](float v) { return v == 0.25f; }));
  }
  SECTION("uniform") {
    apply(ts::init::uniform(-0.3, 0.7));
    CHECK(*std::min_element(values().begin(), values().end()) >= -0.3f);
    CHECK(*std::max_element(values().begin(), values().end()) < 0.7f);
    check_distribution(values(), 0.2, 1 / std::sqrt(12.0), false);
  }
  SECTION("normal") {
    apply(ts::init::normal(0.5, 0.02));
    check_distribution(values(), 0.5, 0.02, true);
  }
  SECTION("Xavier uniform") {
    apply(ts::init::xavier_uniform(2));
    check_uniform_bound(values(), 2 * std::sqrt(6.0 / (1024 + 1600)));
  }
  SECTION("Xavier normal") {
    apply(ts::init::xavier_normal());
    check_distribution(values(), 0, std::sqrt(2.0 / (1024 + 1600)), true);
  }
  SECTION("Kaiming uniform, PyTorch's defaults (a = 0, fan_in, leaky_relu: gain sqrt 2)") {
    apply(ts::init::kaiming_uniform());
    check_uniform_bound(values(), std::sqrt(2.0) * std::sqrt(3.0 / 1024));
  }
  SECTION("Kaiming uniform, a = sqrt(5) (PyTorch's layer default): 1 / sqrt(fan_in)") {
    apply(ts::init::kaiming_uniform({.a = std::sqrt(5.0)}));
    check_uniform_bound(values(), 1 / std::sqrt(1024.0));
  }
  SECTION("Kaiming normal, fan_out, relu") {
    apply(ts::init::kaiming_normal(
        {.mode = ts::FanMode::fan_out, .nonlinearity = ts::Nonlinearity::relu}));
    check_distribution(values(), 0, std::sqrt(2.0) / std::sqrt(1600.0), true);
  }
  SECTION("Kaiming normal, leaky_relu 0.2, fan_in") {
    apply(ts::init::kaiming_normal({.a = 0.2}));
    check_distribution(values(), 0, 1.3867504905630728 / std::sqrt(1024.0), true);
  }
  SECTION("Xavier and Kaiming refuse a 1-d tensor, naming it") {
    CHECK_THROWS_WITH(
        ts::initialize(tensor(g, "1.weight"), ts::init::kaiming_normal(), g.generator()),
        Catch::Contains("'1.weight'") && Catch::Contains("2 or more dimensions"));
    CHECK_THROWS_AS(ts::initialize(g, "", "bias", ts::init::xavier_uniform()),
                    std::invalid_argument);
  }
}

TEST_CASE("Initialisers are applied by layer type and tensor name", "[train][init]") {
  ClassifierModel c(5);
  const std::vector<float> before(c.parameter_values().begin(), c.parameter_values().end());
  auto unchanged = [&](const std::string& name) {
    const auto& e = tensor(c, name);
    const auto offset = std::size_t(e.value - c.parameter_values().data());
    return std::equal(e.values().begin(), e.values().end(),
                      before.begin() + std::ptrdiff_t(offset));
  };

  CHECK(ts::initialize(c, "Linear", "weight", ts::init::xavier_uniform()) == 1);
  CHECK_FALSE(unchanged("4.weight"));
  CHECK(unchanged("4.bias"));
  CHECK(unchanged("0.weight"));

  CHECK(ts::initialize(c, "", "bias", ts::init::zeros()) ==
        3);  // Conv2d, BatchNorm2d and Linear biases
  for (const char* name : {"0.bias", "1.bias", "4.bias"}) {
    const auto& e = tensor(c, name);
    CHECK(std::all_of(e.values().begin(), e.values().end(), [](float v) { return v == 0; }));
  }
  CHECK(unchanged("1.weight"));
  CHECK(ts::initialize(c, "conv", "weight", ts::init::zeros()) ==
        0);  // layer types are PyTorch's: "Conv2d"
  CHECK(ts::initialize(c, "Conv2d", "", ts::init::ones()) == 2);
  // The first matching rule wins.
  CHECK(ts::initialize(c, {{"BatchNorm", "weight", ts::init::constant(2)},
                           {"", "", ts::init::constant(3)}}) == 6);
  CHECK(tensor(c, "1.weight").values()[0] == 2);
  CHECK(tensor(c, "1.bias").values()[0] == 3);
  // Buffers are never touched.
  CHECK(tensor(c, "1.running_var").values()[0] == 1);
}

TEST_CASE("dcgan_init: conv weights N(0, 0.02), batch-norm weights N(1, 0.02), biases 0",
          "[train][init]") {
  GeneratorModel g(11);
  const float conv_bias = tensor(g, "3.bias").values()[0];
  ts::dcgan_init(g);
  check_distribution(tensor(g, "0.weight").values(), 0, 0.02, true);
  check_distribution(tensor(g, "3.weight").values(), 0, 0.02, true);  // 3,072 values
  check_distribution(tensor(g, "1.weight").values(), 1, 0.02, true);  // 64 values
  const auto bn_bias = tensor(g, "1.bias").values();
  CHECK(std::all_of(bn_bias.begin(), bn_bias.end(), [](float v) { return v == 0; }));
  CHECK(tensor(g, "3.bias").values()[0] == conv_bias);  // DCGAN leaves convolution biases alone
  CHECK(tensor(g, "1.running_mean").values()[0] == 0);
  CHECK(tensor(g, "1.running_var").values()[0] == 1);
}

TEST_CASE("A rule for a weight reaches a spectral-normalised layer's weight_orig", "[train][init]") {
  using Critic = ts::Sequential<ts::SpectralNorm<ts::Conv2d<64, 4, 2, 1>>, ts::LeakyReLU<0.2>, ts::Flatten,
                                ts::SpectralNorm<ts::Linear<1>>>;
  ts::Model<Critic, ts::Shape<3, 8, 8>> critic(5);
  CHECK(ts::initialize(critic, "Conv", "weight", ts::init::normal(0, 0.02)) == 1);
  check_distribution(tensor(critic, "0.weight_orig").values(), 0, 0.02, true);  // 3,072 values
  CHECK(ts::initialize(critic, "", "bias", ts::init::zeros()) == 2);
  CHECK(ts::initialize(critic, "", "orig", ts::init::zeros()) == 0);  // a name's whole last part
}

TEST_CASE("The same seed gives the same parameters bit for bit", "[train][init]") {
  auto initialised = [](std::uint64_t seed) {
    ClassifierModel c(seed);
    ts::dcgan_init(c);
    ts::initialize(c, "Linear", "weight",
                   ts::init::kaiming_normal({.nonlinearity = ts::Nonlinearity::relu}));
    return std::vector<float>(c.parameter_values().begin(), c.parameter_values().end());
  };
  const auto a = initialised(42), b = initialised(42), other = initialised(43);
  REQUIRE(a.size() == b.size());
  CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
  CHECK(std::memcmp(a.data(), other.data(), a.size() * sizeof(float)) != 0);
}

TEST_CASE("A new model has PyTorch's default initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in))",
          "[train][init]") {
  // fan_in as PyTorch computes it from the weight: Conv2d(3, 64, 3) 27, Linear(576, 256) 576,
  // ConvTranspose2d(100, 64, 4) 64 * 16 = 1024 (dim 1, not the 100 input channels), and
  // ConvTranspose2d(64, 3, 4) 48.
  ClassifierModel c(1);
  GeneratorModel g(2);
  struct Case {
    const ts::TensorEntry<float>& weight;
    const ts::TensorEntry<float>* bias;
    std::int64_t fan_in;
  };
  const Case cases[] = {{tensor(c, "0.weight"), &tensor(c, "0.bias"), 27},
                        {tensor(c, "4.weight"), &tensor(c, "4.bias"), 576},
                        {tensor(g, "0.weight"), nullptr, 1024},
                        {tensor(g, "3.weight"), &tensor(g, "3.bias"), 48}};
  for (const Case& k : cases) {
    INFO("tensor " << k.weight.name << " of " << k.weight.layer);
    CHECK(ts::fans_of(k.weight.dims).fan_in == k.fan_in);
    const double bound = 1 / std::sqrt(double(k.fan_in));
    check_uniform_bound(k.weight.values(), bound);
    if (k.bias) {
      const Sample s = sample_of(k.bias->values());
      CHECK(s.max_abs <= bound);
      // Of 64 or more draws, all below 0.8 of the bound has a chance of 0.8^64 = 6e-7.
      if (k.bias->size() >= 64) CHECK(s.max_abs >= 0.8 * bound);
    }
  }
  // Batch norm starts at weight 1, bias 0.
  CHECK(tensor(c, "1.weight").values()[0] == 1);
  CHECK(tensor(c, "1.bias").values()[0] == 0);
}
