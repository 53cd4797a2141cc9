#include "pg_rows.hpp"

#include <array>
#include <charconv>
#include <cstdio>

#include "incursa/platform/correlation/correlation_context.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/operation_json.hpp"
#include "incursa/platform/operations/operation_status.hpp"

namespace incursa::platform::postgres {

namespace {

using std::chrono::microseconds;
constexpr std::int64_t kMicrosPerDay = 86'400'000'000;

[[noreturn]] void bad(std::string_view what, std::string_view text) {
  throw PgError({"unexpected " + std::string(what) + " from the server: '" +
                     std::string(text.substr(0, 64)) + "'",
                 "", false, false});
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Howard Hinnant's civil calendar algorithms (proleptic Gregorian, any year).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2 ? 1 : 0;
}

// Reads exactly `n` digits at `pos`.
bool digits(std::string_view s, std::size_t& pos, std::size_t n, std::int64_t& out) {
  if (pos + n > s.size()) return false;
  std::int64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += n;
  out = v;
  return true;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::string format_timestamp(Timestamp t) {
  const std::int64_t us = std::chrono::floor<microseconds>(t.time_since_epoch()).count();
  const std::int64_t days = floor_div(us, kMicrosPerDay);
  std::int64_t rem = us - days * kMicrosPerDay;
  std::int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  civil_from_days(days, y, m, d);
  const std::int64_t frac = rem % 1'000'000;
  rem /= 1'000'000;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u %02lld:%02lld:%02lld.%06lld+00",
                static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
                static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60),
                static_cast<long long>(frac));
  return buf;
}

bool whole_micros(Timestamp t) noexcept {
  return std::chrono::floor<microseconds>(t.time_since_epoch()) == t.time_since_epoch();
}

std::string format_bound(Timestamp t) {
  return format_timestamp(Timestamp(std::chrono::duration_cast<Timestamp::duration>(
      std::chrono::ceil<microseconds>(t.time_since_epoch()))));
}

Timestamp parse_timestamp(std::string_view s) {
  std::size_t pos = 0;
  std::size_t year_digits = 0;
  while (year_digits < s.size() && s[year_digits] >= '0' && s[year_digits] <= '9') ++year_digits;
  std::int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (year_digits < 4 || !digits(s, pos, year_digits, y) || !expect(s, pos, '-') ||
      !digits(s, pos, 2, mo) || !expect(s, pos, '-') || !digits(s, pos, 2, d) || pos >= s.size() ||
      (s[pos] != ' ' && s[pos] != 'T')) {
    bad("timestamp", s);
  }
  ++pos;
  if (!digits(s, pos, 2, h) || !expect(s, pos, ':') || !digits(s, pos, 2, mi) ||
      !expect(s, pos, ':') || !digits(s, pos, 2, sec)) {
    bad("timestamp", s);
  }
  std::int64_t frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n == 6) bad("timestamp precision", s);
      frac = frac * 10 + (s[pos] - '0');
      ++pos;
      ++n;
    }
    if (n == 0) bad("timestamp", s);
    for (; n < 6; ++n) frac *= 10;
  }
  const std::string_view zone = s.substr(pos);
  if (zone != "+00" && zone != "+00:00" && zone != "Z") bad("time zone (expected UTC)", s);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) bad("timestamp", s);
  const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  const std::int64_t us = days * kMicrosPerDay + ((h * 60 + mi) * 60 + sec) * 1'000'000 + frac;
  return Timestamp(std::chrono::duration_cast<Timestamp::duration>(microseconds(us)));
}

std::string format_double(double value) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  (void)ec;  // 64 bytes hold any double
  return {buf, end};
}

double parse_double(std::string_view text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) bad("number", text);
  return value;
}

std::int64_t parse_int64(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) bad("integer", text);
  return value;
}

std::string text_array(const std::vector<std::optional<std::string>>& elements) {
  std::string out = "{";
  for (std::size_t i = 0; i < elements.size(); ++i) {
    if (i > 0) out.push_back(',');
    if (!elements[i]) {
      out += "NULL";
      continue;
    }
    out.push_back('"');
    for (char c : *elements[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

std::string interval_micros(std::chrono::microseconds age) {
  return std::to_string(age.count()) + " microseconds";
}

std::string snapshot_columns(std::string_view prefix) {
  static constexpr std::array<std::string_view, kSnapshotColumnCount> kColumns{
      "id",
      "name",
      "status",
      "started_at",
      "updated_at",
      "last_progress_at",
      "completed_at",
      "percent",
      "message",
      "progress_current",
      "progress_total",
      "progress_unit",
      "correlation",
      "parent_id",
      "tags",
      "cancel_requested_at",
      "cancel_reason",
      "stall_count",
      "version"};
  std::string out;
  for (std::size_t i = 0; i < kColumns.size(); ++i) {
    if (i > 0) out += ", ";
    out += prefix;
    out += kColumns[i];
  }
  return out;
}

OperationSnapshot snapshot_from_row(const Result& r, int row, int c) {
  auto opt_time = [&](int col) -> std::optional<Timestamp> {
    if (r.null(row, col)) return std::nullopt;
    return parse_timestamp(r.text(row, col));
  };
  OperationSnapshot s;
  try {
    s.id = OperationId::parse(r.text(row, c + 0));
    s.name = r.text(row, c + 1);
    s.status = parse_operation_status(r.text(row, c + 2));
    s.started_at = parse_timestamp(r.text(row, c + 3));
    s.updated_at = parse_timestamp(r.text(row, c + 4));
    s.last_progress_at = parse_timestamp(r.text(row, c + 5));
    s.completed_at = opt_time(c + 6);
    if (!r.null(row, c + 7)) s.percent = parse_double(r.text(row, c + 7));
    s.message = r.optional_text(row, c + 8);
    if (!r.null(row, c + 9)) {
      StructuredProgress p;
      p.current = parse_int64(r.text(row, c + 9));
      if (!r.null(row, c + 10)) p.total = parse_int64(r.text(row, c + 10));
      p.unit = r.optional_text(row, c + 11).value_or("");
      s.progress = std::move(p);
    }
    if (!r.null(row, c + 12)) s.correlation = correlation_from_json(r.text(row, c + 12));
    if (!r.null(row, c + 13)) s.parent_id = OperationId::parse(r.text(row, c + 13));
    if (!r.null(row, c + 14)) s.tags = tags_from_json(r.text(row, c + 14));
    s.cancel_requested_at = opt_time(c + 15);
    s.cancel_reason = r.optional_text(row, c + 16);
    s.stall_count = parse_int64(r.text(row, c + 17));
    s.version = parse_int64(r.text(row, c + 18));
  } catch (const Error& e) {
    // An id, status or JSON column the codec refuses: written by something else.
    throw PgError({std::string("unreadable operation row: ") + e.what(), "", false, false});
  }
  return s;
}

std::string event_columns(std::string_view prefix) {
  std::string out;
  for (std::string_view column :
       {"operation_id", "sequence", "occurred_at", "kind", "message", "data_json", "event_key"}) {
    if (!out.empty()) out += ", ";
    out += prefix;
    out += column;
  }
  return out;
}

OperationEvent event_from_row(const Result& r, int row, int c) {
  OperationEvent e;
  try {
    e.operation_id = OperationId::parse(r.text(row, c + 0));
  } catch (const Error& error) {
    throw PgError({std::string("unreadable event row: ") + error.what(), "", false, false});
  }
  e.sequence = parse_int64(r.text(row, c + 1));
  e.occurred_at = parse_timestamp(r.text(row, c + 2));
  e.kind = r.text(row, c + 3);
  e.message = r.optional_text(row, c + 4);
  e.data_json = r.optional_text(row, c + 5);
  e.key = r.optional_text(row, c + 6).value_or("");  // stored as NULL when empty
  return e;
}

}  // namespace incursa::platform::postgres
