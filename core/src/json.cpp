#include "core/src/json.h"

#include <algorithm>

#include "recur/error.h"

namespace recur::json {

namespace {

bool is_whitespace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// A byte as it should appear in a message: 'x' when printable ASCII, else 0xNN.
std::string show_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7F) return fmt::format("'{}'", c);
  return fmt::format("byte 0x{:02X}", u);
}

void append_code_point(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

const char* type_name(Type type) {
  switch (type) {
    case Type::Null:
      return "null";
    case Type::Bool:
      return "a boolean";
    case Type::Number:
      return "a number";
    case Type::String:
      return "a string";
    case Type::Array:
      return "an array";
    case Type::Object:
      return "an object";
  }
  return "?";
}

size_t utf8_sequence_length(const unsigned char* p, size_t n) {
  if (n == 0) return 0;
  const unsigned char b = p[0];
  if (b < 0x80) return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b >= 0xC2 && b <= 0xDF) {
    len = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    len = 3;
    if (b == 0xE0) lo = 0xA0;  // overlong
    if (b == 0xED) hi = 0x9F;  // UTF-16 surrogates
  } else if (b >= 0xF0 && b <= 0xF4) {
    len = 4;
    if (b == 0xF0) lo = 0x90;  // overlong
    if (b == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;  // continuation byte, overlong lead C0/C1, or F5..FF
  }
  if (n < len || p[1] < lo || p[1] > hi) return 0;
  for (size_t i = 2; i < len; ++i)
    if (p[i] < 0x80 || p[i] > 0xBF) return 0;
  return len;
}

bool is_valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t i = 0;
  while (i < s.size()) {
    const size_t len = utf8_sequence_length(p + i, s.size() - i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
        else
          out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string display(std::string_view s) {
  const bool plain =
      std::none_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; });
  return plain ? "'" + std::string(s) + "'" : quote(s);
}

Reader::Reader(std::string_view text, std::string context, int max_depth)
    : text_(text), context_(std::move(context)), max_depth_(max_depth) {}

void Reader::fail(std::string_view problem) const {
  RECUR_FAIL("{}: {} at byte {}", context_, problem, pos_);
}

void Reader::skip_whitespace() {
  while (pos_ < text_.size() && is_whitespace(text_[pos_])) ++pos_;
}

void Reader::expect(char c, std::string_view where) {
  skip_whitespace();
  if (pos_ >= text_.size()) fail(fmt::format("unexpected end of JSON, expected '{}' {}", c, where));
  if (text_[pos_] != c)
    fail(fmt::format("expected '{}' {}, found {}", c, where, show_byte(text_[pos_])));
  ++pos_;
}

Type Reader::peek() {
  skip_whitespace();
  if (pos_ >= text_.size()) fail("unexpected end of JSON, expected a value");
  const char c = text_[pos_];
  switch (c) {
    case '{':
      return Type::Object;
    case '[':
      return Type::Array;
    case '"':
      return Type::String;
    case 't':
    case 'f':
      return Type::Bool;
    case 'n':
      return Type::Null;
    default:
      if (c == '-' || is_digit(c)) return Type::Number;
      fail(fmt::format("unexpected {} where a value should start", show_byte(c)));
  }
}

void Reader::push(bool object) {
  if (static_cast<int>(stack_.size()) >= max_depth_)
    fail(fmt::format("nesting deeper than {} levels", max_depth_));
  stack_.push_back(Frame{object, true, {}});
}

void Reader::begin_object() {
  expect('{', "to open an object");
  push(true);
}

bool Reader::next_key(std::string* key) {
  RECUR_ASSERT(!stack_.empty() && stack_.back().object);
  Frame& frame = stack_.back();
  skip_whitespace();
  if (pos_ >= text_.size()) fail("unexpected end of JSON inside an object");
  if (text_[pos_] == '}') {
    // An empty object, or the end after a value; "{"a": 1,}" fails below instead.
    ++pos_;
    stack_.pop_back();
    return false;
  }
  if (!frame.first) {
    if (text_[pos_] != ',')
      fail(fmt::format("expected ',' or '}}' after an object member, found {}",
                       show_byte(text_[pos_])));
    ++pos_;
    skip_whitespace();
  }
  if (pos_ >= text_.size() || text_[pos_] != '"')
    fail(frame.first ? "expected a string key or '}'" : "expected a string key after ','");
  const size_t key_start = pos_;
  *key = read_string();
  if (!frame.keys.insert(*key).second) {
    pos_ = key_start;
    fail(fmt::format("duplicate key {}", quote(*key)));
  }
  frame.first = false;
  expect(':', "after an object key");
  return true;
}

void Reader::begin_array() {
  expect('[', "to open an array");
  push(false);
}

bool Reader::next_element() {
  RECUR_ASSERT(!stack_.empty() && !stack_.back().object);
  Frame& frame = stack_.back();
  skip_whitespace();
  if (pos_ >= text_.size()) fail("unexpected end of JSON inside an array");
  if (frame.first) {
    frame.first = false;
    if (text_[pos_] != ']') return true;
  } else if (text_[pos_] == ',') {
    ++pos_;
    return true;  // "[1,]" fails in the element's read: ']' starts no value
  } else if (text_[pos_] != ']') {
    fail(fmt::format("expected ',' or ']' after an array element, found {}",
                     show_byte(text_[pos_])));
  }
  ++pos_;
  stack_.pop_back();
  return false;
}

uint32_t Reader::read_hex4() {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    if (pos_ >= text_.size()) fail("unterminated string (inside a \\u escape)");
    const char c = text_[pos_];
    uint32_t digit;
    if (is_digit(c))
      digit = static_cast<uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f')
      digit = static_cast<uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      digit = static_cast<uint32_t>(c - 'A' + 10);
    else
      fail(fmt::format("bad \\u escape: {} is not a hex digit", show_byte(c)));
    v = v * 16 + digit;
    ++pos_;
  }
  return v;
}

void Reader::append_utf8_sequence(std::string* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(text_.data()) + pos_;
  const size_t len = utf8_sequence_length(p, text_.size() - pos_);
  if (len == 0) fail("invalid UTF-8 in string");
  out->append(text_.data() + pos_, len);
  pos_ += len;
}

std::string Reader::read_string() {
  skip_whitespace();
  if (pos_ >= text_.size() || text_[pos_] != '"') fail("expected a string");
  const size_t start = pos_;
  ++pos_;
  std::string out;
  for (;;) {
    if (pos_ >= text_.size()) {
      pos_ = start;
      fail("unterminated string");
    }
    const char c = text_[pos_];
    const auto u = static_cast<unsigned char>(c);
    if (c == '"') {
      ++pos_;
      return out;
    }
    if (u < 0x20) fail(fmt::format("unescaped control character 0x{:02X} in string", u));
    if (u >= 0x80) {
      append_utf8_sequence(&out);
      continue;
    }
    ++pos_;
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (pos_ >= text_.size()) {
      pos_ = start;
      fail("unterminated string");
    }
    const char e = text_[pos_++];
    switch (e) {
      case '"':
        out.push_back('"');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '/':
        out.push_back('/');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        uint32_t cp = read_hex4();
        if (cp >= 0xDC00 && cp <= 0xDFFF) fail("unpaired low surrogate in \\u escape");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (text_.substr(pos_, 2) != "\\u")
            fail("unpaired high surrogate in \\u escape (expected a \\uDC00-\\uDFFF next)");
          pos_ += 2;
          const uint32_t low = read_hex4();
          if (low < 0xDC00 || low > 0xDFFF)
            fail("high surrogate in \\u escape not followed by a low surrogate");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        append_code_point(&out, cp);
        break;
      }
      default:
        --pos_;
        fail(fmt::format("bad escape '\\' followed by {}", show_byte(e)));
    }
  }
}

Number Reader::read_number() {
  skip_whitespace();
  const size_t start = pos_;
  Number n;
  n.integer = true;
  auto digits = [&](const char* where) {
    if (pos_ >= text_.size() || !is_digit(text_[pos_]))
      fail(fmt::format("malformed number: expected a digit {}", where));
    while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
  };
  if (pos_ < text_.size() && text_[pos_] == '-') {
    n.negative = true;
    ++pos_;
  }
  const size_t int_start = pos_;
  digits(n.negative ? "after '-'" : "");
  if (text_[int_start] == '0' && pos_ - int_start > 1) {
    pos_ = start;
    fail("malformed number: leading zero");
  }
  if (pos_ < text_.size() && text_[pos_] == '.') {
    ++pos_;
    n.integer = false;
    digits("after '.'");
  }
  if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    ++pos_;
    n.integer = false;
    if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
    digits("in the exponent");
  }
  n.text = text_.substr(start, pos_ - start);
  if (n.integer && !n.negative) {
    for (size_t i = int_start; i < pos_; ++i) {
      const auto d = static_cast<uint64_t>(text_[i] - '0');
      if (n.value > (UINT64_MAX - d) / 10) {
        n.overflow = true;
        break;
      }
      n.value = n.value * 10 + d;
    }
  }
  return n;
}

bool Reader::read_bool() {
  skip_whitespace();
  if (text_.substr(pos_, 4) == "true") {
    pos_ += 4;
    return true;
  }
  if (text_.substr(pos_, 5) == "false") {
    pos_ += 5;
    return false;
  }
  fail("invalid literal (expected true or false)");
}

void Reader::read_null() {
  skip_whitespace();
  if (text_.substr(pos_, 4) != "null") fail("invalid literal (expected null)");
  pos_ += 4;
}

void Reader::skip_value() {
  std::string key;
  switch (peek()) {
    case Type::Object:
      begin_object();
      while (next_key(&key)) skip_value();
      break;
    case Type::Array:
      begin_array();
      while (next_element()) skip_value();
      break;
    case Type::String:
      read_string();
      break;
    case Type::Number:
      read_number();
      break;
    case Type::Bool:
      read_bool();
      break;
    case Type::Null:
      read_null();
      break;
  }
}

void Reader::finish() {
  RECUR_ASSERT(stack_.empty());
  skip_whitespace();
  if (pos_ < text_.size())
    fail(fmt::format("trailing characters after the JSON value (first: {})",
                     show_byte(text_[pos_])));
}

void validate_json(std::string_view text, const std::string& context, int max_depth) {
  Reader reader(text, context, max_depth);
  reader.skip_value();
  reader.finish();
}

}  // namespace recur::json
