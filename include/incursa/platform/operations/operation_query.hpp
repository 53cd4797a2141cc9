// Listing and counting operations (contract §5).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "incursa/platform/clock.hpp"
#include "incursa/platform/id.hpp"
#include "incursa/platform/operations/operation_snapshot.hpp"
#include "incursa/platform/operations/operation_status.hpp"

namespace incursa::platform {

// Every filter given must hold. Time ranges are half-open: from <= t < to.
struct OperationFilter {
  StatusSet statuses{};                      // empty: any status
  std::optional<std::string> name{};         // exact
  std::optional<std::string> name_prefix{};  // e.g. "Webhook."
  Tags tags{};                               // each key must have exactly this value
  std::optional<CorrelationId> correlation_id{};
  std::optional<OperationId> parent_id{};
  std::optional<Timestamp> started_from{};
  std::optional<Timestamp> started_to{};
  std::optional<Timestamp> updated_from{};
  std::optional<Timestamp> updated_to{};

  friend bool operator==(const OperationFilter&, const OperationFilter&) = default;
};

enum class ListOrder : std::uint8_t {
  NewestFirst,  // started_at descending, then id descending (the default)
  OldestFirst,  // started_at ascending, then id ascending
};

struct OperationQuery {
  OperationFilter filter{};
  ListOrder order = ListOrder::NewestFirst;
  std::size_t limit = 100;  // 1..1000
  // From a previous page's next_page_token, with the same filter and order.
  std::optional<std::string> page_token{};
};

struct OperationPage {
  std::vector<OperationSnapshot> operations;
  // Present when more rows may follow. Opaque; a token that was altered, or that
  // belongs to another filter or order, is a ValidationError.
  std::optional<std::string> next_page_token;
};

using StatusCounts = std::map<OperationStatus, std::int64_t>;

}  // namespace incursa::platform

namespace incursa::platform {

// True if `snapshot` passes every filter. The reference semantics every store's
// query must agree with (the memory store and live streams use it directly).
bool matches(const OperationFilter& filter, const OperationSnapshot& snapshot);

}  // namespace incursa::platform
