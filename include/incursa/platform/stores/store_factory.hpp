// Opens a store from a URI, so a program picks its backend by configuration:
//   memory:            a fresh in-memory store
//   sqlite:PATH        a SQLite file (created if missing); sqlite::memory: for a private one
//   postgresql://…     (when built with PostgreSQL support)
//
// Throws ValidationError (field "store_uri") for a URI no built-in store accepts,
// and StoreError when the store cannot be opened. Neither message holds a password.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "incursa/platform/operations/operation_store.hpp"

namespace incursa::platform {

std::shared_ptr<OperationStore> open_store(std::string_view uri);

// `uri` fit to show (in output, logs, errors): the password of
// "scheme://user:password@host" and the value of every query parameter whose
// name holds "password", "passwd", "secret" or "token" become "***". Anything
// else is kept, so the result still says which store it is.
std::string redact_store_uri(std::string_view uri);

}  // namespace incursa::platform
