// Fuzzes io::read_safetensors, the reader under every weights and optimizer-state load.
// Clean rejection: io::SafetensorsError (the reader's documented error). Anything else thrown,
// and any sanitizer report, is a failure. A file the reader accepts must also satisfy the
// documented invariants of SafetensorsFile and survive write_safetensors -> read_safetensors
// unchanged (the writer refuses only what the reader would refuse).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "tessera/io/safetensors.hpp"

namespace io = tessera::io;
namespace fz = tessera::fuzz;

namespace {

constexpr const char* target = "fuzz_safetensors";

void check_invariants(const io::SafetensorsFile& file) {
  for (const auto& [name, record] : file.tensors) {
    if (record.name != name)
      fz::fail(target, "record name '" + record.name + "' under key '" + name + "'");
    if (name == "__metadata__") fz::fail(target, "a tensor named __metadata__");
    if (io::dtype_name(record.dtype) == "?")
      fz::fail(target, "tensor '" + name + "': invalid dtype");
    std::uint64_t expected = io::dtype_size(record.dtype);
    for (const std::int64_t dim : record.shape) {
      if (dim < 0) fz::fail(target, "tensor '" + name + "': negative dimension");
      if (dim != 0 && expected > UINT64_MAX / std::uint64_t(dim))
        fz::fail(target, "tensor '" + name + "': byte count overflows");
      expected *= std::uint64_t(dim);
    }
    if (record.data.size() != expected)
      fz::fail(target, "tensor '" + name + "': " + std::to_string(record.data.size()) +
                           " bytes of data, its shape needs " + std::to_string(expected));
  }
}

void check_round_trip(const io::SafetensorsFile& file) {
  std::vector<io::TensorRecord> records;
  for (const auto& [name, record] : file.tensors) records.push_back(record);
  const auto copy = fz::scratch_file("round_trip.safetensors");
  try {
    io::write_safetensors(copy, records, file.metadata);
  } catch (const io::SafetensorsError& e) {
    fz::fail(target,
             std::string("write_safetensors refused what read_safetensors accepted: ") + e.what());
  }
  io::SafetensorsFile again;
  try {
    again = io::read_safetensors(copy);
  } catch (const io::SafetensorsError& e) {
    fz::fail(target,
             std::string("read_safetensors refused what write_safetensors wrote: ") + e.what());
  }
  if (again.metadata != file.metadata) fz::fail(target, "metadata changed in a round trip");
  if (again.tensors.size() != file.tensors.size())
    fz::fail(target, "tensor count changed in a round trip");
  for (const auto& [name, record] : file.tensors) {
    const auto it = again.tensors.find(name);
    if (it == again.tensors.end() || it->second.dtype != record.dtype ||
        it->second.shape != record.shape || it->second.data != record.data)
      fz::fail(target, "tensor '" + name + "' changed in a round trip");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto path = fz::scratch_file("input.safetensors");
  fz::write_input(path, data, size);
  io::SafetensorsFile file;
  try {
    file = io::read_safetensors(path);
  } catch (const io::SafetensorsError&) {
    return 0;  // clean rejection
  } catch (const std::exception& e) {
    fz::unexpected_exception(target, e);
  } catch (...) {
    fz::unexpected_exception(target);
  }
  check_invariants(file);
  try {
    check_round_trip(file);
  } catch (const std::exception& e) {
    fz::unexpected_exception(target, e);
  }
  return 0;
}
