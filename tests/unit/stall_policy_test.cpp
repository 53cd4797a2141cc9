#include "incursa/platform/operations/stall_policy.hpp"

#include <gtest/gtest.h>

#include "incursa/platform/error.hpp"

namespace incursa::platform {
namespace {

using namespace std::chrono_literals;

TEST(ParseDuration, AcceptsUnitsAndCombinations) {
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("45s"), 45s);
  EXPECT_EQ(parse_duration("30m"), 30min);
  EXPECT_EQ(parse_duration("6h"), 6h);
  EXPECT_EQ(parse_duration("2d"), 48h);
  EXPECT_EQ(parse_duration(" 1h30m "), 90min);
  EXPECT_EQ(parse_duration("0s"), 0s);
}

TEST(ParseDuration, RejectsEverythingElseNamingTheField) {
  for (const char* bad : {"", " ", "30", "m", "30x", "-5m", "1.5h", "30 m", "1h-", "h1",
                          "99999999999999d", "40000d"}) {
    try {
      parse_duration(bad, "threshold");
      ADD_FAILURE() << bad;
    } catch (const ValidationError& e) {
      EXPECT_EQ(e.field(), "threshold") << bad;
    }
  }
}

TEST(StallPolicy, LongestPrefixWins) {
  StallPolicy p;
  p.default_threshold = 6h;
  p.thresholds = {{"Webhook.", 30min}, {"Webhook.Slow", 4h}, {"Batch.", 12h}};
  EXPECT_EQ(p.threshold_for("Webhook.Process"), 30min);
  EXPECT_EQ(p.threshold_for("Webhook.SlowImport"), 4h);
  EXPECT_EQ(p.threshold_for("Batch.Nightly"), 12h);
  EXPECT_EQ(p.threshold_for("Email.Send"), 6h);
  EXPECT_EQ(p.threshold_for("Webhook"), 6h);  // the dot is part of the prefix
}

TEST(StallPolicy, QueriesPartitionNamesBetweenRules) {
  StallPolicy p;
  p.default_threshold = 6h;
  p.thresholds = {{"Webhook.", 30min}, {"Webhook.Slow", 4h}};
  p.pending_limit = 10min;
  p.no_progress_threshold = 2h;
  const auto qs = p.queries(100);
  ASSERT_EQ(qs.size(), 5u);
  EXPECT_EQ(qs[0].threshold, 6h);  // default: excludes every prefix rule
  EXPECT_FALSE(qs[0].name_prefix.has_value());
  EXPECT_EQ(qs[0].exclude_name_prefixes, (std::vector<std::string>{"Webhook.", "Webhook.Slow"}));
  EXPECT_EQ(qs[1].name_prefix, "Webhook.");
  EXPECT_EQ(qs[1].exclude_name_prefixes, std::vector<std::string>{"Webhook.Slow"});
  EXPECT_EQ(qs[2].name_prefix, "Webhook.Slow");
  EXPECT_TRUE(qs[2].exclude_name_prefixes.empty());
  EXPECT_EQ(qs[3].statuses, StatusSet{OperationStatus::Pending});
  EXPECT_EQ(qs[3].basis, ActivityBasis::Progress);
  EXPECT_EQ(qs[4].statuses, StatusSet{OperationStatus::Running});
  EXPECT_EQ(qs[4].threshold, 2h);
  for (const auto& q : qs) EXPECT_EQ(q.limit, 100u);
}

TEST(StallPolicy, ValidateRejectsNonsense) {
  StallPolicy p;
  p.default_threshold = 0s;
  EXPECT_THROW(p.validate(), ValidationError);
  p = {};
  p.thresholds = {{"", 1h}};
  EXPECT_THROW(p.validate(), ValidationError);
  p = {};
  p.thresholds = {{"A.", -1h}};
  EXPECT_THROW(p.validate(), ValidationError);
  p = {};
  p.pending_limit = 0s;
  EXPECT_THROW(p.validate(), ValidationError);
  EXPECT_NO_THROW(StallPolicy{}.validate());
}

}  // namespace
}  // namespace incursa::platform
