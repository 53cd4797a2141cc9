// Input limits (contract §7), checked through the internal validation module.
#include "base/validation.hpp"
#include "correlation/correlation_validation.hpp"
#include "operations/operation_rules.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "incursa/platform/error.hpp"
#include "incursa/platform/limits.hpp"

namespace incursa::platform {
namespace {

// Runs `f`, expecting a ValidationError whose field is `field` and whose rule is non-empty.
void expect_invalid(const std::function<void()>& f, const std::string& field,
                    const std::string& what = "") {
  try {
    f();
    ADD_FAILURE() << "accepted: " << what;
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field(), field) << what;
    EXPECT_FALSE(e.rule().empty()) << what;
  }
}

CorrelationContext context() {
  return CorrelationContext{.correlation_id = CorrelationId::parse("corr-1"),
                            .causation_id = std::nullopt,
                            .trace_id = std::nullopt,
                            .span_id = std::nullopt,
                            .created_at = Timestamp{},
                            .tags = {}};
}

// ---- operation name ---------------------------------------------------------

TEST(ValidateName, AcceptsDotSeparatedSegments) {
  for (const char* ok :
       {"A", "z", "NightlyImport", "Webhook.Process", "a.b.c", "Batch_1.Run-2", "x9", "A.B-_.C"}) {
    EXPECT_EQ(validation::operation_name(ok), ok);
  }
}

TEST(ValidateName, LengthBoundary) {
  const std::string max(200, 'a');
  EXPECT_EQ(validation::operation_name(max), max);
  std::string dotted;  // "a.a.a..." of exactly 199 characters
  while (dotted.size() < 199) dotted += dotted.empty() ? "a" : ".a";
  EXPECT_EQ(validation::operation_name(dotted), dotted);
  expect_invalid([] { validation::operation_name(std::string(201, 'a')); }, "name", "201");
  expect_invalid([] { validation::operation_name(std::string(100000, 'a')); }, "name", "100000");
}

TEST(ValidateName, RejectsBadShapes) {
  for (const char* bad :
       {"",     " ",    ".",  "a.",          ".a",   "a..b", "1abc",
        "a.1b", "_a",   "-a", "a b",         " a",   "a ",   "a/b",
        "a:b",  "a.b.", "a*", "caf\xc3\xa9", "a\tb", "a.-",  "Webhook..Process"}) {
    expect_invalid([bad] { validation::operation_name(bad); }, "name", bad);
  }
  expect_invalid([] { validation::operation_name(std::string("a\0b", 3)); }, "name", "NUL");
}

// ---- tags -----------------------------------------------------------------

TEST(ValidateTags, AcceptsBoundaryValues) {
  Tags tags;
  for (int i = 0; i < 32; ++i) tags["k" + std::to_string(i)] = "v";
  EXPECT_NO_THROW(validation::tags(tags));
  EXPECT_NO_THROW(validation::tags(Tags{}));
  EXPECT_NO_THROW(validation::tags(Tags{{std::string(64, 'k'), std::string(256, 'v')}}));
  EXPECT_NO_THROW(validation::tags(Tags{{"a", ""}}));
  EXPECT_NO_THROW(validation::tags(Tags{{"a.b-c_d9", "x"}}));
  // 256 characters, not bytes: 256 two-byte characters are fine.
  std::string accented;
  for (int i = 0; i < 256; ++i) accented += "\xc3\xa9";
  EXPECT_NO_THROW(validation::tags(Tags{{"name", accented}}));
}

TEST(ValidateTags, RejectsTooMany) {
  Tags tags;
  for (int i = 0; i < 33; ++i) tags["k" + std::to_string(i)] = "v";
  expect_invalid([&] { validation::tags(tags); }, "tags", "33 tags");
}

TEST(ValidateTags, RejectsBadKeysNamingTheKey) {
  expect_invalid([] { validation::tags(Tags{{"1abc", "v"}}); }, "tags[1abc]");
  expect_invalid([] { validation::tags(Tags{{"", "v"}}); }, "tags[]");
  expect_invalid([] { validation::tags(Tags{{"a b", "v"}}); }, "tags[a b]");
  expect_invalid([] { validation::tags(Tags{{"a:b", "v"}}); }, "tags[a:b]");
  expect_invalid([] { validation::tags(Tags{{"_a", "v"}}); }, "tags[_a]");
  const std::string long_key(65, 'k');
  expect_invalid([&] { validation::tags(Tags{{long_key, "v"}}); }, "tags[" + long_key + "]");
}

TEST(ValidateTags, HostileKeysAreNotEchoedRaw) {
  // Control characters or invalid UTF-8 in a key must not end up in the error.
  expect_invalid([] { validation::tags(Tags{{"a\nb", "v"}}); }, "tags[?]");
  expect_invalid([] { validation::tags(Tags{{"a\xff", "v"}}); }, "tags[?]");
}

TEST(ValidateTags, RejectsBadValues) {
  expect_invalid(
      [] {
        validation::tags(Tags{{"key", std::string(257, 'v')}});
      },
      "tags[key]", "257");
  expect_invalid([] { validation::tags(Tags{{"key", "bad\xff"}}); }, "tags[key]", "utf8");
  expect_invalid([] { validation::tags(Tags{{"key", "line\nbreak"}}); }, "tags[key]", "LF");
  expect_invalid(
      [] {
        validation::tags(Tags{{"key", std::string("a\0b", 3)}});
      },
      "tags[key]", "NUL");
}

TEST(ValidateTags, UsesGivenFieldPrefix) {
  expect_invalid(
      [] {
        validation::tags(Tags{{"key", "a\x01"}}, "correlation.tags");
      },
      "correlation.tags[key]");
}

// ---- message ----------------------------------------------------------------

TEST(ValidateMessage, TrimsAndTreatsBlankAsNone) {
  EXPECT_EQ(validation::message(std::nullopt), std::nullopt);
  EXPECT_EQ(validation::message(std::string_view("")), std::nullopt);
  EXPECT_EQ(validation::message(std::string_view(" \t\r\n ")), std::nullopt);
  EXPECT_EQ(validation::message(std::string_view("  hello  ")), "hello");
  EXPECT_EQ(validation::message(std::string_view("caf\xc3\xa9")), "caf\xc3\xa9");
}

TEST(ValidateMessage, LengthIsCountedInBytesAfterTrimming) {
  const std::string max(1024, 'm');
  EXPECT_EQ(validation::message(std::string_view(max)), max);
  const std::string padded = "   " + max + "\n\n";
  EXPECT_EQ(validation::message(std::string_view(padded)), max);
  const std::string too_long(1025, 'm');
  expect_invalid([&] { (void)validation::message(std::string_view(too_long)); }, "message");
  // 512 two-byte characters = 1024 bytes is fine; one more byte is not.
  std::string multi;
  for (int i = 0; i < 512; ++i) multi += "\xc3\xa9";
  EXPECT_EQ(validation::message(std::string_view(multi)), multi);
  const std::string over = multi + "x";
  expect_invalid([&] { (void)validation::message(std::string_view(over)); }, "message");
}

TEST(ValidateMessage, RejectsInvalidUtf8) {
  for (const std::string& bad : {std::string("bad\xff"), std::string("\xc0\xaf"),
                                 std::string("\xed\xa0\x80"), std::string("trunc\xe2\x82")}) {
    expect_invalid([&] { (void)validation::message(std::string_view(bad)); }, "message");
  }
}

TEST(ValidateMessage, UsesGivenField) {
  expect_invalid([] { (void)validation::message(std::string_view("\xff"), "reason"); }, "reason");
  expect_invalid(
      [] { (void)validation::message(std::string_view(std::string(2000, 'x')), "reason"); },
      "reason");
}

// ---- event kind ---------------------------------------------------------------

TEST(ValidateEventKind, AcceptsAndTrims) {
  EXPECT_EQ(validation::event_kind("status"), "status");
  EXPECT_EQ(validation::event_kind("  Error "), "Error");
  EXPECT_EQ(validation::event_kind("x"), "x");
  EXPECT_EQ(validation::event_kind(std::string(64, 'k')), std::string(64, 'k'));
  EXPECT_EQ(validation::event_kind("with space and/slash"), "with space and/slash");
  std::string accented;  // 64 characters, 128 bytes
  for (int i = 0; i < 64; ++i) accented += "\xc3\xa9";
  EXPECT_EQ(validation::event_kind(accented), accented);
}

TEST(ValidateEventKind, RejectsEmptyLongControlAndInvalid) {
  expect_invalid([] { validation::event_kind(""); }, "kind", "empty");
  expect_invalid([] { validation::event_kind("   "); }, "kind", "blank");
  expect_invalid([] { validation::event_kind(std::string(65, 'k')); }, "kind", "65");
  expect_invalid(
      [] {
        validation::event_kind(
            "a\x01"
            "b");
      },
      "kind", "SOH");
  expect_invalid([] { validation::event_kind("a\nb"); }, "kind", "LF");
  expect_invalid([] { validation::event_kind("a\x7f"); }, "kind", "DEL");
  expect_invalid([] { validation::event_kind(std::string("a\0b", 3)); }, "kind", "NUL");
  expect_invalid([] { validation::event_kind("a\xff"); }, "kind", "utf8");
  std::string accented;
  for (int i = 0; i < 65; ++i) accented += "\xc3\xa9";
  expect_invalid([&] { validation::event_kind(accented); }, "kind", "65 chars");
}

// ---- data JSON ------------------------------------------------------------------

TEST(ValidateDataJson, AcceptsJsonAndRefusesBlank) {
  EXPECT_EQ(validation::data_json(std::nullopt), std::nullopt);
  EXPECT_THROW(validation::data_json(std::string_view("")), ValidationError);
  EXPECT_THROW(validation::data_json(std::string_view(" \n ")), ValidationError);
  for (const char* ok : {"{}", "[]", "1", "\"s\"", "null", "true", "{\"a\":[1,2,{\"b\":null}]}",
                         " { \"x\" : 1 } "}) {
    EXPECT_EQ(validation::data_json(std::string_view(ok)), ok);
  }
}

TEST(ValidateDataJson, RefusesTheNulEscapeAnywhereButKeepsLookalikes) {
  for (const char* bad : {R"("\u0000")", R"({"\u0000":1})", R"([1,{"a":"x\u0000"}])",
                          R"("\n\u0000")", R"("\\\u0000")"}) {
    EXPECT_THROW(validation::data_json(std::string_view(bad)), ValidationError) << bad;
  }
  for (const char* ok :
       {R"("\\u0000")", R"("\\\\u0000")", R"("\u0001")", R"("u0000")", R"("\\\u0041")"}) {
    EXPECT_EQ(validation::data_json(std::string_view(ok)), ok) << ok;
  }
}

TEST(ValidateMessage, RefusesNul) {
  EXPECT_THROW(validation::message(std::string_view("a\0b", 3)), ValidationError);
  EXPECT_THROW(validation::message(std::string_view("\0", 1), "reason"), ValidationError);
}

TEST(ValidateDataJson, RejectsInvalidJson) {
  for (const std::string& bad :
       {std::string("{"), std::string("{a:1}"), std::string("{'a':1}"), std::string("[1,]"),
        std::string("NaN"), std::string("undefined"), std::string("{} {}"),
        std::string("{\"a\":1} trailing"), std::string("\"bad\xff\""), std::string("// c\n{}")}) {
    expect_invalid([&] { (void)validation::data_json(std::string_view(bad)); }, "data_json", bad);
  }
}

TEST(ValidateDataJson, RejectsBytesAfterEmbeddedNul) {
  for (const std::string& bad :
       {std::string("{}\0", 3), std::string("{}\0 garbage", 11), std::string("{\"a\":1}\0{", 9)}) {
    expect_invalid([&] { (void)validation::data_json(std::string_view(bad)); }, "data_json", "NUL");
  }
}

TEST(ValidateDataJson, SizeBoundary) {
  // A JSON string literal of exactly 65536 bytes.
  const std::string max = "\"" + std::string(65534, 'x') + "\"";
  ASSERT_EQ(max.size(), 65536u);
  EXPECT_EQ(validation::data_json(std::string_view(max)), max);
  const std::string over = "\"" + std::string(65535, 'x') + "\"";
  expect_invalid([&] { (void)validation::data_json(std::string_view(over)); }, "data_json");
  // Over-long whitespace is still over-long.
  const std::string blanks(70000, ' ');
  expect_invalid([&] { (void)validation::data_json(std::string_view(blanks)); }, "data_json");
}

TEST(ValidateDataJson, UsesGivenField) {
  expect_invalid([] { (void)validation::data_json(std::string_view("{"), "audit.data"); },
                 "audit.data");
}

TEST(ValidateDataJson, DeeplyNestedInputIsRefusedNotCrashedOn) {
  // Recursive code (serialisers, scrubbers) must never meet hostile depth: 64 levels at most.
  const std::string ok = std::string(64, '[') + std::string(64, ']');
  EXPECT_EQ(validation::data_json(std::string_view(ok)), ok);
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  expect_invalid([&] { (void)validation::data_json(std::string_view(deep)); }, "data_json");
  const std::string unbalanced = std::string(5000, '[') + std::string(4999, ']');
  expect_invalid([&] { (void)validation::data_json(std::string_view(unbalanced)); }, "data_json");
}

// ---- percent ----------------------------------------------------------------------

TEST(ValidatePercent, AcceptsZeroToHundred) {
  for (double ok : {0.0, -0.0, 0.5, 50.0, 99.999, 100.0, std::numeric_limits<double>::min()}) {
    EXPECT_NO_THROW(validation::percent(ok)) << ok;
  }
  EXPECT_NO_THROW(validation::percent(std::nullopt));
}

TEST(ValidatePercent, RejectsOutOfRangeAndNonFinite) {
  for (double bad :
       {-0.0001, -1.0, 100.0001, 101.0, 1e308, -1e308, std::nextafter(100.0, 200.0),
        -std::numeric_limits<double>::min(), std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()}) {
    expect_invalid([bad] { validation::percent(bad); }, "percent", std::to_string(bad));
  }
}

// ---- structured progress ---------------------------------------------------------

TEST(ValidateProgress, AcceptsValidValues) {
  EXPECT_NO_THROW(validation::progress(std::nullopt));
  EXPECT_NO_THROW(validation::progress(StructuredProgress{}));
  EXPECT_NO_THROW(
      validation::progress(StructuredProgress{.current = 0, .total = 0, .unit = "rows"}));
  EXPECT_NO_THROW(validation::progress(
      StructuredProgress{.current = 312, .total = 1000, .unit = std::string(32, 'u')}));
  EXPECT_NO_THROW(validation::progress(StructuredProgress{
      .current = std::numeric_limits<std::int64_t>::max(), .total = std::nullopt, .unit = ""}));
}

TEST(ValidateProgress, RejectsNegativeAndBadUnit) {
  expect_invalid(
      [] { validation::progress(StructuredProgress{.current = -1, .total = 10, .unit = ""}); },
      "progress.current");
  expect_invalid(
      [] { validation::progress(StructuredProgress{.current = 1, .total = -1, .unit = ""}); },
      "progress.total");
  expect_invalid(
      [] {
        validation::progress(
            StructuredProgress{.current = 1, .total = 1, .unit = std::string(33, 'u')});
      },
      "progress.unit");
  expect_invalid(
      [] { validation::progress(StructuredProgress{.current = 1, .total = 1, .unit = "r\nows"}); },
      "progress.unit");
  expect_invalid(
      [] { validation::progress(StructuredProgress{.current = 1, .total = 1, .unit = "\xff"}); },
      "progress.unit");
}

// ---- correlation ---------------------------------------------------------------------

TEST(ValidateCorrelation, AcceptsWellFormedContext) {
  EXPECT_NO_THROW(validation::correlation(context()));
  CorrelationContext c = context();
  c.causation_id = CorrelationId::parse("cause-1");
  c.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  c.span_id = "00f067aa0ba902b7";
  c.tags = {{"tenant", "acme"}};
  EXPECT_NO_THROW(validation::correlation(c));
}

TEST(ValidateCorrelation, RejectsBadTraceAndSpanIds) {
  for (const std::string& bad :
       {std::string(""), std::string(31, 'a'), std::string(33, 'a'),
        std::string("4BF92F3577B34DA6A3CE929D0E0E4736"), std::string(31, 'a') + "g"}) {
    CorrelationContext c = context();
    c.trace_id = bad;
    expect_invalid([&] { validation::correlation(c); }, "correlation.trace_id", bad);
  }
  for (const std::string& bad : {std::string(""), std::string(15, 'a'), std::string(17, 'a'),
                                 std::string("00F067AA0BA902B7"), std::string(15, 'a') + "-"}) {
    CorrelationContext c = context();
    c.span_id = bad;
    expect_invalid([&] { validation::correlation(c); }, "correlation.span_id", bad);
  }
}

TEST(ValidateCorrelation, ChecksTagsUnderCorrelationPrefix) {
  CorrelationContext c = context();
  c.tags = {{"1bad", "v"}};
  expect_invalid([&] { validation::correlation(c); }, "correlation.tags[1bad]");
  c.tags.clear();
  for (int i = 0; i < 33; ++i) c.tags["k" + std::to_string(i)] = "v";
  expect_invalid([&] { validation::correlation(c); }, "correlation.tags");
}

TEST(ValidateCorrelation, RejectsEmptyCorrelationId) {
  CorrelationContext c = context();
  c.correlation_id = CorrelationId{};
  try {
    validation::correlation(c);
    ADD_FAILURE() << "accepted an empty correlation id";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field().rfind("correlation", 0), 0u) << e.field();
  }
  CorrelationContext d = context();
  d.causation_id = CorrelationId{};
  try {
    validation::correlation(d);
    ADD_FAILURE() << "accepted an empty causation id";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field().rfind("correlation", 0), 0u) << e.field();
  }
}

// ---- page size ---------------------------------------------------------------------------

TEST(ValidatePageSize, Boundaries) {
  EXPECT_NO_THROW(validation::page_size(1, 10));
  EXPECT_NO_THROW(validation::page_size(10, 10));
  EXPECT_NO_THROW(validation::page_size(limits::kMaxEventPageSize, limits::kMaxEventPageSize));
  expect_invalid([] { validation::page_size(0, 10); }, "limit", "0");
  expect_invalid([] { validation::page_size(11, 10); }, "limit", "11");
  expect_invalid([] { validation::page_size(std::numeric_limits<std::size_t>::max(), 10); },
                 "limit", "max");
  expect_invalid([] { validation::page_size(0, 10, "page.limit"); }, "page.limit", "custom");
}

TEST(ValidatePageSize, RuleMentionsTheMaximum) {
  try {
    validation::page_size(0, 500);
    ADD_FAILURE() << "accepted 0";
  } catch (const ValidationError& e) {
    EXPECT_NE(e.rule().find("500"), std::string::npos) << e.rule();
  }
}

}  // namespace
}  // namespace incursa::platform
