// Model::load with LoadOptions (non-strict, under a prefix) and ts::save_models: PyTorch's
// load_state_dict(strict=False) and several models in one file.
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <tessera/tessera.hpp>

namespace ts = tessera;
using Catch::Matchers::Contains;

namespace {
using Net = ts::Sequential<ts::Linear<6>, ts::Tanh, ts::Named<"head", ts::Linear<3>>>;
using Input = ts::Shape<4>;
using Strings = std::vector<std::string>;

std::string temp_file(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "tessera_load_options_test";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

ts::io::TensorRecord record(std::string name, std::vector<std::int64_t> shape, float fill = 0.5f) {
  std::size_t count = 1;
  for (auto d : shape) count *= std::size_t(d);
  std::vector<float> values(count, fill);
  std::vector<std::byte> bytes(count * sizeof(float));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return {std::move(name), ts::io::Dtype::F32, std::move(shape), std::move(bytes)};
}

std::vector<float> values_of(const ts::TensorEntry<float>& e) { return {e.values().begin(), e.values().end()}; }

template <class M>
std::vector<std::vector<float>> all_values(const M& m) {
  std::vector<std::vector<float>> out;
  for (const auto& e : m.tensors()) out.push_back(values_of(e));
  return out;
}

std::vector<float> floats(const ts::io::TensorRecord& r) {
  std::vector<float> v(r.data.size() / sizeof(float));
  std::memcpy(v.data(), r.data.data(), r.data.size());
  return v;
}

Strings split(const std::string& list) {
  Strings out;
  for (std::size_t start = 0; start < list.size();) {
    const std::size_t end = std::min(list.find(',', start), list.size());
    out.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return out;
}
}  // namespace

TEST_CASE("non-strict load fills what the file has and reports the missing keys", "[weights][load]") {
  const auto path = temp_file("missing.safetensors");
  ts::io::write_safetensors(path, {record("0.weight", {6, 4}), record("0.bias", {6})});
  ts::Model<Net, Input> m(1);
  const auto head_before = values_of(m.tensors()[2]);
  const ts::LoadResult r = m.load(path, {.strict = false});
  CHECK(r.missing_keys == Strings{"head.weight", "head.bias"});
  CHECK(r.unexpected_keys.empty());
  CHECK(values_of(m.tensors()[0]) == std::vector<float>(24, 0.5f));
  CHECK(values_of(m.tensors()[2]) == head_before);
  // Strict (the default) still refuses the same file, with today's message.
  REQUIRE_THROWS_WITH(m.load(path), Contains("missing.safetensors") &&
                                        Contains("missing keys 'head.weight', 'head.bias' (the file has 2 tensors)"));
}

TEST_CASE("non-strict load skips and reports unexpected keys", "[weights][load]") {
  const auto path = temp_file("unexpected.safetensors");
  ts::io::write_safetensors(path, {record("0.weight", {6, 4}), record("0.bias", {6}), record("head.weight", {3, 6}),
                                   record("head.bias", {3}), record("head.extra", {3}), record("aux.weight", {2})});
  ts::Model<Net, Input> m;
  const ts::LoadResult r = m.load(path, {.strict = false});
  CHECK(r.missing_keys.empty());
  CHECK(r.unexpected_keys == Strings{"aux.weight", "head.extra"});
  CHECK(values_of(m.tensors()[3]) == std::vector<float>(3, 0.5f));
  REQUIRE_THROWS_WITH(m.load(path), Contains("unexpected key 'aux.weight': the model has no tensor of that name"));
}

TEST_CASE("non-strict load with keys missing on both sides", "[weights][load]") {
  const auto path = temp_file("both.safetensors");
  ts::io::write_safetensors(path, {record("0.weight", {6, 4}), record("head.bias", {3}), record("1.weight", {6})});
  ts::Model<Net, Input> m;
  const ts::LoadResult r = m.load(path, {.strict = false});
  CHECK(r.missing_keys == Strings{"0.bias", "head.weight"});
  CHECK(r.unexpected_keys == Strings{"1.weight"});
}

TEST_CASE("non-strict load still throws on a shape mismatch and changes nothing", "[weights][load]") {
  const auto path = temp_file("shape.safetensors");
  ts::io::write_safetensors(path, {record("0.weight", {6, 4}), record("head.weight", {3, 5}), record("extra", {1})});
  ts::Model<Net, Input> m(3);
  const auto before = all_values(m);
  REQUIRE_THROWS_AS(m.load(path, {.strict = false}), ts::WeightsError);
  REQUIRE_THROWS_WITH(m.load(path, {.strict = false}),
                      Contains("shape.safetensors") && Contains("'head.weight' has shape [3, 5]") &&
                          Contains("expects [3, 6]"));
  CHECK(all_values(m) == before);
}

TEST_CASE("two models saved to one file under prefixes load back bit-exactly", "[weights][load]") {
  using D = ts::Sequential<ts::Linear<5>, ts::LeakyReLU<0.2>, ts::Linear<1>>;
  ts::Model<Net, Input> g(1), g2(11);
  ts::Model<D, ts::Shape<3>, ts::Cpu, double> d(2), d2(12);
  const auto path = temp_file("pair.safetensors");
  ts::save_models(path, {{"G", g}, {"D", d}});

  const auto file = ts::io::read_safetensors(path);
  CHECK(file.tensors.size() == g.tensors().size() + d.tensors().size());
  CHECK(file.tensors.at("G.head.weight").shape == std::vector<std::int64_t>{3, 6});
  CHECK(file.tensors.at("D.2.bias").dtype == ts::io::Dtype::F64);

  // Strict under a prefix: the other model's keys are outside it, not unexpected.
  const ts::LoadResult rg = g2.load(path, {.prefix = "G"});
  CHECK(rg.missing_keys.empty());
  CHECK(rg.unexpected_keys.empty());
  d2.load(path, {.prefix = "D"});
  CHECK(all_values(g2) == all_values(g));
  for (std::size_t i = 0; i < d.tensors().size(); ++i) {
    auto a = d.tensors()[i].values(), b = d2.tensors()[i].values();
    CHECK(std::equal(a.begin(), a.end(), b.begin()));
  }

  // A model under the wrong prefix: errors name the full key.
  REQUIRE_THROWS_WITH(g2.load(path, {.prefix = "D"}),
                      Contains("pair.safetensors") && Contains("tensor 'D.0.weight' has shape [5, 3]"));
  REQUIRE_THROWS_WITH(g2.load(path, {.prefix = "X"}),
                      Contains("missing keys 'X.0.weight'") && Contains("(the file has 0 tensors under 'X.')"));
  // One prefix twice would write two tensors under one name: refused, and nothing written.
  const auto twice = temp_file("twice.safetensors");
  std::filesystem::remove(twice);
  REQUIRE_THROWS(ts::save_models(twice, {{"G", g}, {"G", g2}}));
  CHECK_FALSE(std::filesystem::exists(twice));
}

TEST_CASE("a PyTorch file with G. and D. prefixes loads into two models and gives PyTorch's outputs",
          "[weights][load]") {
  // tests/fixtures/make_load_fixtures.py: G = Sequential(Linear(4, 8), Tanh(), Linear(8, 3)),
  // D = Sequential(Linear(3, 5), LeakyReLU(0.2), Linear(5, 1)).
  using G = ts::Sequential<ts::Linear<8>, ts::Tanh, ts::Linear<3>>;
  using D = ts::Sequential<ts::Linear<5>, ts::LeakyReLU<0.2>, ts::Linear<1>>;
  const std::string path = std::string(TESSERA_TEST_DATA_DIR) + "/fixtures/gan_prefixed.safetensors";
  const auto fixture = ts::io::read_safetensors(path);
  ts::Model<G, ts::Shape<4>> g;
  ts::Model<D, ts::Shape<3>> d;
  g.load(path, {.prefix = "G"});
  d.load(path, {.prefix = "D"});
  auto check_forward = [&](auto& m, const std::string& which, auto input_shape) {
    auto x = ts::Tensor<decltype(input_shape)>::from(floats(fixture.tensors.at("input." + which)));
    const auto expected = floats(fixture.tensors.at("output." + which));
    auto y = m.forward(x);
    REQUIRE(y.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) CHECK(y[i] == Approx(expected[i]).epsilon(1e-5).margin(1e-6));
  };
  check_forward(g, "G", ts::Shape<4>{});
  check_forward(d, "D", ts::Shape<3>{});

  // PyTorch's load_state_dict(strict=False) for a G that does not quite fit, as the fixture
  // recorded it: the same keys, missing in the model's order; unexpected compared as sets.
  using GOther = ts::Sequential<ts::Linear<8>, ts::Tanh, ts::Linear<3, ts::no_bias>, ts::Tanh, ts::Linear<2>>;
  ts::Model<GOther, ts::Shape<4>> other;
  const ts::LoadResult r = other.load(path, {.prefix = "G", .strict = false});
  CHECK(r.missing_keys == split(fixture.metadata.at("missing_keys")));
  Strings unexpected = split(fixture.metadata.at("unexpected_keys"));
  std::sort(unexpected.begin(), unexpected.end());
  CHECK(r.unexpected_keys == unexpected);
  CHECK(values_of(other.tensors()[0]) == floats(fixture.tensors.at("G.0.weight")));
}
