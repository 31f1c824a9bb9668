// Reads IDX files, the format MNIST and Fashion-MNIST ship in: a big-endian header (two zero
// bytes, an element-type code, the rank, one u32 per dimension) followed by the raw elements.
// Files may be gzip-compressed (as distributed) or plain; the reader tells them apart by content.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "tessera/io/file_error.hpp"

namespace tessera::io {

// Everything that goes wrong reading an IDX file. what() is "<path>: <problem>".
class IdxError : public FileError {
 public:
  using FileError::FileError;
};

// A stack of 8-bit grayscale images, as in an idx3-ubyte file.
struct IdxImages {
  std::size_t count = 0;
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<std::uint8_t> pixels;  // count * rows * cols, image-major, then row-major

  std::span<const std::uint8_t> image(std::size_t i) const {
    return std::span(pixels).subspan(i * rows * cols, rows * cols);
  }
};

// Images and the labels that go with them, read from two files whose counts agree.
struct IdxLabelledImages {
  IdxImages images;
  std::vector<std::uint8_t> labels;
};

namespace detail {

// Decompressed bytes of a file, in pieces, whatever its compression: the parser below asks for
// exactly what the header declares, so memory stays bounded by the data actually present.
class IdxByteSource {
 public:
  explicit IdxByteSource(const std::filesystem::path& path) : path_(path) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status)) throw IdxError(path, "file not found");
    if (std::filesystem::is_directory(status)) throw IdxError(path, "is a directory, not a file");
    file_.open(path, std::ios::binary);
    if (!file_) throw IdxError(path, "cannot open for reading");
    fill_input();
    gzip_ = in_size_ >= 2 && in_[0] == 0x1F && in_[1] == 0x8B;
    if (gzip_) {
      stream_ = std::make_unique<z_stream>();
      // 16 + MAX_WBITS: expect a gzip wrapper rather than a raw zlib stream.
      if (inflateInit2(stream_.get(), 16 + MAX_WBITS) != Z_OK) {
        stream_.reset();
        throw IdxError(path, "cannot initialise zlib");
      }
    }
  }
  ~IdxByteSource() {
    if (stream_) inflateEnd(stream_.get());
  }
  IdxByteSource(const IdxByteSource&) = delete;
  IdxByteSource& operator=(const IdxByteSource&) = delete;

  // Fills `out` as far as the data goes; returns how many bytes it wrote, less than out.size()
  // only at the end of the data.
  std::size_t read(std::span<std::uint8_t> out) {
    return gzip_ ? inflate_into(out) : copy_into(out);
  }

  // How many bytes are left (counted, not kept): for the trailing-data message.
  std::uint64_t count_rest() {
    std::array<std::uint8_t, 1 << 16> sink;
    std::uint64_t total = 0;
    for (std::size_t got; (got = read(sink)) > 0;) total += got;
    return total;
  }

 private:
  void fill_input() {
    file_.read(reinterpret_cast<char*>(in_.data()), std::streamsize(in_.size()));
    if (file_.bad()) throw IdxError(path_, "read error");
    in_size_ = std::size_t(file_.gcount());
    in_pos_ = 0;
  }

  std::size_t copy_into(std::span<std::uint8_t> out) {
    std::size_t done = 0;
    while (done < out.size()) {
      if (in_pos_ == in_size_) {
        fill_input();
        if (in_size_ == 0) break;
      }
      const std::size_t n = std::min(out.size() - done, in_size_ - in_pos_);
      std::copy_n(in_.data() + in_pos_, n, out.data() + done);
      in_pos_ += n;
      done += n;
    }
    return done;
  }

  std::size_t inflate_into(std::span<std::uint8_t> out) {
    z_stream& z = *stream_;
    std::size_t done = 0;
    while (done < out.size() && !finished_) {
      if (in_pos_ == in_size_) fill_input();
      // zlib counts in uInt; one call never needs more than a chunk of either side.
      const std::size_t want = std::min<std::size_t>(out.size() - done, 1u << 30);
      z.next_in = in_.data() + in_pos_;
      z.avail_in = uInt(in_size_ - in_pos_);
      z.next_out = out.data() + done;
      z.avail_out = uInt(want);
      const int rc = inflate(&z, Z_NO_FLUSH);
      const std::size_t consumed = (in_size_ - in_pos_) - z.avail_in;
      const std::size_t produced = want - z.avail_out;
      in_pos_ += consumed;
      done += produced;
      if (rc == Z_STREAM_END) {
        // gzip allows several members one after another (`cat a.gz b.gz`), so only bytes that
        // cannot start another member are garbage.
        if (in_pos_ == in_size_) fill_input();
        if (in_size_ == 0) {
          finished_ = true;
        } else if (in_[in_pos_] != 0x1F) {
          throw IdxError(path_, "unexpected bytes after the end of the gzip stream");
        } else if (inflateReset(&z) != Z_OK) {
          throw IdxError(path_, "cannot reset zlib");
        }
      } else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
        throw IdxError(path_,
                       std::string("corrupt gzip data (") + (z.msg ? z.msg : "zlib error") + ")");
      } else if (rc == Z_MEM_ERROR) {
        throw IdxError(path_, "out of memory while decompressing");
      } else if (consumed == 0 && produced == 0 && in_size_ == 0) {
        // Z_BUF_ERROR or Z_OK with no input left and no progress: the file stops mid-stream.
        throw IdxError(path_,
                       "truncated gzip stream (the file ends before the compressed data does)");
      }
    }
    return done;
  }

  std::filesystem::path path_;
  std::ifstream file_;
  std::array<std::uint8_t, 1 << 16> in_{};
  std::size_t in_size_ = 0;
  std::size_t in_pos_ = 0;
  bool gzip_ = false;
  bool finished_ = false;
  std::unique_ptr<z_stream> stream_;
};

inline std::string idx_type_name(std::uint8_t code) {
  switch (code) {
    case 0x08:
      return "unsigned byte (0x08)";
    case 0x09:
      return "signed byte (0x09)";
    case 0x0B:
      return "int16 (0x0B)";
    case 0x0C:
      return "int32 (0x0C)";
    case 0x0D:
      return "float32 (0x0D)";
    case 0x0E:
      return "float64 (0x0E)";
  }
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02X", unsigned(code));
  return std::string("unknown type code ") + hex;
}

inline std::string hex_bytes(std::span<const std::uint8_t> bytes) {
  std::string s;
  for (const std::uint8_t b : bytes) {
    char hex[4];
    std::snprintf(hex, sizeof hex, "%02X", unsigned(b));
    s += (s.empty() ? "" : " ") + std::string(hex);
  }
  return s;
}

// Reads an IDX file of unsigned bytes with the given rank: its dimensions and its elements.
// `what` ("images", "labels") only words the messages.
inline std::vector<std::uint8_t> read_idx_u8(const std::filesystem::path& path, int rank,
                                             const char* what, std::vector<std::size_t>& dims) {
  IdxByteSource source(path);

  std::array<std::uint8_t, 4> magic{};
  const std::size_t got = source.read(magic);
  if (got < magic.size())
    throw IdxError(path, "not an IDX file: " + std::to_string(got) +
                             " bytes, shorter than the 4-byte magic number");
  if (magic[0] != 0 || magic[1] != 0)
    throw IdxError(path, "not an IDX file: magic number " + hex_bytes(magic) +
                             " does not start with two zero bytes");
  if (magic[2] != 0x08)
    throw IdxError(path, std::string("expected ") + what +
                             " of unsigned bytes (type 0x08), found " + idx_type_name(magic[2]));
  if (magic[3] != rank)
    throw IdxError(path, std::string("expected ") + what + " of rank " + std::to_string(rank) +
                             ", found rank " + std::to_string(magic[3]));

  std::vector<std::uint8_t> header(4 * std::size_t(rank));
  if (source.read(header) < header.size())
    throw IdxError(path, "truncated header: the file ends inside the dimension sizes");
  dims.assign(std::size_t(rank), 0);
  std::size_t total = 1;
  std::string shape;
  for (int i = 0; i < rank; ++i) {
    const std::uint8_t* b = header.data() + 4 * i;
    dims[i] =
        (std::size_t(b[0]) << 24) | (std::size_t(b[1]) << 16) | (std::size_t(b[2]) << 8) | b[3];
    shape += (i ? " x " : "") + std::to_string(dims[i]);
    // A damaged header could claim more than memory holds; no real file comes near 2^48 bytes.
    if (dims[i] != 0 && total > (std::size_t(1) << 48) / dims[i])
      throw IdxError(path, "header declares an impossible size " + shape + "...");
    total *= dims[i];
  }

  // Grow with the data rather than reserving what the header claims, so a lying header costs
  // nothing before the truncation is found.
  std::vector<std::uint8_t> data;
  constexpr std::size_t chunk = std::size_t(1) << 22;
  while (data.size() < total) {
    const std::size_t before = data.size();
    const std::size_t want = std::min(chunk, total - before);
    data.resize(before + want);
    const std::size_t n = source.read(std::span(data).subspan(before, want));
    if (n < want) {
      throw IdxError(path, "truncated: the header declares " + shape + " = " +
                               std::to_string(total) + " bytes of " + what + ", the file holds " +
                               std::to_string(before + n));
    }
  }
  if (const std::uint64_t extra = source.count_rest(); extra > 0)
    throw IdxError(path, std::to_string(extra) + " bytes of trailing data after the " +
                             std::to_string(total) + " bytes the header declares (" + shape + ")");
  return data;
}

}  // namespace detail

// Reads an idx3-ubyte file (count x rows x cols unsigned bytes), gzip-compressed or plain.
inline IdxImages read_idx_images(const std::filesystem::path& path) {
  std::vector<std::size_t> dims;
  IdxImages images;
  images.pixels = detail::read_idx_u8(path, 3, "images", dims);
  images.count = dims[0];
  images.rows = dims[1];
  images.cols = dims[2];
  return images;
}

// Reads an idx1-ubyte file (one unsigned byte per label), gzip-compressed or plain.
inline std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& path) {
  std::vector<std::size_t> dims;
  return detail::read_idx_u8(path, 1, "labels", dims);
}

// Reads an images file and its labels file, and checks that they hold the same number of
// samples. A mismatch is reported against the labels file, and the message names both.
inline IdxLabelledImages read_idx_labelled(const std::filesystem::path& images_path,
                                           const std::filesystem::path& labels_path) {
  IdxLabelledImages out;
  out.labels = read_idx_labels(labels_path);
  out.images = read_idx_images(images_path);
  if (out.labels.size() != out.images.count)
    throw IdxError(labels_path, "holds " + std::to_string(out.labels.size()) + " labels but " +
                                    images_path.string() + " holds " +
                                    std::to_string(out.images.count) + " images");
  return out;
}

}  // namespace tessera::io
