// The dashboard: GET / (index.html) and GET /static/<name>, served from the
// files embedded at build time. Lookup is by exact name in a fixed table, so no
// request path ever reaches the file system: `..`, encoded or not, is just a name
// that is not in the table (and server.cpp refuses such paths before routing).
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>

#include "routes.hpp"
#include "static_assets.hpp"

namespace incursa::platform::opsd {

namespace {

struct Asset {
  std::string_view body;
  std::string content_type;
  std::string etag;
};

std::string content_type_for(std::string_view name) {
  const auto ends = [&name](std::string_view suffix) {
    return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".json")) return "application/json";
  if (ends(".png")) return "image/png";
  return "application/octet-stream";
}

// FNV-1a: enough to tell two builds' files apart for caching, nothing more.
std::string etag_for(std::string_view body) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : body) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
  return buf;
}

const std::map<std::string, Asset, std::less<>>& assets() {
  static const auto table = [] {
    std::map<std::string, Asset, std::less<>> t;
    for (const EmbeddedFile& f : embedded_files()) {
      const std::string_view body(reinterpret_cast<const char*>(f.data), f.size);
      t.emplace(f.name, Asset{body, content_type_for(f.name), etag_for(body)});
    }
    return t;
  }();
  return table;
}

void serve(std::string_view name, const httplib::Request& req, httplib::Response& res) {
  const auto& table = assets();
  const auto it = table.find(name);
  if (it == table.end()) {
    send_error(res, 404, "not_found", "no such file");
    return;
  }
  const Asset& asset = it->second;
  // Revalidate every time (the files change with the binary), but skip the body
  // when the browser already has this version.
  res.set_header("Cache-Control", "no-cache");
  res.set_header("ETag", asset.etag);
  if (req.get_header_value("If-None-Match") == asset.etag) {
    res.status = 304;
    return;
  }
  res.set_content(asset.body.data(), asset.body.size(), asset.content_type);
}

}  // namespace

void register_dashboard(httplib::Server& server, ApiContext& ctx) {
  server.Get("/", guarded(ctx, [](const httplib::Request& req, httplib::Response& res) {
               serve("index.html", req, res);
             }));
  server.Get("/favicon.ico", guarded(ctx, [](const httplib::Request& req, httplib::Response& res) {
               serve("favicon.svg", req, res);
             }));
  server.Get(R"(/static/([A-Za-z0-9_.-]+))",
             guarded(ctx, [](const httplib::Request& req, httplib::Response& res) {
               serve(req.matches[1].str(), req, res);
             }));
}

}  // namespace incursa::platform::opsd
