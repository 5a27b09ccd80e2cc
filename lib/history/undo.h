// Undo manager with the semantics of Yjs 13.6 UndoManager: it records the
// changes that tracked origins make to a scope of types, merges changes that
// come within the capture timeout into one stack item, and undoes a stack item
// by deleting what it inserted and re-creating (as new items that copy the
// content) what it deleted, so edits of other peers made in between survive.
// There are no timers: time comes from a clock callback or SetTime.
#ifndef CODESYNC_HISTORY_UNDO_H_
#define CODESYNC_HISTORY_UNDO_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "core/doc.h"

namespace codesync::history {

class UndoManager {
 public:
  struct Options {
    int64_t capture_timeout_ms = 500;
    // Origin of the transactions that undo and redo (what update observers see).
    std::optional<std::string> origin = std::string("codesync:undo");
    // Milliseconds from any monotonic clock; unset = the time given to SetTime.
    std::function<int64_t()> clock;
  };
  enum class Stack { kUndo, kRedo };
  struct StackItem {
    DeleteSet deletions;   // what the change deleted (re-created on undo)
    DeleteSet insertions;  // clock ranges the change created (deleted on undo)
    std::string meta;      // the embedder's data, e.g. encoded cursor positions
    // Merged changes append their ranges unsorted (so typing stays O(1) per
    // edit); Normalize sorts and merges them before the sets are read.
    bool normalized = true;
    void Normalize();
  };
  enum class EventKind { kAdded, kUpdated, kPopped };
  struct Event {
    EventKind kind;
    Stack stack;  // the stack the item went on (added/updated) or came from (popped)
    const std::optional<std::string>* origin;  // the change's transaction origin
    StackItem* item;
  };
  using Listener = std::function<void(const Event&)>;

  // Tracks the null origin (plain local edits) until RemoveTrackedOrigin(nullopt).
  UndoManager(Doc& doc, Options options);
  ~UndoManager();
  UndoManager(const UndoManager&) = delete;
  UndoManager& operator=(const UndoManager&) = delete;

  Doc& doc() { return doc_; }
  // Changes to the type or anything nested in it are recorded.
  void AddScope(Branch* type) { scope_.insert(type); }
  bool InScope(const Item* item) const;
  void AddTrackedOrigin(std::optional<std::string> origin) {
    if (origin) tracked_.insert(*std::move(origin)); else track_null_ = true;
  }
  void RemoveTrackedOrigin(const std::optional<std::string>& origin) {
    if (origin) tracked_.erase(*origin); else track_null_ = false;
  }
  bool IsTracked(const std::optional<std::string>& origin) const {
    return origin ? tracked_.contains(*origin) : track_null_;
  }

  // Each returns whether something changed.  Refused (UNAVAILABLE) while the
  // document has an open transaction or runs observers.
  absl::StatusOr<bool> Undo();
  absl::StatusOr<bool> Redo();
  bool CanUndo() const { return !undo_.empty(); }
  bool CanRedo() const { return !redo_.empty(); }
  size_t UndoDepth() const { return undo_.size(); }
  size_t RedoDepth() const { return redo_.size(); }
  StackItem* Top(Stack s) { auto& v = s == Stack::kUndo ? undo_ : redo_; return v.empty() ? nullptr : &v.back(); }
  // The next change starts a new stack item.
  void StopCapturing() { has_last_change_ = false; }
  // Drops stack items and lets the content they kept be collected.
  absl::Status Clear(bool undo_stack = true, bool redo_stack = true);
  void SetTime(int64_t now_ms) { now_ = now_ms; }

  uint64_t AddListener(Listener fn);
  void RemoveListener(uint64_t id);

 private:
  void OnAfterTransaction(Transaction& t);
  absl::StatusOr<bool> Pop(Stack from);
  bool ScopeChanged(const Transaction& t) const;
  int64_t Now() const { return options_.clock ? options_.clock() : now_; }
  void ClearItem(Transaction& t, StackItem& item);
  Item* RedoItem(Transaction& t, Item* item, const absl::flat_hash_set<Item*>& redo_items, const DeleteSet& inserted);
  bool DeletedByStacks(Id id);
  Item* RedoneOf(Transaction& t, Item* item);
  void Emit(const Event& e);

  Doc& doc_;
  Options options_;
  uint64_t hook_id_ = 0;
  absl::flat_hash_set<Branch*> scope_;
  absl::flat_hash_set<std::string> tracked_;  // named origins
  bool track_null_ = true;                    // edits without an origin, as Yjs tracks null
  std::vector<StackItem> undo_, redo_;
  bool undoing_ = false, redoing_ = false;
  const Transaction* own_txn_ = nullptr;
  bool has_last_change_ = false;
  int64_t last_change_ = 0;
  int64_t now_ = 0;
  uint64_t next_listener_ = 1;
  std::vector<std::pair<uint64_t, Listener>> listeners_;
};

// Calls f on every struct in the ranges of ds (splitting items at the range
// ends, as Yjs iterateDeletedStructs).  f must not insert or delete.
void IterateStructs(Doc& doc, Transaction& t, const DeleteSet& ds, const std::function<void(Item*)>& f);
// Sets keep on item and its parent types' items (Yjs keepItem).
void KeepItem(Item* item, bool keep);

}  // namespace codesync::history

#endif  // CODESYNC_HISTORY_UNDO_H_
