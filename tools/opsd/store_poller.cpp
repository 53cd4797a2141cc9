#include "store_poller.hpp"

#include <algorithm>
#include <exception>

namespace incursa::platform::opsd {

StorePoller::StorePoller(OperationTracker& reader, ChangeFeed& feed, const Clock& clock,
                         StorePollerOptions options)
    : reader_(reader),
      feed_(feed),
      clock_(clock),
      options_(std::move(options)),
      watermark_(clock.now()),
      loop_(
          options_.interval,
          [this] {
            poll_once();  // reads up to max_rows a poll; the rest waits a poll
            return false;
          },
          options_.on_error) {}

StorePoller::~StorePoller() { stop(); }

std::size_t StorePoller::poll_once() {
  std::lock_guard lock(poll_mutex_);
  OperationQuery query;
  query.filter.updated_from = watermark_ - options_.overlap;
  query.order = ListOrder::OldestFirst;
  query.limit = 1000;
  std::size_t published = 0;
  std::size_t read = 0;
  Timestamp newest = watermark_;
  while (read < options_.max_rows) {
    OperationPage page = reader_.list(query);
    for (const OperationSnapshot& op : page.operations) {
      newest = std::max(newest, op.updated_at);
      if (feed_.publish("updated", op)) ++published;
    }
    read += page.operations.size();
    if (!page.next_page_token) break;
    query.page_token = page.next_page_token;
  }
  watermark_ = newest;
  return published;
}

}  // namespace incursa::platform::opsd
