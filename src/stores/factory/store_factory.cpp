#include "incursa/platform/stores/store_factory.hpp"

#include <string>

#include "incursa/platform/error.hpp"
#include "incursa/platform/stores/memory_store.hpp"
#ifdef INCURSA_HAVE_SQLITE
#include "incursa/platform/stores/sqlite_store.hpp"
#endif
#ifdef INCURSA_HAVE_POSTGRES
#include "incursa/platform/stores/postgres_store.hpp"
#endif

namespace incursa::platform {

std::shared_ptr<OperationStore> open_store(std::string_view uri) {
  if (uri == "memory:") return make_memory_store();
#ifdef INCURSA_HAVE_SQLITE
  if (uri.starts_with("sqlite:")) return SqliteStore::open_uri(uri);
#endif
#ifdef INCURSA_HAVE_POSTGRES
  if (uri.starts_with("postgresql://") || uri.starts_with("postgres://")) {
    return PostgresStore::open_uri(uri);
  }
#endif
  throw ValidationError("store_uri", "must be memory:, sqlite:PATH or postgresql://… (got '" +
                                         std::string(uri.substr(0, 200)) + "')");
}

}  // namespace incursa::platform
