// Plain-socket HTTP for what httplib::Client will not send: unnormalised paths,
// missing Content-Length, half-sent requests.
#pragma once

#include <chrono>
#include <string>

namespace opsd_test {

class RawConnection {
 public:
  explicit RawConnection(int port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  void send(const std::string& bytes);
  // Like send(), but says how many bytes went out before the server stopped
  // taking them (closed or reset the connection).
  std::size_t send_counted(const std::string& bytes);
  // Everything until the server closes the connection or `timeout` passes.
  std::string read_until_closed(std::chrono::milliseconds timeout);
  // The response head (status line and headers), once it has arrived.
  std::string read_head(std::chrono::milliseconds timeout);
  // True if the server closed the connection within `timeout`.
  bool closed_within(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
};

// Sends one request (Connection: close) and returns the raw response.
std::string raw_request(int port, const std::string& request);

// The status code of a raw response ("HTTP/1.1 404 …" -> 404), or 0.
int status_of(const std::string& response);

}  // namespace opsd_test
