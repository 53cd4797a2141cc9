// The filter cases shared with the dashboard (tests/vectors/filter_matching.json):
// each one's query parameters through opsd's own filter_from() and matches(),
// the reference the dashboard's matchesFilter (tools/opsd/web/filters.js, tested
// by tests/opsd/web-unit/) must agree with.
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstddef>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>

#include "incursa/platform/operations/operation_json.hpp"
#include "incursa/platform/operations/operation_query.hpp"
#include "query_params.hpp"

#ifndef INCURSA_FILTER_VECTORS
#error "INCURSA_FILTER_VECTORS must name tests/vectors/filter_matching.json"
#endif

namespace incursa::platform::opsd {
namespace {

using nlohmann::json;

json load_vectors() {
  std::ifstream in(INCURSA_FILTER_VECTORS);
  if (!in) throw std::runtime_error("cannot open " + std::string(INCURSA_FILTER_VECTORS));
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

// The request the dashboard would send: each filter member a query parameter,
// an array for a repeated one.
httplib::Request request_with(const json& params) {
  httplib::Request req;
  for (const auto& [key, value] : params.items()) {
    if (value.is_string()) {
      req.params.emplace(key, value.get<std::string>());
    } else {
      for (const json& one : value) req.params.emplace(key, one.get<std::string>());
    }
  }
  return req;
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
      // The filter opsd makes of the parameters, as a list or count request would.
      const OperationFilter filter = filter_from(request_with(c.at("filter")));
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
}  // namespace incursa::platform::opsd
