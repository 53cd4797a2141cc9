// How opsctl shows operations, events and timelines: human tables (relative
// times against the given "now", so output is reproducible with --now) and the
// JSON documents --json prints (operation_json.hpp's snake_case encoding).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "incursa/platform/operations/operation_snapshot.hpp"
#include "incursa/platform/operations/purged_operation.hpp"
#include "incursa/platform/operations/timeline.hpp"
#include "incursa/tools/durations.hpp"
#include "incursa/tools/style.hpp"

namespace incursa::platform::opsctl {

using platform::OperationEvent;
using platform::OperationSnapshot;
using platform::Timestamp;

nlohmann::ordered_json snapshot_json(const OperationSnapshot& snapshot);
nlohmann::ordered_json event_json(const OperationEvent& event);
nlohmann::ordered_json snapshots_json(const std::vector<OperationSnapshot>& snapshots);
nlohmann::ordered_json timeline_json(const platform::Timeline& timeline);

// "Running", or "Running, cancel requested" while a request waits for the worker.
std::string status_text(const OperationSnapshot& s);
// "██████░░░░  62%", or "" without a percent.
std::string progress_cell(const OperationSnapshot& s);
// "625/1000 rows", "3 files", or "" without structured progress.
std::string progress_detail(const OperationSnapshot& s);
// Started to completed, or to `now` while still open.
tools::Duration run_time(const OperationSnapshot& s, Timestamp now);
// "2026-01-01T00:05:00Z (3m ago)"
std::string time_and_age(Timestamp t, Timestamp now);

// ID, NAME, STATUS, PROGRESS, STARTED, DURATION, UPDATED.
// One page of a table printed page by page (opsctl list --all): see
// tools::Table::render_page.
std::string render_operations_page(const std::vector<OperationSnapshot>& ops, Timestamp now,
                                   const tools::Style& style, std::vector<std::size_t>& widths,
                                   bool header);
std::string render_operations(const std::vector<OperationSnapshot>& ops, Timestamp now,
                              const tools::Style& style);
// Every field, one per line.
std::string render_show(const OperationSnapshot& s, Timestamp now, const tools::Style& style);
// SEQ, TIME, OFFSET (from `started_at`: the operation's start, or for a purged
// operation its first kept event), KIND, MESSAGE, DATA.
std::string render_events(Timestamp started_at, const std::vector<OperationEvent>& events,
                          const tools::Style& style);
// "was purged at T (name, status, completed T)", with what the tombstone knows.
std::string purged_text(const platform::PurgedOperation& purged);
// A heading, then TIME, OFFSET, SOURCE, WHAT, DETAIL in time order.
std::string render_timeline(const platform::Timeline& timeline, Timestamp now,
                            const tools::Style& style);

}  // namespace incursa::platform::opsctl
