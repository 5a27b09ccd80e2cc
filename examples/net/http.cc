#include "http.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace codesync::net {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsTokenChar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Parses "Name: value" lines after the first line of `head`; false on a bad line.
bool ParseHeaderLines(std::string_view head, size_t max_headers, HttpHeaders* out, std::string* why) {
  while (!head.empty()) {
    size_t eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 2);
    if (line.empty()) continue;
    size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) {
      *why = "malformed header line";
      return false;
    }
    std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), IsTokenChar)) {
      *why = "malformed header name";
      return false;
    }
    if (out->size() >= max_headers) {
      *why = "too many headers";
      return false;
    }
    out->emplace_back(std::string(name), std::string(Trim(line.substr(colon + 1))));
  }
  return true;
}

// Content-Length as a number; -1 when absent, -2 when invalid or repeated inconsistently.
long long ContentLength(const HttpHeaders& headers) {
  long long value = -1;
  for (const auto& [name, v] : headers) {
    if (!EqualsIgnoreCase(name, "content-length")) continue;
    long long n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size() || n < 0) return -2;
    if (value >= 0 && value != n) return -2;
    value = n;
  }
  return value;
}

}  // namespace

const std::string* FindHeader(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) return &v;
  }
  return nullptr;
}

bool HeaderHasToken(const HttpHeaders& headers, std::string_view name, std::string_view token) {
  for (const auto& [n, v] : headers) {
    if (!EqualsIgnoreCase(n, name)) continue;
    std::string_view rest = v;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      if (EqualsIgnoreCase(Trim(rest.substr(0, comma)), token)) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

bool HttpRequest::KeepAlive() const {
  if (HeaderHasToken(headers, "connection", "close")) return false;
  if (minor_version == 0) return HeaderHasToken(headers, "connection", "keep-alive");
  return true;
}

void HttpRequestParser::Reset() {
  buf_.clear();
  head_done_ = false;
  body_len_ = 0;
  request_ = HttpRequest();
  state_ = ParseState::kIncomplete;
  error_status_ = 0;
  error_.clear();
}

namespace {

// Appends what fits of data to the buffered head, keeping at most a few bytes
// past the limit so that an over-long head is detected, and returns where the
// head ends ("\r\n\r\n"), or npos while it has not ended yet.
size_t BufferHead(std::string* buf, const char* data, size_t len, size_t max_head_bytes, size_t* taken) {
  const size_t cap = max_head_bytes + 4;
  *taken = std::min(len, cap - std::min(buf->size(), cap));
  buf->append(data, *taken);
  return buf->find("\r\n\r\n");
}

}  // namespace

ParseState HttpRequestParser::Fail(int status, std::string why) {
  error_status_ = status;
  error_ = std::move(why);
  return state_ = ParseState::kError;
}

ParseState HttpRequestParser::Feed(const char* data, size_t len, size_t* consumed) {
  *consumed = 0;
  if (state_ != ParseState::kIncomplete) return state_;
  size_t before = buf_.size();
  if (!head_done_) {
    size_t take = 0;
    size_t end = BufferHead(&buf_, data, len, limits_.max_head_bytes, &take);
    if (end == std::string::npos) {
      *consumed = take;
      if (buf_.size() > limits_.max_head_bytes) return Fail(431, "request head too large");
      return state_;
    }
    if (end + 4 > limits_.max_head_bytes + 4) return Fail(431, "request head too large");
    std::string_view head(buf_.data(), end);
    size_t eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    // METHOD SP target SP HTTP/1.x
    size_t sp1 = line.find(' ');
    size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
      return Fail(400, "malformed request line");
    }
    std::string_view method = line.substr(0, sp1);
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string_view version = line.substr(sp2 + 1);
    if (method.empty() || !std::all_of(method.begin(), method.end(), IsTokenChar) || target.empty()) {
      return Fail(400, "malformed request line");
    }
    if (version == "HTTP/1.1") {
      request_.minor_version = 1;
    } else if (version == "HTTP/1.0") {
      request_.minor_version = 0;
    } else if (version.substr(0, 5) == "HTTP/") {
      return Fail(505, "HTTP version not supported");
    } else {
      return Fail(400, "malformed request line");
    }
    request_.method = std::string(method);
    request_.target = std::string(target);
    size_t q = target.find('?');
    request_.query = q == std::string_view::npos ? "" : std::string(target.substr(q + 1));
    std::string_view raw_path = target.substr(0, q);
    size_t hash = raw_path.find('#');
    if (hash != std::string_view::npos) raw_path = raw_path.substr(0, hash);
    if (raw_path.empty() || raw_path[0] != '/' || !PercentDecode(raw_path, &request_.path)) {
      return Fail(400, "malformed request target");
    }
    std::string why;
    if (eol != std::string_view::npos &&
        !ParseHeaderLines(head.substr(eol + 2), limits_.max_headers, &request_.headers, &why)) {
      return Fail(why == "too many headers" ? 431 : 400, why);
    }
    if (request_.Header("transfer-encoding") != nullptr) return Fail(501, "transfer-encoding is not supported");
    long long cl = ContentLength(request_.headers);
    if (cl == -2) return Fail(400, "invalid content-length");
    if (cl > 0 && static_cast<unsigned long long>(cl) > limits_.max_body_bytes) {
      return Fail(413, "request body too large");
    }
    body_len_ = cl < 0 ? 0 : static_cast<size_t>(cl);
    head_done_ = true;
    // Bytes of this feed past the head go back to the caller's stream.
    size_t head_bytes_in_this_feed = end + 4 - before;
    request_.body = buf_.substr(end + 4);
    buf_.clear();
    *consumed = head_bytes_in_this_feed;
    size_t have = std::min(request_.body.size(), body_len_);
    *consumed += have;
    request_.body.resize(have);
    data += *consumed;
    len -= *consumed;
  }
  size_t need = body_len_ - request_.body.size();
  size_t take = std::min(need, len);
  request_.body.append(data, take);
  *consumed += take;
  if (request_.body.size() == body_len_) state_ = ParseState::kDone;
  return state_;
}

ParseState HttpResponseParser::Fail(std::string why) {
  error_ = std::move(why);
  return state_ = ParseState::kError;
}

ParseState HttpResponseParser::Feed(const char* data, size_t len, size_t* consumed) {
  *consumed = 0;
  if (state_ != ParseState::kIncomplete) return state_;
  size_t before = buf_.size();
  if (!head_done_) {
    size_t take = 0;
    size_t end = BufferHead(&buf_, data, len, limits_.max_head_bytes, &take);
    if (end == std::string::npos) {
      *consumed = take;
      if (buf_.size() > limits_.max_head_bytes) return Fail("response head too large");
      return state_;
    }
    std::string_view head(buf_.data(), end);
    size_t eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    // HTTP/1.x SP 3DIGIT SP reason
    if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ') return Fail("malformed status line");
    int status = 0;
    auto [p, ec] = std::from_chars(line.data() + 9, line.data() + 12, status);
    if (ec != std::errc() || p != line.data() + 12 || status < 100) return Fail("malformed status line");
    response_.status = status;
    response_.reason = line.size() > 13 ? std::string(line.substr(13)) : "";
    std::string why;
    if (eol != std::string_view::npos &&
        !ParseHeaderLines(head.substr(eol + 2), limits_.max_headers, &response_.headers, &why)) {
      return Fail(why);
    }
    long long cl = ContentLength(response_.headers);
    if (cl == -2) return Fail("invalid content-length");
    bool no_body = status == 101 || status == 204 || status == 304 || status < 200;
    if (!no_body && cl < 0) return Fail("responses without content-length are not supported");
    if (!no_body && static_cast<unsigned long long>(cl) > limits_.max_body_bytes) return Fail("response body too large");
    body_len_ = no_body ? 0 : static_cast<size_t>(cl);
    head_done_ = true;
    response_.body = buf_.substr(end + 4);
    buf_.clear();
    *consumed = end + 4 - before;
    size_t have = std::min(response_.body.size(), body_len_);
    *consumed += have;
    response_.body.resize(have);
    data += *consumed;
    len -= *consumed;
  }
  size_t take = std::min(body_len_ - response_.body.size(), len);
  response_.body.append(data, take);
  *consumed += take;
  if (response_.body.size() == body_len_) state_ = ParseState::kDone;
  return state_;
}

const char* HttpReasonPhrase(int status) {
  switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

std::string WriteHttpResponse(int status, std::string_view content_type, std::string_view body,
                              const HttpHeaders& extra, bool keep_alive) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + HttpReasonPhrase(status) + "\r\n";
  if (!content_type.empty()) out += "Content-Type: " + std::string(content_type) + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  for (const auto& [n, v] : extra) out += n + ": " + v + "\r\n";
  out += "\r\n";
  out += body;
  return out;
}

bool PercentDecode(std::string_view in, std::string* out, bool plus_is_space) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      if (i + 2 >= in.size()) return false;
      int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

std::string PercentEncode(std::string_view in) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key, value;
    if (!PercentDecode(pair.substr(0, eq), &key, true)) continue;
    if (eq != std::string_view::npos && !PercentDecode(pair.substr(eq + 1), &value, true)) continue;
    out[key] = value;
  }
  return out;
}

}  // namespace codesync::net
