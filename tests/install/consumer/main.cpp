// Walks every row of the contract §3 table through the installed headers and library.
#include <incursa/platform/platform.hpp>

#include <cstdlib>
#include <iostream>

using namespace incursa::platform;

namespace {
int failures = 0;
void check(bool ok, const char* what) {
  if (!ok) {
    std::cerr << "FAIL: " << what << "\n";
    ++failures;
  }
}
template <class Fn>
bool throws_invalid_transition(Fn fn) {
  try {
    fn();
  } catch (const InvalidTransitionError&) {
    return true;
  }
  return false;
}
}  // namespace

int main() {
  Tracker tracker(open_store("memory:"));
  using S = OperationStatus;

  // Pending
  auto p = tracker.start("Consumer.Check").id;
  check(tracker.get_snapshot(p)->status == S::Pending, "start -> Pending");
  check(tracker.request_cancel(p, "r").cancel_requested(), "Pending: cancel flag");
  check(tracker.update_progress(p, {.percent = 10.0}).status == S::Running, "Pending -> Running");
  // Running
  check(tracker.heartbeat(p).status == S::Running, "Running stays Running");
  tracker.add_event(p, "note");
  check(tracker.mark_stalled(p), "Running -> Stalled");
  // Stalled
  check(!tracker.mark_stalled(p), "Stalled: mark_stalled no-op");
  check(tracker.heartbeat(p).status == S::Running, "Stalled -> Running (resumed)");
  check(tracker.mark_stalled(p), "Running -> Stalled again");
  check(tracker.complete(p, S::Failed, "gave up").status == S::Failed, "Stalled -> Failed");
  // Terminal
  check(tracker.complete(p, S::Failed).status == S::Failed, "same terminal: no-op");
  check(throws_invalid_transition([&] { tracker.complete(p, S::Succeeded); }), "other terminal");
  check(throws_invalid_transition([&] { tracker.heartbeat(p); }), "terminal heartbeat");
  check(!tracker.mark_stalled(p), "terminal mark_stalled no-op");
  check(tracker.add_event(p, "late").sequence > 0, "terminal add_event");
  check(tracker.request_cancel(p).status == S::Failed, "terminal cancel no-op");

  std::cout << (failures == 0 ? "consumer: every row of the state table holds\n"
                              : "consumer: FAILED\n");
  return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
