// cpp-httplib's Server with whole-request bounds that cpp-httplib 0.11 lacks.
//
// cpp-httplib 0.11 only times out single reads: a client that sends its request
// one byte at a time, each byte just inside the read timeout, holds a connection
// (and the pool thread serving it) for as long as it likes, and the headers it
// sends that way are all kept in memory -- cpp-httplib limits the length of one
// header line (8 KiB) but not how many lines there are.
//
// GuardedServer replaces the per-connection loop (Server::process_and_close_socket,
// a virtual member of cpp-httplib 0.11) with one whose stream adds, per request:
//   - a deadline: the whole request -- request line, headers and body -- must
//     arrive within `request_timeout` of its first byte, or the connection is
//     dropped (reads wait at most until the deadline, never a full read timeout
//     past it);
//   - a head budget: at most `max_head_bytes` of request line and headers are
//     read; past that the connection is dropped without reading further.
// Writing the response is not under the deadline (live streams last for hours);
// each write still fails after the write timeout. Everything else -- keep-alive,
// the read and write timeouts, routing -- is cpp-httplib's own, through its
// protected Server::process_request.
//
// The connection's receive buffer outlives each request, so pipelined bytes read
// with one request are not lost for the next.
//
// Thread safety: as httplib::Server; set_guards() before bind/listen.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>

namespace incursa::platform::opsd {

struct RequestGuards {
  std::chrono::milliseconds request_timeout = std::chrono::seconds(30);
  std::size_t max_head_bytes = 48 * 1024;  // request line + all header lines
};

class GuardedServer : public httplib::Server {
 public:
  void set_guards(RequestGuards guards) { guards_ = guards; }
  const RequestGuards& guards() const { return guards_; }

 private:
  // Called by cpp-httplib on a pool thread for each accepted connection.
  bool process_and_close_socket(socket_t sock) override;

  RequestGuards guards_{};
};

}  // namespace incursa::platform::opsd
