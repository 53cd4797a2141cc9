// Shared helpers for the fuzz targets (docs/fuzzing.md).
//
// FUZZ_CHECK(cond) aborts with the failed condition when a property does not hold,
// so libFuzzer saves the input as a crash like any sanitizer report. A target must
// check something that could fail -- a round trip, an independent oracle, the
// type of a rejection -- not only that the parser returns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "FUZZ_CHECK failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (false)

namespace incursa::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits `text` at every `sep` (empty pieces kept).
inline std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = text.find(sep, start);
    out.emplace_back(text.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

// Reads structured values off the front of a fuzz input.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool empty() const noexcept { return data_.empty(); }
  std::uint8_t byte() {
    if (data_.empty()) return 0;
    const auto b = static_cast<std::uint8_t>(data_.front());
    data_.remove_prefix(1);
    return b;
  }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | byte();
    return v;
  }
  // Text up to the next `sep` (consumed) or the end.
  std::string_view field(char sep = '\n') {
    const std::size_t at = data_.find(sep);
    const std::string_view out = data_.substr(0, at);
    data_.remove_prefix(at == std::string_view::npos ? data_.size() : at + 1);
    return out;
  }
  std::string_view rest() {
    const std::string_view out = data_;
    data_ = {};
    return out;
  }

 private:
  std::string_view data_;
};

}  // namespace incursa::fuzz
