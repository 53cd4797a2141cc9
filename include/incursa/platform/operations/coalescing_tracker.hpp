// CoalescingTracker: opt-in progress coalescing (docs/design.md, "Progress coalescing").
//
// A decorator over another tracker. Progress updates (and heartbeats) to one
// operation within a window (default 250 ms) of its last progress write collapse
// into one store write, made when the window closes:
//
//   auto tracker = std::make_shared<Tracker>(store);
//   CoalescingTracker coalescing(tracker);            // window 250 ms, background flusher
//   coalescing.update_progress(id, {.percent = 10});  // written (first in its window)
//   coalescing.update_progress(id, {.percent = 11});  // kept in memory, returned at once
//   coalescing.update_progress(id, {.percent = 12});  // replaces 11; written at window end
//
// What is never delayed: start, add_event, complete, request_cancel, mark_stalled,
// and any progress or heartbeat that changes the status (Pending -> Running,
// Stalled -> Running): those go to the store before the call returns. Any call
// other than a read on an operation first writes that operation's pending
// progress, so the store sees the calls in the order they were made (progress
// before the completion or event that followed it). An event carries pending
// progress in its own write (update_progress_with_event on the wrapped tracker:
// one store transition with Tracker), so deferred progress followed by an event
// costs one write, not two; if that write fails, the two are written apart, each
// with its own outcome, as if the event had come alone.
//
// Deferred calls: update_progress and heartbeat are deferred only when the last
// snapshot this decorator saw for the operation is Running and the operation's
// last progress/heartbeat write through this decorator was less than `window`
// ago. A deferred call validates its input first (ValidationError as usual), and
// returns the last snapshot seen with the pending values applied: percent,
// message and progress as given, updated_at (and for progress, last_progress_at)
// set to the call's time, and `version` left at the version of the last write
// this decorator saw (the deferred write adds one later). The stored
// updated_at/last_progress_at are the time the pending write is made (at most one
// window later). A cancel requested through another tracker shows in the returned
// snapshots after the next write of that operation (at most one window later).
//
// Durability: a crash loses only pending progress: updates acknowledged less than
// one window (plus the time of the flusher's write) before the crash. A start, an
// event, a status change, a completion or a cancel is never lost once its call
// returned.
//
// A deferred write that fails (say another process completed the operation in the
// meantime) never throws into an unrelated caller: it is dropped, counted in
// stats().dropped, its message kept in stats().last_drop_error and reported to
// CoalescingOptions::on_dropped. The next update_progress on that operation goes
// straight to the store and reports its own error.
//
// Reads: get_snapshot overlays the pending values on the stored snapshot (no
// write). events, list, count_by_status, children, timeline and find_stalled read
// the store as it is: they may show progress up to one window old.
//
// Thread safety: every method may be called from many threads at once. Calls on
// one operation are serialised inside the decorator (one at a time, in the order
// they take its lock); calls on different operations run in parallel. The wrapped
// tracker and watcher must be thread-safe (Tracker is).
// Ownership: shares ownership of the wrapped tracker, watcher and clock. The
// destructor stops the flusher and writes everything still pending (errors are
// dropped as above, never thrown).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

#include "incursa/platform/clock.hpp"
#include "incursa/platform/operations/operation_tracker.hpp"
#include "incursa/platform/operations/tracker.hpp"

namespace incursa::platform {

struct CoalescingOptions {
  // Progress to one operation is written at most once per window (plus the
  // writes that other calls force). Zero turns coalescing off. Negative is a
  // ValidationError (field "window").
  std::chrono::system_clock::duration window = std::chrono::milliseconds(250);
  // Measures the window. Default: SystemClock. Give it the wrapped tracker's clock.
  std::shared_ptr<const Clock> clock{};
  // A thread that writes pending progress when its window closes. Without it,
  // pending progress is written only by flush_due(), flush(), a later call on the
  // same operation, or the destructor (tests use this with a ManualClock).
  bool background_flusher = true;
  // Called (on the thread that made the write) for each dropped deferred write.
  // Must not throw; an exception from it is swallowed.
  std::function<void(const OperationId&, const std::exception_ptr&)> on_dropped{};
  // Called by the background flusher after each pass, with the clock time the
  // pass started: every pending write due at or before that time has then been
  // written (durably, if the store is durable) or dropped. Must not throw.
  std::function<void(Timestamp)> on_flushed{};
};

struct CoalescingStats {
  std::uint64_t deferred = 0;  // update_progress/heartbeat calls answered without a write
  std::uint64_t written = 0;   // pending writes made (each stands for >= 1 deferred call)
  std::uint64_t dropped = 0;   // pending writes the wrapped tracker refused
  std::uint64_t pending = 0;   // operations with a pending write right now
  std::string last_drop_error{};
};

class CoalescingTracker final : public OperationTracker, public OperationWatcher {
 public:
  // Wraps `tracker` as both tracker and watcher. Throws std::invalid_argument if
  // it is null, ValidationError for a negative window.
  explicit CoalescingTracker(std::shared_ptr<Tracker> tracker, CoalescingOptions options = {});
  // Any tracker and watcher (usually the same object). Throws std::invalid_argument
  // if either is null, ValidationError for a negative window.
  CoalescingTracker(std::shared_ptr<OperationTracker> tracker,
                    std::shared_ptr<OperationWatcher> watcher, CoalescingOptions options = {});
  // The factory: a Tracker over `store`, wrapped. The two share one clock:
  // options.clock, else tracker_options.clock, else SystemClock. Throws
  // std::invalid_argument for a null store, ValidationError for a negative window.
  static std::shared_ptr<CoalescingTracker> over(std::shared_ptr<OperationStore> store,
                                                 CoalescingOptions options = {},
                                                 TrackerOptions tracker_options = {});
  ~CoalescingTracker() override;
  CoalescingTracker(const CoalescingTracker&) = delete;
  CoalescingTracker& operator=(const CoalescingTracker&) = delete;

  OperationSnapshot start(std::string_view name, const StartOptions& options = {}) override;
  OperationSnapshot update_progress(const OperationId& id, const ProgressUpdate& update) override;
  OperationSnapshot heartbeat(const OperationId& id) override;
  OperationEvent add_event(const OperationId& id, std::string_view kind,
                           std::optional<std::string_view> message = std::nullopt,
                           std::optional<std::string_view> data_json = std::nullopt) override;
  ProgressWithEvent update_progress_with_event(
      const OperationId& id, const ProgressUpdate& update, std::string_view kind,
      std::optional<std::string_view> message = std::nullopt,
      std::optional<std::string_view> data_json = std::nullopt) override;
  OperationSnapshot complete(const OperationId& id, OperationStatus status,
                             std::optional<std::string_view> message = std::nullopt) override;
  OperationSnapshot request_cancel(const OperationId& id,
                                   std::optional<std::string_view> reason = std::nullopt) override;
  std::optional<OperationSnapshot> get_snapshot(const OperationId& id) override;
  std::vector<OperationEvent> events(const OperationId& id, std::int64_t after_sequence = 0,
                                     std::size_t limit = 1000) override;
  OperationPage list(const OperationQuery& query) override;
  StatusCounts count_by_status(const OperationFilter& filter = {},
                               std::optional<std::int64_t> at_most = std::nullopt) override;
  OperationPage children(const OperationId& id, std::size_t limit = 100,
                         std::optional<std::string> page_token = std::nullopt) override;
  Timeline timeline(const OperationId& id, const TimelineLimits& limits = {}) override;

  std::vector<OperationSnapshot> find_stalled(const StallQuery& query) override;
  bool mark_stalled(const OperationId& id) override;
  bool mark_stalled(const OperationId& id, const StaleCondition& still_stale) override;

  // Writes every pending update now, due or not, and waits for a write the
  // background flusher has in flight: everything acknowledged before the call is
  // in the store when it returns. Never throws for a failed write (dropped, see above).
  void flush();
  // Writes the pending updates whose window has closed by the clock's now().
  // Returns how many writes it attempted (written + dropped). Meant for use
  // without the background flusher (a write the flusher has in flight may still
  // be in progress when this returns).
  std::size_t flush_due();
  // Wakes the background flusher and waits until it has completed a pass started
  // after this call (so a ManualClock that moved is seen). Without a background
  // flusher, runs flush_due() instead.
  void sync_flusher();

  CoalescingStats stats() const;
  std::chrono::system_clock::duration window() const noexcept { return window_; }

 private:
  struct Entry;
  class Locked;

  Locked acquire(const OperationId& id);
  bool deferrable(const Entry& entry, Timestamp now) const;
  void defer(Entry& entry, Timestamp now, const ProgressUpdate* update);
  void dequeue(Entry& entry);  // caller holds entry.mutex
  // Writes entry's pending update; drops (records) a failure. Caller holds entry.mutex.
  void write_pending(Entry& entry);
  // Writes `update`, with entry's pending values under it, through `write`; a
  // failure drops (records) the pending write and is rethrown. Caller holds entry.mutex.
  OperationSnapshot write_progress_with_pending(
      Entry& entry, const ProgressUpdate& update, Timestamp now,
      const std::function<OperationSnapshot(const ProgressUpdate&)>& write);
  // Writes `update` to entry's operation now; drops (records) a failure. Caller
  // holds entry.mutex.
  void write_progress_now(Entry& entry, const ProgressUpdate& update);
  void forget(Entry& entry);  // erases a terminal operation's entry; holds entry.mutex
  std::size_t flush_due_at(Timestamp at);
  void run_flusher();
  void record_drop(const OperationId& id, const std::exception_ptr& error);

  std::shared_ptr<OperationTracker> tracker_;
  std::shared_ptr<OperationWatcher> watcher_;
  std::shared_ptr<const Clock> clock_;
  std::chrono::system_clock::duration window_;
  std::function<void(const OperationId&, const std::exception_ptr&)> on_dropped_;
  std::function<void(Timestamp)> on_flushed_;

  // Guards entries_, queue_, the flusher's state and last_drop_error_. Lock order:
  // an Entry's mutex first, then mutex_ (never the other way round, except try_lock).
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> entries_;
  std::set<std::pair<Timestamp, std::string>> queue_;  // (due, id) of pending writes
  std::condition_variable wake_;
  std::condition_variable pass_done_;
  bool stopping_ = false;
  std::uint64_t passes_requested_ = 0;
  std::uint64_t passes_done_ = 0;
  // When the sleeping flusher looks at the queue next on its own; min() while it
  // is awake (it looks before it sleeps). A deferred write due earlier wakes it.
  Timestamp flusher_sleeps_until_ = Timestamp::min();
  Timestamp last_sweep_{};
  std::string last_drop_error_;
  std::atomic<std::uint64_t> deferred_{0};
  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::thread flusher_;
};

}  // namespace incursa::platform
