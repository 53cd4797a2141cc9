#include "auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace incursa::platform::opsd {

namespace {

constexpr std::size_t kMinTokenLength = 16;
constexpr std::size_t kMaxTokenLength = 256;

std::array<unsigned char, 32> sha256(std::string_view text) {
  std::array<unsigned char, 32> digest{};
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest.size()) {
    throw std::runtime_error("SHA-256 failed");
  }
  return digest;
}

// RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_' ||
         c == '~' || c == '+' || c == '/' || c == '=';
}

bool well_formed(std::string_view token) {
  return token.size() >= kMinTokenLength && token.size() <= kMaxTokenLength &&
         std::all_of(token.begin(), token.end(), token_char);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return s;
}

AuthDecision refuse(int status, std::string code, std::string message, bool presented) {
  AuthDecision d;
  d.allowed = false;
  d.status = status;
  d.code = std::move(code);
  d.message = std::move(message);
  d.token_presented = presented;
  return d;
}

}  // namespace

std::string_view to_string(Access access) noexcept {
  switch (access) {
    case Access::None:
      return "none";
    case Access::Read:
      return "read";
    case Access::Write:
      return "write";
  }
  return "none";
}

void TokenSet::add(std::string_view token, Access access, std::string label,
                   std::string_view source) {
  if (!well_formed(token)) {
    throw std::invalid_argument(std::string(source) +
                                ": a token must be 16-256 characters of A-Z a-z 0-9 - . _ ~ + / =");
  }
  entries_.push_back({sha256(token), access, std::move(label)});
}

void TokenSet::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read token file " + path);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string_view text = trim(line);
    if (text.empty() || text.front() == '#') continue;
    std::istringstream words{std::string(text)};
    std::string kind, token, label;
    words >> kind >> token;
    std::getline(words, label);
    const std::string where = path + ":" + std::to_string(number);
    Access access = Access::None;
    if (kind == "read-write") {
      access = Access::Write;
    } else if (kind == "read-only") {
      access = Access::Read;
    } else {
      throw std::runtime_error(where + ": expected `read-write <token> [label]` or " +
                               "`read-only <token> [label]`");
    }
    try {
      add(token, access, std::string(trim(label)), where);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(e.what());
    }
  }
}

std::optional<Access> TokenSet::lookup(std::string_view presented) const {
  const auto digest = sha256(presented);
  std::optional<Access> found;
  // Every entry is compared, whatever matched earlier.
  for (const Entry& e : entries_) {
    const bool equal = CRYPTO_memcmp(digest.data(), e.digest.data(), digest.size()) == 0;
    if (equal && (!found || e.access == Access::Write)) found = e.access;
  }
  return found;
}

AuthDecision authorize(const AuthPolicy& policy, Requirement requirement,
                       std::optional<std::string_view> authorization) {
  std::optional<Access> granted;
  const bool presented = authorization.has_value();
  if (presented) {
    const std::string_view value = trim(*authorization);
    constexpr std::string_view kScheme = "bearer ";
    const bool bearer =
        value.size() > kScheme.size() &&
        std::equal(kScheme.begin(), kScheme.end(), value.begin(),
                   [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
    if (!bearer) {
      return refuse(401, "unauthenticated", "Authorization must be `Bearer <token>`", true);
    }
    granted = policy.tokens.lookup(trim(value.substr(kScheme.size())));
    if (!granted) return refuse(401, "unauthenticated", "the token is not valid", true);
  }

  const bool anonymous_reads = policy.anonymous_reads || policy.tokens.empty();
  AuthDecision d;
  d.token_presented = presented;
  d.access = granted ? *granted : (anonymous_reads ? Access::Read : Access::None);
  switch (requirement) {
    case Requirement::Public:
      d.allowed = true;
      return d;
    case Requirement::Read:
      if (d.access == Access::None) {
        return refuse(401, "unauthenticated", "a bearer token is required", false);
      }
      d.allowed = true;
      return d;
    case Requirement::Write:
      if (!granted) return refuse(401, "unauthenticated", "writes need a read-write token", false);
      if (*granted != Access::Write) {
        return refuse(403, "permission_denied", "this token is read-only", true);
      }
      d.allowed = true;
      return d;
  }
  return refuse(401, "unauthenticated", "a bearer token is required", presented);
}

}  // namespace incursa::platform::opsd
