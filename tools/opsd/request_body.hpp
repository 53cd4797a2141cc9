// Reading JSON request bodies strictly: the body must be a JSON object of known
// fields with the right types, so a typo ("percnt") is a 400 naming the field
// rather than a silently ignored value. Values themselves (name shape, message
// length, percent range …) are checked by the library's validation, once.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "incursa/platform/operations/operation_snapshot.hpp"

namespace incursa::platform::opsd {

class RequestBody {
 public:
  // Parses the body. An empty body is `{}` when `allow_empty`; otherwise a 400.
  // A body with a Content-Type other than application/json is a 415. Only the
  // `allowed` top-level fields may appear.
  RequestBody(const httplib::Request& req, const std::string& text,
              std::initializer_list<std::string_view> allowed, bool allow_empty);

  std::optional<std::string> string(const char* key) const;
  std::string required_string(const char* key) const;
  std::optional<double> number(const char* key) const;
  std::optional<Tags> tags(const char* key) const;
  std::optional<StructuredProgress> progress(const char* key) const;
  // Any JSON value, re-serialised; nullopt when absent or null.
  std::optional<std::string> raw(const char* key) const;
  bool has(const char* key) const;

 private:
  const nlohmann::json* find(const char* key) const;
  nlohmann::json body_;
};

}  // namespace incursa::platform::opsd
