// Model::save / Model::load: round trips, and one test per way a weights file can fail to fit.
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <tessera/tessera.hpp>

namespace ts = tessera;
using Catch::Matchers::Contains;

namespace {
using Net = ts::Sequential<ts::Conv2d<4, 3, 1, 1>, ts::ReLU, ts::Flatten, ts::Named<"head", ts::Linear<3>>>;
using Input = ts::Shape<2, 5, 5>;

std::filesystem::path temp_file(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "tessera_weights_test";
  std::filesystem::create_directories(dir);
  return dir / name;
}

ts::io::TensorRecord record(std::string name, std::vector<std::int64_t> shape, ts::io::Dtype dtype = ts::io::Dtype::F32) {
  std::size_t count = 1;
  for (auto d : shape) count *= std::size_t(d);
  return {std::move(name), dtype, std::move(shape), std::vector<std::byte>(count * ts::io::dtype_size(dtype))};
}

// The records of a file that fits Net exactly.
std::vector<ts::io::TensorRecord> fitting_records() {
  return {record("0.weight", {4, 2, 3, 3}), record("0.bias", {4}), record("head.weight", {3, 100}),
          record("head.bias", {3})};
}
}  // namespace

TEST_CASE("save then load restores every value, in float and double", "[weights]") {
  ts::Model<Net, Input> a(1), b(2);
  const auto path = temp_file("roundtrip.safetensors");
  a.save(path);
  REQUIRE(a.tensors()[0].values()[0] != b.tensors()[0].values()[0]);
  b.load(path);
  for (std::size_t i = 0; i < a.tensors().size(); ++i) {
    auto va = a.tensors()[i].values(), vb = b.tensors()[i].values();
    REQUIRE(std::equal(va.begin(), va.end(), vb.begin()));
  }
  // A float file loads into a double model, converted.
  ts::Model<Net, Input, ts::Cpu, double> d;
  d.load(path);
  CHECK(d.tensors()[2].values()[7] == double(a.tensors()[2].values()[7]));
}

TEST_CASE("saved file carries PyTorch's state_dict names, shapes and counters", "[weights]") {
  ts::Model<ts::Sequential<ts::Conv2d<4, 3>, ts::BatchNorm2d<>>, Input> m;
  const auto path = temp_file("names.safetensors");
  m.save(path);
  const auto file = ts::io::read_safetensors(path);
  REQUIRE(file.tensors.size() == 7);
  CHECK(file.tensors.at("0.weight").shape == std::vector<std::int64_t>{4, 2, 3, 3});
  CHECK(file.tensors.at("1.running_var").dtype == ts::io::Dtype::F32);
  CHECK(file.tensors.at("1.num_batches_tracked").dtype == ts::io::Dtype::I64);
  CHECK(file.tensors.at("1.num_batches_tracked").shape.empty());
  CHECK(file.metadata.at("format") == "pt");
}

TEST_CASE("a missing key names the key and the file", "[weights]") {
  auto records = fitting_records();
  records.erase(records.begin() + 2);
  const auto path = temp_file("missing.safetensors");
  ts::io::write_safetensors(path, records);
  ts::Model<Net, Input> m;
  REQUIRE_THROWS_AS(m.load(path), ts::WeightsError);
  REQUIRE_THROWS_WITH(m.load(path), Contains("missing.safetensors") && Contains("missing key 'head.weight'"));
}

TEST_CASE("an unexpected key is an error", "[weights]") {
  auto records = fitting_records();
  records.push_back(record("head.extra", {3}));
  const auto path = temp_file("unexpected.safetensors");
  ts::io::write_safetensors(path, records);
  ts::Model<Net, Input> m;
  REQUIRE_THROWS_WITH(m.load(path), Contains("unexpected.safetensors") && Contains("unexpected key 'head.extra'"));
}

TEST_CASE("a wrong shape names the tensor and both shapes, and changes nothing", "[weights]") {
  auto records = fitting_records();
  records[2] = record("head.weight", {3, 99});
  const auto path = temp_file("shape.safetensors");
  ts::io::write_safetensors(path, records);
  ts::Model<Net, Input> m;
  const float before = m.tensors()[0].values()[0];
  REQUIRE_THROWS_WITH(m.load(path), Contains("shape.safetensors") && Contains("'head.weight' has shape [3, 99]") &&
                                        Contains("expects [3, 100]"));
  CHECK(m.tensors()[0].values()[0] == before);
}

TEST_CASE("a wrong dtype is an error", "[weights]") {
  auto records = fitting_records();
  records[1] = record("0.bias", {4}, ts::io::Dtype::I64);
  const auto path = temp_file("dtype.safetensors");
  ts::io::write_safetensors(path, records);
  ts::Model<Net, Input> m;
  REQUIRE_THROWS_WITH(m.load(path), Contains("dtype.safetensors") && Contains("'0.bias' has dtype I64"));
}

namespace {
std::string good_file_bytes() {
  const auto good = temp_file("good.safetensors");
  ts::io::write_safetensors(good, fitting_records());
  std::ifstream in(good, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
void write_bytes(const std::filesystem::path& p, const std::string& content) {
  std::ofstream(p, std::ios::binary) << content;
}
}  // namespace

TEST_CASE("truncated data is reported with the file's name", "[weights]") {
  const std::string bytes = good_file_bytes();
  const auto truncated = temp_file("truncated.safetensors");
  write_bytes(truncated, bytes.substr(0, bytes.size() - 10));
  ts::Model<Net, Input> m;
  REQUIRE_THROWS_WITH(m.load(truncated), Contains("truncated.safetensors") && Contains("truncated"));
}

TEST_CASE("a malformed header is reported with the file's name", "[weights]") {
  std::string bytes = good_file_bytes();
  bytes[8] = '[';  // the header's opening brace
  const auto malformed = temp_file("malformed.safetensors");
  write_bytes(malformed, bytes);
  ts::Model<Net, Input> m;
  REQUIRE_THROWS_WITH(m.load(malformed), Contains("malformed.safetensors") && Contains("malformed"));
}

TEST_CASE("overlapping offsets are reported with the file's name", "[weights]") {
  const std::string header = R"({"0.weight":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                             R"("0.bias":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})";
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[std::size_t(i)] = char((header.size() >> (8 * i)) & 0xff);
  const auto overlap = temp_file("overlap.safetensors");
  write_bytes(overlap, file + header + std::string(24, '\0'));
  ts::Model<Net, Input> m;
  REQUIRE_THROWS_WITH(m.load(overlap), Contains("overlap.safetensors") && Contains("overlap"));
}

TEST_CASE("a file that does not exist is reported by name", "[weights]") {
  ts::Model<Net, Input> m;
  REQUIRE_THROWS_WITH(m.load(temp_file("does_not_exist.safetensors")), Contains("does_not_exist.safetensors"));
}

TEST_CASE("a state_dict saved by PyTorch loads with Model::load and gives PyTorch's output", "[weights]") {
  // tests/fixtures/make_fixtures.py: nn.Sequential(ConvTranspose2d(8, 4, 4, 1, 0, bias=False),
  // BatchNorm2d(4), ReLU(), ConvTranspose2d(4, 3, 4, 2, 1, bias=False), Tanh()), eval mode.
  using Block = ts::Sequential<ts::ConvTranspose2d<4, 4, 1, 0, 0, ts::no_bias>, ts::BatchNorm2d<>, ts::ReLU,
                               ts::ConvTranspose2d<3, 4, 2, 1, 0, ts::no_bias>, ts::Tanh>;
  const std::string dir = std::string(TESSERA_TEST_DATA_DIR) + "/fixtures/";
  ts::Model<Block, ts::Shape<8, 1, 1>> m;
  m.load(dir + "dcgan_block_state_dict.safetensors");
  m.eval();
  const auto fixture = ts::io::read_safetensors(dir + "dcgan_block.safetensors");
  auto floats = [](const ts::io::TensorRecord& r) {
    std::vector<float> v(r.data.size() / sizeof(float));
    std::memcpy(v.data(), r.data.data(), r.data.size());
    return v;
  };
  auto x = ts::Tensor<ts::Shape<8, 1, 1>>::from(floats(fixture.tensors.at("input")));
  const auto expected = floats(fixture.tensors.at("output"));
  auto y = m.forward(x);
  REQUIRE(y.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) REQUIRE(y[i] == Approx(expected[i]).epsilon(1e-5).margin(1e-6));
  // The counter came across too.
  for (auto& e : m.tensors())
    if (e.name == "1.num_batches_tracked") CHECK(*e.count > 0);
}
