// Text for character-level models. Characters are Unicode code points (the text is decoded
// from UTF-8), so "per character" means per code point, and a model trained on a UTF-8 file
// never splits a multi-byte character. The vocabulary is the sorted set of code points that
// occur in the training text.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace recur::train {

// Throws recur::Error naming `what` and the byte offset of the first malformed sequence
// (overlong forms, surrogates and values above U+10FFFF are malformed too).
std::u32string decode_utf8(const std::string& bytes, const std::string& what);
// One code point of `bytes` at byte *pos (< bytes.size()), advancing *pos past it; the same
// checks and errors as decode_utf8.
char32_t next_utf8(const std::string& bytes, size_t* pos, const std::string& what);
std::string encode_utf8(const std::u32string& text);

class Vocab {
 public:
  Vocab() = default;
  explicit Vocab(const std::u32string& text);  // the distinct code points of text, sorted

  int32_t size() const { return static_cast<int32_t>(chars_.size()); }
  bool contains(char32_t c) const { return index_.count(c) != 0; }
  int32_t id(char32_t c) const;  // throws for a character outside the vocabulary
  char32_t chr(int32_t id) const { return chars_.at(static_cast<size_t>(id)); }
  std::vector<int32_t> encode(const std::u32string& text) const;

  // As metadata: the code points in decimal, comma-separated (safe in any JSON string).
  std::string to_metadata() const;
  static Vocab from_metadata(const std::string& s, const std::string& what);

 private:
  std::vector<char32_t> chars_;
  std::unordered_map<char32_t, int32_t> index_;
};

// The C-escaped form of a character for messages ("\n", "U+00E9" for non-ASCII).
std::string describe_char(char32_t c);

}  // namespace recur::train
