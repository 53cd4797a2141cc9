// CorrelationContext <-> headers, and CorrelationContext::create.
#include "incursa/platform/correlation/correlation_headers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>

#include "incursa/platform/error.hpp"

namespace incursa::platform {
namespace {

using namespace std::chrono_literals;

constexpr const char* kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr const char* kSpan = "00f067aa0ba902b7";

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

CorrelationContext full_context() {
  CorrelationContext ctx = context_with_id("corr-123");
  ctx.causation_id = CorrelationId::parse("cause:456");
  ctx.trace_id = kTrace;
  ctx.span_id = kSpan;
  ctx.created_at = Timestamp(std::chrono::sys_days{std::chrono::year{2026} / 3 / 14}) + 1h + 59min +
                   26s + 535897us;
  ctx.tags = {{"tenant", "acme"}, {"operationId", "op-1"}, {"region", "eu west"}};
  return ctx;
}

// Expects from_headers(headers) to throw a ValidationError naming `field`.
void expect_rejected(const HeaderList& headers, const std::string& field) {
  try {
    (void)from_headers(headers);
    ADD_FAILURE() << "accepted headers; expected an error for " << field;
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field(), field);
  }
}

std::string find_header(const HeaderList& headers, std::string_view name) {
  const auto it =
      std::find_if(headers.begin(), headers.end(), [&](const auto& h) { return h.first == name; });
  return it == headers.end() ? std::string("<missing>") : it->second;
}

TEST(CorrelationHeaders, ToHeadersWritesEveryFieldInOrder) {
  const HeaderList headers = to_headers(full_context());
  const HeaderList expected = {
      {"X-Correlation-Id", "corr-123"},
      {"X-Causation-Id", "cause:456"},
      {"X-Trace-Id", kTrace},
      {"X-Span-Id", kSpan},
      {"X-Correlation-Created-At", "2026-03-14T01:59:26.535897Z"},
      {"X-Correlation-Tag-operationId", "op-1"},
      {"X-Correlation-Tag-region", "eu west"},
      {"X-Correlation-Tag-tenant", "acme"},
  };
  EXPECT_EQ(headers, expected);
}

TEST(CorrelationHeaders, ToHeadersOmitsUnsetOptionals) {
  const CorrelationContext ctx = context_with_id("only-id");
  const HeaderList expected = {{"X-Correlation-Id", "only-id"},
                               {"X-Correlation-Created-At", "1970-01-01T00:00:00.000000Z"}};
  EXPECT_EQ(to_headers(ctx), expected);
}

TEST(CorrelationHeaders, FullContextRoundTrips) {
  const CorrelationContext ctx = full_context();
  EXPECT_EQ(from_headers(to_headers(ctx)), ctx);
}

TEST(CorrelationHeaders, MinimalContextRoundTrips) {
  const CorrelationContext ctx = context_with_id("a");
  const auto back = from_headers(to_headers(ctx));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, ctx);
  EXPECT_FALSE(back->causation_id.has_value());
  EXPECT_FALSE(back->trace_id.has_value());
  EXPECT_FALSE(back->span_id.has_value());
  EXPECT_TRUE(back->tags.empty());
}

TEST(CorrelationHeaders, CreatedContextRoundTrips) {
  const ManualClock clock(Timestamp(std::chrono::sys_days{std::chrono::year{2030} / 1 / 2}) +
                          123456789ns);
  const CorrelationContext ctx = CorrelationContext::create(clock);
  EXPECT_EQ(from_headers(to_headers(ctx)), ctx);
}

TEST(CorrelationHeaders, LookupIgnoresHeaderNameCase) {
  const HeaderList headers = {
      {"x-correlation-id", "corr-123"},
      {"X-CAUSATION-ID", "cause:456"},
      {"x-TRACE-id", kTrace},
      {"X-span-ID", kSpan},
      {"x-correlation-created-at", "2026-03-14T01:59:26.535897Z"},
      {"x-correlation-tag-tenant", "acme"},
      {"X-CORRELATION-TAG-operationId", "op-1"},
      {"x-Correlation-Tag-region", "eu west"},
  };
  EXPECT_EQ(from_headers(headers), full_context());
}

TEST(CorrelationHeaders, MissingIdMeansNoContext) {
  EXPECT_EQ(from_headers({}), std::nullopt);
  EXPECT_EQ(from_headers({{"Content-Type", "text/plain"}, {"X-Causation-Id", "cause"}}),
            std::nullopt);
}

TEST(CorrelationHeaders, BlankIdMeansNoContext) {
  EXPECT_EQ(from_headers({{"X-Correlation-Id", ""}}), std::nullopt);
  EXPECT_EQ(from_headers({{"X-Correlation-Id", "   "}}), std::nullopt);
  EXPECT_EQ(from_headers({{"X-Correlation-Id", " \t\r\n"}}), std::nullopt);
}

TEST(CorrelationHeaders, NoIdMeansOtherHeadersAreNotLookedAt) {
  // Without an id there is no context to half-read, so junk elsewhere is irrelevant.
  EXPECT_EQ(from_headers({{"X-Correlation-Id", " "},
                          {"X-Trace-Id", "junk"},
                          {"X-Correlation-Created-At", "yesterday"},
                          {"X-Correlation-Tag-", "x"}}),
            std::nullopt);
}

TEST(CorrelationHeaders, UnrelatedHeadersAreIgnored) {
  const auto ctx = from_headers({{"Host", "example.com"},
                                 {"X-Correlation-Id", "abc"},
                                 {"X-Correlation-Ids", "not-this"},
                                 {"X-Correlation", "nor-this"},
                                 {"traceparent", "garbage is not our business here"},
                                 {"X-Correlation-Tagx", "nope"}});
  ASSERT_TRUE(ctx.has_value());
  EXPECT_EQ(ctx->correlation_id.value(), "abc");
  EXPECT_TRUE(ctx->tags.empty());
  EXPECT_FALSE(ctx->trace_id.has_value());
}

TEST(CorrelationHeaders, ValuesAreTrimmed) {
  const auto ctx = from_headers({{"X-Correlation-Id", "  abc\t"},
                                 {"X-Causation-Id", " def "},
                                 {"X-Trace-Id", std::string(" ") + kTrace + " "},
                                 {"X-Span-Id", std::string("\t") + kSpan},
                                 {"X-Correlation-Tag-tenant", "  acme  "}});
  ASSERT_TRUE(ctx.has_value());
  EXPECT_EQ(ctx->correlation_id.value(), "abc");
  EXPECT_EQ(ctx->causation_id->value(), "def");
  EXPECT_EQ(ctx->trace_id, kTrace);
  EXPECT_EQ(ctx->span_id, kSpan);
  EXPECT_EQ(ctx->tags.at("tenant"), "acme");
}

TEST(CorrelationHeaders, BlankOptionalHeadersCountAsAbsent) {
  const auto ctx = from_headers({{"X-Correlation-Id", "abc"},
                                 {"X-Causation-Id", " "},
                                 {"X-Trace-Id", ""},
                                 {"X-Span-Id", "\t"},
                                 {"X-Correlation-Created-At", "  "}});
  ASSERT_TRUE(ctx.has_value());
  EXPECT_FALSE(ctx->causation_id.has_value());
  EXPECT_FALSE(ctx->trace_id.has_value());
  EXPECT_FALSE(ctx->span_id.has_value());
  EXPECT_EQ(ctx->created_at, Timestamp{});
}

TEST(CorrelationHeaders, InvalidIdThrowsNamingTheHeader) {
  expect_rejected({{"X-Correlation-Id", std::string(65, 'a')}}, "X-Correlation-Id");
  expect_rejected({{"X-Correlation-Id", "has space"}}, "X-Correlation-Id");
  expect_rejected({{"X-Correlation-Id", "abc\x01"}}, "X-Correlation-Id");
  expect_rejected({{"X-Correlation-Id", "abc\r\nX-Evil: 1"}}, "X-Correlation-Id");
  expect_rejected({{"X-Correlation-Id", std::string("ab\0cd", 5)}}, "X-Correlation-Id");
  expect_rejected({{"X-Correlation-Id", "caf\xC3\xA9"}}, "X-Correlation-Id");
  expect_rejected({{"X-Correlation-Id", "a,b"}}, "X-Correlation-Id");  // comma-joined repeat
  expect_rejected({{"x-correlation-id", std::string(1 << 20, 'x')}}, "X-Correlation-Id");
}

TEST(CorrelationHeaders, IdOfExactly64CharactersIsAccepted) {
  const std::string id(64, 'z');
  const auto ctx = from_headers({{"X-Correlation-Id", id}});
  ASSERT_TRUE(ctx.has_value());
  EXPECT_EQ(ctx->correlation_id.value(), id);
}

TEST(CorrelationHeaders, InvalidCausationIdThrowsNamingTheHeader) {
  expect_rejected({{"X-Correlation-Id", "abc"}, {"X-Causation-Id", std::string(65, '1')}},
                  "X-Causation-Id");
  expect_rejected({{"X-Correlation-Id", "abc"}, {"X-Causation-Id", "a/b"}}, "X-Causation-Id");
  expect_rejected({{"X-Correlation-Id", "abc"}, {"X-Causation-Id", std::string("a\0", 2) + "b"}},
                  "X-Causation-Id");
}

TEST(CorrelationHeaders, TraceIdMustBe32LowercaseHex) {
  for (const std::string& bad :
       {std::string("4BF92F3577B34DA6A3CE929D0E0E4736"), std::string(31, 'a'), std::string(33, 'a'),
        std::string("4bf92f3577b34da6a3ce929d0e0e473g"), std::string(32, '0'),
        std::string(kTrace).replace(5, 1, "\0", 1)}) {
    expect_rejected({{"X-Correlation-Id", "abc"}, {"X-Trace-Id", bad}}, "X-Trace-Id");
  }
}

TEST(CorrelationHeaders, SpanIdMustBe16LowercaseHex) {
  for (const std::string& bad :
       {std::string("00F067AA0BA902B7"), std::string(15, 'b'), std::string(17, 'b'),
        std::string("00f067aa0ba902bx"), std::string(16, '0'), std::string(kTrace)}) {
    expect_rejected({{"X-Correlation-Id", "abc"}, {"X-Span-Id", bad}}, "X-Span-Id");
  }
}

TEST(CorrelationHeaders, MissingCreatedAtLeavesEpoch) {
  const auto ctx = from_headers({{"X-Correlation-Id", "abc"}});
  ASSERT_TRUE(ctx.has_value());
  EXPECT_EQ(ctx->created_at, Timestamp{});
}

TEST(CorrelationHeaders, CreatedAtIsParsedAsUtc) {
  const auto ctx = from_headers(
      {{"X-Correlation-Id", "abc"}, {"X-Correlation-Created-At", "2026-01-31T12:00:00Z"}});
  ASSERT_TRUE(ctx.has_value());
  EXPECT_EQ(ctx->created_at,
            Timestamp(std::chrono::sys_days{std::chrono::year{2026} / 1 / 31}) + 12h);
}

TEST(CorrelationHeaders, InvalidCreatedAtThrowsNamingTheHeader) {
  for (const std::string& bad : {std::string("yesterday"), std::string("2026-13-01T00:00:00Z"),
                                 std::string("2026-01-01T00:00:00+02:00"),
                                 std::string("2026-01-01T00:00:00Z\r\nX-Evil: 1")}) {
    expect_rejected({{"X-Correlation-Id", "abc"}, {"X-Correlation-Created-At", bad}},
                    "X-Correlation-Created-At");
  }
}

TEST(CorrelationHeaders, TagKeysKeepTheSuffixAsSent) {
  const auto ctx = from_headers({{"X-Correlation-Id", "abc"},
                                 {"x-correlation-tag-Tenant", "acme"},
                                 {"X-CORRELATION-TAG-messageKey", "m-1"}});
  ASSERT_TRUE(ctx.has_value());
  const std::map<std::string, std::string> expected = {{"Tenant", "acme"}, {"messageKey", "m-1"}};
  EXPECT_EQ(ctx->tags, expected);
}

TEST(CorrelationHeaders, TagValuesMayBeEmptyOrUnicode) {
  const auto ctx =
      from_headers({{"X-Correlation-Id", "abc"},
                    {"X-Correlation-Tag-empty", ""},
                    {"X-Correlation-Tag-city", "Z\xC3\xBCrich \xE6\x9D\xB1\xE4\xBA\xAC"}});
  ASSERT_TRUE(ctx.has_value());
  EXPECT_EQ(ctx->tags.at("empty"), "");
  EXPECT_EQ(ctx->tags.at("city"), "Z\xC3\xBCrich \xE6\x9D\xB1\xE4\xBA\xAC");
  EXPECT_EQ(from_headers(to_headers(*ctx)), ctx);
}

TEST(CorrelationHeaders, InvalidTagKeysAreRejected) {
  for (const std::string& bad_key :
       {std::string(""), std::string("1tenant"), std::string("te nant"), std::string("ten/ant"),
        std::string(65, 'k'), std::string("k\xC3\xA9y"), std::string("k\0y", 3)}) {
    expect_rejected({{"X-Correlation-Id", "abc"}, {"X-Correlation-Tag-" + bad_key, "v"}},
                    "X-Correlation-Tag-");
  }
}

TEST(CorrelationHeaders, InvalidTagValuesAreRejected) {
  for (const std::string& bad_value :
       {std::string(257, 'v'), std::string("a\r\nX-Evil: 1"), std::string("a\0b", 3),
        std::string("bell\x07"), std::string("del\x7F")}) {
    expect_rejected({{"X-Correlation-Id", "abc"}, {"X-Correlation-Tag-tenant", bad_value}},
                    "X-Correlation-Tag-tenant");
  }
  // 256 characters is still fine.
  const auto ctx = from_headers(
      {{"X-Correlation-Id", "abc"}, {"X-Correlation-Tag-tenant", std::string(256, 'v')}});
  ASSERT_TRUE(ctx.has_value());
  EXPECT_EQ(ctx->tags.at("tenant").size(), 256U);
}

TEST(CorrelationHeaders, ToHeadersRefusesTagValuesHttpWouldTrim) {
  // Found by fuzz_correlation_headers: " acme " was written as given and read
  // back as "acme", so the context did not round-trip.
  for (const char* value : {" acme", "acme ", "  acme  "}) {
    CorrelationContext ctx = context_with_id("a");
    ctx.tags["tenant"] = value;
    try {
      to_headers(ctx);
      ADD_FAILURE() << "accepted '" << value << "'";
    } catch (const ValidationError& e) {
      EXPECT_EQ(e.field(), "tags");
      EXPECT_NE(std::string(e.what()).find("blanks"), std::string::npos) << e.what();
    }
  }
  CorrelationContext inner = context_with_id("a");
  inner.tags["tenant"] = "acme corp";
  EXPECT_EQ(from_headers(to_headers(inner)), inner);
}

TEST(CorrelationHeaders, AtMost32Tags) {
  HeaderList headers = {{"X-Correlation-Id", "abc"}};
  for (int i = 0; i < 32; ++i) {
    headers.emplace_back("X-Correlation-Tag-k" + std::to_string(i), "v");
  }
  const auto ctx = from_headers(headers);
  ASSERT_TRUE(ctx.has_value());
  EXPECT_EQ(ctx->tags.size(), 32U);
  headers.emplace_back("X-Correlation-Tag-k32", "v");
  expect_rejected(headers, "X-Correlation-Tag-");
}

TEST(CorrelationHeaders, ConflictingRepeatsAreRejected) {
  expect_rejected({{"X-Correlation-Id", "abc"}, {"x-correlation-id", "def"}}, "X-Correlation-Id");
  // A blank first copy must not hide a real id sent afterwards.
  expect_rejected({{"X-Correlation-Id", ""}, {"X-Correlation-Id", "def"}}, "X-Correlation-Id");
  expect_rejected(
      {{"X-Correlation-Id", "abc"}, {"X-Span-Id", kSpan}, {"X-SPAN-ID", "1111111111111111"}},
      "X-Span-Id");
  expect_rejected({{"X-Correlation-Id", "abc"},
                   {"X-Correlation-Tag-Tenant", "a"},
                   {"x-correlation-tag-tenant", "b"}},
                  "X-Correlation-Tag-Tenant");
}

TEST(CorrelationHeaders, IdenticalRepeatsAreAccepted) {
  const auto ctx = from_headers({{"X-Correlation-Id", "abc"},
                                 {"x-correlation-id", " abc "},
                                 {"X-Correlation-Tag-Tenant", "a"},
                                 {"x-correlation-tag-tenant", "a"}});
  ASSERT_TRUE(ctx.has_value());
  EXPECT_EQ(ctx->correlation_id.value(), "abc");
  const std::map<std::string, std::string> expected = {{"Tenant", "a"}};
  EXPECT_EQ(ctx->tags, expected);  // first spelling wins, one tag not two
}

TEST(CorrelationHeaders, ToHeadersRejectsValuesThatCannotBeHeaders) {
  CorrelationContext ctx = context_with_id("abc");
  ctx.trace_id = "NOT-HEX";
  EXPECT_THROW((void)to_headers(ctx), ValidationError);
  ctx.trace_id.reset();
  ctx.span_id = std::string(16, '0');
  EXPECT_THROW((void)to_headers(ctx), ValidationError);
  ctx.span_id.reset();

  for (const auto& tags :
       std::vector<std::map<std::string, std::string>>{{{"tenant", "a\r\nX-Evil: 1"}},
                                                       {{"bad key", "v"}},
                                                       {{"", "v"}},
                                                       {{"Tenant", "a"}, {"tenant", "b"}},
                                                       {{"tenant", std::string(257, 'v')}}}) {
    ctx.tags = tags;
    try {
      (void)to_headers(ctx);
      ADD_FAILURE() << "wrote unsafe tags";
    } catch (const ValidationError& e) {
      EXPECT_EQ(e.field(), "tags");
    }
  }
  ctx.tags.clear();
  for (int i = 0; i < 33; ++i) ctx.tags["k" + std::to_string(i)] = "v";
  EXPECT_THROW((void)to_headers(ctx), ValidationError);
}

TEST(CorrelationHeaders, HeaderLookupReadsEverythingButTags) {
  const HeaderList headers = to_headers(full_context());
  int calls = 0;
  const auto ctx = from_header_lookup([&](std::string_view name) -> std::optional<std::string> {
    ++calls;
    const std::string value = find_header(headers, name);
    if (value == "<missing>") return std::nullopt;
    return value;
  });
  ASSERT_TRUE(ctx.has_value());
  CorrelationContext expected = full_context();
  expected.tags.clear();
  EXPECT_EQ(*ctx, expected);
  EXPECT_EQ(calls, 5);
}

TEST(CorrelationHeaders, HeaderLookupWithoutIdMeansNoContext) {
  int calls = 0;
  const auto none = from_header_lookup([&](std::string_view) -> std::optional<std::string> {
    ++calls;
    return std::nullopt;
  });
  EXPECT_EQ(none, std::nullopt);
  EXPECT_EQ(calls, 1);
  EXPECT_THROW((void)from_header_lookup(HeaderLookup{}), std::invalid_argument);
}

TEST(CorrelationHeaders, HeaderLookupValidatesLikeTheList) {
  try {
    (void)from_header_lookup([](std::string_view name) -> std::optional<std::string> {
      if (name == kCorrelationIdHeader) return "abc";
      if (name == kTraceIdHeader) return "junk";
      return std::nullopt;
    });
    FAIL() << "accepted a junk trace id";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field(), "X-Trace-Id");
  }
}

TEST(CorrelationContextCreate, UsesClockAndMakesFreshIds) {
  const Timestamp start =
      Timestamp(std::chrono::sys_days{std::chrono::year{2026} / 5 / 6}) + 7h + 123456789ns;
  const ManualClock clock(start);
  const CorrelationContext a = CorrelationContext::create(clock);
  const CorrelationContext b = CorrelationContext::create(clock);
  EXPECT_EQ(a.created_at, truncate_to_micros(start));
  EXPECT_NE(a.created_at, start);  // the nanoseconds are dropped
  EXPECT_NE(a.correlation_id, b.correlation_id);
  EXPECT_EQ(a.correlation_id.value().size(), 32U);
  EXPECT_EQ(a.correlation_id.value().find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_FALSE(a.causation_id || a.trace_id || a.span_id);
  EXPECT_TRUE(a.tags.empty());
}

TEST(CorrelationContextCreate, DefaultUsesWallClock) {
  const Timestamp before = truncate_to_micros(std::chrono::system_clock::now());
  const CorrelationContext ctx = CorrelationContext::create();
  const Timestamp after = std::chrono::system_clock::now();
  EXPECT_GE(ctx.created_at, before);
  EXPECT_LE(ctx.created_at, after);
  EXPECT_EQ(ctx.created_at, truncate_to_micros(ctx.created_at));
}

}  // namespace
}  // namespace incursa::platform
