// A Server-Sent Events reader over a plain socket, so a test can read events one
// at a time with a deadline and hang up whenever it likes.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace opsd_test {

struct SseEvent {
  std::string id;
  std::string event = "message";
  std::string data;
};

class SseStream {
 public:
  // Sends GET `target` with the token (if any) and extra header lines ("Name: value").
  SseStream(int port, const std::string& target, const std::string& token,
            const std::vector<std::string>& extra_headers = {});
  ~SseStream();
  SseStream(const SseStream&) = delete;
  SseStream& operator=(const SseStream&) = delete;

  // The response status (reads the head if not read yet); 0 on failure.
  int status();
  // The response head, as sent.
  const std::string& head();
  // The next event (comments skipped), or nullopt at the deadline or end of stream.
  std::optional<SseEvent> next(std::chrono::milliseconds timeout);
  // Reads events until one satisfies `pred`, or the deadline.
  template <class Pred>
  std::optional<SseEvent> next_matching(Pred pred, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      auto e = next(left);
      if (!e) return std::nullopt;
      if (pred(*e)) return e;
    }
  }

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);  // more raw bytes
  bool read_head(std::chrono::steady_clock::time_point deadline);
  bool decode_chunks();  // raw_ -> body_

  int fd_ = -1;
  std::string raw_;
  std::string head_;
  std::string body_;
  bool head_read_ = false;
  bool chunked_ = false;
  bool ended_ = false;
};

}  // namespace opsd_test
