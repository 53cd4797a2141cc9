// export_store: every operation with its events, then every audit event, in an
// order that depends only on the data (see transfer.hpp).
#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "incursa/platform/error.hpp"
#include "incursa/platform/limits.hpp"
#include "incursa/platform/operations/operation_json.hpp"
#include "incursa/tools/audit_json.hpp"
#include "incursa/tools/transfer.hpp"

namespace incursa::platform::tools {

namespace {

using nlohmann::ordered_json;
using platform::AuditEvent;
using platform::OperationEvent;
using platform::OperationId;
using platform::OperationSnapshot;
using platform::StoreError;
using platform::Timestamp;

constexpr std::size_t kPage = 1000;

// (time, id) with ids compared byte-wise: the same order whatever collation a
// store sorts its ids by.
struct Key {
  Timestamp at;
  std::string id;
  bool operator<(const Key& o) const { return at != o.at ? at < o.at : id < o.id; }
  bool operator==(const Key&) const = default;
};

std::vector<Key> operation_keys(platform::OperationStore& store) {
  std::vector<Key> keys;
  platform::ListRequest request;
  request.order = platform::ListOrder::OldestFirst;
  request.limit = kPage;
  for (;;) {
    const std::vector<OperationSnapshot> page = store.list(request);
    for (const OperationSnapshot& s : page) keys.push_back({s.started_at, s.id.value()});
    if (page.size() < kPage) break;
    request.after = platform::ListCursor{page.back().started_at, page.back().id};
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

std::vector<OperationEvent> all_events(platform::OperationStore& store, const OperationId& id) {
  std::vector<OperationEvent> events;
  std::int64_t after = 0;
  for (;;) {
    std::vector<OperationEvent> page = store.events(id, after, platform::limits::kMaxEventPageSize);
    if (page.empty()) break;
    after = page.back().sequence;
    const bool last = page.size() < platform::limits::kMaxEventPageSize;
    events.insert(events.end(), std::make_move_iterator(page.begin()),
                  std::make_move_iterator(page.end()));
    if (last) break;
  }
  return events;
}

void write_line(std::ostream& out, const ordered_json& record) {
  out << record.dump() << '\n';
  if (!out) throw StoreError("cannot write the export: the output failed", false);
}

bool before_cursor(const AuditEvent& e, const platform::AuditCursor& c) {
  return e.occurred_at < c.occurred_at || (e.occurred_at == c.occurred_at && e.id < c.id);
}

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

// Audit events arrive newest first, page by page; they are spooled to a
// temporary file and written oldest first from there, so memory holds only
// their keys.
std::size_t export_audit_events(platform::OperationStore& operations, std::ostream& out) {
  platform::AuditStore* audit = operations.audit();
  if (audit == nullptr) return 0;  // a store that keeps none has none to export
  platform::AuditStore& store = *audit;
  std::unique_ptr<std::FILE, FileCloser> spool(std::tmpfile());
  if (!spool) throw StoreError("cannot export audit events: no temporary file", false);
  struct Spooled {
    Key key;
    long offset;
    std::size_t size;
  };
  std::vector<Spooled> spooled;
  platform::AuditQuery query;
  query.limit = kPage;
  for (;;) {
    const std::vector<AuditEvent> page = store.query_audit_events(query);
    for (const AuditEvent& e : page) {
      // A store that ignored the cursor would hand out the same page forever.
      if (query.before && !before_cursor(e, *query.before)) {
        throw StoreError(std::string(operations.kind()) +
                             " store ignores the audit cursor (AuditQuery::before); its audit "
                             "events cannot be exported completely",
                         false);
      }
      const std::string line =
          ordered_json{{"type", "audit_event"}, {"audit_event", audit_event_to_json(e)}}.dump();
      const long offset = std::ftell(spool.get());
      if (offset < 0 || std::fwrite(line.data(), 1, line.size(), spool.get()) != line.size()) {
        throw StoreError("cannot export audit events: the temporary file failed", false);
      }
      spooled.push_back({{e.occurred_at, e.id.value()}, offset, line.size()});
    }
    if (page.size() < kPage) break;
    query.before = platform::AuditCursor{page.back().occurred_at, page.back().id};
  }
  std::sort(spooled.begin(), spooled.end(),
            [](const Spooled& a, const Spooled& b) { return a.key < b.key; });
  std::string line;
  for (const Spooled& s : spooled) {
    line.resize(s.size);
    if (std::fseek(spool.get(), s.offset, SEEK_SET) != 0 ||
        std::fread(line.data(), 1, s.size, spool.get()) != s.size) {
      throw StoreError("cannot export audit events: the temporary file failed", false);
    }
    out << line << '\n';
    if (!out) throw StoreError("cannot write the export: the output failed", false);
  }
  return spooled.size();
}

}  // namespace

ExportSummary export_store(platform::OperationStore& store, std::ostream& out) {
  ExportSummary summary;
  for (const Key& key : operation_keys(store)) {
    const OperationId id = OperationId::parse(key.id);
    const std::optional<OperationSnapshot> snapshot = store.get(id);
    if (!snapshot) continue;  // purged since it was listed
    ordered_json events = ordered_json::array();
    for (const OperationEvent& e : all_events(store, id)) {
      events.push_back(ordered_json::parse(platform::to_json(e)));
      ++summary.events;
    }
    write_line(out, ordered_json{{"type", "operation"},
                                 {"snapshot", ordered_json::parse(platform::to_json(*snapshot))},
                                 {"events", std::move(events)}});
    ++summary.operations;
  }
  summary.audit_events = export_audit_events(store, out);
  out.flush();
  if (!out) throw StoreError("cannot write the export: the output failed", false);
  return summary;
}

}  // namespace incursa::platform::tools
