// The client role: connects over TCP, performs the WebSocket handshake,
// then exchanges messages; answers pings, pings the server every
// ping_interval_ms and drops a server that does not answer in time.
// Owned by the caller; destroying it closes the connection without callbacks.
#ifndef CODESYNC_EXAMPLES_NET_WS_CLIENT_H_
#define CODESYNC_EXAMPLES_NET_WS_CLIENT_H_

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "http.h"
#include "tcp.h"
#include "websocket.h"

namespace codesync::net {

struct WsClientOptions {
  std::string host = "127.0.0.1";
  int port = 1234;
  std::string bind_host;        // local address to connect from (empty = any)
  std::string target = "/";     // path and query: "/room?token=..."
  HttpHeaders headers;          // extra handshake headers
  WsLimits limits;
  int64_t ping_interval_ms = 30000;  // <= 0: never ping
};

struct WsClientCallbacks {
  std::function<void()> on_open;
  std::function<void(std::string_view payload, bool text)> on_message;
  // Once, when the connection is gone: the peer's close code and reason, or
  // 1006 and what failed (connect, handshake, protocol error, timeout).
  std::function<void(uint16_t code, const std::string& reason)> on_close;
};

class WsClient {
 public:
  WsClient(uv_loop_t* loop, WsClientOptions options, WsClientCallbacks callbacks);
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  void Connect();
  bool open() const { return state_ == State::kOpen; }
  // Binary (or text) message, masked as RFC 6455 requires of clients.
  void Send(std::string_view payload, bool text = false);
  // Starts the closing handshake; on_close runs when the server answers or the socket drops.
  void Close(uint16_t code = kCloseNormal, std::string_view reason = {});
  size_t pending_write_bytes() const { return tcp_ ? tcp_->pending_write_bytes() : 0; }

 private:
  enum class State { kIdle, kConnecting, kHandshake, kOpen, kClosing, kClosed };
  void OnData(const char* data, size_t len);
  void SendFrame(Opcode opcode, std::string_view payload);
  void Finish(uint16_t code, std::string reason);
  void Fail(std::string reason);

  uv_loop_t* loop_;
  WsClientOptions options_;
  WsClientCallbacks callbacks_;
  State state_ = State::kIdle;
  TcpConn* tcp_ = nullptr;
  std::string key_;
  HttpResponseParser response_parser_;
  WsFrameParser frames_;
  uv_timer_t* ping_timer_ = nullptr;
  bool pong_seen_ = true;
  uint16_t close_code_ = 1006;
  std::string close_reason_;
  std::shared_ptr<bool> alive_;
};

}  // namespace codesync::net

#endif  // CODESYNC_EXAMPLES_NET_WS_CLIENT_H_
