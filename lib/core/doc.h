// Doc: the struct store, root types and transactions, and the YATA
// integration of items (same outcome as Yjs 13.6 Item#integrate).
#ifndef CODESYNC_CORE_DOC_H_
#define CODESYNC_CORE_DOC_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_set.h"
#include "absl/status/status.h"
#include "core/branch.h"
#include "core/item.h"
#include "core/store.h"

namespace codesync {

class Doc;
struct UpdateScratch;

// A decoded struct that is not integrated yet, with its parent as written on the wire.
struct StructRef {
  Item* item = nullptr;  // kind kSkip for skips
  OptId parent_id;                          // parent given as the id of the type's item
  const std::string* parent_root = nullptr; // parent given as a root name
};

struct Transaction {
  Doc* doc = nullptr;
  std::optional<std::string> origin;
  bool local = true;
  StateVector before_state;
  DeleteSet delete_set;
  std::vector<Id> merge_structs;  // right halves of splits, merged back at commit when possible
  absl::flat_hash_set<Branch*> changed;
  absl::flat_hash_set<uint64_t> touched_clients;

  // Empties every field but keeps the containers' memory, so that a document
  // reuses one transaction instead of allocating a fresh one per edit.
  void Reset();
  const char* origin_cstr() const { return origin ? origin->c_str() : nullptr; }
  // The client's clock when the transaction began (0 for a client new to it).
  uint64_t BeforeClock(uint64_t client) const {
    auto it = before_state.find(client);
    return it == before_state.end() ? 0 : it->second;
  }
};

struct DocOptions {
  uint64_t client_id = 0;  // 0 = random 32-bit id
  bool gc = true;
  Unit unit = kUtf16;      // unit of text indices in the API
};

using UpdateObserver = std::function<void(const std::vector<uint8_t>& update, const Transaction&)>;
// Runs after a transaction's observers, before its deleted content is collected
// (Yjs 'afterTransaction'): may mark items `keep` and split items (t is still open
// for merging), must not insert or delete.
using AfterTransactionObserver = std::function<void(Transaction&)>;

// Where a deleted range was re-created by an undo manager (Yjs Item.redone), by
// first clock of the range; relative positions follow it.  Items with an entry
// never merge, as in Yjs, so an entry always starts at an item.
struct RedoneRange {
  uint64_t len = 0;
  Id target;  // id of the copy of the range's first clock
};
using RedoneTable = absl::flat_hash_map<uint64_t, std::map<uint64_t, RedoneRange>>;

class Doc {
 public:
  explicit Doc(const DocOptions& options = {});
  ~Doc();
  Doc(const Doc&) = delete;
  Doc& operator=(const Doc&) = delete;

  uint64_t client_id() const { return client_id_; }
  bool gc_enabled() const { return gc_; }
  Unit unit() const { return unit_; }
  StructStore& store() { return store_; }
  const StructStore& store() const { return store_; }

  // Root type by name.  want == kUnknown only looks up/creates a placeholder.
  // A placeholder takes the kind first asked for; asking for another kind later fails.
  absl::StatusOr<Branch*> Root(std::string_view name, TypeRef want);
  const std::map<std::string, Branch*, std::less<>>& roots() const { return roots_; }
  Branch* NewBranch(TypeRef ref, std::string node_name = {});
  const std::string* Intern(std::string_view s);
  absl::node_hash_set<std::string>& interner() { return interned_; }

  Item* NewItem();
  void FreeItem(Item* item);

  // Transactions nest; the outermost Commit runs observers, GC and merges.
  Transaction& Begin(std::optional<std::string> origin, bool local);
  void Commit();
  Transaction* txn() { return txn_.get(); }
  // True while observers run: edits are refused then (CODESYNC_ERR_BUSY).
  bool busy() const { return busy_; }

  // --- the YATA core, used by types/ and by update application ----------
  Id NextId() const { return {client_id_, store_.State(client_id_)}; }
  Item* GetItemCleanStart(Transaction& t, Id id);
  Item* GetItemCleanEnd(Transaction& t, Id id);
  Item* SplitItem(Transaction& t, Item* left, uint64_t diff);
  // Resolves references of a decoded struct; returns the client whose struct
  // is still missing, or nullopt when the struct can be integrated.
  std::optional<uint64_t> GetMissing(Transaction& t, StructRef& ref);
  // With `absorb`, a string that lands right after the newest struct of its
  // client and would merge into it at commit is appended to that struct
  // instead: the caller then owns (and frees) `item`, and gets the struct that
  // holds its content back; otherwise returns `item`, which the store owns.
  Item* Integrate(Transaction& t, Item* item, uint64_t offset, bool absorb = false);
  void DeleteItem(Transaction& t, Item* item);
  // Marks one item deleted (no recursion into nested types).
  void MarkDeleted(Transaction& t, Item* item);
  // Typing at the end of this client's newest run: when a string inserted
  // right after `left` would merge into it at commit anyway (TryMerge), it can
  // be appended to `left` in place, with no new item.  The store, the sequence
  // and the update come out the same as the slow path's.
  bool CanAppendToOwnRun(const Item* left) const;
  // Appends UTF-8 `s` (`utf16_len` clocks) to `left`; requires CanAppendToOwnRun(left).
  void AppendToOwnRun(Transaction& t, Item* left, std::string_view s, uint64_t utf16_len);
  // Creates a local item after `left` (nullptr = start) and before `right`, and integrates it.
  Item* InsertLocal(Transaction& t, Branch* parent, Item* left, Item* right, const std::string* parent_sub,
                    Item* content);

  // Pending structs (waiting for missing dependencies) and deletions of unknown structs.
  absl::flat_hash_map<uint64_t, std::vector<StructRef>> pending_structs;
  StateVector pending_missing;
  DeleteSet pending_ds;
  bool has_pending() const { return !pending_structs.empty() || !pending_ds.empty(); }

  uint64_t AddUpdateObserver(UpdateObserver fn);
  void RemoveUpdateObserver(uint64_t id);
  uint64_t AddDeltaObserver(Branch* text, DeltaObserver fn);
  void RemoveDeltaObserver(Branch* text, uint64_t id);
  uint64_t AddAfterTransactionObserver(AfterTransactionObserver fn);
  void RemoveAfterTransactionObserver(uint64_t id);

  // Decoder scratch reused by every ApplyUpdate (core/update.cc); taken out
  // while in use, so a nested apply gets a fresh one (nullptr = none spare).
  std::unique_ptr<UpdateScratch> TakeUpdateScratch();
  void ReturnUpdateScratch(std::unique_ptr<UpdateScratch> s);

  RedoneTable& redone() { return redone_; }
  const RedoneTable& redone() const { return redone_; }
  // The redone range containing id, or nullptr.
  const RedoneRange* FindRedone(Id id, uint64_t* start_clock) const;

 private:
  // Runs observers, GC and merges; returns a follow-up transaction to clean up next, if any.
  std::vector<std::unique_ptr<Transaction>> CleanupTransaction(Transaction& t);
  std::unique_ptr<Transaction> NewFollowUp();
  void GcItem(Item* item, bool parent_gcd);
  void GcType(Branch* type);
  struct MergeResult {
    ClientStructs::const_iterator pos;  // the struct the run merged into
    size_t merged;                      // how many structs merged away
  };
  MergeResult TryToMergeWithLefts(ClientStructs& structs, ClientStructs::const_iterator pos);
  bool TryMerge(Item* left, Item* right);
  std::vector<std::unique_ptr<Transaction>> EmitDeltas(Transaction& t);

  uint64_t client_id_;
  bool gc_;
  Unit unit_;
  StructStore store_;
  std::map<std::string, Branch*, std::less<>> roots_;
  std::vector<std::unique_ptr<Branch>> branches_;
  absl::node_hash_set<std::string> interned_;
  std::unique_ptr<Transaction> txn_;
  std::unique_ptr<Transaction> spare_txn_;  // a committed transaction kept for reuse
  int txn_depth_ = 0;
  bool busy_ = false;
  uint64_t next_observer_id_ = 1;
  std::vector<std::pair<uint64_t, UpdateObserver>> update_observers_;
  std::vector<std::pair<uint64_t, AfterTransactionObserver>> after_transaction_observers_;
  RedoneTable redone_;
  std::unique_ptr<UpdateScratch> update_scratch_;
};

}  // namespace codesync

#endif  // CODESYNC_CORE_DOC_H_
