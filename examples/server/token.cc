#include "token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "json.h"

namespace codesync::server {
namespace {

std::string Hmac(std::string_view secret, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return std::string(reinterpret_cast<const char*>(mac), len);
}

}  // namespace

std::string Base64UrlEncode(std::string_view bytes) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t{p[i]} << 16;
    if (rest == 2) v |= uint32_t{p[i + 1]} << 8;
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    if (rest == 2) out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;  // unpadded
}

bool Base64UrlDecode(std::string_view text, std::string* out) {
  out->clear();
  if (text.size() % 4 == 1) return false;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return true;
}

std::string MintToken(std::string_view secret, const TokenClaims& claims) {
  std::string payload = std::string("{") + (claims.is_prefix ? "\"prefix\":" : "\"room\":") +
                        JsonQuote(claims.room) + ",\"mode\":\"" + (claims.read_only ? "r" : "rw") +
                        "\",\"exp\":" + std::to_string(claims.exp) + "}";
  std::string head = Base64UrlEncode(payload);
  return head + "." + Base64UrlEncode(Hmac(secret, head));
}

std::optional<TokenClaims> VerifyToken(std::string_view secret, std::string_view token, int64_t now_unix,
                                       std::string* why) {
  size_t dot = token.find('.');
  if (dot == std::string_view::npos || token.find('.', dot + 1) != std::string_view::npos) {
    *why = "malformed token";
    return std::nullopt;
  }
  std::string_view head = token.substr(0, dot);
  std::string sig, payload;
  std::string expected = Hmac(secret, head);
  if (!Base64UrlDecode(token.substr(dot + 1), &sig) || sig.size() != expected.size() ||
      CRYPTO_memcmp(sig.data(), expected.data(), expected.size()) != 0) {
    *why = "bad token signature";
    return std::nullopt;
  }
  std::string err;
  std::optional<Json> json;
  if (!Base64UrlDecode(head, &payload) || !(json = ParseJson(payload, &err)) ||
      json->type != Json::Type::kObject) {
    *why = "malformed token payload";
    return std::nullopt;
  }
  TokenClaims claims;
  const Json* room = json->Get("room");
  const Json* prefix = json->Get("prefix");
  const Json* mode = json->Get("mode");
  const Json* exp = json->Get("exp");
  if ((room != nullptr) == (prefix != nullptr) || !(room ? room : prefix)->is_string() || mode == nullptr ||
      !mode->is_string() || (mode->string != "r" && mode->string != "rw") || exp == nullptr || !exp->is_number()) {
    *why = "malformed token payload";
    return std::nullopt;
  }
  claims.is_prefix = prefix != nullptr;
  claims.room = (room ? room : prefix)->string;
  claims.read_only = mode->string == "r";
  claims.exp = static_cast<int64_t>(exp->number);
  if (claims.exp <= now_unix) {
    *why = "token expired";
    return std::nullopt;
  }
  return claims;
}

}  // namespace codesync::server
