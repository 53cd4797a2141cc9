// redact_store_uri: what the tools may show of a store URI.
#include <gtest/gtest.h>

#include "incursa/platform/error.hpp"
#include "incursa/platform/stores/store_factory.hpp"

namespace incursa::platform {
namespace {

TEST(RedactStoreUri, HidesTheUserinfoPasswordAndSecretLookingParameters) {
  const std::pair<const char*, const char*> cases[] = {
      {"postgresql://app:s3cr3t@db.internal:5432/ops", "postgresql://app:***@db.internal:5432/ops"},
      {"postgres://app:p%40ss@db/ops?schema=ops", "postgres://app:***@db/ops?schema=ops"},
      // The userinfo ends at the last '@' before the path.
      {"postgresql://app:a@b@db/ops", "postgresql://app:***@db/ops"},
      {"postgresql://app:pw@h1:5432,h2:5433/ops", "postgresql://app:***@h1:5432,h2:5433/ops"},
      {"postgresql://db/ops?user=app&password=pw&sslmode=require",
       "postgresql://db/ops?user=app&password=***&sslmode=require"},
      {"postgresql:///ops?host=/run/pg&sslpassword=x&api_token=t&client_secret=s&PassWord=y",
       "postgresql:///ops?host=/run/pg&sslpassword=***&api_token=***&client_secret=***&PassWord=***"},
      // Nothing secret: unchanged.
      {"postgresql://app@db/ops", "postgresql://app@db/ops"},
      {"postgresql://db:5432/ops?schema=a", "postgresql://db:5432/ops?schema=a"},
      {"sqlite:/var/lib/ops.db?synchronous=full", "sqlite:/var/lib/ops.db?synchronous=full"},
      {"sqlite:///abs/path@2.db", "sqlite:///abs/path@2.db"},
      {"memory:", "memory:"},
      {"", ""},
  };
  for (const auto& [uri, shown] : cases) EXPECT_EQ(redact_store_uri(uri), shown) << uri;
}

TEST(RedactStoreUri, AnUnknownSchemeIsRefusedWithoutItsPassword) {
  try {
    open_store("postgresqlx://app:s3cr3t-value@db/ops");
    FAIL() << "expected ValidationError";
  } catch (const ValidationError& e) {
    EXPECT_EQ(std::string(e.what()).find("s3cr3t-value"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("app:***@db"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace incursa::platform
