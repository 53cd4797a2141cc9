// Token files and the authorization rules, in-process.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "auth.hpp"

namespace incursa::platform::opsd {
namespace {

const std::string kRw = "rw-token-0123456789abcdef";
const std::string kRo = "ro-token-0123456789abcdef";

AuthPolicy policy(bool anonymous = false) {
  AuthPolicy p;
  p.tokens.add(kRw, Access::Write, "test", "test");
  p.tokens.add(kRo, Access::Read, "test", "test");
  p.anonymous_reads = anonymous;
  return p;
}

TEST(Auth, LooksTokensUpByExactValue) {
  const AuthPolicy p = policy();
  EXPECT_EQ(p.tokens.lookup(kRw), Access::Write);
  EXPECT_EQ(p.tokens.lookup(kRo), Access::Read);
  EXPECT_FALSE(p.tokens.lookup(kRw.substr(0, 10)));
  EXPECT_FALSE(p.tokens.lookup(kRw + "x"));
  EXPECT_FALSE(p.tokens.lookup(""));
}

TEST(Auth, RejectsWeakOrOddTokens) {
  TokenSet t;
  EXPECT_THROW(t.add("short", Access::Write, "", "env"), std::invalid_argument);
  EXPECT_THROW(t.add("has spaces in it 0123456789", Access::Write, "", "env"),
               std::invalid_argument);
  EXPECT_THROW(t.add(std::string(300, 'a'), Access::Write, "", "env"), std::invalid_argument);
  try {
    t.add("short-secret", Access::Write, "", "OPSD_TOKEN");
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).find("short-secret"), std::string::npos);
  }
}

TEST(Auth, ReadsTokenFiles) {
  const auto path = std::filesystem::temp_directory_path() / "opsd-auth-test-tokens";
  std::ofstream(path) << "# comment\n\nread-write " << kRw << " deploy bot\n  read-only " << kRo
                      << "\n";
  TokenSet t;
  t.load_file(path.string());
  EXPECT_EQ(t.size(), 2U);
  EXPECT_EQ(t.lookup(kRw), Access::Write);
  std::ofstream(path) << "read-write " << kRw << "\nsuperuser " << kRo << "\n";
  TokenSet bad;
  try {
    bad.load_file(path.string());
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(":2:"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find(kRo), std::string::npos);
  }
  std::filesystem::remove(path);
  EXPECT_THROW(TokenSet().load_file(path.string()), std::runtime_error);
}

TEST(Auth, Rules) {
  const AuthPolicy p = policy();
  const std::string rw = "Bearer " + kRw;
  const std::string ro = "Bearer " + kRo;
  EXPECT_TRUE(authorize(p, Requirement::Write, rw).allowed);
  EXPECT_EQ(authorize(p, Requirement::Write, ro).status, 403);
  EXPECT_EQ(authorize(p, Requirement::Write, std::nullopt).status, 401);
  EXPECT_TRUE(authorize(p, Requirement::Read, ro).allowed);
  EXPECT_EQ(authorize(p, Requirement::Read, std::nullopt).status, 401);
  EXPECT_TRUE(authorize(p, Requirement::Public, std::nullopt).allowed);
  EXPECT_EQ(authorize(p, Requirement::Public, std::string("Bearer wrong-wrong-wrong-wrong")).status,
            401);
  EXPECT_EQ(authorize(p, Requirement::Read, std::string("Token ") + kRw).status, 401);
  EXPECT_TRUE(authorize(p, Requirement::Read, std::string("BEARER ") + kRo).allowed);

  const AuthPolicy anonymous = policy(true);
  EXPECT_TRUE(authorize(anonymous, Requirement::Read, std::nullopt).allowed);
  EXPECT_EQ(authorize(anonymous, Requirement::Write, std::nullopt).status, 401);

  const AuthPolicy none;  // no tokens at all: loopback reads only
  EXPECT_TRUE(authorize(none, Requirement::Read, std::nullopt).allowed);
  EXPECT_EQ(authorize(none, Requirement::Read, std::nullopt).access, Access::Read);
  EXPECT_EQ(authorize(none, Requirement::Write, std::nullopt).status, 401);
}

}  // namespace
}  // namespace incursa::platform::opsd
