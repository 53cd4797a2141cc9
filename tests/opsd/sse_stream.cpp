#include "sse_stream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace opsd_test {

SseStream::SseStream(int port, const std::string& target, const std::string& token,
                     const std::vector<std::string>& extra_headers) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("connect failed");
  }
  std::string request =
      "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
  if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
  for (const std::string& h : extra_headers) request += h + "\r\n";
  request += "\r\n";
  ::send(fd_, request.data(), request.size(), MSG_NOSIGNAL);
}

SseStream::~SseStream() {
  if (fd_ >= 0) close(fd_);
}

bool SseStream::fill(std::chrono::steady_clock::time_point deadline) {
  if (ended_) return false;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char buf[8192];
  const ssize_t n = recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    ended_ = true;
    return false;
  }
  raw_.append(buf, static_cast<std::size_t>(n));
  return true;
}

bool SseStream::read_head(std::chrono::steady_clock::time_point deadline) {
  while (!head_read_) {
    const auto end = raw_.find("\r\n\r\n");
    if (end != std::string::npos) {
      head_ = raw_.substr(0, end + 4);
      raw_.erase(0, end + 4);
      head_read_ = true;
      chunked_ = head_.find("Transfer-Encoding: chunked") != std::string::npos;
      break;
    }
    if (!fill(deadline)) return false;
  }
  return true;
}

bool SseStream::decode_chunks() {
  bool progressed = false;
  if (!chunked_) {
    body_ += raw_;
    progressed = !raw_.empty();
    raw_.clear();
    return progressed;
  }
  for (;;) {
    const auto line_end = raw_.find("\r\n");
    if (line_end == std::string::npos) return progressed;
    const std::size_t size = std::stoul(raw_.substr(0, line_end), nullptr, 16);
    if (raw_.size() < line_end + 2 + size + 2) return progressed;
    body_.append(raw_, line_end + 2, size);
    raw_.erase(0, line_end + 2 + size + 2);
    progressed = true;
    if (size == 0) ended_ = true;
  }
}

int SseStream::status() {
  if (!read_head(std::chrono::steady_clock::now() + std::chrono::seconds(10))) return 0;
  return std::stoi(head_.substr(9, 3));
}

const std::string& SseStream::head() {
  status();
  return head_;
}

std::optional<SseEvent> SseStream::next(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!read_head(deadline)) return std::nullopt;
  for (;;) {
    decode_chunks();
    const auto end = body_.find("\n\n");
    if (end != std::string::npos) {
      const std::string block = body_.substr(0, end);
      body_.erase(0, end + 2);
      SseEvent e;
      bool any = false;
      std::size_t start = 0;
      while (start <= block.size()) {
        const std::size_t nl = std::min(block.find('\n', start), block.size());
        const std::string line = block.substr(start, nl - start);
        start = nl + 1;
        if (line.empty() || line[0] == ':') continue;
        const auto colon = line.find(':');
        const std::string field = line.substr(0, colon);
        std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
        if (!value.empty() && value[0] == ' ') value.erase(0, 1);
        if (field == "event") e.event = value, any = true;
        if (field == "id") e.id = value, any = true;
        if (field == "data") e.data += (e.data.empty() ? "" : "\n") + value, any = true;
      }
      if (any) return e;
      continue;  // a comment (keepalive)
    }
    if (!fill(deadline)) return std::nullopt;
  }
}

}  // namespace opsd_test
