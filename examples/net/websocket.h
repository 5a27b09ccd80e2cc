// WebSocket (RFC 6455) framing and handshake, sans I/O. The parser takes
// bytes as they arrive and yields whole messages (fragments reassembled) and
// control frames; any violation becomes a close code and a reason for the
// peer. Sizes are checked against the declared length, before any payload is
// buffered, so an oversized frame costs nothing to refuse.
#ifndef CODESYNC_EXAMPLES_NET_WEBSOCKET_H_
#define CODESYNC_EXAMPLES_NET_WEBSOCKET_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http.h"

namespace codesync::net {

enum class Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close codes used here (RFC 6455 section 7.4.1).
enum CloseCode : uint16_t {
  kCloseNormal = 1000,
  kCloseGoingAway = 1001,
  kCloseProtocolError = 1002,
  kCloseUnsupportedData = 1003,
  kCloseNoStatus = 1005,  // never sent: "the close frame had no code"
  kCloseInvalidPayload = 1007,
  kClosePolicyViolation = 1008,
  kCloseMessageTooBig = 1009,
  kCloseInternalError = 1011,
};

struct WsLimits {
  size_t max_frame_bytes = 16 * 1024 * 1024;    // one frame's payload
  size_t max_message_bytes = 16 * 1024 * 1024;  // a reassembled message
};

struct WsEvent {
  enum class Kind { kMessage, kPing, kPong, kClose };
  Kind kind = Kind::kMessage;
  bool text = false;        // kMessage: opcode was text (UTF-8 checked)
  std::string payload;      // message, ping or pong payload; close reason
  uint16_t close_code = kCloseNoStatus;  // kClose only
};

class WsFrameParser {
 public:
  // A server requires masked frames from its clients; a client requires unmasked ones.
  enum class Role { kServer, kClient };
  WsFrameParser(Role role, WsLimits limits) : role_(role), limits_(limits) {}
  // Appends complete events to *out. False on a protocol violation: then
  // error_code() / error_reason() say what to close with; feed nothing more.
  bool Feed(const char* data, size_t len, std::vector<WsEvent>* out);
  uint16_t error_code() const { return error_code_; }
  const std::string& error_reason() const { return error_reason_; }
  // Bytes held for an unfinished frame or message (for memory accounting).
  size_t buffered_bytes() const { return buf_.size() + message_.size(); }

 private:
  bool Fail(uint16_t code, std::string reason);
  Role role_;
  WsLimits limits_;
  std::string buf_;       // the unparsed tail
  std::string message_;   // fragments of the current data message
  bool in_message_ = false;
  bool message_text_ = false;
  uint16_t error_code_ = 0;
  std::string error_reason_;
};

// One frame. mask_key non-null (4 bytes) masks the payload, as a client must.
std::string EncodeWsFrame(Opcode opcode, std::string_view payload, bool fin = true,
                          const uint8_t* mask_key = nullptr);
// The same frame appended to *out: a server batching one connection's frames
// into one write encodes them in place, with no string per frame.
void AppendWsFrame(std::string* out, Opcode opcode, std::string_view payload, bool fin = true,
                   const uint8_t* mask_key = nullptr);
// A close frame's payload: code (big-endian) then the reason, cut to fit 125 bytes.
std::string EncodeClosePayload(uint16_t code, std::string_view reason);
bool IsValidUtf8(std::string_view s);
// Codes a peer may send in a close frame.
bool IsValidCloseCode(uint16_t code);

std::string Base64Encode(std::string_view bytes);
// Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + GUID)).
std::string WsAcceptKey(std::string_view client_key);
// 16 random bytes, base64: a fresh Sec-WebSocket-Key.
std::string WsNewClientKey();

// Server side: checks a request is a valid upgrade (GET, HTTP/1.1, Upgrade:
// websocket, Connection: upgrade, version 13, 16-byte key). On success fills
// *response with the 101 answer; otherwise *status / *why say what to refuse with.
bool WsCheckUpgrade(const HttpRequest& request, std::string* response, int* status, std::string* why);
// Client side: the GET request for host:port and target ("/room?x=1").
std::string WsClientHandshake(std::string_view host_port, std::string_view target, std::string_view key,
                              const HttpHeaders& extra = {});
// Client side: checks the server's answer to that request.
bool WsCheckHandshakeResponse(const HttpResponse& response, std::string_view key, std::string* why);

}  // namespace codesync::net

#endif  // CODESYNC_EXAMPLES_NET_WEBSOCKET_H_
