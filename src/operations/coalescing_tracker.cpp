#include "incursa/platform/operations/coalescing_tracker.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "base/validation.hpp"
#include "correlation/correlation_validation.hpp"
#include "incursa/platform/error.hpp"
#include "operations/operation_rules.hpp"

namespace incursa::platform {

namespace {

void require_id(const OperationId& id) {
  if (id.empty()) throw ValidationError("operation_id", "is required");
}

// Applies the fields `update` gives to `into` (fields left empty keep their value).
void merge(ProgressUpdate& into, const ProgressUpdate& update) {
  if (update.percent) into.percent = update.percent;
  if (update.message) into.message = update.message;
  if (update.progress) into.progress = update.progress;
}

// `update` validated (ValidationError) and with its message normalised.
ProgressUpdate normalized_progress(const ProgressUpdate& update) {
  validation::percent(update.percent);
  validation::progress(update.progress);
  ProgressUpdate normalized;
  normalized.percent = update.percent;
  normalized.message = validation::message(update.message);
  normalized.progress = update.progress;
  return normalized;
}

std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}

}  // namespace

// Per-operation state. Every field is guarded by `mutex`; `erased` and the
// pending/due pair are written only while mutex_ is held too.
struct CoalescingTracker::Entry {
  explicit Entry(const OperationId& op) : id(op.value()), operation(op) {}

  std::mutex mutex;
  const std::string id;
  const OperationId operation;
  bool erased = false;                    // removed from entries_: look it up again
  std::optional<OperationSnapshot> view;  // last snapshot seen, deferred changes applied
  std::optional<Timestamp> last_write;    // last progress/heartbeat write made here
  bool pending = false;                   // a deferred write is queued
  bool pending_progress = false;          // ... and it is progress (else a heartbeat)
  ProgressUpdate update{};                // the merged deferred progress
  Timestamp due{};                        // when the queued write is due
};

// An entry with its mutex held. Members are destroyed in reverse order: the lock
// is released before the reference.
class CoalescingTracker::Locked {
 public:
  Locked(std::shared_ptr<Entry> entry, std::unique_lock<std::mutex> lock)
      : entry_(std::move(entry)), lock_(std::move(lock)) {}
  Entry& operator*() const noexcept { return *entry_; }
  Entry* operator->() const noexcept { return entry_.get(); }

 private:
  std::shared_ptr<Entry> entry_;
  std::unique_lock<std::mutex> lock_;
};

CoalescingTracker::CoalescingTracker(std::shared_ptr<Tracker> tracker, CoalescingOptions options)
    : CoalescingTracker(std::shared_ptr<OperationTracker>(tracker),
                        std::shared_ptr<OperationWatcher>(tracker), std::move(options)) {}

CoalescingTracker::CoalescingTracker(std::shared_ptr<OperationTracker> tracker,
                                     std::shared_ptr<OperationWatcher> watcher,
                                     CoalescingOptions options)
    : tracker_(std::move(tracker)),
      watcher_(std::move(watcher)),
      clock_(std::move(options.clock)),
      window_(options.window),
      on_dropped_(std::move(options.on_dropped)),
      on_flushed_(std::move(options.on_flushed)) {
  if (!tracker_) throw std::invalid_argument("CoalescingTracker needs a tracker");
  if (!watcher_) throw std::invalid_argument("CoalescingTracker needs a watcher");
  if (window_.count() < 0) throw ValidationError("window", "must not be negative");
  if (!clock_) clock_ = SystemClock::instance();
  if (options.background_flusher) flusher_ = std::thread([this] { run_flusher(); });
}

std::shared_ptr<CoalescingTracker> CoalescingTracker::over(std::shared_ptr<OperationStore> store,
                                                           CoalescingOptions options,
                                                           TrackerOptions tracker_options) {
  if (!options.clock) options.clock = tracker_options.clock;
  if (!options.clock) options.clock = SystemClock::instance();
  tracker_options.clock = options.clock;
  return std::make_shared<CoalescingTracker>(
      std::make_shared<Tracker>(std::move(store), std::move(tracker_options)), std::move(options));
}

CoalescingTracker::~CoalescingTracker() {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  pass_done_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  flush();
}

CoalescingTracker::Locked CoalescingTracker::acquire(const OperationId& id) {
  for (;;) {
    std::shared_ptr<Entry> entry;
    {
      std::lock_guard<std::mutex> guard(mutex_);
      auto& slot = entries_[id.value()];
      if (!slot) slot = std::make_shared<Entry>(id);
      entry = slot;
    }
    std::unique_lock<std::mutex> lock(entry->mutex);
    if (!entry->erased) return Locked(std::move(entry), std::move(lock));
    // Swept or forgotten between the lookup and the lock: look it up again.
  }
}

bool CoalescingTracker::deferrable(const Entry& entry, Timestamp now) const {
  return window_.count() > 0 && entry.view && entry.view->status == OperationStatus::Running &&
         entry.last_write && *entry.last_write <= now && now < *entry.last_write + window_;
}

void CoalescingTracker::defer(Entry& entry, Timestamp now, const ProgressUpdate* update) {
  const Timestamp at = truncate_to_micros(now);
  if (update) {
    merge(entry.update, *update);
    entry.pending_progress = true;
    if (update->percent) entry.view->percent = update->percent;
    if (update->message) entry.view->message = update->message;
    if (update->progress) entry.view->progress = update->progress;
    entry.view->last_progress_at = at;
  }
  entry.view->updated_at = at;
  deferred_.fetch_add(1, std::memory_order_relaxed);
  if (entry.pending) return;
  std::lock_guard<std::mutex> guard(mutex_);
  entry.pending = true;
  entry.due = *entry.last_write + window_;
  queue_.emplace(entry.due, entry.id);
  // Only a write due before the flusher's own next look needs to wake it: waking
  // it for every deferral (most are folded into the next event within
  // milliseconds) cost a context switch per operation.
  if (entry.due < flusher_sleeps_until_) wake_.notify_one();
}

void CoalescingTracker::dequeue(Entry& entry) {
  if (entry.pending) {
    std::lock_guard<std::mutex> guard(mutex_);
    queue_.erase({entry.due, entry.id});
    entry.pending = false;
  }
  entry.pending_progress = false;
  entry.update = ProgressUpdate{};
}

void CoalescingTracker::write_pending(Entry& entry) {
  if (!entry.pending) return;
  const ProgressUpdate update = entry.update;
  const bool progress = entry.pending_progress;
  dequeue(entry);
  if (progress) {
    write_progress_now(entry, update);
    return;
  }
  try {
    entry.view = tracker_->heartbeat(entry.operation);
    entry.last_write = clock_->now();
    written_.fetch_add(1, std::memory_order_relaxed);
  } catch (...) {
    entry.view.reset();
    record_drop(entry.operation, std::current_exception());
  }
}

void CoalescingTracker::write_progress_now(Entry& entry, const ProgressUpdate& update) {
  try {
    entry.view = tracker_->update_progress(entry.operation, update);
    entry.last_write = clock_->now();
    written_.fetch_add(1, std::memory_order_relaxed);
  } catch (...) {
    entry.view.reset();
    record_drop(entry.operation, std::current_exception());
  }
}

void CoalescingTracker::forget(Entry& entry) {
  dequeue(entry);
  std::lock_guard<std::mutex> guard(mutex_);
  const auto it = entries_.find(entry.id);
  if (it != entries_.end() && it->second.get() == &entry) entries_.erase(it);
  entry.erased = true;
}

void CoalescingTracker::record_drop(const OperationId& id, const std::exception_ptr& error) {
  dropped_.fetch_add(1, std::memory_order_relaxed);
  {
    std::string text = describe(error);
    std::lock_guard<std::mutex> guard(mutex_);
    last_drop_error_ = std::move(text);
  }
  if (on_dropped_) {
    try {
      on_dropped_(id, error);
    } catch (...) {  // documented: swallowed
    }
  }
}

OperationSnapshot CoalescingTracker::start(std::string_view name, const StartOptions& options) {
  return tracker_->start(name, options);
}

OperationSnapshot CoalescingTracker::update_progress(const OperationId& id,
                                                     const ProgressUpdate& update) {
  require_id(id);
  const ProgressUpdate normalized = normalized_progress(update);
  Locked entry = acquire(id);
  const Timestamp now = clock_->now();
  if (deferrable(*entry, now)) {
    defer(*entry, now, &normalized);
    return *entry->view;
  }
  // The window has closed (or there is none): write now, pending values included.
  return write_progress_with_pending(*entry, normalized, now, [&](const ProgressUpdate& merged) {
    return tracker_->update_progress(id, merged);
  });
}

OperationSnapshot CoalescingTracker::write_progress_with_pending(
    Entry& entry, const ProgressUpdate& update, Timestamp now,
    const std::function<OperationSnapshot(const ProgressUpdate&)>& write) {
  const bool had_pending = entry.pending;
  ProgressUpdate merged = entry.pending_progress ? entry.update : ProgressUpdate{};
  merge(merged, update);
  dequeue(entry);
  try {
    OperationSnapshot snapshot = write(merged);
    entry.view = snapshot;
    entry.last_write = now;
    if (had_pending) written_.fetch_add(1, std::memory_order_relaxed);
    return snapshot;
  } catch (...) {
    entry.view.reset();
    if (had_pending) record_drop(entry.operation, std::current_exception());
    throw;
  }
}

OperationSnapshot CoalescingTracker::heartbeat(const OperationId& id) {
  require_id(id);
  Locked entry = acquire(id);
  const Timestamp now = clock_->now();
  if (deferrable(*entry, now)) {
    defer(*entry, now, nullptr);
    return *entry->view;
  }
  const bool had_pending = entry->pending;
  const bool progress = entry->pending_progress;
  const ProgressUpdate update = entry->update;
  dequeue(*entry);
  try {
    // Pending progress is written instead: it is a superset of a heartbeat.
    OperationSnapshot snapshot =
        progress ? tracker_->update_progress(id, update) : tracker_->heartbeat(id);
    entry->view = snapshot;
    entry->last_write = now;
    if (had_pending) written_.fetch_add(1, std::memory_order_relaxed);
    return snapshot;
  } catch (...) {
    entry->view.reset();
    if (had_pending) record_drop(id, std::current_exception());
    throw;
  }
}

OperationEvent CoalescingTracker::add_event(const OperationId& id, std::string_view kind,
                                            std::optional<std::string_view> message,
                                            std::optional<std::string_view> data_json) {
  require_id(id);
  Locked entry = acquire(id);
  if (entry->pending && entry->pending_progress) {
    const ProgressUpdate pending = entry->update;
    dequeue(*entry);
    try {
      ProgressWithEvent written =
          tracker_->update_progress_with_event(id, pending, kind, message, data_json);
      entry->view = std::move(written.snapshot);
      entry->last_write = clock_->now();
      written_.fetch_add(1, std::memory_order_relaxed);
      return written.event;
    } catch (...) {
      // Nothing was written. Write the two apart, each with its own outcome:
      // the progress may be refused (the operation finished elsewhere) where an
      // event is accepted, and a bad event must not cost the progress.
      write_progress_now(*entry, pending);
    }
  } else {
    write_pending(*entry);
  }
  try {
    OperationEvent event = tracker_->add_event(id, kind, message, data_json);
    if (entry->view) {
      ++entry->view->version;
      entry->view->updated_at = std::max(entry->view->updated_at, event.occurred_at);
    }
    return event;
  } catch (...) {
    entry->view.reset();
    throw;
  }
}

ProgressWithEvent CoalescingTracker::update_progress_with_event(
    const OperationId& id, const ProgressUpdate& update, std::string_view kind,
    std::optional<std::string_view> message, std::optional<std::string_view> data_json) {
  require_id(id);
  // Bad progress fails before the pending values are touched (as update_progress).
  const ProgressUpdate normalized = normalized_progress(update);
  Locked entry = acquire(id);
  // Never deferred (it carries an event): written now, pending values included.
  ProgressWithEvent written;
  written.snapshot = write_progress_with_pending(
      *entry, normalized, clock_->now(), [&](const ProgressUpdate& merged) {
        written = tracker_->update_progress_with_event(id, merged, kind, message, data_json);
        return written.snapshot;
      });
  return written;
}

OperationSnapshot CoalescingTracker::complete(const OperationId& id, OperationStatus status,
                                              std::optional<std::string_view> message) {
  require_id(id);
  Locked entry = acquire(id);
  write_pending(*entry);
  try {
    OperationSnapshot snapshot = tracker_->complete(id, status, message);
    if (snapshot.terminal()) {
      forget(*entry);
    } else {
      entry->view = snapshot;
    }
    return snapshot;
  } catch (...) {
    entry->view.reset();
    throw;
  }
}

OperationSnapshot CoalescingTracker::request_cancel(const OperationId& id,
                                                    std::optional<std::string_view> reason) {
  require_id(id);
  Locked entry = acquire(id);
  write_pending(*entry);
  try {
    OperationSnapshot snapshot = tracker_->request_cancel(id, reason);
    if (snapshot.terminal()) {
      forget(*entry);
    } else {
      entry->view = snapshot;
    }
    return snapshot;
  } catch (...) {
    entry->view.reset();
    throw;
  }
}

bool CoalescingTracker::mark_stalled(const OperationId& id) {
  require_id(id);
  Locked entry = acquire(id);
  write_pending(*entry);
  entry->view.reset();  // the status may have changed: the next progress goes to the store
  return watcher_->mark_stalled(id);
}

bool CoalescingTracker::mark_stalled(const OperationId& id, const StaleCondition& still_stale) {
  require_id(id);
  Locked entry = acquire(id);
  write_pending(*entry);
  entry->view.reset();
  return watcher_->mark_stalled(id, still_stale);
}

std::optional<OperationSnapshot> CoalescingTracker::get_snapshot(const OperationId& id) {
  require_id(id);
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    const auto it = entries_.find(id.value());
    if (it != entries_.end()) entry = it->second;
  }
  if (!entry) return tracker_->get_snapshot(id);
  std::lock_guard<std::mutex> lock(entry->mutex);
  std::optional<OperationSnapshot> snapshot = tracker_->get_snapshot(id);
  if (snapshot && !entry->erased && entry->pending && entry->view) {
    const ProgressUpdate& pending = entry->update;
    if (pending.percent) snapshot->percent = pending.percent;
    if (pending.message) snapshot->message = pending.message;
    if (pending.progress) snapshot->progress = pending.progress;
    snapshot->updated_at = std::max(snapshot->updated_at, entry->view->updated_at);
    if (entry->pending_progress) {
      snapshot->last_progress_at =
          std::max(snapshot->last_progress_at, entry->view->last_progress_at);
    }
  }
  return snapshot;
}

std::vector<OperationEvent> CoalescingTracker::events(const OperationId& id,
                                                      std::int64_t after_sequence,
                                                      std::size_t limit) {
  return tracker_->events(id, after_sequence, limit);
}

OperationPage CoalescingTracker::list(const OperationQuery& query) { return tracker_->list(query); }

StatusCounts CoalescingTracker::count_by_status(const OperationFilter& filter,
                                                std::optional<std::int64_t> at_most) {
  return tracker_->count_by_status(filter, at_most);
}

OperationPage CoalescingTracker::children(const OperationId& id, std::size_t limit,
                                          std::optional<std::string> page_token) {
  return tracker_->children(id, limit, std::move(page_token));
}

Timeline CoalescingTracker::timeline(const OperationId& id, const TimelineLimits& limits) {
  return tracker_->timeline(id, limits);
}

std::vector<OperationSnapshot> CoalescingTracker::find_stalled(const StallQuery& query) {
  return watcher_->find_stalled(query);
}

void CoalescingTracker::flush() {
  // Every entry, not just the queued ones: taking each lock also waits for a
  // write the background flusher has in flight, so everything acknowledged
  // before this call is in the store when it returns.
  std::vector<std::shared_ptr<Entry>> batch;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    batch.reserve(entries_.size());
    for (const auto& item : entries_) batch.push_back(item.second);
  }
  for (const auto& entry : batch) {
    std::lock_guard<std::mutex> lock(entry->mutex);
    if (!entry->erased) write_pending(*entry);
  }
}

std::size_t CoalescingTracker::flush_due() { return flush_due_at(clock_->now()); }

std::size_t CoalescingTracker::flush_due_at(Timestamp at) {
  // Repeats until nothing due by `at` is left: a call that read the clock before
  // `at` may queue such a write while a batch is being written.
  std::size_t attempted = 0;
  for (;;) {
    std::vector<std::shared_ptr<Entry>> batch;
    {
      std::lock_guard<std::mutex> guard(mutex_);
      for (auto it = queue_.begin(); it != queue_.end() && it->first <= at; ++it) {
        const auto found = entries_.find(it->second);
        if (found != entries_.end()) batch.push_back(found->second);
      }
    }
    if (batch.empty()) break;
    for (const auto& entry : batch) {
      std::lock_guard<std::mutex> lock(entry->mutex);
      if (!entry->erased && entry->pending && entry->due <= at) {
        write_pending(*entry);
        ++attempted;
      }
    }
  }

  // Once a window, forget idle operations: nothing pending and the window closed,
  // so the next call on them behaves the same without an entry.
  std::lock_guard<std::mutex> guard(mutex_);
  if (at - last_sweep_ >= window_) {
    last_sweep_ = at;
    for (auto it = entries_.begin(); it != entries_.end();) {
      Entry& entry = *it->second;
      std::unique_lock<std::mutex> lock(entry.mutex, std::try_to_lock);
      if (lock.owns_lock() && !entry.pending &&
          (!entry.last_write || *entry.last_write + window_ <= at)) {
        entry.erased = true;
        lock.unlock();
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
  }
  return attempted;
}

void CoalescingTracker::sync_flusher() {
  if (!flusher_.joinable()) {
    flush_due();
    return;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  const std::uint64_t ticket = ++passes_requested_;
  wake_.notify_all();
  pass_done_.wait(lock, [&] { return passes_done_ >= ticket || stopping_; });
}

void CoalescingTracker::run_flusher() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    const Timestamp now = clock_->now();
    const bool due = !queue_.empty() && queue_.begin()->first <= now;
    if (due || passes_requested_ > passes_done_) {
      const std::uint64_t serving = passes_requested_;
      lock.unlock();
      flush_due_at(now);
      if (on_flushed_) {
        try {
          on_flushed_(now);
        } catch (...) {  // documented: swallowed
        }
      }
      lock.lock();
      passes_done_ = std::max(passes_done_, serving);
      pass_done_.notify_all();
      continue;
    }
    if (queue_.empty() && window_.count() <= 0) {
      flusher_sleeps_until_ = Timestamp::max();
      wake_.wait(lock);
    } else {
      // With nothing queued, look again a window from now: a write deferred in
      // the meantime is due no earlier than that unless its operation's last
      // write predates this moment, and such a write wakes the flusher.
      flusher_sleeps_until_ = queue_.empty() ? now + window_ : queue_.begin()->first;
      wake_.wait_for(lock, flusher_sleeps_until_ - now);
    }
    flusher_sleeps_until_ = Timestamp::min();
  }
}

CoalescingStats CoalescingTracker::stats() const {
  CoalescingStats stats;
  stats.deferred = deferred_.load(std::memory_order_relaxed);
  stats.written = written_.load(std::memory_order_relaxed);
  stats.dropped = dropped_.load(std::memory_order_relaxed);
  std::lock_guard<std::mutex> guard(mutex_);
  stats.pending = queue_.size();
  stats.last_drop_error = last_drop_error_;
  return stats;
}

}  // namespace incursa::platform
