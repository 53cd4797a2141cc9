// The conformance suite on PostgreSQL: each test gets a fresh store on its own,
// newly created schema of the fixture's server.
#include <cstdio>
#include <cstdlib>

#include "pg_test_support.hpp"
#include "store_conformance.hpp"

namespace incursa::platform::testing {

namespace {

// Skips every test, loudly, when there is no server (never under CI=true). The
// "[  SKIPPED ]" text makes CTest report the test as skipped, not passed.
class ServerEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    std::string why;
    if (server_uri(&why)) return;
    if (must_not_skip()) {
      // Exit before any test runs: gtest would otherwise report every test as
      // skipped, and CTest counts a skip as a pass.
      std::fprintf(stderr, "CI=true and no PostgreSQL test server: %s\n", why.c_str());
      std::exit(1);
    }
    std::printf("[  SKIPPED ] #### NO POSTGRESQL SERVER -- conformance tests skipped: %s ####\n",
                why.c_str());
    GTEST_SKIP() << why;
  }
};

[[maybe_unused]] ::testing::Environment* const kServer =
    ::testing::AddGlobalTestEnvironment(new ServerEnvironment);

}  // namespace

StoreUnderTest conformance_store() {
  return {"postgres", [] { return open_fresh_store({}, "conf"); }};
}

}  // namespace incursa::platform::testing
