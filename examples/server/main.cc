// codesync-server: see --help, and the Server section of README.md.
#include <uv.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "codesync.h"
#include "options.h"
#include "server.h"
#include "store.h"
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

// export ROOM / import ROOM: the room's state out to stdout, or an update or
// container from stdin merged into it (one log row).
int RoomCommand(bool is_export, const std::vector<std::string>& args) {
  const char* name = is_export ? "export" : "import";
  const char* env_db = std::getenv("CODESYNC_DB");
  std::string db = env_db && *env_db ? env_db : codesync::server::Options().db;
  std::string room;
  bool container = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--db") {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "codesync-server %s: --db needs a value\n", name);
        return 2;
      }
      db = args[++i];
    } else if (a == "--container" && is_export) {
      container = true;
    } else if (a == "--help" || a == "-h") {
      std::printf(
          "usage: codesync-server export ROOM [--db FILE] [--container] > room.bin\n"
          "       codesync-server import ROOM [--db FILE] < room.bin\n"
          "  export writes the room's whole state as a Yjs update v1 (Y.applyUpdate reads it),\n"
          "  or with --container the HIST-1 container (guid = ROOM); import reads either and\n"
          "  merges it into ROOM (created if absent). --db defaults to CODESYNC_DB or %s.\n",
          codesync::server::Options().db.c_str());
      return 0;
    } else if (a.rfind("--", 0) != 0 && room.empty()) {
      room = a;
    } else {
      std::fprintf(stderr, "codesync-server %s: unknown argument '%s'\n", name, a.c_str());
      return 2;
    }
  }
  if (room.empty()) {
    std::fprintf(stderr, "codesync-server %s: the room id is required\n", name);
    return 2;
  }
  std::error_code ec;
  if (!std::filesystem::exists(db, ec)) {
    std::fprintf(stderr, "codesync-server %s: %s: no such database\n", name, db.c_str());
    return 1;
  }
  codesync::server::Store store;
  std::string error;
  if (!store.Open(db, true, &error)) {
    std::fprintf(stderr, "codesync-server %s: %s\n", name, error.c_str());
    return 1;
  }
  codesync::server::LoadedRoom loaded;
  if (!store.Load(room, &loaded)) {
    std::fprintf(stderr, "codesync-server %s: %s\n", name, store.error().c_str());
    return 1;
  }
  codesync_doc* doc = codesync_doc_new(nullptr);
  auto done = [&](int rc) {
    codesync_doc_free(doc);
    return rc;
  };
  if (is_export) {
    if (loaded.snapshot.empty() && loaded.updates.empty() && !store.GetRoom(room)) {
      std::fprintf(stderr, "codesync-server export: no such room: %s\n", room.c_str());
      return done(1);
    }
    if (!codesync::server::ApplyStoredRoom(doc, loaded, room, &error)) {
      std::fprintf(stderr, "codesync-server export: room %s: %s\n", room.c_str(), error.c_str());
      return done(1);
    }
    codesync_buffer out = {nullptr, 0};
    int rc = container ? codesync_doc_save_container(doc, room.c_str(), nullptr, 0, &out)
                       : codesync_doc_encode_update(doc, nullptr, 0, &out);
    if (rc != CODESYNC_OK) {
      std::fprintf(stderr, "codesync-server export: %s\n", codesync_last_error());
      return done(1);
    }
    bool ok = std::fwrite(out.data, 1, out.len, stdout) == out.len && std::fflush(stdout) == 0;
    codesync_buffer_free(&out);
    if (!ok) std::fprintf(stderr, "codesync-server export: writing stdout failed\n");
    return done(ok ? 0 : 1);
  }
  std::string in;
  char chunk[65536];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, stdin)) > 0) in.append(chunk, n);
  const auto* bytes = reinterpret_cast<const uint8_t*>(in.data());
  codesync_buffer info = {nullptr, 0};
  std::string row;
  if (codesync_container_info(bytes, in.size(), &info) == CODESYNC_OK) {
    codesync_buffer_free(&info);
    codesync_buffer state = {nullptr, 0};
    if (codesync_doc_load_container(doc, bytes, in.size()) != CODESYNC_OK ||
        codesync_doc_encode_update(doc, nullptr, 0, &state) != CODESYNC_OK) {
      std::fprintf(stderr, "codesync-server import: %s\n", codesync_last_error());
      return done(1);
    }
    row.assign(reinterpret_cast<const char*>(state.data), state.len);
    codesync_buffer_free(&state);
  } else if (in.empty() || codesync_doc_apply_update(doc, bytes, in.size()) != CODESYNC_OK) {
    std::fprintf(stderr, "codesync-server import: stdin is neither a container nor a Yjs update v1%s%s\n",
                 in.empty() ? " (empty)" : ": ", in.empty() ? "" : codesync_last_error());
    return done(1);
  } else {
    row = std::move(in);  // valid as sent (it may depend on what the room holds)
  }
  // Far past everything stored: a running server that holds the room loaded
  // keeps appending below it without a clash (it reads the row when it next
  // loads the room; its compactions never cover it before then).
  constexpr int64_t kImportSeqGap = int64_t{1} << 32;
  if (!store.Begin() || !store.EnsureRoom(room, static_cast<int64_t>(std::time(nullptr)) * 1000) ||
      !store.Append(room, loaded.last_seq + kImportSeqGap, row) || !store.Commit()) {
    std::fprintf(stderr, "codesync-server import: %s\n", store.error().c_str());
    store.Rollback();
    return done(1);
  }
  std::fprintf(stderr, "codesync-server import: %zu bytes merged into room %s\n", row.size(), room.c_str());
  return done(0);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "token") return TokenCommand({args.begin() + 1, args.end()});
  if (!args.empty() && (args[0] == "export" || args[0] == "import")) {
    return RoomCommand(args[0] == "export", {args.begin() + 1, args.end()});
  }
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
