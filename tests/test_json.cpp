// The JSON pull parser under the safetensors reader: values of every type, escapes, number
// classification, the depth limit, UTF-8 validation, and quote() read back by the parser.
#include <gtest/gtest.h>

#include "core/src/json.h"
#include "recur/error.h"

namespace recur::json {
namespace {

TEST(Json, ReadsEveryValueType) {
  const std::string text =
      R"( {"a": [1, -2, 3.5, 1e3, true, false, null, "s\u00e9\ud83d\ude00\t"], "b": {}, "c": []} )";
  Reader r(text, "test");
  std::string key;
  r.begin_object();
  ASSERT_TRUE(r.next_key(&key));
  EXPECT_EQ(key, "a");
  EXPECT_EQ(r.peek(), Type::Array);
  r.begin_array();
  ASSERT_TRUE(r.next_element());
  Number n = r.read_number();
  EXPECT_TRUE(n.is_u64());
  EXPECT_EQ(n.value, 1u);
  ASSERT_TRUE(r.next_element());
  n = r.read_number();
  EXPECT_TRUE(n.negative && n.integer && !n.is_u64());
  EXPECT_EQ(n.text, "-2");
  ASSERT_TRUE(r.next_element());
  n = r.read_number();
  EXPECT_FALSE(n.integer);
  EXPECT_EQ(n.text, "3.5");
  ASSERT_TRUE(r.next_element());
  EXPECT_EQ(r.read_number().text, "1e3");
  ASSERT_TRUE(r.next_element());
  EXPECT_EQ(r.peek(), Type::Bool);
  EXPECT_TRUE(r.read_bool());
  ASSERT_TRUE(r.next_element());
  EXPECT_FALSE(r.read_bool());
  ASSERT_TRUE(r.next_element());
  EXPECT_EQ(r.peek(), Type::Null);
  r.read_null();
  ASSERT_TRUE(r.next_element());
  // U+00E9 is C3 A9; the pair D83D DE00 is U+1F600, F0 9F 98 80.
  EXPECT_EQ(r.read_string(), "s\xC3\xA9\xF0\x9F\x98\x80\t");
  EXPECT_FALSE(r.next_element());
  ASSERT_TRUE(r.next_key(&key));
  EXPECT_EQ(key, "b");
  r.skip_value();
  ASSERT_TRUE(r.next_key(&key));
  EXPECT_EQ(key, "c");
  r.begin_array();
  EXPECT_FALSE(r.next_element());
  EXPECT_FALSE(r.next_key(&key));
  r.finish();
}

TEST(Json, ClassifiesIntegersAtTheEdgeOfU64) {
  auto number = [](const std::string& text) {
    Reader r(text, "n");
    return r.read_number();
  };
  EXPECT_EQ(number("0").value, 0u);
  EXPECT_TRUE(number("0").is_u64());
  EXPECT_EQ(number("18446744073709551615").value, UINT64_MAX);
  EXPECT_TRUE(number("18446744073709551615").is_u64());
  EXPECT_TRUE(number("18446744073709551616").overflow);
  EXPECT_TRUE(number("99999999999999999999999").overflow);
  EXPECT_TRUE(number("-0").negative);
  EXPECT_FALSE(number("-0").is_u64());
  EXPECT_FALSE(number("1.0").is_u64());
  EXPECT_FALSE(number("1E+2").is_u64());
  EXPECT_THROW(number("1."), Error);
  EXPECT_THROW(number(".5"), Error);
  EXPECT_THROW(number("1e"), Error);
  EXPECT_THROW(number("00"), Error);
  EXPECT_THROW(number("+1"), Error);
}

TEST(Json, LimitsNesting) {
  auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_NO_THROW(validate_json(nested(32), "d", 32));
  EXPECT_THROW(validate_json(nested(33), "d", 32), Error);
  EXPECT_NO_THROW(validate_json(nested(3), "d", 3));
  EXPECT_THROW(validate_json(nested(4), "d", 3), Error);
  // Deep enough to overflow a stack without the limit.
  EXPECT_THROW(validate_json(nested(1000000), "d"), Error);
}

TEST(Json, RejectsMalformedTexts) {
  const char* bad[] = {
      "",          "{",        "}",     "[1,]",  "[,1]",         "{,}",
      "{\"a\"}",   "{\"a\":}", "{1:2}", "nul",   "True",         "\"\\x\"",
      "\"\\u00\"", "\"abc",    "[1 2]", "{} {}", "\"\x7F\x80\"", "{\"a\":1,\"a\":2}"};
  for (const char* text : bad) EXPECT_THROW(validate_json(text, "bad"), Error) << text;
  // Errors carry the caller's context and the byte offset.
  try {
    validate_json("[1, x]", "ctx");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "ctx: unexpected 'x' where a value should start at byte 4");
  }
}

TEST(Json, ValidatesUtf8) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("\xC2\x80 \xDF\xBF \xE0\xA0\x80 \xED\x9F\xBF \xEE\x80\x80"));
  EXPECT_TRUE(is_valid_utf8("\xF0\x90\x80\x80 \xF4\x8F\xBF\xBF"));  // U+10000, U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\x80"));                              // lone continuation
  EXPECT_FALSE(is_valid_utf8("\xC1\xBF"));                          // overlong
  EXPECT_FALSE(is_valid_utf8("\xE0\x9F\xBF"));                      // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));                      // surrogate U+D800
  EXPECT_FALSE(is_valid_utf8("\xF0\x8F\xBF\xBF"));                  // overlong
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));                  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));  // truncated
  EXPECT_FALSE(is_valid_utf8("\xC3\x28"));  // bad continuation
}

TEST(Json, QuoteReadsBack) {
  std::string all;
  for (int c = 0; c < 128; ++c) all.push_back(static_cast<char>(c));
  all += "\xC3\xA9\xE2\x98\x83\xF0\x9D\x84\x9E";
  const std::string quoted = quote(all);
  for (char c : quoted) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << "unescaped control";
  Reader r(quoted, "quote");
  EXPECT_EQ(r.read_string(), all);
  r.finish();
}

}  // namespace
}  // namespace recur::json
