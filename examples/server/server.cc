#include "server.h"

#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "json.h"
#include "token.h"

namespace codesync::server {
namespace {

constexpr int64_t kSweepIntervalMs = 500;
constexpr int64_t kClosingTimeoutMs = 2000;  // wait this long for the peer's close frame
// Awareness expiry (its timeout is 30 s): y-protocols checks every 3 s too.
constexpr int64_t kTickIntervalMs = 3000;
constexpr size_t kMaxRoomIdBytes = 512;
// The close code for a room's clients when it is deleted (4000-4999: for applications).
constexpr uint16_t kCloseRoomDeleted = 4404;
constexpr size_t kMaxPendingWriteBytes = 64u << 20;  // a reader this far behind is dropped
constexpr int64_t kPingSliceMs = 500;
constexpr double kStallLogMs = 50;  // --verbose logs loop iterations this long

void Log(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void Log(const char* fmt, ...) {
  char line[2048];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  std::fprintf(stderr, "codesync-server: %s\n", line);
}

int64_t UnixNow() { return static_cast<int64_t>(std::time(nullptr)); }
int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// 2026-12-01T09:10:07.123Z
std::string IsoTime(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::string RandomId() {
  unsigned char raw[8];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    for (auto& b : raw) b = static_cast<unsigned char>(std::rand());
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : raw) out += {kHex[b >> 4], kHex[b & 15]};
  return out;
}

std::string ContentType(const std::filesystem::path& p) {
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"}, {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"}, {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"}, {".json", "application/json"}, {".map", "application/json"},
      {".svg", "image/svg+xml"}, {".png", "image/png"}, {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"},
      {".gif", "image/gif"}, {".ico", "image/x-icon"}, {".wasm", "application/wasm"},
      {".txt", "text/plain; charset=utf-8"}, {".woff", "font/woff"}, {".woff2", "font/woff2"},
      {".ttf", "font/ttf"}, {".webp", "image/webp"}};
  std::string ext = p.extension().string();
  for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  auto it = kTypes.find(ext);
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

std::string JsonError(std::string_view why) { return "{\"error\":" + JsonQuote(why) + "}"; }

std::string RoomJson(const RoomRecord& r, size_t connections, bool loaded) {
  return "{\"id\":" + JsonQuote(r.id) + ",\"name\":" + JsonQuote(r.name) + ",\"language\":" + JsonQuote(r.language) +
         ",\"created_ms\":" + std::to_string(r.created_ms) + ",\"connections\":" + std::to_string(connections) +
         ",\"loaded\":" + (loaded ? "true" : "false") + "}";
}

const net::HttpHeaders kCors = {{"Access-Control-Allow-Origin", "*"}};


}  // namespace

bool ApplyStoredRoom(codesync_doc* doc, const LoadedRoom& loaded, const std::string& room_id, std::string* error) {
  const auto* snap = reinterpret_cast<const uint8_t*>(loaded.snapshot.data());
  if (!loaded.snapshot.empty()) {
    if (loaded.snapshot_format == kSnapshotFormatYjsV1) {
      if (codesync_doc_apply_update(doc, snap, loaded.snapshot.size()) != CODESYNC_OK) {
        *error = std::string("stored snapshot (format 1) is corrupt: ") + codesync_last_error();
        return false;
      }
    } else if (loaded.snapshot_format == kSnapshotFormatContainer) {
      // Verified (structure, checksum, state) before anything is applied.
      codesync_buffer info = {nullptr, 0};
      if (codesync_container_info(snap, loaded.snapshot.size(), &info) != CODESYNC_OK) {
        *error = std::string("stored snapshot (format 2) is corrupt: ") + codesync_last_error();
        return false;
      }
      std::string err;
      std::optional<Json> j = ParseJson(std::string_view(reinterpret_cast<const char*>(info.data), info.len), &err);
      codesync_buffer_free(&info);
      const Json* guid = j ? j->Get("guid") : nullptr;
      if (!guid || !guid->is_string() || guid->string != room_id) {
        *error = "stored snapshot (format 2) belongs to another room (guid " +
                 (guid && guid->is_string() ? JsonQuote(guid->string) : std::string("missing")) + ")";
        return false;
      }
      if (codesync_doc_load_container(doc, snap, loaded.snapshot.size()) != CODESYNC_OK) {
        *error = std::string("stored snapshot (format 2) is corrupt: ") + codesync_last_error();
        return false;
      }
    } else {
      *error = "stored snapshot format " + std::to_string(loaded.snapshot_format) + " is not supported";
      return false;
    }
  }
  for (const std::string& u : loaded.updates) {
    if (codesync_doc_apply_update(doc, reinterpret_cast<const uint8_t*>(u.data()), u.size()) != CODESYNC_OK) {
      *error = std::string("stored update is corrupt: ") + codesync_last_error();
      return false;
    }
  }
  return true;
}

// Gives the C callbacks below access to the server's internals.
struct ServerAccess {
  static void Compacted(Server* s, WriteJob* job);
  static void StartCompaction(Server* s, Room* room);
};

Server::Server(uv_loop_t* loop, Options options) : loop_(loop), options_(std::move(options)) {}

Server::~Server() {
  destroying_ = true;
  writer_.Stop();
  for (auto& [id, room] : rooms_) {
    codesync_unobserve(room->updates_sub);
    codesync_room_free(room->room);
  }
}

bool Server::Start(std::string* error) {
  if (!store_.Open(options_.db, options_.sync_full, error)) return false;
  store_.SetAutoCheckpoint(0);  // the writer thread checkpoints, not the loop
  uv_tcp_init(loop_, &listener_);
  listener_.data = this;
  sockaddr_storage addr{};
  if (uv_ip4_addr(options_.host.c_str(), options_.port, reinterpret_cast<sockaddr_in*>(&addr)) != 0 &&
      uv_ip6_addr(options_.host.c_str(), options_.port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0) {
    *error = "--host: not an IPv4 or IPv6 address: " + options_.host;
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
    return false;
  }
  int rc = uv_tcp_bind(&listener_, reinterpret_cast<sockaddr*>(&addr), 0);
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 511, [](uv_stream_t* s, int status) {
      if (status == 0) static_cast<Server*>(s->data)->OnConnection();
    });
  }
  if (rc != 0) {
    *error = "cannot listen on " + options_.host + ":" + std::to_string(options_.port) + ": " + uv_strerror(rc);
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
    return false;
  }
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&bound), &len);
  bound_port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                  : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);

  uv_loop_configure(loop_, UV_METRICS_IDLE_TIME);  // for codesync_loop_busy_seconds
  uv_check_init(loop_, &flush_check_);
  flush_check_.data = this;
  uv_check_start(&flush_check_, [](uv_check_t* h) { static_cast<Server*>(h->data)->Flush(); });
  uv_timer_init(loop_, &sweep_timer_);
  sweep_timer_.data = this;
  uv_timer_start(&sweep_timer_, [](uv_timer_t* t) { static_cast<Server*>(t->data)->Sweep(); }, kSweepIntervalMs,
                 kSweepIntervalMs);
  uv_timer_init(loop_, &ping_timer_);
  ping_timer_.data = this;
  // Each connection is pinged once per --ping-interval-ms, but not all at
  // once: the timer visits one slice of them (by id) every kPingSliceMs, so
  // 10,000 pings and their pongs never stall the loop together.
  ping_slices_ = std::max<int64_t>(1, options_.ping_interval_ms / kPingSliceMs);
  uv_timer_start(
      &ping_timer_, [](uv_timer_t* t) { static_cast<Server*>(t->data)->PingSlice(); },
      static_cast<uint64_t>(options_.ping_interval_ms / ping_slices_),
      static_cast<uint64_t>(options_.ping_interval_ms / ping_slices_));
  uv_prepare_init(loop_, &stall_prepare_);
  stall_prepare_.data = this;
  uv_prepare_start(&stall_prepare_, [](uv_prepare_t* h) { static_cast<Server*>(h->data)->OnLoopIteration(); });
  for (auto* sig : {&sigint_, &sigterm_}) {
    uv_signal_init(loop_, sig);
    sig->data = this;
    uv_signal_start(sig,
                    [](uv_signal_t* h, int) {
                      auto* s = static_cast<Server*>(h->data);
                      if (s->shutting_down_) {
                        // A second signal: stop waiting. Every commit is already on disk.
                        Log("second signal: exiting now");
                        std::_Exit(1);
                      }
                      s->Shutdown();
                    },
                    sig == &sigint_ ? SIGINT : SIGTERM);
  }
  if (!writer_.Start(loop_, options_.db, options_.sync_full, options_.commit_delay_ms,
                     [this](std::vector<std::unique_ptr<WriteJob>>& jobs) { OnWritesDone(jobs); }, error)) {
    return false;
  }
  if (options_.auth_secret.empty()) {
    Log("warning: no --auth-secret: open dev mode, anyone who can connect may read and write every room");
  }
  started_ = true;
  return true;
}

void Server::PingSlice() {
  uint64_t slot = ping_slot_++ % static_cast<uint64_t>(ping_slices_);
  std::vector<Conn*> dead;
  for (auto& [id, c] : conns_) {
    if (c->phase != Conn::Phase::kWebSocket || id % static_cast<uint64_t>(ping_slices_) != slot) continue;
    if (!c->pong_seen) {
      dead.push_back(c.get());
      continue;
    }
    c->pong_seen = false;
    SendWs(c.get(), net::Opcode::kPing, {});
  }
  WriteAllQueued();  // now, not after the next poll
  for (Conn* c : dead) {
    Error("ping_timeout");
    if (options_.verbose) Log("conn %" PRIu64 ": no pong, dropped", c->id);
    c->tcp->Close();
  }
}

void Server::OnLoopIteration() {
  // Runs before each poll: the time since the previous one, less what the
  // loop spent waiting in that poll, is how long the loop was busy.
  // The thread's CPU time tells an iteration that worked long from one that
  // waited for a CPU (a busy machine).
  uint64_t now = uv_hrtime();
  uint64_t idle = uv_metrics_idle_time(loop_);
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  uint64_t cpu = static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
  if (last_prepare_ns_ != 0) {
    uint64_t span = now - last_prepare_ns_;
    uint64_t waited = idle - last_idle_ns_;
    double busy = static_cast<double>(span > waited ? span - waited : 0) / 1e9;
    double busy_cpu = static_cast<double>(cpu - last_cpu_ns_) / 1e9;
    metrics_.loop_busy.Observe(busy);
    metrics_.loop_cpu_max = std::max(metrics_.loop_cpu_max, busy_cpu);
    if (busy * 1000 >= kStallLogMs && options_.verbose) {
      Log("loop iteration took %.1f ms (%.1f ms on the CPU)", busy * 1000, busy_cpu * 1000);
    }
  }
  last_prepare_ns_ = now;
  last_idle_ns_ = idle;
  last_cpu_ns_ = cpu;
}

// ---- connections ------------------------------------------------------------

void Server::OnConnection() {
  net::TcpConn* tcp = net::TcpConn::Accept(reinterpret_cast<uv_stream_t*>(&listener_));
  if (tcp == nullptr) return;
  if (shutting_down_ || conns_.size() >= options_.max_connections + 1024) {
    Error("connection_limit");
    tcp->Close();
    return;
  }
  auto conn = std::make_unique<Conn>();
  Conn* c = conn.get();
  c->id = next_conn_id_++;
  c->server = this;
  c->tcp = tcp;
  c->http = net::HttpRequestParser(net::HttpLimits{16 * 1024, 1024 * 1024, 100});
  if (options_.verbose) c->peer = tcp->peer_address();
  conns_[c->id] = std::move(conn);
  tcp->Start([this, c](const char* d, size_t n) { OnData(c, d, n); }, [this, c]() { OnClosed(c); });
}

void Server::OnData(Conn* c, const char* data, size_t len) {
  metrics_.bytes_in += len;
  if (c->phase != Conn::Phase::kHttp) {
    OnWsData(c, data, len);
    return;
  }
  while (len > 0 && c->phase == Conn::Phase::kHttp && !c->tcp->closing()) {
    size_t used = 0;
    net::ParseState st = c->http.Feed(data, len, &used);
    if (st == net::ParseState::kIncomplete) return;
    if (st == net::ParseState::kError) {
      Error("http");
      SendHttp(c, c->http.error_status(), "application/json", JsonError(c->http.error()), false);
      return;
    }
    data += used;
    len -= used;
    if (net::HeaderHasToken(c->http.request().headers, "upgrade", "websocket")) {
      OnUpgrade(c, data, len);
      return;
    }
    OnHttpRequest(c, data, len);
    if (c->tcp->closing()) return;
    c->http.Reset();
  }
}

void Server::OnHttpRequest(Conn* c, const char*, size_t) {
  const net::HttpRequest& req = c->http.request();
  bool keep_alive = req.KeepAlive() && !shutting_down_;
  ++metrics_.http_requests;
  if (options_.verbose) Log("conn %" PRIu64 " %s: %s %s", c->id, c->peer.c_str(), req.method.c_str(), req.target.c_str());
  HandleRest(c, req, keep_alive);
}

void Server::SendHttp(Conn* c, int status, std::string_view type, std::string_view body, bool keep_alive,
                      const net::HttpHeaders& extra) {
  std::string out = net::WriteHttpResponse(status, type, body, extra, keep_alive);
  if (c->http.request().method == "HEAD") out.resize(out.size() - body.size());
  metrics_.bytes_out += out.size();
  WriteQueued(c);
  c->tcp->Write(std::move(out));
  if (!keep_alive) CloseAfterWrites(c);
}

void Server::OnUpgrade(Conn* c, const char* rest, size_t rest_len) {
  const net::HttpRequest& req = c->http.request();
  ++metrics_.http_requests;
  auto refuse = [&](int status, const std::string& kind, const std::string& why) {
    Error(kind);
    if (options_.verbose) Log("conn %" PRIu64 ": upgrade to %s refused: %d %s", c->id, req.path.c_str(), status, why.c_str());
    SendHttp(c, status, "application/json", JsonError(why), false);
  };
  if (shutting_down_) return refuse(503, "shutting_down", "server shutting down");
  std::string room_id = req.path.substr(1);
  if (room_id.empty()) return refuse(400, "http", "room name missing: connect to /<room>");
  if (room_id.size() > kMaxRoomIdBytes) return refuse(400, "http", "room name too long");
  bool read_only = false;
  int status = 0;
  std::string why;
  if (!Authorize(req, room_id, false, false, &status, &why, &read_only)) {
    return refuse(401, "auth", why);  // any token problem on a socket is 401
  }
  if (auto del = deleted_until_.find(room_id); del != deleted_until_.end()) {
    if (static_cast<int64_t>(uv_now(loop_)) < del->second) {
      return refuse(410, "deleted_room", "room was deleted (a WebSocket may not recreate it yet)");
    }
    deleted_until_.erase(del);
  }
  if (ws_connections_ >= options_.max_connections) return refuse(503, "connection_limit", "too many connections");
  std::string response;
  if (!net::WsCheckUpgrade(req, &response, &status, &why)) return refuse(status, "http", why);
  std::string error;
  Room* room = GetOrLoadRoom(room_id, &error);
  if (room == nullptr) {  // counted and logged by GetOrLoadRoom
    if (options_.verbose) Log("conn %" PRIu64 ": upgrade to %s refused: 500", c->id, req.path.c_str());
    return SendHttp(c, 500, "application/json", JsonError("room cannot be loaded: " + error), false);
  }
  if (room->conns.size() >= options_.max_room_connections) {
    return refuse(503, "connection_limit", "too many connections in this room");
  }
  metrics_.bytes_out += response.size();
  c->tcp->Write(std::move(response));
  c->phase = Conn::Phase::kWebSocket;
  c->ws = std::make_unique<net::WsFrameParser>(
      net::WsFrameParser::Role::kServer, net::WsLimits{options_.max_frame_bytes, options_.max_message_bytes});
  c->read_only = read_only;
  c->room = room;
  c->rate_tokens = options_.max_message_rate * 2;
  c->rate_at_ms = static_cast<int64_t>(uv_now(loop_));
  room->conns[c->id] = c;
  empty_rooms_.erase(room);
  ++ws_connections_;
  ++metrics_.connections_total;
  if (codesync_room_attach(room->room, c->id, read_only, static_cast<int64_t>(uv_now(loop_))) != CODESYNC_OK) {
    Log("error: attach: %s", codesync_last_error());
  }
  MarkDirty(room);
  if (options_.verbose) {
    Log("conn %" PRIu64 " %s: joined room %s%s", c->id, c->peer.c_str(), room_id.c_str(), read_only ? " (read-only)" : "");
  }
  if (rest_len > 0) OnWsData(c, rest, rest_len);
}

void Server::OnWsData(Conn* c, const char* data, size_t len) {
  std::vector<net::WsEvent>& events = ws_events_;  // not reentered: nothing below reads a socket
  events.clear();
  bool ok = c->ws->Feed(data, len, &events);
  for (auto& ev : events) {
    if (c->tcp->closing()) return;
    switch (ev.kind) {
      case net::WsEvent::Kind::kMessage:
        if (c->phase != Conn::Phase::kWebSocket) break;
        if (ev.text) {
          Error("protocol");
          CloseWs(c, net::kCloseUnsupportedData, "binary y-websocket messages expected");
          break;
        }
        OnWsMessage(c, ev.payload);
        break;
      case net::WsEvent::Kind::kPing:
        if (c->phase == Conn::Phase::kWebSocket) SendWs(c, net::Opcode::kPong, ev.payload);
        break;
      case net::WsEvent::Kind::kPong:
        c->pong_seen = true;
        break;
      case net::WsEvent::Kind::kClose:
        if (c->phase == Conn::Phase::kWebSocket) {
          // Echo the code, as RFC 6455 asks, then close.
          CloseWs(c, ev.close_code == net::kCloseNoStatus ? uint16_t{net::kCloseNormal} : ev.close_code, "");
        }
        CloseAfterWrites(c);
        return;
    }
  }
  if (!ok && c->phase == Conn::Phase::kWebSocket) {
    Error(c->ws->error_code() == net::kCloseMessageTooBig ? "too_big" : "protocol");
    if (options_.verbose) Log("conn %" PRIu64 ": %s", c->id, c->ws->error_reason().c_str());
    CloseWs(c, c->ws->error_code(), c->ws->error_reason());
    // The stream cannot be parsed any further: fail the connection (RFC 6455 7.1.7).
    CloseAfterWrites(c);
  }
}

void Server::OnWsMessage(Conn* c, const std::string& payload) {
  ++metrics_.messages_in;
  Room* room = c->room;
  auto now = static_cast<int64_t>(uv_now(loop_));
  // Token bucket: max_message_rate per second, bursts of two seconds' worth.
  double cap = options_.max_message_rate * 2;
  c->rate_tokens = std::min(cap, c->rate_tokens + static_cast<double>(now - c->rate_at_ms) * options_.max_message_rate / 1000.0);
  c->rate_at_ms = now;
  if (c->rate_tokens < 1) {
    Error("rate_limit");
    CloseWs(c, net::kClosePolicyViolation, "message rate limit exceeded");
    return;
  }
  c->rate_tokens -= 1;
  const auto* bytes = reinterpret_cast<const uint8_t*>(payload.data());
  codesync_message_kind kind;
  const uint8_t* body = nullptr;
  size_t body_len = 0;
  if (codesync_sync_decode(bytes, payload.size(), &kind, &body, &body_len) != CODESYNC_OK) {
    Error("malformed");
    CloseWs(c, net::kCloseInvalidPayload, std::string("malformed message: ") + codesync_last_error());
    return;
  }
  bool writes = kind == CODESYNC_MESSAGE_SYNC_STEP2 || kind == CODESYNC_MESSAGE_SYNC_UPDATE;
  if (writes && !c->read_only && room->snapshot_bytes + room->log_bytes + body_len > options_.max_doc_bytes) {
    Error("doc_limit");
    CloseWs(c, net::kCloseMessageTooBig, "document size limit reached");
    return;
  }
  if (writes && c->read_only && kind == CODESYNC_MESSAGE_SYNC_UPDATE) Error("read_only_write");
  int rc = codesync_room_receive(room->room, c->id, bytes, payload.size(), now);
  if (rc == CODESYNC_ERR_MALFORMED) {
    Error("malformed");
    CloseWs(c, net::kCloseInvalidPayload, std::string("malformed update: ") + codesync_last_error());
    return;
  }
  if (rc != CODESYNC_OK) {
    Error("internal");
    CloseWs(c, net::kCloseInternalError, codesync_last_error());
    return;
  }
  MarkDirty(room);
  // y-websocket's own server sends awareness changes back to their sender too;
  // clients rely on it to see traffic while alone in a room.
  if (kind == CODESYNC_MESSAGE_AWARENESS) {
    room->awareness_echo.push_back(c->id);
    room->awareness_echo_frames.push_back(payload);
  }
}

void Server::SendWs(Conn* c, net::Opcode opcode, std::string_view payload) {
  if (c->tcp->closing()) return;
  if (!c->queued) {
    c->queued = true;
    queued_out_.push_back(c);
  }
  size_t before = c->out.size();
  net::AppendWsFrame(&c->out, opcode, payload);
  metrics_.bytes_out += c->out.size() - before;
  if (c->tcp->pending_write_bytes() + c->out.size() > kMaxPendingWriteBytes) {
    Error("slow_consumer");
    c->out.clear();
    c->tcp->Close();
  }
}

void Server::WriteQueued(Conn* c) {
  if (c->out.empty()) return;
  c->tcp->WriteFrom(&c->out);
}

void Server::WriteAllQueued() {
  for (Conn* c : queued_out_) {
    c->queued = false;
    WriteQueued(c);
  }
  queued_out_.clear();
}

void Server::CloseAfterWrites(Conn* c) {
  WriteQueued(c);
  c->tcp->CloseAfterWrites();
}

void Server::CloseWs(Conn* c, uint16_t code, const std::string& reason) {
  if (c->phase != Conn::Phase::kWebSocket) return;
  SendWs(c, net::Opcode::kClose, net::EncodeClosePayload(code, reason));
  c->phase = Conn::Phase::kClosing;
  c->closing_since_ms = static_cast<int64_t>(uv_now(loop_));
  closing_conns_.push_back(c->id);
  --ws_connections_;
  if (Room* room = c->room) {
    codesync_room_detach(room->room, c->id, static_cast<int64_t>(uv_now(loop_)));
    room->conns.erase(c->id);
    if (room->conns.empty()) {
      room->empty_since_ms = static_cast<int64_t>(uv_now(loop_));
      empty_rooms_.insert(room);
    }
    MarkDirty(room);
    c->room = nullptr;
  }
  if (options_.verbose) Log("conn %" PRIu64 ": closing (%u %s)", c->id, code, reason.c_str());
}

void Server::OnClosed(Conn* c) {
  if (c->phase == Conn::Phase::kWebSocket) {
    --ws_connections_;
    if (Room* room = c->room) {
      codesync_room_detach(room->room, c->id, static_cast<int64_t>(uv_now(loop_)));
      room->conns.erase(c->id);
      if (room->conns.empty()) {
        room->empty_since_ms = static_cast<int64_t>(uv_now(loop_));
        empty_rooms_.insert(room);
      }
      MarkDirty(room);
    }
    if (options_.verbose) Log("conn %" PRIu64 ": gone", c->id);
  }
  if (c->queued) std::erase(queued_out_, c);
  conns_.erase(c->id);
}

// ---- rooms and persistence ----------------------------------------------------

void Server::OnDocUpdate(const uint8_t* update, size_t len, const char*, void* user_data) {
  auto* room = static_cast<Room*>(user_data);
  room->unsaved.emplace_back(reinterpret_cast<const char*>(update), len);
  room->server->MarkDirty(room);
}

Room* Server::GetOrLoadRoom(const std::string& id, std::string* error) {
  if (auto it = rooms_.find(id); it != rooms_.end()) return it->second.get();
  // Dropped while its rows were still with the writer: read them, not around them.
  if (dropped_in_flight_.count(id)) writer_.Drain();
  LoadedRoom loaded;
  if (!store_.Load(id, &loaded)) {
    Error("storage");
    *error = "storage error: " + store_.error();
    Log("error: room %s cannot be loaded: %s", id.c_str(), error->c_str());
    return nullptr;
  }
  auto room = std::make_unique<Room>();
  room->server = this;
  room->id = id;
  room->room = codesync_room_new(nullptr);
  codesync_doc* doc = codesync_room_doc(room->room);
  auto fail = [&](std::string why) -> Room* {
    *error = std::move(why);
    codesync_room_free(room->room);
    return nullptr;
  };
  if (!ApplyStoredRoom(doc, loaded, id, error)) {
    Error("corrupt_snapshot");
    Log("error: room %s refused: %s", id.c_str(), error->c_str());
    codesync_room_free(room->room);
    return nullptr;
  }
  if (!store_.EnsureRoom(id, WallMs())) {
    Error("storage");
    return fail("storage error: " + store_.error());
  }
  room->next_seq = loaded.last_seq + 1;
  room->log_rows = static_cast<int64_t>(loaded.updates.size());
  room->log_bytes = loaded.log_bytes;
  room->snapshot_bytes = loaded.snapshot.size();
  room->generation = next_generation_++;
  room->empty_since_ms = static_cast<int64_t>(uv_now(loop_));
  room->updates_sub = codesync_doc_observe_updates(doc, OnDocUpdate, room.get());
  ++metrics_.rooms_loaded_total;
  if (options_.verbose) {
    Log("room %s loaded (%zu snapshot bytes, %zu log rows)", id.c_str(), loaded.snapshot.size(), loaded.updates.size());
  }
  Room* raw = room.get();
  live_rooms_[raw->generation] = raw;
  rooms_[id] = std::move(room);
  empty_rooms_.insert(raw);
  return raw;
}

void Server::Flush() {
  if (!dirty_rooms_.empty()) FlushRooms();
  WriteAllQueued();  // each connection's frames of this iteration in one write
}

void Server::FlushRooms() {
  flushing_.swap(dirty_rooms_);  // what the loop below marks dirty waits for the next Flush
  std::vector<Room*>& dirty = flushing_;
  std::unique_ptr<WriteJob> job;
  PendingBatch batch;
  for (Room* r : dirty) {
    r->dirty = false;
    PendingRoom pr;
    pr.room = r;
    pr.generation = r->generation;
    if (!r->unsaved.empty()) {
      if (!job) job = std::make_unique<WriteJob>();
      for (std::string& u : r->unsaved) {
        r->log_bytes += u.size();
        job->appends.push_back(WriteJob::Append{r->id, r->next_seq++, std::move(u)});
      }
      pr.appended = r->unsaved.size();
      r->log_rows += static_cast<int64_t>(pr.appended);
      r->unsaved.clear();
      ++r->in_flight;
    }
    uint64_t conn_id = 0;
    codesync_buffer frame = {nullptr, 0};
    while (codesync_room_next_message(r->room, &conn_id, &frame) == 1) pr.frames.emplace_back(conn_id, frame);
    for (size_t i = 0; i < r->awareness_echo.size(); ++i) {
      pr.echoes.emplace_back(r->awareness_echo[i], std::move(r->awareness_echo_frames[i]));
    }
    r->awareness_echo.clear();
    r->awareness_echo_frames.clear();
    if (pr.appended > 0 || !pr.frames.empty() || !pr.echoes.empty()) batch.rooms.push_back(std::move(pr));
  }
  bool submitted = job != nullptr;
  if (submitted) last_job_ = writer_.Submit(std::move(job));
  if (!submitted && pending_.empty()) {
    // Nothing new to store and nothing earlier waiting: no reason to wait.
    for (PendingRoom& pr : batch.rooms) Deliver(pr.room, pr);
  } else if (!batch.rooms.empty()) {
    // Behind this iteration's commit, or behind earlier frames (order per connection).
    batch.job_id = last_job_;
    pending_.push_back(std::move(batch));
  }
  // After the rows: a compaction job covers them and is queued behind them.
  for (Room* r : dirty) MaybeCompact(r);
  dirty.clear();
}

void Server::Deliver(Room* r, PendingRoom& pr) {
  for (OwnedFrame& f : pr.frames) {
    auto it = r->conns.find(f.conn);
    if (it != r->conns.end()) {
      SendWs(it->second, net::Opcode::kBinary, std::string_view(reinterpret_cast<const char*>(f.buf.data), f.buf.len));
    }
  }
  for (auto& [conn_id, payload] : pr.echoes) {
    auto it = r->conns.find(conn_id);
    if (it != r->conns.end()) SendWs(it->second, net::Opcode::kBinary, payload);
  }
}

void Server::OnWritesDone(std::vector<std::unique_ptr<WriteJob>>& jobs) {
  if (destroying_) return;
  for (auto& job : jobs) {
    if (job->snapshot) {
      ServerAccess::Compacted(this, job.get());
      continue;
    }
    if (!job->ok) {
      Log("error: storing updates failed: %s", job->error.c_str());
      Error("storage");
    }
    // Jobs come back in order: every batch up to this job's is now decided.
    while (!pending_.empty() && pending_.front().job_id <= job->id) {
      PendingBatch b = std::move(pending_.front());
      pending_.pop_front();
      bool ok = b.job_id != job->id || job->ok;
      for (PendingRoom& pr : b.rooms) {
        auto it = live_rooms_.find(pr.generation);
        if (it == live_rooms_.end()) continue;  // dropped or unloaded meanwhile
        Room* r = it->second;
        if (pr.appended > 0) --r->in_flight;
        if (!ok && pr.appended > 0) {
          // What it holds was never stored: nobody may see it. Clients resync on reconnect.
          DropRoom(r, net::kCloseInternalError, "storage error");
          continue;
        }
        metrics_.updates_stored += pr.appended;
        Deliver(r, pr);
      }
    }
  }
  if (!writer_.busy()) dropped_in_flight_.clear();
}

void Server::MaybeCompact(Room* room) {
  if (!room->compacting && room->log_rows >= static_cast<int64_t>(options_.compact_after)) {
    ServerAccess::StartCompaction(this, room);
  }
}

void ServerAccess::StartCompaction(Server* s, Room* room) {
  // The container names its room and says what it is, for whoever reads the
  // database or an export later; the checksum catches a damaged row.
  std::optional<RoomRecord> rec = s->store_.GetRoom(room->id);
  std::string meta = "{\"room_name\":" + JsonQuote(rec ? rec->name : room->id) +
                     ",\"language\":" + JsonQuote(rec ? rec->language : "") +
                     ",\"compacted_at\":" + JsonQuote(IsoTime(WallMs())) + "}";
  codesync_buffer state = {nullptr, 0};
  if (codesync_doc_save_container(codesync_room_doc(room->room), room->id.c_str(), meta.data(), meta.size(), &state) !=
      CODESYNC_OK) {
    Log("error: room %s: encoding its state failed: %s", room->id.c_str(), codesync_last_error());
    return;
  }
  // On the writer thread, queued behind the rows it covers.
  auto job = std::make_unique<WriteJob>();
  job->snapshot = true;
  job->room = room->id;
  job->generation = room->generation;
  job->covers_seq = room->next_seq - 1;
  job->bytes_at_start = room->log_bytes;
  job->data.assign(reinterpret_cast<const char*>(state.data), state.len);
  codesync_buffer_free(&state);
  room->compacting = true;
  ++s->compactions_in_flight_[room->id];
  s->writer_.Submit(std::move(job));
}

void ServerAccess::Compacted(Server* s, WriteJob* job) {
  if (--s->compactions_in_flight_[job->room] == 0) s->compactions_in_flight_.erase(job->room);
  if (job->ok) {
    ++s->metrics_.compactions;
    if (s->options_.verbose) {
      Log("room %s compacted: %zu log rows into a %zu-byte snapshot", job->room.c_str(), job->rows_deleted,
          job->data.size());
    }
  } else {
    s->Error("storage");
    Log("error: room %s: compaction failed: %s", job->room.c_str(), job->error.c_str());
  }
  auto it = s->rooms_.find(job->room);
  if (it != s->rooms_.end() && it->second->generation == job->generation) {
    Room* room = it->second.get();
    room->compacting = false;
    if (job->ok) {
      room->log_rows = room->next_seq - 1 - job->covers_seq;
      room->log_bytes -= std::min(room->log_bytes, job->bytes_at_start);
      room->snapshot_bytes = job->data.size();
    }
  }
  // A room deleted while this job ran: its snapshot must not survive it.
  auto del = std::find(s->deleted_while_compacting_.begin(), s->deleted_while_compacting_.end(), job->room);
  if (del != s->deleted_while_compacting_.end() && !s->compactions_in_flight_.count(job->room)) {
    s->deleted_while_compacting_.erase(del);
    bool existed = false;
    if (!s->store_.DeleteRoom(job->room, &existed)) Log("error: deleting room %s: %s", job->room.c_str(), s->store_.error().c_str());
  }
}

void Server::Unload(Room* room) {
  // Compact first, so the next load reads one snapshot instead of the log.
  if (room->log_rows > 0 && !room->compacting) ServerAccess::StartCompaction(this, room);
  codesync_unobserve(room->updates_sub);
  codesync_room_free(room->room);
  ++metrics_.rooms_unloaded_total;
  if (options_.verbose) Log("room %s unloaded", room->id.c_str());
  ForgetRoom(room);
  rooms_.erase(room->id);
}

void Server::DropRoom(Room* room, uint16_t code, const std::string& reason) {
  std::vector<Conn*> conns;
  for (auto& [id, c] : room->conns) conns.push_back(c);
  for (Conn* c : conns) CloseWs(c, code, reason);
  codesync_unobserve(room->updates_sub);
  codesync_room_free(room->room);
  ForgetRoom(room);
  rooms_.erase(room->id);
}

void Server::ForgetRoom(Room* room) {
  live_rooms_.erase(room->generation);
  if (room->in_flight > 0) dropped_in_flight_.insert(room->id);
  std::erase(dirty_rooms_, room);
  empty_rooms_.erase(room);
}

void Server::Sweep() {
  auto now = static_cast<int64_t>(uv_now(loop_));
  if (now - last_tick_ms_ >= kTickIntervalMs || shutting_down_) {
    last_tick_ms_ = now;
    for (auto& [id, room] : rooms_) {
      codesync_room_tick(room->room, now);  // expires awareness states
      if (codesync_room_pending_messages(room->room) > 0) MarkDirty(room.get());
    }
    std::erase_if(deleted_until_, [now](const auto& kv) { return kv.second <= now; });
  }
  std::vector<Room*> idle;
  for (Room* r : empty_rooms_) {
    if (r->conns.empty() && !r->dirty && r->unsaved.empty() && r->in_flight == 0 &&
        (shutting_down_ || now - r->empty_since_ms >= options_.unload_after_ms)) {
      idle.push_back(r);
    }
  }
  for (Room* r : idle) Unload(r);
  std::vector<uint64_t> still_closing;
  for (uint64_t id : closing_conns_) {
    auto it = conns_.find(id);
    if (it == conns_.end()) continue;  // gone
    if (now - it->second->closing_since_ms >= kClosingTimeoutMs) {
      it->second->tcp->Close();
    } else {
      still_closing.push_back(id);
    }
  }
  closing_conns_.swap(still_closing);
  Flush();  // what the ticks queued goes out now, not after the next poll
  if (shutting_down_ && conns_.empty() && rooms_.empty()) {
    // Everything is flushed and closed: let the loop end. The writer finishes
    // what is queued (the unloads' compactions) first.
    writer_.Stop();
    uv_close(reinterpret_cast<uv_handle_t*>(&flush_check_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&sweep_timer_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&ping_timer_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&stall_prepare_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&sigint_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&sigterm_), nullptr);
  }
}

void Server::Shutdown() {
  if (shutting_down_ || !started_) return;
  shutting_down_ = true;
  Log("shutting down: flushing and closing %zu connection(s)", ws_connections_);
  uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
  Flush();  // everything applied is stored and sent before the close frames
  writer_.Drain();
  std::vector<Conn*> all;
  for (auto& [id, c] : conns_) all.push_back(c.get());
  for (Conn* c : all) {
    if (c->phase == Conn::Phase::kWebSocket) {
      CloseWs(c, net::kCloseGoingAway, "server shutting down");
    } else if (c->phase == Conn::Phase::kHttp) {
      CloseAfterWrites(c);
    }
  }
  Flush();
  uv_timer_stop(&ping_timer_);
}

// ---- HTTP: REST, metrics, static files ------------------------------------------

bool Server::Authorize(const net::HttpRequest& req, const std::string& room, bool write, bool whole_list, int* status,
                       std::string* why, bool* read_only) {
  *read_only = false;
  if (options_.auth_secret.empty()) return true;
  std::string token;
  if (const std::string* auth = req.Header("authorization"); auth && auth->rfind("Bearer ", 0) == 0) {
    token = auth->substr(7);
  } else {
    auto q = net::ParseQuery(req.query);
    if (auto it = q.find("token"); it != q.end()) token = it->second;
  }
  if (token.empty()) {
    *status = 401;
    *why = "token required (?token= or Authorization: Bearer)";
    return false;
  }
  std::optional<TokenClaims> claims = VerifyToken(options_.auth_secret, token, UnixNow(), why);
  if (!claims) {
    *status = 401;
    return false;
  }
  if (whole_list ? !(claims->is_prefix && claims->room.empty()) : !claims->Covers(room)) {
    *status = 403;
    *why = whole_list ? "this needs a token for every room (--prefix \"\")" : "token is for another room";
    return false;
  }
  if (write && claims->read_only) {
    *status = 403;
    *why = "read-only token";
    return false;
  }
  *read_only = claims->read_only;
  return true;
}

void Server::HandleRest(Conn* c, const net::HttpRequest& req, bool keep_alive) {
  const std::string& m = req.method;
  const std::string& path = req.path;
  auto json = [&](int status, const std::string& body) { SendHttp(c, status, "application/json", body, keep_alive, kCors); };
  auto error = [&](int status, const std::string& why) { json(status, JsonError(why)); };
  int status = 0;
  std::string why;
  bool read_only = false;

  if (m == "OPTIONS") {
    SendHttp(c, 204, "", "", keep_alive,
             {{"Access-Control-Allow-Origin", "*"}, {"Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS"},
              {"Access-Control-Allow-Headers", "Authorization, Content-Type"}});
    return;
  }
  if (path == "/health") {
    if (m != "GET" && m != "HEAD") return error(405, "GET only");
    return json(200, "{\"status\":\"ok\",\"rooms_loaded\":" + std::to_string(rooms_.size()) +
                         ",\"connections\":" + std::to_string(ws_connections_) + "}");
  }
  if (path == "/metrics") {
    if (m != "GET" && m != "HEAD") return error(405, "GET only");
    return SendHttp(c, 200, "text/plain; version=0.0.4; charset=utf-8", MetricsText(), keep_alive);
  }
  if (path == "/rooms") {
    if (m == "POST") {
      if (!Authorize(req, "", true, true, &status, &why, &read_only)) return error(status, why);
      std::string err;
      std::optional<Json> body = ParseJson(req.body, &err);
      if (!body || body->type != Json::Type::kObject) return error(400, "body must be a JSON object: " + err);
      const Json* name = body->Get("name");
      const Json* language = body->Get("language");
      const Json* id = body->Get("id");
      if (!name || !name->is_string() || name->string.empty() || name->string.size() > 200) {
        return error(400, "\"name\" must be a string of 1 to 200 bytes");
      }
      if (language && (!language->is_string() || language->string.size() > 64)) {
        return error(400, "\"language\" must be a string of at most 64 bytes");
      }
      if (id && (!id->is_string() || id->string.empty() || id->string.size() > kMaxRoomIdBytes ||
                 id->string.find_first_of(std::string("?#\0", 3)) != std::string::npos)) {
        return error(400, "\"id\" must be a non-empty string without '?', '#' or NUL");
      }
      RoomRecord rec{id ? id->string : RandomId(), name->string, language ? language->string : "plaintext", WallMs()};
      if (!store_.CreateRoom(rec)) {
        if (store_.error() == "exists") return error(409, "a room with that id exists");
        Error("storage");
        return error(500, "storage error: " + store_.error());
      }
      deleted_until_.erase(rec.id);  // created again on purpose
      return json(201, RoomJson(rec, 0, false));
    }
    if (m != "GET" && m != "HEAD") return error(405, "GET or POST");
    if (!Authorize(req, "", false, true, &status, &why, &read_only)) return error(status, why);
    auto q = net::ParseQuery(req.query);
    size_t limit = 50;
    if (auto it = q.find("limit"); it != q.end()) {
      char* end = nullptr;
      long v = std::strtol(it->second.c_str(), &end, 10);
      if (it->second.empty() || *end != '\0' || v < 1 || v > 1000) return error(400, "limit must be 1 to 1000");
      limit = static_cast<size_t>(v);
    }
    std::vector<RoomRecord> rows;
    if (!store_.ListRooms(q.count("cursor") ? q["cursor"] : "", limit + 1, &rows)) {
      Error("storage");
      return error(500, "storage error: " + store_.error());
    }
    bool more = rows.size() > limit;
    if (more) rows.resize(limit);
    std::string out = "{\"rooms\":[";
    for (size_t i = 0; i < rows.size(); ++i) {
      auto it = rooms_.find(rows[i].id);
      out += (i ? "," : "") + RoomJson(rows[i], it == rooms_.end() ? 0 : it->second->conns.size(), it != rooms_.end());
    }
    out += "],\"next_cursor\":" + (more ? JsonQuote(rows.back().id) : std::string("null")) + "}";
    return json(200, out);
  }
  if (path.rfind("/rooms/", 0) == 0 && path.size() > 7) {
    std::string id = path.substr(7);
    if (m == "DELETE") {
      if (!Authorize(req, id, true, false, &status, &why, &read_only)) return error(status, why);
      auto it = rooms_.find(id);
      bool was_loaded = it != rooms_.end();
      if (was_loaded) DropRoom(it->second.get(), kCloseRoomDeleted, "room deleted");
      writer_.Drain();  // its rows and snapshots still queued land before the delete, not after
      bool existed = false;
      if (!store_.DeleteRoom(id, &existed)) {
        Error("storage");
        return error(500, "storage error: " + store_.error());
      }
      if (compactions_in_flight_.count(id)) deleted_while_compacting_.push_back(id);
      if (!existed && !was_loaded) return error(404, "no such room");
      // Providers reconnect by themselves: keep them from bringing the room back at once.
      if (options_.deleted_room_block_ms > 0) {
        deleted_until_[id] = static_cast<int64_t>(uv_now(loop_)) + options_.deleted_room_block_ms;
      }
      return SendHttp(c, 204, "", "", keep_alive, kCors);
    }
    if (m != "GET" && m != "HEAD") return error(405, "GET or DELETE");
    if (!Authorize(req, id, false, false, &status, &why, &read_only)) return error(status, why);
    std::optional<RoomRecord> rec = store_.GetRoom(id);
    if (!rec) {
      if (!store_.error().empty()) return error(500, "storage error: " + store_.error());
      return error(404, "no such room");
    }
    std::string err;
    Room* room = GetOrLoadRoom(id, &err);  // unloaded again by the sweep when nobody joins
    if (room == nullptr) return error(500, "room cannot be loaded: " + err);  // counted and logged
    if (room->in_flight > 0) writer_.Drain();  // show only what is stored
    codesync_doc* doc = codesync_room_doc(room->room);
    codesync_buffer text = {nullptr, 0}, all = {nullptr, 0};
    std::string text_json = "null", doc_json = "null";
    if (codesync_text* t = codesync_doc_text(doc, options_.text_name.c_str());
        t && codesync_text_string(t, &text) == CODESYNC_OK) {
      text_json = JsonQuote(std::string_view(reinterpret_cast<const char*>(text.data), text.len));
    }
    if (codesync_doc_to_json(doc, &all) == CODESYNC_OK) {
      doc_json.assign(reinterpret_cast<const char*>(all.data), all.len);
    }
    codesync_buffer_free(&text);
    codesync_buffer_free(&all);
    std::string out = RoomJson(*rec, room->conns.size(), true);
    out.pop_back();
    out += ",\"text_name\":" + JsonQuote(options_.text_name) + ",\"text\":" + text_json + ",\"doc\":" + doc_json + "}";
    return json(200, out);
  }
  HandleStatic(c, req, keep_alive);
}

void Server::HandleStatic(Conn* c, const net::HttpRequest& req, bool keep_alive) {
  if (req.method != "GET" && req.method != "HEAD") {
    return SendHttp(c, 405, "application/json", JsonError("method not allowed"), keep_alive);
  }
  auto not_found = [&]() { SendHttp(c, 404, "application/json", JsonError("not found"), keep_alive); };
  if (options_.static_dir.empty()) {
    if (req.path != "/") return not_found();
    return SendHttp(c, 200, "text/plain; charset=utf-8",
                    "codesync-server: connect a y-websocket client to ws://<host>:<port>/<room>\n", keep_alive);
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path root = fs::canonical(options_.static_dir, ec);
  if (ec) return not_found();
  fs::path p = root;
  std::string_view rest = req.path;
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    rest.remove_prefix(slash == std::string_view::npos ? rest.size() : slash + 1);
    if (seg.empty() || seg == ".") continue;
    // No parent steps, no hidden files, no NUL: nothing outside the directory is reachable.
    if (seg == ".." || seg[0] == '.' || seg.find('\0') != std::string_view::npos) return not_found();
    p /= std::string(seg);
  }
  if (fs::is_directory(p, ec)) p /= "index.html";
  fs::path real = fs::canonical(p, ec);
  if (ec || !fs::is_regular_file(real, ec)) return not_found();
  std::string r = real.string(), base = root.string();
  if (r.compare(0, base.size(), base) != 0 || (r.size() > base.size() && r[base.size()] != '/')) return not_found();
  std::ifstream in(real, std::ios::binary);
  std::stringstream body;
  body << in.rdbuf();
  if (!in) {
    return SendHttp(c, 500, "application/json", JsonError("cannot read file"), keep_alive);
  }
  SendHttp(c, 200, ContentType(real), body.str(), keep_alive, {{"Cache-Control", "no-cache"}});
}

std::string Server::MetricsText() {
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help, uint64_t value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
           std::to_string(value) + "\n";
  };
  int64_t stored = store_.CountRooms();
  metric("codesync_rooms", "gauge", "Rooms in the store.", stored < 0 ? 0 : static_cast<uint64_t>(stored));
  metric("codesync_rooms_loaded", "gauge", "Rooms held in memory.", rooms_.size());
  metric("codesync_connections", "gauge", "Open WebSocket connections.", ws_connections_);
  metric("codesync_connections_total", "counter", "WebSocket connections accepted.", metrics_.connections_total);
  metric("codesync_bytes_received_total", "counter", "Bytes read from clients.", metrics_.bytes_in);
  metric("codesync_bytes_sent_total", "counter", "Bytes written to clients.", metrics_.bytes_out);
  metric("codesync_messages_received_total", "counter", "WebSocket messages received.", metrics_.messages_in);
  metric("codesync_updates_total", "counter", "Document updates stored.", metrics_.updates_stored);
  metric("codesync_http_requests_total", "counter", "HTTP requests, upgrades included.", metrics_.http_requests);
  metric("codesync_compactions_total", "counter", "Log compactions into snapshots.", metrics_.compactions);
  metric("codesync_rooms_unloaded_total", "counter", "Rooms unloaded from memory.", metrics_.rooms_unloaded_total);
  out += "# HELP codesync_errors_total Refused or failed requests, messages and connections, by kind.\n"
         "# TYPE codesync_errors_total counter\n";
  for (const auto& [kind, n] : metrics_.errors) {
    out += "codesync_errors_total{kind=\"" + kind + "\"} " + std::to_string(n) + "\n";
  }
  if (metrics_.errors.empty()) out += "codesync_errors_total{kind=\"none\"} 0\n";
  // How long the loop ran between two polls: a stall here delays every room's fan-out.
  const Histogram& h = metrics_.loop_busy;
  out += "# HELP codesync_loop_busy_seconds Event loop iterations by the time they ran (poll return to next poll).\n"
         "# TYPE codesync_loop_busy_seconds histogram\n";
  uint64_t cumulative = 0;
  char line[512];
  for (size_t i = 0; i <= std::size(Histogram::kBounds); ++i) {
    cumulative += h.counts[i];
    if (i < std::size(Histogram::kBounds)) {
      std::snprintf(line, sizeof line, "codesync_loop_busy_seconds_bucket{le=\"%g\"} %" PRIu64 "\n", Histogram::kBounds[i],
                    cumulative);
    } else {
      std::snprintf(line, sizeof line, "codesync_loop_busy_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", cumulative);
    }
    out += line;
  }
  std::snprintf(line, sizeof line, "codesync_loop_busy_seconds_sum %.6f\ncodesync_loop_busy_seconds_count %" PRIu64 "\n",
                h.sum, cumulative);
  out += line;
  std::snprintf(line, sizeof line,
                "# HELP codesync_loop_busy_max_seconds The longest loop iteration so far.\n"
                "# TYPE codesync_loop_busy_max_seconds gauge\ncodesync_loop_busy_max_seconds %.6f\n",
                h.max);
  out += line;
  std::snprintf(line, sizeof line,
                "# HELP codesync_loop_cpu_max_seconds The most CPU time one loop iteration used (waits for a CPU not "
                "included).\n# TYPE codesync_loop_cpu_max_seconds gauge\ncodesync_loop_cpu_max_seconds %.6f\n",
                metrics_.loop_cpu_max);
  out += line;
  return out;
}

}  // namespace codesync::server
