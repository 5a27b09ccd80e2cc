// Update format v1: decode (validated, all-or-nothing), apply with pending
// structs, encode whole state or a diff, and merge updates without a document.
#ifndef CODESYNC_CORE_UPDATE_H_
#define CODESYNC_CORE_UPDATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/node_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/doc.h"
#include "core/store.h"

namespace codesync {

using Interner = absl::node_hash_set<std::string>;

// A decoded update: per client, structs sorted as on the wire; owns its items.
struct DecodedUpdate {
  std::vector<std::pair<uint64_t, std::vector<StructRef>>> clients;
  DeleteSet ds;
  DecodedUpdate() = default;
  DecodedUpdate(DecodedUpdate&&) = default;
  DecodedUpdate& operator=(DecodedUpdate&&) = default;
  ~DecodedUpdate();
};

// Validates everything (structure, UTF-8, JSON, references) before anything is
// applied.  Errors are absl::DataLossError naming what was wrong and where.
absl::StatusOr<DecodedUpdate> DecodeUpdate(const uint8_t* data, size_t len, Interner& interner);

// A decoded update kept flat, so that a document applying update after update
// reuses the same few vectors instead of allocating per-client vectors, hash
// maps and a delete set for each one.  Does not own its items: whoever
// consumes a ref takes its item, FreeItems frees what is left.
struct UpdateScratch {
  struct Client {
    uint64_t client;
    size_t begin, end;  // the client's structs: refs[begin, end), in wire order
    size_t deleted = 0;  // how many are deleted runs (the placing decoder counts them)
  };
  struct DsRange {
    uint64_t client, clock, len;  // len > 0
  };
  std::vector<Client> clients;  // in wire order
  std::vector<StructRef> refs;
  std::vector<DsRange> ds;      // in wire order
  DeleteSet unapplied;          // ApplyUpdate: deletions of structs not here yet (empty between updates)
  std::string cut;              // ApplyUpdate: the text a deletion at a run's head leaves (kept for its memory)
  // ReadRunAppend: the client it looked up last, valid while the store's
  // table keeps its size and capacity (a flat map moves entries only when it
  // grows, and the store never removes a client).
  const StructStore* run_store = nullptr;
  uint64_t run_client = 0;
  const ClientStructs* run_structs = nullptr;
  size_t run_clients = 0, run_capacity = 0;
  // LoadIntoEmpty's working arrays, parallel to refs (kept for their memory).
  std::vector<uint8_t> load_marks;     // per ref: absorbed into its left, deleted by the delete set
  std::vector<uint32_t> load_deletes;  // refs the delete set deletes, in the order it does
  // Written by the decode of a first state (the placing decoder), so that
  // LoadIntoEmpty need not walk the items once more for them: each ref's
  // clock, and whether every struct has the shape it loads (a string or
  // deleted run in a root's sequence, not under a key).  load_prepared says
  // they are valid for the refs decoded last.
  std::vector<uint64_t> load_clocks;
  bool load_shapes = false;
  bool load_prepared = false;
  // ApplyUpdate's decode of a state into an empty document: the items whose
  // strings (longer than ItemString's inline size) wait for their block of the
  // document's text arena (Doc::AllocText), and their bytes.
  std::vector<Item*> placed;
  size_t placed_bytes = 0;
  void Clear();                 // forgets the refs (does not free their items)
  void FreeItems(Doc* doc);     // frees the refs' items (doc->FreeItem, or delete when null)
};

// DecodeUpdate into `out` (cleared first); items come from doc->NewItem() (new
// when doc is null).  On error `out` still holds the items made so far.
absl::Status DecodeUpdateInto(const uint8_t* data, size_t len, Interner& interner, Doc* doc, UpdateScratch& out);

struct ApplyOptions {
  // A whole state applied to an empty document goes through LoadIntoEmpty
  // (update.cc) when it qualifies; off, it integrates struct by struct.  Both
  // reach the same document (tests/unit/load_test.cc compares them).
  bool bulk_load = true;
  // When set, told whether LoadIntoEmpty loaded the update (for tests).
  bool* bulk_loaded = nullptr;
  // An update applied to a document with nothing in its store yet keeps its
  // strings longer than 12 bytes in one block of the document's text arena
  // (Doc::AllocText) instead of a heap block each; off, a block each (tests
  // compare the two).
  bool place_text = true;
  // An update that is one string struct continuing its client's newest run
  // (a remote keystroke) is appended to that run straight from the wire, with
  // no Item; off, it goes through the general decode and Integrate's absorb.
  // Both reach the same document (tests/unit/run_append_test.cc compares them).
  bool append_runs = true;
  // When set, told whether the update was appended that way (for tests).
  bool* appended_run = nullptr;
};

absl::Status ApplyUpdate(Doc& doc, const uint8_t* data, size_t len, std::optional<std::string> origin,
                         const ApplyOptions& options = {});

// writeClientsStructs: every struct the peer with state vector sv lacks.
void WriteStructs(const StructStore& store, const StateVector& sv, Encoder& enc);
// The structs of each (client, clock) in `from` from that clock on; every
// client must have structs past its clock.  Clients are written descending.
void WriteClientsStructs(const StructStore& store, std::vector<std::pair<uint64_t, uint64_t>> from, Encoder& enc);
// Per client of `until` (clocks > 0), the structs of clocks [0, until[client])
// in update v1 struct layout, the struct that crosses the bound cut there; no
// delete set follows (the caller writes one).  Yjs createDocFromSnapshot.
void WriteStructsUntil(const StructStore& store, const StateVector& until, Encoder& enc);
// The whole state (sv == nullptr) or the diff against sv, pending structs included.
std::vector<uint8_t> EncodeStateAsUpdate(const Doc& doc, const StateVector* sv);
// The same, written into `enc` (empty), whose buffer a C caller can take over.
void EncodeStateAsUpdate(const Doc& doc, const StateVector* sv, Encoder& enc);

absl::StatusOr<std::vector<uint8_t>> MergeUpdates(const std::vector<std::string_view>& updates);
absl::StatusOr<StateVector> UpdateStateVector(const uint8_t* data, size_t len);

}  // namespace codesync

#endif  // CODESYNC_CORE_UPDATE_H_
