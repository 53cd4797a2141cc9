// Small helpers shared by the API tests.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "opsd_process.hpp"

namespace opsd_test {

using nlohmann::json;

struct Reply {
  int status = 0;
  json body;
  httplib::Headers headers;
  std::string text;

  std::string error_code() const {
    return body.contains("error") ? body["error"].value("code", "") : "";
  }
  std::string error_field() const {
    return body.contains("error") && body["error"]["field"].is_string()
               ? body["error"]["field"].get<std::string>()
               : "";
  }
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

inline Reply to_reply(const httplib::Result& r) {
  Reply reply;
  if (!r) {
    ADD_FAILURE() << "request failed: " << httplib::to_string(r.error());
    return reply;
  }
  reply.status = r->status;
  reply.headers = r->headers;
  reply.text = r->body;
  reply.body = json::parse(r->body, nullptr, false);
  return reply;
}

inline Reply get(httplib::Client& c, const std::string& path,
                 const httplib::Headers& headers = {}) {
  return to_reply(c.Get(path, headers));
}

inline Reply post(httplib::Client& c, const std::string& path, const json& body,
                  const httplib::Headers& headers = {}) {
  return to_reply(c.Post(path, headers, body.dump(), "application/json"));
}

inline Reply post_text(httplib::Client& c, const std::string& path, const std::string& body,
                       const std::string& content_type, const httplib::Headers& headers = {}) {
  return to_reply(c.Post(path, headers, body, content_type));
}

// Starts an operation (write token) and returns its JSON.
inline json start(httplib::Client& c, const json& body) {
  const Reply r = post(c, "/v1/operations", body);
  EXPECT_TRUE(r.status == 201 || r.status == 200) << r.text;
  return r.body["operation"];
}

inline std::string enc(const std::string& s) { return httplib::detail::encode_query_param(s); }

}  // namespace opsd_test
