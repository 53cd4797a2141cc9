#include "pg_uri.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <memory>

#include "base/uri_query.hpp"
#include "incursa/platform/error.hpp"
#include "pg_connection.hpp"

namespace incursa::platform::postgres {

namespace {

[[noreturn]] void invalid(const std::string& rule) { throw ValidationError("store_uri", rule); }

std::size_t positive(std::string_view name, std::string_view value) {
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size() || n == 0) {
    invalid(std::string(name) + " must be a positive integer");
  }
  return n;
}

// The password of "scheme://user:password@host…", raw and percent-decoded.
std::vector<std::string> uri_passwords(std::string_view uri) {
  const auto scheme = uri.find("://");
  if (scheme == std::string_view::npos) return {};
  const std::string_view rest = uri.substr(scheme + 3);
  const auto at = rest.find('@');
  const auto slash = rest.find('/');
  if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at)) return {};
  const std::string_view userinfo = rest.substr(0, at);
  const auto colon = userinfo.find(':');
  if (colon == std::string_view::npos || colon + 1 == userinfo.size()) return {};
  const std::string raw(userinfo.substr(colon + 1));
  return {raw, detail::percent_decode(raw)};
}

struct OptionsDeleter {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};

}  // namespace

std::string redact(std::string text, const std::string& secret) {
  if (secret.size() < 3) return text;  // too short to tell apart from ordinary text
  for (std::size_t pos = text.find(secret); pos != std::string::npos;
       pos = text.find(secret, pos + 3)) {
    text.replace(pos, secret.size(), "***");
  }
  return text;
}

void check_conninfo(const std::string& conninfo) {
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, OptionsDeleter> options(
      PQconninfoParse(conninfo.c_str(), &error));
  if (options) return;
  std::string message = error != nullptr ? one_line(error) : "out of memory";
  PQfreemem(error);
  for (const std::string& secret : uri_passwords(conninfo)) message = redact(message, secret);
  throw ValidationError("conninfo", "libpq cannot parse it: " + message);
}

std::string conninfo_password(const std::string& conninfo) {
  std::unique_ptr<PQconninfoOption, OptionsDeleter> options(
      PQconninfoParse(conninfo.c_str(), nullptr));
  if (!options) return {};
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (std::string_view(o->keyword) == "password" && o->val != nullptr) return o->val;
  }
  return {};
}

PostgresStoreOptions parse_store_uri(std::string_view uri) {
  if (!uri.starts_with("postgresql://") && !uri.starts_with("postgres://")) {
    invalid("must start with postgresql:// or postgres://");
  }
  PostgresStoreOptions options;
  const auto question = uri.find('?');
  std::string conninfo(uri.substr(0, question));
  if (question != std::string_view::npos) {
    std::string kept;
    for (const detail::QueryParameter& p : detail::query_parameters(uri.substr(question + 1))) {
      const std::string name = detail::percent_decode(p.name);
      const std::string value = p.value ? detail::percent_decode(*p.value) : std::string();
      if (name == "schema") {
        options.schema = value;
      } else if (name == "pool_size") {
        options.pool_size = positive(name, value);
      } else if (name == "write_batches") {
        options.max_write_batches = value == "0" ? 0 : positive(name, value);  // 0: no batching
      } else if (name == "statement_timeout_ms") {
        options.statement_timeout = std::chrono::milliseconds(positive(name, value));
      } else if (name == "use_database_clock") {
        if (value == "true" || value == "1") {
          options.use_database_clock = true;
        } else if (value == "false" || value == "0") {
          options.use_database_clock = false;
        } else {
          invalid("use_database_clock must be true or false");
        }
      } else {
        kept += (kept.empty() ? "?" : "&") + std::string(p.text);
      }
    }
    conninfo += kept;
  }
  options.conninfo = std::move(conninfo);
  try {
    check_conninfo(options.conninfo);
  } catch (const ValidationError& e) {
    invalid(e.rule());
  }
  return options;
}

}  // namespace incursa::platform::postgres
