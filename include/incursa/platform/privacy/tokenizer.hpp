// Tokenizer: turns a sensitive value (an e-mail, a customer number) into a
// stable, non-reversible token, so data JSON can say "the same customer" without
// saying who: HMAC-SHA-256 under the caller's secret key (OpenSSL).
//
//   Tokenizer tokens(secret_from_vault);       // at least 16 bytes
//   tokens.token("ada@example.com")            // "tok_" + 32 lowercase hex, always the same
//
// Without the key a token cannot be recomputed, so it neither reveals nor
// confirms a guessed value. Rotate the key and every token changes.
// Thread safety: const methods may be called from many threads at once.
#pragma once

#include <string>
#include <string_view>

namespace incursa::platform {

class Tokenizer {
 public:
  // Throws ValidationError("key") if the key is shorter than 16 bytes.
  explicit Tokenizer(std::string key);
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // "tok_" followed by the first 128 bits of HMAC-SHA-256(key, value) in hex.
  std::string token(std::string_view value) const;

 private:
  std::string key_;
};

}  // namespace incursa::platform
