// Fuzzes the IDX reader, plain and gzip: each input is read both as an images file (rank 3) and
// as a labels file (rank 1), so the header checks, the growing read and zlib's inflate loop (with
// multi-member streams and trailing bytes) are all reached. Clean rejection: io::IdxError (the
// reader's documented error). Anything else thrown, and any sanitizer report, is a failure; so is
// an accepted file whose sizes disagree with its pixels.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "tessera/io/idx.hpp"

namespace io = tessera::io;
namespace fz = tessera::fuzz;

namespace {

constexpr const char* target = "fuzz_idx";

template <class Read>
void read_one(Read read) {
  try {
    read();
  } catch (const io::IdxError&) {
    // clean rejection
  } catch (const std::exception& e) {
    fz::unexpected_exception(target, e);
  } catch (...) {
    fz::unexpected_exception(target);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto path = fz::scratch_file("input.idx");
  fz::write_input(path, data, size);
  read_one([&] {
    const io::IdxImages images = io::read_idx_images(path);
    if (images.pixels.size() != images.count * images.rows * images.cols)
      fz::fail(target, "images: " + std::to_string(images.pixels.size()) + " pixels for " +
                           std::to_string(images.count) + " x " + std::to_string(images.rows) +
                           " x " + std::to_string(images.cols));
    if (images.count > 0) {
      const auto last = images.image(images.count - 1);
      if (last.size() != images.rows * images.cols) fz::fail(target, "images: short last image");
    }
  });
  read_one([&] { (void)io::read_idx_labels(path); });
  return 0;
}
