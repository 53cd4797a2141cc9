#include "store_conformance.hpp"

namespace incursa::platform::testing {
INSTANTIATE_TEST_SUITE_P(Store, StoreConcurrency, ::testing::Values(conformance_store()),
                         StoreUnderTest::Name);
}  // namespace incursa::platform::testing
