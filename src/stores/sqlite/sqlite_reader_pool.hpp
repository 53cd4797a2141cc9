// A small pool of read-only connections, so reads run in parallel with each
// other and with the writer (WAL readers never block the writer or each other).
//
// Connections are opened lazily, without SQLITE_OPEN_CREATE and with
// PRAGMA query_only, and each keeps its own prepared-statement cache. At most
// `max_idle` are kept between uses; a burst of readers beyond that opens extra
// connections that are closed when returned.
//
// Thread safety: acquire() may be called from any thread; a Lease is used by the
// thread that holds it. Errors: StoreError when a connection cannot be opened.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "sqlite_connection.hpp"

namespace incursa::platform::sqlite {

class ReaderPool {
 public:
  ReaderPool(ConnectionOptions options, std::size_t max_idle);

  class Lease {
   public:
    Lease(ReaderPool& pool, std::unique_ptr<Connection> connection) noexcept
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease() {
      if (connection_) pool_->release(std::move(connection_));
    }
    Connection& operator*() const noexcept { return *connection_; }
    Connection* operator->() const noexcept { return connection_.get(); }

   private:
    ReaderPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  Lease acquire();

 private:
  void release(std::unique_ptr<Connection> connection) noexcept;

  ConnectionOptions options_;
  std::size_t max_idle_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace incursa::platform::sqlite
