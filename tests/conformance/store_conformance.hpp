// The conformance suite: written once, instantiated for every store.
//
// A store's test program instantiates the suite with a StoreUnderTest:
//
// A store's test file defines conformance_store(), returning how to open a fresh
// store, and CMake's add_conformance_test(NAME … SOURCES … LIBS …) (in
// tests/conformance/CMakeLists.txt) links it with the suite twice: once with the
// lifecycle/validation tests, once with the concurrency tests.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "incursa/platform/clock.hpp"
#include "incursa/platform/operations/operation_store.hpp"
#include "incursa/platform/operations/tracker.hpp"

namespace incursa::platform::testing {

struct StoreUnderTest {
  std::string name;
  // Returns a new, empty store, independent of every other one it returned.
  std::function<std::shared_ptr<OperationStore>()> open_fresh;

  static std::string Name(const ::testing::TestParamInfo<StoreUnderTest>& info) {
    return info.param.name;
  }
};

inline void PrintTo(const StoreUnderTest& s, std::ostream* os) { *os << s.name; }

// Defined once per store test program.
StoreUnderTest conformance_store();

class StoreConformance : public ::testing::TestWithParam<StoreUnderTest> {
 public:
  // Everything the store holds for one operation, to prove a call wrote nothing.
  struct Recorded {
    std::optional<OperationSnapshot> snapshot;
    std::vector<OperationEvent> events;
    bool operator==(const Recorded&) const = default;
  };

 protected:
  void SetUp() override;

  std::shared_ptr<OperationStore> store;
  std::shared_ptr<ManualClock> clock;
  std::unique_ptr<Tracker> tracker;
  // The store's optional capabilities (null when it lacks one): a test that needs
  // one starts with INCURSA_REQUIRE_CAPABILITY and is skipped without it.
  AuditStore* audit = nullptr;
  RetentionStore* retention = nullptr;
  TransferStore* transfer = nullptr;

  // Helpers shared by the suite's files.
  OperationId start(std::string_view name = "Test.Op");
  // Drives a fresh operation into `status` through public calls.
  OperationId start_in(OperationStatus status);

  Recorded record(const OperationId& id);
};

#define INCURSA_REQUIRE_CAPABILITY(capability)                                     \
  do {                                                                             \
    if ((capability) == nullptr) {                                                 \
      GTEST_SKIP() << store->kind() << " store has no " #capability " capability"; \
    }                                                                              \
  } while (false)

// Same fixture, separate program: these run under ThreadSanitizer in CI.
class StoreConcurrency : public StoreConformance {};

}  // namespace incursa::platform::testing
