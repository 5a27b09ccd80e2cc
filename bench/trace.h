// Loads the editing traces of ../shared/traces (gzipped JSON) for the
// benchmarks. Self-contained (zlib and a small JSON reader of its own) so the
// gap-buffer floor in peers/ shares it without linking codesync.
#ifndef CODESYNC_BENCH_TRACE_H_
#define CODESYNC_BENCH_TRACE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace codesync_bench {

// One edit: delete `del` code points at `pos`, then insert `ins` (UTF-8) there.
struct Patch {
  uint32_t pos = 0;
  uint32_t del = 0;
  std::string ins;
};

struct Txn {
  std::vector<Patch> patches;
  // Concurrent traces only.
  uint32_t agent = 0;
  std::vector<uint32_t> parents;
};

struct Trace {
  std::string name;  // file name without .json.gz
  bool concurrent = false;
  uint32_t num_agents = 1;
  std::vector<Txn> txns;
  std::string end_content;
  size_t num_patches = 0;
  size_t end_chars = 0;  // code points of end_content
};

// Reads and parses `path`; on failure returns false with *error set.
bool LoadTrace(const std::string& path, Trace* out, std::string* error);

// The .json.gz files of a folder, sorted.
std::vector<std::string> ListTraces(const std::string& dir);

// Process-wide memory figures from the kernel (bytes).
size_t CurrentRss();
size_t PeakRss();

}  // namespace codesync_bench

#endif  // CODESYNC_BENCH_TRACE_H_
