// The PostgreSQL store's pure parts, no server needed: URIs, value formats, SQL
// shapes, error classification and the retry policy.
#include <gtest/gtest.h>

#include <random>

#include "incursa/platform/error.hpp"
#include "pg_connection.hpp"
#include "pg_retry.hpp"
#include "pg_rows.hpp"
#include "pg_schema.hpp"
#include "pg_statements.hpp"
#include "pg_uri.hpp"

namespace incursa::platform::postgres {
namespace {

using namespace std::chrono_literals;
using std::chrono::microseconds;

Timestamp at_micros(std::int64_t us) {
  return Timestamp(std::chrono::duration_cast<Timestamp::duration>(microseconds(us)));
}

TEST(PgValues, TimestampsFormatAsUtcWithMicroseconds) {
  EXPECT_EQ(format_timestamp(at_micros(0)), "1970-01-01 00:00:00.000000+00");
  EXPECT_EQ(format_timestamp(at_micros(1'767'225'600'123'456)), "2026-01-01 00:00:00.123456+00");
  EXPECT_EQ(format_timestamp(at_micros(-1)), "1969-12-31 23:59:59.999999+00");
  EXPECT_EQ(format_timestamp(at_micros(-2'208'988'800'000'000)), "1900-01-01 00:00:00.000000+00");
  EXPECT_EQ(format_timestamp(at_micros(951'782'400'000'000)), "2000-02-29 00:00:00.000000+00");
}

TEST(PgValues, BoundsRoundUpSoNoStoredValueBetweenIsLost) {
  const Timestamp t = at_micros(1'767'225'600'000'000);
  EXPECT_TRUE(whole_micros(t));
  EXPECT_FALSE(whole_micros(t + std::chrono::nanoseconds(500)));
  EXPECT_EQ(format_bound(t), format_timestamp(t));
  // A stored value t is < t + 0.5 µs: the bound must become t + 1 µs, not t.
  EXPECT_EQ(format_bound(t + std::chrono::nanoseconds(500)), format_timestamp(t + 1us));
  EXPECT_EQ(format_bound(at_micros(-1) - std::chrono::nanoseconds(1)),
            format_timestamp(at_micros(-1)));
}

TEST(PgValues, TimestampsParseEveryFormTheServerSends) {
  EXPECT_EQ(parse_timestamp("2026-01-01 00:00:00+00"), at_micros(1'767'225'600'000'000));
  EXPECT_EQ(parse_timestamp("2026-01-01 00:00:00.5+00"), at_micros(1'767'225'600'500'000));
  EXPECT_EQ(parse_timestamp("2026-01-01 00:00:00.000001+00"), at_micros(1'767'225'600'000'001));
  EXPECT_EQ(parse_timestamp("2026-01-01T00:00:00.123456+00:00"), at_micros(1'767'225'600'123'456));
  EXPECT_EQ(parse_timestamp("1969-12-31 23:59:59.999999+00"), at_micros(-1));
  for (const char* bad :
       {"", "2026-01-01", "2026-01-01 00:00:00+01", "2026-01-01 00:00:00", "2026-13-01 00:00:00+00",
        "2026-01-01 00:00:00.1234567+00", "26-01-01 00:00:00+00", "2026-01-01 00:00:00.+00"}) {
    EXPECT_THROW(parse_timestamp(bad), PgError) << bad;
  }
}

TEST(PgValues, TimestampsRoundTripAcrossTheWholeClockRange) {
  // system_clock's nanosecond range is 1677-09-21 .. 2262-04-11.
  const std::int64_t lo =
      std::chrono::duration_cast<microseconds>(Timestamp::min().time_since_epoch()).count() + 1;
  const std::int64_t hi =
      std::chrono::duration_cast<microseconds>(Timestamp::max().time_since_epoch()).count() - 1;
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::int64_t> any(lo, hi);
  std::vector<std::int64_t> samples{lo, hi, 0, -1, 1, -86'400'000'000, 86'399'999'999};
  for (int i = 0; i < 20000; ++i) samples.push_back(any(rng));
  for (std::int64_t us : samples) {
    const Timestamp t = at_micros(us);
    ASSERT_EQ(parse_timestamp(format_timestamp(t)), t) << format_timestamp(t);
  }
}

TEST(PgValues, DoublesAndIntegersRoundTrip) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> pct(0.0, 100.0);
  for (int i = 0; i < 10000; ++i) {
    const double v = pct(rng);
    ASSERT_EQ(parse_double(format_double(v)), v);
  }
  EXPECT_EQ(format_double(31.2), "31.2");
  EXPECT_EQ(parse_int64("-9223372036854775808"), std::numeric_limits<std::int64_t>::min());
  EXPECT_THROW(parse_int64("12x"), PgError);
  EXPECT_THROW(parse_double(""), PgError);
}

TEST(PgValues, TextArraysQuoteEveryElement) {
  EXPECT_EQ(text_array({}), "{}");
  EXPECT_EQ(text_array({std::string("a"), std::nullopt, std::string("")}), R"({"a",NULL,""})");
  EXPECT_EQ(text_array({std::string(R"(say "hi" \ {x,y})")}), R"({"say \"hi\" \\ {x,y}"})");
  EXPECT_EQ(text_array({std::string("NULL")}), R"({"NULL"})");  // the word, not SQL NULL
}

TEST(PgUri, StoreParametersAreTakenOutAndTheRestGoesToLibpq) {
  const PostgresStoreOptions o = parse_store_uri(
      "postgresql://app:s3cret@db.example:5433/ops?sslmode=disable&schema=billing&pool_size=3"
      "&statement_timeout_ms=1500&use_database_clock=true&application_name=api");
  EXPECT_EQ(o.schema, "billing");
  EXPECT_EQ(o.pool_size, 3U);
  EXPECT_EQ(o.statement_timeout, 1500ms);
  EXPECT_TRUE(o.use_database_clock);
  EXPECT_EQ(o.conninfo,
            "postgresql://app:s3cret@db.example:5433/ops?sslmode=disable&application_name=api");
  EXPECT_EQ(parse_store_uri("postgres://h/db").conninfo, "postgres://h/db");
  EXPECT_EQ(parse_store_uri("postgres://h/db").schema, "incursa_platform");
  EXPECT_EQ(parse_store_uri("postgres://h/db?schema=a_b").conninfo, "postgres://h/db");
  EXPECT_EQ(parse_store_uri("postgres://h/db").max_write_batches, 8U);
  EXPECT_EQ(parse_store_uri("postgres://h/db?write_batches=0").max_write_batches, 0U);
  EXPECT_EQ(parse_store_uri("postgres://h/db?write_batches=2").max_write_batches, 2U);
  EXPECT_EQ(parse_store_uri("postgres://h/db?write_batches=2").conninfo, "postgres://h/db");
}

TEST(PgUri, BadUrisAreValidationErrorsThatNeverShowThePassword) {
  for (const char* bad :
       {"mysql://h/db", "postgresql:/h", "postgresql://h/db?pool_size=0",
        "postgresql://h/db?pool_size=x", "postgresql://h/db?use_database_clock=maybe",
        "postgresql://h/db?write_batches=-1",
        "postgresql://u:hunter2secret@h/db?no_such_libpq_option=1",
        "postgresql://u:hunter2secret@h/db?sslmode=%zz"}) {
    try {
      (void)PostgresStore::parse_uri(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const ValidationError& e) {
      EXPECT_EQ(e.field(), "store_uri") << bad;
      EXPECT_EQ(std::string(e.what()).find("hunter2secret"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW((void)PostgresStore::parse_uri("postgresql://h/db?schema=Bad-Name"),
               ValidationError);
}

TEST(PgUri, PasswordsAreFoundAndRedacted) {
  EXPECT_EQ(conninfo_password("postgresql://u:p%40ss@h/db"), "p@ss");
  EXPECT_EQ(conninfo_password("host=h password=xyz123"), "xyz123");
  EXPECT_EQ(conninfo_password("postgresql://u@h/db"), "");
  EXPECT_EQ(redact("auth failed for xyz123 and xyz123", "xyz123"), "auth failed for *** and ***");
  EXPECT_EQ(redact("too short to matter", "ab"), "too short to matter");
}

TEST(PgSchema, NamesAreCheckedAndAlwaysQuoted) {
  for (const char* good : {"incursa_platform", "_x", "a1", "billing_2026"}) {
    EXPECT_NO_THROW(validate_schema_name(good)) << good;
  }
  for (const std::string& bad :
       {std::string(""), std::string("1a"), std::string("A"), std::string("a-b"),
        std::string("pg_catalog"), std::string("a\"b"), std::string(64, 'a')}) {
    EXPECT_THROW(validate_schema_name(bad), ValidationError) << bad;
  }
  EXPECT_EQ(quote_identifier("select"), "\"select\"");
  EXPECT_EQ(migration_lock_key("a"), migration_lock_key("a"));
  EXPECT_NE(migration_lock_key("a"), migration_lock_key("b"));
  EXPECT_EQ(migration_sql(1, "s").find("{s}"), std::string::npos);
  EXPECT_NE(migration_sql(1, "s").find("\"s\".operations"), std::string::npos);
}

TEST(PgStatements, FindStaleWritesTheStatusesAsALiteralList) {
  const Statement st =
      find_stale_statement("\"s\"", {OperationStatus::Pending, OperationStatus::Running},
                           ActivityBasis::Activity, false);
  EXPECT_NE(st.sql.find("o.status IN ('Pending', 'Running')"), std::string::npos) << st.sql;
  EXPECT_EQ(st.sql.find("ANY ($"), std::string::npos);
  EXPECT_NE(st.sql.find("ORDER BY o.updated_at, o.id"), std::string::npos);
  const Statement progress =
      find_stale_statement("\"s\"", {OperationStatus::Running}, ActivityBasis::Progress, true);
  EXPECT_NE(progress.sql.find("o.status IN ('Running')"), std::string::npos);
  EXPECT_NE(progress.sql.find("o.last_progress_at < statement_timestamp() - $1::interval"),
            std::string::npos);
  EXPECT_NE(st.name, progress.name);
}

TransitionRequest request(StatusSet allowed, std::optional<OperationStatus> target) {
  TransitionRequest r;
  r.id = OperationId::parse("op");
  r.allowed_from = allowed;
  r.changes.status = target;
  r.status_event_key = "k-status";
  return r;
}

TEST(PgStatements, OnlyWritesThatAlwaysLeaveAKeyedEventAreIdempotent) {
  using S = OperationStatus;
  // heartbeat / update_progress: from Running nothing is appended.
  EXPECT_FALSE(transition_is_idempotent(request(StatusSet::non_terminal(), S::Running)));
  // complete, mark_stalled: the status always changes, so the status event is written.
  EXPECT_TRUE(transition_is_idempotent(request(StatusSet::non_terminal(), S::Succeeded)));
  EXPECT_TRUE(transition_is_idempotent(request({S::Pending, S::Running}, S::Stalled)));
  TransitionRequest no_key = request(StatusSet::non_terminal(), S::Succeeded);
  no_key.status_event_key.clear();
  EXPECT_FALSE(transition_is_idempotent(no_key));
  // add_event / request_cancel: their own keyed event.
  TransitionRequest with_event = request(StatusSet::all(), std::nullopt);
  with_event.events.push_back({{}, "k", std::nullopt, std::nullopt, "k-event"});
  EXPECT_TRUE(transition_is_idempotent(with_event));
  with_event.events[0].key.clear();
  EXPECT_FALSE(transition_is_idempotent(with_event));
}

TEST(PgStatements, OnlyProgressAndHeartbeatsInTheirOwnStatusApplyInPlace) {
  using S = OperationStatus;
  // update_progress / heartbeat: the row may already be Running.
  EXPECT_TRUE(transition_applies_in_place(request(StatusSet::non_terminal(), S::Running), false));
  EXPECT_TRUE(transition_applies_in_place(request(StatusSet::all(), std::nullopt), false));
  // The database clock reads the time after the row lock: only the function can.
  EXPECT_FALSE(transition_applies_in_place(request(StatusSet::non_terminal(), S::Running), true));
  // complete, mark_stalled: the status always changes.
  EXPECT_FALSE(
      transition_applies_in_place(request(StatusSet::non_terminal(), S::Succeeded), false));
  TransitionRequest stale = request({S::Pending, S::Running}, S::Stalled);
  stale.only_if_stale = StaleCondition{};
  EXPECT_FALSE(transition_applies_in_place(stale, false));
  // Events, cancel requests, completion and stall counts are the function's.
  TransitionRequest with_event = request(StatusSet::all(), std::nullopt);
  with_event.events.push_back({{}, "k", std::nullopt, std::nullopt, "k-event"});
  EXPECT_FALSE(transition_applies_in_place(with_event, false));
  for (bool SnapshotChanges::*flag :
       {&SnapshotChanges::mark_completed, &SnapshotChanges::request_cancel,
        &SnapshotChanges::increment_stall_count}) {
    TransitionRequest r = request(StatusSet::non_terminal(), S::Running);
    r.changes.*flag = true;
    EXPECT_FALSE(transition_applies_in_place(r, false));
  }
  // The statement ends in the function's call, its fallback.
  const Statements st("\"s\"");
  EXPECT_NE(st.transition_in_place.sql.find(st.transition.sql), std::string::npos);
  EXPECT_NE(st.transition_in_place.name, st.transition.name);

  // Which statement each call is sent as.
  auto sent_as = [&](const TransitionRequest& r, bool database_clock) {
    return transition_statement(st, r, database_clock).name;
  };
  EXPECT_EQ(sent_as(request(StatusSet::non_terminal(), S::Running), false),
            st.transition_in_place.name);
  EXPECT_EQ(sent_as(request(StatusSet::non_terminal(), S::Succeeded), false), st.transition.name);
  EXPECT_EQ(sent_as(with_event, false), st.transition.name);
  EXPECT_EQ(sent_as(stale, false), st.transition.name);
  EXPECT_EQ(sent_as(with_event, true), st.transition.name);
  EXPECT_EQ(sent_as(request(StatusSet::non_terminal(), S::Running), true), st.transition.name);
}

TEST(PgErrors, SqlstatesAreClassified) {
  for (const char* s :
       {"08000", "08003", "08006", "08001", "40001", "40P01", "57P01", "57P02", "57P03"}) {
    EXPECT_TRUE(is_retryable_sqlstate(s)) << s;
  }
  for (const char* s : {"23505", "42P01", "57014", "28P01", "3D000", "22P02", "53300", ""}) {
    EXPECT_FALSE(is_retryable_sqlstate(s)) << s;
  }
  EXPECT_TRUE(proves_rollback("40001"));
  EXPECT_FALSE(proves_rollback("57P01"));  // the commit may have happened before the shutdown
  EXPECT_EQ(one_line("could not connect:\n\tIs the server running?\n"),
            "could not connect: Is the server running?");
}

TEST(PgRetry, RepeatsOnlyWhatCannotApplyTwice) {
  const PostgresRetryPolicy policy{.max_attempts = 3};
  const PgFailure lost_after_send{"gone", "", true, true};
  const PgFailure refused{"refused", "", true, false};
  const PgFailure serialization{"retry", "40001", true, false};
  const PgFailure syntax{"bad", "42601", false, false};
  const PgFailure pool_busy{"busy", "", true, false, true};
  EXPECT_TRUE(should_retry(lost_after_send, true, 1, policy));
  EXPECT_FALSE(should_retry(lost_after_send, false, 1, policy));  // may have landed
  EXPECT_TRUE(should_retry(refused, false, 1, policy));           // never reached the server
  EXPECT_TRUE(should_retry(serialization, false, 2, policy));     // rolled back for sure
  EXPECT_FALSE(should_retry(serialization, false, 3, policy));    // out of tries
  EXPECT_FALSE(should_retry(syntax, true, 1, policy));
  EXPECT_FALSE(should_retry(pool_busy, true, 1, policy));  // it waited already
}

TEST(PgRetry, BackoffDoublesWithJitterUpToTheCap) {
  const PostgresRetryPolicy policy{
      .max_attempts = 10, .initial_backoff = 50ms, .max_backoff = 1000ms};
  const std::vector<std::pair<int, std::int64_t>> bases{{1, 50},  {2, 100},  {3, 200}, {4, 400},
                                                        {5, 800}, {6, 1000}, {9, 1000}};
  for (const auto& [attempt, base] : bases) {
    EXPECT_EQ(backoff_delay(policy, attempt, 0).count(), base / 2) << attempt;
    EXPECT_EQ(backoff_delay(policy, attempt, static_cast<std::uint64_t>(base - base / 2)).count(),
              base)
        << attempt;
    for (std::uint64_t r = 0; r < 2000; r += 37) {
      const auto d = backoff_delay(policy, attempt, r).count();
      EXPECT_GE(d, base / 2);
      EXPECT_LE(d, base);
    }
  }
}

TEST(PgRetry, WithRetryStopsAtTheFirstSuccessOrTheLastTry) {
  const PostgresRetryPolicy policy{.max_attempts = 3, .initial_backoff = 1ms, .max_backoff = 2ms};
  int calls = 0;
  int retries = 0;
  const int value = with_retry(
      policy, true,
      [&] {
        if (++calls < 3) throw PgError({"refused", "", true, false});
        return 7;
      },
      [&] { ++retries; });
  EXPECT_EQ(value, 7);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(retries, 2);
  calls = 0;
  EXPECT_THROW(with_retry(
                   policy, true,
                   [&]() -> int {
                     ++calls;
                     throw PgError({"refused", "", true, false});
                   },
                   [] {}),
               PgError);
  EXPECT_EQ(calls, 3);
}

}  // namespace
}  // namespace incursa::platform::postgres
