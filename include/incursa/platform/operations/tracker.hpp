// Tracker: the standard OperationTracker and OperationWatcher over an OperationStore.
//
// It validates every input (contract §7) in one place before anything reaches the
// store, stamps times from its Clock (truncated to microseconds), makes ids, and
// turns each call into one conditional store write using transition_rules.hpp.
//
// Thread safety: safe to share between threads; it holds no mutable state of its
// own beyond what the store holds. Ownership: shares ownership of the store and clock.
#pragma once

#include <memory>

#include "incursa/platform/clock.hpp"
#include "incursa/platform/operations/operation_tracker.hpp"
#include "incursa/platform/operations/transition_rules.hpp"
#include "incursa/platform/privacy/scrubber.hpp"

namespace incursa::platform {

struct TrackerOptions {
  std::shared_ptr<const Clock> clock{};  // default: SystemClock
  // Rewrites messages, event messages, cancel reasons and data JSON after they
  // pass validation and before they are stored (privacy/scrubber.hpp). Optional.
  std::shared_ptr<const Scrubber> scrubber{};
};

class Tracker final : public OperationTracker, public OperationWatcher {
 public:
  // Throws std::invalid_argument if `store` is null.
  explicit Tracker(std::shared_ptr<OperationStore> store, TrackerOptions options = {});

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

  const std::shared_ptr<OperationStore>& store() const noexcept { return store_; }
  const Clock& clock() const noexcept { return *clock_; }

 private:
  Timestamp now() const;
  // Runs `request` for `action` through the store's transition_into(), filling
  // `out`; resolves Rejected into a no-op or an error. May move from `request`.
  void execute(OperationAction action, TransitionRequest& request, TransitionOutput& out,
               std::optional<OperationStatus> requested = std::nullopt);

  // Fills the progress fields of `request` from `update` (validated).
  void set_progress(TransitionRequest& request, const ProgressUpdate& update) const;
  // Appends a new event to `request` (validated, scrubbed, with a fresh key).
  void append_event(TransitionRequest& request, std::string_view kind,
                    std::optional<std::string_view> message,
                    std::optional<std::string_view> data_json) const;

  std::optional<std::string> scrub_message(std::optional<std::string> text) const;
  std::optional<std::string> scrub_data(std::optional<std::string> json) const;

  std::shared_ptr<OperationStore> store_;
  std::shared_ptr<const Clock> clock_;
  std::shared_ptr<const Scrubber> scrubber_;
};

}  // namespace incursa::platform
