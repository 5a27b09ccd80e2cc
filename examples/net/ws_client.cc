#include "ws_client.h"

#include <openssl/rand.h>

#include <memory>
#include <vector>

namespace codesync::net {

WsClient::WsClient(uv_loop_t* loop, WsClientOptions options, WsClientCallbacks callbacks)
    : loop_(loop),
      options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      frames_(WsFrameParser::Role::kClient, options_.limits),
      alive_(std::make_shared<bool>(true)) {}

WsClient::~WsClient() {
  *alive_ = false;
  if (tcp_) {
    tcp_->Start(nullptr, nullptr);
    tcp_->Close();
  }
  if (ping_timer_) uv_close(reinterpret_cast<uv_handle_t*>(ping_timer_), [](uv_handle_t* h) {
    delete reinterpret_cast<uv_timer_t*>(h);
  });
}

void WsClient::Connect() {
  if (state_ != State::kIdle) return;
  state_ = State::kConnecting;
  std::weak_ptr<bool> alive = alive_;
  tcp_ = TcpConn::Connect(loop_, options_.host, options_.port, [this, alive](int status) {
    if (alive.expired() || !*alive.lock()) return;
    if (status != 0) {
      tcp_ = nullptr;  // the connection closes itself
      Fail(std::string("connect: ") + uv_strerror(status));
      return;
    }
    tcp_->Start([this](const char* d, size_t n) { OnData(d, n); },
                [this]() {
                  tcp_ = nullptr;
                  Finish(close_code_, close_reason_.empty() && close_code_ == 1006 ? "connection lost" : close_reason_);
                });
    state_ = State::kHandshake;
    key_ = WsNewClientKey();
    std::string host_port = options_.host + ":" + std::to_string(options_.port);
    tcp_->Write(WsClientHandshake(host_port, options_.target, key_, options_.headers));
  }, options_.bind_host);
  if (tcp_ == nullptr && state_ == State::kConnecting) Fail("connect: cannot resolve " + options_.host);
}

void WsClient::OnData(const char* data, size_t len) {
  if (state_ == State::kHandshake) {
    size_t used = 0;
    ParseState st = response_parser_.Feed(data, len, &used);
    if (st == ParseState::kIncomplete) return;
    std::string why;
    if (st == ParseState::kError) {
      Fail("handshake: " + response_parser_.error());
      return;
    }
    if (!WsCheckHandshakeResponse(response_parser_.response(), key_, &why)) {
      Fail("handshake: " + why);
      return;
    }
    state_ = State::kOpen;
    if (options_.ping_interval_ms > 0) {
      ping_timer_ = new uv_timer_t;
      uv_timer_init(loop_, ping_timer_);
      ping_timer_->data = this;
      uv_timer_start(
          ping_timer_,
          [](uv_timer_t* t) {
            auto* self = static_cast<WsClient*>(t->data);
            if (self->state_ != State::kOpen) return;
            if (!self->pong_seen_) {
              self->Fail("no pong from the server");
              return;
            }
            self->pong_seen_ = false;
            self->SendFrame(Opcode::kPing, {});
          },
          static_cast<uint64_t>(options_.ping_interval_ms), static_cast<uint64_t>(options_.ping_interval_ms));
    }
    std::weak_ptr<bool> alive = alive_;
    if (callbacks_.on_open) callbacks_.on_open();
    if (alive.expired() || !*alive.lock()) return;
    data += used;
    len -= used;
    if (len == 0) return;
  }
  if (state_ != State::kOpen && state_ != State::kClosing) return;
  std::vector<WsEvent> events;
  bool ok = frames_.Feed(data, len, &events);
  std::weak_ptr<bool> alive = alive_;
  for (auto& ev : events) {
    switch (ev.kind) {
      case WsEvent::Kind::kMessage:
        if (state_ == State::kOpen && callbacks_.on_message) callbacks_.on_message(ev.payload, ev.text);
        if (alive.expired() || !*alive.lock()) return;
        break;
      case WsEvent::Kind::kPing:
        SendFrame(Opcode::kPong, ev.payload);
        break;
      case WsEvent::Kind::kPong:
        pong_seen_ = true;
        break;
      case WsEvent::Kind::kClose:
        close_code_ = ev.close_code;
        close_reason_ = ev.payload;
        if (state_ == State::kOpen) {
          // Echo the close, then let the server close the TCP connection.
          SendFrame(Opcode::kClose, ev.close_code == kCloseNoStatus ? "" : EncodeClosePayload(ev.close_code, ""));
        }
        state_ = State::kClosing;
        if (tcp_) tcp_->CloseAfterWrites();
        return;
    }
  }
  if (!ok) {
    SendFrame(Opcode::kClose, EncodeClosePayload(frames_.error_code(), frames_.error_reason()));
    close_reason_ = "protocol error: " + frames_.error_reason();
    state_ = State::kClosing;
    if (tcp_) tcp_->CloseAfterWrites();
  }
}

void WsClient::SendFrame(Opcode opcode, std::string_view payload) {
  if (!tcp_) return;
  uint8_t mask[4];
  if (RAND_bytes(mask, sizeof mask) != 1) mask[0] = mask[1] = mask[2] = mask[3] = 0x5A;
  tcp_->Write(EncodeWsFrame(opcode, payload, true, mask));
}

void WsClient::Send(std::string_view payload, bool text) {
  if (state_ != State::kOpen) return;
  SendFrame(text ? Opcode::kText : Opcode::kBinary, payload);
}

void WsClient::Close(uint16_t code, std::string_view reason) {
  if (state_ == State::kOpen) {
    state_ = State::kClosing;
    SendFrame(Opcode::kClose, EncodeClosePayload(code, reason));
    close_code_ = code;
    close_reason_ = std::string(reason);
    return;
  }
  if (state_ == State::kConnecting || state_ == State::kHandshake) Fail("closed before open");
}

void WsClient::Fail(std::string reason) {
  close_code_ = 1006;
  close_reason_ = std::move(reason);
  if (tcp_) {
    tcp_->Close();  // on_close of the TCP connection finishes
    return;
  }
  Finish(close_code_, close_reason_);
}

void WsClient::Finish(uint16_t code, std::string reason) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  if (ping_timer_) uv_timer_stop(ping_timer_);
  if (callbacks_.on_close) callbacks_.on_close(code, reason);
}

}  // namespace codesync::net
