// Google Benchmark over the real editing traces of ../shared/traces, through
// the public C API. One benchmark per workload and trace:
//
//   local/<trace>       every txn as one local transaction (delete, then insert)
//   remote/<trace>      the update emitted per txn by a local replay (recorded
//                       untimed), applied one by one to a fresh document
//   encode/<trace>      the whole final state as one v1 update
//   decode/<trace>      that update loaded into a fresh document, text read out
//                       (concurrent traces too: the state all agents merge to)
//   decode_parse/<trace> the floor of reading that update: the library's wire
//                       reader over every field, nothing kept (see BM_DecodeParse)
//   decode_link/<trace> parse + origins resolved + document order, no Items
//   concurrent/<trace>  concurrent traces: the updates every agent emitted
//                       (replayed untimed, one document per agent, as
//                       tests/traces does) applied in trace order to a fresh doc
//
// Counters: update_bytes (encode/decode, remote: sum of per-txn updates),
// doc_heap_bytes (live heap of the document built by a local replay, counted
// with glibc's mallinfo2 around building it), doc_rss_bytes (RSS delta around
// the same), heap_bytes_per_char (doc_heap_bytes per live character of the
// final text), peak_rss (the process's peak). Every workload checks its final
// text against the trace's endContent and fails the benchmark otherwise.
//
// Traces: CODESYNC_TRACES_DIR (compiled in), or --traces=DIR. Filter with the
// usual --benchmark_filter=local/automerge-paper. --dump-state=DIR writes each
// encoded state to DIR/codesync-<trace>.bin (run.sh compares it with yjs's).
#include <malloc.h>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "codesync.h"
#include "encoding/lib0.h"  // decode_parse/: the library's own wire reader
#include "encoding/utf8.h"
#include "trace.h"

#ifndef CODESYNC_TRACES_DIR
#define CODESYNC_TRACES_DIR "../shared/traces"
#endif

namespace {

using codesync_bench::Patch;
using codesync_bench::Trace;
using codesync_bench::Txn;

std::string g_traces_dir = CODESYNC_TRACES_DIR;
std::string g_dump_dir;  // --dump-state=DIR: encode/ writes the state it timed there

// ---- small helpers over the C API ----

struct DocDeleter {
  void operator()(codesync_doc* d) const { codesync_doc_free(d); }
};
using DocPtr = std::unique_ptr<codesync_doc, DocDeleter>;

DocPtr NewDoc(uint64_t client) {
  codesync_doc_options opts;
  codesync_doc_options_init(&opts);
  opts.client_id = client;
  // The traces hold no astral characters, so their code point positions are
  // UTF-16 offsets too; UTF-16 is Yjs's unit and the library's default.
  opts.offset_kind = CODESYNC_OFFSET_UTF16;
  return DocPtr(codesync_doc_new(&opts));
}

std::string TextOf(codesync_doc* doc) {
  codesync_buffer buf = {nullptr, 0};
  if (codesync_text_string(codesync_doc_text(doc, "text"), &buf) != CODESYNC_OK) return "<error>";
  std::string s(reinterpret_cast<const char*>(buf.data), buf.len);
  codesync_buffer_free(&buf);
  return s;
}

std::string LastError(const char* what) { return std::string(what) + ": " + codesync_last_error(); }

// Applies one txn's patches in one transaction.
bool ApplyTxn(codesync_doc* doc, codesync_text* text, const Txn& txn) {
  if (codesync_doc_begin(doc, nullptr) != CODESYNC_OK) return false;
  bool ok = true;
  for (const Patch& p : txn.patches) {
    if (p.del > 0 && codesync_text_delete(text, p.pos, p.del) != CODESYNC_OK) ok = false;
    if (!p.ins.empty() && codesync_text_insert(text, p.pos, p.ins.data(), p.ins.size()) != CODESYNC_OK) ok = false;
  }
  return codesync_doc_commit(doc) == CODESYNC_OK && ok;
}

bool ReplayLocal(codesync_doc* doc, const Trace& trace) {
  codesync_text* text = codesync_doc_text(doc, "text");
  for (const Txn& txn : trace.txns)
    if (!ApplyTxn(doc, text, txn)) return false;
  return true;
}

size_t HeapInUse() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

// ---- per-trace data, computed once and shared by the benchmarks ----

struct Prepared {
  Trace trace;
  std::string error;
  // remote / concurrent: the update per txn, in trace order (empty if none).
  std::vector<std::string> updates;
  size_t updates_bytes = 0;
  // encode / decode: the final state, the document it came from.
  DocPtr final_doc;
  std::string state;
};

void Capture(const uint8_t* update, size_t len, const char* origin, void* user_data) {
  auto* out = static_cast<std::vector<std::string>*>(user_data);
  out->emplace_back(reinterpret_cast<const char*>(update), len);
}

bool RecordSequentialUpdates(Prepared* p) {
  DocPtr doc = NewDoc(1);
  codesync_text* text = codesync_doc_text(doc.get(), "text");
  std::vector<std::string> captured;
  codesync_subscription* sub = codesync_doc_observe_updates(doc.get(), Capture, &captured);
  bool ok = sub != nullptr;
  for (const Txn& txn : p->trace.txns) {
    size_t before = captured.size();
    if (!ok || !ApplyTxn(doc.get(), text, txn)) {
      ok = false;
      p->error = LastError("local replay");
      break;
    }
    if (captured.size() != before + 1) {
      ok = false;
      p->error = "a txn emitted " + std::to_string(captured.size() - before) + " updates";
      break;
    }
  }
  codesync_unobserve(sub);
  p->updates = std::move(captured);
  for (const auto& u : p->updates) p->updates_bytes += u.size();
  return ok;
}

// One document per agent, as tests/traces does. A txn's state is that of its
// parents; as every agent's txns are totally ordered, a state is a count of
// txns per agent, and bringing an agent there means applying the other agents'
// txns it lacks (in trace order).
bool RecordConcurrentUpdates(Prepared* p) {
  const Trace& t = p->trace;
  size_t agents = t.num_agents;
  std::vector<DocPtr> docs;
  std::vector<std::vector<std::string>> captured(agents);
  std::vector<codesync_subscription*> subs;
  std::vector<std::vector<uint32_t>> seen(agents, std::vector<uint32_t>(agents, 0));
  std::vector<std::vector<uint32_t>> by_agent(agents);  // txn indices of each agent
  std::vector<std::vector<uint32_t>> version(t.txns.size());
  for (size_t a = 0; a < agents; a++) {
    docs.push_back(NewDoc(a + 1));
    subs.push_back(codesync_doc_observe_updates(docs[a].get(), Capture, &captured[a]));
  }
  p->updates.assign(t.txns.size(), std::string());
  bool ok = true;
  for (size_t i = 0; i < t.txns.size() && ok; i++) {
    const Txn& txn = t.txns[i];
    if (txn.agent >= agents) {
      p->error = "bad agent";
      ok = false;
      break;
    }
    std::vector<uint32_t> need(agents, 0);
    for (uint32_t parent : txn.parents)
      for (size_t a = 0; a < agents; a++) need[a] = std::max(need[a], version[parent][a]);
    std::vector<uint32_t> missing;
    for (size_t a = 0; a < agents; a++)
      for (uint32_t k = seen[txn.agent][a]; k < need[a]; k++) missing.push_back(by_agent[a][k]);
    std::sort(missing.begin(), missing.end());
    codesync_doc* doc = docs[txn.agent].get();
    for (uint32_t j : missing) {
      const std::string& u = p->updates[j];
      if (!u.empty() && codesync_doc_apply_update(doc, reinterpret_cast<const uint8_t*>(u.data()), u.size()) != CODESYNC_OK) {
        p->error = LastError("merging into an agent");
        ok = false;
      }
    }
    for (size_t a = 0; a < agents; a++) seen[txn.agent][a] = std::max(seen[txn.agent][a], need[a]);
    std::vector<std::string>& cap = captured[txn.agent];
    cap.clear();
    if (!ApplyTxn(doc, codesync_doc_text(doc, "text"), txn)) {
      p->error = LastError("agent edit");
      ok = false;
      break;
    }
    if (cap.size() > 1) {
      p->error = "a txn emitted several updates";
      ok = false;
      break;
    }
    if (!cap.empty()) p->updates[i] = std::move(cap[0]);
    need[txn.agent] = static_cast<uint32_t>(by_agent[txn.agent].size()) + 1;
    seen[txn.agent][txn.agent] = need[txn.agent];
    version[i] = std::move(need);
    by_agent[txn.agent].push_back(static_cast<uint32_t>(i));
  }
  for (codesync_subscription* s : subs) codesync_unobserve(s);
  for (const auto& u : p->updates) p->updates_bytes += u.size();
  return ok;
}

Prepared* Prepare(const std::string& path, bool need_updates, bool need_state) {
  static std::map<std::string, std::unique_ptr<Prepared>> cache;
  auto& slot = cache[path];
  if (!slot) {
    slot = std::make_unique<Prepared>();
    codesync_bench::LoadTrace(path, &slot->trace, &slot->error);
  }
  Prepared* p = slot.get();
  if (!p->error.empty()) return p;
  if (need_updates && p->updates.empty()) {
    bool ok = p->trace.concurrent ? RecordConcurrentUpdates(p) : RecordSequentialUpdates(p);
    if (!ok && p->error.empty()) p->error = "recording updates failed";
  }
  if (need_state && !p->final_doc && p->error.empty()) {
    bool built = true;
    if (p->trace.concurrent) {
      // The merged document every agent converges to: the recorded updates in trace order.
      if (p->updates.empty() && !RecordConcurrentUpdates(p) && p->error.empty()) p->error = "recording updates failed";
      p->final_doc = NewDoc(1000);
      for (const std::string& u : p->updates) {
        if (!p->error.empty()) break;
        if (!u.empty() && codesync_doc_apply_update(p->final_doc.get(), reinterpret_cast<const uint8_t*>(u.data()),
                                                    u.size()) != CODESYNC_OK) {
          p->error = LastError("merging the agents' updates");
        }
      }
      built = p->error.empty();
    } else {
      p->final_doc = NewDoc(1);
      built = ReplayLocal(p->final_doc.get(), p->trace);
      if (!built) p->error = LastError("local replay");
    }
    if (built) {
      codesync_buffer buf = {nullptr, 0};
      if (codesync_doc_encode_update(p->final_doc.get(), nullptr, 0, &buf) != CODESYNC_OK) {
        p->error = LastError("encode");
      } else {
        p->state.assign(reinterpret_cast<const char*>(buf.data), buf.len);
      }
      codesync_buffer_free(&buf);
    }
  }
  return p;
}

bool CheckText(benchmark::State& state, codesync_doc* doc, const Trace& trace) {
  if (TextOf(doc) == trace.end_content) return true;
  state.SkipWithError("final text differs from endContent");
  return false;
}

void SetCommonCounters(benchmark::State& state, const Trace& trace) {
  state.counters["patches"] = static_cast<double>(trace.num_patches);
  state.counters["peak_rss"] = static_cast<double>(codesync_bench::PeakRss());
}

// ---- the benchmarks ----

void BM_Local(benchmark::State& state, std::string path) {
  Prepared* p = Prepare(path, false, false);
  if (!p->error.empty()) return state.SkipWithError(p->error.c_str());
  DocPtr doc;
  for (auto _ : state) {
    state.PauseTiming();
    doc = NewDoc(1);
    state.ResumeTiming();
    if (!ReplayLocal(doc.get(), p->trace)) return state.SkipWithError(LastError("local replay").c_str());
    state.PauseTiming();
    doc.reset();  // freeing is not part of the workload
    state.ResumeTiming();
  }
  // Memory of the document the workload builds, measured on a fresh build.
  malloc_trim(0);
  size_t heap0 = HeapInUse(), rss0 = codesync_bench::CurrentRss();
  doc = NewDoc(1);
  ReplayLocal(doc.get(), p->trace);
  size_t heap1 = HeapInUse(), rss1 = codesync_bench::CurrentRss();
  if (!CheckText(state, doc.get(), p->trace)) return;
  double heap = static_cast<double>(heap1 - std::min(heap0, heap1));
  state.counters["doc_heap_bytes"] = heap;
  state.counters["doc_rss_bytes"] = static_cast<double>(rss1 - std::min(rss0, rss1));
  state.counters["heap_bytes_per_char"] = heap / static_cast<double>(std::max<size_t>(p->trace.end_chars, 1));
  SetCommonCounters(state, p->trace);
}

void ApplyAll(benchmark::State& state, const Prepared* p, DocPtr* doc) {
  for (const std::string& u : p->updates) {
    if (u.empty()) continue;
    if (codesync_doc_apply_update(doc->get(), reinterpret_cast<const uint8_t*>(u.data()), u.size()) != CODESYNC_OK) {
      state.SkipWithError(LastError("apply_update").c_str());
      return;
    }
  }
}

// remote/ and concurrent/ time the same thing: every recorded update, in order.
void BM_ApplyUpdates(benchmark::State& state, std::string path) {
  Prepared* p = Prepare(path, true, false);
  if (!p->error.empty()) return state.SkipWithError(p->error.c_str());
  DocPtr doc;
  for (auto _ : state) {
    state.PauseTiming();
    doc = NewDoc(1000);
    state.ResumeTiming();
    ApplyAll(state, p, &doc);
    if (state.error_occurred()) return;
    state.PauseTiming();
    doc.reset();
    state.ResumeTiming();
  }
  doc = NewDoc(1000);
  ApplyAll(state, p, &doc);
  if (state.error_occurred() || !CheckText(state, doc.get(), p->trace)) return;
  if (codesync_doc_has_pending(doc.get())) return state.SkipWithError("pending structs after applying every update");
  state.counters["update_bytes"] = static_cast<double>(p->updates_bytes);
  state.counters["updates"] = static_cast<double>(p->updates.size());
  SetCommonCounters(state, p->trace);
}

void BM_Encode(benchmark::State& state, std::string path) {
  Prepared* p = Prepare(path, false, true);
  if (!p->error.empty()) return state.SkipWithError(p->error.c_str());
  size_t bytes = 0;
  for (auto _ : state) {
    codesync_buffer buf = {nullptr, 0};
    if (codesync_doc_encode_update(p->final_doc.get(), nullptr, 0, &buf) != CODESYNC_OK)
      return state.SkipWithError(LastError("encode").c_str());
    bytes = buf.len;
    codesync_buffer_free(&buf);
  }
  if (bytes != p->state.size()) return state.SkipWithError("encoding is not deterministic");
  if (!g_dump_dir.empty()) {
    std::string file = g_dump_dir + "/codesync-" + p->trace.name + ".bin";
    FILE* f = std::fopen(file.c_str(), "wb");
    if (f == nullptr || std::fwrite(p->state.data(), 1, p->state.size(), f) != p->state.size())
      state.SkipWithError(("cannot write " + file).c_str());
    if (f != nullptr) std::fclose(f);
  }
  state.counters["update_bytes"] = static_cast<double>(bytes);
  SetCommonCounters(state, p->trace);
}

// One timed load and read (out of line: callgrind's --toggle-collect names it,
// so a concurrent trace's profile leaves out the recording's apply_update calls).
[[gnu::noinline]] bool LoadAndRead(codesync_doc* doc, const uint8_t* data, size_t len, size_t* read, const char** what) {
  if (codesync_doc_apply_update(doc, data, len) != CODESYNC_OK) {
    *what = "decode";
    return false;
  }
  codesync_buffer buf = {nullptr, 0};
  if (codesync_text_string(codesync_doc_text(doc, "text"), &buf) != CODESYNC_OK) {
    *what = "read";
    return false;
  }
  *read = buf.len;
  codesync_buffer_free(&buf);
  return true;
}

void BM_Decode(benchmark::State& state, std::string path) {
  Prepared* p = Prepare(path, false, true);
  if (!p->error.empty()) return state.SkipWithError(p->error.c_str());
  const auto* data = reinterpret_cast<const uint8_t*>(p->state.data());
  DocPtr doc;
  size_t read = 0;
  for (auto _ : state) {
    state.PauseTiming();
    doc = NewDoc(1000);
    state.ResumeTiming();
    const char* what = nullptr;
    if (!LoadAndRead(doc.get(), data, p->state.size(), &read, &what)) return state.SkipWithError(LastError(what).c_str());
    state.PauseTiming();
    doc.reset();
    state.ResumeTiming();
  }
  if (read != p->trace.end_content.size()) return state.SkipWithError("decoded text has the wrong length");
  doc = NewDoc(1000);
  codesync_doc_apply_update(doc.get(), data, p->state.size());
  if (!CheckText(state, doc.get(), p->trace)) return;
  state.counters["update_bytes"] = static_cast<double>(p->state.size());
  SetCommonCounters(state, p->trace);
}

// ---- the floor of reading Yjs v1: decode_parse/ and decode_link/ ----
//
// decode_parse/<trace> reads the whole state the way the loader does (the
// library's Decoder: every varuint, string and delete range, each string's
// UTF-16 length), and keeps nothing but a checksum: no items, no store, no
// links.  decode_link/<trace> adds what the format asks of any reader that
// wants the document order: every struct's origins resolved to the struct
// they name (per-client clock order, so a search by clock) and the struct
// put after its left origin in a flat index list (no Item, no YATA scan:
// exact for a state without concurrent inserts at one place).

struct ParsedStruct {
  uint64_t client, clock, len;
  uint64_t oc, ok;  // origin, ok = UINT64_MAX when none
  uint64_t rc, rk;  // right origin, the same
};

// Returns false on anything but a text state's strings, deleted runs and GC structs.
template <bool kKeep>
bool ParseWholeState(const uint8_t* data, size_t len, uint64_t* sum, std::vector<ParsedStruct>* out,
                     std::vector<std::pair<size_t, size_t>>* clients) {
  codesync::Decoder dec(data, len);
  uint64_t acc = 0;
  const uint64_t num_clients = dec.ReadVarUint();
  for (uint64_t c = 0; c < num_clients && dec.ok(); c++) {
    const uint64_t num_structs = dec.ReadVarUint();
    const uint64_t client = dec.ReadVarUint();
    uint64_t clock = dec.ReadVarUint();
    if (kKeep) clients->push_back({out->size(), out->size() + num_structs});
    for (uint64_t i = 0; i < num_structs && dec.ok(); i++) {
      const uint8_t info = dec.ReadUint8();
      const uint8_t ref = info & 0x1f;
      ParsedStruct st{client, clock, 0, 0, UINT64_MAX, 0, UINT64_MAX};
      if (ref == 0 || ref == 10) {
        st.len = dec.ReadVarUint();
      } else {
        if (info & 0x80) {
          st.oc = dec.ReadVarUint();
          st.ok = dec.ReadVarUint();
        }
        if (info & 0x40) {
          st.rc = dec.ReadVarUint();
          st.rk = dec.ReadVarUint();
        }
        if (!(info & 0xc0)) {
          if (dec.ReadVarUint() == 1) {
            acc += dec.ReadVarString().size();
          } else {
            acc += dec.ReadVarUint();
            acc += dec.ReadVarUint();
          }
          if (info & 0x20) return false;
        }
        if (ref == 1) {
          st.len = dec.ReadVarUint();
        } else if (ref == 4) {
          const std::string_view s = dec.ReadVarString();
          st.len = codesync::utf8::IsAscii(s) ? s.size() : codesync::utf8::Utf16Length(s);
          acc += static_cast<uint8_t>(s.empty() ? 0 : s[0]);
        } else {
          return false;
        }
      }
      acc += st.len + st.ok + st.rk + st.oc + st.rc;
      clock += st.len;
      if (kKeep) out->push_back(st);
    }
  }
  const uint64_t ds_clients = dec.ReadVarUint();
  for (uint64_t c = 0; c < ds_clients && dec.ok(); c++) {
    acc += dec.ReadVarUint();
    const uint64_t n = dec.ReadVarUint();
    for (uint64_t k = 0; k < n && dec.ok(); k++) acc += dec.ReadVarUint() + dec.ReadVarUint();
  }
  *sum = acc;
  return dec.ok() && dec.AtEnd();
}

void BM_DecodeParse(benchmark::State& state, std::string path) {
  Prepared* p = Prepare(path, false, true);
  if (!p->error.empty()) return state.SkipWithError(p->error.c_str());
  const auto* data = reinterpret_cast<const uint8_t*>(p->state.data());
  uint64_t sum = 0;
  for (auto _ : state) {
    if (!ParseWholeState<false>(data, p->state.size(), &sum, nullptr, nullptr))
      return state.SkipWithError("not a text state");
    benchmark::DoNotOptimize(sum);
  }
  state.counters["update_bytes"] = static_cast<double>(p->state.size());
  SetCommonCounters(state, p->trace);
}

std::vector<uint64_t>& ClockScratch() {
  static std::vector<uint64_t> clocks;
  return clocks;
}

// Parse, then every origin resolved and the structs linked in document order.
// Returns the number of structs in the list (all of them, or 0 on a miss).
size_t LinkParsed(const std::vector<ParsedStruct>& st, const std::vector<std::pair<size_t, size_t>>& clients,
                  std::vector<uint32_t>& next) {
  const size_t n = st.size();
  next.assign(n + 1, UINT32_MAX);  // next[n]: the list's head
  // Clock -> struct per client as the loader finds it: dense clocks, and a
  // bucket per 2^shift clocks (about one struct each) naming the last struct
  // starting at or before it, then a short forward scan.
  std::vector<uint64_t>& clocks = ClockScratch();
  clocks.resize(n);
  for (size_t i = 0; i < n; i++) clocks[i] = st[i].clock;
  struct Buckets {
    int shift;
    std::vector<uint32_t> first;
  };
  std::vector<Buckets> buckets(clients.size());
  for (size_t c = 0; c < clients.size(); c++) {
    const auto [b, e] = clients[c];
    if (b == e) continue;
    const uint64_t end = st[e - 1].clock + st[e - 1].len;
    int shift = 0;
    while ((end >> (shift + 1)) >= e - b) shift++;
    std::vector<uint32_t>& f = buckets[c].first;
    buckets[c].shift = shift;
    f.resize(static_cast<size_t>(((end - 1) >> shift) + 1));
    size_t k = 0;
    for (size_t j = b; j < e; j++) {
      const size_t upto = j + 1 < e ? static_cast<size_t>((clocks[j + 1] + (uint64_t{1} << shift) - 1) >> shift) : f.size();
      for (; k < upto; k++) f[k] = static_cast<uint32_t>(j);
    }
  }
  auto find = [&](uint64_t client, uint64_t clock) -> size_t {
    for (size_t c = 0; c < clients.size(); c++) {
      const auto [b, e] = clients[c];
      if (b == e || st[b].client != client) continue;
      const Buckets& bk = buckets[c];
      const size_t at = static_cast<size_t>(clock >> bk.shift);
      if (at >= bk.first.size()) return SIZE_MAX;
      size_t j = bk.first[at];
      while (j + 1 < e && clocks[j + 1] <= clock) j++;
      return j;
    }
    return SIZE_MAX;
  };
  for (const auto& [b, e] : clients) {
    for (size_t i = b; i < e; i++) {
      const ParsedStruct& s = st[i];
      size_t left = n;
      if (s.ok != UINT64_MAX) {
        left = i > b && s.oc == s.client && st[i - 1].clock + st[i - 1].len == s.ok + 1 ? i - 1 : find(s.oc, s.ok);
        if (left == SIZE_MAX) return 0;
      }
      next[i] = next[left];
      next[left] = static_cast<uint32_t>(i);
    }
  }
  size_t count = 0;
  for (uint32_t k = next[n]; k != UINT32_MAX; k = next[k]) count++;
  return count;
}

void BM_DecodeLink(benchmark::State& state, std::string path) {
  Prepared* p = Prepare(path, false, true);
  if (!p->error.empty()) return state.SkipWithError(p->error.c_str());
  const auto* data = reinterpret_cast<const uint8_t*>(p->state.data());
  std::vector<ParsedStruct> st;
  std::vector<std::pair<size_t, size_t>> clients;
  std::vector<uint32_t> next;
  size_t linked = 0;
  for (auto _ : state) {
    st.clear();
    clients.clear();
    uint64_t sum = 0;
    if (!ParseWholeState<true>(data, p->state.size(), &sum, &st, &clients))
      return state.SkipWithError("not a text state");
    linked = LinkParsed(st, clients, next);
    benchmark::DoNotOptimize(next.data());
  }
  if (linked != st.size()) return state.SkipWithError("an origin names no struct of the state");
  state.counters["structs"] = static_cast<double>(st.size());
  SetCommonCounters(state, p->trace);
}

void Register() {
  auto seq = codesync_bench::ListTraces(g_traces_dir + "/sequential_traces");
  auto conc = codesync_bench::ListTraces(g_traces_dir + "/concurrent_traces");
  if (seq.empty() || conc.empty()) {
    std::fprintf(stderr, "codesync_bench: no traces under %s (expected shared/ beside the repository)\n",
                 g_traces_dir.c_str());
    std::exit(1);
  }
  auto name_of = [](const std::string& path) {
    std::string base = path.substr(path.find_last_of('/') + 1);
    return base.substr(0, base.size() - 8);
  };
  for (const std::string& path : seq) {
    std::string n = name_of(path);
    benchmark::RegisterBenchmark(("local/" + n).c_str(), BM_Local, path)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("remote/" + n).c_str(), BM_ApplyUpdates, path)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("encode/" + n).c_str(), BM_Encode, path)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("decode/" + n).c_str(), BM_Decode, path)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("decode_parse/" + n).c_str(), BM_DecodeParse, path)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("decode_link/" + n).c_str(), BM_DecodeLink, path)->Unit(benchmark::kMillisecond);
  }
  for (const std::string& path : conc) {
    const std::string n = name_of(path);
    benchmark::RegisterBenchmark(("concurrent/" + n).c_str(), BM_ApplyUpdates, path)->Unit(benchmark::kMillisecond);
    // A server loads such merged states all day (several clients, cross-client origins).
    benchmark::RegisterBenchmark(("decode/" + n).c_str(), BM_Decode, path)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("decode_parse/" + n).c_str(), BM_DecodeParse, path)->Unit(benchmark::kMillisecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Our own flag first; Google Benchmark rejects flags it does not know.
  std::vector<char*> args;
  for (int i = 0; i < argc; i++) {
    if (std::strncmp(argv[i], "--traces=", 9) == 0) g_traces_dir = argv[i] + 9;
    else if (std::strncmp(argv[i], "--dump-state=", 13) == 0) g_dump_dir = argv[i] + 13;
    else args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  Register();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
