// SqliteStore: opening (URI, pragmas, migrations), routing calls to the writer or
// a reader, and backup. The SQL itself is in sqlite_operations.cpp.
#include "incursa/platform/stores/sqlite_store.hpp"
#include "incursa/platform/operations/store_support.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#include "base/text.hpp"
#include "base/uri_query.hpp"
#include "incursa/platform/error.hpp"
#include "sqlite_audit.hpp"
#include "sqlite_connection.hpp"
#include "sqlite_file_guard.hpp"
#include "sqlite_operations.hpp"
#include "sqlite_queries.hpp"
#include "sqlite_reader_pool.hpp"
#include "sqlite_retention.hpp"
#include "sqlite_schema.hpp"
#include "sqlite_wal_vfs.hpp"
#include "sqlite_writer.hpp"

namespace incursa::platform {

namespace {

constexpr std::string_view kMemoryPath = ":memory:";
constexpr std::string_view kScheme = "sqlite:";

[[noreturn]] void bad_uri(const std::string& rule) { throw ValidationError("store_uri", rule); }

void apply_uri_option(SqliteStoreOptions& options, std::string_view key, std::string_view value) {
  if (key == "synchronous") {
    const std::string v = detail::ascii_lower(value);
    if (v == "full") {
      options.synchronous = SqliteStoreOptions::Synchronous::Full;
    } else if (v == "normal") {
      options.synchronous = SqliteStoreOptions::Synchronous::Normal;
    } else {
      bad_uri("synchronous must be 'full' or 'normal', not '" + std::string(value) + "'");
    }
  } else if (key == "busy_timeout_ms") {
    std::int64_t ms = -1;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
    if (ec != std::errc() || end != value.data() + value.size() || ms < 0) {
      bad_uri("busy_timeout_ms must be a non-negative integer, not '" + std::string(value) + "'");
    }
    options.busy_timeout = std::chrono::milliseconds(ms);
  } else {
    bad_uri("unknown sqlite option '" + std::string(key) +
            "' (known: synchronous, busy_timeout_ms)");
  }
}

// The name sqlite3_open_v2 gets. A plain path is never read as a URI, even when
// SQLite was built with URI filenames on by default.
std::string sqlite_filename(const std::string& path) {
  if (path == kMemoryPath) return path;
  if (path.starts_with("file:")) return "./" + path;
  return path;
}

// Makes `path`'s contents and its directory entry durable.
void fsync_file_and_directory(const std::string& path, const std::string& display_name) {
  const auto sync = [&](const std::string& target, int flags) {
    const int fd = ::open(target.c_str(), flags | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
      const int error = errno;
      if (fd >= 0) ::close(fd);
      sqlite::throw_store_error(display_name, "backup to '" + path + "'",
                                "fsync of '" + target + "' failed: " + std::strerror(error), false);
    }
    ::close(fd);
  };
  sync(path, O_RDONLY);
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  sync(parent.empty() ? std::string(".") : parent.string(), O_RDONLY | O_DIRECTORY);
}

}  // namespace

struct SqliteStore::Impl {
  SqliteStoreOptions options;
  std::string filename;
  bool in_memory = false;
  int schema_version = 0;
  // Declared before the writer and readers, which use it.
  std::unique_ptr<sqlite::FileGuard> file_guard;
  std::unique_ptr<sqlite::Writer> writer;
  // Empty for an in-memory database: its one connection is the writer's, so reads
  // share the writer's mutex (a private :memory: database cannot be reached from
  // a second connection without shared-cache mode, whose table locks do not honour
  // the busy timeout).
  std::unique_ptr<sqlite::ReaderPool> readers;

  const std::string& display_name() const noexcept { return options.path; }

  sqlite::ConnectionOptions connection_options(int flags) const {
    return sqlite::ConnectionOptions{.filename = filename,
                                     .display_name = options.path,
                                     .open_flags = flags,
                                     .busy_timeout = options.busy_timeout};
  }

  template <class F>
  auto read(F&& work) {
    if (!readers) return writer->with_connection(work);
    file_guard->check();
    auto lease = readers->acquire();
    return work(*lease);
  }
};

std::shared_ptr<SqliteStore> SqliteStore::open(SqliteStoreOptions options) {
  if (options.path.empty()) {
    throw ValidationError("path", "a file path (or \":memory:\") is required");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->filename = sqlite_filename(impl->options.path);
  impl->in_memory = impl->options.path == kMemoryPath;

  sqlite::ConnectionOptions writer_options =
      impl->connection_options(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!impl->in_memory && impl->options.synchronous == SqliteStoreOptions::Synchronous::Full) {
    // Only where every commit syncs the WAL: it is what makes gathering safe
    // (sqlite_wal_vfs.hpp).
    writer_options.vfs = sqlite::wal_gathering_vfs();
  }
  auto connection = sqlite::Connection::open(writer_options);
  if (connection->read_only()) {
    sqlite::throw_store_error(impl->display_name(), "cannot open the database",
                              "the file is read-only (the store writes to it: check the "
                              "permissions of the file and its directory)",
                              false);
  }

  // Look before touching anything: a damaged file fails this read, and a file
  // from a newer library is refused before the journal mode or schema changes.
  connection->exec("SELECT COUNT(*) FROM sqlite_master", "cannot read the database");
  sqlite::check_schema_not_newer(*connection, sqlite::read_schema_version(*connection));

  if (!impl->in_memory) {
    sqlite::enable_wal(*connection, impl->options.busy_timeout);
    // Keeps a burst of writes from leaving a large -wal file behind after checkpoint.
    connection->exec("PRAGMA journal_size_limit = 67108864");
  }
  connection->exec(impl->options.synchronous == SqliteStoreOptions::Synchronous::Full
                       ? "PRAGMA synchronous = FULL"
                       : "PRAGMA synchronous = NORMAL");
  impl->schema_version = sqlite::migrate(*connection);
  connection->exec("PRAGMA foreign_keys = ON");
  // The writer's pages: 64 MB of cache keeps the index pages a large write
  // touches in memory, and a checkpoint every 64 MB of WAL (journal_size_limit
  // above) copies a page rewritten by many commits once instead of once per
  // few commits. Together they doubled bulk restore (docs/performance.md).
  connection->exec("PRAGMA cache_size = -65536");
  connection->exec("PRAGMA wal_autocheckpoint = 16384");
  impl->file_guard = std::make_unique<sqlite::FileGuard>(
      impl->in_memory ? std::string() : impl->options.path, impl->display_name());
  impl->writer = std::make_unique<sqlite::Writer>(std::move(connection), impl->file_guard.get());
  if (!impl->in_memory) {
    // No SQLITE_OPEN_CREATE: a reader must never create a file the writer did not.
    impl->readers = std::make_unique<sqlite::ReaderPool>(
        impl->connection_options(SQLITE_OPEN_READWRITE), impl->options.max_idle_readers);
  }
  return std::shared_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

SqliteStoreOptions SqliteStore::parse_uri(std::string_view uri) {
  if (!uri.starts_with(kScheme)) bad_uri("expected 'sqlite:PATH' or 'sqlite::memory:'");
  std::string_view rest = uri.substr(kScheme.size());
  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (rest.starts_with("//")) {
    // sqlite:///abs/path; a host part (sqlite://host/…) means nothing for a file.
    if (!rest.starts_with("///")) {
      bad_uri("use 'sqlite:PATH' or 'sqlite:///absolute/path' (no host part)");
    }
    rest = rest.substr(2);
  }
  if (rest.empty()) bad_uri("a file path (or ':memory:') is required after 'sqlite:'");

  SqliteStoreOptions options;
  options.path = std::string(rest);
  for (const detail::QueryParameter& p : detail::query_parameters(query)) {
    if (!p.value) bad_uri("option '" + std::string(p.text) + "' needs a value");
    apply_uri_option(options, p.name, *p.value);
  }
  return options;
}

std::shared_ptr<SqliteStore> SqliteStore::open_uri(std::string_view uri) {
  return open(parse_uri(uri));
}

int SqliteStore::latest_schema_version() noexcept { return sqlite::kLatestSchemaVersion; }

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteStore::~SqliteStore() = default;

InsertResult SqliteStore::insert(const OperationSnapshot& operation,
                                 const NewEvent& created_event) {
  return impl_->writer->write(
      [&](sqlite::Connection& c) { return sqlite::insert_operation(c, operation, created_event); });
}

bool SqliteStore::restore(const OperationSnapshot& operation,
                          const std::vector<OperationEvent>& events) {
  return impl_->writer->write(
      [&](sqlite::Connection& c) { return sqlite::restore_operation(c, operation, events); });
}

std::vector<bool> SqliteStore::restore_batch(std::span<const RestoreRecord> batch) {
  // One write, so one transaction and one commit for the whole batch.
  return impl_->writer->write([&](sqlite::Connection& c) {
    std::vector<bool> written;
    written.reserve(batch.size());
    for (const RestoreRecord& r : batch) {
      written.push_back(sqlite::restore_operation(c, r.operation, r.events));
    }
    return written;
  });
}

std::vector<OperationId> SqliteStore::taken(std::span<const OperationId> ids) {
  return impl_->read([&](sqlite::Connection& c) {
    std::vector<OperationId> out;
    for (const OperationId& id : ids) {
      if (sqlite::id_taken(c, id)) out.push_back(id);
    }
    return out;
  });
}

TransitionResult SqliteStore::transition(const TransitionRequest& request) {
  return impl_->writer->write(
      [&](sqlite::Connection& c) { return sqlite::apply_transition(c, request); });
}

std::optional<OperationSnapshot> SqliteStore::get(const OperationId& id) {
  return impl_->read([&](sqlite::Connection& c) { return sqlite::select_operation(c, id); });
}

std::vector<OperationEvent> SqliteStore::events(const OperationId& id, std::int64_t after_sequence,
                                                std::size_t limit) {
  return impl_->read(
      [&](sqlite::Connection& c) { return sqlite::select_events(c, id, after_sequence, limit); });
}

std::vector<OperationSnapshot> SqliteStore::find_stale(const StaleQuery& query) {
  return impl_->read([&](sqlite::Connection& c) { return sqlite::select_stale(c, query); });
}

std::vector<OperationSnapshot> SqliteStore::list(const ListRequest& request) {
  return impl_->read([&](sqlite::Connection& c) { return sqlite::select_list(c, request); });
}

StatusCounts SqliteStore::count_by_status(const OperationFilter& filter,
                                          std::optional<std::int64_t> at_most) {
  return impl_->read(
      [&](sqlite::Connection& c) { return sqlite::select_status_counts(c, filter, at_most); });
}

bool SqliteStore::append_audit_event(const AuditEvent& event) {
  return impl_->writer->write(
      [&](sqlite::Connection& c) { return sqlite::insert_audit_event(c, event); });
}

std::vector<AuditEvent> SqliteStore::query_audit_events(const AuditQuery& query) {
  return impl_->read([&](sqlite::Connection& c) { return sqlite::select_audit_events(c, query); });
}

std::vector<PurgeCandidate> SqliteStore::find_purgeable(const PurgeRequest& request) {
  return impl_->read([&](sqlite::Connection& c) { return sqlite::select_purgeable(c, request); });
}

std::vector<OperationId> SqliteStore::delete_operations(const std::vector<OperationId>& ids,
                                                        const PurgeRequest& request) {
  return impl_->writer->write(
      [&](sqlite::Connection& c) { return sqlite::delete_purgeable(c, ids, request); });
}

std::size_t SqliteStore::delete_events_before(Timestamp cutoff, std::size_t limit) {
  return impl_->writer->write(
      [&](sqlite::Connection& c) { return sqlite::delete_old_events(c, cutoff, limit); });
}

std::optional<PurgedOperation> SqliteStore::find_purged(const OperationId& id) {
  return impl_->read([&](sqlite::Connection& c) { return sqlite::select_purged(c, id); });
}

void SqliteStore::backup_to(const std::string& path) {
  if (path.empty()) throw ValidationError("path", "a backup path is required");
  // Claim the name first (O_EXCL): VACUUM INTO would overwrite a small existing
  // file, and only a file this call created may be removed when the backup fails.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int error = errno;
    sqlite::throw_store_error(impl_->display_name(), "backup to '" + path + "'",
                              error == EEXIST
                                  ? std::string("the target already exists; a backup never "
                                                "overwrites a file")
                                  : std::string("cannot create the file: ") + std::strerror(error),
                              false);
  }
  ::close(fd);
  const auto vacuum_into = [&](sqlite::Connection& c) {
    // VACUUM INTO reads one snapshot in one read transaction, so it neither
    // blocks writers nor restarts when they commit (the online-backup API does).
    c.prepare("VACUUM INTO ?1").bind(1, sqlite_filename(path)).run();
  };
  try {
    if (impl_->in_memory) {
      impl_->writer->with_connection(vacuum_into);
    } else {
      // A connection of its own: readers are query_only, and a long backup should
      // not hold one of the pool's connections.
      auto connection = sqlite::Connection::open(impl_->connection_options(SQLITE_OPEN_READWRITE));
      vacuum_into(*connection);
    }
    // SQLite does not fsync the file VACUUM INTO writes.
    fsync_file_and_directory(path, impl_->display_name());
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(path, ec);  // ours (O_EXCL above): no half-written backup remains
    throw;
  }
}

std::string SqliteStore::integrity_check() {
  return impl_->read([&](sqlite::Connection& c) {
    std::string report;
    auto rows = c.prepare("PRAGMA integrity_check");
    while (rows.step()) {
      if (!report.empty()) report += '\n';
      report += rows.column_text(0);
    }
    return report;
  });
}

int SqliteStore::schema_version() const noexcept { return impl_->schema_version; }

const SqliteStoreOptions& SqliteStore::options() const noexcept { return impl_->options; }

}  // namespace incursa::platform
