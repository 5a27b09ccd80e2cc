// Room access tokens:
//   base64url(payload JSON) "." base64url(HMAC-SHA256(secret, first part))
// payload: {"room": "<name>"} or {"prefix": "<prefix>"}, "mode": "r" | "rw",
// "exp": expiry in Unix seconds. A prefix token covers every room whose name
// starts with it (the empty prefix covers all rooms and the room list).
#ifndef CODESYNC_EXAMPLES_SERVER_TOKEN_H_
#define CODESYNC_EXAMPLES_SERVER_TOKEN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace codesync::server {

struct TokenClaims {
  std::string room;  // exact room name, or the prefix when is_prefix
  bool is_prefix = false;
  bool read_only = true;
  int64_t exp = 0;  // Unix seconds

  bool Covers(std::string_view room_name) const {
    return is_prefix ? room_name.substr(0, room.size()) == room : room_name == room;
  }
};

std::string MintToken(std::string_view secret, const TokenClaims& claims);
// Checks the signature (constant time), the payload and the expiry against
// now_unix; on failure returns nullopt and says why.
std::optional<TokenClaims> VerifyToken(std::string_view secret, std::string_view token, int64_t now_unix,
                                       std::string* why);

std::string Base64UrlEncode(std::string_view bytes);
bool Base64UrlDecode(std::string_view text, std::string* out);

}  // namespace codesync::server

#endif  // CODESYNC_EXAMPLES_SERVER_TOKEN_H_
