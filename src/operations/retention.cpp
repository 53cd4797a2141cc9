#include "incursa/platform/operations/retention.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "incursa/platform/error.hpp"

namespace incursa::platform {

using Duration = RetentionPolicy::Duration;

RetentionPolicy RetentionPolicy::keep_terminal_for(Duration keep) {
  RetentionPolicy p;
  p.keep_succeeded = p.keep_failed = p.keep_canceled = keep;
  return p;
}

void RetentionPolicy::validate() const {
  const auto check = [](const std::optional<Duration>& d, const char* field) {
    if (d && *d < Duration::zero()) throw ValidationError(field, "must not be negative");
  };
  check(keep_succeeded, "keep_succeeded");
  check(keep_failed, "keep_failed");
  check(keep_canceled, "keep_canceled");
  check(keep_events, "keep_events");
  if (batch_size == 0 || batch_size > 10000) {
    throw ValidationError("batch_size", "must be from 1 to 10000");
  }
  if (max_batches == 0) throw ValidationError("max_batches", "must be positive");
}

FileArchiveSink::FileArchiveSink(const std::string& path)
    : path_(path), file_(std::fopen(path.c_str(), "ae")) {
  if (!file_) {
    throw StoreError("cannot open archive file " + path + ": " + std::strerror(errno), false);
  }
}

FileArchiveSink::~FileArchiveSink() { std::fclose(file_); }

void FileArchiveSink::write_line(std::string_view line) {
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() ||
      std::fputc('\n', file_) == EOF) {
    throw StoreError("cannot write archive file " + path_ + ": " + std::strerror(errno), false);
  }
}

void FileArchiveSink::flush() {
  if (std::fflush(file_) != 0 || ::fsync(::fileno(file_)) != 0) {
    throw StoreError("cannot flush archive file " + path_ + ": " + std::strerror(errno), false);
  }
}

std::string archive_line(const PurgeCandidate& c) {
  const OperationSnapshot& s = c.snapshot;
  const Timestamp completed = s.completed_at.value_or(s.updated_at);
  const nlohmann::json line = {
      {"id", s.id.value()},
      {"name", s.name},
      {"status", to_string(s.status)},
      {"started_at", format_iso8601(s.started_at)},
      {"completed_at", format_iso8601(completed)},
      {"duration_ms",
       std::chrono::duration_cast<std::chrono::milliseconds>(completed - s.started_at).count()},
      {"correlation_id", s.correlation ? nlohmann::json(s.correlation->correlation_id.value())
                                       : nlohmann::json(nullptr)},
      {"tags", s.tags},
      {"event_count", c.event_count},
  };
  return line.dump();
}

namespace {

// Writes and flushes one line per candidate. A sink's own failure, whatever it
// throws, reaches the caller as the StoreError purge() promises; nothing of the
// batch has been deleted yet.
void archive_batch(ArchiveSink& archive, const std::vector<PurgeCandidate>& batch) {
  try {
    for (const PurgeCandidate& c : batch) archive.write_line(archive_line(c));
    archive.flush();
  } catch (const StoreError&) {
    throw;
  } catch (const std::exception& e) {
    throw StoreError(
        std::string("archive sink failed; nothing of this batch was purged: ") + e.what(), false);
  } catch (...) {
    throw StoreError("archive sink failed; nothing of this batch was purged", false);
  }
}

}  // namespace

PurgeResult purge(OperationStore& operations, const RetentionPolicy& policy, const Clock& clock,
                  ArchiveSink* archive) {
  policy.validate();
  RetentionStore* retention = operations.retention();
  if (retention == nullptr) {
    throw StoreError(std::string(operations.kind()) + " store has no retention", false);
  }
  RetentionStore& store = *retention;
  const Timestamp now = truncate_to_micros(clock.now());
  PurgeRequest request;
  request.limit = policy.batch_size;
  request.now = now;
  if (policy.keep_succeeded) request.succeeded_before = now - *policy.keep_succeeded;
  if (policy.keep_failed) request.failed_before = now - *policy.keep_failed;
  if (policy.keep_canceled) request.canceled_before = now - *policy.keep_canceled;

  PurgeResult result;
  const bool any_snapshots =
      request.succeeded_before || request.failed_before || request.canceled_before;
  while (any_snapshots) {
    if (result.batches == policy.max_batches) {
      result.complete = false;
      return result;
    }
    const std::vector<PurgeCandidate> batch = store.find_purgeable(request);
    if (batch.empty()) break;
    ++result.batches;
    std::vector<OperationId> ids;
    ids.reserve(batch.size());
    for (const PurgeCandidate& c : batch) ids.push_back(c.snapshot.id);
    if (archive) archive_batch(*archive, batch);
    const std::size_t deleted = store.delete_operations(ids, request).size();
    result.operations_purged += deleted;
    // A short batch was the last; a batch nobody could delete (another purger won) ends it too.
    if (batch.size() < request.limit || deleted == 0) break;
  }
  if (policy.keep_events) {
    const Timestamp cutoff = now - *policy.keep_events;
    while (true) {
      if (result.batches == policy.max_batches) {
        result.complete = false;
        return result;
      }
      const std::size_t deleted = store.delete_events_before(cutoff, policy.batch_size);
      ++result.batches;
      result.events_purged += deleted;
      if (deleted < policy.batch_size) break;
    }
  }
  return result;
}

}  // namespace incursa::platform
