// The fast JSON scan behind data_json validation (src/base/text.hpp,
// is_plain_valid_json): it may only ever vouch for text that the full parser
// accepts and that nests at most kMaxJsonDepth levels. "Not sure" is always safe.
#include <gtest/gtest.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/text.hpp"

namespace incursa::platform::detail {
namespace {

bool full_parser_accepts(const std::string& text) {
  return text.find('\0') == std::string::npos && is_valid_utf8(text) &&
         nlohmann::json::accept(text) && json_depth_within(text);
}

TEST(PlainJson, VouchesForPlainDocuments) {
  for (const char* ok :
       {R"({})", R"([])", R"({"step":1,"note":"checkpoint"})", R"( {"a" : [1, 2.5, -3, 0]} )",
        R"("text")", "0", "-0.5", "true", "false", "null", R"([{"a":{"b":[null,true,false]}}])",
        R"({"esc":"q\"b\\s\/n\nr\rt\tb\bf\f"})", "\t[\r\n1\n]\t", "123456789012345"}) {
    EXPECT_TRUE(is_plain_valid_json(ok)) << ok;
    EXPECT_TRUE(full_parser_accepts(ok)) << ok;
  }
}

TEST(PlainJson, LeavesEverythingElseToTheFullParser) {
  // Valid, but not plain: exponents, long numbers, \u escapes, non-ASCII, a BOM.
  for (const char* unsure : {"1e5", "1E-2", "1234567890123456", "0.1234567890123456", R"("\u00e9")",
                             "\"caf\xc3\xa9\"", "\xEF\xBB\xBF{}"}) {
    EXPECT_FALSE(is_plain_valid_json(unsure)) << unsure;
  }
  // Invalid.
  for (const char* bad : {"",
                          " ",
                          "{",
                          "}",
                          "[1,]",
                          R"({"a":1,})",
                          R"({"a"})",
                          R"({"a":})",
                          R"({a:1})",
                          "01",
                          "-",
                          "1.",
                          ".5",
                          "+1",
                          "tru",
                          "nul",
                          "True",
                          R"("open)",
                          "\"tab\there\"",
                          R"("\x")",
                          "[1 2]",
                          R"({"a":1 "b":2})",
                          "{}{}",
                          "[]]",
                          "\f{}",
                          "/*c*/{}",
                          "NaN",
                          "[1,,2]"}) {
    EXPECT_FALSE(is_plain_valid_json(bad)) << bad;
    EXPECT_FALSE(full_parser_accepts(bad)) << bad;
  }
}

TEST(PlainJson, StopsAtTheDepthLimit) {
  const std::string at_limit = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  const std::string over = "[" + at_limit + "]";
  EXPECT_TRUE(is_plain_valid_json(at_limit));
  EXPECT_FALSE(is_plain_valid_json(over));
  EXPECT_FALSE(json_depth_within(over));
}

// Mutations of plain documents: one byte replaced, inserted or deleted. Whatever
// the scan vouches for, the full parser must accept.
TEST(PlainJson, NeverVouchesForWhatTheFullParserRejects) {
  const std::vector<std::string> seeds = {
      R"({"step":1,"note":"checkpoint","list":[1,2.5,-3,true,false,null],"o":{"k":"v\n"}})",
      R"([[],{},"",0,-0.0,[{"a":[]}]])",
      R"({"a":"b\\c","d":[1,{"e":null}]})",
  };
  const std::string alphabet = "{}[]\":,.-+0123456789eEtrufalsn \t\n\\/bx\x01\x7f";
  std::uint64_t state = 0x2545F4914F6CDD1DULL;  // fixed seed: the same cases every run
  const auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  int vouched = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text = seeds[next() % seeds.size()];
    const int edits = 1 + static_cast<int>(next() % 3);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t at = next() % text.size();
      const char c = alphabet[next() % alphabet.size()];
      switch (next() % 3) {
        case 0:
          text[at] = c;
          break;
        case 1:
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          text.erase(at, 1);
      }
    }
    if (is_plain_valid_json(text)) {
      ++vouched;
      EXPECT_TRUE(full_parser_accepts(text)) << text;
    }
  }
  EXPECT_GT(vouched, 0);  // the mutations do reach the "valid" side too
}

}  // namespace
}  // namespace incursa::platform::detail
