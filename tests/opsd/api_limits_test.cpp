// What a hostile or broken client cannot do: reach files by traversal, send
// unbounded bodies or headers, hold a connection open by saying nothing or by
// trickling its request, ask for unbounded pages. And every response carries its
// security headers (SECURITY.md lists each promise with its test here).
#include <regex>

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
        {"--read-timeout", "1s", "--request-timeout", "2s", "--keep-alive-timeout", "1s",
         "--max-body", "4096", "--max-page-size", "50"}));
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
        "/static/main.js/../../../etc/passwd", "/static//etc/passwd", "/static/%00../etc/passwd",
        // encoded separators, absolute paths, NUL, the asset table's own names
        "/static/%2fetc%2fpasswd", "/static/..%5c..%5cetc%5cpasswd", "/static/%5c..%5cmain.js",
        "/etc/passwd", "//etc/passwd", "/static/", "/static/main.js%00.html", "/static/main.js%00",
        "/static/%00", "/static/index.html/..", "/static/./main.js", "/%2e%2e/%2e%2e/etc/passwd",
        "/static/%2e%2e%2f%2e%2e%2fproc%2fself%2fenviron", "/proc/self/environ",
        "/static/../../../../proc/self/environ"}) {
    const std::string response = get_raw(target);
    const int status = status_of(response);
    EXPECT_TRUE(status == 400 || status == 404) << target << " -> " << status;
    EXPECT_EQ(response.find("root:"), std::string::npos) << target;
    EXPECT_EQ(response.find("PATH="), std::string::npos) << target;
    // Refusals are the JSON error shape, never a file's bytes.
    const auto body_at = response.find("\r\n\r\n");
    ASSERT_NE(body_at, std::string::npos) << target;
    EXPECT_TRUE(json::parse(response.substr(body_at + 4), nullptr, false).contains("error"))
        << target << " -> " << response;
  }
  // The absolute form of a request target reaches nothing either.
  for (const char* target :
       {"http://x/etc/passwd", "file:///etc/passwd", "http://x/../etc/passwd"}) {
    const std::string response = get_raw(target);
    const int status = status_of(response);
    EXPECT_TRUE(status == 400 || status == 404) << target << " -> " << status;
    EXPECT_EQ(response.find("root:"), std::string::npos) << target;
  }
  // The real files are still there under their own names.
  EXPECT_EQ(status_of(get_raw("/static/main.js")), 200);
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
  EXPECT_EQ(index->get_header_value("X-Frame-Options"), "DENY");
  // No inline script or style, no eval, no plugins, no other origin for anything.
  EXPECT_EQ(csp.find("unsafe-"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("object-src 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("*"), std::string::npos) << csp;
  // Everything comes from opsd itself: no CDN, no inline script.
  EXPECT_EQ(index->body.find("http://"), std::string::npos);
  EXPECT_EQ(index->body.find("https://"), std::string::npos);
  EXPECT_EQ(index->body.find("<script>"), std::string::npos);
  // The dashboard is ES modules served as they are (a module needs a JavaScript type).
  EXPECT_NE(index->body.find(R"(<script type="module" src="/static/main.js">)"), std::string::npos);
  EXPECT_EQ(index->body.find("style="), std::string::npos);
  // No event-handler attributes (onclick= and the like).
  EXPECT_FALSE(std::regex_search(index->body, std::regex(R"(\son[a-z]+\s*=)", std::regex::icase)));

  for (const auto& [path, type] :
       {std::pair{"/static/main.js", "text/javascript; charset=utf-8"},
        std::pair{"/static/filters.js", "text/javascript; charset=utf-8"},
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

TEST_F(Limits, ApiResponsesAreNosniffAndNoStore) {
  auto reader = opsd_->client(kReadToken);
  auto anonymous = opsd_->client("");
  const std::vector<std::pair<std::string, httplib::Result>> replies = [&] {
    std::vector<std::pair<std::string, httplib::Result>> r;
    r.emplace_back("list", reader->Get("/v1/operations"));
    r.emplace_back("counts", reader->Get("/v1/counts"));
    r.emplace_back("missing operation", reader->Get("/v1/operations/no-such-op"));
    r.emplace_back("unknown route", reader->Get("/v1/nothing-here"));
    r.emplace_back("bad parameter", reader->Get("/v1/operations?limit=0"));
    r.emplace_back("unauthenticated", anonymous->Get("/v1/operations"));
    r.emplace_back("forbidden write", reader->Post("/v1/operations", "{}", "application/json"));
    r.emplace_back("session", anonymous->Get("/v1/session"));
    r.emplace_back("metrics", reader->Get("/metrics"));
    r.emplace_back("healthz", anonymous->Get("/healthz"));
    return r;
  }();
  for (const auto& [what, r] : replies) {
    ASSERT_TRUE(r) << what;
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff") << what;
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store") << what;
    EXPECT_EQ(r->get_header_value("X-Frame-Options"), "DENY") << what;
  }
  // Refusals made before routing (traversal, oversized) carry them too.
  for (const std::string& request :
       {std::string("GET /v1/../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        std::string("POST /v1/operations HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                    "Content-Length: 99999999\r\n\r\n")}) {
    const std::string response = raw_request(opsd_->port(), request);
    EXPECT_NE(response.find("X-Content-Type-Options: nosniff"), std::string::npos) << response;
    EXPECT_NE(response.find("Cache-Control: no-store"), std::string::npos) << response;
  }
}

TEST_F(Limits, PageSizeIsCappedByMaxPageSize) {
  auto c = opsd_->client(kReadToken);
  EXPECT_EQ(get(*c, "/v1/operations?page_size=50").status, 200);
  EXPECT_EQ(get(*c, "/v1/operations?limit=50").status, 200);
  for (const char* query : {"page_size=51", "limit=51", "page_size=1000000",
                            "page_size=99999999999999999999", "page_size=-1"}) {
    const Reply r = get(*c, std::string("/v1/operations?") + query);
    EXPECT_EQ(r.status, 400) << query;
    EXPECT_EQ(r.error_code(), "invalid_argument") << query;
    EXPECT_NE(r.error_field(), "") << query;
  }
  const Reply children = get(*c, "/v1/operations/some-op/children?page_size=51");
  EXPECT_EQ(children.status, 400);
  EXPECT_EQ(children.error_field(), "page_size");
  const Reply events = get(*c, "/v1/operations/some-op/events?limit=10001");
  EXPECT_EQ(events.status, 400);
  EXPECT_EQ(events.error_field(), "limit");
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

// Slowloris proper: a request trickled a byte at a time, each byte well inside
// the read timeout. cpp-httplib 0.11 alone would keep reading it for ever; the
// request deadline (--request-timeout 2s here) cuts it off.
TEST_F(Limits, ATricklingHeaderIsCutOffAtTheRequestDeadline) {
  RawConnection raw(opsd_->port());
  const std::string head = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  const auto begin = std::chrono::steady_clock::now();
  raw.send(head);
  bool closed = false;
  int bytes = 0;
  // One byte every 100 ms (the 1 s read timeout never fires), until dropped or 15 s.
  while (!closed && std::chrono::steady_clock::now() - begin < std::chrono::seconds(15)) {
    raw.send("a");
    ++bytes;
    closed = raw.closed_within(std::chrono::milliseconds(100));
  }
  const auto took = std::chrono::steady_clock::now() - begin;
  ASSERT_TRUE(closed) << "still connected after " << bytes << " trickled bytes";
  EXPECT_GE(took, std::chrono::milliseconds(1500));  // not the read timeout: the deadline
  EXPECT_LT(took, std::chrono::seconds(5));          // the 2 s deadline, plus scheduling
  EXPECT_EQ(get(*opsd_->client(""), "/healthz").status, 200);
}

TEST_F(Limits, ATricklingBodyIsCutOffAtTheRequestDeadlineAndNothingIsWritten) {
  RawConnection raw(opsd_->port());
  const std::string body_start = R"({"name":"Trickle.Body","tags":{"pad":")";
  const auto begin = std::chrono::steady_clock::now();
  raw.send("POST /v1/operations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
           std::string(kWriteToken) +
           "\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n" + body_start);
  bool closed = false;
  while (!closed && std::chrono::steady_clock::now() - begin < std::chrono::seconds(15)) {
    raw.send("x");
    closed = raw.closed_within(std::chrono::milliseconds(100));
  }
  const auto took = std::chrono::steady_clock::now() - begin;
  ASSERT_TRUE(closed);
  EXPECT_GE(took, std::chrono::milliseconds(1500));
  EXPECT_LT(took, std::chrono::seconds(5));
  const Reply list = get(*opsd_->client(kReadToken), "/v1/operations?name=Trickle.Body");
  EXPECT_EQ(list.status, 200);
  EXPECT_EQ(list.body["operations"].size(), 0U);
}

// cpp-httplib 0.11 bounds one header line (8 KiB) but not their number: alone it
// would read all 16 MiB below into memory and only then let the 431 check run.
// opsd stops reading at its head budget (2 x 32 KiB + 8 KiB) and hangs up, so
// the client cannot even get most of its bytes out.
TEST_F(Limits, AnEndlessHeadIsCutOffAtTheHeadBudget) {
  std::string flood = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  const std::string filler(100, 'f');
  while (flood.size() < std::size_t{16} * 1024 * 1024) {
    flood += "X-Flood-" + std::to_string(flood.size()) + ": " + filler + "\r\n";
  }
  RawConnection raw(opsd_->port());
  const std::size_t sent = raw.send_counted(flood);
  EXPECT_LT(sent, flood.size() / 2) << "the server read " << sent << " bytes of headers";
  EXPECT_TRUE(raw.closed_within(std::chrono::seconds(5)));
  EXPECT_EQ(get(*opsd_->client(""), "/healthz").status, 200);
}

// opsd reads each connection through its own buffer (guarded_server.hpp), which
// outlives a request: bytes of the next request read along with this one are
// kept, so pipelined requests are all answered, in order.
TEST_F(Limits, PipelinedRequestsAreAllAnswered) {
  RawConnection raw(opsd_->port());
  raw.send(
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /static/nope.js HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string all = raw.read_until_closed(std::chrono::seconds(10));
  std::vector<int> statuses;
  for (std::size_t at = all.find("HTTP/1.1 "); at != std::string::npos;
       at = all.find("HTTP/1.1 ", at + 1)) {
    statuses.push_back(status_of(all.substr(at)));
  }
  EXPECT_EQ(statuses, (std::vector<int>{200, 404, 200})) << all;
}

TEST_F(Limits, AnIdleConnectionIsDroppedToo) {
  RawConnection raw(opsd_->port());
  EXPECT_TRUE(raw.closed_within(std::chrono::seconds(10)));
}

}  // namespace
}  // namespace opsd_test
