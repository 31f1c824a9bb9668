// Tests for tessera/io/safetensors.hpp: round trips, the exact byte layout, a file laid out by
// PyTorch-side code (tests/io/make_safetensors_reference.py), and one test per kind of bad file.
#include <bit>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/io/safetensors.hpp"

#if defined(__linux__)
#include <sys/resource.h>
#endif

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using tessera::io::Dtype;
using tessera::io::read_safetensors;
using tessera::io::SafetensorsError;
using tessera::io::TensorRecord;
using tessera::io::write_safetensors;
using namespace std::string_literals;

// A macro rather than a function so that a failure is reported at the case that failed. Every
// read error must be a SafetensorsError that starts with the path and matches `matcher`.
#define TESSERA_REQUIRE_READ_ERROR(path, matcher)                                                 \
  do {                                                                                            \
    REQUIRE_THROWS_AS(read_safetensors(path), SafetensorsError);                                  \
    REQUIRE_THROWS_WITH(read_safetensors(path), StartsWith((path).string() + ": ") && (matcher)); \
  } while (false)

namespace {

// A fresh directory under the system temp dir, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    // Random plus clock, so that parallel test runs never share a directory.
    const auto salt = std::random_device{}() ^
                      std::uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
    root_ = fs::temp_directory_path() / ("tessera_safetensors_" + std::to_string(salt));
    fs::create_directories(root_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  fs::path operator/(const std::string& name) const { return root_ / name; }

 private:
  fs::path root_;
};

void put_le(std::string& out, std::uint64_t value, int bytes) {
  for (int k = 0; k < bytes; ++k) out.push_back(char((value >> (8 * k)) & 0xFF));
}

std::vector<std::byte> to_bytes(const std::string& s) {
  std::vector<std::byte> out(s.size());
  std::memcpy(out.data(), s.data(), s.size());
  return out;
}

// Little-endian bytes of values, whatever the host's byte order.
std::vector<std::byte> f32_bytes(const std::vector<float>& values) {
  std::string out;
  for (const float v : values) put_le(out, std::bit_cast<std::uint32_t>(v), 4);
  return to_bytes(out);
}
std::vector<std::byte> f64_bytes(const std::vector<double>& values) {
  std::string out;
  for (const double v : values) put_le(out, std::bit_cast<std::uint64_t>(v), 8);
  return to_bytes(out);
}
std::vector<std::byte> i64_bytes(const std::vector<std::int64_t>& values) {
  std::string out;
  for (const std::int64_t v : values) put_le(out, std::uint64_t(v), 8);
  return to_bytes(out);
}

std::uint64_t get_le(const std::vector<std::byte>& data, std::size_t index, int bytes) {
  std::uint64_t value = 0;
  for (int k = bytes - 1; k >= 0; --k) {
    value = (value << 8) | std::uint64_t(data.at(index * std::size_t(bytes) + std::size_t(k)));
  }
  return value;
}
float f32_at(const TensorRecord& t, std::size_t i) {
  return std::bit_cast<float>(std::uint32_t(get_le(t.data, i, 4)));
}
double f64_at(const TensorRecord& t, std::size_t i) {
  return std::bit_cast<double>(get_le(t.data, i, 8));
}
std::int64_t i64_at(const TensorRecord& t, std::size_t i) {
  return std::int64_t(get_le(t.data, i, 8));
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), std::streamsize(bytes.size()));
  REQUIRE(out.good());
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A file with the given header text (unpadded) followed by `data_bytes` zero bytes.
void write_crafted(const fs::path& path, const std::string& header, std::size_t data_bytes = 0) {
  std::string bytes;
  put_le(bytes, header.size(), 8);
  bytes += header;
  bytes.append(data_bytes, '\0');
  write_file(path, bytes);
}

// The process's peak resident memory so far, in MB; 0 where getrusage does not report it.
double peak_rss_mb() {
#if defined(__linux__)
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) / 1024;  // kilobytes on Linux
#else
  return 0;
#endif
}

// `count` zeros as a JSON array: "[0,0,...,0]", two bytes each.
std::string zeros_array(std::size_t count) {
  std::string out = "[";
  out.reserve(2 * count + 1);
  for (std::size_t i = 0; i < count; ++i) out += i == 0 ? "0" : ",0";
  return out + "]";
}

}  // namespace

TEST_CASE("safetensors round trip keeps dtypes, shapes, bytes and metadata", "[io][safetensors]") {
  TempDir dir;
  const fs::path path = dir / "round_trip.safetensors";
  const std::vector<TensorRecord> tensors = {
      {"layer.weight", Dtype::F32, {2, 3}, f32_bytes({1.5f, -2.0f, 0.0f, 3.25f, 1e-3f, -7.0f})},
      {"layer.bias", Dtype::F64, {3}, f64_bytes({0.1, -1e300, 2.5})},
      {"step", Dtype::I64, {}, i64_bytes({-42})},
      {"empty", Dtype::F32, {0, 4}, {}},
      {"caf\xc3\xa9.\"quoted\"", Dtype::I64, {1, 1, 2}, i64_bytes({INT64_MIN, INT64_MAX})},
  };
  const std::map<std::string, std::string> metadata = {
      {"format", "pt"}, {"note", "tab\t newline\n back\\slash \"q\" \x01 \xe2\x9c\x93"}};
  write_safetensors(path, tensors, metadata);
  CHECK_FALSE(fs::exists(dir / "round_trip.safetensors.tmp"));

  const auto file = read_safetensors(path);
  CHECK(file.metadata == metadata);
  REQUIRE(file.tensors.size() == tensors.size());
  for (const TensorRecord& expected : tensors) {
    INFO("tensor " << expected.name);
    REQUIRE(file.tensors.count(expected.name) == 1);
    const TensorRecord& got = file.tensors.at(expected.name);
    CHECK(got.name == expected.name);
    CHECK(got.dtype == expected.dtype);
    CHECK(got.shape == expected.shape);
    CHECK(got.data == expected.data);
  }
  CHECK(f32_at(file.tensors.at("layer.weight"), 3) == 3.25f);
  CHECK(f64_at(file.tensors.at("layer.bias"), 1) == -1e300);
  CHECK(i64_at(file.tensors.at("step"), 0) == -42);
  CHECK(file.tensors.at("step").shape.empty());

  // Writing over an existing file replaces it.
  write_safetensors(path, {tensors[2]});
  const auto again = read_safetensors(path);
  CHECK(again.tensors.size() == 1);
  CHECK(again.metadata.empty());
}

TEST_CASE("safetensors byte layout follows the spec", "[io][safetensors]") {
  TempDir dir;
  const fs::path path = dir / "layout.safetensors";
  // Names out of alphabetical order: the writer must keep the order it was given.
  write_safetensors(
      path,
      {{"b", Dtype::F32, {2}, f32_bytes({1.0f, 2.0f})}, {"a", Dtype::I64, {}, i64_bytes({3})}},
      {{"format", "pt"}});
  const std::string bytes = read_file(path);

  const std::string json = R"({"__metadata__":{"format":"pt"},)"
                           R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                           R"("a":{"dtype":"I64","shape":[],"data_offsets":[8,16]}})";
  // json is 138 bytes; padding to a multiple of 8 gives 144.
  REQUIRE(json.size() == 138);
  const std::uint64_t header_length = 144;
  std::string expected;
  put_le(expected, header_length, 8);
  expected += json + std::string(6, ' ');
  expected += "\x00\x00\x80\x3f\x00\x00\x00\x40"s;  // 1.0f, 2.0f little-endian
  expected += "\x03\x00\x00\x00\x00\x00\x00\x00"s;  // int64 3
  CHECK(bytes == expected);

  // The length field, alignment, and that the header is JSON a parser accepts.
  REQUIRE(bytes.size() >= 8);
  std::uint64_t length = 0;
  for (int k = 7; k >= 0; --k) length = (length << 8) | static_cast<unsigned char>(bytes[k]);
  CHECK(length == header_length);
  CHECK((8 + length) % 8 == 0);
  CHECK(bytes.size() == 8 + length + 16);
  tessera::io::detail::JsonReader reader(std::string_view(bytes).substr(8, length));
  REQUIRE(reader.peek() == tessera::io::detail::JsonKind::Object);
  reader.begin_object();
  std::vector<std::string> keys;
  std::string key;
  while (reader.next_member(&key)) {
    keys.push_back(key);
    reader.skip_value();
  }
  reader.end_document();
  CHECK(keys == std::vector<std::string>{"__metadata__", "b", "a"});
}

TEST_CASE("safetensors reads a file laid out from PyTorch tensors", "[io][safetensors]") {
  const fs::path path = std::string(TESSERA_TEST_DATA_DIR) + "/io/reference.safetensors";
  const auto file = read_safetensors(path);
  CHECK(file.metadata == std::map<std::string, std::string>{{"format", "pt"}});
  REQUIRE(file.tensors.size() == 5);

  const TensorRecord& weight = file.tensors.at("conv.weight");
  CHECK(weight.dtype == Dtype::F32);
  CHECK(weight.shape == std::vector<std::int64_t>{2, 3, 2, 2});
  REQUIRE(weight.data.size() == 24 * 4);
  for (std::size_t i = 0; i < 24; ++i) CHECK(f32_at(weight, i) == float(i) * 0.25f - 3.0f);

  const TensorRecord& bias = file.tensors.at("conv.bias");
  CHECK(bias.dtype == Dtype::F32);
  CHECK(bias.shape == std::vector<std::int64_t>{2});
  CHECK(f32_at(bias, 0) == -1.5f);
  CHECK(f32_at(bias, 1) == -0.5f);

  const TensorRecord& var = file.tensors.at("bn.running_var");
  CHECK(var.dtype == Dtype::F64);
  CHECK(var.shape == std::vector<std::int64_t>{3});
  CHECK(f64_at(var, 0) == 1.0);
  CHECK(f64_at(var, 1) == 1.125);
  CHECK(f64_at(var, 2) == 1.25);

  const TensorRecord& tracked = file.tensors.at("bn.num_batches_tracked");
  CHECK(tracked.dtype == Dtype::I64);
  CHECK(tracked.shape.empty());
  REQUIRE(tracked.data.size() == 8);
  CHECK(i64_at(tracked, 0) == 7);

  const TensorRecord& index = file.tensors.at("embed.index");
  CHECK(index.dtype == Dtype::I64);
  CHECK(index.shape == std::vector<std::int64_t>{3, 2});
  for (std::size_t i = 0; i < 6; ++i) {
    CHECK(i64_at(index, i) == (std::int64_t(i) - 3) * 1'000'000'000'000);
  }
}

TEST_CASE("safetensors reader accepts any valid JSON layout and escapes", "[io][safetensors]") {
  TempDir dir;
  const fs::path path = dir / "pretty.safetensors";
  // Whitespace between tokens, escaped names (U+00E9 and U+1F600 as a surrogate pair), an
  // unknown field, and metadata last: all legal, none of it what tessera's writer produces.
  const std::string header =
      "{\n  \"caf\\u00e9\\ud83d\\ude00\" : { \"shape\" : [ 1 ] , \"extra\" : [1.5e3, true, null],"
      "\r\n\t\"data_offsets\":[0,4], \"dtype\":\"F32\" },\n"
      "  \"__metadata__\": {\"k\\/\\\"\": \"v\\n\"}\n}   ";
  write_crafted(path, header, 4);
  const auto file = read_safetensors(path);
  REQUIRE(file.tensors.count("caf\xc3\xa9\xf0\x9f\x98\x80") == 1);
  CHECK(file.metadata.at("k/\"") == "v\n");
}

// ----- One test per kind of bad file. -----

TEST_CASE("safetensors reader: missing file", "[io][safetensors][bad]") {
  TempDir dir;
  const fs::path path = dir / "does_not_exist.safetensors";
  TESSERA_REQUIRE_READ_ERROR(path, Contains("does not exist"));
}

TEST_CASE("safetensors reader: unreadable path (a directory)", "[io][safetensors][bad]") {
  TempDir dir;
  const fs::path path = dir / "a_directory.safetensors";
  fs::create_directory(path);
  TESSERA_REQUIRE_READ_ERROR(path, Contains("directory"));
}

TEST_CASE("safetensors reader: file shorter than 8 bytes", "[io][safetensors][bad]") {
  TempDir dir;
  const fs::path path = dir / "short.safetensors";
  write_file(path, "\x10\x00\x00"s);
  TESSERA_REQUIRE_READ_ERROR(path, Contains("too short"));
  write_file(path, "");
  TESSERA_REQUIRE_READ_ERROR(path, Contains("too short"));
}

TEST_CASE("safetensors reader: header length beyond the file", "[io][safetensors][bad]") {
  TempDir dir;
  const fs::path path = dir / "truncated_header.safetensors";
  std::string bytes;
  put_le(bytes, 64, 8);
  bytes += R"({"a":{"dtype":"F32")";  // 19 of the promised 64 bytes
  write_file(path, bytes);
  TESSERA_REQUIRE_READ_ERROR(path, Contains("truncated header"));
}

TEST_CASE("safetensors reader: absurdly large header length", "[io][safetensors][bad]") {
  TempDir dir;
  const fs::path path = dir / "huge_header.safetensors";
  for (const std::uint64_t length : {std::uint64_t(100'000'001), ~std::uint64_t(0)}) {
    std::string bytes;
    put_le(bytes, length, 8);
    bytes += "{}";
    write_file(path, bytes);
    TESSERA_REQUIRE_READ_ERROR(path, Contains("too large"));
  }
}

TEST_CASE("safetensors reader: malformed JSON", "[io][safetensors][bad]") {
  TempDir dir;
  const fs::path path = dir / "malformed.safetensors";
  std::string header;
  std::string where;  // the byte position the message must report
  SECTION("unclosed object") {
    header = R"({"a":{"dtype":"F32")";
    where = "byte 19 ";
  }
  SECTION("trailing comma") {
    header = R"({"a":1,})";
    where = "byte 7 ";
  }
  SECTION("missing colon") {
    header = R"({"a" 1})";
    where = "byte 5 ";
  }
  SECTION("bad escape") {
    header = R"({"a\q":1})";
    where = "byte 4 ";
  }
  SECTION("lone surrogate") {
    header = R"({"a\udc00":1})";
    where = "byte 3 ";
  }
  SECTION("unterminated string") {
    header = R"({"abc)";
    where = "byte 5 ";
  }
  SECTION("raw control character") {
    header = "{\"a\x01\":1}";
    where = "byte 3 ";
  }
  SECTION("invalid UTF-8") {
    header = "{\"a\xc0\xaf\":1}";
    where = "byte 3 ";
  }
  SECTION("leading zero") {
    header = R"({"a":01})";
    where = "byte 6 ";
  }
  SECTION("bare word") {
    header = R"({"a":nope})";
    where = "byte 5 ";
  }
  SECTION("text after the object") {
    header = R"({} x)";
    where = "byte 3 ";
  }
  SECTION("empty header") {
    header = "";
    where = "byte 0 ";
  }
  SECTION("deep nesting does not overflow the stack") {
    header = "{\"a\":" + std::string(100'000, '[');
    where = "nested deeper";
  }
  write_crafted(path, header);
  TESSERA_REQUIRE_READ_ERROR(path, Contains("malformed JSON") && Contains(where));
}

TEST_CASE("safetensors reader: header is not a JSON object", "[io][safetensors][bad]") {
  TempDir dir;
  const fs::path path = dir / "not_object.safetensors";
  write_crafted(path, "[1, 2]");
  TESSERA_REQUIRE_READ_ERROR(path, Contains("malformed header") && Contains("an array"));
}

TEST_CASE("safetensors reader: tensor entry missing a field", "[io][safetensors][bad]") {
  TempDir dir;
  const fs::path path = dir / "missing_field.safetensors";
  std::string header, field;
  SECTION("dtype") {
    header = R"({"w":{"shape":[1],"data_offsets":[0,4]}})";
    field = R"(missing "dtype")";
  }
  SECTION("shape") {
    header = R"({"w":{"dtype":"F32","data_offsets":[0,4]}})";
    field = R"(missing "shape")";
  }
  SECTION("data_offsets") {
    header = R"({"w":{"dtype":"F32","shape":[1]}})";
    field = R"(missing "data_offsets")";
  }
  write_crafted(path, header, 4);
  TESSERA_REQUIRE_READ_ERROR(path, Contains("tensor 'w'") && Contains(field));
}

TEST_CASE("safetensors reader: tensor entry with wrong JSON types", "[io][safetensors][bad]") {
  TempDir dir;
  const fs::path path = dir / "wrong_types.safetensors";
  std::string header, phrase;
  SECTION("entry not an object") {
    header = R"({"w":[1]})";
    phrase = "must be a JSON object";
  }
  SECTION("dtype a number") {
    header = R"({"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}})";
    phrase = R"("dtype" must be a string)";
  }
  SECTION("shape a string") {
    header = R"({"w":{"dtype":"F32","shape":"1","data_offsets":[0,4]}})";
    phrase = R"("shape" must be an array of integers)";
  }
  SECTION("shape with a float") {
    header = R"({"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}})";
    phrase = R"("shape" must be an array of integers)";
  }
  SECTION("shape with an integer beyond 64 bits") {
    header = R"({"w":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}})";
    phrase = R"("shape" must be an array of integers)";
  }
  SECTION("data_offsets with three entries") {
    header = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}})";
    phrase = R"("data_offsets" must be an array of two integers)";
  }
  SECTION("data_offsets with a string") {
    header = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":["0",4]}})";
    phrase = R"("data_offsets" must be an array of two integers)";
  }
  SECTION("a key given twice") {
    header = R"({"w":{"dtype":"F32","dtype":"F64","shape":[1],"data_offsets":[0,4]}})";
    phrase = R"(duplicate key "dtype")";
  }
  write_crafted(path, header, 8);
  TESSERA_REQUIRE_READ_ERROR(path, Contains("tensor 'w'") && Contains(phrase));
}

TEST_CASE("safetensors reader: unknown dtype", "[io][safetensors][bad]") {
  TempDir dir;
  const fs::path path = dir / "unknown_dtype.safetensors";
  write_crafted(path, R"({"w":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}})", 4);
  TESSERA_REQUIRE_READ_ERROR(path, Contains("tensor 'w'") && Contains("unknown dtype 'F33'"));
}

TEST_CASE("safetensors reader: valid but unsupported dtype", "[io][safetensors][bad]") {
  TempDir dir;
  const fs::path path = dir / "f16.safetensors";
  write_crafted(path, R"({"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", 4);
  TESSERA_REQUIRE_READ_ERROR(path, Contains("tensor 'w'") && Contains("unsupported dtype 'F16'"));
}

TEST_CASE("safetensors reader: negative shape dimension", "[io][safetensors][bad]") {
  TempDir dir;
  const fs::path path = dir / "negative_dim.safetensors";
  write_crafted(path, R"({"w":{"dtype":"F32","shape":[-2,-2],"data_offsets":[0,16]}})", 16);
  TESSERA_REQUIRE_READ_ERROR(
      path, Contains("tensor 'w'") && Contains("negative dimension -2") && Contains("shape"));
}

TEST_CASE("safetensors reader: data_offsets with begin > end", "[io][safetensors][bad]") {
  TempDir dir;
  const fs::path path = dir / "reversed_offsets.safetensors";
  write_crafted(path, R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8);
  TESSERA_REQUIRE_READ_ERROR(path, Contains("tensor 'w'") && Contains("begin > end"));
}

TEST_CASE("safetensors reader: byte length does not match the shape", "[io][safetensors][bad]") {
  TempDir dir;
  const fs::path path = dir / "wrong_length.safetensors";
  std::string header, needs;
  SECTION("too few bytes") {
    header = R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,12]}})";
    needs = "needs 24";
  }
  SECTION("element count overflows 64 bits") {
    header = R"({"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}})";
    needs = "needs more than 2^64";
  }
  write_crafted(path, header, 24);
  TESSERA_REQUIRE_READ_ERROR(path, Contains("tensor 'w'") && Contains("shape") && Contains(needs));
}

TEST_CASE("safetensors reader: data_offsets beyond the data buffer", "[io][safetensors][bad]") {
  TempDir dir;
  const fs::path path = dir / "truncated_data.safetensors";
  write_crafted(path, R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 12);
  TESSERA_REQUIRE_READ_ERROR(path, Contains("tensor 'w'") && Contains("truncated data"));
}

TEST_CASE("safetensors reader: overlapping tensors", "[io][safetensors][bad]") {
  TempDir dir;
  const fs::path path = dir / "overlap.safetensors";
  write_crafted(path,
                R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                16);
  TESSERA_REQUIRE_READ_ERROR(path, Contains("overlap") && Contains("'a'") && Contains("'b'"));

  // An empty tensor occupies no bytes, so one placed inside another overlaps nothing.
  write_crafted(path,
                R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                R"("e":{"dtype":"F32","shape":[0,3],"data_offsets":[8,8]}})",
                16);
  CHECK(read_safetensors(path).tensors.at("e").data.empty());
}

TEST_CASE("safetensors reader: duplicate tensor names", "[io][safetensors][bad]") {
  TempDir dir;
  const fs::path path = dir / "duplicate.safetensors";
  write_crafted(path,
                R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                8);
  TESSERA_REQUIRE_READ_ERROR(path, Contains("duplicate tensor name 'w'"));
}

TEST_CASE("safetensors reader: metadata values must be strings", "[io][safetensors][bad]") {
  TempDir dir;
  const fs::path path = dir / "bad_metadata.safetensors";
  write_crafted(path, R"({"__metadata__":{"epoch":3}})");
  TESSERA_REQUIRE_READ_ERROR(
      path, Contains("__metadata__") && Contains("'epoch'") && Contains("must be a string"));
}

TEST_CASE("safetensors writer reports failures with the path", "[io][safetensors][bad]") {
  TempDir dir;
  const TensorRecord good{"w", Dtype::F32, {1}, f32_bytes({1.0f})};

  const fs::path unwritable = dir / "no_such_dir" / "out.safetensors";
  REQUIRE_THROWS_AS(write_safetensors(unwritable, {good}), SafetensorsError);
  REQUIRE_THROWS_WITH(write_safetensors(unwritable, {good}),
                      StartsWith(unwritable.string() + ": ") && Contains("cannot open"));

  const fs::path path = dir / "bad_input.safetensors";
  const TensorRecord short_data{"w", Dtype::F64, {2}, f64_bytes({1.0})};
  REQUIRE_THROWS_WITH(write_safetensors(path, {short_data}),
                      StartsWith(path.string() + ": ") && Contains("needs 16 bytes"));
  REQUIRE_THROWS_WITH(write_safetensors(path, {good, good}), Contains("duplicate tensor name"));
  // The reader refuses more than 64 dimensions, so the writer does too.
  const TensorRecord rank65{"w", Dtype::F32, std::vector<std::int64_t>(65, 1), f32_bytes({1.0f})};
  REQUIRE_THROWS_WITH(write_safetensors(path, {rank65}),
                      StartsWith(path.string() + ": ") && Contains("65 dimensions (at most 64)"));
  CHECK_FALSE(fs::exists(path));
}

// ----- Headers made to exhaust the reader (found by fuzzing). -----

// The peak grows by at most this much while a 10 MB header is read: the header itself, twice
// under ASan, whose quarantine keeps freed memory. A reader that builds a JSON tree needs some
// 800 MB for the header below.
constexpr double rss_growth_limit_mb = 64;

TEST_CASE("safetensors reader: a shape of millions of zeros is refused, in bounded memory",
          "[io][safetensors][bad]") {
  TempDir dir;
  const fs::path path = dir / "long_shape.safetensors";
  {
    // 10 MB: five million dimensions of size 0, so a zero-byte tensor whose shape is all it has.
    const std::string header =
        R"({"a":{"dtype":"F32","data_offsets":[0,0],"shape":)" + zeros_array(5'000'000) + "}}";
    write_crafted(path, header);
  }
  const double before = peak_rss_mb();
  TESSERA_REQUIRE_READ_ERROR(path, Contains("tensor 'a'") && Contains("\"shape\" has more than 64 "
                                                                      "dimensions"));
  const double growth = peak_rss_mb() - before;
  INFO("peak resident memory grew by " << growth << " MB reading a 10 MB header");
  CHECK(growth < rss_growth_limit_mb);

  // 64 dimensions is still a shape.
  write_crafted(path,
                R"({"a":{"dtype":"F32","data_offsets":[0,0],"shape":)" + zeros_array(64) + "}}");
  CHECK(read_safetensors(path).tensors.at("a").shape == std::vector<std::int64_t>(64, 0));
}

TEST_CASE(
    "safetensors reader: a huge array in a field the format does not define is skipped, "
    "in bounded memory",
    "[io][safetensors]") {
  TempDir dir;
  const fs::path path = dir / "long_extra.safetensors";
  {
    const std::string header = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":)" +
                               zeros_array(5'000'000) + "}}";
    write_crafted(path, header, 4);
  }
  const double before = peak_rss_mb();
  const auto file = read_safetensors(path);
  const double growth = peak_rss_mb() - before;
  CHECK(file.tensors.at("a").shape == std::vector<std::int64_t>{1});
  INFO("peak resident memory grew by " << growth << " MB reading a 10 MB header");
  CHECK(growth < rss_growth_limit_mb);
}

TEST_CASE("safetensors reader: arrays nested 100k deep are refused without deep recursion",
          "[io][safetensors][bad]") {
  TempDir dir;
  const fs::path path = dir / "deep.safetensors";
  constexpr std::size_t depth = 100'000;
  SECTION("closed, in a field the format does not define") {
    write_crafted(path,
                  R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":)" +
                      std::string(depth, '[') + std::string(depth, ']') + "}}",
                  4);
  }
  SECTION("as the shape") {
    write_crafted(path,
                  R"({"a":{"dtype":"F32","data_offsets":[0,4],"shape":)" + std::string(depth, '[') +
                      std::string(depth, ']') + "}}",
                  4);
  }
  SECTION("as the whole header") {
    write_crafted(path, std::string(depth, '[') + std::string(depth, ']'));
  }
  TESSERA_REQUIRE_READ_ERROR(path, Contains("malformed JSON") && Contains("nested deeper than 64"));
}

TEST_CASE("safetensors reader: 64 levels of nesting are still JSON", "[io][safetensors]") {
  TempDir dir;
  const fs::path path = dir / "nested.safetensors";
  // The root object and the entry are two levels; 62 more arrays make 64.
  write_crafted(path,
                R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":)" +
                    std::string(62, '[') + std::string(62, ']') + "}}",
                4);
  CHECK(read_safetensors(path).tensors.size() == 1);
}
