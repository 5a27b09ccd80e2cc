// The store's writer thread: every SQLite write of the update log and of the
// snapshots happens here, off the event loop, on a connection of its own.
//
// The loop submits jobs (one per loop iteration with new updates, one per
// compaction); the thread takes everything queued at once and appends all of
// it in one transaction (group commit), then writes the snapshots, then hands
// the finished jobs back and wakes the loop (uv_async). Jobs finish in the
// order they were submitted. The loop broadcasts an update only once its job
// is back and committed, so nothing a client has seen can be lost.
#ifndef CODESYNC_EXAMPLES_SERVER_WRITER_H_
#define CODESYNC_EXAMPLES_SERVER_WRITER_H_

#include <uv.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store.h"

namespace codesync::server {

struct WriteJob {
  struct Append {
    std::string room;
    int64_t seq;
    std::string data;
  };
  uint64_t id = 0;  // set by Submit, increasing
  // Either log rows (committed in one transaction with every other job's of
  // the same round)...
  std::vector<Append> appends;
  // ...or a snapshot (its own transaction, after the round's appends).
  bool snapshot = false;
  std::string room;
  uint64_t generation = 0;
  int64_t covers_seq = 0;
  size_t bytes_at_start = 0;
  std::string data;
  // Results.
  bool ok = false;
  std::string error;
  size_t rows_deleted = 0;
};

class Writer {
 public:
  // on_done runs on the loop thread with the finished jobs, in submit order.
  using DoneFn = std::function<void(std::vector<std::unique_ptr<WriteJob>>&)>;
  Writer() = default;
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Opens the writer's own connection and starts the thread.
  // commit_delay_ms: tests only, the thread sleeps this long before each commit.
  bool Start(uv_loop_t* loop, const std::string& db, bool sync_full, int64_t commit_delay_ms, DoneFn on_done,
             std::string* error);
  // Returns the job's id.
  uint64_t Submit(std::unique_ptr<WriteJob> job);
  // Blocks until every submitted job is done, then delivers them (on_done) now.
  void Drain();
  // Whether jobs are submitted and not yet delivered.
  bool busy() const { return submitted_ != delivered_; }
  // Drains, stops the thread and closes the async handle.
  void Stop();
  uint64_t commits() const { return commits_.load(); }

 private:
  void Run();
  void Deliver();

  Store store_;
  uv_loop_t* loop_ = nullptr;
  uv_async_t async_{};
  bool started_ = false;
  int64_t commit_delay_ms_ = 0;
  DoneFn on_done_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable work_cv_, idle_cv_;
  std::deque<std::unique_ptr<WriteJob>> queue_;  // guarded by mu_
  std::vector<std::unique_ptr<WriteJob>> done_;  // guarded by mu_
  bool working_ = false;  // guarded by mu_
  bool stop_ = false;     // guarded by mu_
  uint64_t next_id_ = 1;   // loop thread
  uint64_t submitted_ = 0;  // loop thread
  uint64_t delivered_ = 0;  // loop thread
  std::atomic<uint64_t> commits_{0};
};

}  // namespace codesync::server

#endif  // CODESYNC_EXAMPLES_SERVER_WRITER_H_
