// W3C traceparent parse/format and its mapping onto CorrelationContext.
#include "incursa/platform/correlation/traceparent.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "incursa/platform/error.hpp"

namespace incursa::platform {
namespace {

constexpr const char* kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr const char* kSpan = "00f067aa0ba902b7";
constexpr const char* kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

// Asserts that `text` is rejected with a ValidationError naming "traceparent".
void expect_rejected(const std::string& text) {
  try {
    (void)parse_traceparent(text);
    ADD_FAILURE() << "accepted malformed traceparent (" << text.size() << " bytes)";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field(), "traceparent");
  }
}

// CorrelationContext has no default constructor (CorrelationId has none) and GCC
// warns about any field an aggregate initializer leaves out, so build it here once.
CorrelationContext context_with_id(const std::string& id) {
  return CorrelationContext{.correlation_id = CorrelationId::parse(id),
                            .causation_id = std::nullopt,
                            .trace_id = std::nullopt,
                            .span_id = std::nullopt,
                            .created_at = Timestamp{},
                            .tags = {}};
}

CorrelationContext make_context() { return context_with_id("corr-1"); }

TEST(TraceParent, ParsesSampledHeader) {
  const TraceParent tp = parse_traceparent(kValid);
  EXPECT_EQ(tp.trace_id, kTrace);
  EXPECT_EQ(tp.span_id, kSpan);
  EXPECT_EQ(tp.flags, 0x01);
  EXPECT_TRUE(tp.sampled());
}

TEST(TraceParent, ParsesUnsampledHeader) {
  const TraceParent tp =
      parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  EXPECT_EQ(tp.flags, 0x00);
  EXPECT_FALSE(tp.sampled());
}

TEST(TraceParent, KeepsUnknownFlagBitsAndReadsSampledFromBitZero) {
  EXPECT_EQ(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff").flags,
            0xFF);
  EXPECT_TRUE(
      parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03").sampled());
  EXPECT_FALSE(
      parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02").sampled());
  EXPECT_EQ(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-a0").flags,
            0xA0);
}

TEST(TraceParent, TrimsSurroundingBlanks) {
  EXPECT_EQ(parse_traceparent(std::string("  \t") + kValid + " \r\n"), parse_traceparent(kValid));
}

TEST(TraceParent, FormatRoundTrips) {
  for (const char* text : {kValid, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
                           "00-0000000000000000000000000000000a-000000000000000b-fe"}) {
    EXPECT_EQ(format_traceparent(parse_traceparent(text)), text);
  }
  const TraceParent tp{kTrace, kSpan, 0x0B};
  EXPECT_EQ(parse_traceparent(format_traceparent(tp)), tp);
}

TEST(TraceParent, RejectsEmptyAndBlank) {
  expect_rejected("");
  expect_rejected("   ");
  expect_rejected("\t\r\n");
}

TEST(TraceParent, RejectsWrongLength) {
  const std::string valid = kValid;
  expect_rejected(valid.substr(0, valid.size() - 1));                          // 54 chars
  expect_rejected(valid + "0");                                                // 56 chars
  expect_rejected(valid + "-00");                                              // extra field
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01");   // short trace
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01");   // short span
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1");   // short flags
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e47361-00f067aa0ba902b-01");  // shifted
}

TEST(TraceParent, RejectsUppercaseHexAnywhere) {
  expect_rejected("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01");
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01");
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A");
  expect_rejected("0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

TEST(TraceParent, RejectsNonHexCharacters) {
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01");
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01");
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x");
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7- 1");
  expect_rejected("00-+bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  // Two-byte UTF-8 "é" in place of two hex digits keeps the length at 55.
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e47\xC3\xA9-00f067aa0ba902b7-01");
}

TEST(TraceParent, RejectsVersionsOtherThan00) {
  expect_rejected("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  expect_rejected("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  expect_rejected("0a-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  expect_rejected("xx-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

TEST(TraceParent, RejectsAllZeroTraceId) {
  expect_rejected("00-00000000000000000000000000000000-00f067aa0ba902b7-01");
}

TEST(TraceParent, RejectsAllZeroSpanId) {
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01");
}

TEST(TraceParent, RejectsWrongSeparators) {
  expect_rejected("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01");
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01");
  expect_rejected("00 4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7 01");
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7001");
}

TEST(TraceParent, RejectsControlCharactersAndEmbeddedNul) {
  std::string with_nul = kValid;
  with_nul[10] = '\0';
  expect_rejected(with_nul);
  expect_rejected(std::string(kValid) + std::string(1, '\0'));
  std::string with_newline = kValid;
  with_newline[40] = '\n';
  expect_rejected(with_newline);
  // A header carrying a second header line after a CR LF is not a traceparent.
  expect_rejected(std::string(kValid) + "\r\nX-Evil: 1");
}

TEST(TraceParent, RejectsVeryLongInput) {
  expect_rejected(std::string(kValid) + std::string(100000, 'a'));
  expect_rejected(std::string(1 << 20, '0'));
}

TEST(TraceParent, ErrorMessageNamesTheField) {
  try {
    (void)parse_traceparent("nonsense");
    FAIL() << "accepted nonsense";
  } catch (const ValidationError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("traceparent: ", 0), 0U) << e.what();
  }
}

TEST(TraceParent, IdValidatorsFollowW3cRules) {
  EXPECT_TRUE(is_valid_trace_id(kTrace));
  EXPECT_TRUE(is_valid_span_id(kSpan));
  EXPECT_FALSE(is_valid_trace_id(kSpan));
  EXPECT_FALSE(is_valid_span_id(kTrace));
  EXPECT_FALSE(is_valid_trace_id("00000000000000000000000000000000"));
  EXPECT_FALSE(is_valid_span_id("0000000000000000"));
  EXPECT_FALSE(is_valid_span_id("00F067AA0BA902B7"));
  EXPECT_FALSE(is_valid_span_id(""));
}

TEST(TraceParent, FormatRejectsInvalidParts) {
  const std::vector<TraceParent> bad = {
      {"", kSpan, 1},
      {kTrace, "", 1},
      {"4BF92F3577B34DA6A3CE929D0E0E4736", kSpan, 1},
      {kTrace, "00000000000000000", 1},
      {kTrace, "0000000000000000", 1},
      {std::string(kTrace) + "\r\n", kSpan, 1},
  };
  for (const auto& tp : bad) {
    EXPECT_THROW((void)format_traceparent(tp), ValidationError) << tp.trace_id << " " << tp.span_id;
  }
}

TEST(TraceParent, ApplySetsTraceAndSpanIds) {
  CorrelationContext ctx = make_context();
  apply_traceparent(ctx, parse_traceparent(kValid));
  EXPECT_EQ(ctx.trace_id, kTrace);
  EXPECT_EQ(ctx.span_id, kSpan);
  EXPECT_EQ(ctx.correlation_id.value(), "corr-1");  // the rest is untouched
}

TEST(TraceParent, ApplyRejectsInvalidValueWithoutTouchingContext) {
  CorrelationContext ctx = make_context();
  ctx.trace_id = "11111111111111111111111111111111";
  ctx.span_id = "2222222222222222";
  const CorrelationContext before = ctx;
  EXPECT_THROW(apply_traceparent(ctx, TraceParent{kTrace, "not-a-span", 1}), ValidationError);
  EXPECT_EQ(ctx, before);
}

TEST(TraceParent, TraceparentOfNeedsBothIds) {
  CorrelationContext ctx = make_context();
  EXPECT_EQ(traceparent_of(ctx), std::nullopt);
  ctx.trace_id = kTrace;
  EXPECT_EQ(traceparent_of(ctx), std::nullopt);
  ctx.trace_id.reset();
  ctx.span_id = kSpan;
  EXPECT_EQ(traceparent_of(ctx), std::nullopt);
}

TEST(TraceParent, TraceparentOfFormatsSampledHeaderThatRoundTrips) {
  CorrelationContext ctx = make_context();
  ctx.trace_id = kTrace;
  ctx.span_id = kSpan;
  EXPECT_EQ(traceparent_of(ctx), std::string(kValid));

  CorrelationContext other = make_context();
  apply_traceparent(other, parse_traceparent(*traceparent_of(ctx)));
  EXPECT_EQ(other.trace_id, ctx.trace_id);
  EXPECT_EQ(other.span_id, ctx.span_id);
}

TEST(TraceParent, TraceparentOfRejectsInvalidIdsInContext) {
  CorrelationContext ctx = make_context();
  ctx.trace_id = "not-hex";
  ctx.span_id = kSpan;
  try {
    (void)traceparent_of(ctx);
    FAIL() << "formatted an invalid trace id";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field(), "trace_id");
  }
  ctx.trace_id = kTrace;
  ctx.span_id = "0000000000000000";
  try {
    (void)traceparent_of(ctx);
    FAIL() << "formatted an all-zero span id";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field(), "span_id");
  }
}

}  // namespace
}  // namespace incursa::platform
