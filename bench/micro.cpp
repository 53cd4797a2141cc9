// bench/micro: Google Benchmark for the hot paths that run on every call, before
// any store is touched: id generation, input validation, the JSON encodings,
// page tokens and traceparent parsing (docs/performance.md, "Micro paths").
//
//   micro [--benchmark_filter=REGEX] [--benchmark_repetitions=3] ...
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "base/validation.hpp"
#include "correlation/correlation_validation.hpp"
#include "incursa/platform/platform.hpp"
#include "operations/operation_rules.hpp"
#include "operations/page_token.hpp"

namespace ip = incursa::platform;

namespace {

ip::OperationSnapshot sample_snapshot() {
  ip::OperationSnapshot s;
  s.id = ip::OperationId::parse("0190a1b2c3d4e5f60718293a4b5c6d7e");
  s.name = "Webhook.Deliver";
  s.status = ip::OperationStatus::Running;
  s.started_at = ip::Timestamp(std::chrono::microseconds(1'720'000'000'000'000));
  s.updated_at = s.started_at + std::chrono::seconds(3);
  s.last_progress_at = s.updated_at;
  s.percent = 42.5;
  s.message = "delivering batch 3 of 8";
  s.progress = ip::StructuredProgress{.current = 3, .total = 8, .unit = "batches"};
  s.tags = {{"tenant", "acme"}, {"region", "eu-west-1"}, {"priority", "high"}};
  s.version = 7;
  return s;
}

void BM_GenerateId(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ip::OperationId::generate());
}
BENCHMARK(BM_GenerateId)->ThreadRange(1, 2)->UseRealTime();

void BM_ParseId(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(ip::OperationId::parse("0190a1b2c3d4e5f60718293a4b5c6d7e"));
  }
}
BENCHMARK(BM_ParseId);

// What Tracker::start checks: the name, the tags and the correlation context.
void BM_ValidateStartRequest(benchmark::State& state) {
  const ip::Tags tags{{"tenant", "acme"}, {"region", "eu-west-1"}, {"priority", "high"}};
  ip::CorrelationContext correlation;
  correlation.correlation_id = ip::CorrelationId::parse("req-7f3a9c");
  correlation.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  correlation.span_id = "00f067aa0ba902b7";
  for (auto _ : state) {
    benchmark::DoNotOptimize(ip::validation::operation_name("Webhook.Deliver"));
    ip::validation::tags(tags);
    ip::validation::correlation(correlation);
  }
}
BENCHMARK(BM_ValidateStartRequest);

// What Tracker::update_progress checks.
void BM_ValidateProgress(benchmark::State& state) {
  const std::optional<ip::StructuredProgress> progress =
      ip::StructuredProgress{.current = 3, .total = 8, .unit = "batches"};
  for (auto _ : state) {
    ip::validation::percent(42.5);
    ip::validation::progress(progress);
    benchmark::DoNotOptimize(ip::validation::message("delivering batch 3 of 8"));
  }
}
BENCHMARK(BM_ValidateProgress);

// An event's data JSON: parsed, checked (depth, size) and kept.
void BM_ValidateDataJson(benchmark::State& state) {
  const std::string json =
      R"({"attempt":3,"status":503,"url":"https://hooks.example.com/x","retry_in_ms":1500,)"
      R"("headers":{"content-type":"application/json","x-request-id":"7f3a9c"}})";
  for (auto _ : state) benchmark::DoNotOptimize(ip::validation::data_json(json));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(json.size()));
}
BENCHMARK(BM_ValidateDataJson);

void BM_SnapshotToJson(benchmark::State& state) {
  const ip::OperationSnapshot s = sample_snapshot();
  for (auto _ : state) benchmark::DoNotOptimize(ip::to_json(s));
}
BENCHMARK(BM_SnapshotToJson);

void BM_SnapshotFromJson(benchmark::State& state) {
  const std::string json = ip::to_json(sample_snapshot());
  for (auto _ : state) benchmark::DoNotOptimize(ip::snapshot_from_json(json));
}
BENCHMARK(BM_SnapshotFromJson);

void BM_TagsToJson(benchmark::State& state) {
  const ip::Tags tags = sample_snapshot().tags;
  for (auto _ : state) benchmark::DoNotOptimize(ip::to_json(tags));
}
BENCHMARK(BM_TagsToJson);

ip::OperationFilter sample_filter() {
  ip::OperationFilter filter;
  filter.statuses = ip::StatusSet{ip::OperationStatus::Running};
  filter.name_prefix = "Webhook.";
  filter.tags = {{"tenant", "acme"}};
  return filter;
}

void BM_PageTokenEncode(benchmark::State& state) {
  const ip::OperationFilter filter = sample_filter();
  const ip::ListCursor cursor{.started_at = sample_snapshot().started_at,
                              .id = sample_snapshot().id};
  for (auto _ : state) {
    benchmark::DoNotOptimize(ip::page_token::encode(cursor, filter, ip::ListOrder::NewestFirst));
  }
}
BENCHMARK(BM_PageTokenEncode);

void BM_PageTokenDecode(benchmark::State& state) {
  const ip::OperationFilter filter = sample_filter();
  const ip::ListCursor cursor{.started_at = sample_snapshot().started_at,
                              .id = sample_snapshot().id};
  const std::string token = ip::page_token::encode(cursor, filter, ip::ListOrder::NewestFirst);
  for (auto _ : state) {
    benchmark::DoNotOptimize(ip::page_token::decode(token, filter, ip::ListOrder::NewestFirst));
  }
}
BENCHMARK(BM_PageTokenDecode);

void BM_TraceparentParse(benchmark::State& state) {
  const std::string header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  for (auto _ : state) benchmark::DoNotOptimize(ip::parse_traceparent(header));
}
BENCHMARK(BM_TraceparentParse);

void BM_TraceparentFormat(benchmark::State& state) {
  const ip::TraceParent value =
      ip::parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  for (auto _ : state) benchmark::DoNotOptimize(ip::format_traceparent(value));
}
BENCHMARK(BM_TraceparentFormat);

}  // namespace

BENCHMARK_MAIN();
