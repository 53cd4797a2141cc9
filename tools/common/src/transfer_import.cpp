// import_records: check every line, then write every record (see transfer.hpp).
#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "incursa/platform/audit/audit_validator.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/operation_json_value.hpp"
#include "incursa/platform/operations/operation_validation.hpp"
#include "incursa/tools/audit_json.hpp"
#include "incursa/tools/transfer.hpp"

namespace incursa::platform::tools {

namespace {

using nlohmann::ordered_json;
using platform::ValidationError;

struct Record {
  bool is_operation = false;
  platform::OperationSnapshot snapshot{};
  std::vector<platform::OperationEvent> events{};
  platform::AuditEvent audit{};
  const std::string& id() const { return is_operation ? snapshot.id.value() : audit.id.value(); }
};

void only_keys(const ordered_json& j, std::initializer_list<const char*> known,
               const std::string& where) {
  for (const auto& [key, value] : j.items()) {
    bool ok = false;
    for (const char* k : known) ok = ok || key == k;
    if (!ok) throw ValidationError(where + key, "unknown field");
  }
}

// Runs `decode`, naming the field at fault from the record's top: "snapshot.name".
template <class F>
auto within(const std::string& prefix, F&& decode) {
  try {
    return decode();
  } catch (const ValidationError& e) {
    throw ValidationError(prefix + e.field(), e.rule());
  }
}

Record parse_operation(const ordered_json& j) {
  only_keys(j, {"type", "snapshot", "events"}, "");
  const auto snapshot = j.find("snapshot");
  if (snapshot == j.end() || !snapshot->is_object()) {
    throw ValidationError("snapshot", "must be an object");
  }
  only_keys(*snapshot,
            {"id", "name", "status", "started_at", "updated_at", "last_progress_at", "completed_at",
             "percent", "message", "progress", "correlation", "parent_id", "tags",
             "cancel_requested_at", "cancel_reason", "stall_count", "version"},
            "snapshot.");
  Record r;
  r.is_operation = true;
  r.snapshot = within("snapshot.", [&] { return platform::snapshot_from_json_value(*snapshot); });
  within("snapshot.", [&] {
    platform::validate_snapshot(r.snapshot);
    return 0;
  });
  const auto events = j.find("events");
  if (events == j.end() || !events->is_array()) throw ValidationError("events", "must be an array");
  for (std::size_t i = 0; i < events->size(); ++i) {
    const std::string at = "events[" + std::to_string(i) + "].";
    const ordered_json& e = (*events)[i];
    if (!e.is_object()) throw ValidationError(at.substr(0, at.size() - 1), "must be an object");
    only_keys(e, {"operation_id", "sequence", "occurred_at", "kind", "message", "data_json", "key"},
              at);
    r.events.push_back(within(at, [&] { return platform::event_from_json_value(e); }));
  }
  platform::validate_events(r.snapshot, r.events);
  return r;
}

Record parse_audit(const ordered_json& j) {
  only_keys(j, {"type", "audit_event"}, "");
  const auto event = j.find("audit_event");
  if (event == j.end()) throw ValidationError("audit_event", "is required");
  Record r;
  r.audit = audit_event_from_json(*event);
  const platform::AuditValidationResult checked = platform::validate_audit_event(r.audit);
  if (!checked.valid()) {
    std::string rule;
    for (const std::string& error : checked.errors) rule += (rule.empty() ? "" : " ") + error;
    throw ValidationError("audit_event", rule);
  }
  return r;
}

Record parse_record(const std::string& line) {
  // Records nest a few levels; the cap (checked while parsing, which is iterative)
  // keeps hostile nesting away from dump() and copies, which recurse per level.
  constexpr int kMaxRecordDepth = 64;
  const ordered_json::parser_callback_t limit_depth =
      [](int depth, ordered_json::parse_event_t event, ordered_json&) {
        if ((event == ordered_json::parse_event_t::object_start ||
             event == ordered_json::parse_event_t::array_start) &&
            depth >= kMaxRecordDepth) {
          throw ValidationError("json", "must not nest deeper than 64 levels");
        }
        return true;
      };
  ordered_json j;
  try {
    j = ordered_json::parse(line, limit_depth);
  } catch (const ordered_json::exception& e) {
    throw ValidationError("json", std::string("is not valid JSON (") + e.what() + ")");
  }
  if (!j.is_object()) throw ValidationError("record", "must be a JSON object");
  const auto type = j.find("type");
  if (type != j.end() && *type == "operation") return parse_operation(j);
  if (type != j.end() && *type == "audit_event") return parse_audit(j);
  throw ValidationError("type", "must be \"operation\" or \"audit_event\"");
}

bool blank(const std::string& line) { return line.find_first_not_of(" \t\r") == std::string::npos; }

// Calls visit(where, record) for every record of `in`, from its start.
template <class F>
void for_each_record(std::istream& in, const ImportOptions& options, F&& visit) {
  in.clear();
  in.seekg(0);
  if (!in) throw ValidationError(options.source, "cannot be read from the start (not a file?)");
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (blank(line)) continue;
    const std::string where = options.source + " line " + std::to_string(number);
    Record record;
    try {
      record = parse_record(line);
    } catch (const ValidationError& e) {
      throw ValidationError(where + ": " + e.field(), e.rule());
    }
    visit(where, std::move(record));
  }
  if (in.bad()) throw ValidationError(options.source, "could not be read to the end");
}

// The ids of one kind of record, as 8-byte hashes: memory stays small at any
// size (80 MB for ten million records) where a set of the ids themselves took
// gigabytes. Equal hashes are only candidates; find_repeated() confirms them.
class IdHashes {
 public:
  void add(const std::string& id) { hashes_.push_back(std::hash<std::string>{}(id)); }

  // The hashes seen more than once.
  std::unordered_set<std::uint64_t> repeated() {
    std::sort(hashes_.begin(), hashes_.end());
    std::unordered_set<std::uint64_t> out;
    for (std::size_t i = 1; i < hashes_.size(); ++i) {
      if (hashes_[i] == hashes_[i - 1]) out.insert(hashes_[i]);
    }
    hashes_ = {};
    return out;
  }

 private:
  std::vector<std::uint64_t> hashes_;
};

// Throws for the first record whose id an earlier record of its kind has, if
// any; `candidates` are the hashes seen more than once.
void find_repeated(std::istream& in, const ImportOptions& options,
                   const std::unordered_set<std::uint64_t>& operation_candidates,
                   const std::unordered_set<std::uint64_t>& audit_candidates) {
  std::unordered_map<std::string, std::string> first_seen[2];
  for_each_record(in, options, [&](const std::string& where, const Record& r) {
    const auto& candidates = r.is_operation ? operation_candidates : audit_candidates;
    if (!candidates.contains(std::hash<std::string>{}(r.id()))) return;
    auto& seen = first_seen[r.is_operation ? 0 : 1];
    if (const auto [it, fresh] = seen.emplace(r.id(), where); !fresh) {
      const char* what = r.is_operation ? "operation" : "audit event";
      throw ValidationError(where, std::string(what) + " '" + r.id() +
                                       "' appears twice (first at " + it->second + ")");
    }
  });
}

// Ids to look up in the target store, asked in batches.
class TakenCheck {
 public:
  explicit TakenCheck(platform::TransferStore& transfer) : transfer_(transfer) {}

  void add(const platform::OperationId& id, const std::string& where) {
    ids_.push_back(id);
    wheres_.push_back(where);
    if (ids_.size() == kBatch) flush();
  }

  void flush() {
    const std::vector<platform::OperationId> taken = transfer_.taken(ids_);
    if (!taken.empty()) {
      const auto at = std::find(ids_.begin(), ids_.end(), taken.front()) - ids_.begin();
      throw platform::ConflictError(wheres_[static_cast<std::size_t>(at)] + ": operation '" +
                                    taken.front().value() + "' already exists in the target store");
    }
    ids_.clear();
    wheres_.clear();
  }

 private:
  static constexpr std::size_t kBatch = 1000;
  platform::TransferStore& transfer_;
  std::vector<platform::OperationId> ids_;
  std::vector<std::string> wheres_;
};

// Operations to a transaction: large enough that the commit is a small part of
// the cost, small enough that a batch's records stay a few megabytes.
constexpr std::size_t kImportBatch = 1000;

// Operations waiting to be written in one restore_batch(); audit events are
// written one at a time, after the operations before them.
class Writer {
 public:
  Writer(platform::TransferStore& transfer, platform::AuditStore* audit,
         const ImportOptions& options)
      : transfer_(transfer), audit_(audit), options_(options) {}

  void add(const std::string& where, Record&& r) {
    if (!r.is_operation) {
      flush();
      write_audit(where, r.audit);
      return;
    }
    batch_wheres_.push_back(where);
    batch_.push_back({std::move(r.snapshot), std::move(r.events)});
    if (batch_.size() == kImportBatch) flush();
  }

  void flush() {
    if (batch_.empty()) return;
    const std::vector<bool> written = transfer_.restore_batch(batch_);
    std::optional<std::size_t> conflict;
    for (std::size_t i = 0; i < batch_.size(); ++i) {
      if (written[i]) {
        ++summary_.operations;
        summary_.events += batch_[i].events.size();
      } else if (options_.skip_existing) {
        ++summary_.skipped_operations;
      } else if (!conflict) {
        conflict = i;  // written by someone else since the check
      }
    }
    done_through_ = batch_wheres_.back();
    std::string refused;
    if (conflict) {
      refused = batch_wheres_[*conflict] + ": operation '" +
                batch_[*conflict].operation.id.value() + "' already exists in the target store";
    }
    batch_.clear();
    batch_wheres_.clear();
    if (conflict) throw platform::ConflictError(refused);
  }

  // What a failure at this point leaves written, for its message.
  std::string written_so_far() const {
    return "written before the failure: " + std::to_string(summary_.operations) +
           " operations and " + std::to_string(summary_.audit_events) + " audit events" +
           (done_through_.empty() ? "" : ", the records through " + done_through_) +
           " (run the import again with --skip-existing to finish it)";
  }

  const ImportSummary& summary() const { return summary_; }

 private:
  void write_audit(const std::string& where, const platform::AuditEvent& event) {
    if (audit_->append_audit_event(event)) {
      ++summary_.audit_events;
    } else if (options_.skip_existing) {
      ++summary_.skipped_audit_events;
    } else {
      throw platform::ConflictError(where + ": audit event '" + event.id.value() +
                                    "' already exists in the target store");
    }
    done_through_ = where;
  }

  platform::TransferStore& transfer_;
  platform::AuditStore* audit_;
  const ImportOptions& options_;
  std::vector<platform::RestoreRecord> batch_;
  std::vector<std::string> batch_wheres_;
  std::string done_through_;  // the last record written or skipped
  ImportSummary summary_;
};

// A record of pass 2 and where it came from.
struct Parsed {
  std::string where;
  Record record;
};

// Chunks of records from the reading thread to the writing one: at most two
// waiting, so memory holds a few batches however long the input.
class RecordPipe {
 public:
  struct Abandoned {};

  // False once the writer gave up: stop reading.
  bool push(std::vector<Parsed>&& chunk) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return queue_.size() < kMaxWaiting || abandoned_; });
    if (abandoned_) return false;
    queue_.push_back(std::move(chunk));
    changed_.notify_all();
    return true;
  }

  // The next chunk, or nothing once the reader closed and all were taken.
  std::optional<std::vector<Parsed>> pop() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !queue_.empty() || closed_; });
    if (queue_.empty()) return std::nullopt;
    std::vector<Parsed> chunk = std::move(queue_.front());
    queue_.pop_front();
    changed_.notify_all();
    return chunk;
  }

  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    changed_.notify_all();
  }

  void abandon() {
    std::lock_guard lock(mutex_);
    abandoned_ = true;
    changed_.notify_all();
  }

 private:
  static constexpr std::size_t kMaxWaiting = 2;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<Parsed>> queue_;
  bool closed_ = false;
  bool abandoned_ = false;
};

}  // namespace

ImportSummary import_records(platform::OperationStore& store, std::istream& in,
                             const ImportOptions& options) {
  platform::TransferStore* transfer = store.transfer();
  platform::AuditStore* audit = store.audit();
  const auto cannot_import = [&](const char* what) {
    return platform::StoreError(std::string(store.kind()) + " store cannot import " + what, false);
  };
  if (transfer == nullptr) throw cannot_import("operations");

  // Pass 1: nothing is written unless every line is good.
  IdHashes operation_ids;
  IdHashes audit_ids;
  TakenCheck taken(*transfer);
  for_each_record(in, options, [&](const std::string& where, const Record& r) {
    if (!r.is_operation && audit == nullptr) throw cannot_import("audit events");
    (r.is_operation ? operation_ids : audit_ids).add(r.id());
    if (r.is_operation && !options.skip_existing) taken.add(r.snapshot.id, where);
  });
  const auto repeated_operations = operation_ids.repeated();
  const auto repeated_audit = audit_ids.repeated();
  if (!repeated_operations.empty() || !repeated_audit.empty()) {
    find_repeated(in, options, repeated_operations, repeated_audit);
  }
  if (!options.skip_existing) taken.flush();

  // Pass 2: write, kImportBatch operations to a transaction. This thread reads
  // and decodes while another writes the batch before: on two cores the JSON
  // and the store's work overlap.
  Writer writer(*transfer, audit, options);
  RecordPipe pipe;
  std::exception_ptr write_error;
  {
    std::jthread write_thread([&] {
      try {
        while (std::optional<std::vector<Parsed>> chunk = pipe.pop()) {
          for (Parsed& p : *chunk) writer.add(p.where, std::move(p.record));
        }
        writer.flush();
      } catch (...) {
        write_error = std::current_exception();
        pipe.abandon();
      }
    });
    // However reading ends -- done, or a line that changed since pass 1 -- the
    // writer is told, before the thread is joined.
    struct CloseOnExit {
      RecordPipe& pipe;
      ~CloseOnExit() { pipe.close(); }
    } close_on_exit{pipe};
    std::vector<Parsed> chunk;
    std::size_t operations = 0;
    try {
      for_each_record(in, options, [&](const std::string& where, Record&& r) {
        operations += r.is_operation ? 1 : 0;
        chunk.push_back({where, std::move(r)});
        if (operations == kImportBatch) {
          if (!pipe.push(std::move(chunk))) throw RecordPipe::Abandoned();
          chunk.clear();
          operations = 0;
        }
      });
      if (!chunk.empty()) pipe.push(std::move(chunk));
    } catch (const RecordPipe::Abandoned&) {
      // The writer failed; its error is the one to report.
    }
  }  // closes the pipe, then joins the writer
  if (write_error) {
    try {
      std::rethrow_exception(write_error);
    } catch (const platform::ConflictError& e) {
      throw platform::ConflictError(std::string(e.what()) + "; " + writer.written_so_far());
    } catch (const platform::StoreError& e) {
      throw platform::StoreError(std::string(e.what()) + "; " + writer.written_so_far(),
                                 e.retryable());
    }
  }
  return writer.summary();
}

}  // namespace incursa::platform::tools
