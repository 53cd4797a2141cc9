#include "sqlite_sql_builder.hpp"

#include <utility>

namespace incursa::platform::sqlite {

SqlBuilder& SqlBuilder::value(Value value) {
  values_.push_back(std::move(value));
  text_ += "?" + std::to_string(values_.size());
  return *this;
}

SqlBuilder& SqlBuilder::where() {
  text_ += has_where_ ? " AND " : " WHERE ";
  has_where_ = true;
  return *this;
}

SqlBuilder& SqlBuilder::starts_with(std::string_view column, const std::string& prefix) {
  if (prefix.empty()) return sql("1");  // every string starts with ""
  sql("(").sql(column).sql(" >= ").value(prefix);
  if (auto upper = prefix_successor(prefix)) {
    sql(" AND ").sql(column).sql(" < ").value(std::move(*upper));
  }
  return sql(")");
}

void SqlBuilder::bind_all(Statement& statement) const {
  int index = 0;
  for (const Value& v : values_) {
    ++index;
    std::visit([&](const auto& x) { statement.bind(index, x); }, v);
  }
}

std::optional<std::string> prefix_successor(std::string prefix) {
  // Text compares byte-wise (BINARY collation): bump the last byte that can be
  // bumped and drop what follows it.
  while (!prefix.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(prefix.back());
    if (last != 0xFF) {
      ++last;
      return prefix;
    }
    prefix.pop_back();
  }
  return std::nullopt;
}

}  // namespace incursa::platform::sqlite
