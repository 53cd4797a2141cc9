#include "incursa/platform/stores/store_factory.hpp"

#include <algorithm>
#include <string>

#include "base/text.hpp"
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
                                         redact_store_uri(uri.substr(0, 200)) + "')");
}

namespace {

bool is_secret_name(std::string_view name) {
  const std::string lower = detail::ascii_lower(name);
  for (const char* secret : {"password", "passwd", "secret", "token"}) {
    if (lower.find(secret) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::string redact_store_uri(std::string_view uri) {
  std::string out(uri);
  // "scheme://user:password@host…": the userinfo ends at the last '@' before the
  // path, query or fragment.
  if (const auto scheme = out.find("://"); scheme != std::string::npos) {
    const std::size_t start = scheme + 3;
    const std::size_t host_end = std::min(out.find_first_of("/?#", start), out.size());
    const std::size_t at = out.rfind('@', host_end == 0 ? 0 : host_end - 1);
    if (at != std::string::npos && at >= start) {
      const std::size_t colon = out.find(':', start);
      if (colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  const std::size_t query = out.find('?');
  if (query == std::string::npos) return out;
  std::string redacted = out.substr(0, query + 1);
  std::string_view rest = std::string_view(out).substr(query + 1);
  while (true) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && is_secret_name(pair.substr(0, eq))) {
      redacted.append(pair.substr(0, eq + 1)).append("***");
    } else {
      redacted.append(pair);
    }
    if (amp == std::string_view::npos) break;
    redacted.push_back('&');
    rest.remove_prefix(amp + 1);
  }
  return redacted;
}

}  // namespace incursa::platform
