// Position index of a sequence: an intrusive treap (random priorities, order
// given by the linked list) whose nodes are the items themselves.  Every node
// carries subtree sums of the visible length in each unit, so index -> item
// and item -> index are O(log n) expected.
#ifndef CODESYNC_CORE_SEQ_INDEX_H_
#define CODESYNC_CORE_SEQ_INDEX_H_

#include <cstdint>

#include "core/item.h"

namespace codesync::seq {

// Inserts `node` right after `prev` (nullptr = at the front) in the order.
void InsertAfter(Item*& root, Item* prev, Item* node);
// Removes `node` from the tree.
void Erase(Item*& root, Item* node);
// Recomputes node's own weight from its content, then fixes sums up to the root.
void Reweigh(Item*& root, Item* node);
// Sets node's own weight to w (known by the caller, e.g. the sum of two merged
// runs), then fixes sums up to the root: no scan of the content.
void SetWeights(Item*& root, Item* node, const uint64_t (&w)[kUnitCount]);
// The visible item containing unit position `index` (0-based) and the offset
// of that position inside it (in unit u).  nullptr when index >= total.
Item* Find(Item* root, Unit u, uint64_t index, uint64_t* offset_in_item);
// Sum of weights (unit u) of everything before node.
uint64_t Rank(const Item* node, Unit u);
// Clears all links of the subtree (used when a type is garbage collected).
void Clear(Item*& root);
// Checks the structure (tests): sums, parents and in-order == list order.
bool Validate(const Item* root, const Item* list_start);

}  // namespace codesync::seq

#endif  // CODESYNC_CORE_SEQ_INDEX_H_
