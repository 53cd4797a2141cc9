// Errors as the API reports them: {"error":{"code","message","field"}} with the
// HTTP status that says what went wrong (docs/opsd.md, "Errors").
//
//   400 invalid_argument    a ValidationError, a bad query parameter or body field
//   400 malformed_body      the body is not JSON, or not an object
//   401 unauthenticated     no token, or an unknown one
//   403 permission_denied   a read-only token tried to write
//   404 not_found           no such operation or route
//   409 invalid_transition  the operation's status forbids the call (current_status given)
//   409 conflict            the id is taken by an operation with another name
//   411 length_required     a body without Content-Length (chunked uploads)
//   413 payload_too_large   the body is over the limit
//   415 unsupported_media_type  a body that is not application/json
//   431 headers_too_large   too many or too large request headers
//   503 unavailable         the store failed (Retry-After when a retry may help),
//                           or too many streams or waits
#pragma once

#include <httplib.h>

#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

namespace incursa::platform::opsd {

// Thrown by request parsing and handlers for errors that are not library errors.
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string code, std::string message,
           std::optional<std::string> field = std::nullopt)
      : std::runtime_error(message),
        status_(status),
        code_(std::move(code)),
        field_(std::move(field)) {}

  int status() const noexcept { return status_; }
  const std::string& code() const noexcept { return code_; }
  const std::optional<std::string>& field() const noexcept { return field_; }

 private:
  int status_;
  std::string code_;
  std::optional<std::string> field_;
};

// Writes `body` as JSON with `status`, and Cache-Control: no-store.
void send_json(httplib::Response& res, int status, const nlohmann::json& body);

void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message, const std::optional<std::string>& field = std::nullopt,
                nlohmann::json extra = nlohmann::json::object());

// Maps the exception in flight (library errors, ApiError, anything else) onto an
// error response. Unknown exceptions become a 500 whose message does not leak
// internals; the text goes to `log` instead.
void send_exception(httplib::Response& res, std::exception_ptr error,
                    const std::function<void(const std::string&)>& log);

}  // namespace incursa::platform::opsd
