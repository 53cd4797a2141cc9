// A bounded, thread-safe pool of connections.
//
// Connections open lazily, up to `max_size`; a caller waits (up to a deadline)
// when all are in use. A connection that broke during a call, or that the server
// closed while it sat idle, is dropped and a new one takes its place on demand,
// so a store survives a server restart without being reopened.
//
// Thread safety: acquire() may be called from any thread; a Lease is used by one
// thread. Errors: acquire() throws PgError (never maybe_applied).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "pg_connection.hpp"

namespace incursa::platform::postgres {

class Pool {
 public:
  Pool(ConnectionSettings settings, std::size_t max_size, std::chrono::milliseconds wait_timeout);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A connection on loan; it goes back to the pool (or is dropped, if broken)
  // when the lease ends.
  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<Connection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();
    Connection& operator*() const noexcept { return *connection_; }
    Connection* operator->() const noexcept { return connection_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  Lease acquire();

  struct Stats {
    std::size_t open = 0;
    std::uint64_t opened = 0;
    std::uint64_t discarded = 0;
  };
  Stats stats() const;

 private:
  void give_back(std::unique_ptr<Connection> connection);

  const ConnectionSettings settings_;
  const std::size_t max_size_;
  const std::chrono::milliseconds wait_timeout_;

  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;  // most recently used last
  std::size_t open_ = 0;                           // idle + on loan + being opened
  std::uint64_t opened_ = 0;
  std::uint64_t discarded_ = 0;
};

}  // namespace incursa::platform::postgres
