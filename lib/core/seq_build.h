// Bulk construction of a sequence's position index (core/seq_index.h) from
// its linked list, for a document loaded from a whole state: one pass over
// the items instead of one InsertAfter (a leaf scan and a walk to the root)
// per item.  Kept apart from seq_index.cc, whose incremental operations it
// does not touch; the tree it builds satisfies seq::Validate.
#ifndef CODESYNC_CORE_SEQ_BUILD_H_
#define CODESYNC_CORE_SEQ_BUILD_H_

#include <cstddef>

#include "core/seq_index.h"

namespace codesync::seq {

// Leaves and inner nodes are filled to this many entries, leaving room for
// edits near every position before a node splits.
inline constexpr int kBuildFill = kLeafCapacity * 3 / 4;

// Indexes the list that starts at `start` (linked by Item::right), in order,
// into `tree`, which must be empty.  Every item's weights (Item::w) must be set.
void BuildFromList(Tree& tree, Item* start);
// The same for a list the caller knows holds exactly `n` items (no counting walk).
void BuildFromList(Tree& tree, Item* start, size_t n);

}  // namespace codesync::seq

#endif  // CODESYNC_CORE_SEQ_BUILD_H_
