// Ambient, per-thread CorrelationScope.
#include "incursa/platform/correlation/correlation_scope.hpp"

#include <gtest/gtest.h>

#include <latch>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>

namespace incursa::platform {
namespace {

// CorrelationContext has no default constructor (CorrelationId has none) and GCC
// warns about any field an aggregate initializer leaves out, so build it here once.
CorrelationContext context_with_id(const std::string& id) {
  return CorrelationContext{.correlation_id = CorrelationId::parse(id),
                            .causation_id = std::nullopt,
                            .trace_id = std::nullopt,
                            .span_id = std::nullopt,
                            .created_at = Timestamp{},
                            .tags = {}};
}

// The current thread's ambient correlation id, or "" when none.
std::string current_id() {
  const CorrelationContext* ctx = CorrelationScope::current();
  return ctx == nullptr ? std::string() : ctx->correlation_id.value();
}

TEST(CorrelationScope, IsNeitherCopyableNorMovable) {
  EXPECT_FALSE(std::is_copy_constructible_v<CorrelationScope>);
  EXPECT_FALSE(std::is_copy_assignable_v<CorrelationScope>);
  EXPECT_FALSE(std::is_move_constructible_v<CorrelationScope>);
  EXPECT_FALSE(std::is_move_assignable_v<CorrelationScope>);
  EXPECT_FALSE((std::is_convertible_v<CorrelationContext, CorrelationScope>));  // explicit
}

TEST(CorrelationScope, NoScopeMeansNoCurrentContext) {
  EXPECT_EQ(CorrelationScope::current(), nullptr);
}

TEST(CorrelationScope, ScopeIsCurrentUntilItEnds) {
  {
    CorrelationScope scope(context_with_id("outer"));
    ASSERT_NE(CorrelationScope::current(), nullptr);
    EXPECT_EQ(CorrelationScope::current(), &scope.context());
    EXPECT_EQ(current_id(), "outer");
  }
  EXPECT_EQ(CorrelationScope::current(), nullptr);
}

TEST(CorrelationScope, KeepsItsOwnCopyOfTheContext) {
  CorrelationContext ctx = context_with_id("original");
  ctx.tags["tenant"] = "acme";
  CorrelationScope scope(ctx);
  ctx.tags["tenant"] = "changed";
  ctx.correlation_id = CorrelationId::parse("changed");
  ASSERT_NE(CorrelationScope::current(), nullptr);
  EXPECT_EQ(CorrelationScope::current()->tags.at("tenant"), "acme");
  EXPECT_EQ(current_id(), "original");
}

TEST(CorrelationScope, NestedScopesRestoreTheirPredecessor) {
  CorrelationScope a(context_with_id("a"));
  EXPECT_EQ(current_id(), "a");
  {
    CorrelationScope b(context_with_id("b"));
    EXPECT_EQ(current_id(), "b");
    {
      CorrelationScope c(context_with_id("c"));
      EXPECT_EQ(current_id(), "c");
    }
    EXPECT_EQ(current_id(), "b");
    {
      CorrelationScope d(context_with_id("d"));
      EXPECT_EQ(current_id(), "d");
    }
    EXPECT_EQ(current_id(), "b");
  }
  EXPECT_EQ(current_id(), "a");
}

TEST(CorrelationScope, SameContextNestedTwiceStillUnwindsOneLevelAtATime) {
  const CorrelationContext ctx = context_with_id("same");
  CorrelationScope outer(ctx);
  const CorrelationContext* outer_ptr = CorrelationScope::current();
  {
    CorrelationScope inner(ctx);
    EXPECT_NE(CorrelationScope::current(), outer_ptr);
    EXPECT_EQ(*CorrelationScope::current(), *outer_ptr);
  }
  EXPECT_EQ(CorrelationScope::current(), outer_ptr);
}

TEST(CorrelationScope, RestoredWhenAnExceptionUnwindsTheScope) {
  CorrelationScope outer(context_with_id("outer"));
  try {
    CorrelationScope inner(context_with_id("inner"));
    EXPECT_EQ(current_id(), "inner");
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
    EXPECT_EQ(current_id(), "outer");
  }
  EXPECT_EQ(current_id(), "outer");
}

TEST(CorrelationScope, NewThreadDoesNotInheritTheScope) {
  CorrelationScope scope(context_with_id("main"));
  std::optional<std::string> seen_in_thread;
  std::string seen_inside_own_scope;
  std::thread worker([&] {
    seen_in_thread = current_id();
    CorrelationScope own(context_with_id("worker"));
    seen_inside_own_scope = current_id();
  });
  worker.join();
  EXPECT_EQ(seen_in_thread, std::string());
  EXPECT_EQ(seen_inside_own_scope, "worker");
  EXPECT_EQ(current_id(), "main");  // the worker's scope never touched this thread
}

TEST(CorrelationScope, ConcurrentScopesOnTwoThreadsAreIndependent) {
  // Both threads hold their scope open at the same time; the latches order the
  // steps so the overlap is guaranteed without sleeping.
  std::latch both_open(2);
  std::latch both_checked(2);
  std::string seen_a, seen_b, after_a, after_b;
  const auto body = [&](const std::string& id, std::string& seen, std::string& after) {
    {
      CorrelationScope scope(context_with_id(id));
      both_open.arrive_and_wait();
      seen = current_id();
      both_checked.arrive_and_wait();
    }
    after = current_id();
  };
  std::thread a(body, "thread-a", std::ref(seen_a), std::ref(after_a));
  std::thread b(body, "thread-b", std::ref(seen_b), std::ref(after_b));
  a.join();
  b.join();
  EXPECT_EQ(seen_a, "thread-a");
  EXPECT_EQ(seen_b, "thread-b");
  EXPECT_EQ(after_a, "");
  EXPECT_EQ(after_b, "");
  EXPECT_EQ(CorrelationScope::current(), nullptr);
}

TEST(CorrelationScope, ContextCanBeCarriedToAnotherThreadExplicitly) {
  CorrelationScope scope(context_with_id("carried"));
  const CorrelationContext copy = *CorrelationScope::current();
  std::string seen;
  std::thread worker([&] {
    CorrelationScope there(copy);
    seen = current_id();
  });
  worker.join();
  EXPECT_EQ(seen, "carried");
}

}  // namespace
}  // namespace incursa::platform
