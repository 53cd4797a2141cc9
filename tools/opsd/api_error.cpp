#include "api_error.hpp"

#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/operation_errors.hpp"
#include "incursa/platform/operations/operation_json.hpp"

namespace incursa::platform::opsd {

using nlohmann::json;

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  // Invalid UTF-8 cannot reach the store (the library validates text), but a
  // response must never fail to render because of one stray byte.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message, const std::optional<std::string>& field, json extra) {
  json error = {{"code", code}, {"message", message}, {"field", field ? json(*field) : json()}};
  for (auto& [key, value] : extra.items()) error[key] = value;
  send_json(res, status, json{{"error", error}});
}

void send_exception(httplib::Response& res, std::exception_ptr error,
                    const std::function<void(const std::string&)>& log) {
  try {
    std::rethrow_exception(error);
  } catch (const ApiError& e) {
    send_error(res, e.status(), e.code(), e.what(), e.field());
  } catch (const ValidationError& e) {
    send_error(res, 400, "invalid_argument", e.what(), e.field());
  } catch (const NotFoundError& e) {
    send_error(res, 404, "not_found", e.what());
  } catch (const InvalidTransitionError& e) {
    send_error(res, 409, "invalid_transition", e.what(), std::nullopt,
               {{"current_status", std::string(to_string(e.current_status()))}});
  } catch (const OperationPurgedError& e) {
    // A redelivery of work already done and purged: the caller can tell it apart.
    send_error(res, 409, "operation_purged", e.what(), std::nullopt,
               {{"purged", json::parse(to_json(e.purged()))}});
  } catch (const ConflictError& e) {
    send_error(res, 409, "conflict", e.what());
  } catch (const StoreError& e) {
    if (log) log(std::string("store error: ") + e.what());
    if (e.retryable()) res.set_header("Retry-After", "1");
    send_error(res, 503, "unavailable",
               e.retryable() ? "the store is busy or unreachable; retry" : "the store failed",
               std::nullopt, {{"retryable", e.retryable()}});
  } catch (const std::exception& e) {
    if (log) log(std::string("internal error: ") + e.what());
    send_error(res, 500, "internal", "internal error");
  } catch (...) {
    if (log) log("internal error: unknown exception");
    send_error(res, 500, "internal", "internal error");
  }
}

}  // namespace incursa::platform::opsd
