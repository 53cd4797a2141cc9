#include "pg_pool.hpp"

#include <utility>

namespace incursa::platform::postgres {

Pool::Pool(ConnectionSettings settings, std::size_t max_size,
           std::chrono::milliseconds wait_timeout)
    : settings_(std::move(settings)),
      max_size_(max_size == 0 ? 1 : max_size),
      wait_timeout_(wait_timeout) {}

Pool::Lease::~Lease() {
  if (connection_) pool_->give_back(std::move(connection_));
}

Pool::Lease Pool::acquire() {
  const auto deadline = std::chrono::steady_clock::now() + wait_timeout_;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      lock.unlock();
      if (connection->usable()) return Lease(this, std::move(connection));
      connection.reset();  // close it outside the lock
      lock.lock();
      --open_;
      ++discarded_;
      continue;  // its slot is free now; the loop may open a new connection
    }
    if (open_ < max_size_) {
      ++open_;
      lock.unlock();
      try {
        std::unique_ptr<Connection> connection = Connection::open(settings_);
        lock.lock();
        ++opened_;
        lock.unlock();
        return Lease(this, std::move(connection));
      } catch (...) {
        lock.lock();
        --open_;
        available_.notify_one();
        throw;
      }
    }
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= max_size_) {
      throw PgError({"all " + std::to_string(max_size_) +
                         " connections of the pool stayed busy for " +
                         std::to_string(wait_timeout_.count()) + " ms",
                     "", true, false, true});
    }
  }
}

void Pool::give_back(std::unique_ptr<Connection> connection) {
  const bool keep = connection->reusable();
  if (!keep) connection.reset();
  {
    std::lock_guard lock(mutex_);
    if (keep) {
      idle_.push_back(std::move(connection));
    } else {
      --open_;
      ++discarded_;
    }
  }
  available_.notify_one();
}

Pool::Stats Pool::stats() const {
  std::lock_guard lock(mutex_);
  return {open_, opened_, discarded_};
}

}  // namespace incursa::platform::postgres
