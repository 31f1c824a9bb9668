// Reads and writes safetensors files (https://huggingface.co/docs/safetensors), the format PyTorch
// and Hugging Face ship weights in: a little-endian u64 header length, a JSON header giving each
// tensor's dtype, shape and byte range, then the raw bytes. Standard library only; strict on input.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <ios>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

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

// ---------------------------------------------------------------------------------------------
// A small JSON parser: enough of RFC 8259 to read any header, strict so that a damaged header is
// reported where it is damaged rather than half-read.

struct JsonMember;

struct JsonValue {
  enum class Kind { Null, Boolean, Integer, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  // Kind::Integer: the value. Integers outside int64 and anything with a fraction or exponent are
  // Kind::Number, kept only as text: the header never needs them, but they must still parse.
  std::int64_t integer = 0;
  std::string text;                 // Kind::String: decoded UTF-8. Kind::Number: the literal.
  std::vector<JsonValue> items;     // Kind::Array
  std::vector<JsonMember> members;  // Kind::Object, in file order; duplicates kept for the caller
};

struct JsonMember {
  std::string key;
  JsonValue value;
};

// "an array", for messages that say what was found instead of what was expected.
constexpr std::string_view json_kind_name(JsonValue::Kind kind) {
  switch (kind) {
    case JsonValue::Kind::Null:
      return "null";
    case JsonValue::Kind::Boolean:
      return "a boolean";
    case JsonValue::Kind::Integer:
      return "an integer";
    case JsonValue::Kind::Number:
      return "a number that is not a 64-bit integer";
    case JsonValue::Kind::String:
      return "a string";
    case JsonValue::Kind::Array:
      return "an array";
    case JsonValue::Kind::Object:
      return "an object";
  }
  return "?";
}

class JsonParseError : public std::runtime_error {
 public:
  JsonParseError(std::size_t at, const std::string& problem)
      : std::runtime_error(problem), position(at) {}
  std::size_t position;  // byte offset into the parsed text
};

// Length of the well-formed UTF-8 sequence that starts at s[i], or 0 if it is not well formed.
// Overlong forms, surrogates and code points past U+10FFFF are ill-formed (RFC 3629), and letting
// them through would make names that compare unequal while printing the same.
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead == 0xE0) {
    length = 3, low = 0xA0;
  } else if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF) {
    length = 3;
  } else if (lead == 0xED) {
    length = 3, high = 0x9F;
  } else if (lead == 0xF0) {
    length = 4, low = 0x90;
  } else if (lead >= 0xF1 && lead <= 0xF3) {
    length = 4;
  } else if (lead == 0xF4) {
    length = 4, high = 0x8F;
  } else {
    return 0;
  }
  if (s.size() - i < length) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return length;
}

inline bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t length = utf8_sequence_length(s, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

inline void append_utf8(std::string& out, std::uint32_t code_point) {
  auto put = [&](std::uint32_t byte) { out.push_back(static_cast<char>(byte)); };
  if (code_point < 0x80) {
    put(code_point);
  } else if (code_point < 0x800) {
    put(0xC0 | (code_point >> 6));
    put(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    put(0xE0 | (code_point >> 12));
    put(0x80 | ((code_point >> 6) & 0x3F));
    put(0x80 | (code_point & 0x3F));
  } else {
    put(0xF0 | (code_point >> 18));
    put(0x80 | ((code_point >> 12) & 0x3F));
    put(0x80 | ((code_point >> 6) & 0x3F));
    put(0x80 | (code_point & 0x3F));
  }
}

class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : text_(text) {}

  // The single value `text` holds, with nothing but whitespace around it (safetensors pads the
  // header with spaces).
  JsonValue parse_document() {
    skip_whitespace();
    JsonValue value = parse_value(0);
    skip_whitespace();
    if (pos_ != text_.size()) fail("unexpected " + describe_here() + " after the end of the JSON");
    return value;
  }

 private:
  // Recursion is bounded so that a header of a million '[' cannot overflow the stack. A real
  // header nests three deep.
  static constexpr int max_depth = 64;

  [[noreturn]] void fail(const std::string& problem) const { throw JsonParseError(pos_, problem); }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }

  // "'x'" for a printable character, "byte 0x07" otherwise, "the end of the header" at the end.
  std::string describe_here() const {
    if (at_end()) return "end of the header";
    const auto c = static_cast<unsigned char>(peek());
    if (c >= 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
    constexpr char hex[] = "0123456789abcdef";
    return std::string("byte 0x") + hex[c >> 4] + hex[c & 0xF];
  }

  void skip_whitespace() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
      ++pos_;
    }
  }

  void expect(char c, std::string_view context) {
    if (at_end() || peek() != c) {
      fail(std::string("expected '") + c + "' " + std::string(context) + ", found " +
           describe_here());
    }
    ++pos_;
  }

  JsonValue parse_value(int depth) {
    if (at_end()) fail("unexpected end of the header, expected a value");
    switch (peek()) {
      case '{':
        return parse_object(depth);
      case '[':
        return parse_array(depth);
      case '"': {
        JsonValue value;
        value.kind = JsonValue::Kind::String;
        value.text = parse_string();
        return value;
      }
      case 't':
        return parse_literal("true", JsonValue::Kind::Boolean, true);
      case 'f':
        return parse_literal("false", JsonValue::Kind::Boolean, false);
      case 'n':
        return parse_literal("null", JsonValue::Kind::Null, false);
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return parse_number();
        fail("unexpected " + describe_here() + ", expected a value");
    }
  }

  void enter(int depth) {
    if (depth >= max_depth)
      fail("JSON nested deeper than " + std::to_string(max_depth) + " levels");
  }

  JsonValue parse_object(int depth) {
    enter(depth);
    ++pos_;  // '{'
    JsonValue object;
    object.kind = JsonValue::Kind::Object;
    skip_whitespace();
    if (!at_end() && peek() == '}') {
      ++pos_;
      return object;
    }
    while (true) {
      skip_whitespace();
      if (at_end() || peek() != '"') fail("expected a string key, found " + describe_here());
      JsonMember member;
      member.key = parse_string();
      skip_whitespace();
      expect(':', "after an object key");
      skip_whitespace();
      member.value = parse_value(depth + 1);
      object.members.push_back(std::move(member));
      skip_whitespace();
      if (!at_end() && peek() == ',') {
        ++pos_;
        continue;
      }
      expect('}', "or ',' in an object");
      return object;
    }
  }

  JsonValue parse_array(int depth) {
    enter(depth);
    ++pos_;  // '['
    JsonValue array;
    array.kind = JsonValue::Kind::Array;
    skip_whitespace();
    if (!at_end() && peek() == ']') {
      ++pos_;
      return array;
    }
    while (true) {
      skip_whitespace();
      array.items.push_back(parse_value(depth + 1));
      skip_whitespace();
      if (!at_end() && peek() == ',') {
        ++pos_;
        continue;
      }
      expect(']', "or ',' in an array");
      return array;
    }
  }

  JsonValue parse_literal(std::string_view word, JsonValue::Kind kind, bool boolean) {
    if (text_.substr(pos_, word.size()) != word) {
      fail("unexpected " + describe_here() + ", expected a value");
    }
    pos_ += word.size();
    JsonValue value;
    value.kind = kind;
    value.boolean = boolean;
    return value;
  }

  bool digit_here() const { return !at_end() && peek() >= '0' && peek() <= '9'; }

  JsonValue parse_number() {
    const std::size_t start = pos_;
    const bool negative = peek() == '-';
    if (negative) ++pos_;
    if (!digit_here()) fail("expected a digit, found " + describe_here());
    // Magnitude with overflow detection; the most negative int64 has no positive counterpart.
    const std::uint64_t limit =
        std::uint64_t(std::numeric_limits<std::int64_t>::max()) + (negative ? 1 : 0);
    std::uint64_t magnitude = 0;
    bool fits = true;
    if (peek() == '0') {
      ++pos_;
      if (digit_here()) fail("leading zeros are not allowed in JSON numbers");
    } else {
      while (digit_here()) {
        const auto d = std::uint64_t(peek() - '0');
        if (magnitude > (limit - d) / 10) fits = false;
        if (fits) magnitude = magnitude * 10 + d;
        ++pos_;
      }
    }
    bool integral = true;
    if (!at_end() && peek() == '.') {
      integral = false;
      ++pos_;
      if (!digit_here()) fail("expected a digit after the decimal point, found " + describe_here());
      while (digit_here()) ++pos_;
    }
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      integral = false;
      ++pos_;
      if (!at_end() && (peek() == '+' || peek() == '-')) ++pos_;
      if (!digit_here()) fail("expected a digit in the exponent, found " + describe_here());
      while (digit_here()) ++pos_;
    }
    JsonValue value;
    value.text = std::string(text_.substr(start, pos_ - start));
    if (integral && fits) {
      value.kind = JsonValue::Kind::Integer;
      // Negating in unsigned arithmetic keeps INT64_MIN well defined.
      value.integer = negative ? static_cast<std::int64_t>(0 - magnitude)
                               : static_cast<std::int64_t>(magnitude);
    } else {
      value.kind = JsonValue::Kind::Number;
    }
    return value;
  }

  std::uint32_t parse_hex4() {
    std::uint32_t value = 0;
    for (int k = 0; k < 4; ++k) {
      if (at_end()) fail("unterminated \\u escape");
      const char c = peek();
      std::uint32_t digit = 0;
      if (c >= '0' && c <= '9') {
        digit = std::uint32_t(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = std::uint32_t(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = std::uint32_t(c - 'A' + 10);
      } else {
        fail("expected a hex digit in a \\u escape, found " + describe_here());
      }
      value = value * 16 + digit;
      ++pos_;
    }
    return value;
  }

  std::string parse_string() {
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (at_end()) fail("unterminated string");
      const auto c = static_cast<unsigned char>(peek());
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) fail("unescaped control character " + describe_here() + " in a string");
      if (c == '\\') {
        parse_escape(out);
        continue;
      }
      const std::size_t length = utf8_sequence_length(text_, pos_);
      if (length == 0) fail("invalid UTF-8 in a string");
      out.append(text_.substr(pos_, length));
      pos_ += length;
    }
  }

  void parse_escape(std::string& out) {
    ++pos_;  // backslash
    if (at_end()) fail("unterminated escape in a string");
    const char c = peek();
    ++pos_;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        out.push_back(c);
        return;
      case 'b':
        out.push_back('\b');
        return;
      case 'f':
        out.push_back('\f');
        return;
      case 'n':
        out.push_back('\n');
        return;
      case 'r':
        out.push_back('\r');
        return;
      case 't':
        out.push_back('\t');
        return;
      case 'u':
        break;
      default:
        --pos_;
        fail("invalid escape sequence: backslash followed by " + describe_here());
    }
    const std::size_t escape_start = pos_ - 2;
    std::uint32_t code_point = parse_hex4();
    // Characters outside the BMP arrive as a UTF-16 surrogate pair; a lone half is not text.
    auto fail_surrogate = [&](const char* problem) {
      pos_ = escape_start;
      fail(problem);
    };
    if (code_point >= 0xDC00 && code_point <= 0xDFFF) {
      fail_surrogate("unpaired low surrogate in a \\u escape");
    }
    if (code_point >= 0xD800 && code_point <= 0xDBFF) {
      if (text_.substr(pos_, 2) != "\\u") {
        fail_surrogate("high surrogate in a \\u escape not followed by a low surrogate");
      }
      pos_ += 2;
      const std::uint32_t low = parse_hex4();
      if (low < 0xDC00 || low > 0xDFFF) {
        fail_surrogate("high surrogate in a \\u escape not followed by a low surrogate");
      }
      code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(out, code_point);
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

inline JsonValue parse_json(std::string_view text) { return JsonParser(text).parse_document(); }

// `s` as a JSON string literal. Non-ASCII UTF-8 passes through unchanged, as JSON allows.
inline std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7F) {
      constexpr char hex[] = "0123456789abcdef";
      out += "\\u00";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
  return out;
}

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
  std::string name;
  Dtype dtype = Dtype::F32;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

class HeaderReader {
 public:
  explicit HeaderReader(const std::filesystem::path& path) : path_(path) {}

  [[noreturn]] void fail(const std::string& problem) const {
    throw SafetensorsError(path_, problem);
  }

  [[noreturn]] void fail_tensor(std::string_view name, const std::string& problem) const {
    fail("tensor '" + std::string(name) + "': " + problem);
  }

  // The member named `key`, or nullptr. A key given twice is an error rather than last-one-wins:
  // two readers of one file (this one and Python's, say) could otherwise load different weights.
  const JsonValue* find(const JsonValue& object, std::string_view key,
                        std::string_view tensor) const {
    const JsonValue* found = nullptr;
    for (const JsonMember& member : object.members) {
      if (member.key != key) continue;
      if (found != nullptr) fail_tensor(tensor, "duplicate key \"" + std::string(key) + "\"");
      found = &member.value;
    }
    return found;
  }

  const JsonValue& require(const JsonValue& object, std::string_view key,
                           std::string_view tensor) const {
    const JsonValue* value = find(object, key, tensor);
    if (value == nullptr) fail_tensor(tensor, "missing \"" + std::string(key) + "\"");
    return *value;
  }

  Dtype dtype_of(const JsonValue& entry, std::string_view name) const {
    const JsonValue& value = require(entry, "dtype", name);
    if (value.kind != JsonValue::Kind::String) {
      fail_tensor(name,
                  "\"dtype\" must be a string, found " + std::string(json_kind_name(value.kind)));
    }
    for (const Dtype dtype : {Dtype::F32, Dtype::F64, Dtype::I64}) {
      if (value.text == dtype_name(dtype)) return dtype;
    }
    if (is_known_dtype_name(value.text)) {
      fail_tensor(name, "unsupported dtype '" + value.text + "' (tessera reads F32, F64 and I64)");
    }
    fail_tensor(name, "unknown dtype '" + value.text + "'");
  }

  std::vector<std::int64_t> shape_of(const JsonValue& entry, std::string_view name) const {
    const JsonValue& value = require(entry, "shape", name);
    if (value.kind != JsonValue::Kind::Array) {
      fail_tensor(name, "\"shape\" must be an array of integers, found " +
                            std::string(json_kind_name(value.kind)));
    }
    std::vector<std::int64_t> shape;
    for (std::size_t i = 0; i < value.items.size(); ++i) {
      const JsonValue& item = value.items[i];
      if (item.kind != JsonValue::Kind::Integer) {
        fail_tensor(name, "\"shape\" must be an array of integers, but element " +
                              std::to_string(i) + " is " + std::string(json_kind_name(item.kind)));
      }
      shape.push_back(item.integer);
    }
    for (const std::int64_t dim : shape) {
      if (dim < 0) {
        fail_tensor(
            name, "negative dimension " + std::to_string(dim) + " in shape " + shape_string(shape));
      }
    }
    return shape;
  }

  std::pair<std::uint64_t, std::uint64_t> offsets_of(const JsonValue& entry,
                                                     std::string_view name) const {
    const JsonValue& value = require(entry, "data_offsets", name);
    const bool two_integers = value.kind == JsonValue::Kind::Array && value.items.size() == 2 &&
                              value.items[0].kind == JsonValue::Kind::Integer &&
                              value.items[1].kind == JsonValue::Kind::Integer;
    if (!two_integers) {
      fail_tensor(name, "\"data_offsets\" must be an array of two integers [begin, end]");
    }
    const std::int64_t begin = value.items[0].integer, end = value.items[1].integer;
    if (begin < 0 || end < 0) fail_tensor(name, "negative data_offsets");
    if (begin > end) {
      fail_tensor(name, "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                            "] have begin > end");
    }
    return {std::uint64_t(begin), std::uint64_t(end)};
  }

  TensorSpan tensor_of(const std::string& name, const JsonValue& entry,
                       std::uint64_t data_bytes) const {
    if (entry.kind != JsonValue::Kind::Object) {
      fail_tensor(name,
                  "entry must be a JSON object, found " + std::string(json_kind_name(entry.kind)));
    }
    TensorSpan span;
    span.name = name;
    span.dtype = dtype_of(entry, name);
    span.shape = shape_of(entry, name);
    std::tie(span.begin, span.end) = offsets_of(entry, name);
    std::uint64_t expected = 0;
    const bool fits = byte_count(span.shape, dtype_size(span.dtype), expected);
    const std::uint64_t actual = span.end - span.begin;
    if (!fits || expected != actual) {
      fail_tensor(name, "data_offsets span " + std::to_string(actual) + " bytes but shape " +
                            shape_string(span.shape) + " of " +
                            std::string(dtype_name(span.dtype)) + " needs " +
                            (fits ? std::to_string(expected) : "more than 2^64") + " bytes");
    }
    if (span.end > data_bytes) {
      fail_tensor(name, "truncated data: data_offsets end at byte " + std::to_string(span.end) +
                            " but the data buffer has only " + std::to_string(data_bytes) +
                            " bytes");
    }
    return span;
  }

  std::map<std::string, std::string> metadata_of(const JsonValue& value) const {
    if (value.kind != JsonValue::Kind::Object) {
      fail("\"__metadata__\" must be an object of strings, found " +
           std::string(json_kind_name(value.kind)));
    }
    std::map<std::string, std::string> metadata;
    for (const JsonMember& member : value.members) {
      if (member.value.kind != JsonValue::Kind::String) {
        fail("\"__metadata__\" value for key '" + member.key + "' must be a string, found " +
             std::string(json_kind_name(member.value.kind)));
      }
      if (!metadata.emplace(member.key, member.value.text).second) {
        fail("duplicate key '" + member.key + "' in \"__metadata__\"");
      }
    }
    return metadata;
  }

  // Zero-length tensors occupy no bytes and so overlap nothing; the others must be disjoint, or
  // writing one weight would silently change another.
  void check_disjoint(std::vector<const TensorSpan*> spans) const {
    std::erase_if(spans, [](const TensorSpan* s) { return s->begin == s->end; });
    std::sort(spans.begin(), spans.end(), [](const TensorSpan* a, const TensorSpan* b) {
      return std::tie(a->begin, a->end) < std::tie(b->begin, b->end);
    });
    const TensorSpan* furthest = nullptr;  // of those seen, the one reaching furthest
    for (const TensorSpan* span : spans) {
      if (furthest != nullptr && furthest->end > span->begin) {
        fail("tensors '" + furthest->name + "' and '" + span->name +
             "' overlap in the data buffer (bytes [" + std::to_string(furthest->begin) + ", " +
             std::to_string(furthest->end) + ") and [" + std::to_string(span->begin) + ", " +
             std::to_string(span->end) + "))");
      }
      if (furthest == nullptr || span->end > furthest->end) furthest = span;
    }
  }

 private:
  std::filesystem::path path_;
};

inline void put_u64_le(std::string& out, std::uint64_t value) {
  for (int k = 0; k < 8; ++k) out.push_back(static_cast<char>((value >> (8 * k)) & 0xFF));
}

}  // namespace detail

// Reads a whole file. Throws SafetensorsError on anything that is not a well-formed safetensors
// file holding only F32, F64 and I64 tensors; never reads outside what the file holds. Gaps
// between tensors and bytes after the last one are accepted: they are harmless and unread.
inline SafetensorsFile read_safetensors(const std::filesystem::path& path) {
  const detail::HeaderReader reader(path);

  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (status.type() == std::filesystem::file_type::not_found) reader.fail("file does not exist");
  if (error) reader.fail("cannot access file: " + error.message());
  if (std::filesystem::is_directory(status)) reader.fail("is a directory, not a safetensors file");

  std::ifstream in(path, std::ios::binary);
  if (!in) reader.fail("cannot open file for reading");
  in.seekg(0, std::ios::end);
  const std::streamoff end = in.tellg();
  if (!in || end < 0) reader.fail("cannot determine the file size");
  const auto file_bytes = static_cast<std::uint64_t>(end);
  in.seekg(0, std::ios::beg);

  if (file_bytes < 8) {
    reader.fail("file is " + std::to_string(file_bytes) +
                " bytes, too short to hold the 8-byte header length (not a safetensors file?)");
  }
  unsigned char length_field[8];
  in.read(reinterpret_cast<char*>(length_field), 8);
  if (!in) reader.fail("cannot read the header length");
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
  std::string header(header_bytes, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_bytes));
  if (!in) reader.fail("cannot read the header");
  const std::uint64_t data_bytes = file_bytes - 8 - header_bytes;

  detail::JsonValue root;
  try {
    root = detail::parse_json(header);
  } catch (const detail::JsonParseError& e) {
    reader.fail("malformed JSON header at byte " + std::to_string(e.position) +
                " of the header (file offset " + std::to_string(e.position + 8) + "): " + e.what());
  }
  if (root.kind != detail::JsonValue::Kind::Object) {
    reader.fail("malformed header: it must be a JSON object, found " +
                std::string(detail::json_kind_name(root.kind)));
  }

  SafetensorsFile file;
  std::vector<detail::TensorSpan> spans;
  std::set<std::string> names;
  bool seen_metadata = false;
  for (const detail::JsonMember& member : root.members) {
    if (member.key == "__metadata__") {
      if (seen_metadata) reader.fail("duplicate \"__metadata__\" entry");
      seen_metadata = true;
      file.metadata = reader.metadata_of(member.value);
      continue;
    }
    if (!names.insert(member.key).second) {
      reader.fail("duplicate tensor name '" + member.key + "'");
    }
    spans.push_back(reader.tensor_of(member.key, member.value, data_bytes));
  }
  std::vector<const detail::TensorSpan*> by_position;
  for (const detail::TensorSpan& span : spans) by_position.push_back(&span);
  reader.check_disjoint(by_position);

  // Each tensor is read straight into its own buffer, so a large file is never held twice.
  const std::uint64_t data_start = 8 + header_bytes;
  for (detail::TensorSpan& span : spans) {
    TensorRecord record;
    record.name = span.name;
    record.dtype = span.dtype;
    record.shape = std::move(span.shape);
    record.data.resize(span.end - span.begin);
    if (!record.data.empty()) {
      in.seekg(static_cast<std::streamoff>(data_start + span.begin), std::ios::beg);
      in.read(reinterpret_cast<char*>(record.data.data()),
              static_cast<std::streamsize>(record.data.size()));
      if (!in) reader.fail_tensor(span.name, "cannot read its data (did the file change?)");
    }
    file.tensors.emplace(span.name, std::move(record));
  }
  return file;
}

// Writes `tensors` in the order given, their bytes contiguous in that order, with `metadata` as
// the "__metadata__" entry when it is not empty. The header is padded with spaces to a multiple
// of 8 bytes, as PyTorch's writer does, so that the data buffer starts 8-aligned. The file is
// written to "<path>.tmp" and renamed over `path`, so a failed write never leaves half a file
// where a good one was. Throws SafetensorsError naming `path` on bad input or a failed write.
inline void write_safetensors(const std::filesystem::path& path,
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

  std::filesystem::path temporary = path;
  temporary += ".tmp";
  std::error_code ignored;
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) fail("cannot open '" + temporary.string() + "' for writing");
    out.write(prefix.data(), static_cast<std::streamsize>(prefix.size()));
    for (const TensorRecord& tensor : tensors) {
      out.write(reinterpret_cast<const char*>(tensor.data.data()),
                static_cast<std::streamsize>(tensor.data.size()));
    }
    out.close();
    if (!out) {
      std::filesystem::remove(temporary, ignored);
      fail("writing '" + temporary.string() + "' failed (disk full?)");
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary, ignored);
    fail("cannot rename '" + temporary.string() + "' into place: " + error.message());
  }
}

}  // namespace tessera::io
