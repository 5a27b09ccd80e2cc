// A TCP connection on a libuv loop, for both roles: accepted by a server or
// connected by a client. It owns its uv_tcp_t and deletes itself once the
// handle has closed (after on_close has run); do not touch it after that.
#ifndef CODESYNC_EXAMPLES_NET_TCP_H_
#define CODESYNC_EXAMPLES_NET_TCP_H_

#include <uv.h>

#include <cstddef>
#include <functional>
#include <string>

namespace codesync::net {

class TcpConn {
 public:
  using DataFn = std::function<void(const char* data, size_t len)>;
  using CloseFn = std::function<void()>;
  using ConnectFn = std::function<void(int status)>;  // 0 or a negative uv error

  // Accepts one pending connection of a listening stream; nullptr on failure.
  static TcpConn* Accept(uv_stream_t* server);
  // Resolves host and connects; on_connected runs once. On failure the
  // connection closes itself (on_close runs if Start was called).
  // bind_host (a numeric IPv4/IPv6 address, empty = any) is the local
  // address: spreading many clients over 127.0.0.x source addresses gives
  // each its own range of ephemeral ports.
  static TcpConn* Connect(uv_loop_t* loop, const std::string& host, int port, ConnectFn on_connected,
                          const std::string& bind_host = {});

  // Starts reading (for a client, from inside on_connected). on_close runs
  // once, when the connection is gone: EOF, error, or Close().
  void Start(DataFn on_data, CloseFn on_close);
  void Write(std::string bytes);
  // Writes *bytes and leaves it empty. When the socket takes it all at once
  // (the usual case) nothing is allocated and *bytes keeps its capacity, so
  // a per-connection output buffer can be reused iteration after iteration.
  void WriteFrom(std::string* bytes);
  // Sends what is queued, then closes. Reading stops.
  void CloseAfterWrites();
  // Closes now; queued writes are dropped.
  void Close();
  void StopReading();

  // True once Close or CloseAfterWrites was called: writes are dropped from then on.
  bool closing() const { return closing_ || shutting_down_; }
  size_t pending_write_bytes() const { return pending_write_bytes_; }
  uv_loop_t* loop() const { return tcp_.loop; }
  std::string peer_address() const;

 private:
  explicit TcpConn(uv_loop_t* loop);
  ~TcpConn() = default;
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnClosed(uv_handle_t* handle);
  // uv_try_write: bytes taken (0 when the socket is full), -1 when it failed (closed).
  int TryWrite(std::string& bytes);
  void Queue(std::string bytes);  // a uv_write request for what is left

  uv_tcp_t tcp_;
  DataFn on_data_;
  CloseFn on_close_;
  ConnectFn on_connected_;
  bool closing_ = false;
  bool shutting_down_ = false;
  size_t pending_write_bytes_ = 0;
  int port_ = 0;
  std::string bind_host_;
};

}  // namespace codesync::net

#endif  // CODESYNC_EXAMPLES_NET_TCP_H_
