// Writes the seed corpora under fuzz/corpus/ (committed; rerun only when a format changes):
//   build-fuzz/make_corpus fuzz/corpus
// Valid files come from the library's own writers (Model::save, Optimizer::save,
// write_safetensors); near-valid ones are those files with one thing broken, each a different
// check for the fuzzer to start next to. IDX files are written byte by byte, as the format says.
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "fuzz_model.hpp"
#include "tessera/io/safetensors.hpp"
#include "tessera/train/adam.hpp"
#include "tessera/train/sgd.hpp"

namespace fs = std::filesystem;
namespace ts = tessera;
namespace io = tessera::io;
using Bytes = std::string;

namespace {

Bytes read_bytes(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path.string());
  return Bytes(std::istreambuf_iterator<char>(f), {});
}

void write_bytes(const fs::path& path, const Bytes& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), std::streamsize(bytes.size()));
  if (!f) throw std::runtime_error("cannot write " + path.string());
  std::cout << "  " << path.string() << " (" << bytes.size() << " bytes)\n";
}

Bytes u64_le(std::uint64_t v) {
  Bytes out;
  for (int k = 0; k < 8; ++k) out.push_back(char((v >> (8 * k)) & 0xFF));
  return out;
}

// A safetensors file from its header text and data bytes, with a correct length field.
Bytes safetensors(const std::string& header, const Bytes& data = {}) {
  return u64_le(header.size()) + header + data;
}

// `file` with the first occurrence of `from` in its JSON header replaced by `to` (and the length
// field fixed), for a near-valid variant.
Bytes edit_header(const Bytes& file, const std::string& from, const std::string& to) {
  std::uint64_t length = 0;
  for (int k = 7; k >= 0; --k) length = (length << 8) | std::uint8_t(file[std::size_t(k)]);
  std::string header = file.substr(8, length);
  const auto at = header.find(from);
  if (at == std::string::npos) throw std::runtime_error("edit_header: '" + from + "' not found");
  header.replace(at, from.size(), to);
  return safetensors(header, file.substr(8 + length));
}

io::TensorRecord record(std::string name, io::Dtype dtype, std::vector<std::int64_t> shape) {
  std::size_t count = 1;
  for (auto d : shape) count *= std::size_t(d);
  io::TensorRecord r{std::move(name), dtype, std::move(shape), {}};
  r.data.resize(count * io::dtype_size(dtype));
  for (std::size_t i = 0; i < r.data.size(); ++i) r.data[i] = std::byte(i * 37 + 11);
  return r;
}

Bytes gzip(const Bytes& bytes) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  Bytes out(deflateBound(&z, uLong(bytes.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = uInt(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = uInt(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate did not finish");
  return out;
}

Bytes idx(std::uint8_t type, const std::vector<std::uint32_t>& dims, const Bytes& payload) {
  Bytes out{0, 0, char(type), char(dims.size())};
  for (const std::uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(char((d >> shift) & 0xFF));
  return out + payload;
}

void safetensors_corpus(const fs::path& dir, const fs::path& repo) {
  fs::create_directories(dir);
  // Files written by PyTorch's safetensors (the tests' reference) and by the tests' fixtures.
  fs::copy_file(repo / "tests/io/reference.safetensors", dir / "reference.safetensors",
                fs::copy_options::overwrite_existing);
  fs::copy_file(repo / "tests/fixtures/linear.safetensors", dir / "fixture_linear.safetensors",
                fs::copy_options::overwrite_existing);

  const fs::path tmp = dir / "tmp.safetensors";
  io::write_safetensors(
      tmp,
      {record("a", io::Dtype::F32, {2, 3}), record("b", io::Dtype::F64, {}),
       record("c", io::Dtype::I64, {1, 1, 2}), record("empty", io::Dtype::F32, {0, 4})},
      {{"format", "pt"}, {"note", "caf\xC3\xA9"}});
  const Bytes mixed = read_bytes(tmp);
  fs::remove(tmp);
  write_bytes(dir / "mixed.safetensors", mixed);
  write_bytes(dir / "empty_object.safetensors", safetensors("{}      "));
  write_bytes(
      dir / "escapes.safetensors",
      safetensors(R"({"\u00e9\ud83d\ude00\n\"":{"dtype":"I64","shape":[],"data_offsets":[0,8]},)"
                  R"("__metadata__":{"k\\":"v\/"}})",
                  Bytes(8, '\x01')));
  // Near-valid: one rule broken each.
  write_bytes(dir / "bad_dtype_f16.safetensors", edit_header(mixed, "\"F32\"", "\"F16\""));
  write_bytes(dir / "bad_overlap.safetensors", edit_header(mixed, "[24,32]", "[16,24]"));
  write_bytes(dir / "bad_shape_negative.safetensors", edit_header(mixed, "[2,3]", "[-2,-3]"));
  write_bytes(dir / "bad_truncated.safetensors", mixed.substr(0, mixed.size() - 5));
  write_bytes(dir / "bad_length.safetensors", u64_le(1ull << 40) + mixed.substr(8));
  write_bytes(dir / "bad_json.safetensors", safetensors(R"({"a":{"dtype":"F32","shape":[1e3],)"));
}

void model_corpus(const fs::path& dir) {
  fs::create_directories(dir);
  ts::fuzz::FuzzModel model(7);
  const fs::path tmp = dir / "tmp.safetensors";
  model.save(tmp);
  const Bytes f32 = read_bytes(tmp);
  write_bytes(dir / "model_f32.safetensors", f32);
  ts::Model<ts::fuzz::FuzzNet, ts::fuzz::FuzzInput, ts::Cpu, double> model64(7);
  model64.save(tmp);
  write_bytes(dir / "model_f64.safetensors", read_bytes(tmp));
  fs::remove(tmp);
  write_bytes(dir / "bad_missing_key.safetensors", edit_header(f32, "\"4.bias\"", "\"4.bias_\""));
  write_bytes(dir / "bad_counter_dtype.safetensors", edit_header(f32, "\"I64\"", "\"F64\""));
  write_bytes(dir / "bad_weight_dtype.safetensors", edit_header(f32, "\"F32\"", "\"I64\""));
  write_bytes(dir / "bad_shape.safetensors", edit_header(f32, "[4,1,3,3]", "[4,9,1,1]"));
}

void optimizer_corpus(const fs::path& dir) {
  fs::create_directories(dir);
  ts::fuzz::FuzzModel model(7);
  const fs::path tmp = dir / "tmp.safetensors";
  ts::Adam<float> adam(model.parameters());
  for (float& g : model.parameter_grads()) g = 0.25f;
  adam.step();
  adam.save(tmp);
  const Bytes f32 = read_bytes(tmp);
  write_bytes(dir / "adam_f32.safetensors", f32);

  ts::Model<ts::fuzz::FuzzNet, ts::fuzz::FuzzInput, ts::Cpu, double> model64(7);
  ts::Adam<double> adam64(model64.parameters());
  adam64.save(tmp);
  write_bytes(dir / "adam_f64.safetensors", read_bytes(tmp));

  ts::SGD<float> sgd(model.parameters(), {.lr = 0.01, .momentum = 0.9});
  sgd.step();
  sgd.save(tmp);
  write_bytes(dir / "sgd_momentum.safetensors", read_bytes(tmp));
  fs::remove(tmp);

  write_bytes(dir / "bad_kind.safetensors", edit_header(f32, "\"Adam\"", "\"Sgd_\""));
  write_bytes(dir / "bad_parameter_name.safetensors",
              edit_header(f32, "\"0.weight\"", "\"9.weight\""));
  write_bytes(dir / "bad_step_dtype.safetensors", edit_header(f32, "\"I64\"", "\"F64\""));
  write_bytes(dir / "bad_slot_name.safetensors", edit_header(f32, "exp_avg_sq", "exp_avg_sQ"));
}

void idx_corpus(const fs::path& dir) {
  fs::create_directories(dir);
  Bytes pixels(3 * 2 * 3, '\0');
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = char(i * 13 + 7);
  const Bytes images = idx(0x08, {3, 2, 3}, pixels);
  const Bytes labels = idx(0x08, {3}, Bytes{9, 0, 4});
  write_bytes(dir / "images.idx", images);
  write_bytes(dir / "labels.idx", labels);
  write_bytes(dir / "images.idx.gz", gzip(images));
  write_bytes(dir / "labels.idx.gz", gzip(labels));
  write_bytes(dir / "images_two_members.idx.gz",
              gzip(images.substr(0, 9)) + gzip(images.substr(9)));
  write_bytes(dir / "empty_images.idx", idx(0x08, {0, 28, 28}, {}));
  write_bytes(dir / "bad_truncated.idx", images.substr(0, images.size() - 4));
  write_bytes(dir / "bad_trailing.idx", images + "xy");
  write_bytes(dir / "bad_type_float.idx", idx(0x0D, {3}, Bytes(12, '\0')));
  write_bytes(dir / "bad_huge_dims.idx", idx(0x08, {0xFFFFFFFF, 0xFFFFFFFF, 2}, pixels));
  const Bytes gz = gzip(images);
  write_bytes(dir / "bad_gzip_truncated.idx.gz", gz.substr(0, gz.size() - 6));
  write_bytes(dir / "bad_gzip_garbage_after.idx.gz", gz + "PK");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_corpus <fuzz/corpus directory>\n";
    return 2;
  }
  const fs::path out = argv[1];
  const fs::path repo = fs::path(TESSERA_SOURCE_DIR);
  try {
    safetensors_corpus(out / "fuzz_safetensors", repo);
    model_corpus(out / "fuzz_model_load");
    optimizer_corpus(out / "fuzz_optimizer_state");
    idx_corpus(out / "fuzz_idx");
  } catch (const std::exception& e) {
    std::cerr << "make_corpus: " << e.what() << "\n";
    return 1;
  }
}
