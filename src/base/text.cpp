#include "base/text.hpp"

#include <cstdint>
#include <cstring>

namespace incursa::platform::detail {

namespace {
constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;
std::uint64_t load8(const char* p) noexcept {
  std::uint64_t word;
  std::memcpy(&word, p, 8);
  return word;
}
}  // namespace

bool is_printable_ascii(std::string_view s) noexcept {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

bool is_valid_utf8(std::string_view s) noexcept {
  // All ASCII, the usual case: eight bytes at a time, then the tail at once.
  std::size_t i = 0;
  while (i + 8 <= s.size() && (load8(s.data() + i) & kHighBits) == 0) i += 8;
  unsigned tail = 0;
  for (std::size_t k = i; k < s.size(); ++k) tail |= static_cast<unsigned char>(s[k]);
  if (tail < 0x80) return true;
  while (i < s.size()) {
    const auto c = static_cast<std::uint8_t>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<std::uint8_t>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and values past U+10FFFF are all invalid.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) {
      return false;
    }
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
    i += len;
  }
  return true;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

bool has_control_char(std::string_view s) noexcept {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) return true;
  }
  return false;
}

}  // namespace incursa::platform::detail

namespace incursa::platform::detail {

namespace {
// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not one.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  const auto c = static_cast<unsigned char>(s[i]);
  const std::size_t len = c < 0x80             ? 1
                          : (c & 0xE0) == 0xC0 ? 2
                          : (c & 0xF0) == 0xE0 ? 3
                          : (c & 0xF8) == 0xF0 ? 4
                                               : 0;
  if (len == 0 || i + len > s.size()) return 0;
  return is_valid_utf8(s.substr(i, len)) ? len : 0;
}
}  // namespace

std::string to_message_text(std::string_view text, std::size_t max_bytes) {
  std::string cleaned;
  cleaned.reserve(text.size());
  std::size_t fits = 0;  // bytes of `cleaned` that still leave room for "..."
  constexpr std::size_t kEllipsis = 3;
  for (std::size_t i = 0; i < text.size();) {
    // A NUL is valid UTF-8 but no store can keep it in text: it becomes '?' too.
    const std::size_t len = text[i] == '\0' ? 0 : utf8_sequence_length(text, i);
    cleaned += len == 0 ? std::string_view("?") : text.substr(i, len);
    i += len == 0 ? 1 : len;
    if (cleaned.size() + kEllipsis <= max_bytes) fits = cleaned.size();
  }
  if (cleaned.size() <= max_bytes) return cleaned;
  if (max_bytes < kEllipsis) {
    // No room for "...": cut at the last whole character that fits.
    std::size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(cleaned[cut]) & 0xC0) == 0x80) --cut;
    cleaned.resize(cut);
    return cleaned;
  }
  cleaned.resize(fits);
  return cleaned + "...";
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

bool json_depth_within(std::string_view json, std::size_t max_depth) noexcept {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // skip the escaped character
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

namespace {

class PlainJsonScanner {
 public:
  explicit PlainJsonScanner(std::string_view json) noexcept
      : p_(json.data()), end_(json.data() + json.size()) {}

  bool valid() noexcept {
    for (;;) {
      if (!value()) return false;
      // After a value: close containers, or move to the next element.
      for (;;) {
        skip_blanks();
        if (depth_ == 0) return p_ == end_;
        if (p_ == end_) return false;
        const bool in_object = (open_objects_ & 1) != 0;
        if (*p_ == ',') {
          ++p_;
          if (in_object && !member_key()) return false;
          break;  // the next value
        }
        if (*p_ != (in_object ? '}' : ']')) return false;
        ++p_;
        close();
      }
    }
  }

 private:
  // Reads one value; for an array or object, only its opening (and its first key).
  // An empty container is read whole.
  bool value() noexcept {
    skip_blanks();
    if (p_ == end_) return false;
    switch (*p_) {
      case '{':
      case '[': {
        const bool object = *p_ == '{';
        if (depth_ == kMaxJsonDepth) return false;
        ++p_;
        ++depth_;
        open_objects_ = (open_objects_ << 1) | (object ? 1U : 0U);
        skip_blanks();
        if (p_ == end_) return false;
        if (*p_ == (object ? '}' : ']')) {
          ++p_;
          close();
          return true;
        }
        if (object && !member_key()) return false;
        return value();  // the first element; bounded by the depth limit
      }
      case '"':
        return string();
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number();
    }
  }

  void close() noexcept {
    --depth_;
    open_objects_ >>= 1;
  }

  bool member_key() noexcept {
    skip_blanks();
    if (p_ == end_ || *p_ != '"' || !string()) return false;
    skip_blanks();
    if (p_ == end_ || *p_ != ':') return false;
    ++p_;
    return true;
  }

  bool string() noexcept {
    for (++p_; p_ != end_; ++p_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20 || c >= 0x80) return false;  // control: invalid; non-ASCII: not plain
      if (c == '\\') {
        if (++p_ == end_) return false;
        switch (*p_) {
          case '"':
          case '\\':
          case '/':
          case 'b':
          case 'f':
          case 'n':
          case 'r':
          case 't':
            break;
          default:
            return false;  // \u (surrogate pairs) is not plain
        }
      }
    }
    return false;
  }

  bool literal(std::string_view word) noexcept {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)? with at most 15 digits: always a finite double.
  bool number() noexcept {
    if (*p_ == '-') ++p_;
    std::size_t digits = 0;
    if (p_ == end_ || !is_ascii_digit(*p_)) return false;
    if (*p_ == '0') {
      ++p_;
      ++digits;
    } else {
      for (; p_ != end_ && is_ascii_digit(*p_); ++p_) ++digits;
    }
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      std::size_t fraction = 0;
      for (; p_ != end_ && is_ascii_digit(*p_); ++p_) ++fraction;
      if (fraction == 0) return false;
      digits += fraction;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) return false;  // not plain
    return digits <= 15;
  }

  void skip_blanks() noexcept {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }

  const char* p_;
  const char* end_;
  std::size_t depth_ = 0;
  std::uint64_t open_objects_ = 0;  // one bit per open container, 1 = object
};

static_assert(kMaxJsonDepth <= 64, "PlainJsonScanner keeps one bit per level in 64 bits");

}  // namespace

bool is_plain_valid_json(std::string_view json) noexcept { return PlainJsonScanner(json).valid(); }

bool has_escaped_nul(std::string_view json) noexcept {
  // In valid JSON a backslash only occurs inside a string, as the start of an
  // escape; skipping each escape whole keeps "\\u0000" (an escaped backslash,
  // then text) from counting.
  for (std::size_t i = json.find('\\'); i != std::string_view::npos; i = json.find('\\', i)) {
    if (json.substr(i + 1, 5) == "u0000") return true;
    i += 2;
  }
  return false;
}

}  // namespace incursa::platform::detail
