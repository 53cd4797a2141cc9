// The import reader (opsctl import; tools/common transfer_import.cpp) into a
// memory store.
//
// Properties:
//   - a rejected input is a ValidationError (naming "input line N: <field>") and
//     leaves the store empty: nothing is written unless every line is good;
//   - an accepted input's summary counts what the store then holds;
//   - export(import(x)) is a fixed point: importing that export into a fresh
//     store and exporting again gives the same bytes, and the same summary.
#include <cstdint>
#include <sstream>

#include "fuzz_check.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/stores/memory_store.hpp"
#include "incursa/tools/transfer.hpp"

namespace {

using namespace incursa;
using namespace incursa::platform;

std::string export_text(platform::OperationStore& store, tools::ExportSummary* summary) {
  std::ostringstream out;
  const tools::ExportSummary s = tools::export_store(store, out);
  if (summary) *summary = s;
  return out.str();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(fuzz::as_text(data, size));
  const auto store = platform::make_memory_store();
  std::istringstream in(text);
  tools::ImportSummary imported;
  try {
    imported = tools::import_records(*store, in, tools::ImportOptions{});
  } catch (const platform::ValidationError& e) {
    FUZZ_CHECK(e.field().rfind("input", 0) == 0);
    tools::ExportSummary left;
    (void)export_text(*store, &left);
    FUZZ_CHECK(left.operations == 0 && left.events == 0 && left.audit_events == 0);
    return 0;
  }
  tools::ExportSummary first_summary;
  const std::string first = export_text(*store, &first_summary);
  FUZZ_CHECK(first_summary.operations == imported.operations);
  FUZZ_CHECK(first_summary.events == imported.events);
  FUZZ_CHECK(first_summary.audit_events == imported.audit_events);

  const auto again = platform::make_memory_store();
  std::istringstream first_in(first);
  const tools::ImportSummary reimported =
      tools::import_records(*again, first_in, tools::ImportOptions{});
  FUZZ_CHECK(reimported.operations == imported.operations);
  FUZZ_CHECK(reimported.events == imported.events);
  FUZZ_CHECK(reimported.audit_events == imported.audit_events);
  FUZZ_CHECK(export_text(*again, nullptr) == first);

  // Importing the same records again is refused (ConflictError) without skip_existing,
  // and skipped with it. Checked on a third store so the refusal cannot leave
  // anything half-written in `again`.
  if (imported.operations + imported.audit_events > 0) {
    const auto third = platform::make_memory_store();
    std::istringstream once(first);
    (void)tools::import_records(*third, once, tools::ImportOptions{});
    std::istringstream repeat(first);
    try {
      (void)tools::import_records(*third, repeat, tools::ImportOptions{});
      FUZZ_CHECK(false);
    } catch (const platform::ConflictError&) {
    }
  }
  std::istringstream skip_in(first);
  tools::ImportOptions skip;
  skip.skip_existing = true;
  const tools::ImportSummary skipped = tools::import_records(*again, skip_in, skip);
  FUZZ_CHECK(skipped.operations == 0 && skipped.audit_events == 0);
  FUZZ_CHECK(skipped.skipped_operations == imported.operations);
  FUZZ_CHECK(skipped.skipped_audit_events == imported.audit_events);
  return 0;
}
