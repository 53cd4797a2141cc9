// GET /v1/operations (every contract §5 filter, paging), /v1/counts, one
// operation, its events, children and timeline.
#include <set>

#include "api_helpers.hpp"

namespace opsd_test {
namespace {

class Reads : public ::testing::Test {
 protected:
  // One store for the suite, filled once; each test filters on its own tag
  // where it needs a known population.
  static void SetUpTestSuite() {
    opsd_ = new OpsdProcess();
    auto c = opsd_->client();
    parent_ = start(
        *c, {{"name", "Nightly.Import"}, {"tags", {{"suite", "reads"}, {"tenant", "acme"}}}})["id"];
    for (int i = 0; i < 3; ++i) {
      start(*c, {{"name", "Import.Batch"},
                 {"parent_id", parent_},
                 {"tags", {{"suite", "reads"}, {"tenant", "acme"}, {"n", std::to_string(i)}}}});
    }
    const json hook = start(
        *c, {{"name", "Webhook.Process"}, {"tags", {{"suite", "reads"}, {"tenant", "globex"}}}});
    post(*c, "/v1/operations/" + hook["id"].get<std::string>() + "/complete",
         {{"status", "Failed"}});
    const json correlated =
        to_reply(c->Post("/v1/operations", {{"X-Correlation-Id", "corr-reads"}},
                         json{{"name", "Email.Send"}, {"tags", {{"suite", "reads"}}}}.dump(),
                         "application/json"))
            .body["operation"];
    correlated_ = correlated["id"];
  }
  static void TearDownTestSuite() {
    delete opsd_;
    opsd_ = nullptr;
  }
  void SetUp() override { c_ = opsd_->client(); }

  std::vector<json> list(const std::string& query) {
    const Reply r = get(*c_, "/v1/operations?" + query);
    EXPECT_EQ(r.status, 200) << query << " " << r.text;
    return r.body["operations"].get<std::vector<json>>();
  }

  static OpsdProcess* opsd_;
  static std::string parent_;
  static std::string correlated_;
  std::unique_ptr<httplib::Client> c_;
};

OpsdProcess* Reads::opsd_ = nullptr;
std::string Reads::parent_;
std::string Reads::correlated_;

TEST_F(Reads, GetReturnsTheOperationWrapped) {
  const Reply r = get(*c_, "/v1/operations/" + parent_);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["operation"]["id"], parent_);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
}

TEST_F(Reads, GetErrors) {
  const Reply missing = get(*c_, "/v1/operations/no-such-operation");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.error_code(), "not_found");
  EXPECT_EQ(missing.body["error"]["message"], "operation no-such-operation not found");
  const Reply bad = get(*c_, "/v1/operations/" + std::string(65, 'a'));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error_field(), "operation_id");
  EXPECT_EQ(get(*c_, "/v1/operations/" + parent_ + "?x=1").status, 400);
}

TEST_F(Reads, ListFiltersByEverySpecFilter) {
  EXPECT_EQ(list("tag=suite:reads").size(), 6U);
  EXPECT_EQ(list("tag=suite:reads&status=Failed").size(), 1U);
  EXPECT_EQ(list("tag=suite:reads&status=Failed,Pending").size(), 6U);
  EXPECT_EQ(list("tag=suite:reads&status=Failed&status=Pending").size(), 6U);
  EXPECT_EQ(list("tag=suite:reads&name=Import.Batch").size(), 3U);
  EXPECT_EQ(list("tag=suite:reads&name_prefix=Import.").size(), 3U);
  EXPECT_EQ(list("tag=suite:reads&tag=tenant:acme").size(), 4U);
  EXPECT_EQ(list("tag=suite:reads&tag=tenant:acme&tag=n:1").size(), 1U);
  EXPECT_EQ(list("tag=suite:reads&parent_id=" + parent_).size(), 3U);
  const auto correlated = list("correlation_id=corr-reads");
  ASSERT_EQ(correlated.size(), 1U);
  EXPECT_EQ(correlated[0]["id"], correlated_);

  const std::string started = list("tag=suite:reads&name=Nightly.Import")[0]["started_at"];
  EXPECT_EQ(list("tag=suite:reads&started_to=" + enc(started)).size(), 0U);  // half-open
  EXPECT_EQ(list("tag=suite:reads&started_from=" + enc(started)).size(), 6U);
  EXPECT_EQ(
      list("tag=suite:reads&updated_from=2000-01-01T00:00:00Z&updated_to=2200-01-01T00:00:00Z")
          .size(),
      6U);
  EXPECT_EQ(list("tag=suite:reads&updated_to=2000-01-01T00:00:00Z").size(), 0U);
}

TEST_F(Reads, ListIsNewestFirstUnlessAskedAndPagesWithoutRepeatsOrGaps) {
  const auto newest = list("tag=suite:reads");
  const auto oldest = list("tag=suite:reads&order=oldest");
  ASSERT_EQ(newest.size(), oldest.size());
  EXPECT_EQ(newest.front()["id"], oldest.back()["id"]);
  EXPECT_GE(newest.front()["started_at"].get<std::string>(),
            newest.back()["started_at"].get<std::string>());

  std::vector<std::string> paged;
  std::string token;
  int pages = 0;
  do {
    const Reply r = get(*c_, "/v1/operations?tag=suite:reads&limit=4" +
                                 (token.empty() ? "" : "&page_token=" + enc(token)));
    ASSERT_EQ(r.status, 200) << r.text;
    for (const json& op : r.body["operations"]) paged.push_back(op["id"]);
    token = r.body.value("next_page_token", "");
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(pages, 2);
  ASSERT_EQ(paged.size(), newest.size());
  for (std::size_t i = 0; i < paged.size(); ++i) EXPECT_EQ(paged[i], newest[i]["id"]);
  EXPECT_EQ(std::set<std::string>(paged.begin(), paged.end()).size(), paged.size());
  EXPECT_EQ(list("tag=suite:reads&page_size=2").size(), 2U);
}

TEST_F(Reads, ListParameterErrorsAre400) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"status=Done", "status"},
      {"limit=0", "limit"},
      {"limit=1001", "limit"},
      {"limit=ten", "limit"},
      {"order=sideways", "order"},
      {"started_from=yesterday", "started_from"},
      {"tag=novalue", "tag"},
      {"page_token=garbage", "page_token"},
      {"colour=blue", "colour"},
      {"name=1bad", "name"},
      {"limit=1&page_size=2", "page_size"},
  };
  for (const auto& [query, field] : cases) {
    const Reply r = get(*c_, "/v1/operations?" + query);
    EXPECT_EQ(r.status, 400) << query << " " << r.text;
    EXPECT_EQ(r.error_code(), "invalid_argument") << query;
    EXPECT_EQ(r.error_field(), field) << query;
  }
  // A token is bound to the filter that made it.
  const Reply first = get(*c_, "/v1/operations?tag=suite:reads&limit=1");
  const std::string token = first.body["next_page_token"];
  const Reply replay =
      get(*c_, "/v1/operations?tag=suite:reads&status=Failed&limit=1&page_token=" + enc(token));
  EXPECT_EQ(replay.status, 400);
  EXPECT_EQ(replay.error_field(), "page_token");
}

TEST_F(Reads, CountsCoverEveryStatus) {
  const Reply r = get(*c_, "/v1/counts?tag=suite:reads");
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["total"], 6);
  EXPECT_EQ(r.body["counts"]["Pending"], 5);
  EXPECT_EQ(r.body["counts"]["Failed"], 1);
  EXPECT_EQ(r.body["counts"]["Stalled"], 0);
  EXPECT_EQ(r.body["counts"].size(), 6U);
  EXPECT_EQ(get(*c_, "/v1/counts?status=Nope").status, 400);
  EXPECT_EQ(get(*c_, "/v1/counts?limit=3").status, 400);
}

// Bounded by default (at_most 10,000); a status past at_most shows at_most and
// is named in "more"; exact=true counts everything.
TEST_F(Reads, CountsAreBoundedAndSayWhere) {
  const Reply bounded = get(*c_, "/v1/counts?tag=suite:reads");
  ASSERT_EQ(bounded.status, 200) << bounded.text;
  EXPECT_EQ(bounded.body["at_most"], 10000);
  EXPECT_EQ(bounded.body["more"], json::array());

  const Reply cut = get(*c_, "/v1/counts?tag=suite:reads&at_most=2");
  ASSERT_EQ(cut.status, 200) << cut.text;
  EXPECT_EQ(cut.body["at_most"], 2);
  EXPECT_EQ(cut.body["counts"]["Pending"], 2);
  EXPECT_EQ(cut.body["counts"]["Failed"], 1);
  EXPECT_EQ(cut.body["more"], json::array({"Pending"}));
  EXPECT_EQ(cut.body["total"], 3);

  const Reply exact = get(*c_, "/v1/counts?tag=suite:reads&exact=true");
  ASSERT_EQ(exact.status, 200) << exact.text;
  EXPECT_EQ(exact.body["counts"]["Pending"], 5);
  EXPECT_FALSE(exact.body.contains("at_most"));
  EXPECT_FALSE(exact.body.contains("more"));

  for (const char* bad :
       {"at_most=0", "at_most=1000001", "at_most=x", "exact=yes", "exact=true&at_most=5"}) {
    const Reply r = get(*c_, std::string("/v1/counts?") + bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_TRUE(r.error_field() == "at_most" || r.error_field() == "exact") << bad;
  }
}

TEST_F(Reads, EventsInSequenceWithPaging) {
  const json op = start(*c_, {{"name", "Events.Paging"}});
  const std::string base = "/v1/operations/" + op["id"].get<std::string>();
  for (int i = 0; i < 5; ++i)
    post(*c_, base + "/events", {{"kind", "step"}, {"message", std::to_string(i)}});
  const Reply all = get(*c_, base + "/events");
  ASSERT_EQ(all.status, 200);
  ASSERT_EQ(all.body["events"].size(), 6U);
  EXPECT_EQ(all.body["events"][0]["kind"], "status");
  EXPECT_FALSE(all.body.contains("next_after"));
  const Reply page = get(*c_, base + "/events?after=2&limit=2");
  ASSERT_EQ(page.body["events"].size(), 2U);
  EXPECT_EQ(page.body["events"][0]["sequence"], 3);
  EXPECT_EQ(page.body["next_after"], 4);
  EXPECT_EQ(get(*c_, "/v1/operations/nope/events").status, 404);
  EXPECT_EQ(get(*c_, base + "/events?limit=0").status, 400);
  EXPECT_EQ(get(*c_, base + "/events?after=-1").status, 400);
}

TEST_F(Reads, ChildrenOldestFirst) {
  const Reply r = get(*c_, "/v1/operations/" + parent_ + "/children");
  ASSERT_EQ(r.status, 200) << r.text;
  ASSERT_EQ(r.body["operations"].size(), 3U);
  EXPECT_EQ(r.body["operations"][0]["tags"]["n"], "0");
  const Reply page = get(*c_, "/v1/operations/" + parent_ + "/children?limit=2");
  EXPECT_EQ(page.body["operations"].size(), 2U);
  ASSERT_TRUE(page.body.contains("next_page_token"));
  const Reply rest = get(*c_, "/v1/operations/" + parent_ + "/children?limit=2&page_token=" +
                                  enc(page.body["next_page_token"]));
  EXPECT_EQ(rest.body["operations"].size(), 1U);
  EXPECT_EQ(get(*c_, "/v1/operations/nope/children").status, 404);
  EXPECT_EQ(get(*c_, "/v1/operations/" + parent_ + "/children?limit=5000").status, 400);
}

TEST_F(Reads, TimelineMergesEventsChildrenAndAuditInTimeOrder) {
  const Reply r = get(*c_, "/v1/operations/" + parent_ + "/timeline");
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["operation"]["id"], parent_);
  std::multiset<std::string> sources;
  std::string previous;
  for (const json& e : r.body["entries"]) {
    sources.insert(e["source"]);
    EXPECT_GE(e["at"].get<std::string>(), previous);
    previous = e["at"];
  }
  EXPECT_EQ(sources.count("event"), 1U);  // the creation status event
  EXPECT_EQ(sources.count("child"), 3U);
  EXPECT_GE(sources.count("audit"), 1U);  // operation.started
  const auto audit = std::find_if(r.body["entries"].begin(), r.body["entries"].end(),
                                  [](const json& e) { return e["source"] == "audit"; });
  EXPECT_EQ((*audit)["audit"]["name"], "operation.started");
  EXPECT_EQ((*audit)["audit"]["anchors"][0]["type"], "Operation");
  EXPECT_EQ(get(*c_, "/v1/operations/nope/timeline").status, 404);
}

}  // namespace
}  // namespace opsd_test
