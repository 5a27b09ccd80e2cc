// Doc: the struct store, root types and transactions, and the YATA
// integration of items (same outcome as Yjs 13.6 Item#integrate).
#ifndef CODESYNC_CORE_DOC_H_
#define CODESYNC_CORE_DOC_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
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

// A set in insertion order, kept as a vector: a transaction usually changes
// one type, so lookups scan it, and use a hash index only once it grows.
template <typename T>
class SmallSet {
 public:
  // The first insert of a transaction and a repeat of the last one (nearly
  // every call) stay inline.
  bool insert(T v) {
    if (items_.empty()) {
      items_.push_back(v);
      return true;
    }
    if (items_.back() == v) return false;
    return InsertSlow(v);
  }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  typename std::vector<T>::const_iterator begin() const { return items_.begin(); }
  typename std::vector<T>::const_iterator end() const { return items_.end(); }
  void clear() {
    if (items_.size() > kLinear) index_.clear();
    items_.clear();
  }

 private:
  [[gnu::noinline]] bool InsertSlow(T v) {
    if (items_.size() <= kLinear) {
      if (std::find(items_.begin(), items_.end(), v) != items_.end()) return false;
    } else if (!index_.insert(v).second) {
      return false;
    }
    items_.push_back(v);
    if (items_.size() == kLinear + 1) index_.insert(items_.begin(), items_.end());
    return true;
  }

  static constexpr size_t kLinear = 8;
  std::vector<T> items_;
  absl::flat_hash_set<T> index_;  // all of items_, once past kLinear
};

struct Transaction {
  Doc* doc = nullptr;
  std::optional<std::string> origin;
  bool local = true;
  DeleteSet delete_set;
  // Structs whose merge with their neighbours the commit tries again (Yjs
  // _mergeStructs): right halves of splits, deleted children of deleted types.
  struct MergeCandidate {
    Id id;
    Item* item;      // the struct itself, valid (and still at id) as long as
    uint64_t frees;  // Doc::frees() equals this: nothing was freed since
  };
  std::vector<MergeCandidate> merge_structs;
  void AddMergeCandidate(Item* s);
  SmallSet<Branch*> changed;  // types changed, in the order first changed
  // Clients this transaction added structs for, in the order first touched.
  // Their clocks before it are recorded when first touched (Touch), so
  // beginning a transaction costs nothing per client of the document.
  std::vector<uint64_t> touched_clients;
  // Structs the transaction appended to the store (Integrate): none, and the
  // commit has no new structs to merge (appends in place and splits make none).
  size_t appended = 0;
  // Set by a bulk load of a whole state (LoadIntoEmpty, update.cc) that proved
  // the commit's passes over what it loaded have nothing to do: no deleted
  // content to collect, and no loaded struct or deleted run that could merge
  // with its clock neighbour.  The commit then skips those passes (split
  // halves noted by observers still merge).
  bool loaded_collected = false;
  bool loaded_merged = false;

  // Empties every field but keeps the containers' memory, so that a document
  // reuses one transaction instead of allocating a fresh one per edit.
  // (Inline: a typing transaction leaves only its client and its type to clear.)
  void Reset() {
    if (origin) origin.reset();
    local = true;
    if (!delete_set.empty() || !delete_set.order.empty()) delete_set.Clear();
    if (!merge_structs.empty()) merge_structs.clear();
    appended = 0;
    loaded_collected = loaded_merged = false;
    if (!changed.empty()) changed.clear();
    if (!touched_clients.empty()) ClearTouched();
  }
  const char* origin_cstr() const { return origin ? origin->c_str() : nullptr; }
  // Records `client`'s clock before the transaction adds structs for it;
  // `clock_now` is its clock at the call, which is the before clock the first
  // time (every struct a transaction adds goes through Touch first).
  void Touch(uint64_t client, uint64_t clock_now) {
    if (hint_ < touched_clients.size() && touched_clients[hint_] == client) return;
    if (touched_clients.empty()) return AddTouched(client, clock_now);  // (a transaction's first)
    if (const size_t i = IndexOf(client); i != kNone) {
      hint_ = i;
      return;
    }
    AddTouched(client, clock_now);
  }
  // The client's clock when the transaction began (0 for a client new to it).
  uint64_t BeforeClock(uint64_t client) const;
  // Whether the transaction added structs for `client` (else its clock has not moved).
  bool Touched(uint64_t client) const {
    return (hint_ < touched_clients.size() && touched_clients[hint_] == client) || IndexOf(client) != kNone;
  }

 private:
  static constexpr size_t kNone = ~size_t{0};
  static constexpr size_t kLinear = 8;  // more touched clients than this: look up by hash
  size_t IndexOf(uint64_t client) const {
    if (touched_clients.size() <= kLinear) {
      for (size_t i = 0; i < touched_clients.size(); i++) {
        if (touched_clients[i] == client) return i;
      }
      return kNone;
    }
    auto it = index_.find(client);
    return it == index_.end() ? kNone : it->second;
  }
  void AddTouched(uint64_t client, uint64_t clock_now);
  [[gnu::noinline]] void IndexTouched(uint64_t client);
  void ClearTouched() {
    if (touched_clients.size() > kLinear) index_.clear();
    touched_clients.clear();
    before_clocks_.clear();
    hint_ = 0;
  }

  std::vector<uint64_t> before_clocks_;  // parallel to touched_clients
  absl::flat_hash_map<uint64_t, size_t> index_;  // client -> position, once past kLinear
  size_t hint_ = 0;  // position of the client touched last
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
  // Every reader of the store outside the local text operations goes through
  // these, so a deletion folded early (see DeleteInRun) is undone first.
  StructStore& store() {
    if (folds_pending_) SettleFolds();
    return store_;
  }
  const StructStore& store() const {
    // (A Doc is never created const; settling restores what Yjs would hold.)
    if (folds_pending_) const_cast<Doc*>(this)->SettleFolds();
    return store_;
  }

  // Root type by name.  want == kUnknown only looks up/creates a placeholder.
  // A placeholder takes the kind first asked for; asking for another kind later fails.
  absl::StatusOr<Branch*> Root(std::string_view name, TypeRef want);
  const std::map<std::string, Branch*, std::less<>>& roots() const { return roots_; }
  Branch* NewBranch(TypeRef ref, std::string node_name = {});
  const std::string* Intern(std::string_view s);
  absl::node_hash_set<std::string>& interner() { return interned_; }

  // Items of this document come from its pool (slabs, a free list); FreeItem
  // also takes items allocated with `new` (decoded structs), told apart by
  // Item::pooled.  Under AddressSanitizer every item is a plain `new`, so
  // use-after-free stays detectable.
  Item* NewItem();  // (inline: a fresh slot of the newest slab; else NewItemSlow)
  void FreeItem(Item* item);
  // n bytes (n > 0) that live as long as the document, uninitialised: the text
  // arena the strings of a loaded state are placed in (ItemString::AssignPlaced).
  // Never reused: bytes a string stops referring to stay until the document goes.
  // kTextSlack more bytes are readable past the n: the whole-state encoder copies
  // 16 bytes at data() for any string up to 16 bytes, placed ones included.
  static constexpr size_t kTextSlack = 16;
  char* AllocText(size_t n);
  // How many structs merges have freed (or folds moved) so far: a pointer to
  // a struct taken with its clock, when this had some value, is valid and
  // still holds that clock while it still has it.
  uint64_t frees() const { return frees_; }

  // Transactions nest; the outermost Commit runs observers, GC and merges.
  Transaction& Begin(std::optional<std::string> origin, bool local);
  // The same without an origin (what a local edit usually opens).
  Transaction& Begin(bool local) {
    if (txn_depth_++ == 0) Open(local);
    return *txn_;
  }
  void Commit() {
    if (txn_depth_ == 0) return;
    if (--txn_depth_ > 0) return;
    if (QuietCommit(*txn_)) {
      // (Inline: most transactions end here, a run grown in place.)
      txn_->Reset();
      spare_txn_ = std::move(txn_);
      return;
    }
    CommitSlow();
  }
  Transaction* txn() { return txn_.get(); }
  // How many Begin calls are open (1: the outermost transaction only).
  int txn_depth() const { return txn_depth_; }
  bool has_after_transaction_observers() const { return !after_transaction_observers_.empty(); }
  bool has_update_observers() const { return !update_observers_.empty(); }
  bool has_delta_observers() const { return delta_observer_count_ > 0; }
  // Whether a commit has anyone to tell (update, delta or after-transaction observers).
  bool observed() const {
    return delta_observer_count_ > 0 || !after_transaction_observers_.empty() || !update_observers_.empty();
  }
  // True while observers run: edits are refused then (CODESYNC_ERR_BUSY).
  bool busy() const { return busy_; }

  // False when the commit's merge of `right` into the struct before it (Yjs
  // tryToMergeWithLefts) would stop at once: only a GC struct or the sequence
  // neighbour that is also the clock neighbour (same client, same
  // deletedness) can take `right` (TryMerge).  The commit tests this before
  // it looks anything up.
  static bool MayMergeLeft(const Item* right) {
    if (right->id.clock == 0) return false;
    if (right->is_gc()) return true;
    const Item* left = right->left;
    return left && left->id.client == right->id.client && left->end_clock() == right->id.clock &&
           left->deleted == right->deleted && !left->is_gc();
  }

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
  // Deletes clocks [from, to) of a live string run (from < to <= length):
  // the same splits as SplitItem at `from` then at `to` (same structs, same
  // merge order) and the same deletion, with fewer position-index updates.
  // A head or tail next to a deleted run that the commit would merge it into
  // is folded into that run at once instead (see SettleFolds).
  // Returns the struct holding the deleted clocks.
  Item* DeleteInRun(Transaction& t, Item* run, uint64_t from, uint64_t to);
  // A deletion that DeleteInRun folded into the deleted run next to it (the
  // merge Yjs's commit makes) is, until the commit, not what Yjs holds: the
  // deleted characters are a string struct of their own there.  SettleFolds
  // splits them back out, with their text, for anything that may look at the
  // store before the commit (store(), lookups by id, remote structs, new
  // observers, formatting); the commit keeps the folds.
  void SettleFolds();
  bool folds_pending() const { return folds_pending_; }
  // Marks one item deleted (no recursion into nested types).
  void MarkDeleted(Transaction& t, Item* item);
  // The same for an item edited in place since its weights were `old` (its index sums).
  void MarkDeleted(Transaction& t, Item* item, const Weights& old);
  // Typing at the end of this client's newest run: when a string inserted
  // right after `left` would merge into it at commit anyway (TryMerge), it can
  // be appended to `left` in place, with no new item.  The store, the sequence
  // and the update come out the same as the slow path's.
  [[gnu::always_inline]] bool CanAppendToOwnRun(const Item* left) const {
    // The conditions under which the slow path's new struct would merge into
    // `left` at commit (TryMerge): same client, next clock, same right origin,
    // adjacent, both live strings of one sequence.  (`left` is ours, so our
    // structs exist.)  Inlined: it is asked once per keystroke.
    if (left->kind != ContentKind::kString || left->deleted || left->id.client != client_id_ || !left->parent ||
        left->parent_sub() || left->end_clock() != OwnStructs()->end_clock() || left->parent->is_deleted()) {
      return false;
    }
    // Text insertion moves past deleted items right of the cut (Yjs
    // minimizeAttributeChanges), so the new struct would not follow `left` then.
    const Item* right = left->right;
    if (!right) return !left->right_origin.present();
    return !right->deleted && left->right_origin.present() && left->right_origin.id == right->id;
  }
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
  // Runs observers, GC and merges; appends to `follow_ups` the transactions
  // to clean up next (formatting cleanups), if any.
  // `folded`: the delete set is one deletion that DeleteInRun folded (see
  // FoldedOnly), so its GC and merge passes are skipped.
  void CleanupTransaction(Transaction& t, bool folded, std::vector<std::unique_ptr<Transaction>>& follow_ups);
  // Takes the spare transaction (or a new one) as the open one.
  void Open(bool local) {
    if (!spare_txn_) spare_txn_ = NewTransaction();
    txn_ = std::move(spare_txn_);
    txn_->local = local;
  }
  [[gnu::noinline]] std::unique_ptr<Transaction> NewTransaction();
  // Commit's part after QuietCommit.
  void CommitSlow();
  // CleanupTransaction's merges of the structs t added and of split halves
  // (Yjs: the clients with new structs, then _mergeStructs).
  void MergeNewStructs(Transaction& t, bool skip_loaded);
  // True when t's delete set is exactly the one range that the one pending
  // fold took, and nothing but the commit's passes reads it (no update, delta
  // or after-transaction observer).  The fold's run is collected already and
  // its merge candidate makes every merge attempt the delete-set pass would
  // (those attempts all fail: see the commit), so that pass has nothing to do.
  bool FoldedOnly(const Transaction& t) const;
  std::unique_ptr<Transaction> NewFollowUp();
  // True when CleanupTransaction(t) would change nothing and call no one, so
  // that the commit only resets t.
  bool QuietCommit(const Transaction& t) const {
    // CleanupTransaction's passes, each with nothing to do: no deletion to
    // collect or merge (folds always record one), no struct added or split
    // off, nobody to tell.  (A run grown in place, by typing or a remote
    // keystroke, leaves exactly this.)
    if (!t.delete_set.empty() || !t.merge_structs.empty() || t.appended > 0 || folds_pending_ || observed()) {
      return false;
    }
    return t.local || QuietRemote(t);
  }
  // QuietCommit's remote-only steps: formatting cleanup, and a new client id
  // when someone else wrote under ours.
  bool QuietRemote(const Transaction& t) const;
  void GcItem(Item* item, bool parent_gcd);
  void GcType(Branch* type);
  struct Merged {
    Item* into;     // the struct the run ended in
    size_t merged;  // how many structs merged away
  };
  // Yjs tryToMergeWithLefts: merges `right` into its left neighbour by clock,
  // then that into its own left, while TryMerge allows.
  // (Inline: most calls find nothing to merge, see MayMergeLeft.)
  Merged MergeWithLefts(ClientStructs& structs, Item* right) {
    if (!MayMergeLeft(right)) return {right, 0};
    return MergeWithLeftsSlow(structs, right);
  }
  Merged MergeWithLeftsSlow(ClientStructs& structs, Item* right);

  // The struct before `s` by clock (nullptr at clock 0), read off the
  // sequence links when they tell, from the B-tree otherwise.
  static Item* ClockPrev(const ClientStructs& structs, Item* s);
  // The struct after `s` by clock when it could merge into `s`, else nullptr
  // (also when the other struct exists but TryMerge would refuse it).
  static Item* NextThatMayMerge(const ClientStructs& structs, Item* s);
  // The same for a struct that is not GC (no store lookup).
  static Item* NextThatMayMerge(Item* s) {
    // A live or deleted item only takes its sequence neighbour (TryMerge).
    Item* r = s->right;
    return r && r->id.client == s->id.client && r->id.clock == s->end_clock() ? r : nullptr;
  }
  bool TryMerge(Item* left, Item* right);
  void EmitDeltas(Transaction& t, std::vector<std::unique_ptr<Transaction>>& follow_ups);

  // One deletion folded early: `into` is the deleted run that took clocks
  // [clock, clock + length) (on its left side when `at_start`); their content
  // is fold_text_[text_at, text_at + text_len).
  struct Fold {
    Item* into;
    uint64_t clock;
    uint64_t length;
    bool at_start;
    size_t text_at;
    size_t text_len;
  };
  // Folds the deletion of [from, to) of `run` (a head or a tail) into the
  // deleted run next to it when the commit would merge them anyway; false
  // (nothing changed) when it cannot prove that.
  bool FoldDeletion(Transaction& t, Item* run, uint64_t from, uint64_t to);
  // SplitItem without the position index: the caller weighs both parts.
  Item* SplitOff(Transaction& t, Item* left, uint64_t diff);
  std::vector<Fold> folds_;
  std::string fold_text_;  // the folds' deleted content, end to end (one buffer, reused)
  bool folds_pending_ = false;
  // This client's structs, found once per new client in the store: the store
  // never removes clients, and a flat map moves its entries only when one is
  // added or it is resized, so the pointer holds while the count of clients,
  // the capacity and the id do.
  // This client's structs, refreshed when the store's client count, capacity
  // or the client id change (a flat map moves entries only when it grows or rehashes).
  const ClientStructs* OwnStructs() const {
    if (own_structs_clients_ != store_.clients.size() || own_structs_capacity_ != store_.clients.capacity() ||
        own_structs_id_ != client_id_) {
      RefreshOwnStructs();
    }
    return own_structs_;
  }
  void RefreshOwnStructs() const;
  mutable const ClientStructs* own_structs_ = nullptr;
  mutable size_t own_structs_clients_ = ~size_t{0};
  mutable size_t own_structs_capacity_ = 0;
  mutable uint64_t own_structs_id_ = 0;

  struct alignas(Item) ItemSlot {
    unsigned char bytes[sizeof(Item)];
  };
  std::vector<std::unique_ptr<ItemSlot[]>> item_slabs_;
  size_t slab_size_ = 0;  // slots in the newest slab
  ItemSlot* slab_next_ = nullptr;  // its first slot never handed out
  ItemSlot* slab_end_ = nullptr;
  Item* NewItemSlow();
  void* free_items_ = nullptr;  // freed slots, linked through their first word
  std::vector<std::unique_ptr<char[]>> text_blocks_;  // AllocText's blocks
  // The run AppendToOwnRun last grew.  Its text block doubles while typing
  // goes on; when typing moves to another run it is trimmed to its content
  // (a final document kept ~35% slack in such blocks).  FreeItem forgets it.
  Item* typing_run_ = nullptr;

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
  uint64_t frees_ = 0;
  bool busy_ = false;
  uint64_t next_observer_id_ = 1;
  size_t delta_observer_count_ = 0;  // over all types: none, and commit skips the delta pass
  std::vector<std::pair<uint64_t, UpdateObserver>> update_observers_;
  std::vector<std::pair<uint64_t, AfterTransactionObserver>> after_transaction_observers_;
  RedoneTable redone_;
  std::unique_ptr<UpdateScratch> update_scratch_;
};

inline Item* Doc::NewItem() {
  // (Under AddressSanitizer the slab pointers stay null: NewItemSlow news every item.)
  if (free_items_ == nullptr && slab_next_ != slab_end_) {
    Item* item = new (slab_next_++) Item();
    item->pooled = true;
    return item;
  }
  return NewItemSlow();
}

inline void Transaction::AddMergeCandidate(Item* s) { merge_structs.push_back({s->id, s, doc->frees()}); }

inline uint64_t Transaction::BeforeClock(uint64_t client) const {
  if (hint_ < touched_clients.size() && touched_clients[hint_] == client) return before_clocks_[hint_];
  const size_t i = IndexOf(client);
  // A client the transaction did not touch has not changed.
  return i != kNone ? before_clocks_[i] : doc->store().State(client);
}

}  // namespace codesync

#endif  // CODESYNC_CORE_DOC_H_
