// Per-thread ambient correlation. See correlation_scope.hpp for the contract.
#include "incursa/platform/correlation/correlation_scope.hpp"

#include <cassert>
#include <utility>

namespace incursa::platform {
namespace {

// The innermost open scope on this thread. Scopes form a stack through previous_,
// so the stack lives in the scope objects themselves and needs no allocation.
thread_local const CorrelationScope* t_current = nullptr;

}  // namespace

CorrelationScope::CorrelationScope(CorrelationContext ctx) noexcept
    : context_(std::move(ctx)), previous_(t_current) {
  t_current = this;
}

CorrelationScope::~CorrelationScope() {
  // Out-of-order destruction would resurrect a dead scope as "previous".
  assert(t_current == this && "CorrelationScope ended out of order or on another thread");
  t_current = previous_;
}

const CorrelationContext* CorrelationScope::current() noexcept {
  return t_current == nullptr ? nullptr : &t_current->context();
}

}  // namespace incursa::platform
