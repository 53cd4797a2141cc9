#include "options.hpp"

#include <CLI/CLI.hpp>
#include <charconv>
#include <stdexcept>

#include "incursa/platform/operations/stall_policy.hpp"

namespace incursa::platform::opsd {

namespace {

std::chrono::milliseconds to_ms(const std::string& text, const char* field) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(parse_duration(text, field));
}

}  // namespace

bool ListenAddress::loopback() const {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::string ListenAddress::url() const {
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

ListenAddress parse_listen(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("--listen must be HOST:PORT");
  ListenAddress a;
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  a.host = host.empty() ? "127.0.0.1" : host;
  const std::string port = text.substr(colon + 1);
  int value = -1;
  const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || ptr != port.data() + port.size() || value < 0 || value > 65535) {
    throw std::invalid_argument("--listen: the port must be 0-65535 (0: any free port)");
  }
  a.port = value;
  return a;
}

std::optional<OpsdOptions> parse_options(int argc, char** argv, int& exit_code) {
  OpsdOptions o;
  CLI::App app{
      "opsd: the operations API and live dashboard over an incursa::platform store.\n"
      "Tokens: OPSD_TOKEN (read-write) and/or --token-file. See docs/opsd.md."};
  std::string store, listen = "127.0.0.1:8080", stall_interval = "30s", poll_interval = "1s";
  std::string demo_duration = "60s";
  std::string max_wait = "60s", read_timeout = "5s", request_timeout = "30s", write_timeout = "5s",
              heartbeat = "15s", keep_alive = "5s";
  app.add_option("--store", store,
                 "Store URI: memory:, sqlite:PATH, postgresql://… (default: $OPS_STORE, else "
                 "sqlite:./operations.db)");
  app.add_option("--listen", listen, "HOST:PORT to listen on; port 0 picks a free one")
      ->capture_default_str();
  app.add_option("--token-file", o.token_file,
                 "File of `read-write <token> [label]` / `read-only <token> [label]` lines");
  app.add_flag("--allow-anonymous-reads", o.allow_anonymous_reads,
               "Let requests without a token read (writes still need one)");
  app.add_option("--cors-origin", o.cors_origins,
                 "Allow cross-origin requests from this exact origin (repeatable; default: none)");
  app.add_option("--stall-policy", o.stall_policy_file, "Stall policy JSON file for the monitor");
  app.add_option("--stall-interval", stall_interval, "How often the stall monitor scans")
      ->capture_default_str();
  app.add_flag("--no-stall-monitor", o.no_stall_monitor, "Do not run the stall monitor");
  app.add_flag("--demo", o.demo, "Run the demo workload inside opsd, round after round");
  app.add_option("--demo-duration", demo_duration, "Length of one demo round (1s-24h)")
      ->capture_default_str();
  app.add_option("--poll-interval", poll_interval,
                 "How often to look for writes by other processes sharing the store")
      ->capture_default_str();
  app.add_flag("--access-log", o.access_log, "Log method, path and status of every request");
  app.add_option("--max-body", o.limits.max_body_bytes, "Largest request body, in bytes")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{64} * 1024 * 1024));
  app.add_option("--max-streams", o.limits.max_streams, "Concurrent live streams")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1024}));
  app.add_option("--max-waits", o.limits.max_waits, "Concurrent :wait requests")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1024}));
  app.add_option("--max-wait", max_wait, "Longest :wait timeout honoured")->capture_default_str();
  app.add_option("--read-timeout", read_timeout, "Drop a client silent this long mid-request")
      ->capture_default_str();
  app.add_option("--request-timeout", request_timeout,
                 "Drop a client whose whole request takes longer than this to arrive")
      ->capture_default_str();
  app.add_option("--max-page-size", o.limits.max_page_size,
                 "Largest page a list may ask for (limit, page_size)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000}));
  app.add_option("--write-timeout", write_timeout, "Drop a client that reads nothing this long")
      ->capture_default_str();
  app.add_option("--keep-alive-timeout", keep_alive,
                 "Close an idle keep-alive connection after this long")
      ->capture_default_str();
  app.add_option("--stream-heartbeat", heartbeat,
                 "Send a keepalive comment on quiet live streams this often")
      ->capture_default_str();

  try {
    app.parse(argc, argv);
    if (!store.empty()) o.store = store;
    o.listen = parse_listen(listen);
    o.stall_interval = to_ms(stall_interval, "stall-interval");
    o.poll_interval = to_ms(poll_interval, "poll-interval");
    o.demo_duration = to_ms(demo_duration, "demo-duration");
    if (o.demo_duration < std::chrono::seconds(1) || o.demo_duration > std::chrono::hours(24)) {
      throw std::invalid_argument("--demo-duration must be from 1s to 24h");
    }
    o.limits.max_wait = to_ms(max_wait, "max-wait");
    o.limits.default_wait = std::min(o.limits.default_wait, o.limits.max_wait);
    o.limits.read_timeout = to_ms(read_timeout, "read-timeout");
    o.limits.request_timeout = to_ms(request_timeout, "request-timeout");
    if (o.limits.request_timeout < std::chrono::milliseconds(100)) {
      throw std::invalid_argument("--request-timeout must be at least 100ms");
    }
    o.limits.write_timeout = to_ms(write_timeout, "write-timeout");
    o.limits.stream_heartbeat = to_ms(heartbeat, "stream-heartbeat");
    o.limits.keep_alive_timeout =
        std::chrono::duration_cast<std::chrono::seconds>(to_ms(keep_alive, "keep-alive-timeout"));
    if (o.limits.keep_alive_timeout < std::chrono::seconds(1)) {
      throw std::invalid_argument("--keep-alive-timeout must be at least 1s");
    }
  } catch (const CLI::ParseError& e) {
    exit_code = app.exit(e);
    return std::nullopt;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "opsd: %s\n", e.what());
    exit_code = 2;
    return std::nullopt;
  }
  return o;
}

}  // namespace incursa::platform::opsd
