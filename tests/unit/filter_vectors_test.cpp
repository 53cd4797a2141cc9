// The filter cases shared with the dashboard (tests/vectors/filter_matching.json):
// each one through matches(), the reference the dashboard's matchesFilter
// (tools/opsd/web/filters.js, tested by tests/opsd/web-unit/) must agree with.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "incursa/platform/operations/operation_json.hpp"
#include "incursa/platform/operations/operation_query.hpp"

#ifndef INCURSA_FILTER_VECTORS
#error "INCURSA_FILTER_VECTORS must name tests/vectors/filter_matching.json"
#endif

namespace incursa::platform {
namespace {

using nlohmann::json;

json load_vectors() {
  std::ifstream in(INCURSA_FILTER_VECTORS);
  if (!in) throw std::runtime_error("cannot open " + std::string(INCURSA_FILTER_VECTORS));
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

// A query parameter's values: one string, or an array of them for a repeated one.
std::vector<std::string> values_of(const json& v) {
  if (v.is_string()) return {v.get<std::string>()};
  return v.get<std::vector<std::string>>();
}

std::string single(const json& params, const char* key) {
  const json& v = params.at(key);
  if (!v.is_string()) throw std::runtime_error(std::string(key) + " is not repeatable");
  return v.get<std::string>();
}

// The filter that opsd's filter_from() (tools/opsd/query_params.cpp) makes of
// the same query parameters.
OperationFilter filter_from_params(const json& params) {
  static constexpr std::array<std::string_view, 10> known = {
      "status",    "name",         "name_prefix", "tag",          "correlation_id",
      "parent_id", "started_from", "started_to",  "updated_from", "updated_to"};
  for (const auto& [key, value] : params.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      throw std::runtime_error("unknown filter parameter " + key);
    }
  }
  OperationFilter f;
  if (params.contains("status")) {
    for (const std::string& value : values_of(params["status"])) {
      std::size_t start = 0;
      while (start <= value.size()) {
        const std::size_t comma = std::min(value.find(',', start), value.size());
        const std::string word = value.substr(start, comma - start);
        if (!word.empty()) f.statuses = f.statuses.with(parse_operation_status(word, "status"));
        start = comma + 1;
      }
    }
  }
  if (params.contains("name")) f.name = single(params, "name");
  if (params.contains("name_prefix")) f.name_prefix = single(params, "name_prefix");
  if (params.contains("tag")) {
    for (const std::string& value : values_of(params["tag"])) {
      const auto colon = value.find(':');
      if (colon == std::string::npos || colon == 0) throw std::runtime_error("bad tag " + value);
      f.tags[value.substr(0, colon)] = value.substr(colon + 1);
    }
  }
  if (params.contains("correlation_id")) {
    f.correlation_id = CorrelationId::parse(single(params, "correlation_id"));
  }
  if (params.contains("parent_id")) f.parent_id = OperationId::parse(single(params, "parent_id"));
  const auto time = [&](const char* key) -> std::optional<Timestamp> {
    if (!params.contains(key)) return std::nullopt;
    return parse_iso8601(single(params, key), key);
  };
  f.started_from = time("started_from");
  f.started_to = time("started_to");
  f.updated_from = time("updated_from");
  f.updated_to = time("updated_to");
  return f;
}

TEST(FilterVectors, FileHoldsNamedCasesEachWay) {
  const json vectors = load_vectors();
  const json& cases = vectors.at("cases");
  ASSERT_TRUE(cases.is_array());
  std::set<std::string> names;
  std::size_t matching = 0;
  for (const json& c : cases) {
    EXPECT_TRUE(names.insert(c.at("name").get<std::string>()).second)
        << "two cases are named " << c.at("name");
    if (c.at("matches").get<bool>()) ++matching;
  }
  EXPECT_GE(cases.size(), 40U);
  EXPECT_GT(matching, 0U);
  EXPECT_LT(matching, cases.size());
}

TEST(FilterVectors, MatchesAgreesWithEveryCase) {
  const json vectors = load_vectors();
  std::size_t checked = 0;
  for (const json& c : vectors.at("cases")) {
    const std::string name = c.at("name").get<std::string>();
    SCOPED_TRACE(name);
    try {
      const OperationFilter filter = filter_from_params(c.at("filter"));
      const OperationSnapshot snapshot = snapshot_from_json(c.at("operation").dump());
      EXPECT_EQ(matches(filter, snapshot), c.at("matches").get<bool>()) << "case: " << name;
      ++checked;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "case " << name << " is not valid: " << e.what();
    }
  }
  EXPECT_EQ(checked, vectors.at("cases").size());
}

}  // namespace
}  // namespace incursa::platform
