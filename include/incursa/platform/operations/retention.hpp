// Retention: purge old finished work in bounded batches (contract §8).
//
//   RetentionPolicy policy;
//   using namespace std::chrono;
//   policy.keep_succeeded = days(7); policy.keep_failed = days(30);
//   policy.keep_canceled = days(7);
//   policy.keep_events = days(90);            // events outlive their snapshot as evidence
//   FileArchiveSink archive("/var/lib/app/purged.jsonl");
//   PurgeResult r = purge(*store, policy, clock, &archive);
//
// Only terminal operations are ever purged, measured from completed_at; a
// status with no keep period is kept forever. Events are purged by their own
// age, and never those of an operation that is still open. Before a batch of
// snapshots is deleted, each gets one JSON line in the archive sink (written and
// flushed first, so a crash can repeat a line but never lose one).
#pragma once

#include <chrono>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "incursa/platform/clock.hpp"
#include "incursa/platform/operations/operation_store.hpp"

namespace incursa::platform {

struct RetentionPolicy {
  using Duration = std::chrono::system_clock::duration;
  std::optional<Duration> keep_succeeded{};
  std::optional<Duration> keep_failed{};
  std::optional<Duration> keep_canceled{};
  std::optional<Duration> keep_events{};
  std::size_t batch_size = 500;    // operations (or events) per store call
  std::size_t max_batches = 1000;  // bound on one purge() call's work

  // The same keep period for every terminal status.
  static RetentionPolicy keep_terminal_for(Duration keep);
  void validate() const;
};

// Receives one JSON line per purged operation, before the operation is deleted.
// Thread safety: purge() calls it from the calling thread only.
class ArchiveSink {
 public:
  virtual ~ArchiveSink() = default;
  virtual void write_line(std::string_view json_line) = 0;
  // Called before the batch's snapshots are deleted: make the lines durable.
  virtual void flush() = 0;
};

// Appends lines to a file (created if missing) and fsyncs on flush().
// Throws StoreError when the file cannot be opened or written.
class FileArchiveSink final : public ArchiveSink {
 public:
  explicit FileArchiveSink(const std::string& path);
  ~FileArchiveSink() override;
  FileArchiveSink(const FileArchiveSink&) = delete;
  FileArchiveSink& operator=(const FileArchiveSink&) = delete;

  void write_line(std::string_view json_line) override;
  void flush() override;

 private:
  std::string path_;
  std::FILE* file_;
};

struct PurgeResult {
  std::size_t operations_purged = 0;
  std::size_t events_purged = 0;
  std::size_t batches = 0;
  // false when it stopped at max_batches, before it could see whether anything
  // was left: run it again (a run that finds nothing is cheap).
  bool complete = true;
};

// The archive line for one purged operation: id, name, status, started_at,
// completed_at, duration_ms, correlation_id, tags, event_count.
std::string archive_line(const PurgeCandidate& candidate);

// Runs the policy once against `store`, through its retention capability
// (retention_store.hpp). Throws ValidationError for a bad policy, StoreError for
// a store without retention and for store or sink trouble -- a sink that throws anything else is
// reported as a StoreError too, and the batch it failed on is not deleted
// (what was purged before stays purged).
PurgeResult purge(OperationStore& store, const RetentionPolicy& policy, const Clock& clock,
                  ArchiveSink* archive = nullptr);

}  // namespace incursa::platform
