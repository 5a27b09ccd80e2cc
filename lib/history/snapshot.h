// Snapshots (Yjs Snapshot: a delete set and a state vector), the document as
// it was at one, what changed between two, restoring one into the live
// document, and authorship of visible text.
//
// Reading the past needs the deleted content, so everything that looks at
// old versions requires a document created with gc off; authorship does not.
#ifndef CODESYNC_HISTORY_SNAPSHOT_H_
#define CODESYNC_HISTORY_SNAPSHOT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/doc.h"
#include "core/store.h"
#include "encoding/any.h"

namespace codesync::history {

struct Snapshot {
  DeleteSet ds;  // sorted and merged
  StateVector sv;

  uint64_t Clock(uint64_t client) const {
    auto it = sv.find(client);
    return it == sv.end() ? 0 : it->second;
  }
  // Yjs isVisible for a single clock: inserted before the snapshot and not deleted in it.
  bool Visible(Id id) const { return id.clock < Clock(id.client) && !ds.Contains(id); }
};

Snapshot TakeSnapshot(const Doc& doc);
// Yjs encodeSnapshot (v1): the delete set, then the state vector.
std::vector<uint8_t> EncodeSnapshot(const Snapshot& s);
// DataLoss on malformed or trailing bytes.
absl::StatusOr<Snapshot> DecodeSnapshot(const uint8_t* data, size_t len);
bool SnapshotsEqual(const Snapshot& a, const Snapshot& b);

// Yjs snapshotContainsUpdate: every struct of the update is below the
// snapshot's state vector and every deletion in it is in the snapshot.
absl::StatusOr<bool> SnapshotContainsUpdate(const Snapshot& s, const uint8_t* update, size_t len);

// Yjs createDocFromSnapshot: a new document holding what `origin` held at the
// snapshot.  InvalidArgument when origin collects garbage, when the snapshot
// is ahead of origin, or when content visible at the snapshot was collected.
absl::StatusOr<std::unique_ptr<Doc>> DocFromSnapshot(const Doc& origin, const Snapshot& s, const DocOptions& options);
// The update createDocFromSnapshot applies (same checks).
absl::StatusOr<std::vector<uint8_t>> SnapshotUpdate(const Doc& origin, const Snapshot& s);

// One run of a text diff, in the document's unit.  Retains and deletes count
// positions of the older version; inserts add to it.  `client` inserted the
// content (Yjs's ychange user): the deleter is not recorded by Yjs.
struct TextChange {
  enum Kind : uint8_t { kRetain, kInsert, kDelete } kind = kRetain;
  uint64_t length = 0;
  std::string text;  // inserted / deleted text (empty for embeds)
  Any embed;         // an inserted / deleted embed (undefined for text)
  uint64_t client = 0;
};

// The changes that turn the text as at `prev` into the text as at `next`
// (nullptr prev = the empty document, nullptr next = the document now).
// Formatting is not compared.  InvalidArgument when the doc collects garbage.
absl::StatusOr<std::vector<TextChange>> DiffText(const Branch& text, const Snapshot* prev, const Snapshot* next);

struct MapChange {
  enum Kind : uint8_t { kAdd, kUpdate, kDelete } kind = kAdd;
  std::string key;
  Any old_value;  // undefined for kAdd
  Any new_value;  // undefined for kDelete
  uint64_t client = 0;  // who wrote the new value (kAdd, kUpdate) or the old one (kDelete)
};
// Keys whose value differs between prev and next, ascending; nested types
// compare by identity and read as their current JSON.
absl::StatusOr<std::vector<MapChange>> DiffMap(const Branch& map, const Snapshot* prev, const Snapshot* next);

// Edits the live document, in one local transaction, so that its root texts,
// arrays and maps (and the nested types that still exist) read as they did at
// the snapshot: deletes what was inserted since, re-inserts what was deleted
// since.  Nested types deleted since the snapshot are not recreated.
absl::Status RestoreSnapshot(Doc& doc, const Snapshot& s, std::optional<std::string> origin);

// Runs of visible content by the client that inserted it, in the doc's unit;
// adjacent content of one client is one run.
struct AuthorRun {
  uint64_t index = 0;
  uint64_t length = 0;
  uint64_t client = 0;
};
std::vector<AuthorRun> Authorship(const Branch& text);

}  // namespace codesync::history

#endif  // CODESYNC_HISTORY_SNAPSHOT_H_
