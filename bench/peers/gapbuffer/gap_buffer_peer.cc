// The physical floor: a plain gap buffer replaying a sequential trace, no CRDT
// metadata at all. Speaks the peer protocol of bench/README.md:
//
//   gap_buffer_peer <trace.json.gz> <workload> <reps>   ->  one JSON line
//
// Only `local` is meaningful for a buffer that keeps no history; the other
// workloads answer "n/a". ASCII traces are stored one byte per character,
// others as UTF-32 so that code point positions stay O(1).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "trace.h"

namespace {

using codesync_bench::Trace;

template <typename Char>
class GapBuffer {
 public:
  void Insert(size_t pos, const Char* s, size_t n) {
    MoveGap(pos);
    if (gap_end_ - gap_start_ < n) Grow(n);
    std::memcpy(buf_.data() + gap_start_, s, n * sizeof(Char));
    gap_start_ += n;
  }
  void Delete(size_t pos, size_t n) {
    MoveGap(pos);
    gap_end_ += n;
  }
  size_t size() const { return buf_.size() - (gap_end_ - gap_start_); }
  size_t capacity_bytes() const { return buf_.capacity() * sizeof(Char); }
  std::basic_string<Char> Text() const {
    std::basic_string<Char> s(buf_.begin(), buf_.begin() + static_cast<long>(gap_start_));
    s.append(buf_.begin() + static_cast<long>(gap_end_), buf_.end());
    return s;
  }

 private:
  void MoveGap(size_t pos) {
    Char* b = buf_.data();
    if (pos < gap_start_) {
      size_t n = gap_start_ - pos;
      std::memmove(b + gap_end_ - n, b + pos, n * sizeof(Char));
      gap_start_ -= n;
      gap_end_ -= n;
    } else if (pos > gap_start_) {
      size_t n = pos - gap_start_;
      std::memmove(b + gap_start_, b + gap_end_, n * sizeof(Char));
      gap_start_ += n;
      gap_end_ += n;
    }
  }
  void Grow(size_t need) {
    size_t old = buf_.size(), tail = old - gap_end_;
    size_t grown = std::max(old * 2, old + need + 64);
    buf_.resize(grown);
    Char* b = buf_.data();
    std::memmove(b + grown - tail, b + gap_end_, tail * sizeof(Char));
    gap_end_ = grown - tail;
  }
  std::vector<Char> buf_;
  size_t gap_start_ = 0, gap_end_ = 0;
};

std::u32string Utf32(const std::string& s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    char32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (size_t k = 1; k < n && i + k < s.size(); k++) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    out.push_back(cp);
    i += n;
  }
  return out;
}

template <typename Char>
double Replay(const Trace& t, const std::vector<std::vector<std::basic_string<Char>>>& ins, GapBuffer<Char>* buf) {
  auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < t.txns.size(); i++) {
    const auto& patches = t.txns[i].patches;
    for (size_t k = 0; k < patches.size(); k++) {
      if (patches[k].del) buf->Delete(patches[k].pos, patches[k].del);
      const auto& s = ins[i][k];
      if (!s.empty()) buf->Insert(patches[k].pos, s.data(), s.size());
    }
  }
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void PrintJsonString(const std::string& s) {
  std::putchar('"');
  for (char c : s) {
    if (c == '"' || c == '\\') std::printf("\\%c", c);
    else if (static_cast<unsigned char>(c) < 0x20) std::printf("\\u%04x", c);
    else std::putchar(c);
  }
  std::putchar('"');
}

int Error(const std::string& trace, const std::string& workload, const std::string& msg) {
  std::printf("{\"peer\":\"gapbuffer\",\"trace\":");
  PrintJsonString(trace);
  std::printf(",\"workload\":");
  PrintJsonString(workload);
  std::printf(",\"ok\":false,\"error\":");
  PrintJsonString(msg);
  std::printf("}\n");
  return msg.rfind("n/a", 0) == 0 ? 0 : 1;
}

template <typename Char>
int Run(const Trace& t, int reps, std::basic_string<Char> (*convert)(const std::string&)) {
  std::vector<std::vector<std::basic_string<Char>>> ins;
  for (const auto& txn : t.txns) {
    ins.emplace_back();
    for (const auto& p : txn.patches) ins.back().push_back(convert(p.ins));
  }
  std::vector<double> runs;
  size_t doc_bytes = 0;
  // At least `reps` runs; more (up to 30 or 300 ms in all) as the runs are short.
  double total = 0;
  for (int r = 0; r < reps || (r < 30 && total < 300); r++) {
    GapBuffer<Char> buf;
    runs.push_back(Replay(t, ins, &buf));
    total += runs.back();
    if (buf.Text() != convert(t.end_content)) return Error(t.name, "local", "final text differs from endContent");
    doc_bytes = buf.capacity_bytes() + sizeof buf;
  }
  std::vector<double> sorted = runs;
  std::sort(sorted.begin(), sorted.end());
  std::printf("{\"peer\":\"gapbuffer\",\"trace\":");
  PrintJsonString(t.name);
  std::printf(",\"workload\":\"local\",\"ok\":true,\"runs_ms\":[");
  for (size_t i = 0; i < runs.size(); i++) std::printf("%s%.4f", i ? "," : "", runs[i]);
  std::printf("],\"median_ms\":%.4f,\"doc_bytes\":%zu,\"chars\":%zu,\"peak_rss\":%zu}\n", sorted[sorted.size() / 2],
              doc_bytes, t.end_chars, codesync_bench::PeakRss());
  return 0;
}

std::string Same(const std::string& s) { return s; }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <trace.json.gz> <workload> <reps>\n", argv[0]);
    return 2;
  }
  Trace t;
  std::string error;
  if (!codesync_bench::LoadTrace(argv[1], &t, &error)) return Error(argv[1], argv[2], error);
  std::string workload = argv[2];
  if (workload != "local" || t.concurrent) return Error(t.name, workload, "n/a: a plain buffer has no history to sync");
  int reps = std::max(1, std::atoi(argv[3]));
  bool ascii = std::none_of(t.end_content.begin(), t.end_content.end(), [](char c) { return c & 0x80; });
  for (const auto& txn : t.txns)
    for (const auto& p : txn.patches)
      ascii = ascii && std::none_of(p.ins.begin(), p.ins.end(), [](char c) { return c & 0x80; });
  return ascii ? Run<char>(t, reps, &Same) : Run<char32_t>(t, reps, &Utf32);
}
