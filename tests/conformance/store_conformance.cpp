#include "store_conformance.hpp"

namespace incursa::platform::testing {

void StoreConformance::SetUp() {
  store = GetParam().open_fresh();
  ASSERT_NE(store, nullptr);
  clock = std::make_shared<ManualClock>();
  tracker = std::make_unique<Tracker>(store, TrackerOptions{clock});
  audit = store->audit();
  retention = store->retention();
  transfer = store->transfer();
}

OperationId StoreConformance::start(std::string_view name) { return tracker->start(name).id; }

OperationId StoreConformance::start_in(OperationStatus status) {
  const OperationId id = start();
  switch (status) {
    case OperationStatus::Pending:
      break;
    case OperationStatus::Running:
      tracker->heartbeat(id);
      break;
    case OperationStatus::Stalled:
      EXPECT_TRUE(tracker->mark_stalled(id));
      break;
    default:
      tracker->complete(id, status);
      break;
  }
  EXPECT_EQ(tracker->get_snapshot(id)->status, status);
  return id;
}

StoreConformance::Recorded StoreConformance::record(const OperationId& id) {
  return {store->get(id), store->events(id, 0, 100000)};
}

}  // namespace incursa::platform::testing
