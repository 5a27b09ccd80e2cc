// Replays the real editing traces in ../shared/traces through the C API.
//
//   traces_test sequential   every sequential trace (and its ascii_only copy)
//                            in code points, one astral-heavy variant in all
//                            three offset units, and a full-state round trip
//   traces_test concurrent   the concurrent traces, one document per agent
//
// Timings are printed for information; only correctness is asserted. A missing
// traces folder is a failure, never a skip.
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "codesync.h"
#include "encoding/any.h"

#ifndef CODESYNC_TRACES_DIR
#error "CODESYNC_TRACES_DIR must name the shared traces folder"
#endif

namespace {

namespace fs = std::filesystem;
using codesync::Any;

int g_failures = 0;

void Fail(const std::string& what) {
  std::fprintf(stderr, "FAILED: %s\n", what.c_str());
  g_failures++;
}

#define EXPECT_OK(expr, context)                                                            \
  do {                                                                                      \
    int rc_ = (expr);                                                                       \
    if (rc_ != CODESYNC_OK) {                                                               \
      Fail(std::string(context) + ": " #expr " returned " + std::to_string(rc_) + " (" +   \
           codesync_last_error() + ")");                                                    \
      return false;                                                                         \
    }                                                                                       \
  } while (0)

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

bool ReadGzip(const fs::path& path, std::string* out) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out->append(buf, static_cast<size_t>(n));
  bool ok = n == 0;
  gzclose(f);
  return ok;
}

bool LoadTrace(const fs::path& path, Any* out) {
  std::string json;
  if (!ReadGzip(path, &json)) {
    Fail("cannot read " + path.string());
    return false;
  }
  auto parsed = Any::FromJson(json);
  if (!parsed.ok()) {
    Fail("cannot parse " + path.string() + ": " + std::string(parsed.status().message()));
    return false;
  }
  *out = std::move(*parsed);
  if (out->Find("txns") == nullptr || out->Find("endContent") == nullptr) {
    Fail(path.string() + " lacks txns or endContent");
    return false;
  }
  return true;
}

std::vector<fs::path> TraceFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() > 8 && name.compare(name.size() - 8, 8, ".json.gz") == 0) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string TextOf(codesync_text* text) {
  codesync_buffer buf = {nullptr, 0};
  if (codesync_text_string(text, &buf) != CODESYNC_OK) return "<error: " + std::string(codesync_last_error()) + ">";
  std::string s(reinterpret_cast<const char*>(buf.data), buf.len);
  codesync_buffer_free(&buf);
  return s;
}

codesync_doc* NewDoc(uint64_t client, codesync_offset_kind kind) {
  codesync_doc_options opts;
  codesync_doc_options_init(&opts);
  opts.client_id = client;
  opts.offset_kind = kind;
  return codesync_doc_new(&opts);
}

size_t Utf8Len(unsigned char lead) { return lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2; }

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); i += Utf8Len(static_cast<unsigned char>(s[i]))) n++;
  return n;
}

// Where the first difference is, to make a failure readable.
std::string Mismatch(const std::string& actual, const std::string& expected) {
  size_t i = 0;
  while (i < actual.size() && i < expected.size() && actual[i] == expected[i]) i++;
  char msg[160];
  std::snprintf(msg, sizeof msg, "length %zu vs expected %zu, first difference at byte %zu", actual.size(),
                expected.size(), i);
  return msg;
}

bool CheckText(codesync_text* text, const std::string& expected, const std::string& context) {
  std::string actual = TextOf(text);
  if (actual != expected) {
    Fail(context + ": text differs from endContent (" + Mismatch(actual, expected) + ")");
    return false;
  }
  return true;
}

// ---- a chunked UTF-8 model that maps code point positions to other units ----

class UnitModel {
 public:
  // Offset of code point position `cp` in `kind` units.
  size_t Offset(size_t cp, codesync_offset_kind kind) const {
    if (kind == CODESYNC_OFFSET_CODEPOINT) return cp;
    size_t units = 0;
    for (const Chunk& c : chunks_) {
      if (cp <= c.cps) {
        for (size_t i = 0; cp > 0; cp--) {
          size_t n = Utf8Len(static_cast<unsigned char>(c.text[i]));
          units += kind == CODESYNC_OFFSET_UTF8 ? n : (n == 4 ? 2 : 1);
          i += n;
        }
        return units;
      }
      cp -= c.cps;
      units += kind == CODESYNC_OFFSET_UTF8 ? c.text.size() : c.u16;
    }
    return units;  // past the end: the caller's trace is broken; the doc will reject it
  }

  void Insert(size_t cp, std::string_view s) {
    if (chunks_.empty()) chunks_.push_back(Chunk{});
    size_t k = 0;
    while (k + 1 < chunks_.size() && cp > chunks_[k].cps) cp -= chunks_[k++].cps;
    Chunk& c = chunks_[k];
    c.text.insert(ByteOf(c, cp), s);
    Recount(c);
    if (c.cps > 2048) Split(k);
  }

  void Delete(size_t cp, size_t n) {
    size_t k = 0;
    while (n > 0 && k < chunks_.size()) {
      Chunk& c = chunks_[k];
      if (cp >= c.cps) {
        cp -= c.cps;
        k++;
        continue;
      }
      size_t take = std::min(n, c.cps - cp);
      size_t from = ByteOf(c, cp), to = ByteOf(c, cp + take);
      c.text.erase(from, to - from);
      Recount(c);
      n -= take;
      if (c.cps == 0) chunks_.erase(chunks_.begin() + static_cast<long>(k));
    }
  }

  std::string Text() const {
    std::string s;
    for (const Chunk& c : chunks_) s += c.text;
    return s;
  }

 private:
  struct Chunk {
    std::string text;
    size_t cps = 0;
    size_t u16 = 0;
  };

  static size_t ByteOf(const Chunk& c, size_t cp) {
    size_t i = 0;
    for (; cp > 0 && i < c.text.size(); cp--) i += Utf8Len(static_cast<unsigned char>(c.text[i]));
    return i;
  }

  static void Recount(Chunk& c) {
    c.cps = c.u16 = 0;
    for (size_t i = 0; i < c.text.size();) {
      size_t n = Utf8Len(static_cast<unsigned char>(c.text[i]));
      c.cps++;
      c.u16 += n == 4 ? 2 : 1;
      i += n;
    }
  }

  void Split(size_t k) {
    Chunk tail;
    size_t at = ByteOf(chunks_[k], chunks_[k].cps / 2);
    tail.text = chunks_[k].text.substr(at);
    chunks_[k].text.resize(at);
    Recount(chunks_[k]);
    Recount(tail);
    chunks_.insert(chunks_.begin() + static_cast<long>(k) + 1, std::move(tail));
  }

  std::vector<Chunk> chunks_;
};

// ---- sequential traces ----

struct Patch {
  size_t pos;
  size_t del;
  std::string ins;
};

std::vector<std::vector<Patch>> Txns(const Any& trace, const std::string& (*map)(const std::string&)) {
  std::vector<std::vector<Patch>> txns;
  for (const Any& txn : trace.Find("txns")->as_array()) {
    std::vector<Patch> patches;
    for (const Any& p : txn.Find("patches")->as_array()) {
      const Any::Array& a = p.as_array();
      patches.push_back(Patch{static_cast<size_t>(a.at(0).as_number()), static_cast<size_t>(a.at(1).as_number()),
                              map ? map(a.at(2).as_string()) : a.at(2).as_string()});
    }
    txns.push_back(std::move(patches));
  }
  return txns;
}

// Replays txns into a fresh doc with the given unit; positions are converted
// from code points through a model unless kind is CODESYNC_OFFSET_CODEPOINT.
bool ReplaySequential(const std::string& name, const std::vector<std::vector<Patch>>& txns,
                      const std::string& end_content, codesync_offset_kind kind, bool round_trip) {
  static const char* const kKindName[] = {"utf16", "utf8", "codepoint"};
  std::string context = name + " [" + kKindName[kind] + "]";
  codesync_doc* doc = NewDoc(1, kind);
  if (doc == nullptr) {
    Fail(context + ": codesync_doc_new failed");
    return false;
  }
  codesync_text* text = codesync_doc_text(doc, "text");
  UnitModel model;
  bool need_model = kind != CODESYNC_OFFSET_CODEPOINT;
  size_t ops = 0;
  auto start = std::chrono::steady_clock::now();
  bool ok = [&]() {
    for (size_t t = 0; t < txns.size(); t++) {
      EXPECT_OK(codesync_doc_begin(doc, nullptr), context);
      for (const Patch& p : txns[t]) {
        std::string at = context + " txn " + std::to_string(t);
        if (p.del > 0) {
          size_t from = need_model ? model.Offset(p.pos, kind) : p.pos;
          size_t len = need_model ? model.Offset(p.pos + p.del, kind) - from : p.del;
          EXPECT_OK(codesync_text_delete(text, from, len), at);
          if (need_model) model.Delete(p.pos, p.del);
        }
        if (!p.ins.empty()) {
          size_t from = need_model ? model.Offset(p.pos, kind) : p.pos;
          EXPECT_OK(codesync_text_insert(text, from, p.ins.data(), p.ins.size()), at);
          if (need_model) model.Insert(p.pos, p.ins);
        }
        ops++;
      }
      EXPECT_OK(codesync_doc_commit(doc), context);
    }
    return true;
  }();
  double replay_s = Seconds(start);
  if (ok) ok = CheckText(text, end_content, context);
  if (ok && need_model && model.Text() != end_content) {
    Fail(context + ": the test's own model diverged (harness bug)");
    ok = false;
  }
  if (ok) {
    size_t expected_len = 0;
    if (kind == CODESYNC_OFFSET_CODEPOINT) expected_len = CodePoints(end_content);
    else expected_len = model.Offset(CodePoints(end_content), kind);
    if (codesync_text_length(text) != expected_len) {
      Fail(context + ": length " + std::to_string(codesync_text_length(text)) + ", expected " +
           std::to_string(expected_len));
      ok = false;
    }
  }
  double encode_s = 0, load_s = 0;
  size_t update_bytes = 0;
  if (ok && round_trip) {
    // The final full-state update rebuilds the text in a fresh document.
    auto t0 = std::chrono::steady_clock::now();
    codesync_buffer update = {nullptr, 0};
    int rc = codesync_doc_encode_update(doc, nullptr, 0, &update);
    encode_s = Seconds(t0);
    if (rc != CODESYNC_OK) {
      Fail(context + ": encode_update failed: " + codesync_last_error());
      ok = false;
    } else {
      update_bytes = update.len;
      codesync_doc* fresh = NewDoc(2, CODESYNC_OFFSET_UTF16);
      t0 = std::chrono::steady_clock::now();
      rc = codesync_doc_apply_update(fresh, update.data, update.len);
      load_s = Seconds(t0);
      if (rc != CODESYNC_OK) {
        Fail(context + ": applying the full-state update failed: " + codesync_last_error());
        ok = false;
      } else {
        ok = CheckText(codesync_doc_text(fresh, "text"), end_content, context + " (full-state update)");
        if (ok && codesync_doc_has_pending(fresh)) {
          Fail(context + ": pending structs after loading a full state");
          ok = false;
        }
      }
      codesync_doc_free(fresh);
      codesync_buffer_free(&update);
    }
  }
  std::printf("%-64s %7zu ops  replay %7.3f s", context.c_str(), ops, replay_s);
  if (round_trip) std::printf("  encode %6.3f s  load %6.3f s  update %8zu B", encode_s, load_s, update_bytes);
  std::printf("  %s\n", ok ? "ok" : "FAILED");
  codesync_doc_free(doc);
  return ok;
}

// Every 'e' becomes an emoji and every 'a' an 'ä': code point positions are
// unchanged while UTF-16 and UTF-8 offsets shift, so the three units diverge.
const std::string& Astralize(const std::string& s) {
  static std::string out;
  out.clear();
  for (char c : s) {
    if (c == 'e') out += "\xf0\x9f\x98\x80";
    else if (c == 'a') out += "\xc3\xa4";
    else out += c;
  }
  return out;
}

int RunSequential(const fs::path& root) {
  int traces = 0;
  for (const char* sub : {"sequential_traces", "sequential_traces/ascii_only"}) {
    std::vector<fs::path> files = TraceFiles(root / sub);
    if (files.empty()) {
      Fail("no *.json.gz traces in " + (root / sub).string());
      continue;
    }
    for (const fs::path& file : files) {
      Any trace;
      auto t0 = std::chrono::steady_clock::now();
      if (!LoadTrace(file, &trace)) continue;
      double parse_s = Seconds(t0);
      std::string name = std::string(sub) + "/" + file.filename().string();
      std::printf("%-64s parsed in %.3f s\n", name.c_str(), parse_s);
      const std::string& end = trace.Find("endContent")->as_string();
      auto txns = Txns(trace, nullptr);
      ReplaySequential(name, txns, end, CODESYNC_OFFSET_CODEPOINT, /*round_trip=*/true);
      traces++;
      // The default unit (UTF-16) on one real trace, positions converted.
      if (std::string(sub) == "sequential_traces" && file.filename() == "json-crdt-patch.json.gz") {
        ReplaySequential(name, txns, end, CODESYNC_OFFSET_UTF16, false);
        // And an astral-heavy variant of it in every unit.
        std::string astral_end = Astralize(end);
        auto astral = Txns(trace, &Astralize);
        for (codesync_offset_kind kind : {CODESYNC_OFFSET_UTF16, CODESYNC_OFFSET_UTF8, CODESYNC_OFFSET_CODEPOINT})
          ReplaySequential(name + "+astral", astral, astral_end, kind, kind == CODESYNC_OFFSET_UTF16);
      }
    }
  }
  if (traces < 16) Fail("expected 16 sequential traces, replayed " + std::to_string(traces));
  return traces;
}

// ---- concurrent traces ----

struct Agent {
  codesync_doc* doc = nullptr;
  codesync_text* text = nullptr;
  std::vector<uint64_t> seen;  // bitset of txns merged into this doc
  bool capturing = false;
  std::string captured;
  int captured_events = 0;
};

void CaptureUpdate(const uint8_t* update, size_t len, const char* origin, void* user_data) {
  Agent* agent = static_cast<Agent*>(user_data);
  if (!agent->capturing) return;
  agent->captured.assign(reinterpret_cast<const char*>(update), len);
  agent->captured_events++;
}

bool ReplayConcurrent(const std::string& name, const Any& trace) {
  const std::string& end = trace.Find("endContent")->as_string();
  const Any::Array& txns = trace.Find("txns")->as_array();
  size_t num_agents = static_cast<size_t>(trace.Find("numAgents")->as_number());
  size_t n = txns.size(), words = (n + 63) / 64;
  std::vector<Agent> agents(num_agents);
  std::vector<codesync_subscription*> subs;
  std::vector<std::vector<uint64_t>> closure(n);  // txns each txn includes, itself too
  std::vector<std::string> updates(n);
  size_t applied_updates = 0, ops = 0;
  auto start = std::chrono::steady_clock::now();
  for (size_t a = 0; a < num_agents; a++) {
    agents[a].doc = NewDoc(a + 1, CODESYNC_OFFSET_CODEPOINT);
    agents[a].text = codesync_doc_text(agents[a].doc, "text");
    agents[a].seen.assign(words, 0);
    subs.push_back(codesync_doc_observe_updates(agents[a].doc, CaptureUpdate, &agents[a]));
  }
  bool ok = [&]() {
    for (size_t i = 0; i < n; i++) {
      const Any& txn = txns[i];
      size_t agent_id = static_cast<size_t>(txn.Find("agent")->as_number());
      if (agent_id >= num_agents) {
        Fail(name + ": bad agent in txn " + std::to_string(i));
        return false;
      }
      Agent& agent = agents[agent_id];
      std::string context = name + " txn " + std::to_string(i) + " agent " + std::to_string(agent_id);
      // The state this txn was made in: the union of its parents' histories.
      std::vector<uint64_t> need(words, 0);
      for (const Any& p : txn.Find("parents")->as_array()) {
        size_t pi = static_cast<size_t>(p.as_number());
        if (pi >= i) {
          Fail(context + ": parent is not earlier");
          return false;
        }
        for (size_t w = 0; w < words; w++) need[w] |= closure[pi][w];
      }
      // Bring the agent's doc there with the updates it misses, in trace order.
      for (size_t w = 0; w < words; w++) {
        uint64_t missing = need[w] & ~agent.seen[w];
        while (missing) {
          size_t j = w * 64 + static_cast<size_t>(__builtin_ctzll(missing));
          missing &= missing - 1;
          if (!updates[j].empty()) {
            EXPECT_OK(codesync_doc_apply_update(agent.doc, reinterpret_cast<const uint8_t*>(updates[j].data()),
                                                updates[j].size()),
                      context + " merging txn " + std::to_string(j));
            applied_updates++;
          }
        }
        agent.seen[w] |= need[w];
      }
      // The patches, in one transaction.
      agent.capturing = true;
      agent.captured.clear();
      agent.captured_events = 0;
      EXPECT_OK(codesync_doc_begin(agent.doc, "trace"), context);
      for (const Any& p : txn.Find("patches")->as_array()) {
        const Any::Array& a = p.as_array();
        size_t pos = static_cast<size_t>(a.at(0).as_number()), del = static_cast<size_t>(a.at(1).as_number());
        const std::string& ins = a.at(2).as_string();
        if (del > 0) EXPECT_OK(codesync_text_delete(agent.text, pos, del), context);
        if (!ins.empty()) EXPECT_OK(codesync_text_insert(agent.text, pos, ins.data(), ins.size()), context);
        ops++;
      }
      EXPECT_OK(codesync_doc_commit(agent.doc), context);
      agent.capturing = false;
      if (agent.captured_events > 1) {
        Fail(context + ": one transaction emitted " + std::to_string(agent.captured_events) + " updates");
        return false;
      }
      if (!txn.Find("patches")->as_array().empty() && agent.captured_events != 1) {
        Fail(context + ": a transaction with patches emitted no update");
        return false;
      }
      updates[i] = std::move(agent.captured);
      closure[i] = std::move(need);
      closure[i][i / 64] |= uint64_t{1} << (i % 64);
      agent.seen[i / 64] |= uint64_t{1} << (i % 64);
    }
    return true;
  }();
  double replay_s = Seconds(start);

  double merge_s = 0;
  if (ok) {
    // Merge every doc into every other through state vector diffs.
    auto t0 = std::chrono::steady_clock::now();
    for (size_t round = 0; round < 2 && ok; round++) {
      for (size_t a = 0; a < num_agents && ok; a++) {
        for (size_t b = 0; b < num_agents && ok; b++) {
          if (a == b) continue;
          codesync_buffer sv = {nullptr, 0}, diff = {nullptr, 0};
          int rc = codesync_doc_state_vector(agents[b].doc, &sv);
          if (rc == CODESYNC_OK) rc = codesync_doc_encode_update(agents[a].doc, sv.data, sv.len, &diff);
          if (rc == CODESYNC_OK) rc = codesync_doc_apply_update(agents[b].doc, diff.data, diff.len);
          if (rc != CODESYNC_OK) {
            Fail(name + ": final merge failed: " + codesync_last_error());
            ok = false;
          }
          codesync_buffer_free(&sv);
          codesync_buffer_free(&diff);
        }
      }
    }
    merge_s = Seconds(t0);
    for (size_t a = 0; a < num_agents && ok; a++) {
      ok = CheckText(agents[a].text, end, name + " agent " + std::to_string(a) + " after merge");
      if (ok && codesync_doc_has_pending(agents[a].doc)) {
        Fail(name + ": pending structs after the final merge");
        ok = false;
      }
    }
  }
  if (ok) {
    // All updates at once, merged without a document, give the same text.
    std::vector<const uint8_t*> ptrs;
    std::vector<size_t> lens;
    for (const std::string& u : updates) {
      if (u.empty()) continue;
      ptrs.push_back(reinterpret_cast<const uint8_t*>(u.data()));
      lens.push_back(u.size());
    }
    codesync_buffer merged = {nullptr, 0};
    codesync_doc* fresh = NewDoc(1000, CODESYNC_OFFSET_UTF16);
    int rc = codesync_merge_updates(ptrs.data(), lens.data(), ptrs.size(), &merged);
    if (rc == CODESYNC_OK) rc = codesync_doc_apply_update(fresh, merged.data, merged.len);
    if (rc != CODESYNC_OK) {
      Fail(name + ": merge_updates of all txns failed: " + codesync_last_error());
      ok = false;
    } else {
      ok = CheckText(codesync_doc_text(fresh, "text"), end, name + " (merge_updates of all txns)");
    }
    codesync_buffer_free(&merged);
    codesync_doc_free(fresh);
  }
  std::printf("%-42s %6zu txns %6zu ops %7zu merges  replay %7.3f s  final merge %6.3f s  %s\n", name.c_str(), n,
              ops, applied_updates, replay_s, merge_s, ok ? "ok" : "FAILED");
  for (codesync_subscription* s : subs) codesync_unobserve(s);
  for (Agent& a : agents) codesync_doc_free(a.doc);
  return ok;
}

int RunConcurrent(const fs::path& root) {
  std::vector<fs::path> files = TraceFiles(root / "concurrent_traces");
  if (files.size() < 2) Fail("expected 2 concurrent traces in " + (root / "concurrent_traces").string());
  for (const fs::path& file : files) {
    Any trace;
    if (!LoadTrace(file, &trace)) continue;
    ReplayConcurrent("concurrent_traces/" + file.filename().string(), trace);
  }
  return static_cast<int>(files.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || (std::strcmp(argv[1], "sequential") != 0 && std::strcmp(argv[1], "concurrent") != 0)) {
    std::fprintf(stderr, "usage: %s sequential|concurrent\n", argv[0]);
    return 2;
  }
  fs::path root = CODESYNC_TRACES_DIR;
  if (!fs::is_directory(root)) {
    std::fprintf(stderr,
                 "FAILED: traces folder %s is missing. The tests expect the shared/ folder beside the "
                 "repository (shared/traces).\n",
                 root.c_str());
    return 1;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int count = std::strcmp(argv[1], "sequential") == 0 ? RunSequential(root) : RunConcurrent(root);
  std::printf("traces.%s: %d trace files, %d failures\n", argv[1], count, g_failures);
  return g_failures == 0 && count > 0 ? 0 : 1;
}
