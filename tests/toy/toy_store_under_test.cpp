// The conformance suite over the toy store of docs/writing-a-store.md: the gate
// a new store passes, and proof that the page's store is enough. Tests of the
// optional capabilities (audit, retention, import) are skipped: it has none.
#include <memory>

#include "store_conformance.hpp"
#include "toy_store.hpp"

namespace incursa::platform::testing {

StoreUnderTest conformance_store() {
  return {"toy", [] { return std::make_shared<toy::ToyStore>(); }};
}

}  // namespace incursa::platform::testing
