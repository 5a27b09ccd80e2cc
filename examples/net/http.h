// HTTP/1.1 request and response parsing and writing, sans I/O: bytes in,
// parsed messages out. Enough for a WebSocket handshake and a small REST API:
// Content-Length bodies only (chunked uploads are refused with 501), every
// size bounded by HttpLimits.
#ifndef CODESYNC_EXAMPLES_NET_HTTP_H_
#define CODESYNC_EXAMPLES_NET_HTTP_H_

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace codesync::net {

struct HttpLimits {
  size_t max_head_bytes = 16 * 1024;   // request/status line plus headers
  size_t max_body_bytes = 1024 * 1024; // Content-Length above this: 413
  size_t max_headers = 100;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive lookup; nullptr when absent.
const std::string* FindHeader(const HttpHeaders& headers, std::string_view name);
// True when a comma-separated header value holds `token` (case-insensitive).
bool HeaderHasToken(const HttpHeaders& headers, std::string_view name, std::string_view token);

struct HttpRequest {
  std::string method;
  std::string target;  // as sent: path plus query
  std::string path;    // percent-decoded, without the query
  std::string query;   // raw, without '?'
  int minor_version = 1;
  HttpHeaders headers;
  std::string body;
  const std::string* Header(std::string_view name) const { return FindHeader(headers, name); }
  bool KeepAlive() const;
};

struct HttpResponse {
  int status = 0;
  std::string reason;
  HttpHeaders headers;
  std::string body;
  const std::string* Header(std::string_view name) const { return FindHeader(headers, name); }
};

enum class ParseState { kIncomplete, kDone, kError };

// Incremental: Feed() any number of times with whatever arrived. After kDone,
// *consumed says how many bytes belong to this message; the rest belongs to
// what follows (the next request, or WebSocket frames). Reset() for the next.
class HttpRequestParser {
 public:
  explicit HttpRequestParser(HttpLimits limits = {}) : limits_(limits) {}
  ParseState Feed(const char* data, size_t len, size_t* consumed);
  const HttpRequest& request() const { return request_; }
  HttpRequest& request() { return request_; }
  // The HTTP status to answer a kError with (400, 413, 431, 501, 505) and why.
  int error_status() const { return error_status_; }
  const std::string& error() const { return error_; }
  void Reset();

 private:
  ParseState Fail(int status, std::string why);
  HttpLimits limits_;
  std::string buf_;
  bool head_done_ = false;
  size_t body_len_ = 0;
  HttpRequest request_;
  ParseState state_ = ParseState::kIncomplete;
  int error_status_ = 0;
  std::string error_;
};

// The client side: parses a status line, headers and a Content-Length body
// (or none, for 101 / 204 / 304 and when told the request was HEAD).
class HttpResponseParser {
 public:
  explicit HttpResponseParser(HttpLimits limits = {}) : limits_(limits) {}
  ParseState Feed(const char* data, size_t len, size_t* consumed);
  const HttpResponse& response() const { return response_; }
  const std::string& error() const { return error_; }

 private:
  ParseState Fail(std::string why);
  HttpLimits limits_;
  std::string buf_;
  bool head_done_ = false;
  size_t body_len_ = 0;
  HttpResponse response_;
  ParseState state_ = ParseState::kIncomplete;
  std::string error_;
};

const char* HttpReasonPhrase(int status);
// A complete response with Content-Length (and Connection: close unless keep_alive).
std::string WriteHttpResponse(int status, std::string_view content_type, std::string_view body,
                              const HttpHeaders& extra = {}, bool keep_alive = true);

// "%41" -> "A"; false on a bad escape. '+' is kept (paths), or a space when plus_is_space (queries).
bool PercentDecode(std::string_view in, std::string* out, bool plus_is_space = false);
std::string PercentEncode(std::string_view in);
// a=1&b=%20 -> {a:1, b:" "}; later duplicates win; undecodable pairs are skipped.
std::map<std::string, std::string> ParseQuery(std::string_view query);

}  // namespace codesync::net

#endif  // CODESYNC_EXAMPLES_NET_HTTP_H_
