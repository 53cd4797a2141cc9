// Internal text helpers: UTF-8 validation, control characters, trimming and
// message sanitising (src/base/text.hpp).
#include "base/text.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace incursa::platform::detail {
namespace {

std::string bytes(std::initializer_list<unsigned char> list) {
  std::string s;
  for (unsigned char c : list) s.push_back(static_cast<char>(c));
  return s;
}

TEST(Utf8, AcceptsAsciiAndEmpty) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("hello, world"));
  EXPECT_TRUE(is_valid_utf8(std::string("a\0b", 3)));  // NUL is a valid code point
  EXPECT_TRUE(is_valid_utf8(bytes({0x7F})));
}

TEST(Utf8, AcceptsValidMultiByteSequences) {
  EXPECT_TRUE(is_valid_utf8(bytes({0xC2, 0x80})));              // U+0080, smallest 2-byte
  EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9"));                    // é
  EXPECT_TRUE(is_valid_utf8(bytes({0xDF, 0xBF})));              // U+07FF
  EXPECT_TRUE(is_valid_utf8(bytes({0xE0, 0xA0, 0x80})));        // U+0800, smallest 3-byte
  EXPECT_TRUE(is_valid_utf8("\xe2\x82\xac"));                   // €
  EXPECT_TRUE(is_valid_utf8(bytes({0xED, 0x9F, 0xBF})));        // U+D7FF, below surrogates
  EXPECT_TRUE(is_valid_utf8(bytes({0xEE, 0x80, 0x80})));        // U+E000, above surrogates
  EXPECT_TRUE(is_valid_utf8(bytes({0xEF, 0xBF, 0xBF})));        // U+FFFF
  EXPECT_TRUE(is_valid_utf8(bytes({0xF0, 0x90, 0x80, 0x80})));  // U+10000, smallest 4-byte
  EXPECT_TRUE(is_valid_utf8("\xf0\x9f\x98\x80"));               // 😀
  EXPECT_TRUE(is_valid_utf8(bytes({0xF4, 0x8F, 0xBF, 0xBF})));  // U+10FFFF, the largest
  EXPECT_TRUE(is_valid_utf8("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z"));
}

TEST(Utf8, RejectsOverlongEncodings) {
  EXPECT_FALSE(is_valid_utf8(bytes({0xC0, 0xAF})));  // '/' in 2 bytes
  EXPECT_FALSE(is_valid_utf8(bytes({0xC1, 0xBF})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xC0, 0x80})));  // NUL in 2 bytes
  EXPECT_FALSE(is_valid_utf8(bytes({0xE0, 0x80, 0x80})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xE0, 0x9F, 0xBF})));  // U+07FF in 3 bytes
  EXPECT_FALSE(is_valid_utf8(bytes({0xF0, 0x80, 0x80, 0x80})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xF0, 0x8F, 0xBF, 0xBF})));  // U+FFFF in 4 bytes
}

TEST(Utf8, RejectsSurrogates) {
  EXPECT_FALSE(is_valid_utf8(bytes({0xED, 0xA0, 0x80})));                    // U+D800
  EXPECT_FALSE(is_valid_utf8(bytes({0xED, 0xBF, 0xBF})));                    // U+DFFF
  EXPECT_FALSE(is_valid_utf8(bytes({0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80})));  // CESU pair
}

TEST(Utf8, RejectsBeyondU10FFFF) {
  EXPECT_FALSE(is_valid_utf8(bytes({0xF4, 0x90, 0x80, 0x80})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xF7, 0xBF, 0xBF, 0xBF})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xF8, 0x88, 0x80, 0x80, 0x80})));  // 5-byte form
  EXPECT_FALSE(is_valid_utf8(bytes({0xFC, 0x84, 0x80, 0x80, 0x80, 0x80})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xFE})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xFF})));
}

TEST(Utf8, RejectsTruncatedSequences) {
  EXPECT_FALSE(is_valid_utf8(bytes({0xC3})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xE2, 0x82})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xF0, 0x9F, 0x98})));
  EXPECT_FALSE(is_valid_utf8("abc\xe2"));
  // A lead byte followed by ASCII instead of a continuation.
  EXPECT_FALSE(
      is_valid_utf8("\xc3"
                    "a"));
  EXPECT_FALSE(
      is_valid_utf8("\xe2\x82"
                    "a"));
  EXPECT_FALSE(
      is_valid_utf8("\xf0\x9f\x98"
                    "a"));
}

TEST(Utf8, RejectsLoneContinuationBytes) {
  EXPECT_FALSE(is_valid_utf8(bytes({0x80})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xBF})));
  EXPECT_FALSE(is_valid_utf8("a\x80z"));
  EXPECT_FALSE(is_valid_utf8("\xc3\xa9\xa9"));  // one continuation too many
}

TEST(ControlChars, DetectsC0AndDel) {
  EXPECT_FALSE(has_control_char(""));
  EXPECT_FALSE(has_control_char("plain text ~!@#"));
  EXPECT_FALSE(has_control_char("caf\xc3\xa9"));  // non-ASCII is not a control char
  for (int c = 0; c < 0x20; ++c) {
    EXPECT_TRUE(has_control_char(std::string("a") + static_cast<char>(c) + "b")) << c;
  }
  EXPECT_TRUE(has_control_char("\x7f"));
  EXPECT_TRUE(has_control_char(std::string("\0", 1)));
  EXPECT_FALSE(has_control_char(" "));
}

TEST(Trim, RemovesAsciiBlanksOnBothEnds) {
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim("   "), "");
  EXPECT_EQ(trim(" \t\n\r\f\v"), "");
  EXPECT_EQ(trim("  a b  "), "a b");
  EXPECT_EQ(trim("\ta\n"), "a");
  EXPECT_EQ(trim("abc"), "abc");
  EXPECT_EQ(trim(std::string("\0a\0", 3)), std::string("\0a\0", 3));  // NUL is not blank
  EXPECT_EQ(trim("\xc2\xa0x\xc2\xa0"), "\xc2\xa0x\xc2\xa0");          // NBSP is not trimmed
  static_assert(trim("  x ") == "x");
}

TEST(CharClasses, AsciiOnly) {
  EXPECT_TRUE(is_ascii_alpha('a'));
  EXPECT_TRUE(is_ascii_alpha('Z'));
  EXPECT_FALSE(is_ascii_alpha('0'));
  EXPECT_FALSE(is_ascii_alpha(static_cast<char>(0xE9)));
  EXPECT_TRUE(is_ascii_digit('9'));
  EXPECT_FALSE(is_ascii_digit('a'));
  EXPECT_TRUE(is_lower_hex('f'));
  EXPECT_FALSE(is_lower_hex('F'));
  EXPECT_FALSE(is_lower_hex('g'));
}

TEST(MessageText, ShortValidTextUnchanged) {
  EXPECT_EQ(to_message_text("", 10), "");
  EXPECT_EQ(to_message_text("hello", 10), "hello");
  EXPECT_EQ(to_message_text("caf\xc3\xa9 \xf0\x9f\x98\x80", 1024), "caf\xc3\xa9 \xf0\x9f\x98\x80");
  EXPECT_EQ(to_message_text(std::string_view("a\0b", 3), 10), "a?b");  // no store keeps a NUL
  EXPECT_EQ(to_message_text("exactly10!", 10), "exactly10!");
}

TEST(MessageText, InvalidBytesBecomeQuestionMarks) {
  EXPECT_EQ(to_message_text("a\xff"
                            "b",
                            100),
            "a?b");
  EXPECT_EQ(to_message_text("\x80\x80", 100), "??");
  EXPECT_EQ(to_message_text("x\xe2\x82", 100), "x??");                // truncated sequence
  EXPECT_EQ(to_message_text(bytes({0xC0, 0xAF}), 100), "??");         // overlong
  EXPECT_EQ(to_message_text(bytes({0xED, 0xA0, 0x80}), 100), "???");  // surrogate
  EXPECT_EQ(to_message_text("\xe2\x82"
                            "a\xc3\xa9",
                            100),
            "??a\xc3\xa9");
}

TEST(MessageText, LongTextIsCutWithEllipsis) {
  const std::string long_text(50, 'x');
  const std::string cut = to_message_text(long_text, 10);
  EXPECT_EQ(cut, "xxxxxxx...");
  EXPECT_LE(cut.size(), 10u);
  EXPECT_EQ(to_message_text(std::string(11, 'y'), 10), "yyyyyyy...");
  const std::string big = to_message_text(std::string(5000, 'z'), 1024);
  EXPECT_EQ(big.size(), 1024u);
  EXPECT_EQ(big.substr(1021), "...");
}

TEST(MessageText, NeverSplitsMultiByteCharacters) {
  const std::string euro = "\xe2\x82\xac";  // 3 bytes
  std::string text;
  for (int i = 0; i < 20; ++i) text += euro;
  for (std::size_t max = 3; max <= 40; ++max) {
    const std::string out = to_message_text(text, max);
    EXPECT_LE(out.size(), max) << max;
    EXPECT_TRUE(is_valid_utf8(out)) << max;
    ASSERT_GE(out.size(), 3u);
    EXPECT_EQ(out.substr(out.size() - 3), "...") << max;
    EXPECT_EQ((out.size() - 3) % 3, 0u) << max;  // only whole euro signs before "..."
  }
  // Four-byte characters too, with an invalid byte mixed in.
  const std::string mixed = "\xf0\x9f\x98\x80\xff\xf0\x9f\x98\x80\xf0\x9f\x98\x80";
  for (std::size_t max = 3; max < 13; ++max) {
    const std::string out = to_message_text(mixed, max);
    EXPECT_LE(out.size(), max) << max;
    EXPECT_TRUE(is_valid_utf8(out)) << max;
  }
}

TEST(MessageText, OutputIsAlwaysValidUtf8) {
  std::string hostile;
  for (int c = 0; c < 256; ++c) hostile.push_back(static_cast<char>(c));
  const std::string out = to_message_text(hostile, 2048);
  EXPECT_TRUE(is_valid_utf8(out));
  EXPECT_EQ(out.size(), 256u);  // each invalid byte becomes one '?'
  const std::string cut = to_message_text(hostile, 100);
  EXPECT_TRUE(is_valid_utf8(cut));
  EXPECT_LE(cut.size(), 100u);
}

TEST(MessageText, TinyLimitsStillFit) {
  EXPECT_LE(to_message_text("abcdef", 2).size(), 2u);
  EXPECT_LE(to_message_text("abcdef", 1).size(), 1u);
  EXPECT_EQ(to_message_text("abcdef", 0), "");
}

}  // namespace
}  // namespace incursa::platform::detail

namespace incursa::platform::detail {
namespace {

TEST(AppendJsonString, EscapesWhatJsonRequiresAndParsesBack) {
  const std::string input =
      std::string("q\" b\\ n\n r\r t\t nul") + '\0' + "\x01 \x1f ok \xE2\x9C\x93";
  std::string out;
  append_json_string(out, input);
  EXPECT_EQ(out.front(), '"');
  EXPECT_EQ(nlohmann::json::parse(out).get<std::string>(), input);
  out.clear();
  append_json_string(out, "");
  EXPECT_EQ(out, "\"\"");
}

}  // namespace
}  // namespace incursa::platform::detail

namespace incursa::platform::detail {
namespace {

TEST(JsonDepth, CountsArraysAndObjectsButNotStrings) {
  EXPECT_TRUE(json_depth_within("{}", 1));
  EXPECT_FALSE(json_depth_within("{\"a\":[]}", 1));
  EXPECT_TRUE(json_depth_within("{\"a\":\"[[[[[[\"}", 1));
  EXPECT_TRUE(
      json_depth_within(R"({"a":"\"[[["})", 1));  // an escaped quote does not end the string
  EXPECT_TRUE(json_depth_within(std::string(64, '[') + std::string(64, ']')));
  EXPECT_FALSE(json_depth_within(std::string(65, '[') + std::string(65, ']')));
  EXPECT_FALSE(json_depth_within(std::string(100000, '[')));
}

}  // namespace
}  // namespace incursa::platform::detail
