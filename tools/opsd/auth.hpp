// Bearer-token authentication for opsd.
//
// Tokens come from OPSD_TOKEN (one read-write token) and/or a token file whose
// lines read `read-write <token> [label]` or `read-only <token> [label]` (blank
// lines and `#` comments ignored). Tokens are 16-256 characters of the RFC 6750
// token alphabet. Only their SHA-256 digests are kept, and a presented token is
// compared with every entry's digest by CRYPTO_memcmp, without an early exit, so
// the time taken says nothing about how much of a token matched or which entry.
//
// Rules (docs/opsd.md, "Authentication"):
//   - writes always need a read-write token: none or an unknown one -> 401,
//     a read-only one -> 403;
//   - reads need any valid token, unless anonymous reads are on: either no token
//     is configured at all (opsd then only listens on loopback) or
//     --allow-anonymous-reads was given;
//   - a token that is presented but unknown is always 401, even where anonymous
//     access would do: a misconfigured client should hear about it.
//
// Thread safety: immutable after construction; share freely.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace incursa::platform::opsd {

enum class Access { None, Read, Write };

std::string_view to_string(Access access) noexcept;

class TokenSet {
 public:
  TokenSet() = default;

  // Adds one token. Throws std::invalid_argument (naming `source`, never the token)
  // if it is malformed.
  void add(std::string_view token, Access access, std::string label, std::string_view source);

  // Reads a token file (format above). Throws std::runtime_error naming the file
  // and line on a malformed line or an unreadable file.
  void load_file(const std::string& path);

  bool empty() const noexcept { return entries_.empty(); }
  std::size_t size() const noexcept { return entries_.size(); }

  // The access a presented token grants, or nullopt if it matches no entry.
  std::optional<Access> lookup(std::string_view presented) const;

 private:
  struct Entry {
    std::array<unsigned char, 32> digest{};
    Access access = Access::Read;
    std::string label;
  };
  std::vector<Entry> entries_;
};

enum class Requirement { Public, Read, Write };

struct AuthPolicy {
  TokenSet tokens;
  bool anonymous_reads = false;
};

struct AuthDecision {
  bool allowed = false;
  Access access = Access::None;  // what the caller may do (for GET /v1/session)
  int status = 200;              // 401 or 403 when refused
  std::string code;              // "unauthenticated" or "permission_denied"
  std::string message;
  bool token_presented = false;
};

// Decides a request. `authorization` is the Authorization header, if any.
AuthDecision authorize(const AuthPolicy& policy, Requirement requirement,
                       std::optional<std::string_view> authorization);

}  // namespace incursa::platform::opsd
