// Moving a store's contents to another store (opsctl export / import): JSON
// lines, one record per line.
//
//   {"type":"operation","snapshot":{…},"events":[{…},…]}
//   {"type":"audit_event","audit_event":{…}}
//
// Snapshots and events use operation_json.hpp's encoding, audit events
// audit_json.hpp's. The output is deterministic -- operations oldest first by
// (started_at, id), then audit events oldest first by (occurred_at, id), ids
// compared byte-wise, every object's keys in a fixed order -- so exporting a
// store, importing it elsewhere and exporting again gives the same bytes.
//
// Not carried: events kept (as evidence) from operations whose snapshot
// retention already purged; the store interface has no way to enumerate them.
#pragma once

#include <cstddef>
#include <istream>
#include <ostream>
#include <string>

#include "incursa/platform/operations/operation_store.hpp"

namespace incursa::platform::tools {

struct ExportSummary {
  std::size_t operations = 0;
  std::size_t events = 0;
  std::size_t audit_events = 0;
};

// Writes every operation (with its events) and every audit event of `store`.
// Throws StoreError for store trouble or a failed write to `out`.
ExportSummary export_store(platform::OperationStore& store, std::ostream& out);

struct ImportOptions {
  // Records whose id the target already holds are skipped (and counted) instead
  // of failing the import. Lets an interrupted import be run again.
  bool skip_existing = false;
  // Names the input in error messages ("backup.jsonl line 12: …").
  std::string source = "input";
};

struct ImportSummary {
  std::size_t operations = 0;
  std::size_t events = 0;
  std::size_t audit_events = 0;
  std::size_t skipped_operations = 0;
  std::size_t skipped_audit_events = 0;
};

// Reads the lines of `in` twice: first it checks every line -- JSON, record type,
// every field by the library's own rules, ids unique within the input and (for
// operations) not taken in the store (TransferStore::taken) unless
// skip_existing -- and writes nothing if any line fails; then it writes the
// records exactly as given, operations a thousand to a transaction
// (TransferStore::restore_batch) and audit events one at a time, in the order of
// the input. `in` must be seekable (a file). Blank lines are ignored. Memory
// stays small at any size: a record at a time, a batch, and 8 bytes per id.
// Throws ValidationError "<source> line N: <field>: <rule>" for a bad line,
// ConflictError for a record already present, StoreError for store trouble. An
// import is atomic per batch, not as a whole: an error while writing says what
// was written before it ("written before the failure: N operations and M audit
// events, the records through <source> line L"); --skip-existing finishes it.
ImportSummary import_records(platform::OperationStore& store, std::istream& in,
                             const ImportOptions& options);

}  // namespace incursa::platform::tools
