#include "incursa/platform/operations/operation_store.hpp"

#include <string>

#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/store_support.hpp"

namespace incursa::platform {

void OperationStore::transition_into(TransitionRequest& request, TransitionOutput& out) {
  if (request.status_event_key.empty()) request.status_event_key = new_event_key();
  TransitionResult result = transition(request);
  out.outcome = result.outcome;
  if (!result.snapshot) return;
  out.status = result.snapshot->status;
  if (out.snapshot) *out.snapshot = std::move(*result.snapshot);
  if (out.last_event && !result.appended.empty())
    *out.last_event = std::move(result.appended.back());
}

std::shared_ptr<AuditStore> audit_store(const std::shared_ptr<OperationStore>& store) {
  AuditStore* audit = store ? store->audit() : nullptr;
  if (audit == nullptr) {
    throw StoreError(std::string(store ? store->kind() : "null") + " store keeps no audit events",
                     false);
  }
  return std::shared_ptr<AuditStore>(store, audit);  // shares the store's ownership
}

std::optional<PurgedOperation> find_purged(OperationStore& store, const OperationId& id) {
  RetentionStore* retention = store.retention();
  return retention ? retention->find_purged(id) : std::nullopt;
}

}  // namespace incursa::platform

namespace incursa::platform {

std::vector<bool> TransferStore::restore_batch(std::span<const RestoreRecord> batch) {
  std::vector<bool> written;
  written.reserve(batch.size());
  for (const RestoreRecord& r : batch) written.push_back(restore(r.operation, r.events));
  return written;
}

}  // namespace incursa::platform
