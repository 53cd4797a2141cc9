// Bearer tokens: writes always need a read-write token; reads need a token unless
// none is configured (loopback only) or anonymous reads were allowed; opsd will
// not listen beyond loopback without a token.
#include <fstream>

#include "api_helpers.hpp"

namespace opsd_test {
namespace {

class Auth : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { opsd_ = new OpsdProcess(); }
  static void TearDownTestSuite() {
    delete opsd_;
    opsd_ = nullptr;
  }
  static OpsdProcess* opsd_;
};

OpsdProcess* Auth::opsd_ = nullptr;

TEST_F(Auth, WritesWithoutATokenAre401WithAChallenge) {
  auto anonymous = opsd_->client("");
  const Reply r = post(*anonymous, "/v1/operations", {{"name", "Nightly.Import"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.error_code(), "unauthenticated");
  EXPECT_EQ(r.header("WWW-Authenticate"), R"(Bearer realm="opsd")");
  // Nothing was written.
  auto reader = opsd_->client(kReadToken);
  EXPECT_EQ(get(*reader, "/v1/operations?name=Nightly.Import").body["operations"].size(), 0U);
}

TEST_F(Auth, AWrongTokenIs401InvalidToken) {
  auto wrong = opsd_->client("not-the-token-0123456789");
  for (const Reply& r : {post(*wrong, "/v1/operations", {{"name", "X"}}),
                         get(*wrong, "/v1/operations"), get(*wrong, "/v1/session")}) {
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.header("WWW-Authenticate"), R"(Bearer realm="opsd", error="invalid_token")");
  }
  // A prefix of the real token, or the token plus a character, is just as wrong.
  auto prefix = opsd_->client(std::string(kWriteToken).substr(0, 20));
  EXPECT_EQ(get(*prefix, "/v1/operations").status, 401);
  auto longer = opsd_->client(std::string(kWriteToken) + "x");
  EXPECT_EQ(get(*longer, "/v1/operations").status, 401);
}

TEST_F(Auth, MalformedAuthorizationIs401) {
  auto c = opsd_->client("");
  EXPECT_EQ(get(*c, "/v1/operations", {{"Authorization", "Basic dXNlcjpwYXNz"}}).status, 401);
  EXPECT_EQ(get(*c, "/v1/operations", {{"Authorization", "Bearer"}}).status, 401);
  EXPECT_EQ(
      get(*c, "/v1/operations", {{"Authorization", std::string("bearer ") + kReadToken}}).status,
      200);
}

TEST_F(Auth, ReadOnlyTokensReadButWritingIs403) {
  auto reader = opsd_->client(kReadToken);
  EXPECT_EQ(get(*reader, "/v1/operations").status, 200);
  EXPECT_EQ(get(*reader, "/metrics").status, 200);
  auto writer = opsd_->client(kWriteToken);
  const json op = start(*writer, {{"name", "Auth.Check"}});
  const std::string base = "/v1/operations/" + op["id"].get<std::string>();
  for (const std::string& path :
       {std::string("/v1/operations"), base + "/progress", base + "/heartbeat", base + "/events",
        base + "/complete", base + "/cancel"}) {
    const Reply r = post(*reader, path, {{"name", "Auth.Check"}});
    EXPECT_EQ(r.status, 403) << path;
    EXPECT_EQ(r.error_code(), "permission_denied") << path;
  }
}

TEST_F(Auth, ReadsNeedATokenWhenTokensAreConfigured) {
  auto anonymous = opsd_->client("");
  for (const char* path :
       {"/v1/operations", "/v1/counts", "/v1/operations/x", "/v1/stream", "/metrics"}) {
    EXPECT_EQ(get(*anonymous, path).status, 401) << path;
  }
  // Health, the session probe and the dashboard's files carry no data.
  EXPECT_EQ(get(*anonymous, "/healthz").status, 200);
  EXPECT_EQ(get(*anonymous, "/").status, 200);
  const Reply session = get(*anonymous, "/v1/session");
  EXPECT_EQ(session.status, 200);
  EXPECT_EQ(session.body["access"], "none");
  EXPECT_EQ(session.body["tokens_configured"], true);
}

TEST_F(Auth, SessionTellsWhatATokenMayDo) {
  EXPECT_EQ(get(*opsd_->client(kWriteToken), "/v1/session").body["access"], "write");
  EXPECT_EQ(get(*opsd_->client(kReadToken), "/v1/session").body["access"], "read");
}

TEST(AuthModes, AllowAnonymousReadsOpensReadsOnly) {
  OpsdProcess opsd(OpsdConfig().with_args({"--allow-anonymous-reads"}));
  auto anonymous = opsd.client("");
  EXPECT_EQ(get(*anonymous, "/v1/operations").status, 200);
  EXPECT_EQ(get(*anonymous, "/v1/session").body["access"], "read");
  EXPECT_EQ(post(*anonymous, "/v1/operations", {{"name", "X"}}).status, 401);
}

TEST(AuthModes, WithoutAnyTokenLoopbackReadsAreOpenAndWritesRefused) {
  OpsdProcess opsd(OpsdConfig().without_tokens());
  auto anonymous = opsd.client("");
  EXPECT_EQ(get(*anonymous, "/v1/operations").status, 200);
  const Reply session = get(*anonymous, "/v1/session");
  EXPECT_EQ(session.body["access"], "read");
  EXPECT_EQ(session.body["tokens_configured"], false);
  const Reply write = post(*anonymous, "/v1/operations", {{"name", "X"}});
  EXPECT_EQ(write.status, 401);
  // Any token is unknown when none is configured.
  EXPECT_EQ(post(*opsd.client(kWriteToken), "/v1/operations", {{"name", "X"}}).status, 401);
}

TEST(AuthModes, RefusesToListenBeyondLoopbackWithoutAToken) {
  const RunResult r = run_opsd({"--listen", "0.0.0.0:0", "--store", "memory:"}, {});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out.find("listening"), std::string::npos);
  EXPECT_NE(r.err.find("token is required"), std::string::npos) << r.err;
}

TEST(AuthModes, ListensBeyondLoopbackWithAToken) {
  OpsdProcess opsd(OpsdConfig().listening_on("0.0.0.0:0"));
  EXPECT_EQ(get(*opsd.client(kReadToken), "/healthz").status, 200);
}

TEST(AuthModes, MalformedTokenConfigurationStopsStartUpWithoutEchoingTheToken) {
  const RunResult short_token =
      run_opsd({"--listen", "127.0.0.1:0", "--store", "memory:"}, {{"OPSD_TOKEN", "short-secret"}});
  EXPECT_NE(short_token.exit_code, 0);
  EXPECT_EQ(short_token.err.find("short-secret"), std::string::npos) << short_token.err;

  const auto dir = temp_dir("opsd-tokens");
  const auto file = dir / "tokens";
  std::ofstream(file) << "admin super-secret-token-0123456789\n";
  const RunResult bad_file = run_opsd(
      {"--listen", "127.0.0.1:0", "--store", "memory:", "--token-file", file.string()}, {});
  EXPECT_NE(bad_file.exit_code, 0);
  EXPECT_NE(bad_file.err.find(":1:"), std::string::npos) << bad_file.err;
  EXPECT_EQ(bad_file.err.find("super-secret"), std::string::npos) << bad_file.err;
  std::filesystem::remove_all(dir);
}

TEST(AuthModes, TokensNeverReachTheLog) {
  OpsdProcess opsd(OpsdConfig().with_args({"--access-log"}));
  auto c = opsd.client(kWriteToken);
  start(*c, {{"name", "Log.Check"}});
  get(*opsd.client("wrong-token-0123456789abc"), "/v1/operations?name_prefix=Log.");
  // The access log is written after the response goes out: stop opsd to read it all.
  opsd.stop();
  const std::string log = opsd.log();
  EXPECT_NE(log.find("POST /v1/operations 201"), std::string::npos) << log;
  EXPECT_EQ(log.find(kWriteToken), std::string::npos);
  EXPECT_EQ(log.find("wrong-token"), std::string::npos);
}

// Every place a token could leak into stderr -- start-up lines, the warning
// about a loose token file, the access log, refusals, a token sent where none
// belongs -- checked by running opsd with --access-log and searching its log.
TEST(AuthModes, NoTokenReachesTheLogWhereverItIsSent) {
  const auto dir = temp_dir("opsd-log-tokens");
  const auto file = dir / "tokens";
  const std::string file_token = "file-token-0123456789abcdef";
  std::ofstream(file) << "read-write " << file_token << " ops\n";
  // Group- and world-readable: opsd warns, naming the file but not its tokens.
  std::filesystem::permissions(
      file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  OpsdConfig config;
  config.read_only_token_file = false;
  OpsdProcess opsd(config.with_args({"--access-log", "--token-file", file.string()}));
  auto writer = opsd.client(kWriteToken);
  start(*writer, {{"name", "Log.Check"}});
  auto from_file = opsd.client(file_token);
  start(*from_file, {{"name", "Log.Check"}});
  const std::string wrong = "wrong-token-0123456789abcdef";
  auto anonymous = opsd.client("");
  // Misplaced tokens: in the query, in other headers, as a malformed scheme.
  get(*anonymous, "/v1/operations?access_token=" + std::string(kWriteToken));
  get(*writer, "/v1/operations?token=" + wrong);
  get(*anonymous, "/v1/operations", {{"Authorization", "Basic " + std::string(kWriteToken)}});
  get(*anonymous, "/v1/operations", {{"Authorization", "Bearer " + wrong}});
  get(*anonymous, "/v1/operations", {{"X-Api-Key", file_token}, {"Cookie", "t=" + file_token}});
  post(*writer, "/v1/operations", {{"name", "Log.Check"}},
       {{"X-Correlation-Id", "bad id " + wrong}});
  opsd.stop();  // the access log is written after each response: stop to read it all
  const std::string log = opsd.log();
  EXPECT_NE(log.find("POST /v1/operations 201"), std::string::npos) << log;
  EXPECT_NE(log.find("GET /v1/operations 400"), std::string::npos) << log;
  EXPECT_NE(log.find("readable by group or others"), std::string::npos) << log;
  for (const std::string& secret : {std::string(kWriteToken), file_token, wrong}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " in:\n" << log;
    // Nor a recognisable part of one.
    EXPECT_EQ(log.find(secret.substr(0, 12)), std::string::npos) << secret << " in:\n" << log;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace opsd_test
