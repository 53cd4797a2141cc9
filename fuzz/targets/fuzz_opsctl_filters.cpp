// opsctl's filter and time arguments (tools/opsctl/filters.cpp, through CLI11, as
// `opsctl list` / `count` / `watch` parse them), and the filter they build, run
// as a list query on a memory store.
//
// Input: one argument per line. Properties:
//   - CLI11 refuses with a CLI::ParseError, or FilterOptions::build refuses with a
//     ValidationError naming the option ("--tag 'x'", "--started-after '…'", …);
//     no other exception escapes;
//   - a built filter reflects its arguments: --tag k=v gives tags[k] == v,
//     --correlation/--parent give the trimmed id, one status bit per --status word;
//   - the filter runs as a Tracker list query (an empty store), failing only with
//     a ValidationError, and a next page query with the same filter is possible.
#include <cstdint>

#include "filters.hpp"
#include "fuzz_check.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/tracker.hpp"
#include "incursa/platform/stores/memory_store.hpp"

namespace {

using namespace incursa;
using namespace incursa::platform;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::string> lines = fuzz::split(fuzz::as_text(data, size), '\n');
  if (lines.size() > 64) return 0;

  CLI::App app("fuzz");
  opsctl::FilterOptions options;
  options.add_to(app);
  std::vector<std::string> args(lines.rbegin(), lines.rend());  // CLI11 wants them reversed
  try {
    app.parse(args);
  } catch (const CLI::ParseError&) {
    return 0;
  }

  const platform::Timestamp now(std::chrono::seconds(1'767'225'600));  // 2026-01-01
  platform::OperationFilter filter;
  try {
    filter = options.build(now);
  } catch (const platform::ValidationError& e) {
    FUZZ_CHECK(e.field().rfind("--", 0) == 0);
    return 0;
  }
  for (const std::string& tag : options.tags) {
    const std::size_t eq = tag.find('=');
    FUZZ_CHECK(eq != std::string::npos && eq > 0);
    FUZZ_CHECK(filter.tags.count(tag.substr(0, eq)) == 1);
  }
  if (!options.correlation.empty()) FUZZ_CHECK(filter.correlation_id.has_value());
  if (!options.parent.empty()) FUZZ_CHECK(filter.parent_id.has_value());
  FUZZ_CHECK(options.statuses.empty() || !filter.statuses.empty());
  FUZZ_CHECK(filter.started_from.has_value() == !options.started_after.empty());
  FUZZ_CHECK(filter.updated_to.has_value() == !options.updated_before.empty());

  // A few operations to filter (made once; the queries only read).
  static platform::Tracker tracker = [] {
    platform::Tracker t(platform::make_memory_store());
    platform::StartOptions a;
    a.tags = {{"tenant", "acme"}, {"provider", "stripe"}};
    const auto parent = t.start("Webhook.Process", a);
    platform::StartOptions b;
    b.parent_id = parent.id;
    b.tags = {{"tenant", "acme"}};
    t.start("Nightly.Import", b);
    t.complete(t.start("Batch.Export").id, platform::OperationStatus::Failed, "boom");
    return t;
  }();
  platform::OperationQuery query;
  query.filter = filter;
  query.limit = 1;
  try {
    std::size_t seen = 0;
    for (int page_no = 0; page_no < 4; ++page_no) {
      const platform::OperationPage page = tracker.list(query);
      for (const auto& op : page.operations) FUZZ_CHECK(platform::matches(filter, op));
      seen += page.operations.size();
      if (!page.next_page_token) break;
      query.page_token = page.next_page_token;
    }
    std::int64_t counted = 0;
    for (const auto& [status, n] : tracker.count_by_status(filter)) counted += n;
    FUZZ_CHECK(counted == static_cast<std::int64_t>(seen));
  } catch (const platform::ValidationError& e) {
    FUZZ_CHECK(!e.field().empty());
  }
  return 0;
}
