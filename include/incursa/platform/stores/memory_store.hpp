// The in-memory store: no persistence, nothing to set up. For tests, examples and
// services that only need operations while the process lives.
//
// Thread safety: fully thread-safe. Operations are spread over shards, each with
// its own lock, and each operation has its own mutex, so writers to different
// operations do not wait on each other.
#pragma once

#include <memory>

#include "incursa/platform/operations/operation_store.hpp"

namespace incursa::platform {

std::shared_ptr<OperationStore> make_memory_store();

}  // namespace incursa::platform
