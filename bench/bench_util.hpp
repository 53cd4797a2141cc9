// Small helpers shared by the benchmark programs: argument parsing, latency
// statistics, the machine's load average. Benchmarks only; not part of the library.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

namespace incursa::bench {

// "--name value" arguments; every flag must be known.
class Args {
 public:
  Args(int argc, char** argv) : args_(argv + 1, argv + argc) {}

  // Takes "--name" (a switch). True if it was given.
  bool flag(std::string_view name) {
    for (auto it = args_.begin(); it != args_.end(); ++it) {
      if (*it == name) {
        args_.erase(it);
        return true;
      }
    }
    return false;
  }

  // Takes "--name value"; `fallback` when absent.
  std::string value(std::string_view name, std::string fallback) {
    for (auto it = args_.begin(); it != args_.end(); ++it) {
      if (*it == name) {
        if (it + 1 == args_.end())
          throw std::invalid_argument(std::string(name) + " needs a value");
        std::string v = *(it + 1);
        args_.erase(it, it + 2);
        return v;
      }
    }
    return fallback;
  }

  std::int64_t number(std::string_view name, std::int64_t fallback, std::int64_t min = 1) {
    const std::string text = value(name, std::to_string(fallback));
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || n < min) {
      throw std::invalid_argument(std::string(name) + " must be an integer >= " +
                                  std::to_string(min) + ", not '" + text + "'");
    }
    return n;
  }

  // Throws if anything was left unparsed.
  void finish() const {
    if (!args_.empty()) throw std::invalid_argument("unknown argument '" + args_.front() + "'");
  }

 private:
  std::vector<std::string> args_;
};

// Comma-separated positive integers ("10000,100000").
inline std::vector<std::int64_t> parse_list(const std::string& text) {
  std::vector<std::int64_t> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    const std::string item = text.substr(pos, comma - pos);
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
    if (ec != std::errc() || end != item.data() + item.size() || n < 1) {
      throw std::invalid_argument("expected positive integers separated by commas, not '" + text +
                                  "'");
    }
    out.push_back(n);
    pos = comma + 1;
  }
  return out;
}

// Nearest-rank percentile of sorted samples (0 when empty).
template <class T>
T percentile(const std::vector<T>& sorted, double p) {
  if (sorted.empty()) return T{};
  const auto rank =
      static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(rank, sorted.size() - 1)];
}

inline double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// The 1-minute load average ("?" when unreadable).
inline std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  if (!(in >> one)) return "?";
  return one;
}

// Resident set size in bytes (/proc/self/statm), 0 when unreadable.
inline std::int64_t rss_bytes() {
  std::ifstream in("/proc/self/statm");
  std::int64_t size = 0;
  std::int64_t resident = 0;
  if (!(in >> size >> resident)) return 0;
  return resident * static_cast<std::int64_t>(::sysconf(_SC_PAGESIZE));
}

// A postgresql:// URI with `schema=NAME` appended as its last option, which wins
// over a schema the URI names: the benchmarks write tables of their own only.
inline std::string with_postgres_schema(const std::string& uri, std::string_view schema) {
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") + "schema=" + std::string(schema);
}

}  // namespace incursa::bench
