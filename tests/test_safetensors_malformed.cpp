// The safetensors reader against hostile files: one row per way a file can be wrong, each
// expecting recur::Error with a message that names the file, says what is wrong and, where
// one is involved, names the tensor.
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "recur/safetensors.h"

namespace recur {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes le_u64(uint64_t v) {
  Bytes b(8);
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  return b;
}

Bytes image(const std::string& header, size_t data_bytes = 0) {
  Bytes b = le_u64(header.size());
  b.reserve(8 + header.size() +
            data_bytes);  // (appending without it trips GCC 12's -Warray-bounds)
  b.insert(b.end(), header.begin(), header.end());
  b.insert(b.end(), data_bytes, 0x5A);
  return b;
}

// A header holding one tensor 'w' described by the JSON object `entry`.
std::string one(const std::string& entry) {
  return R"({"w":)" + entry + "}";
}

std::string nested_arrays(int depth) {
  return R"({"__metadata__":{"k":)" + std::string(depth, '[') + std::string(depth, ']') + "}}";
}

// "1,1,...,1": n dimensions of size 1.
std::string ones(int n) {
  std::string s = "1";
  for (int i = 1; i < n; ++i) s += ",1";
  return s;
}

struct Case {
  const char* label;
  Bytes bytes;
  std::string expect;     // in the message
  std::string also = "";  // in the message too (usually the tensor)
};

std::vector<Case> cases() {
  const std::string w8 = R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  Bytes with_length_only = le_u64(100);
  with_length_only.push_back('{');
  Bytes huge = le_u64(200'000'000);
  huge.resize(64, ' ');
  Bytes max_len = le_u64(UINT64_MAX);
  max_len.resize(16, ' ');
  return {
      // The length prefix.
      {"empty file", {}, "shorter than the 8-byte header length"},
      {"seven bytes", {1, 0, 0, 0, 0, 0, 0}, "shorter than the 8-byte header length"},
      {"header past the end", with_length_only, "header length 100 runs past the end"},
      {"absurd header length", huge, "header length 200000000 is absurdly large"},
      {"u64 max header length", max_len, "absurdly large"},
      // JSON syntax.
      {"empty header", image(""), "unexpected end of JSON"},
      {"unterminated object", image(R"({"w":{"dtype":"F32")"), "unexpected end of JSON"},
      {"unterminated string", image(R"({"w)"), "unterminated string"},
      {"bad escape", image(R"({"w\q":1})"), "bad escape"},
      {"bad \\u hex digit", image(R"({"\u12G4":1})"), "is not a hex digit"},
      {"lone high surrogate", image(R"({"__metadata__":{"k":"\ud834x"}})"),
       "unpaired high surrogate"},
      {"lone low surrogate", image(R"({"__metadata__":{"k":"\udd1e"}})"), "unpaired low surrogate"},
      {"high surrogate then BMP", image(R"({"__metadata__":{"k":"\ud834\u0041"}})"),
       "not followed by a low surrogate"},
      {"raw newline in string", image("{\"a\nb\":1}"), "unescaped control character 0x0A"},
      {"invalid UTF-8 byte", image("{\"a\xFF\":1}"), "invalid UTF-8"},
      {"overlong UTF-8", image("{\"\xC0\xAF\":1}"), "invalid UTF-8"},
      {"UTF-8 surrogate", image("{\"\xED\xA0\x80\":1}"), "invalid UTF-8"},
      {"truncated UTF-8", image("{\"\xE2\x98\":1}"), "invalid UTF-8"},
      {"trailing garbage", image("{} x"), "trailing characters"},
      {"two objects", image("{}{}"), "trailing characters"},
      {"NUL padding", image(std::string("{}\0\0", 4)), "trailing characters"},
      {"trailing comma", image(R"({"w":)" + w8 + ",}", 8), "expected a string key after ','"},
      {"missing colon", image(R"({"w" 1})"), "expected ':'"},
      {"missing comma", image(R"({"__metadata__":{"a":"b" "c":"d"}})"), "expected ',' or '}'"},
      {"nesting too deep", image(nested_arrays(100)), "nesting deeper than 32 levels"},
      {"leading zero", image(one(R"({"dtype":"F32","shape":[02],"data_offsets":[0,8]})"), 8),
       "leading zero"},
      {"bad literal", image(R"({"__metadata__":tru})"), "invalid literal"},
      {"lone minus", image(one(R"({"dtype":"F32","shape":[-],"data_offsets":[0,8]})"), 8),
       "expected a digit"},
      // The document's shape.
      {"top-level array", image("[]"), "header is not a JSON object (got an array)"},
      {"top-level string", image(R"("w")"), "header is not a JSON object (got a string)"},
      {"duplicate tensor", image(R"({"w":)" + w8 + R"(,"w":)" + w8 + "}", 8),
       R"(duplicate key "w")"},
      {"duplicate field",
       image(one(R"({"dtype":"F32","dtype":"F32","shape":[],"data_offsets":[0,4]})"), 4),
       R"(duplicate key "dtype")"},
      {"duplicate metadata key", image(R"({"__metadata__":{"k":"1","k":"2"}})"),
       R"(duplicate key "k")"},
      {"entry not an object", image(one("[1]")), "must be an object, got an array", "tensor 'w'"},
      {"missing dtype", image(one(R"({"shape":[2],"data_offsets":[0,8]})"), 8), "missing 'dtype'",
       "tensor 'w'"},
      {"missing shape", image(one(R"({"dtype":"F32","data_offsets":[0,8]})"), 8), "missing 'shape'",
       "tensor 'w'"},
      {"missing data_offsets", image(one(R"({"dtype":"F32","shape":[2]})"), 8),
       "missing 'data_offsets'", "tensor 'w'"},
      {"unknown field",
       image(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8],"foo":1})"), 8),
       "unknown field 'foo'", "tensor 'w'"},
      {"dtype not a string", image(one(R"({"dtype":4,"shape":[1],"data_offsets":[0,4]})"), 4),
       "'dtype' must be a string, got a number", "tensor 'w'"},
      {"shape not an array", image(one(R"({"dtype":"F32","shape":"2","data_offsets":[0,8]})"), 8),
       "'shape' must be an array, got a string", "tensor 'w'"},
      {"offsets not an array", image(one(R"({"dtype":"F32","shape":[2],"data_offsets":{}})"), 8),
       "'data_offsets' must be an array, got an object", "tensor 'w'"},
      {"metadata not an object", image(R"({"__metadata__":["a"]})"),
       "__metadata__ must be an object of strings, got an array"},
      {"metadata value a number", image(R"({"__metadata__":{"k":1}})"),
       "__metadata__ value of key 'k' must be a string, got a number"},
      {"metadata value an object", image(R"({"__metadata__":{"k":{}}})"),
       "must be a string, got an object"},
      // dtypes.
      {"U64", image(one(R"({"dtype":"U64","shape":[1],"data_offsets":[0,8]})"), 8),
       "dtype 'U64' is not supported: recur reads F32, F64, F16, BF16, I32, I64", "tensor 'w'"},
      {"control characters in the name",
       image(R"({"a\nb":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}})", 1),
       R"(tensor "a\nb": dtype 'I8' is not supported)"},
      {"lower-case f32", image(one(R"({"dtype":"f32","shape":[2],"data_offsets":[0,8]})"), 8),
       "dtype 'f32' is not supported", "tensor 'w'"},
      // Shapes.
      {"negative dim", image(one(R"({"dtype":"F32","shape":[-2],"data_offsets":[0,8]})"), 8),
       "shape dimension is negative (-2)", "tensor 'w'"},
      {"fractional dim", image(one(R"({"dtype":"F32","shape":[2.5],"data_offsets":[0,8]})"), 8),
       "shape dimension must be a non-negative integer, got 2.5", "tensor 'w'"},
      {"exponent dim", image(one(R"({"dtype":"F32","shape":[2e0],"data_offsets":[0,8]})"), 8),
       "must be a non-negative integer, got 2e0"},
      {"string dim", image(one(R"({"dtype":"F32","shape":["2"],"data_offsets":[0,8]})"), 8),
       "must be a non-negative integer, got a string"},
      {"dim beyond u64",
       image(one(R"({"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,8]})"), 8),
       "shape dimension is too large (18446744073709551616)", "tensor 'w'"},
      {"dim beyond i64",
       image(one(R"({"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,8]})"), 8),
       "shape dimension 9223372036854775808 is too large", "tensor 'w'"},
      {"element count overflow",
       image(one(
           R"({"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,0]})")),
       "has too many elements", "tensor 'w'"},
      {"65 dimensions",
       image(one(R"({"dtype":"F32","shape":[)" + ones(65) + R"(],"data_offsets":[0,4]})"), 4),
       "more than 64 dimensions", "tensor 'w'"},
      // Offsets.
      {"one offset", image(one(R"({"dtype":"F32","shape":[2],"data_offsets":[8]})"), 8),
       "got 1 value(s)", "tensor 'w'"},
      {"three offsets", image(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8,8]})"), 8),
       "got more than two values", "tensor 'w'"},
      {"negative offset", image(one(R"({"dtype":"F32","shape":[2],"data_offsets":[-1,8]})"), 8),
       "data_offsets value is negative (-1)", "tensor 'w'"},
      {"offset beyond u64",
       image(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,99999999999999999999]})"), 8),
       "data_offsets value is too large", "tensor 'w'"},
      {"begin after end", image(one(R"({"dtype":"F32","shape":[0],"data_offsets":[8,0]})"), 8),
       "data_offsets [8, 0] has begin after end", "tensor 'w'"},
      {"end past the data", image(one(R"({"dtype":"F32","shape":[4],"data_offsets":[0,16]})"), 8),
       "data_offsets [0, 16] run past the end of the data (8 bytes)", "tensor 'w'"},
      {"size mismatch", image(one(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})"), 8),
       "hold 8 bytes, but shape [3] of F32 needs 3 elements of 4 bytes", "tensor 'w'"},
      {"byte count overflow",  // 2^62 elements of 4 bytes: numel fits, numel*4 wraps u64 to 0
       image(one(R"({"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]})")),
       "needs 4611686018427387904 elements", "tensor 'w'"},
      {"overlap",
       image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
             12),
       "tensors 'a' and 'b' overlap"},
      {"zero-size tensor inside another",
       image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
             R"("z":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}})",
             8),
       "tensors 'a' and 'z' overlap"},
      {"gap between tensors",
       image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
             R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
             12),
       "gap of 4 unused bytes in the data before tensor 'b'"},
      {"gap at the start", image(one(R"({"dtype":"F32","shape":[1],"data_offsets":[4,8]})"), 8),
       "gap of 4 unused bytes in the data before tensor 'w'"},
      {"unused bytes at the end",
       image(one(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})"), 8),
       "4 unused bytes at the end of the data"},
      {"data without tensors", image("{}", 4), "4 unused bytes at the end of the data"},
  };
}

TEST(SafetensorsMalformed, EveryCaseFailsWithItsMessage) {
  const std::vector<Case> table = cases();
  EXPECT_GE(table.size(), 60u);
  for (const Case& c : table) {
    SCOPED_TRACE(c.label);
    try {
      parse_safetensors(c.bytes.data(), c.bytes.size(), "case.safetensors");
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind("case.safetensors: ", 0), 0u) << what;
      EXPECT_NE(what.find(c.expect), std::string::npos) << what;
      EXPECT_NE(what.find(c.also), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << "not one line: " << what;
    }
  }
}

// Every proper prefix of a valid file is rejected (the length prefix or the data no longer
// match), and no prefix reads past its own end (checked under ASan: each prefix is a separate
// allocation of exactly its size).
TEST(SafetensorsMalformed, EveryTruncationFails) {
  const Bytes full = image(R"({"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[1],)"
                           R"("data_offsets":[0,4]},"b":{"dtype":"F16","shape":[2],)"
                           R"("data_offsets":[4,8]}})",
                           8);
  ASSERT_NO_THROW(parse_safetensors(full.data(), full.size(), "full"));
  for (size_t n = 0; n < full.size(); ++n) {
    const Bytes prefix(full.begin(), full.begin() + static_cast<ptrdiff_t>(n));
    EXPECT_THROW(parse_safetensors(prefix.data(), prefix.size(), "prefix"), Error) << n;
  }
}

}  // namespace
}  // namespace recur
