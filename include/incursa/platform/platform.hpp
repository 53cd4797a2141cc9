// Everything a service needs, in one include.
#pragma once

#include "incursa/platform/clock.hpp"
#include "incursa/platform/correlation/correlation_context.hpp"
#include "incursa/platform/correlation/correlation_headers.hpp"
#include "incursa/platform/correlation/correlation_scope.hpp"
#include "incursa/platform/correlation/traceparent.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/id.hpp"
#include "incursa/platform/operations/operation_json.hpp"
#include "incursa/platform/operations/operation_scope.hpp"
#include "incursa/platform/operations/operation_store.hpp"
#include "incursa/platform/operations/operation_tracker.hpp"
#include "incursa/platform/operations/tracker.hpp"
#include "incursa/platform/operations/transition_rules.hpp"
#include "incursa/platform/stores/memory_store.hpp"
#include "incursa/platform/stores/store_factory.hpp"
