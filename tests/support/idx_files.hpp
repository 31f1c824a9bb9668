// Writes IDX files byte by byte for the reader's tests, plain or gzip-compressed, independently of
// the reader so that a shared misunderstanding of the format cannot pass unnoticed.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tessera::testing {

using Bytes = std::vector<std::uint8_t>;

// Header (0, 0, type, rank, big-endian u32 dims) followed by `payload`.
inline Bytes idx_bytes(std::uint8_t type, const std::vector<std::uint32_t>& dims,
                       const Bytes& payload) {
  Bytes out{0, 0, type, std::uint8_t(dims.size())};
  for (const std::uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(std::uint8_t(d >> shift));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

inline void write_bytes(const std::filesystem::path& path, const Bytes& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  if (!f) throw std::runtime_error("cannot write " + path.string());
}

// One gzip member holding `bytes`, as `gzip` would write it.
inline Bytes gzip_bytes(const Bytes& bytes) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  Bytes out(deflateBound(&z, uLong(bytes.size())) + 32);
  z.next_in = const_cast<Bytef*>(bytes.data());
  z.avail_in = uInt(bytes.size());
  z.next_out = out.data();
  z.avail_out = uInt(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate did not finish");
  return out;
}

}  // namespace tessera::testing
