// codesync-server: one libuv loop, rooms by URL path, the sans-I/O
// codesync_room per room, SQLite underneath.
//
// Durability: the room document's update observer collects every applied
// update; once per loop iteration (a uv_check handle, after all reads) they
// are handed to the writer thread (writer.h), which appends them to the
// SQLite log (group commit); the frames the rooms queued in that iteration
// wait, in order, until the writer reports the commit. Nothing a client has
// seen can be missing after a crash.
#ifndef CODESYNC_EXAMPLES_SERVER_SERVER_H_
#define CODESYNC_EXAMPLES_SERVER_SERVER_H_

#include <uv.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "codesync.h"
#include "http.h"
#include "options.h"
#include "store.h"
#include "tcp.h"
#include "websocket.h"
#include "writer.h"

namespace codesync::server {

class Server;
struct Room;

struct Conn {
  uint64_t id = 0;
  Server* server = nullptr;
  net::TcpConn* tcp = nullptr;
  enum class Phase { kHttp, kWebSocket, kClosing } phase = Phase::kHttp;
  net::HttpRequestParser http;
  std::unique_ptr<net::WsFrameParser> ws;
  Room* room = nullptr;
  bool read_only = false;
  bool pong_seen = true;
  double rate_tokens = 0;
  int64_t rate_at_ms = 0;
  int64_t closing_since_ms = 0;
  std::string peer;
  // WebSocket frames queued this loop iteration; they leave in one write at
  // the end of the iteration (Server::Flush), in order.
  std::string out;
  bool queued = false;  // in Server::queued_out_
};

struct Room {
  Server* server = nullptr;
  std::string id;
  codesync_room* room = nullptr;
  codesync_subscription* updates_sub = nullptr;
  std::vector<std::string> unsaved;  // applied, not yet committed
  std::vector<uint64_t> awareness_echo;  // senders to echo their awareness frame to
  std::vector<std::string> awareness_echo_frames;
  std::map<uint64_t, Conn*> conns;
  int64_t next_seq = 1;
  int64_t log_rows = 0;   // rows since the snapshot
  size_t log_bytes = 0;
  size_t snapshot_bytes = 0;
  int64_t empty_since_ms = 0;
  uint64_t generation = 0;  // tells a reloaded room from the one a compaction started on
  bool dirty = false;  // in Server::dirty_rooms_
  bool compacting = false;
  int in_flight = 0;  // writer jobs with this room's rows, not yet back: no unload meanwhile
};

// A frame from codesync_room_next_message, owned until sent or dropped.
struct OwnedFrame {
  uint64_t conn = 0;
  codesync_buffer buf = {nullptr, 0};
  OwnedFrame(uint64_t c, codesync_buffer b) : conn(c), buf(b) {}
  OwnedFrame(OwnedFrame&& o) noexcept : conn(o.conn), buf(o.buf) { o.buf = {nullptr, 0}; }
  OwnedFrame& operator=(OwnedFrame&&) = delete;
  ~OwnedFrame() { codesync_buffer_free(&buf); }
};

// What one room queued in one loop iteration, held until that iteration's
// rows are committed.
struct PendingRoom {
  Room* room = nullptr;
  uint64_t generation = 0;  // the room may be gone (or reloaded) by then
  size_t appended = 0;      // rows of this room in the job
  std::vector<OwnedFrame> frames;
  std::vector<std::pair<uint64_t, std::string>> echoes;  // awareness back to its sender
};

struct PendingBatch {
  uint64_t job_id = 0;  // released when this writer job (or a later one) is back
  std::vector<PendingRoom> rooms;
};

// A Prometheus histogram of seconds (cumulative buckets when printed).
struct Histogram {
  static constexpr double kBounds[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1};
  uint64_t counts[std::size(kBounds) + 1] = {};
  double sum = 0;
  double max = 0;
  void Observe(double v) {
    size_t i = 0;
    while (i < std::size(kBounds) && v > kBounds[i]) ++i;
    ++counts[i];
    sum += v;
    max = std::max(max, v);
  }
};

struct Metrics {
  Histogram loop_busy;  // loop iterations: time from poll return to the next poll
  double loop_cpu_max = 0;  // the same, in thread CPU time

  uint64_t connections_total = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t messages_in = 0;
  uint64_t updates_stored = 0;
  uint64_t http_requests = 0;
  uint64_t compactions = 0;
  uint64_t rooms_loaded_total = 0;
  uint64_t rooms_unloaded_total = 0;
  std::map<std::string, uint64_t> errors;  // by kind
};

// Applies a stored room (snapshot of format 1 or 2, then the log) to doc.
// False with *error saying which part is corrupt; a container must be
// intact and name room_id as its guid.
bool ApplyStoredRoom(codesync_doc* doc, const LoadedRoom& loaded, const std::string& room_id, std::string* error);

class Server {
 public:
  Server(uv_loop_t* loop, Options options);
  ~Server();
  // Opens the store and listens; false with *error on failure.
  bool Start(std::string* error);
  int bound_port() const { return bound_port_; }
  // Flushes, closes every connection with 1001, stops; the loop then ends.
  void Shutdown();

 private:
  friend struct ServerAccess;
  // Connections.
  void OnConnection();
  void OnData(Conn* c, const char* data, size_t len);
  void OnHttpRequest(Conn* c, const char* rest, size_t rest_len);
  void OnUpgrade(Conn* c, const char* rest, size_t rest_len);
  void OnWsData(Conn* c, const char* data, size_t len);
  void OnWsMessage(Conn* c, const std::string& payload);
  void OnClosed(Conn* c);
  void SendWs(Conn* c, net::Opcode opcode, std::string_view payload);
  void CloseWs(Conn* c, uint16_t code, const std::string& reason);
  void SendHttp(Conn* c, int status, std::string_view type, std::string_view body, bool keep_alive,
                const net::HttpHeaders& extra = {});
  void Error(const std::string& kind) { ++metrics_.errors[kind]; }

  // HTTP.
  void HandleRest(Conn* c, const net::HttpRequest& req, bool keep_alive);
  void HandleStatic(Conn* c, const net::HttpRequest& req, bool keep_alive);
  std::string MetricsText();
  // nullptr with *status/*why set when the request may not do that.
  bool Authorize(const net::HttpRequest& req, const std::string& room, bool write, bool whole_list, int* status,
                 std::string* why, bool* read_only);

  // Rooms and persistence.
  Room* GetOrLoadRoom(const std::string& id, std::string* error);
  void Flush();
  void Unload(Room* room);
  void DropRoom(Room* room, uint16_t code, const std::string& reason);
  void MaybeCompact(Room* room);
  void FlushRooms();
  void MarkDirty(Room* r) {
    if (!r->dirty) {
      r->dirty = true;
      dirty_rooms_.push_back(r);
    }
  }
  void ForgetRoom(Room* r);  // before it is freed: out of the dirty and empty lists
  // Connection output: frames are appended to Conn::out and written once per iteration.
  void WriteQueued(Conn* c);
  void WriteAllQueued();
  void CloseAfterWrites(Conn* c);
  void Sweep();  // idle unload, closing timeouts, awareness expiry
  void PingSlice();  // pings the next slice of connections, drops those that never answered the last
  void OnLoopIteration();  // the loop's busy time per iteration (codesync_loop_busy_seconds)
  // The writer's finished jobs: commits release the frames waiting on them.
  void OnWritesDone(std::vector<std::unique_ptr<WriteJob>>& jobs);
  void Deliver(Room* room, PendingRoom& pending);
  static void OnDocUpdate(const uint8_t* update, size_t len, const char* origin, void* user_data);

  uv_loop_t* loop_;
  Options options_;
  Store store_;  // the loop's connection: loads, REST reads and room records
  Writer writer_;  // the update log and snapshots
  std::deque<PendingBatch> pending_;  // frames waiting for their commit, in order
  uint64_t last_job_ = 0;
  std::unordered_map<uint64_t, Room*> live_rooms_;  // by generation
  std::unordered_set<std::string> dropped_in_flight_;  // dropped with rows in the writer: load after Drain
  bool destroying_ = false;
  uv_tcp_t listener_;
  uv_check_t flush_check_;
  uv_timer_t sweep_timer_;
  uv_timer_t ping_timer_;
  uv_prepare_t stall_prepare_;
  int64_t ping_slices_ = 1;
  uint64_t ping_slot_ = 0;
  uint64_t last_prepare_ns_ = 0;
  uint64_t last_idle_ns_ = 0;
  uint64_t last_cpu_ns_ = 0;
  uv_signal_t sigint_, sigterm_;
  int bound_port_ = 0;
  bool started_ = false;
  bool shutting_down_ = false;
  uint64_t next_conn_id_ = 1;
  uint64_t next_generation_ = 1;
  size_t ws_connections_ = 0;
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;
  std::map<std::string, std::unique_ptr<Room>> rooms_;
  std::map<std::string, int> compactions_in_flight_;  // room id -> jobs
  std::vector<std::string> deleted_while_compacting_;
  // Only these are visited by Flush and Sweep, not every room or connection.
  std::vector<Room*> dirty_rooms_;
  std::vector<Room*> flushing_;  // Flush's working copy (kept for its capacity)
  std::unordered_set<Room*> empty_rooms_;  // loaded, no connection: unload candidates
  std::vector<Conn*> queued_out_;  // connections with Conn::queued (out written at the end of the iteration)
  std::vector<uint64_t> closing_conns_;  // sent a close frame, waiting for the peer's
  int64_t last_tick_ms_ = 0;
  std::unordered_map<std::string, int64_t> deleted_until_;  // room id -> uv_now ms (--deleted-block-ms)
  std::vector<net::WsEvent> ws_events_;  // OnWsData's, reused
  Metrics metrics_;
};

}  // namespace codesync::server

#endif  // CODESYNC_EXAMPLES_SERVER_SERVER_H_
