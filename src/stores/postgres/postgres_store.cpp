#include "incursa/platform/stores/postgres_store.hpp"
#include "incursa/platform/operations/store_support.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <limits>
#include <span>
#include <string>
#include <unordered_set>

#include "incursa/platform/error.hpp"
#include "pg_batch.hpp"
#include "pg_pool.hpp"
#include "pg_queries.hpp"
#include "pg_retry.hpp"
#include "pg_rows.hpp"
#include "pg_schema.hpp"
#include "pg_statements.hpp"
#include "pg_uri.hpp"

namespace incursa::platform {

using namespace postgres;

namespace {

// One find_stale statement per (status set, basis), built once per store.
constexpr std::size_t kStaleVariants = 64 * 2;

std::size_t stale_index(StatusSet statuses, ActivityBasis basis) {
  return statuses.bits() * 2U + (basis == ActivityBasis::Progress ? 1U : 0U);
}

std::string limit_text(std::size_t limit) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return std::to_string(std::min(limit, kMax));
}

}  // namespace

struct PostgresStore::Impl {
  explicit Impl(PostgresStoreOptions o)
      : options(std::move(o)),
        password(conninfo_password(options.conninfo)),
        statements(quote_identifier(options.schema)),
        pool({options.conninfo, options.statement_timeout, options.connect_timeout},
             options.pool_size, options.pool_wait_timeout),
        batcher(pool,
                std::min(options.max_write_batches, std::max<std::size_t>(options.pool_size, 1)),
                std::clamp<std::size_t>(options.max_batch_size, 1, 64)) {
    for (int bits = 0; bits < 64; ++bits) {
      for (ActivityBasis basis : {ActivityBasis::Activity, ActivityBasis::Progress}) {
        const StatusSet set = StatusSet::from_bits(static_cast<std::uint8_t>(bits));
        stale[stale_index(set, basis)] =
            find_stale_statement(statements.schema, set, basis, options.use_database_clock);
      }
    }
  }

  // Runs `fn` on a pooled connection under the retry policy; a final failure
  // becomes a StoreError naming `what`.
  template <class Fn>
  auto call(const std::string& what, bool idempotent, Fn&& fn) {
    return call_with(what, idempotent, [&] {
      Pool::Lease lease = pool.acquire();
      return fn(*lease);
    });
  }

  // The retry loop and the error mapping around `attempt()`. Writes use it
  // directly with write(): no connection is held while a call waits for its batch.
  template <class Attempt>
  auto call_with(const std::string& what, bool idempotent, Attempt&& attempt) {
    try {
      return with_retry(options.retry, idempotent, attempt,
                        [&] { retries.fetch_add(1, std::memory_order_relaxed); });
    } catch (const PgError& e) {
      const PgFailure& f = e.failure();
      std::string message = "postgresql store: " + what + " failed: " + f.message;
      if (!f.sqlstate.empty()) message += " (SQLSTATE " + f.sqlstate + ")";
      if (f.maybe_applied && !idempotent) {
        message +=
            "; the connection was lost after the request was sent, so it may or may not "
            "have been applied";
      }
      throw StoreError(redact(std::move(message), password), f.retryable);
    }
  }

  // One write statement: through the group-commit batcher, or on its own
  // connection when batching is off. Inside call()'s retry loop.
  Result write(const Statement& statement, const Params& params, std::string_view order_key) {
    if (options.max_write_batches == 0) {
      Pool::Lease lease = pool.acquire();
      return lease->run(statement, params);
    }
    return batcher.run(statement, params, order_key);
  }

  // Whether the store holds `record` exactly as given (a restore that landed).
  bool holds_exactly(Connection& c, const RestoreRecord& record) {
    const std::string& id = record.operation.id.value();
    const auto stored = decode_get(c.run(statements.get, {id}));
    if (!stored || *stored != record.operation) return false;
    return decode_events(
               c.run(statements.events, {id, "0", std::to_string(record.events.size() + 1)})) ==
           record.events;
  }

  PostgresStoreOptions options;
  std::string password;  // scrubbed from every message
  Statements statements;
  std::array<Statement, kStaleVariants> stale;
  Pool pool;
  WriteBatcher batcher;
  int version = 0;
  std::atomic<std::uint64_t> retries{0};
};

PostgresStore::PostgresStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PostgresStore::~PostgresStore() = default;

std::shared_ptr<PostgresStore> PostgresStore::open(PostgresStoreOptions options) {
  validate_schema_name(options.schema);
  check_conninfo(options.conninfo);
  if (!options.clock) options.clock = SystemClock::instance();
  auto impl = std::make_unique<Impl>(std::move(options));
  // Migrating is one transaction: repeating it after a failure is always safe.
  impl->version = impl->call("opening schema " + impl->options.schema, true,
                             [&](Connection& c) { return migrate(c, impl->options.schema); });
  return std::shared_ptr<PostgresStore>(new PostgresStore(std::move(impl)));
}

std::shared_ptr<PostgresStore> PostgresStore::open_uri(std::string_view uri) {
  return open(parse_uri(uri));
}

PostgresStoreOptions PostgresStore::parse_uri(std::string_view uri) {
  PostgresStoreOptions options = parse_store_uri(uri);
  try {
    validate_schema_name(options.schema);
  } catch (const ValidationError& e) {
    throw ValidationError("store_uri", "schema " + e.rule());
  }
  return options;
}

int PostgresStore::latest_schema_version() noexcept { return postgres::latest_schema_version(); }

int PostgresStore::schema_version() const noexcept { return impl_->version; }

const std::string& PostgresStore::schema() const noexcept { return impl_->options.schema; }

PostgresStore::Stats PostgresStore::stats() const {
  const Pool::Stats p = impl_->pool.stats();
  const WriteBatcher::Stats b = impl_->batcher.stats();
  return {p.open,    p.opened, p.discarded,     impl_->retries.load(std::memory_order_relaxed),
          b.batches, b.calls,  b.largest_batch, b.queued};
}

InsertResult PostgresStore::insert(const OperationSnapshot& operation,
                                   const NewEvent& created_event) {
  const Params params = insert_params(operation, created_event, impl_->options.use_database_clock);
  for (;;) {
    // ON CONFLICT DO NOTHING makes a repeated insert harmless.
    InsertResult result =
        impl_->call_with("insert of operation " + operation.id.value(), true, [&] {
          return decode_insert(impl_->write(impl_->statements.insert, params, operation.id.value()),
                               operation.id);
        });
    if (!result.purged) return result;
    // A tombstone refused the id. Read it; one removed meanwhile (its last event
    // purged) has freed the id, so the insert is tried again.
    result.purged = find_purged(operation.id);
    if (result.purged) return result;
  }
}

TransitionResult PostgresStore::transition(const TransitionRequest& request) {
  const bool db_clock = impl_->options.use_database_clock;
  const Params params = transition_params(request, db_clock);
  const std::string what = "transition of operation " + request.id.value();
  const Statement& statement = transition_statement(impl_->statements, request, db_clock);
  DecodedTransition d = impl_->call_with(what, transition_is_idempotent(request), [&] {
    return decode_transition(impl_->write(statement, params, request.id.value()), request,
                             db_clock);
  });
  if (d.replayed) {
    // An earlier try landed and only its reply was lost: report what it wrote
    // (a read, after the write committed).
    std::vector<std::optional<std::string>> keys;
    for (std::string& k : transition_keys(request)) keys.emplace_back(std::move(k));
    const Params key_params{request.id.value(), text_array(keys)};
    d.result.appended = impl_->call(what, true, [&](Connection& c) {
      return decode_events(c.run(impl_->statements.events_by_keys, key_params));
    });
  }
  return std::move(d.result);
}

std::optional<OperationSnapshot> PostgresStore::get(const OperationId& id) {
  return impl_->call("get of operation " + id.value(), true, [&](Connection& c) {
    return decode_get(c.run(impl_->statements.get, {id.value()}));
  });
}

std::vector<OperationEvent> PostgresStore::events(const OperationId& id,
                                                  std::int64_t after_sequence, std::size_t limit) {
  if (limit == 0) return {};
  return impl_->call("events of operation " + id.value(), true, [&](Connection& c) {
    return decode_events(c.run(impl_->statements.events,
                               {id.value(), std::to_string(after_sequence), limit_text(limit)}));
  });
}

std::vector<OperationSnapshot> PostgresStore::find_stale(const StaleQuery& query) {
  if (query.statuses.empty() || query.limit == 0) return {};
  const bool db_clock = impl_->options.use_database_clock;
  const Timestamp app_now = db_clock ? impl_->options.clock->now() : Timestamp{};
  StaleQuery q = query;
  q.limit = std::min<std::size_t>(q.limit, std::numeric_limits<std::int64_t>::max());
  const Params params = find_stale_params(q, db_clock, app_now);
  const Statement& statement = impl_->stale[stale_index(query.statuses, query.basis)];
  return impl_->call("find_stale", true,
                     [&](Connection& c) { return decode_snapshots(c.run(statement, params)); });
}

std::vector<OperationSnapshot> PostgresStore::list(const ListRequest& request) {
  if (request.limit == 0) return {};
  const BuiltQuery q = list_query(impl_->statements.schema, request);
  return impl_->call("list", true,
                     [&](Connection& c) { return decode_snapshots(c.run(q.statement, q.params)); });
}

StatusCounts PostgresStore::count_by_status(const OperationFilter& filter,
                                            std::optional<std::int64_t> at_most) {
  const BuiltQuery q = at_most ? bounded_count_query(impl_->statements.schema, filter, *at_most + 1)
                               : count_query(impl_->statements.schema, filter);
  return impl_->call("count_by_status", true,
                     [&](Connection& c) { return decode_counts(c.run(q.statement, q.params)); });
}

bool PostgresStore::append_audit_event(const AuditEvent& event) {
  const BuiltQuery insert = audit_insert(impl_->statements.schema, event);
  const BuiltQuery existing = audit_get(impl_->statements.schema, event.id);
  // An id already taken means "exists" (emitters rely on it to write a fact once),
  // except on a repeated try: an identical stored event is then our own first
  // try, whose reply was lost.
  int tries = 0;
  return impl_->call("append of audit event " + event.id.value(), true, [&](Connection& c) {
    ++tries;
    if (c.run(insert.statement, insert.params).rows() == 1) return true;
    if (tries == 1) return false;
    const auto stored = decode_audit_events(c.run(existing.statement, existing.params));
    return stored.size() == 1 && stored[0] == event;
  });
}

std::vector<AuditEvent> PostgresStore::query_audit_events(const AuditQuery& query) {
  if (query.limit == 0) return {};
  const BuiltQuery q = audit_query(impl_->statements.schema, query);
  return impl_->call("query of audit events", true, [&](Connection& c) {
    return decode_audit_events(c.run(q.statement, q.params));
  });
}

bool PostgresStore::restore(const OperationSnapshot& operation,
                            const std::vector<OperationEvent>& events) {
  const RestoreRecord record{operation, events};
  return restore_batch(std::span(&record, 1)).front();
}

std::vector<bool> PostgresStore::restore_batch(std::span<const RestoreRecord> batch) {
  std::vector<bool> written(batch.size(), false);
  if (batch.empty()) return written;
  const BuiltQuery q = restore_query(impl_->statements.schema, batch);
  // As for audit events: an id already there means "taken", except on a
  // repeated try, where finding exactly what we sent means our first try landed.
  int tries = 0;
  return impl_->call("restore of " + std::to_string(batch.size()) + " operations", true,
                     [&](Connection& c) {
                       ++tries;
                       std::unordered_set<std::string> inserted;
                       for (const OperationId& id : decode_ids(c.run(q.statement, q.params))) {
                         inserted.insert(id.value());
                       }
                       for (std::size_t i = 0; i < batch.size(); ++i) {
                         written[i] = inserted.contains(batch[i].operation.id.value()) ||
                                      (tries > 1 && impl_->holds_exactly(c, batch[i]));
                       }
                       return written;
                     });
}

std::vector<OperationId> PostgresStore::taken(std::span<const OperationId> ids) {
  if (ids.empty()) return {};
  const BuiltQuery q = taken_query(impl_->statements.schema, ids);
  return impl_->call("taken", true,
                     [&](Connection& c) { return decode_ids(c.run(q.statement, q.params)); });
}

std::vector<PurgeCandidate> PostgresStore::find_purgeable(const PurgeRequest& request) {
  if (request.limit == 0) return {};
  const BuiltQuery q = purgeable_query(impl_->statements.schema, request);
  return impl_->call("find_purgeable", true,
                     [&](Connection& c) { return decode_purgeable(c.run(q.statement, q.params)); });
}

std::vector<OperationId> PostgresStore::delete_operations(const std::vector<OperationId>& ids,
                                                          const PurgeRequest& request) {
  if (ids.empty()) return {};
  const BuiltQuery q = delete_operations_query(impl_->statements.schema, ids, request);
  // Repeating the DELETE cannot remove more than the first try would have.
  return impl_->call("delete_operations", true,
                     [&](Connection& c) { return decode_ids(c.run(q.statement, q.params)); });
}

std::size_t PostgresStore::delete_events_before(Timestamp cutoff, std::size_t limit) {
  if (limit == 0) return 0;
  const BuiltQuery q = delete_events_query(impl_->statements.schema, cutoff, limit);
  return impl_->call("delete_events_before", true, [&](Connection& c) {
    return static_cast<std::size_t>(parse_int64(c.run(q.statement, q.params).text(0, 0)));
  });
}

std::optional<PurgedOperation> PostgresStore::find_purged(const OperationId& id) {
  const BuiltQuery q = purged_query(impl_->statements.schema, id);
  return impl_->call("tombstone of operation " + id.value(), true, [&](Connection& c) {
    return decode_purged(c.run(q.statement, q.params), id);
  });
}

}  // namespace incursa::platform
