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

// One operation's line. The encodings are operation_json's, written as they
// come: parsing them back into a document only to print it again cost more than
// the store's reads.
void write_operation(std::ostream& out, const OperationSnapshot& snapshot,
                     const std::vector<OperationEvent>& events) {
  std::string line =
      R"({"type":"operation","snapshot":)" + platform::to_json(snapshot) + R"(,"events":[)";
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i > 0) line += ',';
    line += platform::to_json(events[i]);
  }
  line += "]}\n";
  out.write(line.data(), static_cast<std::streamsize>(line.size()));
  if (!out) throw StoreError("cannot write the export: the output failed", false);
}

}  // namespace

ExportSummary export_store(platform::OperationStore& store, std::ostream& out) {
  ExportSummary summary;
  // Pages in the store's (started_at, id) order. Ids that share a start time are
  // put in byte order here (a store may collate ids otherwise), so the rows of
  // the last start time of a page wait for the next page: memory holds a page
  // and one start time's rows, whatever the store's size.
  const auto by_key = [](const OperationSnapshot& a, const OperationSnapshot& b) {
    return Key{a.started_at, a.id.value()} < Key{b.started_at, b.id.value()};
  };
  std::vector<OperationSnapshot> pending;
  platform::ListRequest request;
  request.order = platform::ListOrder::OldestFirst;
  request.limit = kPage;
  for (;;) {
    std::vector<OperationSnapshot> page = store.list(request);
    const bool last = page.size() < kPage;
    if (!page.empty()) request.after = platform::ListCursor{page.back().started_at, page.back().id};
    pending.insert(pending.end(), std::make_move_iterator(page.begin()),
                   std::make_move_iterator(page.end()));
    std::sort(pending.begin(), pending.end(), by_key);
    const auto ready =
        last || pending.empty()
            ? pending.end()
            : std::find_if(pending.begin(), pending.end(), [&](const OperationSnapshot& s) {
                return s.started_at == pending.back().started_at;
              });
    for (auto it = pending.begin(); it != ready; ++it) {
      const std::vector<OperationEvent> events = all_events(store, it->id);
      write_operation(out, *it, events);
      summary.events += events.size();
      ++summary.operations;
    }
    pending.erase(pending.begin(), ready);
    if (last) break;
  }
  summary.audit_events = export_audit_events(store, out);
  out.flush();
  if (!out) throw StoreError("cannot write the export: the output failed", false);
  return summary;
}

}  // namespace incursa::platform::tools
