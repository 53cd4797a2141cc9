#include "incursa/platform/privacy/scrubber.hpp"

#include <nlohmann/json.hpp>

#include "base/text.hpp"

namespace incursa::platform {

namespace {

bool is_local_char(char c) {
  return detail::is_ascii_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
bool is_domain_char(char c) { return detail::is_ascii_alnum(c) || c == '.' || c == '-'; }

// If an e-mail address has its '@' at `at`, returns its [begin, end); else {0, 0}.
std::pair<std::size_t, std::size_t> email_around(std::string_view s, std::size_t at) {
  std::size_t begin = at;
  while (begin > 0 && is_local_char(s[begin - 1])) --begin;
  std::size_t end = at + 1;
  while (end < s.size() && is_domain_char(s[end])) ++end;
  while (end > at + 1 && (s[end - 1] == '.' || s[end - 1] == '-')) --end;  // trailing punctuation
  const std::string_view domain = s.substr(at + 1, end - at - 1);
  const std::size_t dot = domain.rfind('.');
  if (begin == at || dot == std::string_view::npos || dot == 0 || domain.size() - dot - 1 < 2) {
    return {0, 0};
  }
  for (char c : domain.substr(dot + 1)) {
    if (!detail::is_ascii_alpha(c)) return {0, 0};
  }
  return {begin, end};
}

// If a card-like digit run starts at `i`, returns its end; else i.
std::size_t card_run(std::string_view s, std::size_t i) {
  std::size_t digits = 0, end = i, j = i;
  while (j < s.size()) {
    if (detail::is_ascii_digit(s[j])) {
      ++digits;
      end = ++j;
    } else if ((s[j] == ' ' || s[j] == '-') && j + 1 < s.size() &&
               detail::is_ascii_digit(s[j + 1]) && j > i) {
      ++j;
    } else {
      break;
    }
  }
  return digits >= 13 && digits <= 19 ? end : i;
}

}  // namespace

std::string PiiScrubber::scrub_text(std::string_view s) const {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    // A run of digits only starts where no digit precedes it (so "x12345…" counts from its start).
    if (detail::is_ascii_digit(s[i]) && (i == 0 || !detail::is_ascii_digit(s[i - 1]))) {
      const std::size_t end = card_run(s, i);
      if (end != i) {
        out += "[card]";
        i = end;
        continue;
      }
    }
    if (s[i] == '@') {
      const auto [begin, end] = email_around(s, i);
      if (end != 0) {
        // The local part was already copied: take it back out.
        out.resize(out.size() - (i - begin));
        out += "[email]";
        i = end;
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

std::string Scrubber::scrub_json(std::string_view json) const {
  nlohmann::json doc = nlohmann::json::parse(json);
  const auto walk = [&](auto& self, nlohmann::json& node) -> nlohmann::json {
    if (node.is_string()) return scrub_text(node.get<std::string>());
    if (node.is_array()) {
      for (auto& item : node) item = self(self, item);
      return node;
    }
    if (node.is_object()) {
      nlohmann::json out = nlohmann::json::object();
      for (auto& [key, value] : node.items()) out[scrub_text(key)] = self(self, value);
      return out;
    }
    return node;
  };
  return walk(walk, doc).dump();
}

}  // namespace incursa::platform
