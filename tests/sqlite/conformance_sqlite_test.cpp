// The conformance suite on SQLite: every test gets a new file in its own directory.
#include "sqlite_test_support.hpp"
#include "store_conformance.hpp"

namespace incursa::platform::testing {

StoreUnderTest conformance_store() {
  return {"sqlite", []() -> std::shared_ptr<OperationStore> { return open_temp_store(); }};
}

}  // namespace incursa::platform::testing
