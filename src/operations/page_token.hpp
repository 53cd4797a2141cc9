// Page tokens for list(): an opaque, integrity-checked encoding of where the
// next page starts, bound to the filter and order it was made for. Tokens are
// checked, not secret: they hold only a timestamp and an id the caller has seen.
#pragma once

#include <string>
#include <string_view>

#include "incursa/platform/operations/operation_query.hpp"
#include "incursa/platform/operations/operation_store.hpp"

namespace incursa::platform::page_token {

std::string encode(const ListCursor& cursor, const OperationFilter& filter, ListOrder order);

// Throws ValidationError("page_token", …) if the token was altered or was made
// for another filter or order.
ListCursor decode(std::string_view token, const OperationFilter& filter, ListOrder order);

}  // namespace incursa::platform::page_token
