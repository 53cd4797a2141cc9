#include "operations/page_token.hpp"

#include <charconv>
#include <cstdint>

#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/operation_json.hpp"

namespace incursa::platform::page_token {

namespace {

constexpr std::string_view kVersion = "p1";

std::uint64_t fnv1a(std::string_view data, std::uint64_t hash = 0xcbf29ce484222325ULL) {
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string hex64(std::uint64_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) out[static_cast<std::size_t>(i)] = kHex[v & 0xF];
  return out;
}

// A canonical rendering of the filter: any change of filter changes the fingerprint.
std::string fingerprint(const OperationFilter& f, ListOrder order) {
  std::string s;
  const auto add = [&](std::string_view part) {
    s += std::to_string(part.size());
    s += ':';
    s += part;
  };
  const auto add_time = [&](const std::optional<Timestamp>& t) {
    add(t ? std::to_string(t->time_since_epoch().count()) : "-");
  };
  add(std::to_string(f.statuses.bits()));
  add(f.name.value_or("\x01"));
  add(f.name_prefix.value_or("\x01"));
  add(to_json(f.tags));
  add(f.correlation_id ? f.correlation_id->value() : "\x01");
  add(f.parent_id ? f.parent_id->value() : "\x01");
  add_time(f.started_from);
  add_time(f.started_to);
  add_time(f.updated_from);
  add_time(f.updated_to);
  add(order == ListOrder::NewestFirst ? "n" : "o");
  return hex64(fnv1a(s));
}

std::string to_hex(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
  }
  return out;
}

[[noreturn]] void reject() {
  throw ValidationError("page_token",
                        "is not a token this query issued (altered, or from another filter)");
}

std::string from_hex(std::string_view s) {
  if (s.size() % 2 != 0 || s.size() > 1024) reject();
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    reject();
  };
  std::string out;
  out.reserve(s.size() / 2);
  for (std::size_t i = 0; i < s.size(); i += 2) {
    out += static_cast<char>(nibble(s[i]) * 16 + nibble(s[i + 1]));
  }
  return out;
}

}  // namespace

std::string encode(const ListCursor& cursor, const OperationFilter& filter, ListOrder order) {
  const std::string body = std::string(kVersion) + "|" + fingerprint(filter, order) + "|" +
                           std::to_string(cursor.started_at.time_since_epoch().count()) + "|" +
                           cursor.id.value();
  return to_hex(body + "|" + hex64(fnv1a(body, 0x84222325cbf29ce4ULL)));
}

ListCursor decode(std::string_view token, const OperationFilter& filter, ListOrder order) {
  const std::string text = from_hex(token);
  const std::size_t sum_at = text.rfind('|');
  if (sum_at == std::string::npos) reject();
  const std::string_view body = std::string_view(text).substr(0, sum_at);
  if (hex64(fnv1a(body, 0x84222325cbf29ce4ULL)) != std::string_view(text).substr(sum_at + 1)) {
    reject();
  }
  // body = version | fingerprint | ticks | id
  const std::size_t a = body.find('|');
  const std::size_t b = a == std::string_view::npos ? a : body.find('|', a + 1);
  const std::size_t c = b == std::string_view::npos ? b : body.find('|', b + 1);
  if (c == std::string_view::npos || body.substr(0, a) != kVersion) reject();
  if (body.substr(a + 1, b - a - 1) != fingerprint(filter, order)) {
    throw ValidationError("page_token", "belongs to a query with another filter or order");
  }
  const std::string_view ticks_text = body.substr(b + 1, c - b - 1);
  Timestamp::rep ticks = 0;
  const auto [end, err] =
      std::from_chars(ticks_text.data(), ticks_text.data() + ticks_text.size(), ticks);
  if (err != std::errc() || end != ticks_text.data() + ticks_text.size()) reject();
  ListCursor cursor;
  cursor.started_at = Timestamp(Timestamp::duration(ticks));
  try {
    cursor.id = OperationId::parse(body.substr(c + 1));
  } catch (const ValidationError&) {
    reject();
  }
  return cursor;
}

}  // namespace incursa::platform::page_token
