// The HTTP worker pool grows to its bound, runs everything queued, and shuts down.
#include <gtest/gtest.h>

#include <atomic>
#include <latch>

#include "thread_pool.hpp"

namespace incursa::platform::opsd {
namespace {

using namespace std::chrono_literals;

TEST(DynamicThreadPool, GrowsToItsBoundAndRunsEveryJob) {
  DynamicThreadPool pool(4, 30s);
  std::latch started(4);
  std::latch release(1);
  std::atomic<int> done{0};
  for (int i = 0; i < 4; ++i) {
    pool.enqueue([&] {
      started.count_down();
      release.wait();
      ++done;
    });
  }
  started.wait();  // four blocking jobs at once: four threads
  EXPECT_EQ(pool.thread_count(), 4U);
  for (int i = 0; i < 10; ++i) pool.enqueue([&] { ++done; });  // queued, no fifth thread
  EXPECT_EQ(pool.thread_count(), 4U);
  release.count_down();
  pool.shutdown();
  EXPECT_EQ(done.load(), 14);
}

TEST(DynamicThreadPool, IdleThreadsRetire) {
  DynamicThreadPool pool(2, 10ms);
  std::latch ran(1);
  pool.enqueue([&] { ran.count_down(); });
  ran.wait();
  // The retired thread is reaped by the next enqueue; the job still runs.
  std::atomic<bool> second{false};
  while (pool.thread_count() != 0) std::this_thread::yield();
  pool.enqueue([&] { second = true; });
  pool.shutdown();
  EXPECT_TRUE(second.load());
}

}  // namespace
}  // namespace incursa::platform::opsd
