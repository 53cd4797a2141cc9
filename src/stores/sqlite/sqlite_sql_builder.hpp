// Builds a statement's text together with its bound values, for queries whose
// shape depends on the caller's filters (list, count, audit, find_stale).
//
// Caller data only ever enters through value(), as a bound parameter; sql() is
// for the store's own fixed fragments. Equal filter shapes give equal texts, so
// the connection's statement cache reuses their prepared statements.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sqlite_connection.hpp"

namespace incursa::platform::sqlite {

class SqlBuilder {
 public:
  using Value = std::variant<std::int64_t, double, std::string>;

  SqlBuilder& sql(std::string_view fragment) {
    text_.append(fragment);
    return *this;
  }
  // Appends a placeholder bound to `value`.
  SqlBuilder& value(Value value);

  // Starts the next WHERE condition: " WHERE " the first time, " AND " after.
  SqlBuilder& where();
  // The next where() starts a new WHERE (for the next SELECT of a compound).
  SqlBuilder& next_select() {
    has_where_ = false;
    return *this;
  }

  // `column` starts with `prefix` (byte-wise, case-sensitive), written as a range
  // so an index on `column` can serve it: prefix <= column < successor(prefix).
  SqlBuilder& starts_with(std::string_view column, const std::string& prefix);

  const std::string& text() const noexcept { return text_; }
  // Binds every value to `statement` (prepared from text()).
  void bind_all(Statement& statement) const;

 private:
  std::string text_;
  std::vector<Value> values_;
  bool has_where_ = false;
};

// A LIMIT's value: a size, capped at SQLite's integer range.
inline std::int64_t clamp_limit(std::size_t limit) noexcept {
  constexpr auto kMax = static_cast<std::size_t>(INT64_MAX);
  return static_cast<std::int64_t>(limit < kMax ? limit : kMax);
}

// The least string greater than every string starting with `prefix`, or nullopt
// when there is none (a prefix of only 0xFF bytes).
std::optional<std::string> prefix_successor(std::string prefix);

}  // namespace incursa::platform::sqlite
