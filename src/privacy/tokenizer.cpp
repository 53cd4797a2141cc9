#include "incursa/platform/privacy/tokenizer.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "incursa/platform/error.hpp"

namespace incursa::platform {

Tokenizer::Tokenizer(std::string key) : key_(std::move(key)) {
  if (key_.size() < 16) throw ValidationError("key", "must be at least 16 bytes");
}

Tokenizer::~Tokenizer() { OPENSSL_cleanse(key_.data(), key_.size()); }

std::string Tokenizer::token(std::string_view value) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
            reinterpret_cast<const unsigned char*>(value.data()), value.size(), mac, &length) ||
      length < 16) {
    throw Error("HMAC-SHA-256 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "tok_";
  for (unsigned int i = 0; i < 16; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xF];
  }
  return out;
}

}  // namespace incursa::platform
