#include "writer.h"

#include <chrono>

namespace codesync::server {

Writer::~Writer() { Stop(); }

bool Writer::Start(uv_loop_t* loop, const std::string& db, bool sync_full, int64_t commit_delay_ms, DoneFn on_done,
                   std::string* error) {
  if (!store_.Open(db, sync_full, error)) return false;
  loop_ = loop;
  commit_delay_ms_ = commit_delay_ms;
  on_done_ = std::move(on_done);
  uv_async_init(loop_, &async_, [](uv_async_t* a) { static_cast<Writer*>(a->data)->Deliver(); });
  async_.data = this;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
  return true;
}

uint64_t Writer::Submit(std::unique_ptr<WriteJob> job) {
  job->id = next_id_++;
  uint64_t id = job->id;
  ++submitted_;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(job));
  }
  work_cv_.notify_one();
  return id;
}

void Writer::Run() {
  std::vector<std::unique_ptr<WriteJob>> round;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      round.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
      queue_.clear();
      working_ = true;
    }
    // Every job's log rows in one transaction.
    bool any_appends = false;
    for (auto& j : round) any_appends |= !j->snapshot;
    if (any_appends) {
      bool ok = store_.Begin();
      for (auto& j : round) {
        if (j->snapshot) continue;
        for (const WriteJob::Append& a : j->appends) ok = ok && store_.Append(a.room, a.seq, a.data);
      }
      if (ok && commit_delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(commit_delay_ms_));
      ok = ok && store_.Commit();
      std::string error = ok ? std::string() : store_.error();
      if (!ok) store_.Rollback();
      if (ok) commits_.fetch_add(1);
      for (auto& j : round) {
        if (j->snapshot) continue;
        j->ok = ok;
        j->error = error;
      }
    }
    // Then the snapshots: each covers rows of its own or an earlier job.
    for (auto& j : round) {
      if (!j->snapshot) continue;
      j->ok = store_.WriteSnapshot(j->room, kSnapshotFormatContainer, j->covers_seq, j->data,
                                   std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count(),
                                   &j->rows_deleted);
      if (!j->ok) j->error = store_.error();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& j : round) done_.push_back(std::move(j));
      working_ = false;
    }
    round.clear();
    idle_cv_.notify_all();
    uv_async_send(&async_);
  }
}

void Writer::Deliver() {
  std::vector<std::unique_ptr<WriteJob>> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    done.swap(done_);
  }
  if (done.empty()) return;
  delivered_ += done.size();
  on_done_(done);
}

void Writer::Drain() {
  if (!started_) return;
  {
    std::unique_lock<std::mutex> lock(mu_);
    idle_cv_.wait(lock, [&] { return queue_.empty() && !working_; });
  }
  Deliver();
}

void Writer::Stop() {
  if (!started_) return;
  Drain();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_one();
  thread_.join();
  started_ = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
}

}  // namespace codesync::server
