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
      watermark_(clock.now()) {}

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

void StorePoller::start() {
  if (thread_.joinable()) return;
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void StorePoller::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  wake_.notify_all();
  thread_.join();
}

void StorePoller::run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(wait_mutex_);
      wake_.wait_for(lock, stop, options_.interval, [] { return false; });
    }
    if (stop.stop_requested()) break;
    try {
      poll_once();
    } catch (const std::exception& e) {
      // A store outage must not end the poller; the next poll retries.
      if (options_.on_error) options_.on_error(e);
    }
  }
}

}  // namespace incursa::platform::opsd
