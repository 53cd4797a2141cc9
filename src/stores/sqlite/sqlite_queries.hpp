// list() and count_by_status(): the filtered reads, shaped so that each reads
// one index range per branch, already in list order, at any store size.
//
// A list is a UNION ALL of branches -- one per status of a status set, one per
// name under a name prefix (or per status and name when both are given) -- each
// an ordered range of one index, cut at the page's limit; SQLite merges them.
// A single-column sort over every matching row is what made a page cost the
// whole match set; a branch reads only up to the page. Each branch names its
// index (INDEXED BY), so the plan does not depend on the planner's guesses or on
// statistics, and a missing index fails at prepare time instead of scanning.
//
// Errors: StoreError only.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "incursa/platform/operations/operation_store.hpp"
#include "sqlite_connection.hpp"
#include "sqlite_sql_builder.hpp"

namespace incursa::platform::sqlite {

// A name prefix is read as one branch per name when it covers at most this
// many distinct names (each found with one index seek), else as one range.
inline constexpr std::size_t kMaxNameBranches = 64;

// The distinct names that start with `prefix`, in order, at most `limit` of
// them: one seek of operations_by_name per name (a skip scan).
std::vector<std::string> distinct_names(Connection& c, const std::string& prefix,
                                        std::size_t limit);

// The statement select_list() runs for `request`, given the names under its
// prefix (from distinct_names, or empty when it has none or too many). Exposed
// so tests can EXPLAIN it.
SqlBuilder list_query(const ListRequest& request, const std::vector<std::string>& prefix_names);

std::vector<OperationSnapshot> select_list(Connection& c, const ListRequest& request);

// Exact counts read every match: one pass over the filter's rows.
StatusCounts select_exact_counts(Connection& c, const OperationFilter& filter);

// Counts up to `at_most` + 1 per status (OperationStore::count_by_status): per
// status, the list's index ranges cut at that many entries.
StatusCounts select_status_counts(Connection& c, const OperationFilter& filter,
                                  std::optional<std::int64_t> at_most);

// The statement select_status_counts() runs for one status (in `filter`),
// reading at most `limit` entries. Exposed so tests can EXPLAIN it.
SqlBuilder bounded_count_query(const OperationFilter& filter,
                               const std::vector<std::string>& prefix_names, std::int64_t limit);

// `column IN (?, …)`, one bound value per status of `statuses`.
void append_status_in(SqlBuilder& q, std::string_view column, StatusSet statuses);

}  // namespace incursa::platform::sqlite
