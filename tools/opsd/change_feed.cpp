#include "change_feed.hpp"

namespace incursa::platform::opsd {

ChangeFeed::ChangeFeed(std::size_t capacity, std::size_t tracked_operations)
    : capacity_(capacity == 0 ? 1 : capacity),
      tracked_capacity_(tracked_operations == 0 ? 1 : tracked_operations) {}

bool ChangeFeed::publish(std::string kind, const OperationSnapshot& operation,
                         std::optional<OperationEvent> event) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    auto [it, inserted] = versions_.try_emplace(operation.id.value(), operation.version);
    if (inserted) {
      version_order_.push_back(operation.id.value());
      // Forgetting an operation only risks publishing one of its changes twice.
      if (version_order_.size() > tracked_capacity_) {
        versions_.erase(version_order_.front());
        version_order_.pop_front();
      }
    } else {
      // An event carries news even at a version already seen: the poller may have
      // published the snapshot before the writer got to publish its event.
      if (operation.version < it->second) return false;
      if (operation.version == it->second && !event) return false;
      it->second = operation.version;
    }
    auto change = std::make_shared<Change>();
    change->sequence = ++head_;
    change->kind = std::move(kind);
    change->operation = operation;
    change->event = std::move(event);
    ring_.push_back(std::move(change));
    if (ring_.size() > capacity_) ring_.pop_front();
  }
  changed_.notify_all();
  return true;
}

std::uint64_t ChangeFeed::head() const {
  std::lock_guard lock(mutex_);
  return head_;
}

ChangeBatch ChangeFeed::wait_after(std::uint64_t cursor,
                                   std::chrono::steady_clock::time_point deadline,
                                   std::size_t max) const {
  std::unique_lock lock(mutex_);
  changed_.wait_until(lock, deadline, [&] { return closed_ || head_ > cursor; });
  ChangeBatch batch;
  batch.closed = closed_;
  if (head_ <= cursor) return batch;
  const std::uint64_t oldest = ring_.empty() ? head_ + 1 : ring_.front()->sequence;
  if (cursor + 1 < oldest) batch.overflowed = true;
  // Sequences in the ring are consecutive, so the first one after the cursor is found by index.
  const std::uint64_t first = batch.overflowed ? oldest : cursor + 1;
  for (std::size_t i = static_cast<std::size_t>(first - oldest);
       i < ring_.size() && batch.changes.size() < max; ++i) {
    batch.changes.push_back(ring_[i]);
  }
  return batch;
}

void ChangeFeed::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

bool ChangeFeed::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

}  // namespace incursa::platform::opsd
