// A small pull parser for JSON (RFC 8259), written for headers that may be hostile: the
// safetensors header. Internal to the library (not a public header).
//
// Pull, not a tree: the caller asks for the value it expects next (begin_object, next_key,
// read_string, ...), so memory stays proportional to what the caller keeps, however large
// the text. skip_value() parses and validates any value; running it over the whole text once
// (validate_json) reports every syntax error before the caller interprets anything.
//
// Every error is a recur::Error "<context>: <problem> at byte <offset>", where `context` is
// given by the caller (e.g. "model.safetensors: header") and the offset counts from the start
// of the text. The parser never reads outside the text, limits nesting to `max_depth`,
// rejects duplicate keys within an object, invalid UTF-8, unescaped control characters, bad
// escapes and unpaired surrogates, and decodes \uXXXX escapes (surrogate pairs included) to
// UTF-8.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace recur::json {

enum class Type { Null, Bool, Number, String, Array, Object };
const char* type_name(Type type);  // "null", "a boolean", "a number", ...

// A number as written. `value` is meaningful only when is_u64(): a non-negative integer
// without fraction or exponent that fits in 64 bits.
struct Number {
  std::string_view text;
  bool negative = false;
  bool integer = false;   // no fraction, no exponent
  bool overflow = false;  // an integer too large for uint64_t
  uint64_t value = 0;
  bool is_u64() const { return !negative && integer && !overflow; }
};

class Reader {
 public:
  static constexpr int kDefaultMaxDepth = 32;

  // `text` must outlive the reader.
  Reader(std::string_view text, std::string context, int max_depth = kDefaultMaxDepth);

  // The type of the next value (after whitespace); throws at the end of the text or on a
  // character that starts no value.
  Type peek();

  // Objects: begin_object(), then while (next_key(&key)) { read exactly one value }.
  // next_key consumes the key and its ':' and rejects a key already seen in this object; it
  // returns false after consuming the closing '}'.
  void begin_object();
  bool next_key(std::string* key);
  // Arrays: begin_array(), then while (next_element()) { read exactly one value }.
  void begin_array();
  bool next_element();

  std::string read_string();
  Number read_number();
  bool read_bool();
  void read_null();
  void skip_value();  // any value, validated in full (recursive, depth-limited)

  // Only whitespace may remain.
  void finish();

  size_t offset() const { return pos_; }
  [[noreturn]] void fail(std::string_view problem) const;  // at the current offset

 private:
  struct Frame {
    bool object;
    bool first = true;
    std::set<std::string> keys;  // objects only: keys seen so far
  };
  void skip_whitespace();
  void expect(char c, std::string_view where);
  void push(bool object);
  void append_utf8_sequence(std::string* out);
  uint32_t read_hex4();

  std::string_view text_;
  std::string context_;
  int max_depth_;
  size_t pos_ = 0;
  std::vector<Frame> stack_;
};

// Parses the whole text as one JSON value followed only by whitespace; throws on any error.
void validate_json(std::string_view text, const std::string& context,
                   int max_depth = Reader::kDefaultMaxDepth);

// Length of the well-formed UTF-8 sequence at the start of [p, p + n) (1..4), or 0 if it is
// malformed (bad lead or continuation byte, overlong, surrogate, above U+10FFFF, truncated).
size_t utf8_sequence_length(const unsigned char* p, size_t n);
bool is_valid_utf8(std::string_view s);

// `s` for a one-line message: 's' when it holds no control characters, else its JSON string
// literal (so that a hostile name cannot start a new line in an error message).
std::string display(std::string_view s);

// `s` as a JSON string literal, quotes included. `s` must be valid UTF-8 (checked by the
// caller); '"', '\\' and control characters are escaped, everything else is written as is.
std::string quote(std::string_view s);

}  // namespace recur::json
