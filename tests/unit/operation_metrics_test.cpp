#include "incursa/platform/observability/operation_metrics.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace incursa::platform {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(OperationMetrics, CountersStartAtZeroAndAreExposed) {
  OperationMetrics m;
  const std::string text = m.to_prometheus();
  EXPECT_TRUE(contains(text, "# TYPE incursa_platform_operations_started_total counter"));
  EXPECT_TRUE(contains(text, "incursa_platform_operations_started_total 0"));
  EXPECT_TRUE(contains(text, "incursa_platform_operations_progress_updated_total 0"));
  EXPECT_TRUE(contains(text, "incursa_platform_operations_stalled_total 0"));
}

TEST(OperationMetrics, LabelledCountersAndHistogram) {
  OperationMetrics m;
  m.operation_started();
  m.operation_started();
  m.progress_updated();
  m.event_added("step");
  m.event_added("step");
  m.operation_stalled();
  m.operation_completed(OperationStatus::Succeeded, 2s);
  m.operation_completed(OperationStatus::Succeeded, 45s);
  m.operation_completed(OperationStatus::Failed, 100ms);
  const std::string text = m.to_prometheus();
  EXPECT_TRUE(contains(text, "incursa_platform_operations_started_total 2"));
  EXPECT_TRUE(contains(text, "incursa_platform_operations_event_added_total{kind=\"step\"} 2"));
  EXPECT_TRUE(
      contains(text, "incursa_platform_operations_completed_total{status=\"Succeeded\"} 2"));
  EXPECT_TRUE(contains(text, "incursa_platform_operations_completed_total{status=\"Failed\"} 1"));
  EXPECT_TRUE(contains(text, "# TYPE incursa_platform_operation_duration_seconds histogram"));
  const std::string b = "incursa_platform_operation_duration_seconds_bucket{status=\"Succeeded\",";
  EXPECT_TRUE(contains(text, b + "le=\"1\"} 0"));
  EXPECT_TRUE(contains(text, b + "le=\"5\"} 1"));
  EXPECT_TRUE(contains(text, b + "le=\"60\"} 2"));  // cumulative
  EXPECT_TRUE(contains(text, b + "le=\"+Inf\"} 2"));
  EXPECT_TRUE(
      contains(text, "incursa_platform_operation_duration_seconds_sum{status=\"Succeeded\"} 47"));
  EXPECT_TRUE(
      contains(text, "incursa_platform_operation_duration_seconds_count{status=\"Succeeded\"} 2"));
  EXPECT_TRUE(contains(text,
                       "incursa_platform_operation_duration_seconds_bucket{status=\"Failed\",le="
                       "\"0.1\"} 1"));
  // Bounds in their shortest form, as Prometheus clients write them.
  EXPECT_FALSE(contains(text, "0000000")) << text;
}

TEST(OperationMetrics, LabelValuesAreEscaped) {
  OperationMetrics m;
  m.event_added("a\"b\\c\nd");
  EXPECT_TRUE(
      contains(m.to_prometheus(),
               "incursa_platform_operations_event_added_total{kind=\"a\\\"b\\\\c\\nd\"} 1"));
}

TEST(OperationMetrics, KindsPastTheCapAreCountedAsOther) {
  OperationMetrics m;
  for (std::size_t i = 0; i < OperationMetrics::kMaxEventKinds + 10; ++i) {
    m.event_added("kind" + std::to_string(i));
  }
  m.event_added("kind0");  // known kinds keep counting under their own name
  EXPECT_EQ(m.event_added_total("kind0"), 2u);
  EXPECT_EQ(m.event_added_total("other"), 10u);
  EXPECT_EQ(m.event_added_total("kind105"), 0u);
}

TEST(OperationMetrics, ConcurrentUpdatesAreAllCounted) {
  OperationMetrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        m.operation_started();
        m.event_added("e");
        m.operation_completed(OperationStatus::Canceled, 1s);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(m.started_total(), 4000u);
  EXPECT_EQ(m.event_added_total("e"), 4000u);
  EXPECT_EQ(m.completed_total(OperationStatus::Canceled), 4000u);
}

}  // namespace
}  // namespace incursa::platform
