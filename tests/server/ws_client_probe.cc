// Drives codesync_net's WebSocket client role from the command line, for
// netclient.test.mjs (which runs it against the real `ws` server and against
// codesync-server):
//   ws_client_probe HOST PORT TARGET [HEX_MESSAGE...] [--close-after N] [--ping-ms MS]
// Prints "open", then "message <len> <hex of the first 32 bytes>" per message
// received, then "close <code> <reason>", and exits 0 once closed (1 on timeout).
// Sends every HEX_MESSAGE (a message "big:N" is N bytes of 0x61) once open;
// with --close-after N, closes with 1000 "done" after N messages.
#include <uv.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ws_client.h"

namespace {

std::string Unhex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

std::string Hex(std::string_view s, size_t max) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    auto b = static_cast<unsigned char>(s[i]);
    out += {kHex[b >> 4], kHex[b & 15]};
  }
  return out.empty() ? "-" : out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: ws_client_probe HOST PORT TARGET [HEX...] [--close-after N] [--ping-ms MS]\n");
    return 2;
  }
  codesync::net::WsClientOptions opts;
  opts.host = argv[1];
  opts.port = std::atoi(argv[2]);
  opts.target = argv[3];
  std::vector<std::string> messages;
  int close_after = -1;
  for (int i = 4; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--close-after" && i + 1 < argc) {
      close_after = std::atoi(argv[++i]);
    } else if (a == "--ping-ms" && i + 1 < argc) {
      opts.ping_interval_ms = std::atoll(argv[++i]);
    } else if (a.rfind("big:", 0) == 0) {
      messages.push_back(std::string(std::stoul(a.substr(4)), 'a'));
    } else {
      messages.push_back(Unhex(a));
    }
  }
  uv_loop_t* loop = uv_default_loop();
  int received = 0;
  bool closed = false;
  codesync::net::WsClient* client_ptr = nullptr;
  codesync::net::WsClientCallbacks cb;
  cb.on_open = [&]() {
    std::printf("open\n");
    std::fflush(stdout);
    for (const auto& m : messages) client_ptr->Send(m);
  };
  cb.on_message = [&](std::string_view payload, bool text) {
    std::printf("message %zu %s%s\n", payload.size(), Hex(payload, 32).c_str(), text ? " text" : "");
    std::fflush(stdout);
    if (++received == close_after) client_ptr->Close(1000, "done");
  };
  cb.on_close = [&](uint16_t code, const std::string& reason) {
    std::printf("close %u %s\n", code, reason.c_str());
    std::fflush(stdout);
    closed = true;
    uv_stop(loop);
  };
  auto client = std::make_unique<codesync::net::WsClient>(loop, opts, cb);
  client_ptr = client.get();
  uv_timer_t timeout;
  uv_timer_init(loop, &timeout);
  uv_timer_start(&timeout, [](uv_timer_t* t) { uv_stop(t->loop); }, 15000, 0);
  client->Connect();
  uv_run(loop, UV_RUN_DEFAULT);
  client.reset();
  uv_close(reinterpret_cast<uv_handle_t*>(&timeout), nullptr);
  uv_run(loop, UV_RUN_NOWAIT);
  return closed ? 0 : 1;
}
