#include "incursa/platform/stores/memory_store.hpp"
#include "store_conformance.hpp"

namespace incursa::platform::testing {

StoreUnderTest conformance_store() {
  return {"memory", [] { return make_memory_store(); }};
}

}  // namespace incursa::platform::testing
