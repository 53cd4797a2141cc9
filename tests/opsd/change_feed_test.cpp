// The change feed in-process: ordering, dedupe by version, overflow, blocking
// waits that wake on publish and on close.
#include <gtest/gtest.h>

#include <future>

#include "change_feed.hpp"

namespace incursa::platform::opsd {
namespace {

using namespace std::chrono_literals;

OperationSnapshot snapshot(const std::string& id, std::int64_t version) {
  OperationSnapshot s;
  s.id = OperationId::parse(id);
  s.name = "Feed.Test";
  s.version = version;
  return s;
}

auto soon() { return std::chrono::steady_clock::now() + 5s; }
auto now() { return std::chrono::steady_clock::now(); }

TEST(ChangeFeed, NumbersChangesAndReturnsThoseAfterTheCursor) {
  ChangeFeed feed;
  EXPECT_EQ(feed.head(), 0U);
  feed.publish("started", snapshot("a", 1));
  feed.publish("started", snapshot("b", 1));
  feed.publish("progress", snapshot("a", 2));
  EXPECT_EQ(feed.head(), 3U);
  const ChangeBatch batch = feed.wait_after(1, now());
  ASSERT_EQ(batch.changes.size(), 2U);
  EXPECT_EQ(batch.changes[0]->sequence, 2U);
  EXPECT_EQ(batch.changes[1]->kind, "progress");
  EXPECT_FALSE(batch.overflowed);
}

TEST(ChangeFeed, DropsVersionsAlreadyPublishedButKeepsEvents) {
  ChangeFeed feed;
  EXPECT_TRUE(feed.publish("progress", snapshot("a", 2)));
  EXPECT_FALSE(feed.publish("updated", snapshot("a", 2)));  // the poller re-reading it
  EXPECT_FALSE(feed.publish("updated", snapshot("a", 1)));  // older
  OperationEvent event;
  event.kind = "checkpoint";
  EXPECT_TRUE(feed.publish("event", snapshot("a", 2), event));  // news at the same version
  EXPECT_TRUE(feed.publish("updated", snapshot("a", 3)));
  EXPECT_EQ(feed.head(), 3U);
}

TEST(ChangeFeed, AReaderThatFellOutOfTheRingIsToldSo) {
  ChangeFeed feed(4);
  for (int i = 1; i <= 10; ++i) feed.publish("progress", snapshot("a", i));
  const ChangeBatch batch = feed.wait_after(2, now());
  EXPECT_TRUE(batch.overflowed);
  ASSERT_EQ(batch.changes.size(), 4U);
  EXPECT_EQ(batch.changes.front()->sequence, 7U);
  EXPECT_FALSE(feed.wait_after(6, now()).overflowed);
}

TEST(ChangeFeed, WaitBlocksUntilAPublishAndTimesOutEmpty) {
  ChangeFeed feed;
  EXPECT_TRUE(feed.wait_after(0, now() + 50ms).changes.empty());
  auto waiter = std::async(std::launch::async, [&] { return feed.wait_after(0, soon()); });
  feed.publish("started", snapshot("a", 1));
  const ChangeBatch batch = waiter.get();
  ASSERT_EQ(batch.changes.size(), 1U);
}

TEST(ChangeFeed, CloseWakesEveryWaiter) {
  ChangeFeed feed;
  auto a = std::async(std::launch::async, [&] { return feed.wait_after(0, now() + 60s); });
  auto b = std::async(std::launch::async, [&] { return feed.wait_after(0, now() + 60s); });
  feed.close();
  EXPECT_TRUE(a.get().closed);
  EXPECT_TRUE(b.get().closed);
  EXPECT_FALSE(feed.publish("started", snapshot("c", 1)));
}

TEST(ChangeFeed, ForgetsTheOldestOperationsPastItsBound) {
  ChangeFeed feed(100, 2);
  feed.publish("started", snapshot("a", 5));
  feed.publish("started", snapshot("b", 1));
  feed.publish("started", snapshot("c", 1));               // forgets a
  EXPECT_TRUE(feed.publish("updated", snapshot("a", 5)));  // a repeat, not a loss
}

}  // namespace
}  // namespace incursa::platform::opsd
