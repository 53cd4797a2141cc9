// migrate and backup: looking after the store itself.
#include <filesystem>
#include <memory>

#include "context.hpp"
#include "incursa/platform/error.hpp"
#ifdef INCURSA_OPSCTL_HAVE_SQLITE
#include "incursa/platform/stores/sqlite_store.hpp"
#endif

namespace incursa::platform::opsctl {

namespace {

struct AdminOptions {
  std::string file;
  bool json = false;
};

int run_migrate(Context& ctx, const AdminOptions& o) {
  // Opening a store creates and migrates its schema (under a lock, so several
  // processes starting together migrate it once).
  auto store = ctx.open(tools::OpenMode::CreateIfMissing);
  nlohmann::ordered_json doc = {{"store", ctx.shown_store_uri()}, {"kind", store->kind()}};
  std::string text =
      ctx.shown_store_uri() + ": " + std::string(store->kind()) + " store is up to date";
#ifdef INCURSA_OPSCTL_HAVE_SQLITE
  if (auto sqlite = std::dynamic_pointer_cast<platform::SqliteStore>(store)) {
    doc["schema_version"] = sqlite->schema_version();
    text += " (schema version " + std::to_string(sqlite->schema_version()) + ")";
  }
#endif
  if (o.json) {
    ctx.print_json(doc);
  } else {
    ctx.print(text + "\n");
  }
  return kOk;
}

int run_backup(Context& ctx, [[maybe_unused]] const AdminOptions& o) {
  auto store = ctx.open(tools::OpenMode::MustExist);
#ifdef INCURSA_OPSCTL_HAVE_SQLITE
  if (auto sqlite = std::dynamic_pointer_cast<platform::SqliteStore>(store)) {
    sqlite->backup_to(o.file);
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(o.file, ec);
    if (o.json) {
      ctx.print_json(
          {{"store", ctx.shown_store_uri()}, {"file", o.file}, {"bytes", ec ? 0 : bytes}});
    } else {
      ctx.print("backed up " + ctx.shown_store_uri() + " to " + o.file +
                (ec ? "" : " (" + std::to_string(bytes) + " bytes)") + "\n");
    }
    return kOk;
  }
#endif
  throw platform::ValidationError("backup", "works on SQLite stores only (this is a " +
                                                std::string(store->kind()) +
                                                " store); use opsctl export to copy any store");
}

}  // namespace

void add_admin_commands(CLI::App& app, Context& ctx) {
  auto migrate = std::make_shared<AdminOptions>();
  CLI::App* m =
      add_subcommand(app, "migrate", "Create the store if missing and bring its schema up to date");
  m->add_flag("--json", migrate->json,
              "Print {\"store\":...,\"kind\":...,\"schema_version\":N} instead of a sentence");
  m->callback(
      [&ctx, migrate] { ctx.action = [&ctx, migrate] { return run_migrate(ctx, *migrate); }; });

  auto backup = std::make_shared<AdminOptions>();
  CLI::App* b = add_subcommand(
      app, "backup",
      "Copy a SQLite store, consistently and while it is in use, to a new file (never "
      "overwrites one)");
  b->add_option("FILE", backup->file, "The new file to write")->required();
  b->add_flag("--json", backup->json, "Print {\"store\":...,\"file\":...,\"bytes\":N}");
  b->callback([&ctx, backup] { ctx.action = [&ctx, backup] { return run_backup(ctx, *backup); }; });
}

}  // namespace incursa::platform::opsctl
