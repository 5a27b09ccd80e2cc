// codesync-server: see --help, and the Server section of README.md.
#include <uv.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "options.h"
#include "server.h"
#include "token.h"

namespace {

int TokenCommand(const std::vector<std::string>& args) {
  const char* env_secret = std::getenv("CODESYNC_AUTH_SECRET");
  std::string secret = env_secret ? env_secret : "";
  codesync::server::TokenClaims claims;
  claims.read_only = false;
  bool have_room = false;
  int64_t ttl = 86400;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "codesync-server token: %s needs a value\n", a.c_str());
        return false;
      }
      *out = args[++i];
      return true;
    };
    std::string v;
    if (a == "--secret") {
      if (!value(&secret)) return 2;
    } else if (a == "--room") {
      if (!value(&claims.room)) return 2;
      have_room = true;
    } else if (a == "--prefix") {
      claims.is_prefix = true;
    } else if (a == "--read-only") {
      claims.read_only = true;
    } else if (a == "--ttl") {
      if (!value(&v)) return 2;
      char* end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 1 || n > 10LL * 365 * 86400) {
        std::fprintf(stderr, "codesync-server token: --ttl: invalid value '%s' (seconds, 1 to 10 years)\n", v.c_str());
        return 2;
      }
      ttl = n;
    } else if (a == "--help" || a == "-h") {
      std::printf(
          "usage: codesync-server token --secret S --room R [--prefix] [--read-only] [--ttl SECONDS]\n"
          "  --secret S     the server's --auth-secret [CODESYNC_AUTH_SECRET]\n"
          "  --room R       the room name (with --prefix: every room whose name starts with R;\n"
          "                 --prefix --room \"\" covers all rooms and the REST room list)\n"
          "  --read-only    may read and show presence, never write (default: read-write)\n"
          "  --ttl SECONDS  lifetime (default 86400)\n");
      return 0;
    } else {
      std::fprintf(stderr, "codesync-server token: unknown option '%s'\n", a.c_str());
      return 2;
    }
  }
  if (secret.empty()) {
    std::fprintf(stderr, "codesync-server token: --secret (or CODESYNC_AUTH_SECRET) is required\n");
    return 2;
  }
  if (!have_room) {
    std::fprintf(stderr, "codesync-server token: --room is required\n");
    return 2;
  }
  claims.exp = static_cast<int64_t>(std::time(nullptr)) + ttl;
  std::printf("%s\n", codesync::server::MintToken(secret, claims).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "token") return TokenCommand({args.begin() + 1, args.end()});
  codesync::server::Options options;
  std::string error;
  int rc = codesync::server::ParseOptions(args, &options, &error);
  if (rc == 1) {
    std::fputs(codesync::server::UsageText().c_str(), stdout);
    return 0;
  }
  if (rc != 0) {
    std::fprintf(stderr, "codesync-server: %s\n", error.c_str());
    return 2;
  }
  std::error_code ec;
  if (!options.static_dir.empty() && !std::filesystem::is_directory(options.static_dir, ec)) {
    std::fprintf(stderr, "codesync-server: --static: not a directory: %s\n", options.static_dir.c_str());
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  uv_loop_t* loop = uv_default_loop();
  {
    codesync::server::Server server(loop, options);
    if (!server.Start(&error)) {
      std::fprintf(stderr, "codesync-server: %s\n", error.c_str());
      uv_run(loop, UV_RUN_NOWAIT);
      return 1;
    }
    std::string host = options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
    std::fprintf(stderr, "codesync-server: listening on http://%s:%d (WebSocket rooms at ws://%s:%d/<room>), db %s\n",
                 host.c_str(), server.bound_port(), host.c_str(), server.bound_port(), options.db.c_str());
    uv_run(loop, UV_RUN_DEFAULT);
    std::fprintf(stderr, "codesync-server: stopped\n");
  }
  uv_loop_close(loop);
  return 0;
}
