#include "recur/train/text.h"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <sstream>

#include "recur/error.h"

namespace recur::train {

char32_t next_utf8(const std::string& bytes, size_t* pos, const std::string& what) {
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size(), i = *pos;
  const unsigned char b = s[i];
  int extra;
  char32_t c, min;
  if (b < 0x80) {
    extra = 0, c = b, min = 0;
  } else if ((b & 0xE0) == 0xC0) {
    extra = 1, c = b & 0x1F, min = 0x80;
  } else if ((b & 0xF0) == 0xE0) {
    extra = 2, c = b & 0x0F, min = 0x800;
  } else if ((b & 0xF8) == 0xF0) {
    extra = 3, c = b & 0x07, min = 0x10000;
  } else {
    RECUR_FAIL("{}: invalid UTF-8 at byte {} (0x{:02X})", what, i, b);
  }
  RECUR_CHECK(i + static_cast<size_t>(extra) < n, "{}: truncated UTF-8 sequence at byte {}", what,
              i);
  for (int k = 1; k <= extra; ++k) {
    RECUR_CHECK((s[i + k] & 0xC0) == 0x80, "{}: invalid UTF-8 at byte {}", what, i + k);
    c = (c << 6) | (s[i + k] & 0x3F);
  }
  RECUR_CHECK(c >= min && c <= 0x10FFFF && (c < 0xD800 || c > 0xDFFF),
              "{}: invalid UTF-8 (overlong, surrogate or out of range) at byte {}", what, i);
  *pos = i + static_cast<size_t>(extra) + 1;
  return c;
}

std::u32string decode_utf8(const std::string& bytes, const std::string& what) {
  std::u32string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) out.push_back(next_utf8(bytes, &i, what));
  return out;
}

std::string encode_utf8(const std::u32string& text) {
  std::string out;
  for (char32_t c : text) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

std::string describe_char(char32_t c) {
  switch (c) {
    case '\n':
      return "'\\n'";
    case '\t':
      return "'\\t'";
    case '\r':
      return "'\\r'";
    default:
      break;
  }
  if (c >= 0x20 && c < 0x7F) return fmt::format("'{}'", static_cast<char>(c));
  return fmt::format("U+{:04X}", static_cast<uint32_t>(c));
}

Vocab::Vocab(const std::u32string& text) {
  const std::set<char32_t> distinct(text.begin(), text.end());
  chars_.assign(distinct.begin(), distinct.end());
  for (size_t i = 0; i < chars_.size(); ++i) index_[chars_[i]] = static_cast<int32_t>(i);
}

int32_t Vocab::id(char32_t c) const {
  auto it = index_.find(c);
  RECUR_CHECK(it != index_.end(), "character {} is not in the model's vocabulary",
              describe_char(c));
  return it->second;
}

std::vector<int32_t> Vocab::encode(const std::u32string& text) const {
  std::vector<int32_t> ids(text.size());
  for (size_t i = 0; i < text.size(); ++i) ids[i] = id(text[i]);
  return ids;
}

std::string Vocab::to_metadata() const {
  std::string s;
  for (size_t i = 0; i < chars_.size(); ++i)
    s += (i ? "," : "") + std::to_string(static_cast<uint32_t>(chars_[i]));
  return s;
}

Vocab Vocab::from_metadata(const std::string& s, const std::string& what) {
  std::u32string chars;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    const unsigned long v = std::strtoul(item.c_str(), &end, 10);
    RECUR_CHECK(!item.empty() && *end == '\0' && v <= 0x10FFFF,
                "{}: vocabulary entry '{}' is not a code point", what, item);
    RECUR_CHECK(v < 0xD800 || v > 0xDFFF,
                "{}: vocabulary entry {} is a UTF-16 surrogate (U+{:04X}), not a character", what,
                item, v);
    chars.push_back(static_cast<char32_t>(v));
  }
  Vocab vocab(chars);
  RECUR_CHECK(vocab.size() == static_cast<int32_t>(chars.size()) &&
                  std::is_sorted(chars.begin(), chars.end()) && !chars.empty(),
              "{}: the vocabulary is empty, unsorted or repeats a character", what);
  return vocab;
}

}  // namespace recur::train
