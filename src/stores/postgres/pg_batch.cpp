#include "pg_batch.hpp"

#include <algorithm>
#include <new>

namespace incursa::platform::postgres {

namespace {

// Transaction control, prepared once per connection like every other statement.
const Statement kBegin{"incursa_tx_begin", "BEGIN"};
const Statement kSavepoint{"incursa_tx_savepoint", "SAVEPOINT incursa_call"};
const Statement kRelease{"incursa_tx_release", "RELEASE SAVEPOINT incursa_call"};
const Statement kRollbackTo{"incursa_tx_rollback_to", "ROLLBACK TO SAVEPOINT incursa_call"};
const Statement kCommit{"incursa_tx_commit", "COMMIT"};
const Params kNoParams{};

bool ok(const Result& r) {
  if (!r) return false;
  const ExecStatusType s = PQresultStatus(r.get());
  return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

bool is_error(const Result& r) { return r && PQresultStatus(r.get()) == PGRES_FATAL_ERROR; }

// The next result of the pipeline, with the NULL that ends a query's results
// consumed. Empty when the connection broke.
Result take(PGconn* conn) {
  PGresult* raw = PQgetResult(conn);
  if (raw == nullptr) return Result();
  Result result(raw);
  if (PQresultStatus(raw) != PGRES_PIPELINE_SYNC) {
    while (PGresult* extra = PQgetResult(conn)) PQclear(extra);
  }
  return result;
}

}  // namespace

WriteBatcher::WriteBatcher(Pool& pool, std::size_t max_batches, std::size_t max_batch_size)
    : pool_(pool),
      max_batches_(std::max<std::size_t>(max_batches, 1)),
      max_batch_size_(std::max<std::size_t>(max_batch_size, 1)) {}

Result WriteBatcher::run(const Statement& statement, const Params& params,
                         std::string_view order_key) {
  Job job;
  job.statement = &statement;
  job.params = &params;
  job.order_key = order_key;
  std::unique_lock lock(mutex_);
  queue_.push_back(&job);
  while (!job.done) {
    if (in_flight_ < max_batches_ && !queue_.empty()) {
      // Lead a batch: whoever is queued, oldest first (our own call may go in a
      // later batch if the queue is long; we then wait for it like a follower).
      ++in_flight_;
      std::vector<Job*> batch;
      batch.reserve(std::min(queue_.size(), max_batch_size_));
      while (!queue_.empty() && batch.size() < max_batch_size_) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
      lock.unlock();
      execute(batch);
      lock.lock();
      --in_flight_;
      ++batches_;
      calls_ += batch.size();
      largest_ = std::max<std::uint64_t>(largest_, batch.size());
      // Wake exactly the callers whose calls settled, and the oldest waiting one
      // to lead the next batch: no herd of waiters re-checking a shared flag.
      for (Job* j : batch) {
        j->done = true;
        if (j != &job) j->settled.notify_one();
      }
      if (!queue_.empty() && queue_.front() != &job) queue_.front()->settled.notify_one();
      continue;
    }
    job.settled.wait(lock);
  }
  lock.unlock();
  if (job.failure) throw PgError(std::move(*job.failure));
  return std::move(job.result);
}

WriteBatcher::Stats WriteBatcher::stats() const {
  std::lock_guard lock(mutex_);
  return {batches_, calls_, largest_, queue_.size(), in_flight_};
}

void WriteBatcher::execute(std::vector<Job*>& batch) noexcept {
  auto fail_unsettled = [&](const PgFailure& failure) {
    for (Job* j : batch) {
      if (!j->failure) {
        j->result = Result();
        j->failure = failure;
      }
    }
  };
  try {
    // One lock order for every batch: no two batches (of this process or any
    // other) can wait for each other's rows in a cycle. Calls on one operation
    // keep their queue order.
    std::stable_sort(batch.begin(), batch.end(),
                     [](const Job* a, const Job* b) { return a->order_key < b->order_key; });
    Pool::Lease lease = pool_.acquire();
    if (batch.size() == 1) {
      try {
        batch[0]->result = lease->run(*batch[0]->statement, *batch[0]->params);
      } catch (const PgError& e) {
        batch[0]->failure = e.failure();
      }
      return;
    }
    execute_pipelined(*lease, batch);
  } catch (const PgError& e) {
    fail_unsettled(e.failure());
  } catch (const std::bad_alloc&) {
    fail_unsettled({"out of memory running a batch of writes", "", false, false});
  } catch (...) {
    fail_unsettled({"unexpected failure running a batch of writes", "", false, true});
  }
}

void WriteBatcher::execute_pipelined(Connection& connection, std::vector<Job*>& batch) {
  for (const Statement* s : {&kBegin, &kSavepoint, &kRelease, &kRollbackTo, &kCommit}) {
    connection.prepare(*s);
  }
  for (Job* j : batch) connection.prepare(*j->statement);

  PGconn* conn = connection.handle();
  if (PQenterPipelineMode(conn) == 0) throw PgError(connection.lost(false));
  // However this ends, leave pipeline mode if we can; a connection that cannot
  // (results left unread) is not reusable() and the pool drops it.
  struct ExitPipeline {
    PGconn* conn;
    ~ExitPipeline() { (void)PQexitPipelineMode(conn); }
  } exit_pipeline{conn};

  // Jobs [next, n) are still to be sent; those before `next` either sit in the
  // open transaction (result set) or failed alone (failure set).
  std::size_t next = 0;
  for (bool begun = false;; begun = true) {
    bool sent = connection.send_prepared(begun ? kRollbackTo : kBegin, kNoParams);
    for (std::size_t i = next; sent && i < batch.size(); ++i) {
      sent = connection.send_prepared(kSavepoint, kNoParams) &&
             connection.send_prepared(*batch[i]->statement, *batch[i]->params) &&
             connection.send_prepared(kRelease, kNoParams);
    }
    sent = sent && connection.send_prepared(kCommit, kNoParams) && PQpipelineSync(conn) == 1;
    // Nothing of this round reached its COMMIT: what the batch wrote is undone.
    if (!sent) throw PgError(connection.lost(false));

    // Read the round back. The first error stops the pipeline: everything after
    // it up to the Sync comes back "aborted".
    std::optional<PgFailure> batch_failure;  // the whole batch fails with this
    std::optional<std::size_t> failed_job;   // or this one call alone
    bool broken = false;
    auto check = [&](const Result& r) {
      if (PQstatus(conn) != CONNECTION_OK || !r) broken = true;
      return !broken && ok(r);
    };
    auto stop_batch = [&](const Result& r) {
      if (!broken && !batch_failure && is_error(r)) {
        batch_failure = connection.failure_of(r.get(), true);
      }
    };
    Result head = take(conn);
    if (!check(head)) stop_batch(head);
    for (std::size_t i = next; i < batch.size() && !broken; ++i) {
      Result savepoint = take(conn);
      Result exec = take(conn);
      Result release = take(conn);
      if (batch_failure || failed_job) continue;  // the aborted rest of the round
      if (!check(savepoint)) {
        stop_batch(savepoint);
        continue;
      }
      if (!check(exec)) {
        if (!broken && is_error(exec)) {
          PgFailure f = connection.failure_of(exec.get(), true);
          f.maybe_applied = false;  // its COMMIT came after it and was skipped
          batch[i]->failure = std::move(f);
          failed_job = i;
        }
        continue;
      }
      batch[i]->result = std::move(exec);
      if (!check(release)) stop_batch(release);
    }
    const Result commit = broken ? Result() : take(conn);
    const Result sync = broken ? Result() : take(conn);
    if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC ||
        PQstatus(conn) != CONNECTION_OK) {
      broken = true;
    }
    // A lost connection: the COMMIT may have run unless an error stopped the
    // round before it.
    if (broken) throw PgError(connection.lost(!failed_job && !batch_failure));
    if (batch_failure) throw PgError(std::move(*batch_failure));
    if (failed_job) {
      next = *failed_job + 1;  // undo that call alone, then send the rest again
      continue;
    }
    // COMMIT itself failed (a deferred check, a serialization failure, the
    // server going away): the whole batch shares that fate.
    if (!ok(commit)) {
      throw PgError(is_error(commit) ? connection.failure_of(commit.get(), true)
                                     : connection.lost(true));
    }
    return;
  }
}

}  // namespace incursa::platform::postgres
