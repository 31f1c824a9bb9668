// A pull parser for JSON (RFC 8259), strict so that a damaged file is reported where it is
// damaged. It builds no tree: the caller walks objects and arrays member by member, reads the
// strings and integers it wants and skips the rest, so reading costs memory for what the caller
// keeps, not for every value in the text, and nesting is tracked in a fixed array, not on the
// stack. io/safetensors.hpp reads its header with it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tessera::io::detail {

class JsonParseError : public std::runtime_error {
 public:
  JsonParseError(std::size_t at, const std::string& problem)
      : std::runtime_error(problem), position(at) {}
  std::size_t position;  // byte offset into the parsed text
};

// What a value is, from its first character.
enum class JsonKind { Null, Boolean, Number, String, Array, Object };

// "an array", for messages that say what was found instead of what was expected.
constexpr std::string_view json_kind_name(JsonKind kind) {
  switch (kind) {
    case JsonKind::Null:
      return "null";
    case JsonKind::Boolean:
      return "a boolean";
    case JsonKind::Number:
      return "a number";
    case JsonKind::String:
      return "a string";
    case JsonKind::Array:
      return "an array";
    case JsonKind::Object:
      return "an object";
  }
  return "?";
}

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

// Walks one JSON document. Every call throws JsonParseError at the first byte that is not JSON.
//   JsonReader json(text);
//   json.begin_object();
//   std::string key;
//   while (json.next_member(&key)) {
//     if (key == "n" && json.peek() == JsonKind::Number) json.read_integer(n); else
//     json.skip_value();
//   }
//   json.end_document();
class JsonReader {
 public:
  // Objects and arrays nest at most this deep; a safetensors header nests three deep.
  static constexpr int max_depth = 64;

  explicit JsonReader(std::string_view text) : text_(text) {}

  std::size_t position() const { return pos_; }

  // The kind of the next value, after whitespace, from its first character (a misspelt literal
  // such as `nul` is found when it is read or skipped).
  JsonKind peek() {
    skip_whitespace();
    if (at_end()) fail("unexpected end of the header, expected a value");
    switch (here()) {
      case '{':
        return JsonKind::Object;
      case '[':
        return JsonKind::Array;
      case '"':
        return JsonKind::String;
      case 't':
      case 'f':
        return JsonKind::Boolean;
      case 'n':
        return JsonKind::Null;
      default:
        if (here() == '-' || digit_here()) return JsonKind::Number;
        fail("unexpected " + describe_here() + ", expected a value");
    }
  }

  // Enters the object or array that comes next; then next_member or next_item walk it.
  void begin_object() { open('{', '}'); }
  void begin_array() { open('[', ']'); }

  // Inside an object: true and the next member's key in *key (not kept when key is null), the
  // reader then standing at its value, which the caller must read or skip; false at the closing
  // brace, which leaves the object.
  bool next_member(std::string* key) {
    if (!next('}', "or ',' in an object")) return false;
    skip_whitespace();
    if (at_end() || here() != '"') fail("expected a string key, found " + describe_here());
    if (key != nullptr) key->clear();
    parse_string(key);
    skip_whitespace();
    expect(':', "after an object key");
    return true;
  }
  // Inside an array: true when another item follows (read or skip it), false at the closing
  // bracket, which leaves the array.
  bool next_item() { return next(']', "or ',' in an array"); }

  std::string read_string() {
    if (peek() != JsonKind::String) fail("expected a string, found " + describe_here());
    std::string out;
    parse_string(&out);
    return out;
  }
  // Reads a number; true and its value in `value` when it is an integer that fits in 64 bits,
  // false for any other number (which is still read).
  bool read_integer(std::int64_t& value) {
    if (peek() != JsonKind::Number) fail("expected a number, found " + describe_here());
    return parse_number(&value);
  }

  // Reads the next value, whatever it is, and keeps nothing of it: nested values are walked with
  // the same fixed nesting state, not by recursion.
  void skip_value() {
    const int base = depth_;
    while (true) {
      switch (peek()) {
        case JsonKind::Object:
          begin_object();
          break;
        case JsonKind::Array:
          begin_array();
          break;
        case JsonKind::String:
          parse_string(nullptr);
          break;
        case JsonKind::Number:
          parse_number(nullptr);
          break;
        case JsonKind::Boolean:
          literal(here() == 't' ? "true" : "false");
          break;
        case JsonKind::Null:
          literal("null");
          break;
      }
      // On to the next value still to skip, leaving every container that ends here.
      while (depth_ > base) {
        const bool more = levels_[depth_ - 1].close == '}' ? next_member(nullptr) : next_item();
        if (more) break;
      }
      if (depth_ == base) return;
    }
  }

  // After the document's one value: nothing but whitespace may follow.
  void end_document() {
    skip_whitespace();
    if (!at_end()) fail("unexpected " + describe_here() + " after the end of the JSON");
  }

 private:
  struct Level {
    char close;  // '}' or ']'
    bool first;  // nothing read inside it yet
  };

  [[noreturn]] void fail(const std::string& problem) const { throw JsonParseError(pos_, problem); }

  bool at_end() const { return pos_ >= text_.size(); }
  char here() const { return text_[pos_]; }
  bool digit_here() const { return !at_end() && here() >= '0' && here() <= '9'; }

  // "'x'" for a printable character, "byte 0x07" otherwise, "the end of the header" at the end.
  std::string describe_here() const {
    if (at_end()) return "end of the header";
    const auto c = static_cast<unsigned char>(here());
    if (c >= 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
    constexpr char hex[] = "0123456789abcdef";
    return std::string("byte 0x") + hex[c >> 4] + hex[c & 0xF];
  }

  void skip_whitespace() {
    while (!at_end() && (here() == ' ' || here() == '\t' || here() == '\n' || here() == '\r')) {
      ++pos_;
    }
  }

  void expect(char c, std::string_view context) {
    if (at_end() || here() != c) {
      fail(std::string("expected '") + c + "' " + std::string(context) + ", found " +
           describe_here());
    }
    ++pos_;
  }

  void open(char c, char close) {
    skip_whitespace();
    if (at_end() || here() != c) {
      fail(std::string("expected '") + c + "', found " + describe_here());
    }
    if (depth_ >= max_depth) {
      fail("JSON nested deeper than " + std::to_string(max_depth) + " levels");
    }
    ++pos_;
    levels_[std::size_t(depth_++)] = {close, true};
  }

  // Before each member or item of the innermost container: false (and the container left) at its
  // end, else past the ',' that separates it from the one before.
  bool next(char close, std::string_view context) {
    if (depth_ == 0 || levels_[std::size_t(depth_ - 1)].close != close) {
      throw std::logic_error("tessera::io::detail::JsonReader: not inside that kind of container");
    }
    Level& level = levels_[std::size_t(depth_ - 1)];
    skip_whitespace();
    if (level.first) {
      level.first = false;
      if (!at_end() && here() == close) {
        ++pos_;
        --depth_;
        return false;
      }
      return true;
    }
    if (!at_end() && here() == ',') {
      ++pos_;
      return true;
    }
    expect(close, context);
    --depth_;
    return false;
  }

  void literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) {
      fail("unexpected " + describe_here() + ", expected a value");
    }
    pos_ += word.size();
  }

  // True when the number is an integer that fits in int64, stored at *value when value is set.
  bool parse_number(std::int64_t* value) {
    const bool negative = here() == '-';
    if (negative) ++pos_;
    if (!digit_here()) fail("expected a digit, found " + describe_here());
    // Magnitude with overflow detection; the most negative int64 has no positive counterpart.
    const std::uint64_t limit =
        std::uint64_t(std::numeric_limits<std::int64_t>::max()) + (negative ? 1 : 0);
    std::uint64_t magnitude = 0;
    bool fits = true;
    if (here() == '0') {
      ++pos_;
      if (digit_here()) fail("leading zeros are not allowed in JSON numbers");
    } else {
      while (digit_here()) {
        const auto d = std::uint64_t(here() - '0');
        if (magnitude > (limit - d) / 10) fits = false;
        if (fits) magnitude = magnitude * 10 + d;
        ++pos_;
      }
    }
    bool integral = true;
    if (!at_end() && here() == '.') {
      integral = false;
      ++pos_;
      if (!digit_here()) fail("expected a digit after the decimal point, found " + describe_here());
      while (digit_here()) ++pos_;
    }
    if (!at_end() && (here() == 'e' || here() == 'E')) {
      integral = false;
      ++pos_;
      if (!at_end() && (here() == '+' || here() == '-')) ++pos_;
      if (!digit_here()) fail("expected a digit in the exponent, found " + describe_here());
      while (digit_here()) ++pos_;
    }
    if (!integral || !fits) return false;
    // Negating in unsigned arithmetic keeps INT64_MIN well defined.
    if (value != nullptr) {
      *value = negative ? static_cast<std::int64_t>(0 - magnitude)
                        : static_cast<std::int64_t>(magnitude);
    }
    return true;
  }

  std::uint32_t parse_hex4() {
    std::uint32_t value = 0;
    for (int k = 0; k < 4; ++k) {
      if (at_end()) fail("unterminated \\u escape");
      const char c = here();
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

  // The string that starts at the opening quote here, decoded into *out unless out is null.
  void parse_string(std::string* out) {
    ++pos_;  // opening quote
    while (true) {
      if (at_end()) fail("unterminated string");
      const auto c = static_cast<unsigned char>(here());
      if (c == '"') {
        ++pos_;
        return;
      }
      if (c < 0x20) fail("unescaped control character " + describe_here() + " in a string");
      if (c == '\\') {
        parse_escape(out);
        continue;
      }
      const std::size_t length = utf8_sequence_length(text_, pos_);
      if (length == 0) fail("invalid UTF-8 in a string");
      if (out != nullptr) out->append(text_.substr(pos_, length));
      pos_ += length;
    }
  }

  void parse_escape(std::string* out) {
    ++pos_;  // backslash
    if (at_end()) fail("unterminated escape in a string");
    const char c = here();
    ++pos_;
    char decoded = 0;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        decoded = c;
        break;
      case 'b':
        decoded = '\b';
        break;
      case 'f':
        decoded = '\f';
        break;
      case 'n':
        decoded = '\n';
        break;
      case 'r':
        decoded = '\r';
        break;
      case 't':
        decoded = '\t';
        break;
      case 'u':
        break;
      default:
        --pos_;
        fail("invalid escape sequence: backslash followed by " + describe_here());
    }
    if (c != 'u') {
      if (out != nullptr) out->push_back(decoded);
      return;
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
    if (out != nullptr) append_utf8(*out, code_point);
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::array<Level, max_depth> levels_{};
  int depth_ = 0;  // containers entered and not yet left
};

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

}  // namespace tessera::io::detail
