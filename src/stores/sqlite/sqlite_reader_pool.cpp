#include "sqlite_reader_pool.hpp"

#include <utility>

namespace incursa::platform::sqlite {

ReaderPool::ReaderPool(ConnectionOptions options, std::size_t max_idle)
    : options_(std::move(options)), max_idle_(max_idle) {}

ReaderPool::Lease ReaderPool::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(connection));
    }
  }
  // Opened outside the lock: opening touches the file and may wait on it.
  auto connection = Connection::open(options_);
  connection->exec("PRAGMA query_only = ON");
  return Lease(*this, std::move(connection));
}

void ReaderPool::release(std::unique_ptr<Connection> connection) noexcept {
  if (connection->in_transaction()) {
    sqlite3_exec(connection->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  std::lock_guard lock(mutex_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(connection));
  // Otherwise the connection closes here, when `connection` goes out of scope.
}

}  // namespace incursa::platform::sqlite
