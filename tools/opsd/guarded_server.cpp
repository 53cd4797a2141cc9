#include "guarded_server.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace incursa::platform::opsd {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kReceiveChunk = 4096;
// How often a connection waiting for its next request checks whether the
// server is stopping.
constexpr milliseconds kStopCheck(100);

// Bytes received on a connection and not yet consumed; outlives each request.
struct ReceiveBuffer {
  std::vector<char> bytes = std::vector<char>(kReceiveChunk);
  std::size_t begin = 0;
  std::size_t end = 0;

  std::size_t available() const { return end - begin; }
};

// poll() for one event, retried on EINTR. >0 ready, 0 timed out, <0 error.
int wait_for(socket_t sock, short events, milliseconds timeout) {
  pollfd p{};
  p.fd = sock;
  p.events = events;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now());
    const int n = ::poll(&p, 1, static_cast<int>(std::max<milliseconds::rep>(0, left.count())));
    if (n >= 0 || errno != EINTR) return n;
  }
}

milliseconds to_ms(time_t sec, time_t usec) {
  return milliseconds(static_cast<milliseconds::rep>(sec) * 1000 + usec / 1000);
}

void address_of(socket_t sock, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  const int rc = peer ? ::getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len)
                      : ::getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len);
  if (rc != 0) return;
  char host[NI_MAXHOST];
  char serv[NI_MAXSERV];
  if (::getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host;
    port = std::atoi(serv);
  }
}

// One request's view of the connection (see the header).
class GuardedStream final : public httplib::Stream {
 public:
  GuardedStream(socket_t sock, ReceiveBuffer& buffer, milliseconds read_timeout,
                milliseconds write_timeout, const RequestGuards& guards)
      : sock_(sock),
        buffer_(buffer),
        read_timeout_(read_timeout),
        write_timeout_(write_timeout),
        deadline_(Clock::now() + guards.request_timeout),
        max_head_bytes_(guards.max_head_bytes) {}

  // The request broke a bound: the connection must not be reused.
  bool cut_off() const { return cut_off_; }

  bool is_readable() const override {
    if (buffer_.available() > 0) return true;
    const auto left = std::chrono::ceil<milliseconds>(deadline_ - Clock::now());
    if (left <= milliseconds(0)) return false;
    return wait_for(sock_, POLLIN, std::min(read_timeout_, left)) > 0;
  }

  bool is_writable() const override {
    if (wait_for(sock_, POLLOUT, write_timeout_) <= 0) return false;
    // As cpp-httplib: a peer that has closed its end is not worth writing to.
    if (wait_for(sock_, POLLIN, milliseconds(0)) <= 0) return true;
    char byte = 0;
    return ::recv(sock_, &byte, 1, MSG_PEEK) > 0;
  }

  ssize_t read(char* ptr, std::size_t size) override {
    if (cut_off_) return -1;
    if (Clock::now() >= deadline_) return cut();
    if (buffer_.available() == 0) {
      const auto left = std::chrono::ceil<milliseconds>(deadline_ - Clock::now());
      const int ready = wait_for(sock_, POLLIN, std::min(read_timeout_, left));
      if (ready <= 0) {
        // Silent for the read timeout (cpp-httplib's own rule), or out of time.
        return Clock::now() >= deadline_ ? cut() : -1;
      }
      ssize_t n = 0;
      do {
        n = ::recv(sock_, buffer_.bytes.data(), buffer_.bytes.size(), 0);
      } while (n < 0 && errno == EINTR);
      if (n <= 0) return n;
      buffer_.begin = 0;
      buffer_.end = static_cast<std::size_t>(n);
    }
    std::size_t count = std::min(size, buffer_.available());
    const char* from = buffer_.bytes.data() + buffer_.begin;
    if (in_head_) {
      // cpp-httplib reads the request line and headers a byte at a time; count
      // them until the empty line that ends them.
      std::size_t i = 0;
      for (; i < count && in_head_; ++i) {
        if (++head_bytes_ > max_head_bytes_) return cut();
        const char c = from[i];
        if (c == '\n') {
          if (at_line_start_) in_head_ = false;
          at_line_start_ = true;
        } else if (c != '\r') {
          at_line_start_ = false;
        }
      }
      count = i;
    }
    std::memcpy(ptr, from, count);
    buffer_.begin += count;
    return static_cast<ssize_t>(count);
  }

  ssize_t write(const char* ptr, std::size_t size) override {
    if (!is_writable()) return -1;
    ssize_t n = 0;
    do {
      n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    address_of(sock_, true, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    address_of(sock_, false, ip, port);
  }
  socket_t socket() const override { return sock_; }

 private:
  ssize_t cut() {
    cut_off_ = true;
    return -1;
  }

  const socket_t sock_;
  ReceiveBuffer& buffer_;
  const milliseconds read_timeout_;
  const milliseconds write_timeout_;
  const Clock::time_point deadline_;
  const std::size_t max_head_bytes_;
  std::size_t head_bytes_ = 0;
  bool in_head_ = true;
  bool at_line_start_ = false;
  bool cut_off_ = false;
};

}  // namespace

bool GuardedServer::process_and_close_socket(socket_t sock) {
  const milliseconds read_timeout = to_ms(read_timeout_sec_, read_timeout_usec_);
  const milliseconds write_timeout = to_ms(write_timeout_sec_, write_timeout_usec_);
  const milliseconds keep_alive(static_cast<milliseconds::rep>(keep_alive_timeout_sec_) * 1000);

  // Waits for the first byte of the next request: true when there is one (or
  // the peer closed, which the next read reports), false at the keep-alive
  // timeout or when the server stops.
  ReceiveBuffer buffer;
  const auto next_request = [&] {
    if (buffer.available() > 0) return true;
    const auto idle_until = Clock::now() + keep_alive;
    while (svr_sock_ != INVALID_SOCKET) {
      const auto left = std::chrono::ceil<milliseconds>(idle_until - Clock::now());
      if (left <= milliseconds(0)) return false;
      const int ready = wait_for(sock, POLLIN, std::min(left, kStopCheck));
      if (ready != 0) return ready > 0;
    }
    return false;
  };

  bool ok = false;
  std::size_t remaining = keep_alive_max_count_ == 0 ? 1 : keep_alive_max_count_;
  while (remaining > 0 && next_request()) {
    GuardedStream stream(sock, buffer, read_timeout, write_timeout, guards_);
    bool connection_closed = false;
    ok = process_request(stream, remaining == 1, connection_closed, nullptr);
    if (!ok || connection_closed || stream.cut_off()) break;
    --remaining;
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace incursa::platform::opsd
