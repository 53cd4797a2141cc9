// import_records: check every line, then write every record (see transfer.hpp).
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "incursa/platform/audit/audit_validator.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/operation_json.hpp"
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
  r.snapshot = within("snapshot.", [&] { return platform::snapshot_from_json(snapshot->dump()); });
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
    r.events.push_back(within(at, [&] { return platform::event_from_json(e.dump()); }));
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

// Calls visit(line_number, record) for every record of `in`, from its start.
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
    visit(where, record);
  }
  if (in.bad()) throw ValidationError(options.source, "could not be read to the end");
}

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
  std::unordered_map<std::string, std::string> operation_lines;
  std::unordered_map<std::string, std::string> audit_lines;
  for_each_record(in, options, [&](const std::string& where, const Record& r) {
    if (!r.is_operation && audit == nullptr) throw cannot_import("audit events");
    auto& seen = r.is_operation ? operation_lines : audit_lines;
    const char* what = r.is_operation ? "operation" : "audit event";
    if (const auto [it, fresh] = seen.emplace(r.id(), where); !fresh) {
      throw ValidationError(where, std::string(what) + " '" + r.id() +
                                       "' appears twice (first at " + it->second + ")");
    }
    if (r.is_operation && !options.skip_existing && store.get(r.snapshot.id)) {
      throw platform::ConflictError(where + ": operation '" + r.id() +
                                    "' already exists in the target store");
    }
  });

  ImportSummary summary;
  for_each_record(in, options, [&](const std::string& where, const Record& r) {
    if (r.is_operation) {
      if (transfer->restore(r.snapshot, r.events)) {
        ++summary.operations;
        summary.events += r.events.size();
      } else if (options.skip_existing) {
        ++summary.skipped_operations;
      } else {
        throw platform::ConflictError(where + ": operation '" + r.id() +
                                      "' already exists in the target store");
      }
    } else if (audit->append_audit_event(r.audit)) {
      ++summary.audit_events;
    } else if (options.skip_existing) {
      ++summary.skipped_audit_events;
    } else {
      throw platform::ConflictError(where + ": audit event '" + r.id() +
                                    "' already exists in the target store");
    }
  });
  return summary;
}

}  // namespace incursa::platform::tools
