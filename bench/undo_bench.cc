// History benchmarks (C API, static library): the automerge-paper trace typed
// with and without an undo manager attached (the cost of recording), undoing
// the whole session step by step and redoing it, and resolving relative
// positions. Time advances 100 ms per edit with a 2 s pause every 100 edits,
// so the default 500 ms capture timeout makes one stack item per 100 edits.
//
//   build-bench/bench/undo_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "codesync.h"
#include "trace.h"

namespace {

using codesync_bench::Patch;
using codesync_bench::Trace;

const Trace& Paper() {
  static Trace* trace = [] {
    auto* t = new Trace();
    std::string error;
    if (!codesync_bench::LoadTrace(std::string(CODESYNC_TRACES_DIR) + "/sequential_traces/automerge-paper.json.gz", t,
                                   &error)) {
      std::fprintf(stderr, "undo_bench: %s\n", error.c_str());
      std::exit(1);
    }
    return t;
  }();
  return *trace;
}

struct Session {
  codesync_doc* doc = nullptr;
  codesync_undo_manager* um = nullptr;
  Session() = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() {
    codesync_undo_manager_free(um);
    codesync_doc_free(doc);
  }
};

// Types the trace, one transaction per trace transaction; with an undo manager when asked.
void Type(Session& s, bool undo) {
  codesync_doc_options opts;
  codesync_doc_options_init(&opts);
  opts.client_id = 1;
  s.doc = codesync_doc_new(&opts);
  codesync_text* text = codesync_doc_text(s.doc, "text");
  if (undo) {
    s.um = codesync_undo_manager_new(s.doc, nullptr);
    codesync_undo_manager_add_text(s.um, text);
  }
  int64_t now = 1;
  size_t n = 0;
  for (const auto& txn : Paper().txns) {
    now += (++n % 100 == 0) ? 2000 : 100;
    if (s.um) codesync_undo_manager_set_time(s.um, now);
    codesync_doc_begin(s.doc, nullptr);
    for (const Patch& p : txn.patches) {
      if (p.del) codesync_text_delete(text, p.pos, p.del);
      if (!p.ins.empty()) codesync_text_insert(text, p.pos, p.ins.data(), p.ins.size());
    }
    codesync_doc_commit(s.doc);
  }
}

void BM_Type(benchmark::State& state) {
  const bool undo = state.range(0) != 0;
  size_t items = 0;
  for (auto _ : state) {
    auto s = std::make_unique<Session>();
    Type(*s, undo);
    items = codesync_undo_manager_undo_depth(s->um);
    state.PauseTiming();
    s.reset();  // freeing is not part of the measurement
    state.ResumeTiming();
  }
  state.counters["stack_items"] = static_cast<double>(items);
  state.SetLabel(undo ? "with undo manager" : "plain");
}
BENCHMARK(BM_Type)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// Undo every stack item, then redo them all.
void BM_UndoRedoAll(benchmark::State& state) {
  size_t steps = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto s = std::make_unique<Session>();
    Type(*s, true);
    state.ResumeTiming();
    int changed = 1;
    steps = 0;
    while (codesync_undo_manager_can_undo(s->um)) {
      codesync_undo_manager_undo(s->um, &changed);
      steps++;
    }
    while (codesync_undo_manager_can_redo(s->um)) codesync_undo_manager_redo(s->um, &changed);
    state.PauseTiming();
    if (codesync_text_length(codesync_doc_text(s->doc, "text")) != Paper().end_chars) state.SkipWithError("redo lost text");
    s.reset();
    state.ResumeTiming();
  }
  state.counters["undo_steps"] = static_cast<double>(steps);
}
BENCHMARK(BM_UndoRedoAll)->Unit(benchmark::kMillisecond);

// Resolve 10,000 positions spread over the final text.
void BM_ResolvePositions(benchmark::State& state) {
  Session s;
  Type(s, false);
  codesync_text* text = codesync_doc_text(s.doc, "text");
  size_t len = codesync_text_length(text);
  std::vector<std::vector<uint8_t>> positions;
  for (size_t i = 0; i < 10000; i++) {
    codesync_buffer b = {nullptr, 0};
    codesync_relpos_from_text(text, (i * 7919) % (len + 1), i % 2 ? -1 : 0, &b);
    positions.emplace_back(b.data, b.data + b.len);
    codesync_buffer_free(&b);
  }
  for (auto _ : state) {
    size_t sum = 0;
    for (const auto& p : positions) {
      size_t index = 0;
      codesync_relpos_to_index(s.doc, p.data(), p.size(), &index, nullptr);
      sum += index;
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 10000);
}
BENCHMARK(BM_ResolvePositions)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
