// The SQLite store (WAL). Tables:
//   rooms(id, name, language, created_ms)           REST metadata
//   updates(room, seq, data)                        the append-only update log
//   snapshots(room, format, covers_seq, data, ...)  the compacted state
// A snapshot covers every log row with seq <= covers_seq (those rows are
// deleted in the same transaction). Format 1 is the whole state as a Yjs v1
// update (older servers wrote it); format 2, written now, is the HIST-1
// container (codesync_doc_save_container: guid = room id, metadata, checksum).
// One Store is one connection, used from one thread.
#ifndef CODESYNC_EXAMPLES_SERVER_STORE_H_
#define CODESYNC_EXAMPLES_SERVER_STORE_H_

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace codesync::server {

constexpr int kSnapshotFormatYjsV1 = 1;
constexpr int kSnapshotFormatContainer = 2;

struct RoomRecord {
  std::string id;
  std::string name;
  std::string language;
  int64_t created_ms = 0;
};

struct LoadedRoom {
  std::string snapshot;  // empty when none
  int snapshot_format = 0;
  int64_t covers_seq = 0;
  std::vector<std::string> updates;  // seq order, after the snapshot
  int64_t last_seq = 0;
  size_t log_bytes = 0;
};

class Store {
 public:
  Store() = default;
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Opens (creating the file, its directory and the tables). sync_full:
  // PRAGMA synchronous=FULL, else NORMAL.
  bool Open(const std::string& path, bool sync_full, std::string* error);
  const std::string& error() const { return error_; }
  // WAL pages before a commit checkpoints (0: never on this connection).
  void SetAutoCheckpoint(int pages) { sqlite3_wal_autocheckpoint(db_, pages); }

  bool Begin();
  bool Commit();
  void Rollback();
  bool Append(std::string_view room, int64_t seq, std::string_view data);

  bool Load(std::string_view room, LoadedRoom* out);
  // Writes the snapshot and deletes the log rows it covers, atomically.
  bool WriteSnapshot(std::string_view room, int format, int64_t covers_seq, std::string_view data, int64_t now_ms,
                     size_t* rows_deleted);

  bool CreateRoom(const RoomRecord& room);  // false with error() "exists" on a duplicate id
  bool EnsureRoom(std::string_view id, int64_t now_ms);
  std::optional<RoomRecord> GetRoom(std::string_view id);  // nullopt: absent (or error() set)
  bool ListRooms(std::string_view after, size_t limit, std::vector<RoomRecord>* out);
  bool DeleteRoom(std::string_view id, bool* existed);
  int64_t CountRooms();

 private:
  bool LoadInTransaction(std::string_view room, LoadedRoom* out);
  bool Exec(const char* sql);
  sqlite3_stmt* Prepare(const char* sql);
  bool Fail();
  sqlite3* db_ = nullptr;
  sqlite3_stmt* append_ = nullptr;  // Append's statement, prepared on first use
  std::string error_;
};

}  // namespace codesync::server

#endif  // CODESYNC_EXAMPLES_SERVER_STORE_H_
