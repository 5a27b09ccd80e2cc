// Shared helpers of the sequence types: transactions around an edit, and
// turning an index in some unit into a cut between items.
#ifndef CODESYNC_TYPES_SEQUENCE_H_
#define CODESYNC_TYPES_SEQUENCE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "core/doc.h"
#include "core/seq_index.h"

namespace codesync::types {

// Runs fn(transaction) inside the open transaction or a new local one.
template <typename Fn>
absl::Status Transact(Doc& doc, Branch* type, Fn fn) {
  if (doc.busy()) return absl::UnavailableError("the document is busy: edits from inside an observer are refused");
  if (type->is_deleted()) return absl::InvalidArgumentError("the type was deleted");
  // Inside an open transaction Begin and Commit would only count the depth.
  if (Transaction* open = doc.txn(); open && doc.txn_depth() > 0) return fn(*open);
  Transaction& t = doc.Begin(std::nullopt, /*local=*/true);
  absl::Status s = fn(t);
  doc.Commit();
  return s;
}

// A validated cut position: after `item`'s first `cut` clocks (item == nullptr: at the start).
struct Cut {
  Item* item = nullptr;
  uint64_t cut = 0;
};

// Clock offset inside item of unit offset `units` (0 < units <= item->weight(u));
// fails when it would split a character.
absl::StatusOr<uint64_t> ClockOffset(const Item& item, Unit u, uint64_t units);

// Item::weight(u) of a live (not deleted) string run, without the kind and
// visibility tests: the keystroke paths know both already.
inline uint64_t LiveStringWeight(const Item& run, Unit u) {
  switch (u) {
    case kUtf16:
      return run.length;
    case kUtf8:
      return run.str.size();
    case kCodepoints:
      return run.str.size() == run.length ? run.length : run.codepoints;
    default:
      return 1;
  }
}

// seq::Find(b.tree, u, index, offset) through b.find_memo: the memo answers
// when the index has not changed since it was taken and `index` falls inside
// its item, which is then the one item containing `index` (the same answer and
// offset as the tree's); otherwise the tree answers and is remembered.
Item* FindItemInTree(const Branch& b, Unit u, uint64_t index, uint64_t* offset);
inline Item* FindItem(const Branch& b, Unit u, uint64_t index, uint64_t* offset) {
  const Branch::FindMemo& m = b.find_memo;
  if (m.item && m.version == b.tree.version && m.unit == u && index >= m.start) {
    const Item& it = *m.item;
    const uint64_t w = it.kind == ContentKind::kString && !it.deleted ? LiveStringWeight(it, u) : it.weight(u);
    if (index - m.start < w) {
      *offset = index - m.start;
      return const_cast<Item*>(m.item);
    }
  }
  return FindItemInTree(b, u, index, offset);
}
// Remembers that `item` (in b's sequence) starts at unit position `start` now.
inline void RememberItem(const Branch& b, Unit u, const Item* item, uint64_t start) {
  b.find_memo = {item, start, b.tree.version, u};
}

// Finds the cut at unit index `index` of the sequence (index <= length).
absl::StatusOr<Cut> Locate(const Branch& b, Unit u, uint64_t index);

// Applies a cut: returns the item ending exactly at the cut (nullptr = start).
Item* ApplyCut(Doc& doc, Transaction& t, const Cut& c);

}  // namespace codesync::types

#endif  // CODESYNC_TYPES_SEQUENCE_H_
