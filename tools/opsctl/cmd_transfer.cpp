// export and import: JSON lines that move a store's contents to another store.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>

#include "context.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/tools/transfer.hpp"

namespace incursa::platform::opsctl {

namespace {

struct TransferOptions {
  std::string file;
  bool skip_existing = false;
  bool json = false;
};

int run_export(Context& ctx, const TransferOptions& o) {
  auto store = ctx.open(tools::OpenMode::MustExist);
  if (o.file.empty() || o.file == "-") {
    tools::export_store(*store, std::cout);
    return kOk;
  }
  // Written beside the target and renamed into place: a failed export never
  // leaves a truncated file under the name asked for.
  const std::string partial = o.file + ".partial";
  tools::ExportSummary summary;
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    if (!out) throw platform::ValidationError("--output '" + o.file + "'", "cannot be written");
    try {
      summary = tools::export_store(*store, out);
    } catch (...) {
      std::remove(partial.c_str());
      throw;
    }
  }
  if (std::rename(partial.c_str(), o.file.c_str()) != 0) {
    std::remove(partial.c_str());
    throw platform::ValidationError("--output '" + o.file + "'", "cannot be written");
  }
  if (o.json) {
    ctx.print_json({{"operations", summary.operations},
                    {"events", summary.events},
                    {"audit_events", summary.audit_events},
                    {"file", o.file}});
  } else {
    ctx.print("exported " + std::to_string(summary.operations) + " operations (" +
              std::to_string(summary.events) + " events) and " +
              std::to_string(summary.audit_events) + " audit events to " + o.file + "\n");
  }
  return kOk;
}

// Standard input copied to an unlinked temporary file: the import reads its
// input twice (check everything, then write).
std::FILE* spool_stdin() {
  std::FILE* spool = std::tmpfile();
  if (!spool) throw platform::ValidationError("standard input", "cannot be buffered");
  char buffer[1 << 16];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, stdin)) > 0) {
    if (std::fwrite(buffer, 1, n, spool) != n) {
      std::fclose(spool);
      throw platform::ValidationError("standard input", "cannot be buffered");
    }
  }
  std::fflush(spool);
  return spool;
}

int run_import(Context& ctx, const TransferOptions& o) {
  const bool from_stdin = o.file.empty() || o.file == "-";
  std::string path = o.file;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> spool(nullptr, &std::fclose);
  if (from_stdin) {
    spool.reset(spool_stdin());
    path = "/proc/self/fd/" + std::to_string(::fileno(spool.get()));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw platform::ValidationError("input '" + o.file + "'", "cannot be read");
  auto store = ctx.open(tools::OpenMode::CreateIfMissing);
  const tools::ImportSummary s = tools::import_records(
      *store, in,
      tools::ImportOptions{.skip_existing = o.skip_existing,
                           .source = from_stdin ? std::string("standard input") : o.file});
  if (o.json) {
    ctx.print_json({{"operations", s.operations},
                    {"events", s.events},
                    {"audit_events", s.audit_events},
                    {"skipped_operations", s.skipped_operations},
                    {"skipped_audit_events", s.skipped_audit_events}});
    return kOk;
  }
  std::string text = "imported " + std::to_string(s.operations) + " operations (" +
                     std::to_string(s.events) + " events) and " + std::to_string(s.audit_events) +
                     " audit events into " + ctx.shown_store_uri();
  if (s.skipped_operations + s.skipped_audit_events > 0) {
    text += "; skipped " + std::to_string(s.skipped_operations) + " operations and " +
            std::to_string(s.skipped_audit_events) + " audit events already there";
  }
  ctx.print(text + "\n");
  return kOk;
}

}  // namespace

void add_transfer_commands(CLI::App& app, Context& ctx) {
  auto exp = std::make_shared<TransferOptions>();
  CLI::App* e = add_subcommand(
      app, "export",
      "Write every operation (with its events) and every audit event as JSON lines, in a fixed "
      "order: export, import elsewhere, export again gives the same bytes");
  e->add_option("-o,--output", exp->file, "Write to this file instead of standard output")
      ->type_name("FILE");
  e->add_flag("--json", exp->json,
              "With --output: print {\"operations\":N,\"events\":N,\"audit_events\":N,...}");
  e->callback([&ctx, exp] { ctx.action = [&ctx, exp] { return run_export(ctx, *exp); }; });

  auto imp = std::make_shared<TransferOptions>();
  CLI::App* i = add_subcommand(
      app, "import",
      "Read an export's JSON lines into the store, exactly as exported (ids, times, versions, "
      "sequence numbers). Every line is checked before anything is written");
  i->add_option("FILE", imp->file, "The export to read ('-' or none: standard input)");
  i->add_flag("--skip-existing", imp->skip_existing,
              "Skip records whose id the store already has (default: refuse the import)");
  i->add_flag("--json", imp->json,
              "Print {\"operations\":N,\"events\":N,\"audit_events\":N,\"skipped_operations\":N,"
              "\"skipped_audit_events\":N}");
  i->callback([&ctx, imp] { ctx.action = [&ctx, imp] { return run_import(ctx, *imp); }; });
}

}  // namespace incursa::platform::opsctl
