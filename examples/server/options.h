// codesync-server's options: each a flag with an environment variable and a
// default; flags win over the environment.
#ifndef CODESYNC_EXAMPLES_SERVER_OPTIONS_H_
#define CODESYNC_EXAMPLES_SERVER_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace codesync::server {

struct Options {
  std::string host = "127.0.0.1";
  int port = 1234;
  std::string db = "./data/codesync.db";
  std::string static_dir;   // empty: no static files
  std::string auth_secret;  // empty: open dev mode
  bool sync_full = true;    // PRAGMA synchronous=FULL (else NORMAL)
  size_t max_frame_bytes = 16u << 20;
  size_t max_message_bytes = 16u << 20;
  size_t max_doc_bytes = 64u << 20;
  size_t max_connections = 10000;
  size_t max_room_connections = 1000;
  double max_message_rate = 200;  // per connection, messages per second (burst: 2 s worth)
  size_t compact_after = 500;     // log rows per room before a compaction
  int64_t unload_after_ms = 10000;
  int64_t ping_interval_ms = 30000;
  int64_t deleted_room_block_ms = 60000;  // after DELETE, WebSockets may not recreate the room
  std::string text_name = "monaco";  // the root text GET /rooms/{id} returns as "text"
  int64_t commit_delay_ms = 0;  // tests: the writer sleeps this long before each commit
  bool verbose = false;
};

// Parses argv (after the program name) and the environment. Returns 0 to run,
// 1 when --help was printed, 2 on a bad value (the message is in *error).
int ParseOptions(const std::vector<std::string>& args, Options* out, std::string* error);
std::string UsageText();

}  // namespace codesync::server

#endif  // CODESYNC_EXAMPLES_SERVER_OPTIONS_H_
