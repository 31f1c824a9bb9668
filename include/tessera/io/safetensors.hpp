// Reads and writes safetensors files (https://huggingface.co/docs/safetensors), the format PyTorch
// and Hugging Face ship weights in: a little-endian u64 header length, a JSON header giving each
// tensor's dtype, shape and byte range, then the raw bytes. Standard library only; strict on input.
// The JSON itself is read by io/detail/json.hpp.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <new>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "tessera/io/detail/file.hpp"
#include "tessera/io/detail/json.hpp"
#include "tessera/io/file_error.hpp"

namespace tessera::io {

// The element types tessera stores. The reader knows every other safetensors dtype name too, so
// that a valid file with, say, F16 weights fails with "unsupported dtype" instead of "unknown".
enum class Dtype { F32, F64, I64 };

// The name safetensors uses in the header ("F32").
constexpr std::string_view dtype_name(Dtype dtype) {
  switch (dtype) {
    case Dtype::F32:
      return "F32";
    case Dtype::F64:
      return "F64";
    case Dtype::I64:
      return "I64";
  }
  return "?";  // only reachable through a cast from an out-of-range integer
}

// Bytes per element.
constexpr std::size_t dtype_size(Dtype dtype) {
  switch (dtype) {
    case Dtype::F32:
      return 4;
    case Dtype::F64:
    case Dtype::I64:
      return 8;
  }
  return 0;
}

// One tensor as stored: `data` holds the elements' raw little-endian bytes in row-major order, so
// it is exactly product(shape) * dtype_size(dtype) bytes; a 0-d scalar has an empty shape.
struct TensorRecord {
  std::string name;
  Dtype dtype = Dtype::F32;
  std::vector<std::int64_t> shape;
  std::vector<std::byte> data;
};

// Everything that goes wrong reading or writing a file. what() is "<path>: <problem>" so that a
// message that reaches a user from deep inside a model load still says which file is at fault.
class SafetensorsError : public FileError {
 public:
  using FileError::FileError;
};

// A whole file. std::map sorts by name; the file's own order carries no meaning once read.
struct SafetensorsFile {
  std::map<std::string, TensorRecord> tensors;
  std::map<std::string, std::string> metadata;
};

namespace detail {

// A length field beyond this is taken as a sign of a file that is not safetensors at all, rather
// than allocating gigabytes for it. The safetensors reference implementation uses the same limit.
inline constexpr std::uint64_t max_header_bytes = 100'000'000;

// NumPy 2 arrays have at most 64 dimensions (NumPy 1: 32); a longer shape is no tensor anyone
// saves, and refusing it keeps a shape's memory small however long the array in the header.
inline constexpr std::size_t max_rank = 64;

// ---------------------------------------------------------------------------------------------
// Pieces of the reader and writer.

inline std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

// product(shape) * element_size, or false when it does not fit in 64 bits (such a tensor cannot
// match any real byte range, but the multiplication must not wrap into one that does).
inline bool byte_count(const std::vector<std::int64_t>& shape, std::size_t element_size,
                       std::uint64_t& bytes) {
  bytes = element_size;
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) {
    bytes = 0;
    return true;
  }
  for (const std::int64_t dim : shape) {
    const auto d = static_cast<std::uint64_t>(dim);
    if (bytes > std::numeric_limits<std::uint64_t>::max() / d) return false;
    bytes *= d;
  }
  return true;
}

// Every dtype name safetensors defines, so an unsupported one is told apart from a typo.
inline bool is_known_dtype_name(std::string_view name) {
  constexpr std::string_view known[] = {
      "BOOL", "U8",  "I8",  "I16",     "U16",     "F16",     "BF16", "I32",     "U32",     "F32",
      "F64",  "I64", "U64", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F4",   "F6_E2M3", "F6_E3M2", "C64"};
  return std::find(std::begin(known), std::end(known), name) != std::end(known);
}

// Where a tensor's bytes are, before they are read.
struct TensorSpan {
  TensorRecord* record = nullptr;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

// Reads the header's JSON into what the format defines and nothing else: per tensor its dtype,
// shape and byte range, and the metadata strings. Members the format does not define are skipped
// without being kept, so the memory a header costs is the header itself plus what it describes,
// however its text is made up. (A generic JSON tree took some 80 times the header's size for a
// long array: a fuzzed 99 MB header ran out of memory instead of being reported.)
class HeaderReader {
 public:
  explicit HeaderReader(const std::string& path) : path_(path) {}

  [[noreturn]] void fail(const std::string& problem) const {
    throw SafetensorsError(path_, problem);
  }

  [[noreturn]] void fail_tensor(std::string_view name, const std::string& problem) const {
    fail("tensor '" + std::string(name) + "': " + problem);
  }

  Dtype read_dtype(JsonReader& json, std::string_view name) const {
    const JsonKind kind = json.peek();
    if (kind != JsonKind::String) {
      fail_tensor(name, "\"dtype\" must be a string, found " + std::string(json_kind_name(kind)));
    }
    const std::string text = json.read_string();
    for (const Dtype dtype : {Dtype::F32, Dtype::F64, Dtype::I64}) {
      if (text == dtype_name(dtype)) return dtype;
    }
    if (is_known_dtype_name(text)) {
      fail_tensor(name, "unsupported dtype '" + text + "' (tessera reads F32, F64 and I64)");
    }
    fail_tensor(name, "unknown dtype '" + text + "'");
  }

  std::vector<std::int64_t> read_shape(JsonReader& json, std::string_view name) const {
    const JsonKind kind = json.peek();
    if (kind != JsonKind::Array) {
      fail_tensor(name, "\"shape\" must be an array of integers, found " +
                            std::string(json_kind_name(kind)));
    }
    json.begin_array();
    std::vector<std::int64_t> shape;
    while (json.next_item()) {
      if (shape.size() == max_rank) {
        fail_tensor(name, "\"shape\" has more than " + std::to_string(max_rank) +
                              " dimensions (tessera reads at most " + std::to_string(max_rank) +
                              ")");
      }
      const JsonKind item = json.peek();
      std::int64_t dim = 0;
      if (item != JsonKind::Number || !json.read_integer(dim)) {
        fail_tensor(name, "\"shape\" must be an array of integers, but element " +
                              std::to_string(shape.size()) + " is " +
                              (item == JsonKind::Number ? "a number that is not a 64-bit integer"
                                                        : std::string(json_kind_name(item))));
      }
      shape.push_back(dim);
    }
    for (const std::int64_t dim : shape) {
      if (dim < 0) {
        fail_tensor(
            name, "negative dimension " + std::to_string(dim) + " in shape " + shape_string(shape));
      }
    }
    return shape;
  }

  std::pair<std::uint64_t, std::uint64_t> read_offsets(JsonReader& json,
                                                       std::string_view name) const {
    auto fail_offsets = [&] {
      fail_tensor(name, "\"data_offsets\" must be an array of two integers [begin, end]");
    };
    if (json.peek() != JsonKind::Array) fail_offsets();
    json.begin_array();
    std::int64_t offsets[2] = {0, 0};
    std::size_t count = 0;
    while (json.next_item()) {
      if (count == 2 || json.peek() != JsonKind::Number || !json.read_integer(offsets[count])) {
        fail_offsets();
      }
      ++count;
    }
    if (count != 2) fail_offsets();
    const std::int64_t begin = offsets[0], end = offsets[1];
    if (begin < 0 || end < 0) fail_tensor(name, "negative data_offsets");
    if (begin > end) {
      fail_tensor(name, "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                            "] have begin > end");
    }
    return {std::uint64_t(begin), std::uint64_t(end)};
  }

  // One tensor's entry, into `record` (named already); returns where its bytes are. A field the
  // format defines given twice is an error rather than last-one-wins: two readers of one file
  // (this one and Python's, say) could otherwise load different weights.
  TensorSpan read_tensor(JsonReader& json, TensorRecord& record, std::uint64_t data_bytes) const {
    const std::string& name = record.name;
    const JsonKind kind = json.peek();
    if (kind != JsonKind::Object) {
      fail_tensor(name, "entry must be a JSON object, found " + std::string(json_kind_name(kind)));
    }
    TensorSpan span{&record, 0, 0};
    bool has_dtype = false, has_shape = false, has_offsets = false;
    auto first_time = [&](bool& seen, std::string_view key) {
      if (seen) fail_tensor(name, "duplicate key \"" + std::string(key) + "\"");
      seen = true;
    };
    json.begin_object();
    std::string key;
    while (json.next_member(&key)) {
      if (key == "dtype") {
        first_time(has_dtype, key);
        record.dtype = read_dtype(json, name);
      } else if (key == "shape") {
        first_time(has_shape, key);
        record.shape = read_shape(json, name);
      } else if (key == "data_offsets") {
        first_time(has_offsets, key);
        std::tie(span.begin, span.end) = read_offsets(json, name);
      } else {
        json.skip_value();
      }
    }
    if (!has_dtype) fail_tensor(name, "missing \"dtype\"");
    if (!has_shape) fail_tensor(name, "missing \"shape\"");
    if (!has_offsets) fail_tensor(name, "missing \"data_offsets\"");

    std::uint64_t expected = 0;
    const bool fits = byte_count(record.shape, dtype_size(record.dtype), expected);
    const std::uint64_t actual = span.end - span.begin;
    if (!fits || expected != actual) {
      fail_tensor(name, "data_offsets span " + std::to_string(actual) + " bytes but shape " +
                            shape_string(record.shape) + " of " +
                            std::string(dtype_name(record.dtype)) + " needs " +
                            (fits ? std::to_string(expected) : "more than 2^64") + " bytes");
    }
    if (span.end > data_bytes) {
      fail_tensor(name, "truncated data: data_offsets end at byte " + std::to_string(span.end) +
                            " but the data buffer has only " + std::to_string(data_bytes) +
                            " bytes");
    }
    return span;
  }

  std::map<std::string, std::string> read_metadata(JsonReader& json) const {
    const JsonKind kind = json.peek();
    if (kind != JsonKind::Object) {
      fail("\"__metadata__\" must be an object of strings, found " +
           std::string(json_kind_name(kind)));
    }
    std::map<std::string, std::string> metadata;
    json.begin_object();
    std::string key;
    while (json.next_member(&key)) {
      const JsonKind value = json.peek();
      if (value != JsonKind::String) {
        fail("\"__metadata__\" value for key '" + key + "' must be a string, found " +
             std::string(json_kind_name(value)));
      }
      if (!metadata.emplace(key, json.read_string()).second) {
        fail("duplicate key '" + key + "' in \"__metadata__\"");
      }
    }
    return metadata;
  }

  // The whole header into `file` (each tensor's data still empty); returns where each tensor's
  // bytes are. The JSON is checked whole first, keeping nothing, so that a syntax error is
  // reported as such wherever it is, even after an entry that is wrong in other ways.
  std::vector<TensorSpan> read_header(std::string_view header, std::uint64_t data_bytes,
                                      SafetensorsFile& file) const {
    try {
      JsonReader syntax(header);
      syntax.skip_value();
      syntax.end_document();
    } catch (const JsonParseError& e) {
      fail("malformed JSON header at byte " + std::to_string(e.position) +
           " of the header (file offset " + std::to_string(e.position + 8) + "): " + e.what());
    }
    JsonReader json(header);
    const JsonKind kind = json.peek();
    if (kind != JsonKind::Object) {
      fail("malformed header: it must be a JSON object, found " +
           std::string(json_kind_name(kind)));
    }
    std::vector<TensorSpan> spans;
    bool seen_metadata = false;
    json.begin_object();
    std::string key;
    while (json.next_member(&key)) {
      if (key == "__metadata__") {
        if (seen_metadata) fail("duplicate \"__metadata__\" entry");
        seen_metadata = true;
        file.metadata = read_metadata(json);
        continue;
      }
      const auto [it, fresh] = file.tensors.try_emplace(key);
      if (!fresh) fail("duplicate tensor name '" + key + "'");
      it->second.name = key;
      spans.push_back(read_tensor(json, it->second, data_bytes));
    }
    return spans;
  }

  // Zero-length tensors occupy no bytes and so overlap nothing; the others must be disjoint, or
  // writing one weight would silently change another. Leaves `spans` sorted by position.
  void check_disjoint(std::vector<TensorSpan>& spans) const {
    std::sort(spans.begin(), spans.end(), [](const TensorSpan& a, const TensorSpan& b) {
      return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
    });
    const TensorSpan* furthest = nullptr;  // of those seen, the one reaching furthest
    for (const TensorSpan& span : spans) {
      if (span.begin == span.end) continue;
      if (furthest != nullptr && furthest->end > span.begin) {
        fail("tensors '" + furthest->record->name + "' and '" + span.record->name +
             "' overlap in the data buffer (bytes [" + std::to_string(furthest->begin) + ", " +
             std::to_string(furthest->end) + ") and [" + std::to_string(span.begin) + ", " +
             std::to_string(span.end) + "))");
      }
      if (furthest == nullptr || span.end > furthest->end) furthest = &span;
    }
  }

 private:
  std::string path_;
};

inline void put_u64_le(std::string& out, std::uint64_t value) {
  for (int k = 0; k < 8; ++k) out.push_back(static_cast<char>((value >> (8 * k)) & 0xFF));
}

}  // namespace detail

// Reads a whole file. Throws SafetensorsError on anything that is not a well-formed safetensors
// file holding only F32, F64 and I64 tensors, running out of memory included; never reads outside
// what the file holds. Gaps between tensors and bytes after the last one are accepted: they are
// harmless and unread. Beyond the tensors themselves, reading takes about the header's size in
// memory, plus a small record per tensor.
inline SafetensorsFile read_safetensors(const std::string& path) {
  const detail::HeaderReader reader(path);

  std::string why;
  switch (detail::file_kind(path, why)) {
    case detail::FileKind::missing: reader.fail("file does not exist");
    case detail::FileKind::inaccessible: reader.fail("cannot access file: " + why);
    case detail::FileKind::directory: reader.fail("is a directory, not a safetensors file");
    case detail::FileKind::other: break;
  }
  detail::File in(path, "rb");
  if (!in) reader.fail("cannot open file for reading");
  const std::int64_t end = in.size();
  if (end < 0) reader.fail("cannot determine the file size");
  const auto file_bytes = static_cast<std::uint64_t>(end);

  if (file_bytes < 8) {
    reader.fail("file is " + std::to_string(file_bytes) +
                " bytes, too short to hold the 8-byte header length (not a safetensors file?)");
  }
  unsigned char length_field[8];
  if (!in.read(length_field, 8)) reader.fail("cannot read the header length");
  std::uint64_t header_bytes = 0;
  for (int k = 7; k >= 0; --k) header_bytes = (header_bytes << 8) | length_field[k];

  if (header_bytes > detail::max_header_bytes) {
    reader.fail("header length " + std::to_string(header_bytes) +
                " is too large (the limit is 100 MB; not a safetensors file?)");
  }
  if (header_bytes > file_bytes - 8) {
    reader.fail("truncated header: the header length field says " + std::to_string(header_bytes) +
                " bytes but only " + std::to_string(file_bytes - 8) + " follow it");
  }
  const std::uint64_t data_bytes = file_bytes - 8 - header_bytes;

  SafetensorsFile file;
  std::vector<detail::TensorSpan> spans;
  try {
    std::string header(header_bytes, '\0');
    if (!in.read(header.data(), header_bytes)) reader.fail("cannot read the header");
    spans = reader.read_header(header, data_bytes, file);
  } catch (const std::bad_alloc&) {
    reader.fail("out of memory reading the " + std::to_string(header_bytes) + "-byte header");
  }
  reader.check_disjoint(spans);

  // Each tensor is read straight into its own buffer, so a large file is never held twice; in
  // the order they lie in the file.
  const std::uint64_t data_start = 8 + header_bytes;
  for (const detail::TensorSpan& span : spans) {
    std::vector<std::byte>& data = span.record->data;
    try {
      data.resize(span.end - span.begin);
    } catch (const std::bad_alloc&) {
      reader.fail_tensor(span.record->name, "out of memory for its " +
                                                std::to_string(span.end - span.begin) + " bytes");
    }
    if (!data.empty()) {
      if (!in.seek(data_start + span.begin) || !in.read(data.data(), data.size()))
        reader.fail_tensor(span.record->name, "cannot read its data (did the file change?)");
    }
  }
  return file;
}

// Writes `tensors` in the order given, their bytes contiguous in that order, with `metadata` as
// the "__metadata__" entry when it is not empty. The header is padded with spaces to a multiple
// of 8 bytes, as PyTorch's writer does, so that the data buffer starts 8-aligned. The file is
// written to "<path>.tmp" and renamed over `path`, so a failed write never leaves half a file
// where a good one was. Throws SafetensorsError naming `path` on bad input or a failed write.
inline void write_safetensors(const std::string& path,
                              const std::vector<TensorRecord>& tensors,
                              const std::map<std::string, std::string>& metadata = {}) {
  auto fail = [&](const std::string& problem) { throw SafetensorsError(path, problem); };

  // Refuse to write what read_safetensors would refuse to read.
  std::set<std::string_view> names;
  for (const TensorRecord& tensor : tensors) {
    const std::string which = "tensor '" + tensor.name + "': ";
    if (tensor.name == "__metadata__") fail(which + "the name is reserved for metadata");
    if (!detail::is_valid_utf8(tensor.name)) fail(which + "the name is not valid UTF-8");
    if (!names.insert(tensor.name).second) fail("duplicate tensor name '" + tensor.name + "'");
    if (dtype_name(tensor.dtype) == "?") fail(which + "invalid dtype");
    if (tensor.shape.size() > detail::max_rank) {
      fail(which + "shape has " + std::to_string(tensor.shape.size()) + " dimensions (at most " +
           std::to_string(detail::max_rank) + ")");
    }
    for (const std::int64_t dim : tensor.shape) {
      if (dim < 0) {
        fail(which + "negative dimension in shape " + detail::shape_string(tensor.shape));
      }
    }
    std::uint64_t expected = 0;
    if (!detail::byte_count(tensor.shape, dtype_size(tensor.dtype), expected) ||
        expected != tensor.data.size()) {
      fail(which + "data has " + std::to_string(tensor.data.size()) + " bytes but shape " +
           detail::shape_string(tensor.shape) + " of " + std::string(dtype_name(tensor.dtype)) +
           " needs " + std::to_string(expected) + " bytes");
    }
  }
  for (const auto& [key, value] : metadata) {
    if (!detail::is_valid_utf8(key) || !detail::is_valid_utf8(value)) {
      fail("metadata key '" + key + "' or its value is not valid UTF-8");
    }
  }

  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [key, value] : metadata) {
      if (!first) header += ",";
      first = false;
      header += detail::json_quote(key) + ":" + detail::json_quote(value);
    }
    header += "}";
  }
  std::uint64_t offset = 0;
  for (const TensorRecord& tensor : tensors) {
    if (header.size() > 1) header += ",";
    std::string dims;
    for (std::size_t i = 0; i < tensor.shape.size(); ++i) {
      dims += (i > 0 ? "," : "") + std::to_string(tensor.shape[i]);
    }
    const std::uint64_t end = offset + tensor.data.size();
    header += detail::json_quote(tensor.name) + ":{\"dtype\":\"" +
              std::string(dtype_name(tensor.dtype)) + "\",\"shape\":[" + dims +
              "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(end) + "]}";
    offset = end;
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');
  if (header.size() > detail::max_header_bytes) fail("header would exceed the 100 MB limit");

  std::string prefix;
  detail::put_u64_le(prefix, header.size());
  prefix += header;

  const std::string temporary = path + ".tmp";
  {
    detail::File out(temporary, "wb");
    if (!out) fail("cannot open '" + temporary + "' for writing: " + std::strerror(errno));
    bool ok = out.write(prefix.data(), prefix.size());
    for (const TensorRecord& tensor : tensors) ok = ok && out.write(tensor.data.data(), tensor.data.size());
    if (!out.close() || !ok) {
      std::remove(temporary.c_str());
      fail("writing '" + temporary + "' failed (disk full?)");
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(temporary.c_str());
    fail("cannot rename '" + temporary + "' into place: " + why);
  }
}

}  // namespace tessera::io
