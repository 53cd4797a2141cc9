// What a hostile or broken client cannot do: reach files by traversal, send
// unbounded bodies or headers, hold a connection open by saying nothing. And
// the dashboard's files come with their security headers.
#include "api_helpers.hpp"
#include "raw_http.hpp"

namespace opsd_test {
namespace {

class Limits : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Short timeouts, so the slow-client tests do not take long; a small body
    // limit, so an oversized body still fits the socket buffers of the client.
    opsd_ = new OpsdProcess(OpsdConfig().with_args(
        {"--read-timeout", "1s", "--keep-alive-timeout", "1s", "--max-body", "4096"}));
  }
  static void TearDownTestSuite() {
    delete opsd_;
    opsd_ = nullptr;
  }
  std::string get_raw(const std::string& target) {
    return raw_request(opsd_->port(),
                       "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  }
  static OpsdProcess* opsd_;
};

OpsdProcess* Limits::opsd_ = nullptr;

TEST_F(Limits, StaticFilesCannotBeReachedByTraversal) {
  for (const char* target :
       {"/static/../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%2f..%2fetc%2fpasswd", "/static/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "/../../../../etc/passwd", "/static/..\\..\\etc\\passwd", "/static/%252e%252e/etc/passwd",
        "/static/....//....//etc/passwd", "/static/.%2e/.%2e/etc/passwd",
        "/static/app.js/../../../etc/passwd", "/static//etc/passwd", "/static/%00../etc/passwd"}) {
    const std::string response = get_raw(target);
    const int status = status_of(response);
    EXPECT_TRUE(status == 400 || status == 404) << target << " -> " << status;
    EXPECT_EQ(response.find("root:"), std::string::npos) << target;
  }
}

TEST_F(Limits, DashboardIsServedWithSecurityHeaders) {
  auto c = opsd_->client("");
  const auto index = c->Get("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(index->body.find("<title>"), std::string::npos);
  const std::string csp = index->get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(index->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(index->get_header_value("Referrer-Policy"), "no-referrer");
  // Everything comes from opsd itself: no CDN, no inline script.
  EXPECT_EQ(index->body.find("http://"), std::string::npos);
  EXPECT_EQ(index->body.find("https://"), std::string::npos);
  EXPECT_EQ(index->body.find("<script>"), std::string::npos);

  for (const auto& [path, type] : {std::pair{"/static/app.js", "text/javascript; charset=utf-8"},
                                   std::pair{"/static/app.css", "text/css; charset=utf-8"},
                                   std::pair{"/static/favicon.svg", "image/svg+xml"}}) {
    const auto r = c->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->get_header_value("Content-Type"), type) << path;
    EXPECT_FALSE(r->body.empty()) << path;
    // Revalidated with an ETag: an unchanged file costs a 304.
    const auto again = c->Get(path, {{"If-None-Match", r->get_header_value("ETag")}});
    EXPECT_EQ(again->status, 304) << path;
  }
  const auto missing = c->Get("/static/nope.js");
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(json::parse(missing->body)["error"]["code"], "not_found");
}

TEST_F(Limits, CorsIsOffByDefault) {
  auto c = opsd_->client(kReadToken);
  const auto r = c->Get("/v1/operations", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(r->has_header("Access-Control-Allow-Origin"));
  const auto preflight = c->Options("/v1/operations");
  EXPECT_FALSE(preflight->has_header("Access-Control-Allow-Origin"));
}

TEST(LimitsCors, AConfiguredOriginAndOnlyThatOneGetsCorsHeaders) {
  OpsdProcess opsd(OpsdConfig().with_args({"--cors-origin", "https://ops.example"}));
  auto c = opsd.client(kReadToken);
  const auto allowed = c->Get("/v1/operations", {{"Origin", "https://ops.example"}});
  EXPECT_EQ(allowed->get_header_value("Access-Control-Allow-Origin"), "https://ops.example");
  const auto other = c->Get("/v1/operations", {{"Origin", "https://evil.example"}});
  EXPECT_FALSE(other->has_header("Access-Control-Allow-Origin"));
  // A preflight carries no token; it is answered without one.
  const auto preflight = opsd.client("")->Options(
      "/v1/operations", {{"Origin", "https://ops.example"},
                         {"Access-Control-Request-Method", "POST"},
                         {"Access-Control-Request-Headers", "authorization,content-type"}});
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 204);
  EXPECT_EQ(preflight->get_header_value("Access-Control-Allow-Origin"), "https://ops.example");
  EXPECT_NE(preflight->get_header_value("Access-Control-Allow-Headers").find("Authorization"),
            std::string::npos);
}

TEST_F(Limits, OversizedBodiesAre413BeforeBeingRead) {
  auto c = opsd_->client(kWriteToken);
  const std::string big = R"({"name":"Big","tags":{"pad":")" + std::string(8000, 'x') + R"("}})";
  const Reply r = post_text(*c, "/v1/operations", big, "application/json");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.error_code(), "payload_too_large");
  // Refused on the Content-Length alone: no token needed to find out, nothing read.
  RawConnection raw(opsd_->port());
  raw.send("POST /v1/operations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
           std::string(kWriteToken) +
           "\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\n\r\n{");
  EXPECT_EQ(status_of(raw.read_head(std::chrono::seconds(5))), 413);
}

TEST_F(Limits, ChunkedBodiesAre411) {
  RawConnection raw(opsd_->port());
  raw.send("POST /v1/operations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
           std::string(kWriteToken) +
           "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
           "10\r\n{\"name\":\"Chunk\"}\r\n0\r\n\r\n");
  const std::string response = raw.read_head(std::chrono::seconds(5));
  EXPECT_EQ(status_of(response), 411) << response;
}

TEST_F(Limits, TooManyOrTooLargeHeadersAreRefused) {
  std::string many = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
  for (int i = 0; i < 150; ++i) many += "X-Filler-" + std::to_string(i) + ": y\r\n";
  EXPECT_EQ(status_of(raw_request(opsd_->port(), many + "\r\n")), 431);

  std::string large = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
  for (int i = 0; i < 8; ++i)
    large += "X-Big-" + std::to_string(i) + ": " + std::string(6000, 'a') + "\r\n";
  EXPECT_EQ(status_of(raw_request(opsd_->port(), large + "\r\n")), 431);

  // One line over cpp-httplib's own 8 KiB line limit never gets that far.
  const std::string line =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Huge: " + std::string(10000, 'a') +
      "\r\nConnection: close\r\n\r\n";
  const int status = status_of(raw_request(opsd_->port(), line));
  EXPECT_TRUE(status == 400 || status == 431) << status;
}

TEST_F(Limits, ASilentClientIsDroppedAfterTheReadTimeout) {
  // Slowloris: half a request, then nothing. The server must hang up on its own.
  RawConnection raw(opsd_->port());
  raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\n");
  const auto begin = std::chrono::steady_clock::now();
  EXPECT_TRUE(raw.closed_within(std::chrono::seconds(10)));
  const auto took = std::chrono::steady_clock::now() - begin;
  EXPECT_LT(took, std::chrono::seconds(8));  // the defaults would take 10 s
  // And the server still answers everyone else.
  EXPECT_EQ(get(*opsd_->client(""), "/healthz").status, 200);
}

TEST_F(Limits, AnIdleConnectionIsDroppedToo) {
  RawConnection raw(opsd_->port());
  EXPECT_TRUE(raw.closed_within(std::chrono::seconds(10)));
}

}  // namespace
}  // namespace opsd_test
