// Tests for tessera/io/idx.hpp: round trips of files written here (plain and gzip, one gzip
// member or several), and one test per kind of bad file, each checking the message.
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "../support/idx_files.hpp"
#include "../support/temp_dir.hpp"
#include "tessera/io/idx.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using tessera::io::IdxError;
using tessera::io::read_idx_images;
using tessera::io::read_idx_labelled;
using tessera::io::read_idx_labels;
using tessera::testing::Bytes;
using tessera::testing::gzip_bytes;
using tessera::testing::idx_bytes;
using tessera::testing::TempDir;
using tessera::testing::write_bytes;

// Every read error must be an IdxError whose message is "<path>: <problem>" and whose problem
// matches `matcher`. A macro so that a failure is reported at the case that failed.
#define TESSERA_REQUIRE_IDX_ERROR(expr, file, matcher)                                 \
  do {                                                                                 \
    try {                                                                              \
      (void)(expr);                                                                    \
      FAIL("no IdxError thrown");                                                      \
    } catch (const IdxError& e) {                                                      \
      CHECK(e.path() == (file));                                                       \
      CHECK_THAT(std::string(e.what()), Equals((file).string() + ": " + e.problem())); \
      CHECK_THAT(e.problem(), matcher);                                                \
    }                                                                                  \
  } while (false)

namespace {

// Three 2x3 images whose pixels are all different, so a misplaced byte shows.
Bytes sample_pixels() {
  Bytes p(3 * 2 * 3);
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = std::uint8_t(i * 13 + 7);
  return p;
}
const Bytes images_file = idx_bytes(0x08, {3, 2, 3}, sample_pixels());
const Bytes labels_file = idx_bytes(0x08, {3}, {9, 0, 4});

}  // namespace

TEST_CASE("IDX images and labels round trip, plain and gzip", "[idx]") {
  TempDir dir("tessera_idx");
  const bool gz = GENERATE(false, true);
  const fs::path images = dir / (gz ? "images.gz" : "images");
  const fs::path labels = dir / (gz ? "labels.gz" : "labels");
  write_bytes(images, gz ? gzip_bytes(images_file) : images_file);
  write_bytes(labels, gz ? gzip_bytes(labels_file) : labels_file);

  const auto im = read_idx_images(images);
  CHECK(im.count == 3);
  CHECK(im.rows == 2);
  CHECK(im.cols == 3);
  CHECK(im.pixels == sample_pixels());
  CHECK(im.image(1)[0] == sample_pixels()[6]);
  CHECK(read_idx_labels(labels) == Bytes{9, 0, 4});

  const auto both = read_idx_labelled(images, labels);
  CHECK(both.images.pixels == sample_pixels());
  CHECK(both.labels == Bytes{9, 0, 4});
}

TEST_CASE("IDX: gzip members written one after another read as one stream", "[idx]") {
  TempDir dir("tessera_idx");
  const Bytes first(images_file.begin(), images_file.begin() + 10);
  const Bytes rest(images_file.begin() + 10, images_file.end());
  Bytes gz = gzip_bytes(first);
  const Bytes second = gzip_bytes(rest);
  gz.insert(gz.end(), second.begin(), second.end());
  write_bytes(dir / "two_members.gz", gz);
  CHECK(read_idx_images(dir / "two_members.gz").pixels == sample_pixels());
}

TEST_CASE("IDX: empty image sets and big files read", "[idx]") {
  TempDir dir("tessera_idx");
  write_bytes(dir / "empty", idx_bytes(0x08, {0, 28, 28}, {}));
  const auto empty = read_idx_images(dir / "empty");
  CHECK(empty.count == 0);
  CHECK(empty.rows == 28);
  CHECK(empty.pixels.empty());

  // Larger than the reader's chunks on both the compressed and the decompressed side.
  Bytes big(5'000'000);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = std::uint8_t((i * 2654435761u) >> 13);
  write_bytes(dir / "big.gz", gzip_bytes(idx_bytes(0x08, {5, 1000, 1000}, big)));
  CHECK(read_idx_images(dir / "big.gz").pixels == big);
}

TEST_CASE("IDX: a missing file or a directory", "[idx]") {
  TempDir dir("tessera_idx");
  TESSERA_REQUIRE_IDX_ERROR(read_idx_images(dir / "nope.gz"), dir / "nope.gz",
                            Equals("file not found"));
  TESSERA_REQUIRE_IDX_ERROR(read_idx_labels(dir.path()), dir.path(), Contains("is a directory"));
}

TEST_CASE("IDX: a bad magic number", "[idx]") {
  TempDir dir("tessera_idx");
  Bytes png_like = images_file;
  png_like[0] = 0x89;
  png_like[1] = 0x50;
  write_bytes(dir / "bad_magic", png_like);
  TESSERA_REQUIRE_IDX_ERROR(read_idx_images(dir / "bad_magic"), dir / "bad_magic",
                            Equals("not an IDX file: magic number 89 50 08 03 does not start with "
                                   "two zero bytes"));
  write_bytes(dir / "empty", {});
  TESSERA_REQUIRE_IDX_ERROR(read_idx_labels(dir / "empty"), dir / "empty",
                            Contains("0 bytes, shorter than the 4-byte magic number"));
}

TEST_CASE("IDX: an element type other than unsigned bytes", "[idx]") {
  TempDir dir("tessera_idx");
  write_bytes(dir / "float", idx_bytes(0x0D, {3, 2, 3}, Bytes(3 * 2 * 3 * 4)));
  TESSERA_REQUIRE_IDX_ERROR(
      read_idx_images(dir / "float"), dir / "float",
      Equals("expected images of unsigned bytes (type 0x08), found float32 (0x0D)"));
  write_bytes(dir / "unknown", idx_bytes(0x42, {3}, Bytes(3)));
  TESSERA_REQUIRE_IDX_ERROR(
      read_idx_labels(dir / "unknown"), dir / "unknown",
      Equals("expected labels of unsigned bytes (type 0x08), found unknown type code 0x42"));
}

TEST_CASE("IDX: the wrong rank (a labels file read as images and back)", "[idx]") {
  TempDir dir("tessera_idx");
  write_bytes(dir / "labels", labels_file);
  write_bytes(dir / "images", images_file);
  TESSERA_REQUIRE_IDX_ERROR(read_idx_images(dir / "labels"), dir / "labels",
                            Equals("expected images of rank 3, found rank 1"));
  TESSERA_REQUIRE_IDX_ERROR(read_idx_labels(dir / "images"), dir / "images",
                            Equals("expected labels of rank 1, found rank 3"));
}

TEST_CASE("IDX: truncated data, plain and gzip", "[idx]") {
  TempDir dir("tessera_idx");
  const Bytes cut(images_file.begin(), images_file.end() - 5);
  const bool gz = GENERATE(false, true);
  const fs::path path = dir / (gz ? "cut.gz" : "cut");
  write_bytes(path, gz ? gzip_bytes(cut) : cut);
  TESSERA_REQUIRE_IDX_ERROR(read_idx_images(path), path,
                            Equals("truncated: the header declares 3 x 2 x 3 = 18 bytes of images, "
                                   "the file holds 13"));

  const Bytes cut_header(images_file.begin(), images_file.begin() + 9);
  write_bytes(dir / "cut_header", cut_header);
  TESSERA_REQUIRE_IDX_ERROR(read_idx_images(dir / "cut_header"), dir / "cut_header",
                            Contains("truncated header"));
}

TEST_CASE("IDX: a header claiming more than any file holds fails without allocating it", "[idx]") {
  TempDir dir("tessera_idx");
  write_bytes(dir / "huge", idx_bytes(0x08, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {1, 2, 3}));
  TESSERA_REQUIRE_IDX_ERROR(read_idx_images(dir / "huge"), dir / "huge",
                            Contains("impossible size"));
  // 4 GB declared, 3 bytes present: found by reading, not by allocating 4 GB first.
  write_bytes(dir / "lying", idx_bytes(0x08, {1000, 2000, 2000}, {1, 2, 3}));
  TESSERA_REQUIRE_IDX_ERROR(read_idx_images(dir / "lying"), dir / "lying",
                            Contains("4000000000 bytes of images, the file holds 3"));
}

TEST_CASE("IDX: trailing data after what the header declares, plain and gzip", "[idx]") {
  TempDir dir("tessera_idx");
  Bytes longer = labels_file;
  longer.insert(longer.end(), {1, 2, 3, 4});
  const bool gz = GENERATE(false, true);
  const fs::path path = dir / (gz ? "long.gz" : "long");
  write_bytes(path, gz ? gzip_bytes(longer) : longer);
  TESSERA_REQUIRE_IDX_ERROR(
      read_idx_labels(path), path,
      Equals("4 bytes of trailing data after the 3 bytes the header declares (3)"));
}

TEST_CASE("IDX: corrupt or truncated gzip", "[idx]") {
  TempDir dir("tessera_idx");
  const Bytes gz = gzip_bytes(images_file);

  Bytes bad_crc = gz;
  bad_crc[bad_crc.size() - 8] ^= 0xFF;  // the CRC-32 of the trailer
  write_bytes(dir / "bad_crc.gz", bad_crc);
  TESSERA_REQUIRE_IDX_ERROR(read_idx_images(dir / "bad_crc.gz"), dir / "bad_crc.gz",
                            Equals("corrupt gzip data (incorrect data check)"));

  Bytes bad_block = gz;
  bad_block[10] = 0xFF;  // first deflate block header: the reserved block type 3
  write_bytes(dir / "bad_block.gz", bad_block);
  TESSERA_REQUIRE_IDX_ERROR(read_idx_images(dir / "bad_block.gz"), dir / "bad_block.gz",
                            Contains("corrupt gzip data"));

  const Bytes half(gz.begin(), gz.begin() + gz.size() / 2);
  write_bytes(dir / "half.gz", half);
  TESSERA_REQUIRE_IDX_ERROR(read_idx_images(dir / "half.gz"), dir / "half.gz",
                            Contains("truncated gzip stream"));

  Bytes junk_after = gz;
  junk_after.insert(junk_after.end(), {'j', 'u', 'n', 'k'});
  write_bytes(dir / "junk.gz", junk_after);
  TESSERA_REQUIRE_IDX_ERROR(read_idx_images(dir / "junk.gz"), dir / "junk.gz",
                            Equals("unexpected bytes after the end of the gzip stream"));
}

TEST_CASE("IDX: images and labels files that disagree on the count", "[idx]") {
  TempDir dir("tessera_idx");
  write_bytes(dir / "images", images_file);
  write_bytes(dir / "labels", idx_bytes(0x08, {2}, {1, 2}));
  TESSERA_REQUIRE_IDX_ERROR(
      read_idx_labelled(dir / "images", dir / "labels"), dir / "labels",
      Equals("holds 2 labels but " + (dir / "images").string() + " holds 3 images"));
}
