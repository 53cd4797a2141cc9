// ChangeFeed: the in-process broadcaster behind GET /v1/stream and :wait.
//
// Every change to an operation -- written through this opsd (FeedTracker) or by
// another process sharing the store (StorePoller) -- is published here once, with
// a feed-wide sequence number. Readers keep a cursor (the last sequence they saw)
// and block on a condition variable until something newer arrives, a deadline
// passes, or the feed closes; nobody polls in a loop.
//
// The feed keeps the last `capacity` changes in a ring. A reader that falls
// further behind than that gets `overflowed` and must re-read the state it shows
// (the SSE stream sends a `reset` event). A change is published only if it is
// news: a snapshot whose version is not newer than the last one published for
// that operation is dropped, so the poller re-reading rows this process wrote
// does not repeat them.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "incursa/platform/operations/operation_snapshot.hpp"

namespace incursa::platform::opsd {

struct Change {
  std::uint64_t sequence = 0;
  // started, progress, heartbeat, event, completed, cancel_requested, stalled,
  // or updated (seen by the poller: a write by another process).
  std::string kind;
  OperationSnapshot operation;
  std::optional<OperationEvent> event;
};

using ChangePtr = std::shared_ptr<const Change>;

struct ChangeBatch {
  std::vector<ChangePtr> changes;  // oldest first
  bool overflowed = false;         // changes after the cursor were dropped from the ring
  bool closed = false;             // the feed is shutting down
};

class ChangeFeed {
 public:
  explicit ChangeFeed(std::size_t capacity = 4096, std::size_t tracked_operations = 50000);

  // Publishes unless it is old news (see above). Returns whether it was published.
  bool publish(std::string kind, const OperationSnapshot& operation,
               std::optional<OperationEvent> event = std::nullopt);

  // The sequence of the newest change (0 before the first). A reader that takes
  // the head *before* reading state misses nothing published after that read.
  std::uint64_t head() const;

  // Changes after `cursor`, at most `max`. Blocks until there is one, `deadline`
  // passes (an empty batch), or the feed closes.
  ChangeBatch wait_after(std::uint64_t cursor, std::chrono::steady_clock::time_point deadline,
                         std::size_t max = 256) const;

  // Wakes every waiter; later waits return closed at once.
  void close();
  bool closed() const;

 private:
  const std::size_t capacity_;
  const std::size_t tracked_capacity_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::deque<ChangePtr> ring_;
  std::uint64_t head_ = 0;
  bool closed_ = false;
  // Last version published per operation, and insertion order to bound it.
  std::unordered_map<std::string, std::int64_t> versions_;
  std::deque<std::string> version_order_;
};

}  // namespace incursa::platform::opsd
