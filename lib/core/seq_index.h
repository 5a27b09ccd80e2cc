// Position index of a sequence: a counted B+tree whose leaves hold the items
// in list order (up to kLeafCapacity each) and whose nodes carry the visible
// length of their subtree in every unit, so index -> item and item -> index
// are O(log n) with a fanout of 32 (depth 3 for 10k items).  Every item knows
// its leaf; a weight change is a delta up that short path.  A cursor caches
// the last leaf Find reached and where it starts, so an edit next to the
// previous one scans one leaf instead of descending from the root.
#ifndef CODESYNC_CORE_SEQ_INDEX_H_
#define CODESYNC_CORE_SEQ_INDEX_H_

#include <cstdint>

#include "core/item.h"

namespace codesync::seq {

inline constexpr int kLeafCapacity = 32;
inline constexpr int kInnerCapacity = 32;

struct Inner;

struct Node {
  Inner* parent = nullptr;
  uint64_t sum[kUnitCount] = {0, 0, 0, 0};  // subtree weight per unit
  uint16_t count = 0;                       // items (leaf) or children (inner)
  bool is_leaf = false;
};

struct Leaf : Node {
  Item* items[kLeafCapacity];
};
static_assert(alignof(Leaf) >= 2, "Item::sub_or_leaf_ tags the low bit");

struct Inner : Node {
  Node* children[kInnerCapacity];
};

// One sequence's index.  Owns its nodes, never the items.
class Tree {
 public:
  Tree() = default;
  ~Tree();
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;

  bool empty() const { return root == nullptr; }
  uint64_t Total(Unit u) const { return root ? root->sum[u] : 0; }

  Node* root = nullptr;
  // Cursor: the leaf the last Find reached (nullptr = none) and the weight of
  // everything before it.  Changes inside that leaf keep it valid; a change
  // in any other leaf drops it (it may lie before the cursor).
  mutable Leaf* cursor = nullptr;
  mutable uint64_t cursor_start[kUnitCount] = {0, 0, 0, 0};
  // Bumped by every change of the order or of a weight (InsertAfter, Erase,
  // Reweigh, AddWeights, Clear): an answer remembered outside the tree (the
  // text's last-edit memo, types/text.cc) is exact while this is unchanged.
  uint64_t version = 0;
};

// Inserts `node` right after `prev` (nullptr = at the front) in the order.
void InsertAfter(Tree& tree, Item* prev, Item* node);
// Removes `node` from the tree.
void Erase(Tree& tree, Item* node);
// Items do not store their weights (Item::weight derives them), so a caller
// that edits an indexed item in place takes `old = node->weights()` first and
// then fixes the sums up to the root with the difference.  Any other index
// operation in between would see the item's new weight and break the sums.
void Reweigh(Tree& tree, Item* node, const Weights& old);
// The same when the caller knows the difference (`delta`, e.g. what
// AppendString added): no weighing of the item.
// Inline: it is the one index update of a typed keystroke.
inline void AddWeights(Tree& tree, Item* node, const Weights& delta) {
  Node* n = node->seq_leaf();  // (every caller's node is a sequence's)
  if (!n) return;
  tree.version++;
  if (tree.cursor != n) tree.cursor = nullptr;  // a change outside the cursor's leaf
  for (; n; n = n->parent) {
    for (int u = 0; u < kUnitCount; u++) n->sum[u] += delta.w[u];
  }
}
// The visible item containing unit position `index` (0-based) and the offset
// of that position inside it (in unit u).  nullptr when index >= total.
Item* Find(const Tree& tree, Unit u, uint64_t index, uint64_t* offset_in_item);
// Sum of weights (unit u) of everything before node.
uint64_t Rank(const Item* node, Unit u);
// Removes every item (their leaf links are cleared) and frees the nodes
// (used when a type is garbage collected).
void Clear(Tree& tree);
// Checks the structure (tests): sums, parent links, items' leaf links, equal
// leaf depth, no empty node, in-order == list order, and the cursor's start.
bool Validate(const Tree& tree, const Item* list_start);

}  // namespace codesync::seq

#endif  // CODESYNC_CORE_SEQ_INDEX_H_
