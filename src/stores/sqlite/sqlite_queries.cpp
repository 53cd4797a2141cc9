#include "sqlite_queries.hpp"

#include <exception>
#include <optional>
#include <string>
#include <utility>

#include "incursa/platform/operations/store_support.hpp"
#include "sqlite_rows.hpp"

namespace incursa::platform::sqlite {

namespace {

// Branches of one compound SELECT: SQLite allows 500; a few dozen index ranges
// already cost more to prepare than a page costs to read.
constexpr std::size_t kMaxBranches = 64;

// The list's columns, qualified: a tag-driven branch joins operation_tags, which
// also has started_at.
const std::string& qualified_columns() {
  static const std::string columns = [] {
    std::string in = INCURSA_SQLITE_OPERATION_COLUMNS;
    std::string out = "o.";
    for (char ch : in) {
      out += ch;
      if (ch == ' ') out += "o.";
    }
    return out;
  }();
  return columns;
}

std::optional<std::int64_t> micros_ceil(const std::optional<Timestamp>& t) {
  if (!t) return std::nullopt;
  return to_micros_ceil(*t);
}

std::vector<OperationStatus> statuses_of(StatusSet set) {
  std::vector<OperationStatus> out;
  for (int i = 0; i < kOperationStatusCount; ++i) {
    const auto status = static_cast<OperationStatus>(i);
    if (set.contains(status)) out.push_back(status);
  }
  return out;
}

// What one branch pins, beyond the request's filter.
struct Branch {
  std::optional<OperationStatus> status;
  std::optional<std::string> name;
};

// The index every branch reads, and the branches. A null index means the
// branches are driven by the first tag's ranges of operation_tags_by_status,
// one per status.
struct ListPlan {
  const char* index = "operations_by_started";
  std::vector<Branch> branches{Branch{}};
};

// The most selective filter drives: a correlation or parent (a handful of rows),
// then the change feed's updated_at (what changed since the last poll), then a
// tag, then names (exact, or the distinct names under a prefix), then statuses,
// then time alone. Every index ends in (started_at, id), so a time range and the
// page's keyset narrow each branch.
ListPlan plan_list(const OperationFilter& f, const std::vector<std::string>& prefix_names) {
  ListPlan plan;
  if (f.correlation_id) {
    plan.index = "operations_by_correlation";
    return plan;
  }
  if (f.parent_id) {
    plan.index = "operations_by_parent";
    return plan;
  }
  const std::vector<OperationStatus> statuses = statuses_of(f.statuses);
  // The change feed: what changed since the last poll, a narrow recent range of
  // updated_at, however many rows share its statuses or names.
  if (f.updated_from && !f.started_from && !f.started_to && f.tags.empty()) {
    plan.index = "operations_by_updated";
    return plan;
  }
  if (!f.tags.empty()) {
    plan.index = nullptr;
    plan.branches.clear();
    for (const OperationStatus s :
         statuses_of(f.statuses.empty() ? StatusSet::all() : f.statuses)) {
      plan.branches.push_back(Branch{s, std::nullopt});
    }
    return plan;
  }
  std::vector<std::string> names;
  if (f.name) {
    names = {*f.name};
  } else if (f.name_prefix) {
    names = prefix_names;
  }
  if (!names.empty() && !statuses.empty() && names.size() * statuses.size() <= kMaxBranches) {
    plan.index = "operations_by_status_name";
    plan.branches.clear();
    for (const OperationStatus s : statuses) {
      for (const std::string& n : names) plan.branches.push_back(Branch{s, n});
    }
    return plan;
  }
  // A status set with too many names: the statuses drive, the prefix filters.
  if (!statuses.empty()) {
    plan.index = "operations_by_status";
    plan.branches.clear();
    for (const OperationStatus s : statuses) plan.branches.push_back(Branch{s, std::nullopt});
    return plan;
  }
  if (!names.empty() && names.size() <= kMaxBranches) {
    plan.index = "operations_by_name";
    plan.branches.clear();
    for (const std::string& n : names) plan.branches.push_back(Branch{std::nullopt, n});
    return plan;
  }
  return plan;
}

void append_tag(SqlBuilder& q, const std::string& key, const std::string& value,
                const char* id_column = "o.id") {
  q.where()
      .sql("EXISTS (SELECT 1 FROM operation_tags AS x WHERE x.operation_id = ")
      .sql(id_column)
      .sql(" AND x.key = ")
      .value(key)
      .sql(" AND x.value = ")
      .value(value)
      .sql(")");
}

// The SQL form of matches(filter, snapshot) (operation_query.hpp), which is the
// reference, less what `branch` already pins and the tag `driving_tag` reads.
void append_filter(SqlBuilder& q, const OperationFilter& f, const Branch& branch,
                   const std::string* driving_tag) {
  if (branch.status) {
    q.where().sql("o.status = ").value(std::string(to_string(*branch.status)));
  } else if (!f.statuses.empty()) {
    append_status_in(q.where(), "o.status", f.statuses);
  }
  if (branch.name) {
    q.where().sql("o.name = ").value(*branch.name);
  } else {
    if (f.name) q.where().sql("o.name = ").value(*f.name);
    if (f.name_prefix) q.where().starts_with("o.name", *f.name_prefix);
  }
  // A branch's name is one found under the prefix, or else the exact name,
  // which the prefix must still admit.
  if (branch.name && f.name && f.name_prefix) q.where().starts_with("o.name", *f.name_prefix);
  for (const auto& [key, value] : f.tags) {
    if (driving_tag != nullptr && key == *driving_tag) continue;
    append_tag(q, key, value);
  }
  if (f.correlation_id) q.where().sql("o.correlation_id = ").value(f.correlation_id->value());
  if (f.parent_id) q.where().sql("o.parent_id = ").value(f.parent_id->value());
  // Half-open ranges: for whole-microsecond t, t >= from exactly when
  // t >= ceil(from), and t < to exactly when t < ceil(to).
  if (auto from = micros_ceil(f.started_from)) q.where().sql("o.started_at >= ").value(*from);
  if (auto to = micros_ceil(f.started_to)) q.where().sql("o.started_at < ").value(*to);
  if (auto from = micros_ceil(f.updated_from)) q.where().sql("o.updated_at >= ").value(*from);
  if (auto to = micros_ceil(f.updated_to)) q.where().sql("o.updated_at < ").value(*to);
}

// Whether a tag-driven branch can answer from operation_tags alone: nothing
// but tags, statuses and a start range (the driving tag's index holds them;
// further tags are probes of the primary key).
bool tag_index_suffices(const OperationFilter& f) {
  return !f.name && !f.name_prefix && !f.correlation_id && !f.parent_id && !f.updated_from &&
         !f.updated_to;
}

// What a branch selects: whole rows (a list of one branch), the row's keyset
// (the branches of a list, merged before any row is read), or only that a row
// is there (a bounded count). Keys and presence may come from an index alone.
enum class Select : std::uint8_t { Rows, Keys, Presence };

// One branch: an ordered index range, cut at `limit` rows.
void append_branch(SqlBuilder& q, const ListRequest& request, const ListPlan& plan,
                   const Branch& branch, Select select, std::int64_t limit) {
  const bool newest_first = request.order == ListOrder::NewestFirst;
  const std::string* driving_tag = nullptr;
  // Rows come in the order of the driving index's (started_at, id) columns.
  std::string time_column = "o.started_at";
  std::string id_column = "o.id";
  if (plan.index == nullptr) {
    time_column = "t.started_at";
    id_column = "t.operation_id";
  }
  q.next_select().sql("SELECT ");
  if (select == Select::Rows) q.sql(qualified_columns());
  if (select == Select::Keys) q.sql(time_column + " AS started_at, " + id_column + " AS id");
  if (select == Select::Presence) q.sql("1");
  if (plan.index == nullptr) {
    const auto& [key, value] = *request.filter.tags.begin();
    driving_tag = &key;
    q.sql(" FROM operation_tags AS t INDEXED BY operation_tags_by_status");
    const bool tags_only = select != Select::Rows && tag_index_suffices(request.filter);
    // CROSS JOIN keeps operation_tags the outer loop: SQLite never reorders it.
    if (!tags_only) q.sql(" CROSS JOIN operations AS o");
    q.where().sql("t.key = ").value(key).sql(" AND t.value = ").value(value);
    q.where().sql("t.status = ").value(std::string(to_string(*branch.status)));
    if (tags_only) {
      const OperationFilter& f = request.filter;
      if (auto from = micros_ceil(f.started_from)) q.where().sql("t.started_at >= ").value(*from);
      if (auto to = micros_ceil(f.started_to)) q.where().sql("t.started_at < ").value(*to);
      for (const auto& [other, other_value] : f.tags) {
        if (other != key) append_tag(q, other, other_value, "t.operation_id");
      }
    } else {
      q.where().sql("o.id = t.operation_id");
      append_filter(q, request.filter, branch, driving_tag);
    }
  } else {
    q.sql(" FROM operations AS o INDEXED BY ").sql(plan.index);
    append_filter(q, request.filter, branch, driving_tag);
  }
  if (request.after) {
    // Keyset paging: strictly after the last row of the previous page, so rows
    // inserted meanwhile neither repeat nor shift a page.
    q.where()
        .sql("(" + time_column + ", " + id_column + ")")
        .sql(newest_first ? " < (" : " > (")
        .value(to_micros(request.after->started_at))
        .sql(", ")
        .value(request.after->id.value())
        .sql(")");
  }
  const char* direction = newest_first ? " DESC" : "";
  q.sql(" ORDER BY " + time_column + direction + ", " + id_column + direction + " LIMIT ")
      .value(limit);
}

// Every branch of `plan`, as a UNION ALL of subqueries.
void append_branches(SqlBuilder& q, const ListRequest& request, const ListPlan& plan, Select select,
                     std::int64_t limit) {
  bool first = true;
  for (const Branch& branch : plan.branches) {
    q.sql(first ? "SELECT * FROM (" : " UNION ALL SELECT * FROM (");
    append_branch(q, request, plan, branch, select, limit);
    q.sql(")");
    first = false;
  }
}

}  // namespace

void append_status_in(SqlBuilder& q, std::string_view column, StatusSet statuses) {
  q.sql(column).sql(" IN (");
  bool first = true;
  for (const OperationStatus status : statuses_of(statuses)) {
    if (!first) q.sql(", ");
    q.value(std::string(to_string(status)));
    first = false;
  }
  q.sql(")");
}

std::vector<std::string> distinct_names(Connection& c, const std::string& prefix,
                                        std::size_t limit) {
  std::vector<std::string> names;
  const std::optional<std::string> upper = prefix_successor(prefix);
  // min(name) over a range is one seek of operations_by_name.
  const char* first_sql = upper ? "SELECT MIN(name) FROM operations WHERE name >= ?1 AND name < ?2"
                                : "SELECT MIN(name) FROM operations WHERE name >= ?1";
  const char* next_sql = upper ? "SELECT MIN(name) FROM operations WHERE name > ?1 AND name < ?2"
                               : "SELECT MIN(name) FROM operations WHERE name > ?1";
  while (names.size() < limit) {
    auto seek = c.prepare(names.empty() ? first_sql : next_sql);
    seek.bind(1, names.empty() ? prefix : names.back());
    if (upper) seek.bind(2, *upper);
    if (!seek.step() || seek.is_null(0)) break;
    names.push_back(seek.column_text(0));
  }
  return names;
}

SqlBuilder list_query(const ListRequest& request, const std::vector<std::string>& prefix_names) {
  const ListPlan plan = plan_list(request.filter, prefix_names);
  const std::int64_t limit = clamp_limit(request.limit);
  SqlBuilder q;
  if (plan.branches.size() == 1) {
    append_branch(q, request, plan, plan.branches.front(), Select::Rows, limit);
    return q;
  }
  // The branches merge keys, which their indexes hold; only the page's rows
  // are then read from operations. Merging whole rows read a row for every key
  // each branch offered, most of them cut by the merge.
  q.sql("SELECT ").sql(qualified_columns()).sql(" FROM (");
  append_branches(q, request, plan, Select::Keys, limit);
  const char* order = request.order == ListOrder::NewestFirst ? " DESC" : "";
  q.sql(std::string(" ORDER BY started_at") + order + ", id" + order + " LIMIT ")
      .value(limit)
      .sql(") AS k CROSS JOIN operations AS o ON o.id = k.id ORDER BY k.started_at")
      .sql(order)
      .sql(", k.id")
      .sql(order);
  return q;
}

SqlBuilder bounded_count_query(const OperationFilter& filter,
                               const std::vector<std::string>& prefix_names, std::int64_t limit) {
  const ListRequest request{.filter = filter};
  const ListPlan plan = plan_list(filter, prefix_names);
  SqlBuilder q;
  q.sql("SELECT COUNT(*) FROM (");
  append_branches(q, request, plan, Select::Presence, limit);
  q.sql(" LIMIT ").value(limit).sql(")");
  return q;
}

std::optional<std::vector<std::string>> prefix_names(Connection& c, const OperationFilter& filter) {
  const auto& prefix = filter.name_prefix;
  if (!prefix || prefix->empty() || filter.name) return std::vector<std::string>{};
  std::vector<std::string> names = distinct_names(c, *prefix, kMaxNameBranches + 1);
  if (names.empty()) return std::nullopt;  // no name starts with it
  if (names.size() > kMaxNameBranches) names.clear();
  return names;
}

std::vector<OperationSnapshot> select_list(Connection& c, const ListRequest& request) {
  std::vector<OperationSnapshot> result;
  if (request.limit == 0) return result;
  const auto names = prefix_names(c, request.filter);
  if (!names) return result;
  const SqlBuilder q = list_query(request, *names);
  auto rows = c.prepare(q.text());
  q.bind_all(rows);
  while (rows.step()) result.push_back(read_operation(rows, c.display_name()));
  return result;
}

StatusCounts select_status_counts(Connection& c, const OperationFilter& filter,
                                  std::optional<std::int64_t> at_most) {
  if (!at_most) return select_exact_counts(c, filter);
  StatusCounts counts;
  const auto names = prefix_names(c, filter);
  if (!names) return counts;
  const StatusSet wanted = filter.statuses.empty() ? StatusSet::all() : filter.statuses;
  for (const OperationStatus status : statuses_of(wanted)) {
    OperationFilter one = filter;
    one.statuses = {status};
    const SqlBuilder q = bounded_count_query(one, *names, *at_most + 1);
    auto row = c.prepare(q.text());
    q.bind_all(row);
    if (row.step() && row.column_int(0) > 0) counts[status] = row.column_int(0);
  }
  return counts;
}

StatusCounts select_exact_counts(Connection& c, const OperationFilter& filter) {
  SqlBuilder q;
  q.sql("SELECT o.status, COUNT(*) FROM operations AS o");
  append_filter(q, filter, Branch{}, nullptr);
  q.sql(" GROUP BY o.status");
  auto rows = c.prepare(q.text());
  q.bind_all(rows);
  StatusCounts counts;
  while (rows.step()) {
    const std::string status = rows.column_text(0);
    try {
      counts[parse_operation_status(status)] = rows.column_int(1);
    } catch (const std::exception&) {
      throw_store_error(c.display_name(), "counting operations",
                        "unknown status '" + status + "' in the file", false);
    }
  }
  return counts;
}

}  // namespace incursa::platform::sqlite
