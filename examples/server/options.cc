#include "options.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdlib>
#include <functional>
#include <string_view>

namespace codesync::server {
namespace {

struct Spec {
  const char* flag;
  const char* env;
  const char* arg;  // nullptr: a switch
  const char* help;
  std::function<bool(const std::string&, Options*)> set;
  std::string def;
};

bool ParseUint(const std::string& s, uint64_t min, uint64_t max, uint64_t* out) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < min || v > max) return false;
  *out = v;
  return true;
}

template <typename T>
std::function<bool(const std::string&, Options*)> Uint(T Options::*field, uint64_t min, uint64_t max) {
  return [=](const std::string& s, Options* o) {
    uint64_t v;
    if (!ParseUint(s, min, max, &v)) return false;
    o->*field = static_cast<T>(v);
    return true;
  };
}

std::function<bool(const std::string&, Options*)> Str(std::string Options::*field, bool allow_empty) {
  return [=](const std::string& s, Options* o) {
    if (s.empty() && !allow_empty) return false;
    o->*field = s;
    return true;
  };
}

bool ParseBool(const std::string& s, bool* out) {
  if (s == "1" || s == "true" || s == "yes" || s == "on") return *out = true, true;
  if (s == "0" || s == "false" || s == "no" || s == "off" || s.empty()) return *out = false, true;
  return false;
}

std::vector<Spec> Specs() {
  Options d;
  return {
      {"--host", "CODESYNC_HOST", "ADDR", "IPv4 or IPv6 address to listen on",
       [](const std::string& s, Options* o) {
         unsigned char buf[16];
         if (inet_pton(AF_INET, s.c_str(), buf) != 1 && inet_pton(AF_INET6, s.c_str(), buf) != 1) return false;
         o->host = s;
         return true;
       },
       d.host},
      {"--port", "CODESYNC_PORT", "N", "TCP port (0: any free port; the log says which)",
       Uint(&Options::port, 0, 65535), std::to_string(d.port)},
      {"--db", "CODESYNC_DB", "FILE", "SQLite database (created with its directory)", Str(&Options::db, false), d.db},
      {"--static", "CODESYNC_STATIC", "DIR", "serve the files of DIR over HTTP (index.html for /)",
       Str(&Options::static_dir, true), "unset"},
      {"--auth-secret", "CODESYNC_AUTH_SECRET", "SECRET",
       "HMAC secret for room tokens; unset: open dev mode (anyone may read and write)",
       Str(&Options::auth_secret, true), "unset"},
      {"--sync", "CODESYNC_SYNC", "full|normal", "SQLite synchronous mode",
       [](const std::string& s, Options* o) {
         if (s != "full" && s != "normal") return false;
         o->sync_full = s == "full";
         return true;
       },
       "full"},
      {"--max-frame-bytes", "CODESYNC_MAX_FRAME_BYTES", "N", "largest WebSocket frame (larger: close 1009)",
       Uint(&Options::max_frame_bytes, 1024, uint64_t{1} << 32), std::to_string(d.max_frame_bytes)},
      {"--max-message-bytes", "CODESYNC_MAX_MESSAGE_BYTES", "N", "largest reassembled message (larger: close 1009)",
       Uint(&Options::max_message_bytes, 1024, uint64_t{1} << 32), std::to_string(d.max_message_bytes)},
      {"--max-doc-bytes", "CODESYNC_MAX_DOC_BYTES", "N",
       "largest stored document; an update that would pass it is refused (close 1009)",
       Uint(&Options::max_doc_bytes, 1024, uint64_t{1} << 40), std::to_string(d.max_doc_bytes)},
      {"--max-connections", "CODESYNC_MAX_CONNECTIONS", "N", "WebSocket connections in all (more: HTTP 503)",
       Uint(&Options::max_connections, 1, 1000000), std::to_string(d.max_connections)},
      {"--max-room-connections", "CODESYNC_MAX_ROOM_CONNECTIONS", "N", "connections per room (more: HTTP 503)",
       Uint(&Options::max_room_connections, 1, 1000000), std::to_string(d.max_room_connections)},
      {"--max-message-rate", "CODESYNC_MAX_MESSAGE_RATE", "N",
       "messages per second per connection, bursts of 2 s allowed (more: close 1008)",
       [](const std::string& s, Options* o) {
         uint64_t v;
         if (!ParseUint(s, 1, 1000000, &v)) return false;
         o->max_message_rate = static_cast<double>(v);
         return true;
       },
       "200"},
      {"--compact-after", "CODESYNC_COMPACT_AFTER", "N", "log rows per room before it is compacted into a snapshot",
       Uint(&Options::compact_after, 1, 100000000), std::to_string(d.compact_after)},
      {"--unload-after-ms", "CODESYNC_UNLOAD_AFTER_MS", "MS", "unload a room this long after its last connection left",
       Uint(&Options::unload_after_ms, 0, 86400000), std::to_string(d.unload_after_ms)},
      {"--ping-interval-ms", "CODESYNC_PING_INTERVAL_MS", "MS",
       "ping every connection this often; one that missed the last pong is dropped",
       Uint(&Options::ping_interval_ms, 100, 3600000), std::to_string(d.ping_interval_ms)},
      {"--deleted-block-ms", "CODESYNC_DELETED_BLOCK_MS", "MS",
       "after DELETE /rooms/{id}, refuse WebSockets to that room (HTTP 410) this long (0: never)",
       Uint(&Options::deleted_room_block_ms, 0, 86400000), std::to_string(d.deleted_room_block_ms)},
      {"--text-name", "CODESYNC_TEXT_NAME", "NAME", "root text returned as \"text\" by GET /rooms/{id}",
       Str(&Options::text_name, false), d.text_name},
      {"--commit-delay-ms", "CODESYNC_COMMIT_DELAY_MS", "MS",
       "testing only: the writer thread waits this long before each commit (broadcasts wait with it)",
       Uint(&Options::commit_delay_ms, 0, 10000), std::to_string(d.commit_delay_ms)},
      {"--verbose", "CODESYNC_VERBOSE", nullptr, "log every connection and request (default: warnings only)",
       nullptr, "off"},
  };
}

}  // namespace

std::string UsageText() {
  std::string out =
      "usage: codesync-server [options]\n"
      "       codesync-server token --secret S --room R [--prefix] [--read-only] [--ttl SECONDS]\n"
      "       codesync-server export ROOM [--db FILE] [--container] > room.bin\n"
      "       codesync-server import ROOM [--db FILE] < room.bin\n\n"
      "A y-websocket compatible collaboration server: ws://HOST:PORT/<room>[?token=T],\n"
      "REST API under /rooms, /health and /metrics.\n\noptions (flag, environment variable, default):\n";
  for (const Spec& s : Specs()) {
    std::string left = std::string("  ") + s.flag + (s.arg ? std::string(" ") + s.arg : "");
    if (left.size() < 32) left.resize(32, ' ');
    out += left + s.help + "\n" + std::string(32, ' ') + "[" + s.env + "; default " + s.def + "]\n";
  }
  out += "  --help                        this text\n";
  return out;
}

int ParseOptions(const std::vector<std::string>& args, Options* out, std::string* error) {
  std::vector<Spec> specs = Specs();
  auto apply = [&](const Spec& s, const std::string& value, const std::string& source) {
    if (s.set == nullptr) {  // --verbose
      bool b;
      if (!ParseBool(value, &b)) {
        *error = source + ": expected 1/0, true/false, yes/no or on/off, got '" + value + "'";
        return false;
      }
      out->verbose = b;
      return true;
    }
    if (!s.set(value, out)) {
      *error = source + ": invalid value '" + value + "'" + (s.arg ? std::string(" (expected ") + s.arg + ")" : "");
      return false;
    }
    return true;
  };
  for (const Spec& s : specs) {
    if (const char* v = std::getenv(s.env)) {
      if (!apply(s, v, s.env)) return 2;
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") return 1;
    std::string name = a, value;
    bool has_value = false;
    if (size_t eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_value = true;
    }
    const Spec* spec = nullptr;
    for (const Spec& s : specs) {
      if (name == s.flag) spec = &s;
    }
    if (spec == nullptr) {
      *error = "unknown option '" + a + "' (see --help)";
      return 2;
    }
    if (spec->arg == nullptr) {
      if (!apply(*spec, has_value ? value : "1", name)) return 2;
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        *error = name + " needs a value (" + spec->arg + ")";
        return 2;
      }
      value = args[++i];
    }
    if (!apply(*spec, value, name)) return 2;
  }
  return 0;
}

}  // namespace codesync::server
