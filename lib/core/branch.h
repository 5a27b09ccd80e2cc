// Branch: the shared part of every Yjs type (text, array, map, XML): a
// sequence of items with a position index, and a map of keys to items.
#ifndef CODESYNC_CORE_BRANCH_H_
#define CODESYNC_CORE_BRANCH_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/item.h"
#include "core/seq_index.h"

namespace codesync {

class Doc;
struct Transaction;

// A change to a text, as an editor applies it.
struct DeltaOp {
  enum Kind : uint8_t { kRetain, kInsert, kDelete } kind = kRetain;
  uint64_t length = 0;  // in the doc's offset unit
  std::string text;     // kInsert of text
  const Any* embed = nullptr;  // kInsert of an embed (borrowed for the callback's duration)
  Any attributes;       // object or undefined
};
using DeltaObserver = std::function<void(const std::vector<DeltaOp>&, const Transaction&)>;

struct Branch {
  TypeRef ref = TypeRef::kUnknown;
  std::string node_name;                  // XmlElement node name / XmlHook hook name
  Item* item = nullptr;                   // the item whose content is this type; null for roots
  const std::string* root_name = nullptr; // for roots
  Doc* doc = nullptr;
  Item* start = nullptr;                  // first item of the sequence
  seq::Tree tree;                         // the sequence's position index
  std::map<std::string, Item*> map;       // key -> newest item for that key
  bool has_formatting = false;            // a format item was ever integrated here
  std::vector<std::pair<uint64_t, DeltaObserver>> delta_observers;
  // The sequence operations' last answer or edit (types::FindItem): `item`
  // starts at unit position `start` of `unit` as long as tree.version is still
  // `version`, so the next lookup next to it needs no seq::Find.
  struct FindMemo {
    const Item* item = nullptr;
    uint64_t start = 0;
    uint64_t version = 0;
    Unit unit = kUtf16;
  };
  mutable FindMemo find_memo;

  // Set when the type's item was garbage collected: `item` is then null (the
  // struct may be merged away and freed) and the type reads as deleted.
  bool collected = false;

  bool is_root() const { return item == nullptr && !collected; }
  // Deleted types read as empty and refuse edits.
  bool is_deleted() const { return collected || (item != nullptr && item->deleted); }
  uint64_t Length(Unit u) const { return tree.Total(u); }
};
static_assert(alignof(Branch) >= 2, "Item::str's payload word tags the low bit");

// The change a transaction made to a text, as retain/insert/delete ops in the
// doc's unit (implemented in types/text.cc).  Format items found to change
// nothing are appended to `redundant` (Yjs deletes them when it computes a delta).
std::vector<DeltaOp> ComputeDelta(const Branch& text, const Transaction& t, std::vector<Item*>* redundant);

// Deletes format items made redundant by the remote transaction `finished`
// (Yjs cleanupYTextAfterTransaction), recording them in `cleanup`.
void CleanupFormatting(Transaction& cleanup, const Transaction& finished);

}  // namespace codesync

#endif  // CODESYNC_CORE_BRANCH_H_
