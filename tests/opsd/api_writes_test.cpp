// POST /v1/operations and the per-operation writes, over real HTTP: every
// success shape and every documented error.
#include "api_helpers.hpp"
#include "raw_http.hpp"

namespace opsd_test {
namespace {

class Writes : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { opsd_ = new OpsdProcess(); }
  static void TearDownTestSuite() {
    delete opsd_;
    opsd_ = nullptr;
  }
  void SetUp() override { c_ = opsd_->client(); }

  json started(const std::string& name = "Nightly.Import") { return start(*c_, {{"name", name}}); }
  std::string op_path(const json& op, const std::string& suffix = "") {
    return "/v1/operations/" + op["id"].get<std::string>() + suffix;
  }

  static OpsdProcess* opsd_;
  std::unique_ptr<httplib::Client> c_;
};

OpsdProcess* Writes::opsd_ = nullptr;

TEST_F(Writes, StartReturns201WithTheSnapshotInSnakeCase) {
  const Reply r =
      post(*c_, "/v1/operations", {{"name", "Nightly.Import"}, {"tags", {{"tenant", "acme"}}}});
  ASSERT_EQ(r.status, 201) << r.text;
  const json& op = r.body["operation"];
  for (const char* field :
       {"id", "name", "status", "percent", "message", "started_at", "updated_at",
        "last_progress_at", "completed_at", "progress", "correlation", "parent_id", "tags",
        "cancel_requested_at", "cancel_reason", "stall_count", "version", "done"}) {
    EXPECT_TRUE(op.contains(field)) << field;
  }
  EXPECT_EQ(op["name"], "Nightly.Import");
  EXPECT_EQ(op["status"], "Pending");
  EXPECT_EQ(op["tags"]["tenant"], "acme");
  EXPECT_EQ(op["done"], false);
  EXPECT_EQ(op["id"].get<std::string>().size(), 32U);
  EXPECT_EQ(r.header("Location"), "/v1/operations/" + op["id"].get<std::string>());
}

TEST_F(Writes, CallerChosenIdMakesStartIdempotent) {
  const json body = {{"name", "Webhook.Process"}, {"id", "webhook-evt_idem_1"}};
  const Reply first = post(*c_, "/v1/operations", body);
  const Reply again = post(*c_, "/v1/operations", body);
  ASSERT_EQ(first.status, 201) << first.text;
  ASSERT_EQ(again.status, 200) << again.text;
  EXPECT_EQ(again.body["operation"], first.body["operation"]);
}

TEST_F(Writes, StartingATakenIdUnderAnotherNameIs409Conflict) {
  post(*c_, "/v1/operations", {{"name", "Webhook.Process"}, {"id", "webhook-evt_conflict"}});
  const Reply r =
      post(*c_, "/v1/operations", {{"name", "Email.Send"}, {"id", "webhook-evt_conflict"}});
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.error_code(), "conflict");
}

#if defined(OPSD_TEST_SQLITE) && defined(OPSCTL_BINARY)
// The webhook flow across the tools: a delivery id started and completed over
// HTTP, purged by opsctl on the same file, then delivered again.
TEST(WebhookRedelivery, AfterAPurgeTheSameIdIs409OperationPurgedWithTheTombstone) {
  const auto dir = temp_dir("opsd-redelivery");
  const std::string store = "sqlite:" + (dir / "ops.db").string();
  OpsdProcess opsd(OpsdConfig().with_store(store));
  auto c = opsd.client();
  const json body = {{"name", "Webhook.Process"}, {"id", "evt_redelivered_1"}};
  ASSERT_EQ(post(*c, "/v1/operations", body).status, 201);
  ASSERT_EQ(post(*c, "/v1/operations/evt_redelivered_1/complete", {{"status", "Succeeded"}}).status,
            200);
  const std::string purge =
      std::string(OPSCTL_BINARY) + " purge --store " + store + " --keep 0s >/dev/null";
  ASSERT_EQ(std::system(purge.c_str()), 0);

  const Reply again = post(*c, "/v1/operations", body);
  EXPECT_EQ(again.status, 409) << again.text;
  EXPECT_EQ(again.error_code(), "operation_purged");
  const json& purged = again.body["error"]["purged"];
  EXPECT_EQ(purged["id"], "evt_redelivered_1");
  EXPECT_EQ(purged["name"], "Webhook.Process");
  EXPECT_EQ(purged["status"], "Succeeded");
  EXPECT_TRUE(purged["completed_at"].is_string());
  EXPECT_TRUE(purged["purged_at"].is_string());
  // Nothing was started: the id still has only its first operation's events.
  EXPECT_EQ(get(*c, "/v1/operations/evt_redelivered_1").status, 404);
  opsd.stop();
  std::filesystem::remove_all(dir);
}
#endif

TEST_F(Writes, StartWithParentAndChildrenLinks) {
  const json parent = started();
  const json child = start(*c_, {{"name", "Import.Batch"}, {"parent_id", parent["id"]}});
  EXPECT_EQ(child["parent_id"], parent["id"]);
}

TEST_F(Writes, ValidationErrorsAre400NamingTheField) {
  struct Case {
    json body;
    std::string field;
  };
  const std::vector<Case> cases = {
      {{{"name", "bad name!"}}, "name"},
      {{{"name", ""}}, "name"},
      {json::object(), "name"},
      {{{"name", 42}}, "name"},
      {{{"name", "Ok"}, {"id", "has space"}}, "operation_id"},
      {{{"name", "Ok"}, {"tags", {{"1bad", "v"}}}}, "tags"},
      {{{"name", "Ok"}, {"tags", "not-an-object"}}, "tags"},
      {{{"name", "Ok"}, {"nmae", "typo"}}, "nmae"},
  };
  for (const Case& c : cases) {
    const Reply r = post(*c_, "/v1/operations", c.body);
    EXPECT_EQ(r.status, 400) << c.body.dump() << " " << r.text;
    EXPECT_EQ(r.error_code(), "invalid_argument") << c.body.dump();
    EXPECT_NE(r.error_field().find(c.field), std::string::npos)
        << c.body.dump() << " field=" << r.error_field();
  }
}

TEST_F(Writes, MalformedBodiesAre400AndOtherMediaTypes415) {
  const Reply broken = post_text(*c_, "/v1/operations", "{\"name\":", "application/json");
  EXPECT_EQ(broken.status, 400);
  EXPECT_EQ(broken.error_code(), "malformed_body");
  const Reply array = post_text(*c_, "/v1/operations", "[1,2]", "application/json");
  EXPECT_EQ(array.status, 400);
  EXPECT_EQ(array.error_code(), "malformed_body");
  const Reply empty = post_text(*c_, "/v1/operations", "", "application/json");
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(empty.error_code(), "malformed_body");
  const Reply form =
      post_text(*c_, "/v1/operations", "name=X", "application/x-www-form-urlencoded");
  EXPECT_EQ(form.status, 415);
  EXPECT_EQ(form.error_code(), "unsupported_media_type");
  const Reply charset = post_text(*c_, "/v1/operations", R"({"name":"Charset.Ok"})",
                                  "application/json; charset=utf-8");
  EXPECT_EQ(charset.status, 201) << charset.text;
}

// Found by fuzz_opsd_request (docs/fuzzing.md): a body nesting 100000 levels
// (200 KB, under the 1 MiB limit) overflowed the stack when `data` was
// re-serialised, killing opsd. The body's nesting is now capped while parsing.
TEST_F(Writes, FuzzRegressionDeeplyNestedBodyIs400NotACrash) {
  const json op = started();
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const Reply r = post_text(*c_, op_path(op, "/events"), R"({"kind":"k","data":)" + deep + "}",
                            "application/json");
  EXPECT_EQ(r.status, 400) << r.text;
  EXPECT_EQ(r.error_code(), "malformed_body");
  // Data at the library's own limit, 64 levels, still goes through.
  const std::string at_limit = std::string(64, '[') + std::string(64, ']');
  const Reply ok = post_text(*c_, op_path(op, "/events"), R"({"kind":"k","data":)" + at_limit + "}",
                             "application/json");
  EXPECT_EQ(ok.status, 201) << ok.text;
}

TEST_F(Writes, CorrelationComesFromXCorrelationIdAndTraceparent) {
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  const Reply both = post(*c_, "/v1/operations", {{"name", "Invoice.Generate"}},
                          {{"X-Correlation-Id", "order-1234"},
                           {"traceparent", "00-" + trace + "-00f067aa0ba902b7-01"}});
  ASSERT_EQ(both.status, 201) << both.text;
  const json& corr = both.body["operation"]["correlation"];
  EXPECT_EQ(corr["correlation_id"], "order-1234");
  EXPECT_EQ(corr["trace_id"], trace);
  EXPECT_EQ(corr["span_id"], "00f067aa0ba902b7");
  EXPECT_EQ(both.header("X-Correlation-Id"), "order-1234");

  // Only a traceparent: the trace id links the operations of one trace.
  const Reply trace_only = post(*c_, "/v1/operations", {{"name", "Invoice.Generate"}},
                                {{"traceparent", "00-" + trace + "-00f067aa0ba902b7-01"}});
  EXPECT_EQ(trace_only.body["operation"]["correlation"]["correlation_id"], trace);

  const Reply none = post(*c_, "/v1/operations", {{"name", "Invoice.Generate"}});
  EXPECT_TRUE(none.body["operation"]["correlation"].is_null());
}

TEST_F(Writes, MalformedCorrelationHeadersAre400) {
  const Reply bad_trace = post(*c_, "/v1/operations", {{"name", "X"}},
                               {{"traceparent", "00-nothex-00f067aa0ba902b7-01"}});
  EXPECT_EQ(bad_trace.status, 400);
  EXPECT_EQ(bad_trace.error_field(), "traceparent");
  const Reply bad_id =
      post(*c_, "/v1/operations", {{"name", "X"}}, {{"X-Correlation-Id", "no spaces allowed"}});
  EXPECT_EQ(bad_id.status, 400);
  EXPECT_EQ(bad_id.error_field(), "X-Correlation-Id");
}

TEST_F(Writes, ProgressMovesToRunningAndRecordsEveryField) {
  const json op = started();
  const Reply r = post(*c_, op_path(op, "/progress"),
                       {{"percent", 40},
                        {"message", "batch 2 of 5"},
                        {"progress", {{"current", 400}, {"total", 1000}, {"unit", "rows"}}}});
  ASSERT_EQ(r.status, 200) << r.text;
  const json& after = r.body["operation"];
  EXPECT_EQ(after["status"], "Running");
  EXPECT_EQ(after["percent"], 40.0);
  EXPECT_EQ(after["message"], "batch 2 of 5");
  EXPECT_EQ(after["progress"]["current"], 400);
  EXPECT_EQ(after["progress"]["total"], 1000);
  EXPECT_EQ(after["progress"]["unit"], "rows");
  EXPECT_EQ(after["version"], 2);
}

TEST_F(Writes, ProgressValidation) {
  const json op = started();
  const Reply pct = post(*c_, op_path(op, "/progress"), {{"percent", 150}});
  EXPECT_EQ(pct.status, 400);
  EXPECT_EQ(pct.error_field(), "percent");
  const Reply type = post(*c_, op_path(op, "/progress"), {{"percent", "half"}});
  EXPECT_EQ(type.status, 400);
  EXPECT_EQ(type.error_field(), "percent");
  const Reply structured = post(*c_, op_path(op, "/progress"), {{"progress", {{"total", 3}}}});
  EXPECT_EQ(structured.status, 400);
  EXPECT_EQ(structured.error_field(), "progress.current");
  const Reply unknown = post(*c_, "/v1/operations/no-such-op/progress", {{"percent", 1}});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.error_code(), "not_found");
  const Reply bad_id = post(*c_, "/v1/operations/bad%20id/progress", {{"percent", 1}});
  EXPECT_EQ(bad_id.status, 400);
  EXPECT_EQ(bad_id.error_field(), "operation_id");
}

TEST_F(Writes, WritesToAFinishedOperationAre409WithTheCurrentStatus) {
  const json op = started();
  ASSERT_EQ(post(*c_, op_path(op, "/complete"), {{"status", "Succeeded"}}).status, 200);
  for (const char* action : {"/progress", "/heartbeat"}) {
    const Reply r = post(*c_, op_path(op, action), json::object());
    EXPECT_EQ(r.status, 409) << action;
    EXPECT_EQ(r.error_code(), "invalid_transition");
    EXPECT_EQ(r.body["error"]["current_status"], "Succeeded");
  }
}

TEST_F(Writes, HeartbeatAcceptsAnEmptyBodyEvenWithoutContentLength) {
  const json op = started();
  EXPECT_EQ(post_text(*c_, op_path(op, "/heartbeat"), "", "application/json").status, 200);
  // curl -X POST sends neither a body nor Content-Length: HTTP/1.1 says no body.
  const std::string response =
      raw_request(opsd_->port(), "POST " + op_path(op, "/heartbeat") +
                                     " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                                     kWriteToken + "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(response), 200) << response;
}

TEST_F(Writes, EventsAre201AndKeepDataAsJson) {
  const json op = started();
  const Reply r =
      post(*c_, op_path(op, "/events"),
           {{"kind", "payload.parsed"}, {"message", "invoice.paid"}, {"data", {{"amount", 1200}}}});
  ASSERT_EQ(r.status, 201) << r.text;
  EXPECT_EQ(r.body["event"]["kind"], "payload.parsed");
  EXPECT_EQ(r.body["event"]["sequence"], 2);
  EXPECT_EQ(json::parse(r.body["event"]["data_json"].get<std::string>())["amount"], 1200);
  const Reply text = post(*c_, op_path(op, "/events"),
                          {{"kind", "raw"}, {"data_json", R"({"big":12345678901234567890})"}});
  EXPECT_EQ(text.body["event"]["data_json"], R"({"big":12345678901234567890})");
}

TEST_F(Writes, EventValidation) {
  const json op = started();
  const Reply no_kind = post(*c_, op_path(op, "/events"), {{"message", "m"}});
  EXPECT_EQ(no_kind.status, 400);
  EXPECT_EQ(no_kind.error_field(), "kind");
  const Reply both =
      post(*c_, op_path(op, "/events"), {{"kind", "k"}, {"data", 1}, {"data_json", "1"}});
  EXPECT_EQ(both.status, 400);
  const Reply bad_json = post(*c_, op_path(op, "/events"), {{"kind", "k"}, {"data_json", "{nope"}});
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(post(*c_, "/v1/operations/nope/events", {{"kind", "k"}}).status, 404);
}

TEST_F(Writes, LateEventsOnAFinishedOperationAreAccepted) {
  const json op = started();
  post(*c_, op_path(op, "/complete"), {{"status", "Failed"}, {"message", "boom"}});
  EXPECT_EQ(post(*c_, op_path(op, "/events"), {{"kind", "postmortem"}}).status, 201);
}

TEST_F(Writes, CompleteFollowsTheStateMachine) {
  const json op = started();
  const Reply bad = post(*c_, op_path(op, "/complete"), {{"status", "Running"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error_field(), "status");
  const Reply word = post(*c_, op_path(op, "/complete"), {{"status", "Done"}});
  EXPECT_EQ(word.status, 400);
  const Reply ok =
      post(*c_, op_path(op, "/complete"), {{"status", "Succeeded"}, {"message", "1000 rows"}});
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body["operation"]["status"], "Succeeded");
  EXPECT_EQ(ok.body["operation"]["done"], true);
  EXPECT_FALSE(ok.body["operation"]["completed_at"].is_null());
  const Reply same = post(*c_, op_path(op, "/complete"), {{"status", "Succeeded"}});
  EXPECT_EQ(same.status, 200);
  EXPECT_EQ(same.body["operation"]["version"], ok.body["operation"]["version"]);
  const Reply other = post(*c_, op_path(op, "/complete"), {{"status", "Failed"}});
  EXPECT_EQ(other.status, 409);
  EXPECT_EQ(other.body["error"]["current_status"], "Succeeded");
  EXPECT_EQ(post(*c_, "/v1/operations/nope/complete", {{"status", "Failed"}}).status, 404);
  EXPECT_EQ(post(*c_, op_path(op, "/complete"), json::object()).status, 400);
}

TEST_F(Writes, CancelRecordsTheRequestAndIsANoOpOnceFinished) {
  const json op = started();
  const Reply r = post(*c_, op_path(op, "/cancel"), {{"reason", "wrong tenant"}});
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_FALSE(r.body["operation"]["cancel_requested_at"].is_null());
  EXPECT_EQ(r.body["operation"]["cancel_reason"], "wrong tenant");
  // The worker hears of it from its next progress report.
  const Reply progress = post(*c_, op_path(op, "/progress"), {{"percent", 10}});
  EXPECT_FALSE(progress.body["operation"]["cancel_requested_at"].is_null());
  post(*c_, op_path(op, "/complete"), {{"status", "Canceled"}});
  EXPECT_EQ(post_text(*c_, op_path(op, "/cancel"), "", "application/json").status, 200);
  EXPECT_EQ(post(*c_, "/v1/operations/nope/cancel", json::object()).status, 404);
  EXPECT_EQ(post(*c_, op_path(op, "/cancel"), {{"reason", 5}}).status, 400);
}

TEST_F(Writes, UnknownRoutesAre404AndOtherMethods405AsJson) {
  const Reply missing = post(*c_, "/v1/operations/x/frobnicate", json::object());
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.error_code(), "not_found");
  const Reply del = to_reply(c_->Delete("/v1/operations/x"));
  EXPECT_EQ(del.status, 405);
  EXPECT_EQ(del.error_code(), "method_not_allowed");
}

}  // namespace
}  // namespace opsd_test
