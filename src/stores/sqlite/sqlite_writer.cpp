#include "sqlite_writer.hpp"

namespace incursa::platform::sqlite {

namespace {

void rollback_quietly(Connection& connection) noexcept {
  if (connection.in_transaction()) {
    sqlite3_exec(connection.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void fail_all(std::span<Writer::Job> jobs, const std::exception_ptr& error) noexcept {
  for (auto& job : jobs) {
    if (!job.error) job.error = error;
  }
}

}  // namespace

void Writer::commit_batch(std::span<Job> jobs) noexcept {
  if (jobs.empty()) return;
  std::lock_guard lock(mutex_);
  try {
    run_batch(jobs);
  } catch (...) {
    rollback_quietly(*connection_);
    fail_all(jobs, std::current_exception());
  }
}

void Writer::run_batch(std::span<Job> jobs) {
  Connection& c = *connection_;
  c.exec("BEGIN IMMEDIATE");
  if (jobs.size() == 1) {
    // A batch of one needs no savepoint: its failure is the transaction's.
    try {
      jobs[0].work(c);
    } catch (...) {
      jobs[0].error = std::current_exception();
      rollback_quietly(c);
      return;
    }
  } else {
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      c.exec("SAVEPOINT job");
      try {
        jobs[i].work(c);
        c.exec("RELEASE job");
      } catch (...) {
        jobs[i].error = std::current_exception();
        if (!c.in_transaction()) {
          // SQLite rolled the whole transaction back (disk full, I/O error): the
          // jobs before this one are lost too, and the ones after never ran.
          for (auto& job : jobs) job.error = jobs[i].error;
          return;
        }
        c.exec("ROLLBACK TO job");
        c.exec("RELEASE job");
      }
    }
  }
  c.exec("COMMIT");
}

}  // namespace incursa::platform::sqlite
