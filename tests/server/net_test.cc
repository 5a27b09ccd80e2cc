// The HTTP and WebSocket pieces of examples/net, against the examples of
// RFC 6455 and hand-built byte sequences, fed whole and one byte at a time.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "http.h"
#include "tcp.h"
#include "websocket.h"

using namespace codesync::net;

namespace {

std::string Bytes(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) s.push_back(static_cast<char>(b));
  return s;
}

// Feeds `data` in chunks of `step` bytes; returns false at the first error.
bool FeedAll(WsFrameParser& p, const std::string& data, size_t step, std::vector<WsEvent>* out) {
  for (size_t i = 0; i < data.size(); i += step) {
    if (!p.Feed(data.data() + i, std::min(step, data.size() - i), out)) return false;
  }
  return true;
}

ParseState FeedRequest(HttpRequestParser& p, const std::string& data, size_t step, size_t* total) {
  *total = 0;
  ParseState st = ParseState::kIncomplete;
  for (size_t i = 0; i < data.size() && st == ParseState::kIncomplete; i += step) {
    size_t used = 0;
    size_t n = std::min(step, data.size() - i);
    st = p.Feed(data.data() + i, n, &used);
    *total += used;
    if (st == ParseState::kDone) break;
    if (st == ParseState::kIncomplete) CHECK(used == n);
  }
  return st;
}

}  // namespace

TEST_CASE("accept key of RFC 6455 section 1.3") {
  CHECK(WsAcceptKey("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  CHECK(Base64Encode("") == "");
  CHECK(Base64Encode("f") == "Zg==");
  CHECK(Base64Encode("fo") == "Zm8=");
  CHECK(Base64Encode("foo") == "Zm9v");
  CHECK(WsNewClientKey().size() == 24);
}

TEST_CASE("request parsing, whole and byte by byte, with a body and a pipelined request") {
  std::string first = "POST /rooms?limit=5&x=a%20b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                      "X-Test:   spaced  \r\n\r\nhello";
  std::string second = "GET /h%C3%A9 HTTP/1.0\r\n\r\n";
  for (size_t step : {size_t{1}, size_t{7}, first.size() + second.size()}) {
    HttpRequestParser p;
    std::string all = first + second;
    size_t used = 0;
    REQUIRE(FeedRequest(p, all, step, &used) == ParseState::kDone);
    // Only the first request's bytes are consumed (possibly over several feeds).
    CHECK(p.request().method == "POST");
    CHECK(p.request().path == "/rooms");
    CHECK(p.request().query == "limit=5&x=a%20b");
    CHECK(p.request().body == "hello");
    REQUIRE(p.request().Header("x-test") != nullptr);
    CHECK(*p.request().Header("X-TEST") == "spaced");
    CHECK(p.request().KeepAlive());
    auto q = ParseQuery(p.request().query);
    CHECK(q["limit"] == "5");
    CHECK(q["x"] == "a b");
    CHECK(used == first.size());  // not a byte of the next request
    if (step > first.size()) {
      HttpRequestParser p2;
      size_t used2 = 0;
      REQUIRE(p2.Feed(all.data() + used, all.size() - used, &used2) == ParseState::kDone);
      CHECK(p2.request().path == "/h\xC3\xA9");
      CHECK(p2.request().minor_version == 0);
      CHECK_FALSE(p2.request().KeepAlive());
    }
  }
}

TEST_CASE("request limits and malformed requests") {
  HttpLimits small;
  small.max_head_bytes = 64;
  small.max_body_bytes = 4;
  size_t used;
  {
    HttpRequestParser p(small);
    std::string big = "GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n";
    CHECK(FeedRequest(p, big, 1, &used) == ParseState::kError);
    CHECK(p.error_status() == 431);
  }
  {
    HttpRequestParser p(small);
    CHECK(FeedRequest(p, "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n", 100, &used) == ParseState::kError);
    CHECK(p.error_status() == 413);
  }
  struct Case {
    const char* text;
    int status;
  } cases[] = {
      {"GET /\r\n\r\n", 400},
      {"GET / HTTP/2.0\r\n\r\n", 505},
      {"GET nopath HTTP/1.1\r\n\r\n", 400},
      {"GET /%zz HTTP/1.1\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nno colon\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
  };
  for (const auto& c : cases) {
    HttpRequestParser p;
    CAPTURE(c.text);
    CHECK(FeedRequest(p, c.text, 100, &used) == ParseState::kError);
    CHECK(p.error_status() == c.status);
  }
}

TEST_CASE("upgrade check and the client handshake round trip") {
  std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  HttpRequestParser p;
  std::string req = WsClientHandshake("127.0.0.1:1234", "/room?token=t", key);
  size_t used;
  REQUIRE(p.Feed(req.data(), req.size(), &used) == ParseState::kDone);
  std::string response, why;
  int status = 0;
  REQUIRE(WsCheckUpgrade(p.request(), &response, &status, &why));
  CHECK(response.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
  HttpResponseParser rp;
  REQUIRE(rp.Feed(response.data(), response.size(), &used) == ParseState::kDone);
  CHECK(used == response.size());
  CHECK(rp.response().status == 101);
  CHECK(WsCheckHandshakeResponse(rp.response(), key, &why));
  CHECK_FALSE(WsCheckHandshakeResponse(rp.response(), "AAAAAAAAAAAAAAAAAAAAAA==", &why));

  HttpRequest plain = p.request();
  std::erase_if(plain.headers, [](const auto& h) { return h.first == "Upgrade"; });
  CHECK_FALSE(WsCheckUpgrade(plain, &response, &status, &why));
  CHECK(status == 426);

  HttpResponseParser refused;
  std::string r401 = WriteHttpResponse(401, "text/plain", "bad token", {}, false);
  REQUIRE(refused.Feed(r401.data(), r401.size(), &used) == ParseState::kDone);
  CHECK(refused.response().status == 401);
  CHECK(refused.response().body == "bad token");
  CHECK_FALSE(WsCheckHandshakeResponse(refused.response(), key, &why));
  CHECK(why.find("401") != std::string::npos);
}

TEST_CASE("RFC 6455 section 5.7 examples") {
  const std::string unmasked = Bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  const std::string masked = Bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  const std::string fragmented = Bytes({0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f});
  const std::string ping = Bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  for (size_t step : {size_t{1}, size_t{3}, size_t{100}}) {
    std::vector<WsEvent> ev;
    WsFrameParser client(WsFrameParser::Role::kClient, {});
    REQUIRE(FeedAll(client, unmasked + fragmented + ping, step, &ev));
    REQUIRE(ev.size() == 3);
    CHECK(ev[0].kind == WsEvent::Kind::kMessage);
    CHECK(ev[0].text);
    CHECK(ev[0].payload == "Hello");
    CHECK(ev[1].payload == "Hello");
    CHECK(ev[2].kind == WsEvent::Kind::kPing);
    CHECK(ev[2].payload == "Hello");

    ev.clear();
    WsFrameParser server(WsFrameParser::Role::kServer, {});
    REQUIRE(FeedAll(server, masked, step, &ev));
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].payload == "Hello");
  }
  const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
  CHECK(EncodeWsFrame(Opcode::kText, "Hello", true, key) == masked);
  CHECK(EncodeWsFrame(Opcode::kText, "Hello") == unmasked);
  CHECK(EncodeWsFrame(Opcode::kPing, "Hello") == ping);
  // Appending frames builds their concatenation, masked or not, whatever was there before.
  std::string batch = "x";
  AppendWsFrame(&batch, Opcode::kText, "Hello", true, key);
  AppendWsFrame(&batch, Opcode::kText, "Hello");
  AppendWsFrame(&batch, Opcode::kPing, "Hello");
  CHECK(batch == "x" + masked + unmasked + ping);
}

TEST_CASE("16- and 64-bit lengths, and a ping between fragments") {
  std::string mid(300, 'm'), big(70000, 'b');
  const uint8_t key[4] = {1, 2, 3, 4};
  std::string a = EncodeWsFrame(Opcode::kBinary, mid, true, key);
  CHECK(static_cast<uint8_t>(a[1]) == (0x80 | 126));
  std::string b = EncodeWsFrame(Opcode::kBinary, big, true, key);
  CHECK(static_cast<uint8_t>(b[1]) == (0x80 | 127));
  std::string frag = EncodeWsFrame(Opcode::kBinary, "ab", false, key) + EncodeWsFrame(Opcode::kPing, "p", true, key) +
                     EncodeWsFrame(Opcode::kContinuation, "cd", true, key);
  std::vector<WsEvent> ev;
  WsFrameParser p(WsFrameParser::Role::kServer, {});
  REQUIRE(FeedAll(p, a + b + frag, 997, &ev));
  REQUIRE(ev.size() == 4);
  CHECK(ev[0].payload == mid);
  CHECK(ev[1].payload == big);
  CHECK_FALSE(ev[1].text);
  CHECK(ev[2].kind == WsEvent::Kind::kPing);
  CHECK(ev[3].payload == "abcd");
  CHECK(p.buffered_bytes() == 0);
}

TEST_CASE("close frames") {
  const uint8_t key[4] = {9, 8, 7, 6};
  std::vector<WsEvent> ev;
  WsFrameParser p(WsFrameParser::Role::kServer, {});
  std::string close = EncodeWsFrame(Opcode::kClose, EncodeClosePayload(1001, "bye"), true, key);
  REQUIRE(FeedAll(p, close, 1, &ev));
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].kind == WsEvent::Kind::kClose);
  CHECK(ev[0].close_code == 1001);
  CHECK(ev[0].payload == "bye");
  // A long reason is cut to fit a control frame, on a UTF-8 boundary.
  std::string long_reason;
  for (int i = 0; i < 100; ++i) long_reason += "\xC3\xA9";
  std::string payload = EncodeClosePayload(1009, long_reason);
  CHECK(payload.size() <= 125);
  CHECK(IsValidUtf8(payload.substr(2)));

  WsFrameParser bad(WsFrameParser::Role::kServer, {});
  ev.clear();
  CHECK_FALSE(FeedAll(bad, EncodeWsFrame(Opcode::kClose, EncodeClosePayload(1005, ""), true, key), 100, &ev));
  CHECK(bad.error_code() == kCloseProtocolError);
}

TEST_CASE("protocol violations become close codes") {
  const uint8_t key[4] = {1, 1, 1, 1};
  struct Case {
    const char* name;
    WsFrameParser::Role role;
    std::string bytes;
    uint16_t code;
  } cases[] = {
      {"unmasked frame at a server", WsFrameParser::Role::kServer, EncodeWsFrame(Opcode::kBinary, "x"),
       kCloseProtocolError},
      {"masked frame at a client", WsFrameParser::Role::kClient, EncodeWsFrame(Opcode::kBinary, "x", true, key),
       kCloseProtocolError},
      {"reserved bits", WsFrameParser::Role::kClient, Bytes({0xC2, 0x00}), kCloseProtocolError},
      {"unknown opcode", WsFrameParser::Role::kClient, Bytes({0x83, 0x00}), kCloseProtocolError},
      {"continuation first", WsFrameParser::Role::kClient, EncodeWsFrame(Opcode::kContinuation, "x"),
       kCloseProtocolError},
      {"message inside a message", WsFrameParser::Role::kClient,
       EncodeWsFrame(Opcode::kBinary, "a", false) + EncodeWsFrame(Opcode::kBinary, "b"), kCloseProtocolError},
      {"fragmented ping", WsFrameParser::Role::kClient, EncodeWsFrame(Opcode::kPing, "a", false),
       kCloseProtocolError},
      {"long ping", WsFrameParser::Role::kClient, EncodeWsFrame(Opcode::kPing, std::string(126, 'p')),
       kCloseProtocolError},
      {"text not UTF-8", WsFrameParser::Role::kClient, EncodeWsFrame(Opcode::kText, "\xC3\x28"), kCloseInvalidPayload},
      {"non-minimal length", WsFrameParser::Role::kClient, Bytes({0x82, 126, 0, 5, 'a', 'b', 'c', 'd', 'e'}),
       kCloseProtocolError},
      {"one-byte close", WsFrameParser::Role::kClient, Bytes({0x88, 0x01, 0x03}), kCloseProtocolError},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    WsFrameParser p(c.role, {});
    std::vector<WsEvent> ev;
    CHECK_FALSE(FeedAll(p, c.bytes, 100, &ev));
    CHECK(p.error_code() == c.code);
    CHECK_FALSE(p.error_reason().empty());
    // After an error nothing more is accepted.
    CHECK_FALSE(p.Feed("\x82\x00", 2, &ev));
  }
}

TEST_CASE("frame and message limits: 1009 from the header alone") {
  WsLimits limits;
  limits.max_frame_bytes = 1000;
  limits.max_message_bytes = 1500;
  const uint8_t key[4] = {5, 5, 5, 5};
  std::vector<WsEvent> ev;
  {
    WsFrameParser p(WsFrameParser::Role::kServer, limits);
    std::string frame = EncodeWsFrame(Opcode::kBinary, std::string(1001, 'x'), true, key);
    // Only the 8 header bytes (2 + 2 length + 4 mask) arrive: refused already.
    CHECK_FALSE(p.Feed(frame.data(), 4, &ev));
    CHECK(p.error_code() == kCloseMessageTooBig);
  }
  {
    WsFrameParser p(WsFrameParser::Role::kServer, limits);
    std::string frames = EncodeWsFrame(Opcode::kBinary, std::string(1000, 'x'), false, key) +
                         EncodeWsFrame(Opcode::kContinuation, std::string(501, 'y'), true, key);
    CHECK_FALSE(FeedAll(p, frames, 64, &ev));
    CHECK(p.error_code() == kCloseMessageTooBig);
    CHECK(ev.empty());
  }
  {
    WsFrameParser p(WsFrameParser::Role::kServer, limits);
    std::string frames = EncodeWsFrame(Opcode::kBinary, std::string(1000, 'x'), false, key) +
                         EncodeWsFrame(Opcode::kContinuation, std::string(500, 'y'), true, key);
    CHECK(FeedAll(p, frames, 64, &ev));
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].payload.size() == 1500);
  }
}

TEST_CASE("UTF-8 validation and percent coding") {
  CHECK(IsValidUtf8("h\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x8C\x8D"));
  CHECK_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong
  CHECK_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  CHECK_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(IsValidUtf8("\xE4\xB8"));          // truncated
  std::string out;
  CHECK(PercentDecode("a%2Fb+c", &out));
  CHECK(out == "a/b+c");
  CHECK(PercentDecode("a+c", &out, true));
  CHECK(out == "a c");
  CHECK_FALSE(PercentDecode("a%2", &out));
  CHECK(PercentEncode("a b/é") == "a%20b%2F%C3%A9");
}

TEST_CASE("a client connects from the local address it is bound to") {
  // A listener on 127.0.0.1 (any free port); clients bound to 127.0.0.2 and
  // 127.0.0.3 must arrive from those addresses, and an unusable address fails.
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  uv_tcp_t listener;
  uv_tcp_init(&loop, &listener);
  sockaddr_in any{};
  uv_ip4_addr("127.0.0.1", 0, &any);
  REQUIRE(uv_tcp_bind(&listener, reinterpret_cast<sockaddr*>(&any), 0) == 0);
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(&listener, reinterpret_cast<sockaddr*>(&bound), &len);
  int port = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  std::vector<std::string> peers;
  listener.data = &peers;
  REQUIRE(uv_listen(reinterpret_cast<uv_stream_t*>(&listener), 16, [](uv_stream_t* server, int status) {
            auto* peers = static_cast<std::vector<std::string>*>(server->data);
            TcpConn* conn = TcpConn::Accept(server);
            if (conn == nullptr) return;
            std::string peer = conn->peer_address();
            peers->push_back(peer.substr(0, peer.rfind(':')));
            conn->Close();
          }) == 0);
  const char* locals[] = {"127.0.0.2", "127.0.0.3", "not-an-address"};
  std::vector<int> statuses(3, 1);  // 1: no callback yet
  std::vector<TcpConn*> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(TcpConn::Connect(
        &loop, "127.0.0.1", port, [&statuses, i](int status) { statuses[i] = status; }, locals[i]));
    REQUIRE(clients.back() != nullptr);
  }
  // Run until the three connect callbacks and both accepts have happened.
  auto done = [&] { return std::count(statuses.begin(), statuses.end(), 1) == 0 && peers.size() >= 2; };
  while (!done() && uv_run(&loop, UV_RUN_ONCE) != 0) {
  }
  for (int i = 0; i < 3; ++i) {
    if (statuses[i] == 0) clients[i]->Close();  // a failed one has closed itself
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&listener), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  CHECK(statuses[0] == 0);
  CHECK(statuses[1] == 0);
  CHECK(statuses[2] < 0);  // not an address
  std::sort(peers.begin(), peers.end());
  CHECK(peers == std::vector<std::string>{"127.0.0.2", "127.0.0.3"});
}

TEST_CASE("random and mutated input: every failure is a known close code or HTTP status") {
  uint64_t seed = 0x9E3779B97F4A7C15ull;
  auto next = [&]() {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    return seed;
  };
  const uint8_t key[4] = {1, 2, 3, 4};
  std::string valid = EncodeWsFrame(Opcode::kBinary, std::string(150, 'v'), false, key) +
                      EncodeWsFrame(Opcode::kPing, "p", true, key) +
                      EncodeWsFrame(Opcode::kContinuation, "end", true, key) +
                      EncodeWsFrame(Opcode::kText, "h\xC3\xA9", true, key);
  WsLimits limits;
  limits.max_frame_bytes = 200;
  limits.max_message_bytes = 400;
  int errors = 0, clean = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string input = valid;
    if (round % 2) {
      input.resize(next() % 600);
      for (auto& ch : input) ch = static_cast<char>(next());
    } else {
      for (int k = 0; k < 1 + round % 4; ++k) input[next() % input.size()] = static_cast<char>(next());
    }
    WsFrameParser p(round % 3 ? WsFrameParser::Role::kServer : WsFrameParser::Role::kClient, limits);
    std::vector<WsEvent> ev;
    bool ok = FeedAll(p, input, 1 + next() % 64, &ev);
    if (ok) {
      ++clean;
      for (const auto& e : ev) CHECK(e.payload.size() <= limits.max_message_bytes);
    } else {
      ++errors;
      uint16_t c = p.error_code();
      CHECK((c == kCloseProtocolError || c == kCloseInvalidPayload || c == kCloseMessageTooBig));
    }
    HttpRequestParser hp(HttpLimits{256, 64, 8});
    std::string req = round % 2 ? input : "GET /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc" + input;
    size_t used = 0;
    ParseState st = FeedRequest(hp, req, 1 + next() % 32, &used);
    if (st == ParseState::kError) {
      int s = hp.error_status();
      CHECK((s == 400 || s == 413 || s == 431 || s == 501 || s == 505));
    }
    CHECK(used <= req.size());
  }
  CHECK(errors > 100);  // the mutations do hit the checks
  CHECK(clean > 10);    // and some inputs stay valid
}
