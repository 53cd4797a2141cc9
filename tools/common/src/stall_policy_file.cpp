#include "incursa/tools/stall_policy_file.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "incursa/platform/error.hpp"
#include "incursa/tools/durations.hpp"

namespace incursa::platform::tools {

namespace {

using nlohmann::json;
using platform::ValidationError;

constexpr const char* kKnownKeys =
    "default, thresholds, pending_limit, no_progress, fail_after_stalls";

struct Reader {
  std::string source;

  [[noreturn]] void fail(const std::string& key, const std::string& rule) const {
    throw ValidationError(source + ": " + key, rule);
  }

  Duration duration(const json& value, const std::string& key) const {
    if (!value.is_string()) fail(key, "must be a duration string such as \"30m\"");
    const std::string text = value.get<std::string>();
    try {
      const Duration d = platform::parse_duration(text, key);
      if (d <= Duration::zero()) fail(key, "must be positive");
      return d;
    } catch (const ValidationError& e) {
      if (e.field().starts_with(source)) throw;
      fail(key, "'" + text + "' " + e.rule());
    }
  }
};

}  // namespace

StallPolicyFile parse_stall_policy(std::string_view text, std::string_view source) {
  const Reader r{std::string(source)};
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {
    throw ValidationError(std::string(source), std::string("is not valid JSON (") + e.what() + ")");
  }
  if (!root.is_object()) throw ValidationError(std::string(source), "must be a JSON object");

  StallPolicyFile out;
  for (const auto& [key, value] : root.items()) {
    if (key == "default") {
      out.policy.default_threshold = r.duration(value, key);
    } else if (key == "thresholds") {
      if (!value.is_object()) r.fail(key, "must be an object of name prefix -> duration");
      for (const auto& [prefix, threshold] : value.items()) {
        if (prefix.empty()) r.fail(key, "prefixes must not be empty");
        out.policy.thresholds[prefix] = r.duration(threshold, "thresholds." + prefix);
      }
    } else if (key == "pending_limit") {
      out.policy.pending_limit = r.duration(value, key);
    } else if (key == "no_progress") {
      out.policy.no_progress_threshold = r.duration(value, key);
    } else if (key == "fail_after_stalls") {
      if (!value.is_number_integer() || value.get<std::int64_t>() < 0) {
        r.fail(key, "must be a non-negative integer");
      }
      out.fail_after_stalls = value.get<std::int64_t>();
    } else {
      r.fail(key, std::string("unknown key (known: ") + kKnownKeys + ")");
    }
  }
  try {
    out.policy.validate();
  } catch (const ValidationError& e) {
    r.fail(e.field(), e.rule());
  }
  return out;
}

StallPolicyFile load_stall_policy_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ValidationError("policy file '" + path + "'", "cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_stall_policy(text.str(), "policy file '" + path + "'");
}

}  // namespace incursa::platform::tools
