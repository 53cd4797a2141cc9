// Which store a tool talks to: --store, else $OPS_STORE, else the SQLite file
// ./operations.db. Shared by opsctl and opsd so both read configuration alike.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "incursa/platform/operations/operation_store.hpp"

namespace incursa::platform::tools {

inline constexpr std::string_view kDefaultStoreUri = "sqlite:./operations.db";
inline constexpr const char* kStoreEnvironmentVariable = "OPS_STORE";

// `flag` when given and not blank, else $OPS_STORE when set and not blank, else
// kDefaultStoreUri.
std::string resolve_store_uri(const std::optional<std::string>& flag);

enum class OpenMode {
  // Reading or changing what is there: a SQLite file that does not exist is an
  // error (a typo in a path must not leave an empty database behind).
  MustExist,
  // Writing new data (demo, import, migrate): the file is created if missing.
  CreateIfMissing,
};

// Opens the store (open_store(uri)). Throws ValidationError for a malformed URI,
// StoreError when it cannot be opened or, with MustExist, a SQLite file is missing.
std::shared_ptr<platform::OperationStore> open_tool_store(const std::string& uri, OpenMode mode);

}  // namespace incursa::platform::tools
