// codesync-load: a y-websocket load generator on one libuv loop.
//
// N clients over M rooms (client i is in room i % M). Every client does the
// y-websocket handshake (sends SyncStep1, answers the server's SyncStep1 with
// SyncStep2, counts as synced once the server's SyncStep2 arrives). The first
// W clients of each room are writers: each owns a codesync document with its
// own client id and sends one small text insert per edit as a real Yjs
// update. Edits follow an open-loop schedule: edit k of a phase is due at
// start + k / rate whatever the server does, so a slow server cannot slow the
// generator down and hide its own latency (no coordinated omission).
//
// Latency of an edit at a receiver = the time its update (or a later update
// covering it) arrives at that receiver minus the time the edit was due. A
// receipt is recognised by (client id, clock): the state vector of every
// received update says how far each writer's edits have arrived, so merged or
// batched broadcasts are counted correctly. Readers keep no document (their
// CPU is better left to the server); writers apply what they receive.
//
// Output: one JSON line per rate on stdout (and appended to --json FILE), a
// human summary on stderr. Everything is bounded: connection set-up by
// --connect-timeout, each rate by --warmup + --duration + --drain.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <uv.h>

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "codesync.h"
#include "ws_client.h"

namespace {

using codesync::net::WsClient;
using codesync::net::WsClientCallbacks;
using codesync::net::WsClientOptions;

constexpr const char* kUsage = R"(usage: codesync-load [options]

  --url URL              server, ws://HOST:PORT/PREFIX; rooms are PREFIX + "r<i>"
                         (default ws://127.0.0.1:1234/). HOST must be loopback.
  --clients N            connections (default 1000)
  --rooms M              rooms; client i joins room i % M (default 100)
  --writers-per-room W   clients per room that edit (default 2)
  --rate R[,R2,...]      total edits/s over all writers; several rates run one
                         after another on the same connections (default 500)
  --duration S           measured seconds per rate (default 10)
  --warmup S             seconds of edits before measuring, per rate (default 2)
  --drain S              at most this long after the last edit for deliveries (default 5)
  --stop-p99 MS          stop the rate list after --stop-after rates in a row whose
                         p99 exceeds MS or that lose deliveries (default 0: run every rate)
  --stop-after K         failing rates in a row that stop the list (default 2: one
                         noisy phase on a shared machine does not end a sweep)
  --server-pid PID       read VmRSS/VmHWM and CPU time of this process
  --loop-metrics         read codesync-server's /metrics (same host and port) as each
                         measured window starts and ends: its loop iterations over
                         20 ms and 50 ms within the window (codesync_loop_busy_seconds)
  --label NAME           name of the server in the output (default "server")
  --bind A.B.C.D[-E]     source addresses to spread clients over, e.g.
                         127.0.0.2-17 (default; "" = let the kernel choose)
  --connect-concurrency K  handshakes in flight at once (default 256)
  --connect-timeout S    give up on clients not synced by then (default 120)
  --json FILE            also append the JSON lines to FILE
  --seed N               writer order and cursor jumps (default 1)
)";

struct Options {
  std::string url = "ws://127.0.0.1:1234/";
  std::string host = "127.0.0.1";
  int port = 1234;
  std::string prefix = "/";
  int clients = 1000;
  int rooms = 100;
  int writers_per_room = 2;
  std::vector<double> rates = {500};
  double duration_s = 10;
  double warmup_s = 2;
  double drain_s = 5;
  double stop_p99_ms = 0;
  int stop_after = 2;
  int server_pid = 0;
  bool loop_metrics = false;
  std::string label = "server";
  std::vector<std::string> bind = {};
  int connect_concurrency = 256;
  double connect_timeout_s = 120;
  std::string json_path;
  uint64_t seed = 1;
};

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "codesync-load: %s\n", why.c_str());
  std::exit(2);
}

double ParseNumber(const std::string& flag, const std::string& v, double lo, double hi) {
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || errno != 0 || !std::isfinite(d) || d < lo || d > hi) {
    std::ostringstream os;
    os << flag << ": '" << v << "' is not a number in [" << lo << ", " << hi << "]";
    Die(os.str());
  }
  return d;
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  sockaddr_in a{};
  return uv_ip4_addr(host.c_str(), 0, &a) == 0 && (ntohl(a.sin_addr.s_addr) >> 24) == 127;
}

// "127.0.0.2-17" -> 127.0.0.2 ... 127.0.0.17; "127.0.0.5" -> itself.
std::vector<std::string> ParseBind(const std::string& v) {
  if (v.empty()) return {};
  size_t dash = v.find('-');
  std::string first = v.substr(0, dash);
  sockaddr_in a{};
  if (uv_ip4_addr(first.c_str(), 0, &a) != 0 || (ntohl(a.sin_addr.s_addr) >> 24) != 127) {
    Die("--bind: '" + v + "' is not a 127.x.x.x address or range");
  }
  if (dash == std::string::npos) return {first};
  uint32_t base = ntohl(a.sin_addr.s_addr);
  int lo = static_cast<int>(base & 0xFF);
  int hi = static_cast<int>(ParseNumber("--bind", v.substr(dash + 1), lo, 254));
  std::vector<std::string> out;
  for (int i = lo; i <= hi; ++i) {
    uint32_t ip = (base & 0xFFFFFF00u) | static_cast<uint32_t>(i);
    out.push_back(std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 0xFF) + "." +
                  std::to_string((ip >> 8) & 0xFF) + "." + std::to_string(ip & 0xFF));
  }
  return out;
}

void ParseUrl(Options* o) {
  const std::string& url = o->url;
  if (url.rfind("ws://", 0) != 0) Die("--url: only ws:// URLs (got '" + url + "')");
  std::string rest = url.substr(5);
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  o->prefix = slash == std::string::npos ? "/" : rest.substr(slash);
  std::string host = authority;
  std::string port = "80";
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) Die("--url: bad IPv6 address in '" + url + "'");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else if (size_t colon = authority.rfind(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  o->port = static_cast<int>(ParseNumber("--url port", port, 1, 65535));
  if (!IsLoopbackHost(host)) Die("--url: only loopback targets (127.0.0.0/8, localhost, ::1); got '" + host + "'");
  o->host = host == "localhost" ? "127.0.0.1" : host;
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  std::string bind = "127.0.0.2-17";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (a == "--loop-metrics") {  // a flag: no value
      o.loop_metrics = true;
      continue;
    }
    if (i + 1 >= argc) Die(a + ": needs a value (see --help)");
    std::string v = argv[++i];
    if (a == "--url") o.url = v;
    else if (a == "--clients") o.clients = static_cast<int>(ParseNumber(a, v, 1, 100000));
    else if (a == "--rooms") o.rooms = static_cast<int>(ParseNumber(a, v, 1, 100000));
    else if (a == "--writers-per-room") o.writers_per_room = static_cast<int>(ParseNumber(a, v, 1, 1000));
    else if (a == "--rate") {
      o.rates.clear();
      std::stringstream ss(v);
      std::string item;
      while (std::getline(ss, item, ',')) o.rates.push_back(ParseNumber(a, item, 0.1, 1e6));
      if (o.rates.empty()) Die("--rate: no rate given");
    } else if (a == "--duration") o.duration_s = ParseNumber(a, v, 0.1, 3600);
    else if (a == "--warmup") o.warmup_s = ParseNumber(a, v, 0, 600);
    else if (a == "--drain") o.drain_s = ParseNumber(a, v, 0.1, 600);
    else if (a == "--stop-p99") o.stop_p99_ms = ParseNumber(a, v, 0, 1e6);
    else if (a == "--stop-after") o.stop_after = static_cast<int>(ParseNumber(a, v, 1, 1000));
    else if (a == "--server-pid") o.server_pid = static_cast<int>(ParseNumber(a, v, 0, 1 << 30));

    else if (a == "--label") o.label = v;
    else if (a == "--bind") bind = v;
    else if (a == "--connect-concurrency") o.connect_concurrency = static_cast<int>(ParseNumber(a, v, 1, 100000));
    else if (a == "--connect-timeout") o.connect_timeout_s = ParseNumber(a, v, 1, 3600);
    else if (a == "--json") o.json_path = v;
    else if (a == "--seed") o.seed = static_cast<uint64_t>(ParseNumber(a, v, 0, 1e15));
    else Die("unknown option " + a + " (see --help)");
  }
  ParseUrl(&o);
  if (o.host.find(':') == std::string::npos) o.bind = ParseBind(bind);
  if (o.rooms > o.clients) Die("--rooms must not exceed --clients");
  if (o.writers_per_room > (o.clients + o.rooms - 1) / o.rooms) Die("--writers-per-room exceeds the clients per room");
  return o;
}

// lib0 varUint, as state vectors use it. False when truncated or too long.
bool ReadVarUint(const uint8_t*& p, const uint8_t* end, uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p == end) return false;
    uint8_t b = *p++;
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) {
      *out = v;
      return true;
    }
  }
  return false;
}

// The walk below reads just enough of a Yjs update (v1) to know, per client,
// the clock range it covers: first clock + the length of every struct. The
// state vector of an update (codesync_update_state_vector, like Yjs's
// encodeStateVectorFromUpdate) leaves out clients whose structs do not start
// at clock 0, which is every incremental update, so it cannot be used here.
class UpdateWalker {
 public:
  UpdateWalker(const uint8_t* p, size_t n) : p_(p), end_(p + n) {}

  // Calls fn(client, end_clock) for each client group. False when malformed.
  template <typename Fn>
  bool Walk(Fn&& fn) {
    uint64_t groups = 0;
    if (!U(&groups)) return false;
    for (uint64_t g = 0; g < groups; ++g) {
      uint64_t structs = 0, client = 0, clock = 0;
      if (!U(&structs) || !U(&client) || !U(&clock)) return false;
      for (uint64_t k = 0; k < structs; ++k) {
        uint64_t len = 0;
        if (!Struct(&len)) return false;
        clock += len;
      }
      fn(client, clock);
    }
    return true;
  }

 private:
  bool U(uint64_t* out) { return ReadVarUint(p_, end_, out); }
  bool Skip(uint64_t n) {
    if (static_cast<uint64_t>(end_ - p_) < n) return false;
    p_ += n;
    return true;
  }
  bool String(uint64_t* utf16_len = nullptr) {
    uint64_t n = 0;
    if (!U(&n) || static_cast<uint64_t>(end_ - p_) < n) return false;
    if (utf16_len != nullptr) {
      uint64_t units = 0;
      for (uint64_t i = 0; i < n; ++i) {
        uint8_t b = p_[i];
        if ((b & 0xC0) != 0x80) units += b >= 0xF0 ? 2 : 1;  // a lead byte; 4-byte sequences are surrogate pairs
      }
      *utf16_len = units;
    }
    p_ += n;
    return true;
  }
  bool Any(int depth = 0) {
    if (depth > 64 || p_ == end_) return false;
    uint8_t tag = *p_++;
    uint64_t n = 0;
    switch (tag) {
      case 127: case 126: case 121: case 120: return true;  // undefined, null, false, true
      case 125: {  // varInt: continuation in bit 7, sign in bit 6 of the first byte
        while (p_ != end_ && (*p_ & 0x80)) ++p_;
        return Skip(1);
      }
      case 124: return Skip(4);
      case 123: case 122: return Skip(8);
      case 119: return String();
      case 118:
        if (!U(&n)) return false;
        for (uint64_t i = 0; i < n; ++i) {
          if (!String() || !Any(depth + 1)) return false;
        }
        return true;
      case 117:
        if (!U(&n)) return false;
        for (uint64_t i = 0; i < n; ++i) {
          if (!Any(depth + 1)) return false;
        }
        return true;
      case 116: return U(&n) && Skip(n);
      default: return false;
    }
  }
  bool Struct(uint64_t* len) {
    if (p_ == end_) return false;
    uint8_t info = *p_++;
    uint8_t ref = info & 0x1F;
    uint64_t a = 0, b = 0;
    if (ref == 0 || ref == 10) return U(len);  // GC, Skip
    if (info & 0x80 && (!U(&a) || !U(&b))) return false;  // origin
    if (info & 0x40 && (!U(&a) || !U(&b))) return false;  // right origin
    if ((info & 0xC0) == 0) {  // parent: a root name or a type's id
      if (!U(&a)) return false;
      if (a == 1 ? !String() : (!U(&a) || !U(&b))) return false;
      if (info & 0x20 && !String()) return false;  // parent sub (map key)
    }
    *len = 1;
    switch (ref) {
      case 1: return U(len);  // Deleted
      case 2:                 // JSON: count, then each as a string
        if (!U(len)) return false;
        for (uint64_t i = 0; i < *len; ++i) {
          if (!String()) return false;
        }
        return true;
      case 3: return U(&a) && Skip(a);  // Binary
      case 4: return String(len);
      case 5: return String();  // Embed
      case 6: return String() && String();  // Format: key, value
      case 7:  // Type
        if (!U(&a)) return false;
        return a == 3 || a == 5 ? String() : true;  // XmlElement, XmlHook carry a name
      case 8:  // Any: count, then values
        if (!U(len)) return false;
        for (uint64_t i = 0; i < *len; ++i) {
          if (!Any()) return false;
        }
        return true;
      case 9: return String() && Any();  // Doc: guid, options
      default: return false;
    }
  }

  const uint8_t* p_;
  const uint8_t* end_;
};

double NowS() { return static_cast<double>(uv_hrtime()) / 1e9; }

struct ProcSample {
  bool ok = false;
  int64_t rss_kb = 0, hwm_kb = 0;
  double cpu_s = 0;  // user + system
};

// codesync-server's loop histogram: iterations in all, and those up to 20 / 50 ms.
struct LoopSample {
  bool ok = false;
  double count = 0, upto_20ms = 0, upto_50ms = 0;
};

// A blocking GET of /metrics over loopback (at most ~1 s): called twice per
// rate, outside the edits' schedule-critical path as far as possible.
LoopSample ReadLoopMetrics(const std::string& host, int port) {
  LoopSample out;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return out;
  timeval tv{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string body;
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) == 1 &&
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string req = "GET /metrics HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
    if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[16384];
      ssize_t n;
      while ((n = recv(fd, buf, sizeof buf, 0)) > 0) body.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  auto value = [&](const char* name, double* v) {
    size_t at = body.find(std::string("\n") + name + " ");
    if (at == std::string::npos) return false;
    *v = std::atof(body.c_str() + at + 2 + std::strlen(name));
    return true;
  };
  out.ok = value("codesync_loop_busy_seconds_count", &out.count) &&
           value("codesync_loop_busy_seconds_bucket{le=\"0.02\"}", &out.upto_20ms) &&
           value("codesync_loop_busy_seconds_bucket{le=\"0.05\"}", &out.upto_50ms);
  return out;
}

ProcSample ReadProc(int pid) {
  ProcSample s;
  if (pid <= 0) return s;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kb = std::atoll(line.c_str() + 6);
    if (line.rfind("VmHWM:", 0) == 0) s.hwm_kb = std::atoll(line.c_str() + 6);
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  size_t paren = all.rfind(')');  // the command name may hold spaces
  if (paren != std::string::npos) {
    std::istringstream rest(all.substr(paren + 2));
    std::string field;
    std::vector<std::string> f;
    while (rest >> field) f.push_back(field);
    // After the name: state is field 3, utime 14, stime 15 (1-based, man proc).
    if (f.size() > 12) {
      double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
      s.cpu_s = (std::atof(f[11].c_str()) + std::atof(f[12].c_str())) / tick;
      s.ok = s.rss_kb > 0;
    }
  }
  return s;
}

double SelfCpuS() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// The machine's 1-minute load average: the runs share two cores with others.
double LoadAvg() {
  std::ifstream f("/proc/loadavg");
  double v = -1;
  f >> v;
  return v;
}

int64_t SelfRssKb() {
  ProcSample s = ReadProc(static_cast<int>(getpid()));
  return s.rss_kb;
}

struct Edit {
  uint64_t due_ns;     // when the schedule wanted it sent
  uint64_t sent_ns;    // when it was sent (later when the generator lags)
  uint32_t end_clock;  // the writer's clock after it
  int16_t phase;       // measured in this phase; -1: warm-up, not measured
};

struct Writer {
  int client = 0;
  int room = 0;
  int slot = 0;  // index among its room's writers
  codesync_doc* doc = nullptr;
  codesync_text* text = nullptr;
  codesync_subscription* sub = nullptr;
  uint64_t client_id = 0;
  uint32_t clock = 0;
  size_t cursor = 0;
  std::vector<Edit> edits;
  std::string pending;  // the frame the update observer produced for the current edit
};

struct Client {
  int room = 0;
  int writer = -1;
  std::unique_ptr<WsClient> ws;
  bool started = false, open = false, synced = false, closed = false;
  uint64_t start_ns = 0;
  std::vector<uint32_t> seen;  // per room writer slot: edits delivered so far
};

struct Room {
  std::vector<int> clients;
  std::vector<int> writers;
};

struct PhaseStats {
  double rate = 0;
  uint64_t sent = 0, skipped = 0, expected = 0, delivered = 0, late = 0;
  std::vector<uint32_t> latency_us;
  std::vector<uint32_t> from_send_us;  // receive - send: without the generator's own lag
  std::vector<uint32_t> lag_us;  // send time - due time
  double t_measure_start = 0, t_measure_end = 0, t_end = 0;
  ProcSample server_start, server_end;
  LoopSample loop_start, loop_end;
  double self_cpu_start = 0, self_cpu_end = 0;
  uint64_t closed_during = 0;
};

class LoadGen {
 public:
  explicit LoadGen(Options o) : o_(std::move(o)), rng_(o_.seed) {
    uv_loop_init(&loop_);
    uv_timer_init(&loop_, &tick_);
    tick_.data = this;
    codesync_doc_options_init(&doc_opts_);
    empty_doc_ = codesync_doc_new(&doc_opts_);
    codesync_buffer b = {nullptr, 0};
    if (codesync_sync_encode_step1(empty_doc_, &b) != 0) Die(std::string("step1: ") + codesync_last_error());
    empty_step1_.assign(reinterpret_cast<char*>(b.data), b.len);
    codesync_buffer_free(&b);
    if (codesync_sync_encode_step2(empty_doc_, nullptr, 0, &b) != 0) Die(std::string("step2: ") + codesync_last_error());
    empty_step2_.assign(reinterpret_cast<char*>(b.data), b.len);
    codesync_buffer_free(&b);
  }

  ~LoadGen() {
    for (Writer& w : writers_) {
      codesync_unobserve(w.sub);
      codesync_doc_free(w.doc);
    }
    codesync_doc_free(empty_doc_);
    // Every handle was closed when the run ended; free the loop's own memory
    // (LeakSanitizer reports it otherwise).
    uv_run(&loop_, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop_) != 0) std::fprintf(stderr, "codesync-load: event loop still busy at exit\n");
  }

  int Run() {
    Setup();
    server_before_ = ReadProc(o_.server_pid);
    if (o_.server_pid > 0 && !server_before_.ok) Die("--server-pid " + std::to_string(o_.server_pid) + ": no such process");
    t_connect_start_ = NowS();
    stage_ = Stage::kConnecting;
    ConnectMore();
    uv_timer_start(&tick_, [](uv_timer_t* t) { static_cast<LoadGen*>(t->data)->Tick(); }, 1, 1);
    uv_run(&loop_, UV_RUN_DEFAULT);
    return exit_code_;
  }

 private:
  enum class Stage { kConnecting, kWarmup, kMeasure, kDrain, kClosing, kDone };

  void Setup() {
    std::random_device rd;  // ids differ from run to run (the server may keep a room's history)
    std::mt19937_64 id_rng((static_cast<uint64_t>(rd()) << 32) ^ rd());
    clients_.resize(o_.clients);
    rooms_.resize(o_.rooms);
    for (int i = 0; i < o_.clients; ++i) {
      clients_[i].room = i % o_.rooms;
      rooms_[clients_[i].room].clients.push_back(i);
    }
    for (int r = 0; r < o_.rooms; ++r) {
      for (int k = 0; k < o_.writers_per_room && k < static_cast<int>(rooms_[r].clients.size()); ++k) {
        int c = rooms_[r].clients[k];
        Writer w;
        w.client = c;
        w.room = r;
        w.slot = k;
        // Explicit client ids: 2,000 random 32-bit ones collide once in a
        // few thousand runs, and receipts are told apart by client id.
        codesync_doc_options opts = doc_opts_;
        do {
          opts.client_id = static_cast<uint32_t>(id_rng());
        } while (opts.client_id == 0 || by_client_id_.contains(opts.client_id));
        w.doc = codesync_doc_new(&opts);
        if (w.doc == nullptr) Die(std::string("codesync_doc_new: ") + codesync_last_error());
        w.text = codesync_doc_text(w.doc, "content");
        w.client_id = codesync_doc_client_id(w.doc);
        by_client_id_.emplace(w.client_id, static_cast<int>(writers_.size()));
        clients_[c].writer = static_cast<int>(writers_.size());
        rooms_[r].writers.push_back(static_cast<int>(writers_.size()));
        writers_.push_back(std::move(w));
      }
      for (int c : rooms_[r].clients) clients_[c].seen.assign(rooms_[r].writers.size(), 0);
    }
    for (size_t i = 0; i < writers_.size(); ++i) {
      Writer& w = writers_[i];
      // Pointers into writers_ stay valid: it is never resized after this.
      w.sub = codesync_doc_observe_updates(
          w.doc,
          [](const uint8_t* update, size_t len, const char* origin, void* user) {
            if (origin != nullptr) return;  // a received update: not ours to send
            auto* w = static_cast<Writer*>(user);
            codesync_buffer frame = {nullptr, 0};
            if (codesync_sync_encode_update(update, len, &frame) == 0) {
              w->pending.assign(reinterpret_cast<char*>(frame.data), frame.len);
            }
            codesync_buffer_free(&frame);
          },
          &w);
    }
    order_.resize(writers_.size());
    for (size_t i = 0; i < order_.size(); ++i) order_[i] = static_cast<int>(i);
    std::shuffle(order_.begin(), order_.end(), rng_);
  }

  // ---- connections ----------------------------------------------------------

  void ConnectMore() {
    while (next_connect_ < o_.clients && in_flight_ < o_.connect_concurrency) StartClient(next_connect_++);
  }

  void StartClient(int i) {
    Client& c = clients_[i];
    WsClientOptions opts;
    opts.host = o_.host;
    opts.port = o_.port;
    opts.target = o_.prefix + "r" + std::to_string(c.room);
    opts.ping_interval_ms = 0;  // y-websocket's provider does not ping either
    if (!o_.bind.empty()) opts.bind_host = o_.bind[i % o_.bind.size()];
    WsClientCallbacks cb;
    cb.on_open = [this, i]() { OnOpen(i); };
    cb.on_message = [this, i](std::string_view payload, bool text) { OnMessage(i, payload); };
    cb.on_close = [this, i](uint16_t code, const std::string& reason) { OnClose(i, code, reason); };
    c.ws = std::make_unique<WsClient>(&loop_, std::move(opts), std::move(cb));
    c.started = true;
    c.start_ns = uv_hrtime();
    ++in_flight_;
    c.ws->Connect();
  }

  void OnOpen(int i) {
    Client& c = clients_[i];
    c.open = true;
    if (c.writer >= 0) {
      codesync_buffer b = {nullptr, 0};
      if (codesync_sync_encode_step1(writers_[c.writer].doc, &b) == 0) {
        c.ws->Send(std::string_view(reinterpret_cast<char*>(b.data), b.len));
      }
      codesync_buffer_free(&b);
    } else {
      c.ws->Send(empty_step1_);
    }
  }

  void OnSynced(int i) {
    Client& c = clients_[i];
    c.synced = true;
    ++synced_;
    --in_flight_;
    connect_ms_.push_back(static_cast<double>(uv_hrtime() - c.start_ns) / 1e6);
    if (stage_ == Stage::kConnecting) ConnectMore();
  }

  void OnClose(int i, uint16_t code, const std::string& reason) {
    Client& c = clients_[i];
    if (c.closed) return;
    c.closed = true;
    if (stage_ == Stage::kClosing || stage_ == Stage::kDone) {
      ++closed_at_end_;
      return;
    }
    std::string why = std::to_string(code) + " " + reason;
    if (!c.synced) {
      ++connect_failed_;
      --in_flight_;
      ++failure_reasons_[why];
      if (stage_ == Stage::kConnecting) ConnectMore();
    } else {
      ++closed_during_run_;
      ++failure_reasons_["closed while running: " + why];
      if (phase_ < phases_.size()) ++phases_[phase_].closed_during;
    }
  }

  // ---- messages -------------------------------------------------------------

  void OnMessage(int i, std::string_view payload) {
    uint64_t now = uv_hrtime();
    Client& c = clients_[i];
    const auto* frame = reinterpret_cast<const uint8_t*>(payload.data());
    codesync_message_kind kind;
    const uint8_t* body = nullptr;
    size_t body_len = 0;
    if (codesync_sync_decode(frame, payload.size(), &kind, &body, &body_len) != 0) {
      ++protocol_errors_;
      ++failure_reasons_[std::string("malformed frame: ") + codesync_last_error()];
      return;
    }
    if (kind == CODESYNC_MESSAGE_PERMISSION_DENIED) {
      ++protocol_errors_;
      ++failure_reasons_["permission denied"];
      return;
    }
    if (c.writer >= 0) {
      Writer& w = writers_[c.writer];
      codesync_buffer reply = {nullptr, 0};
      int rc = codesync_sync_receive(w.doc, nullptr, frame, payload.size(), 0, "remote", nullptr, &reply);
      if (rc != 0) {
        ++protocol_errors_;
        ++failure_reasons_[std::string("apply: ") + codesync_last_error()];
      } else if (reply.len > 0) {
        c.ws->Send(std::string_view(reinterpret_cast<char*>(reply.data), reply.len));
      }
      codesync_buffer_free(&reply);
    } else if (kind == CODESYNC_MESSAGE_SYNC_STEP1) {
      c.ws->Send(empty_step2_);  // a reader holds nothing the server lacks
    }
    if (kind == CODESYNC_MESSAGE_SYNC_STEP2 || kind == CODESYNC_MESSAGE_SYNC_UPDATE) {
      Track(i, body, body_len, now);
      if (kind == CODESYNC_MESSAGE_SYNC_STEP2 && !c.synced) OnSynced(i);
    }
  }

  // Every edit of a room writer that the update covers and this client had
  // not seen yet has now been delivered to it.
  void Track(int i, const uint8_t* update, size_t len, uint64_t now) {
    Client& c = clients_[i];
    UpdateWalker walker(update, len);
    bool ok = walker.Walk([&](uint64_t client_id, uint64_t clock) {
      auto it = by_client_id_.find(client_id);
      if (it == by_client_id_.end()) return;
      Writer& w = writers_[it->second];
      if (w.room != c.room || w.client == i) return;
      uint32_t& seen = c.seen[w.slot];
      while (seen < w.edits.size() && w.edits[seen].end_clock <= clock) {
        const Edit& e = w.edits[seen++];
        if (e.phase < 0) continue;
        PhaseStats& ps = phases_[e.phase];
        if (static_cast<size_t>(e.phase) != phase_ || (stage_ != Stage::kMeasure && stage_ != Stage::kDrain)) {
          ++ps.late;
          continue;
        }
        ++ps.delivered;
        uint64_t us = now > e.due_ns ? (now - e.due_ns) / 1000 : 0;
        ps.latency_us.push_back(static_cast<uint32_t>(std::min<uint64_t>(us, UINT32_MAX)));
        us = now > e.sent_ns ? (now - e.sent_ns) / 1000 : 0;
        ps.from_send_us.push_back(static_cast<uint32_t>(std::min<uint64_t>(us, UINT32_MAX)));
      }
    });
    if (!ok) {
      ++protocol_errors_;
      ++failure_reasons_["update the walker cannot read"];
    }
  }

  // ---- the schedule -----------------------------------------------------------

  void SendEdit(uint64_t due_ns, uint64_t now_ns, bool measured) {
    Writer& w = writers_[order_[edit_index_ % order_.size()]];
    ++edit_index_;
    Client& c = clients_[w.client];
    PhaseStats& ps = phases_[phase_];
    if (!c.synced || c.closed) {
      if (measured) ++ps.skipped;
      return;
    }
    // Typing: insert at the cursor; now and then jump to a random place.
    size_t len = codesync_text_length(w.text);
    if (w.cursor > len || (rng_() % 64) == 0) w.cursor = len == 0 ? 0 : static_cast<size_t>(rng_() % (len + 1));
    char ch = static_cast<char>('a' + w.clock % 26);
    w.pending.clear();
    if (codesync_text_insert(w.text, w.cursor, &ch, 1) != 0 || w.pending.empty()) {
      ++protocol_errors_;
      ++failure_reasons_[std::string("local edit: ") + codesync_last_error()];
      return;
    }
    w.cursor += 1;
    w.clock += 1;  // one UTF-16 unit
    w.edits.push_back(Edit{due_ns, now_ns, w.clock, static_cast<int16_t>(measured ? phase_ : -1)});
    c.ws->Send(w.pending);
    if (!measured) return;
    ++ps.sent;
    uint64_t lag = now_ns > due_ns ? (now_ns - due_ns) / 1000 : 0;
    ps.lag_us.push_back(static_cast<uint32_t>(std::min<uint64_t>(lag, UINT32_MAX)));
    for (int other : rooms_[w.room].clients) {
      if (other != w.client && clients_[other].synced && !clients_[other].closed) ++ps.expected;
    }
  }

  void StartPhase() {
    PhaseStats ps;
    ps.rate = o_.rates[phase_];
    phases_.push_back(std::move(ps));
    phase_start_ns_ = uv_hrtime();
    phase_edits_ = 0;
    stage_ = Stage::kWarmup;
  }

  void Tick() {
    uint64_t now = uv_hrtime();
    double t = NowS();
    switch (stage_) {
      case Stage::kConnecting: {
        bool all = synced_ + connect_failed_ >= o_.clients;
        bool timeout = t - t_connect_start_ > o_.connect_timeout_s;
        if (!all && !timeout) return;
        t_connected_ = t;
        connect_timed_out_ = static_cast<int>(o_.clients - synced_ - connect_failed_);
        if (connect_timed_out_ > 0) failure_reasons_["not synced within --connect-timeout"] += connect_timed_out_;
        server_idle_ = ReadProc(o_.server_pid);
        std::fprintf(stderr, "codesync-load [%s]: %d/%d clients synced in %.2f s (%d failed, %d timed out)\n",
                     o_.label.c_str(), synced_, o_.clients, t_connected_ - t_connect_start_, connect_failed_,
                     connect_timed_out_);
        if (synced_ == 0) {
          exit_code_ = 1;
          Report(nullptr);
          Finish();
          return;
        }
        phase_ = 0;
        StartPhase();
        return;
      }
      case Stage::kWarmup:
      case Stage::kMeasure: {
        PhaseStats& ps = phases_[phase_];
        double rate = ps.rate;
        uint64_t warm_ns = static_cast<uint64_t>(o_.warmup_s * 1e9);
        uint64_t end_ns = warm_ns + static_cast<uint64_t>(o_.duration_s * 1e9);
        if (stage_ == Stage::kWarmup && now - phase_start_ns_ >= warm_ns) {
          stage_ = Stage::kMeasure;
          ps.t_measure_start = t;
          if (o_.loop_metrics) ps.loop_start = ReadLoopMetrics(o_.host, o_.port);
          ps.server_start = ReadProc(o_.server_pid);
          ps.self_cpu_start = SelfCpuS();
        }
        while (true) {
          uint64_t due = phase_start_ns_ + static_cast<uint64_t>(static_cast<double>(phase_edits_) * 1e9 / rate);
          if (due > now || due - phase_start_ns_ >= end_ns) break;
          // Due at or after the warm-up's end implies now is too, so the stage has switched already.
          bool measured = due - phase_start_ns_ >= warm_ns;
          ++phase_edits_;
          SendEdit(due, uv_hrtime(), measured);
        }
        if (now - phase_start_ns_ >= end_ns) {
          ps.t_measure_end = t;
          ps.server_end = ReadProc(o_.server_pid);
          ps.self_cpu_end = SelfCpuS();
          if (o_.loop_metrics) ps.loop_end = ReadLoopMetrics(o_.host, o_.port);
          stage_ = Stage::kDrain;
        }
        return;
      }
      case Stage::kDrain: {
        PhaseStats& ps = phases_[phase_];
        if (ps.delivered < ps.expected && t - ps.t_measure_end < o_.drain_s) return;
        ps.t_end = t;
        bool stop = Report(&ps);
        if (stop || phase_ + 1 >= o_.rates.size()) {
          Finish();
          return;
        }
        ++phase_;
        StartPhase();
        return;
      }
      case Stage::kClosing: {
        if (closed_at_end_ + closed_before_end_ >= open_at_end_ || t - t_closing_ > 5) {
          stage_ = Stage::kDone;
          uv_timer_stop(&tick_);
          for (Client& c : clients_) c.ws.reset();  // closes what is left, without callbacks
          uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
        }
        return;
      }
      case Stage::kDone:
        return;
    }
  }

  void Finish() {
    stage_ = Stage::kClosing;
    t_closing_ = NowS();
    for (Client& c : clients_) {
      if (!c.ws) continue;
      if (c.closed) {
        ++closed_before_end_;
      } else {
        c.ws->Close();
      }
      ++open_at_end_;
    }
  }

  // ---- the report -----------------------------------------------------------

  // Percentile over `population` receipts, the missing ones counting as
  // infinitely late: -1 when the percentile falls among them.
  static double Percentile(const std::vector<uint32_t>& sorted, uint64_t population, double q) {
    if (population == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(population)));
    if (rank == 0) rank = 1;
    if (rank > sorted.size()) return -1;
    return sorted[rank - 1] / 1000.0;
  }

  static std::string Ms(double ms) {
    if (ms < 0) return "null";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", ms);
    return buf;
  }

  static std::string JsonString(const std::string& s) {
    std::string out = "\"";
    for (char ch : s) {
      if (ch == '"' || ch == '\\') {
        out += '\\';
        out += ch;
      } else if (static_cast<unsigned char>(ch) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", ch);
        out += buf;
      } else {
        out += ch;
      }
    }
    return out + "\"";
  }

  // Prints the JSON line and the summary; true when the rate list should stop.
  bool Report(PhaseStats* ps) {
    std::vector<double> cms = connect_ms_;
    std::sort(cms.begin(), cms.end());
    auto cpct = [&](double q) {
      if (cms.empty()) return 0.0;
      return cms[std::min(cms.size() - 1, static_cast<size_t>(q * static_cast<double>(cms.size())))];
    };
    std::ostringstream js;
    js.setf(std::ios::fixed);
    js.precision(3);
    js << "{\"server\":" << JsonString(o_.label) << ",\"url\":" << JsonString(o_.url) << ",\"clients\":" << o_.clients
       << ",\"rooms\":" << o_.rooms << ",\"writers\":" << writers_.size() << ",\"synced\":" << synced_
       << ",\"connect_failed\":" << connect_failed_ + connect_timed_out_ << ",\"setup_s\":" << t_connected_ - t_connect_start_
       << ",\"connect_p50_ms\":" << cpct(0.5) << ",\"connect_p99_ms\":" << cpct(0.99);
    bool stop = false;
    std::string human;
    if (ps != nullptr) {
      std::sort(ps->latency_us.begin(), ps->latency_us.end());
      std::sort(ps->lag_us.begin(), ps->lag_us.end());
      std::sort(ps->from_send_us.begin(), ps->from_send_us.end());
      double send_p50 = Percentile(ps->from_send_us, ps->expected, 0.50);
      double send_p99 = Percentile(ps->from_send_us, ps->expected, 0.99);
      double p50 = Percentile(ps->latency_us, ps->expected, 0.50);
      double p90 = Percentile(ps->latency_us, ps->expected, 0.90);
      double p99 = Percentile(ps->latency_us, ps->expected, 0.99);
      double p999 = Percentile(ps->latency_us, ps->expected, 0.999);
      double max = ps->delivered < ps->expected ? -1 : ps->latency_us.empty() ? 0 : ps->latency_us.back() / 1000.0;
      double mean = 0;
      for (uint32_t v : ps->latency_us) mean += v;
      mean = ps->latency_us.empty() ? 0 : mean / static_cast<double>(ps->latency_us.size()) / 1000.0;
      double lag99 = Percentile(ps->lag_us, ps->lag_us.size(), 0.99);
      double lagmax = ps->lag_us.empty() ? 0 : ps->lag_us.back() / 1000.0;
      double window = ps->t_measure_end - ps->t_measure_start;
      double delivered_pct = ps->expected == 0 ? 100.0 : 100.0 * static_cast<double>(ps->delivered) / static_cast<double>(ps->expected);
      double server_cpu = ps->server_end.ok && ps->server_start.ok && window > 0
                              ? 100.0 * (ps->server_end.cpu_s - ps->server_start.cpu_s) / window
                              : -1;
      double self_cpu = window > 0 ? 100.0 * (ps->self_cpu_end - ps->self_cpu_start) / window : 0;
      ProcSample now = ReadProc(o_.server_pid);
      js << ",\"rate\":" << ps->rate << ",\"duration_s\":" << o_.duration_s << ",\"warmup_s\":" << o_.warmup_s
         << ",\"achieved_rate\":" << (window > 0 ? static_cast<double>(ps->sent) / window : 0) << ",\"edits\":" << ps->sent
         << ",\"skipped\":" << ps->skipped << ",\"expected\":" << ps->expected << ",\"delivered\":" << ps->delivered
         << ",\"delivered_pct\":" << delivered_pct << ",\"late\":" << ps->late << ",\"p50_ms\":" << Ms(p50)
         << ",\"p90_ms\":" << Ms(p90) << ",\"p99_ms\":" << Ms(p99) << ",\"p999_ms\":" << Ms(p999)
         << ",\"max_ms\":" << Ms(max) << ",\"mean_ms\":" << mean << ",\"send_lag_p99_ms\":" << Ms(lag99)
         << ",\"send_lag_max_ms\":" << lagmax << ",\"from_send_p50_ms\":" << Ms(send_p50)
         << ",\"from_send_p99_ms\":" << Ms(send_p99) << ",\"closed_during\":" << ps->closed_during;
      if (o_.server_pid > 0) {
        js << ",\"server_rss_start_kb\":" << server_before_.rss_kb << ",\"server_rss_idle_kb\":" << server_idle_.rss_kb
           << ",\"server_rss_kb\":" << ps->server_end.rss_kb << ",\"server_hwm_kb\":" << now.hwm_kb
           << ",\"server_cpu_pct\":" << server_cpu << ",\"server_cpu_us_per_edit\":"
           << (server_cpu >= 0 && ps->sent > 0 ? (ps->server_end.cpu_s - ps->server_start.cpu_s) * 1e6 / static_cast<double>(ps->sent) : -1);
      }
      if (ps->loop_start.ok && ps->loop_end.ok) {
        const LoopSample &a = ps->loop_start, &b = ps->loop_end;
        js << ",\"server_loop_iterations\":" << static_cast<uint64_t>(b.count - a.count)
           << ",\"server_loop_over_20ms\":" << static_cast<uint64_t>((b.count - b.upto_20ms) - (a.count - a.upto_20ms))
           << ",\"server_loop_over_50ms\":" << static_cast<uint64_t>((b.count - b.upto_50ms) - (a.count - a.upto_50ms));
      }
      js << ",\"load_cpu_pct\":" << self_cpu << ",\"load_rss_kb\":" << SelfRssKb() << ",\"loadavg\":" << LoadAvg();
      bool lost = ps->delivered < ps->expected;
      bool failed = o_.stop_p99_ms > 0 && (lost || p99 < 0 || p99 > o_.stop_p99_ms);
      failures_in_row_ = failed ? failures_in_row_ + 1 : 0;
      stop = failed && failures_in_row_ >= o_.stop_after;
      char buf[2048];
      std::snprintf(buf, sizeof buf,
                    "  %.0f edits/s (achieved %.1f, %" PRIu64 " edits, %" PRIu64 " skipped): latency ms p50 %s  p90 %s  "
                    "p99 %s  p99.9 %s  max %s  mean %.3f\n"
                    "    delivered %" PRIu64 "/%" PRIu64 " (%.3f%%), late %" PRIu64 ", send lag p99 %s ms (max %.1f), "
                    "from actual send p50 %s p99 %s, closed during run %" PRIu64 ", load average %.1f\n",
                    ps->rate, window > 0 ? static_cast<double>(ps->sent) / window : 0, ps->sent, ps->skipped,
                    Ms(p50).c_str(), Ms(p90).c_str(), Ms(p99).c_str(), Ms(p999).c_str(), Ms(max).c_str(), mean,
                    ps->delivered, ps->expected, delivered_pct, ps->late, Ms(lag99).c_str(), lagmax, Ms(send_p50).c_str(),
                    Ms(send_p99).c_str(), ps->closed_during, LoadAvg());
      human = buf;
      if (o_.server_pid > 0) {
        std::snprintf(buf, sizeof buf,
                      "    server pid %d: RSS %.1f MB (idle with connections %.1f, before %.1f), HWM %.1f MB, CPU %.0f%%; "
                      "generator CPU %.0f%%\n",
                      o_.server_pid, ps->server_end.rss_kb / 1024.0, server_idle_.rss_kb / 1024.0,
                      server_before_.rss_kb / 1024.0, now.hwm_kb / 1024.0, server_cpu, self_cpu);
        human += buf;
      }
      if (stop) human += "    stopping the rate list: p99 over --stop-p99 or deliveries lost, --stop-after times in a row\n";
    }
    js << ",\"errors\":{\"connect_failed\":" << connect_failed_ << ",\"connect_timed_out\":" << connect_timed_out_
       << ",\"closed_during_run\":" << closed_during_run_ << ",\"protocol\":" << protocol_errors_ << "},\"reasons\":{";
    bool first = true;
    for (const auto& [why, n] : failure_reasons_) {
      js << (first ? "" : ",") << JsonString(why) << ":" << n;
      first = false;
    }
    js << "}}";
    std::string line = js.str();
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
    if (!o_.json_path.empty()) {
      std::ofstream f(o_.json_path, std::ios::app);
      f << line << "\n";
      if (!f) std::fprintf(stderr, "codesync-load: cannot append to %s\n", o_.json_path.c_str());
    }
    std::fprintf(stderr, "codesync-load [%s] %d clients / %d rooms / %zu writers:\n%s", o_.label.c_str(), o_.clients,
                 o_.rooms, writers_.size(), human.c_str());
    for (const auto& [why, n] : failure_reasons_) std::fprintf(stderr, "    %" PRIu64 " x %s\n", n, why.c_str());
    return stop;
  }

  Options o_;
  std::mt19937_64 rng_;
  uv_loop_t loop_;
  uv_timer_t tick_;
  codesync_doc_options doc_opts_;
  codesync_doc* empty_doc_ = nullptr;
  std::string empty_step1_, empty_step2_;
  std::vector<Client> clients_;
  std::vector<Room> rooms_;
  std::vector<Writer> writers_;
  std::vector<int> order_;
  absl::flat_hash_map<uint64_t, int> by_client_id_;

  Stage stage_ = Stage::kConnecting;
  int next_connect_ = 0, in_flight_ = 0, synced_ = 0, connect_failed_ = 0, connect_timed_out_ = 0;
  double t_connect_start_ = 0, t_connected_ = 0, t_closing_ = 0;
  std::vector<double> connect_ms_;
  ProcSample server_before_, server_idle_;
  std::vector<PhaseStats> phases_;
  size_t phase_ = 0;
  uint64_t phase_start_ns_ = 0, phase_edits_ = 0, edit_index_ = 0;
  uint64_t closed_during_run_ = 0, protocol_errors_ = 0;
  int open_at_end_ = 0, closed_at_end_ = 0, closed_before_end_ = 0;
  std::map<std::string, uint64_t> failure_reasons_;
  int failures_in_row_ = 0;
  int exit_code_ = 0;
};

// 10,000 clients need 10,000 descriptors: raise the soft limit to the hard
// one, and say exactly what is missing when even that is too low.
void RaiseFdLimit(int clients) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  rlim_t want = static_cast<rlim_t>(clients) + 64;
  if (rl.rlim_cur >= want) return;
  rl.rlim_cur = std::min(want, rl.rlim_max);
  setrlimit(RLIMIT_NOFILE, &rl);
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < want) {
    Die("--clients " + std::to_string(clients) + " needs " + std::to_string(want) +
        " file descriptors; the hard limit (ulimit -Hn) is " + std::to_string(rl.rlim_max));
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseArgs(argc, argv);
  RaiseFdLimit(o.clients);
  signal(SIGPIPE, SIG_IGN);
  LoadGen gen(std::move(o));
  return gen.Run();
}

