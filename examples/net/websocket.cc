#include "websocket.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstring>

namespace codesync::net {
namespace {

constexpr std::string_view kWsGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool IsControl(uint8_t opcode) { return opcode >= 0x8; }

}  // namespace

bool WsFrameParser::Fail(uint16_t code, std::string reason) {
  error_code_ = code;
  error_reason_ = std::move(reason);
  buf_.clear();
  message_.clear();
  return false;
}

bool WsFrameParser::Feed(const char* data, size_t len, std::vector<WsEvent>* out) {
  if (error_code_ != 0) return false;
  buf_.append(data, len);
  size_t pos = 0;
  while (true) {
    const auto* p = reinterpret_cast<const uint8_t*>(buf_.data()) + pos;
    size_t avail = buf_.size() - pos;
    if (avail < 2) break;
    bool fin = p[0] & 0x80;
    uint8_t rsv = p[0] & 0x70;
    uint8_t opcode = p[0] & 0x0F;
    bool masked = p[1] & 0x80;
    uint64_t plen = p[1] & 0x7F;
    size_t header = 2;
    if (rsv != 0) return Fail(kCloseProtocolError, "reserved bits set (no extension was negotiated)");
    if (opcode != 0x0 && opcode != 0x1 && opcode != 0x2 && opcode != 0x8 && opcode != 0x9 && opcode != 0xA) {
      return Fail(kCloseProtocolError, "unknown opcode");
    }
    if (IsControl(opcode) && (!fin || plen > 125)) {
      return Fail(kCloseProtocolError, "fragmented or oversized control frame");
    }
    if (role_ == Role::kServer && !masked) return Fail(kCloseProtocolError, "client frame not masked");
    if (role_ == Role::kClient && masked) return Fail(kCloseProtocolError, "server frame masked");
    if (plen == 126) {
      if (avail < 4) break;
      plen = (uint64_t{p[2]} << 8) | p[3];
      if (plen < 126) return Fail(kCloseProtocolError, "length not minimally encoded");
      header = 4;
    } else if (plen == 127) {
      if (avail < 10) break;
      plen = 0;
      for (int i = 0; i < 8; ++i) plen = (plen << 8) | p[2 + i];
      if (plen >> 63) return Fail(kCloseProtocolError, "frame length has its high bit set");
      if (plen < 65536) return Fail(kCloseProtocolError, "length not minimally encoded");
      header = 10;
    }
    if (plen > limits_.max_frame_bytes) return Fail(kCloseMessageTooBig, "frame too large");
    if (opcode == 0x0 && !in_message_) return Fail(kCloseProtocolError, "continuation without a message");
    if ((opcode == 0x1 || opcode == 0x2) && in_message_) {
      return Fail(kCloseProtocolError, "new message inside a fragmented one");
    }
    if (!IsControl(opcode) && (opcode == 0x0 ? message_.size() : 0) + plen > limits_.max_message_bytes) {
      return Fail(kCloseMessageTooBig, "message too large");
    }
    size_t mask_at = header;
    if (masked) header += 4;
    if (avail < header + plen) break;
    std::string payload(reinterpret_cast<const char*>(p) + header, static_cast<size_t>(plen));
    if (masked) {
      const uint8_t* key = p + mask_at;
      for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(payload[i] ^ key[i & 3]);
    }
    pos += header + plen;
    switch (opcode) {
      case 0x8: {
        WsEvent ev;
        ev.kind = WsEvent::Kind::kClose;
        if (payload.size() == 1) return Fail(kCloseProtocolError, "close frame with a one-byte payload");
        if (payload.size() >= 2) {
          ev.close_code = static_cast<uint16_t>((uint8_t(payload[0]) << 8) | uint8_t(payload[1]));
          if (!IsValidCloseCode(ev.close_code)) return Fail(kCloseProtocolError, "invalid close code");
          ev.payload = payload.substr(2);
          if (!IsValidUtf8(ev.payload)) return Fail(kCloseInvalidPayload, "close reason is not UTF-8");
        }
        out->push_back(std::move(ev));
        buf_.erase(0, pos);
        return true;  // nothing after a close frame counts
      }
      case 0x9:
      case 0xA: {
        WsEvent ev;
        ev.kind = opcode == 0x9 ? WsEvent::Kind::kPing : WsEvent::Kind::kPong;
        ev.payload = std::move(payload);
        out->push_back(std::move(ev));
        break;
      }
      default: {
        if (opcode != 0x0) {
          in_message_ = true;
          message_text_ = opcode == 0x1;
          message_ = std::move(payload);
        } else {
          message_ += payload;
        }
        if (fin) {
          WsEvent ev;
          ev.kind = WsEvent::Kind::kMessage;
          ev.text = message_text_;
          ev.payload = std::move(message_);
          message_.clear();
          in_message_ = false;
          if (ev.text && !IsValidUtf8(ev.payload)) return Fail(kCloseInvalidPayload, "text message is not UTF-8");
          out->push_back(std::move(ev));
        }
      }
    }
  }
  buf_.erase(0, pos);
  return true;
}

void AppendWsFrame(std::string* out_ptr, Opcode opcode, std::string_view payload, bool fin, const uint8_t* mask_key) {
  std::string& out = *out_ptr;
  out.reserve(out.size() + payload.size() + 14);
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | static_cast<uint8_t>(opcode)));
  uint8_t mask_bit = mask_key ? 0x80 : 0;
  size_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(mask_bit | n));
  } else if (n < 65536) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((uint64_t{n} >> (8 * i)) & 0xFF));
  }
  if (mask_key) {
    out.append(reinterpret_cast<const char*>(mask_key), 4);
    size_t at = out.size();
    out.append(payload);
    for (size_t i = 0; i < n; ++i) out[at + i] = static_cast<char>(out[at + i] ^ mask_key[i & 3]);
  } else {
    out.append(payload);
  }
}

std::string EncodeWsFrame(Opcode opcode, std::string_view payload, bool fin, const uint8_t* mask_key) {
  std::string out;
  AppendWsFrame(&out, opcode, payload, fin, mask_key);
  return out;
}

std::string EncodeClosePayload(uint16_t code, std::string_view reason) {
  std::string out;
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xFF));
  if (reason.size() > 123) {
    reason = reason.substr(0, 123);
    // Do not cut a UTF-8 sequence in half.
    while (!reason.empty() && (static_cast<uint8_t>(reason.back()) & 0xC0) == 0x80) reason.remove_suffix(1);
    if (!reason.empty() && static_cast<uint8_t>(reason.back()) >= 0xC0) reason.remove_suffix(1);
  }
  out.append(reason);
  return out;
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  size_t n = s.size(), i = 0;
  while (i < n) {
    uint8_t c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

bool IsValidCloseCode(uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006;
}

std::string Base64Encode(std::string_view bytes) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], kAlphabet[v & 63]};
  }
  if (bytes.size() - i == 1) {
    uint32_t v = uint32_t{p[i]} << 16;
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (bytes.size() - i == 2) {
    uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8);
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

std::string WsAcceptKey(std::string_view client_key) {
  std::string input(client_key);
  input += kWsGuid;
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string WsNewClientKey() {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    for (auto& b : raw) b = static_cast<unsigned char>(std::rand());
  }
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
}

bool WsCheckUpgrade(const HttpRequest& request, std::string* response, int* status, std::string* why) {
  auto refuse = [&](int s, const char* w) {
    *status = s;
    *why = w;
    return false;
  };
  if (request.method != "GET") return refuse(405, "WebSocket upgrade needs GET");
  if (request.minor_version < 1) return refuse(400, "WebSocket upgrade needs HTTP/1.1");
  if (!HeaderHasToken(request.headers, "upgrade", "websocket")) return refuse(426, "Upgrade: websocket expected");
  if (!HeaderHasToken(request.headers, "connection", "upgrade")) return refuse(400, "Connection: upgrade expected");
  const std::string* version = request.Header("sec-websocket-version");
  if (version == nullptr || *version != "13") return refuse(426, "Sec-WebSocket-Version 13 expected");
  const std::string* key = request.Header("sec-websocket-key");
  // The key is base64 of 16 bytes: 24 characters ending in "==".
  if (key == nullptr || key->size() != 24 || key->substr(22) != "==") return refuse(400, "bad Sec-WebSocket-Key");
  *response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Accept: " + WsAcceptKey(*key) + "\r\n\r\n";
  return true;
}

std::string WsClientHandshake(std::string_view host_port, std::string_view target, std::string_view key,
                              const HttpHeaders& extra) {
  std::string out = "GET " + std::string(target) + " HTTP/1.1\r\nHost: " + std::string(host_port) +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + std::string(key) +
                    "\r\nSec-WebSocket-Version: 13\r\n";
  for (const auto& [n, v] : extra) out += n + ": " + v + "\r\n";
  out += "\r\n";
  return out;
}

bool WsCheckHandshakeResponse(const HttpResponse& response, std::string_view key, std::string* why) {
  if (response.status != 101) {
    *why = "server answered " + std::to_string(response.status) + " " + response.reason;
    if (!response.body.empty()) *why += ": " + response.body;
    return false;
  }
  if (!HeaderHasToken(response.headers, "upgrade", "websocket") ||
      !HeaderHasToken(response.headers, "connection", "upgrade")) {
    *why = "not a WebSocket upgrade";
    return false;
  }
  const std::string* accept = response.Header("sec-websocket-accept");
  if (accept == nullptr || *accept != WsAcceptKey(key)) {
    *why = "wrong Sec-WebSocket-Accept";
    return false;
  }
  return true;
}

}  // namespace codesync::net
