#include "incursa/tools/store_config.hpp"

#include <cstdlib>
#include <filesystem>

#include "incursa/platform/error.hpp"
#include "incursa/platform/stores/store_factory.hpp"
#ifdef INCURSA_TOOLS_HAVE_SQLITE
#include "incursa/platform/stores/sqlite_store.hpp"
#endif

namespace incursa::platform::tools {

namespace {

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

#ifdef INCURSA_TOOLS_HAVE_SQLITE
void require_existing_sqlite_file(const std::string& uri) {
  const platform::SqliteStoreOptions options = platform::SqliteStore::parse_uri(uri);
  if (options.path == ":memory:") return;
  std::error_code ec;
  if (std::filesystem::exists(options.path, ec)) return;
  // Left to the store: it names a missing directory or a permission problem precisely.
  const std::filesystem::path parent = std::filesystem::path(options.path).parent_path();
  if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) return;
  throw platform::StoreError("store " + platform::redact_store_uri(uri) + ": the file '" +
                                 options.path +
                                 "' does not exist (nothing has been written to this store yet)",
                             false);
}
#endif

}  // namespace

std::string resolve_store_uri(const std::optional<std::string>& flag) {
  if (flag && !blank(*flag)) return *flag;
  if (const char* env = std::getenv(kStoreEnvironmentVariable); env && !blank(env)) return env;
  return std::string(kDefaultStoreUri);
}

std::shared_ptr<platform::OperationStore> open_tool_store(const std::string& uri, OpenMode mode) {
#ifdef INCURSA_TOOLS_HAVE_SQLITE
  if (mode == OpenMode::MustExist && uri.starts_with("sqlite:")) require_existing_sqlite_file(uri);
#else
  (void)mode;
#endif
  return platform::open_store(uri);
}

}  // namespace incursa::platform::tools
