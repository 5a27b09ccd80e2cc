#include "store.h"

#include <filesystem>
#include <memory>

namespace codesync::server {
namespace {

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

void BindText(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
std::string ColumnText(sqlite3_stmt* s, int i) {
  const auto* p = sqlite3_column_text(s, i);
  return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(s, i)) : std::string();
}
std::string ColumnBlob(sqlite3_stmt* s, int i) {
  const void* p = sqlite3_column_blob(s, i);
  return p ? std::string(static_cast<const char*>(p), sqlite3_column_bytes(s, i)) : std::string();
}

}  // namespace

Store::~Store() {
  sqlite3_finalize(append_);
  if (db_) sqlite3_close(db_);
}

bool Store::Fail() {
  error_ = db_ ? sqlite3_errmsg(db_) : "no database";
  return false;
}

bool Store::Exec(const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    error_ = msg ? msg : "sqlite error";
    sqlite3_free(msg);
    return false;
  }
  return true;
}

sqlite3_stmt* Store::Prepare(const char* sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) {
    Fail();
    return nullptr;
  }
  return s;
}

bool Store::Open(const std::string& path, bool sync_full, std::string* error) {
  std::filesystem::path p(path);
  std::error_code ec;
  if (path != ":memory:" && p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    *error = path + ": " + (db_ ? sqlite3_errmsg(db_) : "cannot open");
    return false;
  }
  sqlite3_busy_timeout(db_, 10000);
  std::string pragmas = std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=") + (sync_full ? "FULL" : "NORMAL") +
                        ";"
                        "CREATE TABLE IF NOT EXISTS rooms(id TEXT PRIMARY KEY, name TEXT NOT NULL,"
                        " language TEXT NOT NULL DEFAULT '', created_ms INTEGER NOT NULL);"
                        "CREATE TABLE IF NOT EXISTS updates(room TEXT NOT NULL, seq INTEGER NOT NULL,"
                        " data BLOB NOT NULL, PRIMARY KEY(room, seq)) WITHOUT ROWID;"
                        "CREATE TABLE IF NOT EXISTS snapshots(room TEXT PRIMARY KEY, format INTEGER NOT NULL,"
                        " covers_seq INTEGER NOT NULL, data BLOB NOT NULL, updated_ms INTEGER NOT NULL);";
  if (!Exec(pragmas.c_str())) {
    *error = path + ": " + error_;
    return false;
  }
  return true;
}

bool Store::Begin() { return Exec("BEGIN IMMEDIATE"); }
bool Store::Commit() { return Exec("COMMIT"); }
void Store::Rollback() { Exec("ROLLBACK"); }

bool Store::Append(std::string_view room, int64_t seq, std::string_view data) {
  // Prepared once: this runs for every update, and parsing the SQL cost more than the insert.
  if (!append_) {
    append_ = Prepare("INSERT INTO updates(room, seq, data) VALUES(?, ?, ?)");
    if (!append_) return false;
  }
  sqlite3_stmt* s = append_;
  BindText(s, 1, room);
  sqlite3_bind_int64(s, 2, seq);
  sqlite3_bind_blob(s, 3, data.data(), static_cast<int>(data.size()), SQLITE_STATIC);
  bool ok = sqlite3_step(s) == SQLITE_DONE || Fail();
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  return ok;
}

bool Store::Load(std::string_view room, LoadedRoom* out) {
  // One read transaction: a compaction committing between the two queries
  // must not hide the rows it folded into a snapshot this read did not see.
  if (!Exec("BEGIN")) return false;
  bool ok = LoadInTransaction(room, out);
  std::string e = error_;
  Exec(ok ? "COMMIT" : "ROLLBACK");
  error_ = e;
  return ok;
}

bool Store::LoadInTransaction(std::string_view room, LoadedRoom* out) {
  *out = LoadedRoom();
  Stmt snap(Prepare("SELECT format, covers_seq, data FROM snapshots WHERE room = ?"));
  if (!snap) return false;
  BindText(snap.get(), 1, room);
  int rc = sqlite3_step(snap.get());
  if (rc == SQLITE_ROW) {
    out->snapshot_format = sqlite3_column_int(snap.get(), 0);
    out->covers_seq = sqlite3_column_int64(snap.get(), 1);
    out->snapshot = ColumnBlob(snap.get(), 2);
    out->last_seq = out->covers_seq;
  } else if (rc != SQLITE_DONE) {
    return Fail();
  }
  Stmt log(Prepare("SELECT seq, data FROM updates WHERE room = ? AND seq > ? ORDER BY seq"));
  if (!log) return false;
  BindText(log.get(), 1, room);
  sqlite3_bind_int64(log.get(), 2, out->covers_seq);
  while ((rc = sqlite3_step(log.get())) == SQLITE_ROW) {
    out->last_seq = sqlite3_column_int64(log.get(), 0);
    out->updates.push_back(ColumnBlob(log.get(), 1));
    out->log_bytes += out->updates.back().size();
  }
  return rc == SQLITE_DONE || Fail();
}

bool Store::WriteSnapshot(std::string_view room, int format, int64_t covers_seq, std::string_view data,
                          int64_t now_ms, size_t* rows_deleted) {
  if (!Begin()) return false;
  Stmt up(Prepare("INSERT INTO snapshots(room, format, covers_seq, data, updated_ms) VALUES(?, ?, ?, ?, ?) "
                  "ON CONFLICT(room) DO UPDATE SET format = excluded.format, covers_seq = excluded.covers_seq, "
                  "data = excluded.data, updated_ms = excluded.updated_ms WHERE excluded.covers_seq >= covers_seq"));
  Stmt del(Prepare("DELETE FROM updates WHERE room = ? AND seq <= ?"));
  bool ok = up && del;
  if (ok) {
    BindText(up.get(), 1, room);
    sqlite3_bind_int(up.get(), 2, format);
    sqlite3_bind_int64(up.get(), 3, covers_seq);
    sqlite3_bind_blob(up.get(), 4, data.data(), static_cast<int>(data.size()), SQLITE_STATIC);
    sqlite3_bind_int64(up.get(), 5, now_ms);
    ok = sqlite3_step(up.get()) == SQLITE_DONE || Fail();
  }
  if (ok) {
    BindText(del.get(), 1, room);
    sqlite3_bind_int64(del.get(), 2, covers_seq);
    ok = sqlite3_step(del.get()) == SQLITE_DONE || Fail();
    *rows_deleted = ok ? static_cast<size_t>(sqlite3_changes(db_)) : 0;
  }
  if (ok && Commit()) return true;
  std::string e = error_;
  Rollback();
  error_ = e;
  return false;
}

bool Store::CreateRoom(const RoomRecord& room) {
  Stmt s(Prepare("INSERT INTO rooms(id, name, language, created_ms) VALUES(?, ?, ?, ?)"));
  if (!s) return false;
  BindText(s.get(), 1, room.id);
  BindText(s.get(), 2, room.name);
  BindText(s.get(), 3, room.language);
  sqlite3_bind_int64(s.get(), 4, room.created_ms);
  int rc = sqlite3_step(s.get());
  if (rc == SQLITE_CONSTRAINT) {
    error_ = "exists";
    return false;
  }
  return rc == SQLITE_DONE || Fail();
}

bool Store::EnsureRoom(std::string_view id, int64_t now_ms) {
  Stmt s(Prepare("INSERT OR IGNORE INTO rooms(id, name, language, created_ms) VALUES(?, ?, '', ?)"));
  if (!s) return false;
  BindText(s.get(), 1, id);
  BindText(s.get(), 2, id);
  sqlite3_bind_int64(s.get(), 3, now_ms);
  return sqlite3_step(s.get()) == SQLITE_DONE || Fail();
}

std::optional<RoomRecord> Store::GetRoom(std::string_view id) {
  error_.clear();
  Stmt s(Prepare("SELECT id, name, language, created_ms FROM rooms WHERE id = ?"));
  if (!s) return std::nullopt;
  BindText(s.get(), 1, id);
  int rc = sqlite3_step(s.get());
  if (rc != SQLITE_ROW) {
    if (rc != SQLITE_DONE) Fail();
    return std::nullopt;
  }
  return RoomRecord{ColumnText(s.get(), 0), ColumnText(s.get(), 1), ColumnText(s.get(), 2),
                    sqlite3_column_int64(s.get(), 3)};
}

bool Store::ListRooms(std::string_view after, size_t limit, std::vector<RoomRecord>* out) {
  Stmt s(Prepare("SELECT id, name, language, created_ms FROM rooms WHERE id > ? ORDER BY id LIMIT ?"));
  if (!s) return false;
  BindText(s.get(), 1, after);
  sqlite3_bind_int64(s.get(), 2, static_cast<int64_t>(limit));
  int rc;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
    out->push_back(RoomRecord{ColumnText(s.get(), 0), ColumnText(s.get(), 1), ColumnText(s.get(), 2),
                              sqlite3_column_int64(s.get(), 3)});
  }
  return rc == SQLITE_DONE || Fail();
}

bool Store::DeleteRoom(std::string_view id, bool* existed) {
  if (!Begin()) return false;
  bool ok = true;
  int changed = 0;
  for (const char* sql : {"DELETE FROM rooms WHERE id = ?", "DELETE FROM updates WHERE room = ?",
                          "DELETE FROM snapshots WHERE room = ?"}) {
    Stmt s(Prepare(sql));
    if (!s) {
      ok = false;
      break;
    }
    BindText(s.get(), 1, id);
    if (sqlite3_step(s.get()) != SQLITE_DONE) {
      ok = Fail();
      break;
    }
    changed += sqlite3_changes(db_);
  }
  if (ok && Commit()) {
    *existed = changed > 0;
    return true;
  }
  std::string e = error_;
  Rollback();
  error_ = e;
  return false;
}

int64_t Store::CountRooms() {
  Stmt s(Prepare("SELECT COUNT(*) FROM rooms"));
  if (!s || sqlite3_step(s.get()) != SQLITE_ROW) return -1;
  return sqlite3_column_int64(s.get(), 0);
}

}  // namespace codesync::server
