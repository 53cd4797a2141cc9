// CorrelationScope: the ambient correlation context of the current thread (contract §2, §6).
//
//   {
//     CorrelationScope scope(ctx);               // ctx is now ambient on this thread
//     ... CorrelationScope::current() ...        // -> the scope's copy of ctx
//   }                                            // the previous ambient context is back
//
// Contract:
//   - RAII and nestable: each scope makes its own copy of the context current and
//     its destructor restores whatever was current before it.
//   - Scopes on one thread must end in reverse order of creation, which automatic
//     (stack) variables guarantee. Do not keep one in a heap object that outlives
//     an inner scope, and never destroy one on a thread other than the one that made it.
//   - Non-copyable and non-movable: a scope's address is what the thread points at.
//
// Thread safety: the ambient context is per thread (thread_local). A scope opened on
// one thread is invisible to every other thread, and work handed to another thread
// does not inherit it: copy `*CorrelationScope::current()` and open a new scope there.
// Nothing here takes a lock or can throw except copying the context into the scope.
#pragma once

#include "incursa/platform/correlation/correlation_context.hpp"

namespace incursa::platform {

class CorrelationScope {
 public:
  // Makes `ctx` the current thread's ambient context until this scope ends.
  explicit CorrelationScope(CorrelationContext ctx) noexcept;
  ~CorrelationScope();

  CorrelationScope(const CorrelationScope&) = delete;
  CorrelationScope& operator=(const CorrelationScope&) = delete;
  CorrelationScope(CorrelationScope&&) = delete;
  CorrelationScope& operator=(CorrelationScope&&) = delete;

  // The innermost open scope's context on this thread, or nullptr when none is open.
  // The pointer is valid until that scope ends.
  static const CorrelationContext* current() noexcept;

  // This scope's own context (which is current() while no inner scope is open).
  const CorrelationContext& context() const noexcept { return context_; }

 private:
  CorrelationContext context_;
  const CorrelationScope* previous_;
};

}  // namespace incursa::platform
