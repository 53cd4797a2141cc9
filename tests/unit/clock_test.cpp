// ManualClock, microsecond truncation and ISO-8601 format/parse (contract §2).
#include "incursa/platform/clock.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "incursa/platform/error.hpp"

namespace incursa::platform {
namespace {

using namespace std::chrono;

Timestamp make_time(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0,
                    long long micros = 0) {
  return Timestamp(sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s} +
                   microseconds{micros});
}

void expect_rejected(const std::string& text, const std::string& field = "at") {
  try {
    (void)parse_iso8601(text, field);
    ADD_FAILURE() << "accepted '" << text << "'";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field(), field) << text;
    EXPECT_FALSE(e.rule().empty());
  }
}

TEST(ManualClock, DefaultStartsAt2026) {
  const ManualClock clock;
  EXPECT_EQ(clock.now(), make_time(2026, 1, 1));
  EXPECT_EQ(clock.now(), clock.now());  // does not move by itself
}

TEST(ManualClock, SetAndAdvance) {
  ManualClock clock(make_time(2024, 2, 28, 23, 59, 59));
  EXPECT_EQ(clock.now(), make_time(2024, 2, 28, 23, 59, 59));
  clock.advance(seconds(1));
  EXPECT_EQ(clock.now(), make_time(2024, 2, 29));
  clock.advance(hours(24));
  EXPECT_EQ(clock.now(), make_time(2024, 3, 1));
  clock.advance(-minutes(1));
  EXPECT_EQ(clock.now(), make_time(2024, 2, 29, 23, 59));
  clock.set(make_time(1999, 12, 31));
  EXPECT_EQ(clock.now(), make_time(1999, 12, 31));
  clock.advance(nanoseconds(1));
  EXPECT_EQ(clock.now() - make_time(1999, 12, 31), nanoseconds(1));
}

TEST(ManualClock, UsableThroughClockInterface) {
  ManualClock manual(make_time(2030, 6, 1));
  const Clock& clock = manual;
  EXPECT_EQ(clock.now(), make_time(2030, 6, 1));
  manual.advance(milliseconds(5));
  EXPECT_EQ(clock.now(), make_time(2030, 6, 1) + milliseconds(5));
}

TEST(ManualClock, ConcurrentAdvanceLosesNothing) {
  ManualClock clock(make_time(2026, 1, 1));
  constexpr int kThreads = 4;
  constexpr int kSteps = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&clock] {
      for (int i = 0; i < kSteps; ++i) {
        clock.advance(microseconds(1));
        (void)clock.now();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(clock.now(), make_time(2026, 1, 1) + microseconds(kThreads * kSteps));
}

TEST(SystemClock, InstanceIsSharedAndNearNow) {
  const auto a = SystemClock::instance();
  const auto b = SystemClock::instance();
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a.get(), b.get());
  const auto before = system_clock::now();
  const auto got = a->now();
  const auto after = system_clock::now();
  EXPECT_LE(before, got);
  EXPECT_LE(got, after);
}

TEST(TruncateToMicros, DropsSubMicroseconds) {
  const Timestamp base = make_time(2026, 1, 1, 0, 0, 0, 123456);
  EXPECT_EQ(truncate_to_micros(base), base);
  EXPECT_EQ(truncate_to_micros(base + nanoseconds(999)), base);
  EXPECT_EQ(truncate_to_micros(base + nanoseconds(1000)), base + microseconds(1));
  EXPECT_EQ(truncate_to_micros(Timestamp{}), Timestamp{});
  const Timestamp t = truncate_to_micros(base + nanoseconds(1));
  EXPECT_EQ(truncate_to_micros(t), t);  // idempotent
}

TEST(TruncateToMicros, BeforeEpochAgreesWithFormat) {
  const Timestamp t = Timestamp{} - nanoseconds(1);
  const Timestamp truncated = truncate_to_micros(t);
  EXPECT_LE(truncated, t);
  EXPECT_GT(truncated, t - microseconds(1));
  // What is written (format) reads back as exactly the truncated value.
  EXPECT_EQ(parse_iso8601(format_iso8601(t), "at"), truncated);
}

TEST(FormatIso8601, FixedExamples) {
  EXPECT_EQ(format_iso8601(Timestamp{}), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_iso8601(make_time(2026, 1, 1, 0, 0, 0, 123456)), "2026-01-01T00:00:00.123456Z");
  EXPECT_EQ(format_iso8601(make_time(2024, 2, 29, 12, 34, 56, 7)), "2024-02-29T12:34:56.000007Z");
  EXPECT_EQ(format_iso8601(make_time(1999, 12, 31, 23, 59, 59, 999999)),
            "1999-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_iso8601(make_time(2000, 1, 1)), "2000-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_iso8601(make_time(2262, 4, 11, 23, 47, 16)), "2262-04-11T23:47:16.000000Z");
}

TEST(FormatIso8601, AlwaysSixFractionDigitsAndTruncates) {
  const Timestamp t = make_time(2026, 3, 4, 5, 6, 7) + nanoseconds(123456789);
  const std::string s = format_iso8601(t);
  EXPECT_EQ(s, "2026-03-04T05:06:07.123456Z");  // truncated, not rounded
  EXPECT_EQ(s.size(), 27u);
  EXPECT_EQ(format_iso8601(make_time(2026, 3, 4) + milliseconds(500)),
            "2026-03-04T00:00:00.500000Z");
}

TEST(FormatIso8601, BeforeEpoch) {
  EXPECT_EQ(format_iso8601(Timestamp{} - microseconds(1)), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_iso8601(make_time(1969, 7, 20, 20, 17, 40)), "1969-07-20T20:17:40.000000Z");
  EXPECT_EQ(format_iso8601(make_time(1900, 1, 1)), "1900-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_iso8601(make_time(1696, 2, 29, 1, 2, 3, 4)), "1696-02-29T01:02:03.000004Z");
}

TEST(ParseIso8601, ZoneDesignators) {
  const Timestamp expected = make_time(2026, 1, 31, 12);
  EXPECT_EQ(parse_iso8601("2026-01-31T12:00:00Z", "at"), expected);
  EXPECT_EQ(parse_iso8601("2026-01-31T12:00:00z", "at"), expected);
  EXPECT_EQ(parse_iso8601("2026-01-31T12:00:00+00:00", "at"), expected);
  EXPECT_EQ(parse_iso8601("2026-01-31t12:00:00Z", "at"), expected);
  EXPECT_EQ(parse_iso8601("2026-01-31T12:00:00-00:00", "at"), expected);  // RFC 3339 4.3
}

TEST(ParseIso8601, TrimsSurroundingBlanks) {
  EXPECT_EQ(parse_iso8601("  2026-01-31T12:00:00Z\t", "at"), make_time(2026, 1, 31, 12));
}

TEST(ParseIso8601, FractionsOfOneToNineDigits) {
  const Timestamp base = make_time(2026, 5, 6, 7, 8, 9);
  EXPECT_EQ(parse_iso8601("2026-05-06T07:08:09.1Z", "at"), base + microseconds(100000));
  EXPECT_EQ(parse_iso8601("2026-05-06T07:08:09.12Z", "at"), base + microseconds(120000));
  EXPECT_EQ(parse_iso8601("2026-05-06T07:08:09.123Z", "at"), base + microseconds(123000));
  EXPECT_EQ(parse_iso8601("2026-05-06T07:08:09.1234Z", "at"), base + microseconds(123400));
  EXPECT_EQ(parse_iso8601("2026-05-06T07:08:09.12345Z", "at"), base + microseconds(123450));
  EXPECT_EQ(parse_iso8601("2026-05-06T07:08:09.123456Z", "at"), base + microseconds(123456));
  // Beyond microseconds: truncated, never rounded up.
  EXPECT_EQ(parse_iso8601("2026-05-06T07:08:09.1234567Z", "at"), base + microseconds(123456));
  EXPECT_EQ(parse_iso8601("2026-05-06T07:08:09.12345678Z", "at"), base + microseconds(123456));
  EXPECT_EQ(parse_iso8601("2026-05-06T07:08:09.999999999Z", "at"), base + microseconds(999999));
  EXPECT_EQ(parse_iso8601("2026-05-06T07:08:09.000000+00:00", "at"), base);
}

TEST(ParseIso8601, RoundTripsWithFormat) {
  for (const Timestamp t :
       {Timestamp{}, make_time(2024, 2, 29, 23, 59, 59, 999999), make_time(2026, 1, 1, 0, 0, 0, 1),
        make_time(1969, 12, 31, 23, 59, 59, 500000), make_time(2100, 3, 1, 12, 0, 0, 42),
        make_time(1678, 1, 1), make_time(2262, 4, 11, 23, 47, 16, 854775)}) {
    EXPECT_EQ(parse_iso8601(format_iso8601(t), "at"), t) << format_iso8601(t);
  }
  const Timestamp with_nanos = make_time(2026, 7, 8) + nanoseconds(987654321);
  EXPECT_EQ(parse_iso8601(format_iso8601(with_nanos), "at"), truncate_to_micros(with_nanos));
}

TEST(ParseIso8601, LeapDayRules) {
  EXPECT_EQ(parse_iso8601("2024-02-29T00:00:00Z", "at"), make_time(2024, 2, 29));
  EXPECT_EQ(parse_iso8601("2000-02-29T00:00:00Z", "at"), make_time(2000, 2, 29));
  expect_rejected("2023-02-29T00:00:00Z");
  expect_rejected("1900-02-29T00:00:00Z");  // century, not a leap year
  expect_rejected("2024-02-30T00:00:00Z");
  expect_rejected("2024-04-31T00:00:00Z");
}

TEST(ParseIso8601, RejectsOutOfRangeFields) {
  expect_rejected("2026-13-01T00:00:00Z");
  expect_rejected("2026-00-01T00:00:00Z");
  expect_rejected("2026-01-32T00:00:00Z");
  expect_rejected("2026-01-00T00:00:00Z");
  expect_rejected("2026-01-01T24:00:00Z");
  expect_rejected("2026-01-01T23:60:00Z");
  expect_rejected("2026-01-01T23:59:60Z");
  expect_rejected("2026-01-01T99:99:99Z");
}

TEST(ParseIso8601, RejectsNonUtcOffsetsAndMissingZone) {
  expect_rejected("2026-01-01T00:00:00+01:00");
  expect_rejected("2026-01-01T00:00:00-05:00");
  expect_rejected("2026-01-01T00:00:00+00:30");
  expect_rejected("2026-01-01T00:00:00+0000");
  expect_rejected("2026-01-01T00:00:00+00");
  expect_rejected("2026-01-01T00:00:00");
  expect_rejected("2026-01-01T00:00:00.123");
  expect_rejected("2026-01-01T00:00:00 UTC");
  expect_rejected("2026-01-01T00:00:00GMT");
}

TEST(ParseIso8601, RejectsMalformedShapes) {
  for (const char* bad : {"",
                          " ",
                          "Z",
                          "now",
                          "2026-01-01",
                          "2026-01-01T00:00Z",
                          "2026-1-01T00:00:00Z",
                          "26-01-01T00:00:00Z",
                          "2026/01/01T00:00:00Z",
                          "2026-01-01X00:00:00Z",
                          "2026-01-01T00.00.00Z",
                          "2O26-01-01T00:00:00Z",
                          "2026-0a-01T00:00:00Z",
                          "2026-01-01T0a:00:00Z",
                          "+026-01-01T00:00:00Z",
                          "-026-01-01T00:00:00Z",
                          "2026-01-01T00:00:00.Z",
                          "2026-01-01T00:00:00.1234567890Z",
                          "2026-01-01T00:00:00,5Z",
                          "2026-01-01T00:00:00.12a4Z",
                          "2026-01-01T00:00: 0Z"}) {
    expect_rejected(bad);
  }
}

TEST(ParseIso8601, RejectsTrailingGarbage) {
  expect_rejected("2026-01-01T00:00:00Zjunk");
  expect_rejected("2026-01-01T00:00:00ZZ");
  expect_rejected("2026-01-01T00:00:00Z 2026-01-01T00:00:00Z");
  expect_rejected("2026-01-01T00:00:00+00:00Z");
  expect_rejected(std::string("2026-01-01T00:00:00Z\0", 21));
  expect_rejected(std::string("2026-01-01T00:00:00\0Z", 21));
  expect_rejected("2026-01-01T00:00:00Z\xe2\x80\x8b");
}

TEST(ParseIso8601, RejectsYearsOutsideTimestampRange) {
  // Timestamp counts nanoseconds in 64 bits: roughly 1677-09-21 to 2262-04-11.
  // A syntactically valid time outside that range must not wrap around silently.
  for (const char* text : {"9999-12-31T23:59:59Z", "3000-01-01T00:00:00Z", "0000-01-01T00:00:00Z",
                           "1000-01-01T00:00:00Z", "2263-01-01T00:00:00Z"}) {
    try {
      const Timestamp t = parse_iso8601(text, "at");
      EXPECT_EQ(format_iso8601(t).substr(0, 19), std::string(text).substr(0, 19))
          << text << " parsed to a different time";
    } catch (const ValidationError& e) {
      EXPECT_EQ(e.field(), "at");
    }
  }
}

TEST(ParseIso8601, ErrorNamesTheGivenField) {
  expect_rejected("bad", "created_at");
  expect_rejected("2026-13-01T00:00:00Z", "X-Correlation-Created-At");
  try {
    (void)parse_iso8601("2026-01-01T00:00:00+01:00", "started_at");
    ADD_FAILURE() << "accepted +01:00";
  } catch (const ValidationError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("started_at: ", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace incursa::platform
