#include "core/seq_index.h"

#include <algorithm>
#include <vector>

namespace codesync::seq {
namespace {

// Adds (modular) delta to the sums of n and every ancestor.
void AddUp(Node* n, const uint64_t (&delta)[kUnitCount]) {
  for (; n; n = n->parent) {
    for (int u = 0; u < kUnitCount; u++) n->sum[u] += delta[u];
  }
}

// A change in `leaf` invalidates the cursor unless it is the cursor's leaf:
// changes inside that leaf do not move where it starts.
void Touch(const Tree& tree, const Leaf* leaf) {
  if (tree.cursor != leaf) tree.cursor = nullptr;
}

int IndexOfItem(const Leaf* leaf, const Item* item) {
  int i = 0;
  while (leaf->items[i] != item) i++;
  return i;
}

int IndexOfChild(const Inner* in, const Node* child) {
  int i = 0;
  while (in->children[i] != child) i++;
  return i;
}

void Recount(Node* n) {
  for (int u = 0; u < kUnitCount; u++) n->sum[u] = 0;
  if (n->is_leaf) {
    auto* l = static_cast<Leaf*>(n);
    for (int i = 0; i < l->count; i++) {
      const Weights w = l->items[i]->weights();
      for (int u = 0; u < kUnitCount; u++) l->sum[u] += w.w[u];
    }
  } else {
    auto* in = static_cast<Inner*>(n);
    for (int i = 0; i < in->count; i++) {
      for (int u = 0; u < kUnitCount; u++) in->sum[u] += in->children[i]->sum[u];
    }
  }
}

// Links `fresh` (already summed) into the tree right after `left`, splitting
// ancestors that are full.  Totals above do not change: fresh's weight was
// taken from left.
void InsertSibling(Tree& tree, Node* left, Node* fresh) {
  Inner* p = left->parent;
  if (!p) {
    auto* r = new Inner();
    r->children[0] = left;
    r->children[1] = fresh;
    r->count = 2;
    left->parent = fresh->parent = r;
    for (int u = 0; u < kUnitCount; u++) r->sum[u] = left->sum[u] + fresh->sum[u];
    tree.root = r;
    return;
  }
  int pos = IndexOfChild(p, left) + 1;
  if (p->count < kInnerCapacity) {
    std::copy_backward(p->children + pos, p->children + p->count, p->children + p->count + 1);
    p->children[pos] = fresh;
    p->count++;
    fresh->parent = p;
    return;  // fresh's weight was taken from left: p's sum holds
  }
  auto* q = new Inner();
  const int keep = pos == kInnerCapacity ? kInnerCapacity - 1 : kInnerCapacity / 2;
  q->count = static_cast<uint16_t>(p->count - keep);
  std::copy(p->children + keep, p->children + p->count, q->children);
  p->count = static_cast<uint16_t>(keep);
  for (int i = 0; i < q->count; i++) q->children[i]->parent = q;
  Inner* target = p;
  if (pos > keep) {
    pos -= keep;
    target = q;
  }
  std::copy_backward(target->children + pos, target->children + target->count,
                     target->children + target->count + 1);
  target->children[pos] = fresh;
  target->count++;
  fresh->parent = target;
  // Rare (once per 16+ leaf splits): recount both halves from their children.
  Recount(p);
  Recount(q);
  InsertSibling(tree, p, q);
}

// Unlinks an empty node from its parent (freeing emptied ancestors) and
// collapses a root with one child.
void RemoveEmpty(Tree& tree, Node* n) {
  while (n->count == 0) {
    Inner* p = n->parent;
    if (n == tree.cursor) tree.cursor = nullptr;
    if (n->is_leaf) {
      delete static_cast<Leaf*>(n);
    } else {
      delete static_cast<Inner*>(n);
    }
    if (!p) {
      tree.root = nullptr;
      return;
    }
    int i = IndexOfChild(p, n);
    std::copy(p->children + i + 1, p->children + p->count, p->children + i);
    p->count--;
    n = p;
  }
  while (!tree.root->is_leaf && tree.root->count == 1) {
    auto* old = static_cast<Inner*>(tree.root);
    tree.root = old->children[0];
    tree.root->parent = nullptr;
    delete old;
  }
}

// unlink_items: clear the items' leaf links (not when the document is being
// destroyed: its items may already be gone).
void FreeNodes(Node* n, bool unlink_items) {
  if (n->is_leaf) {
    auto* l = static_cast<Leaf*>(n);
    if (unlink_items) {
      for (int i = 0; i < l->count; i++) l->items[i]->set_leaf(nullptr);
    }
    delete l;
    return;
  }
  auto* in = static_cast<Inner*>(n);
  for (int i = 0; i < in->count; i++) FreeNodes(in->children[i], unlink_items);
  delete in;
}

Leaf* FirstLeaf(Node* n) {
  while (!n->is_leaf) n = static_cast<Inner*>(n)->children[0];
  return static_cast<Leaf*>(n);
}

// Moves the last n items of `from` to the front of its right sibling `to`
// (same parent, so only the two leaves' own sums change).
void ShiftRight(Leaf* from, Leaf* to, int n) {
  std::copy_backward(to->items, to->items + to->count, to->items + to->count + n);
  std::copy(from->items + from->count - n, from->items + from->count, to->items);
  from->count = static_cast<uint16_t>(from->count - n);
  to->count = static_cast<uint16_t>(to->count + n);
  for (int i = 0; i < n; i++) {
    Item* it = to->items[i];
    it->set_leaf(to);
    const Weights w = it->weights();
    for (int u = 0; u < kUnitCount; u++) {
      from->sum[u] -= w.w[u];
      to->sum[u] += w.w[u];
    }
  }
}

// Moves the first n items of `from` to the end of its left sibling `to`.
void ShiftLeft(Leaf* from, Leaf* to, int n) {
  std::copy(from->items, from->items + n, to->items + to->count);
  std::copy(from->items + n, from->items + from->count, from->items);
  for (int i = 0; i < n; i++) {
    Item* it = to->items[to->count + i];
    it->set_leaf(to);
    const Weights w = it->weights();
    for (int u = 0; u < kUnitCount; u++) {
      from->sum[u] -= w.w[u];
      to->sum[u] += w.w[u];
    }
  }
  from->count = static_cast<uint16_t>(from->count - n);
  to->count = static_cast<uint16_t>(to->count + n);
}

// Sibling leaves take part of a full leaf before it splits (as a B*-tree
// does): halving on every mid-text split left leaves 57% full, and each leaf
// is 304 bytes.  Only a sibling with real room is used, so an insert into a
// full neighbourhood splits instead of shifting a few items every time.
// *leaf / *pos follow the insertion point.  The cursor is `leaf` or none
// (InsertAfter touched it); a shift to the left moves where `leaf` starts.
constexpr int kMinRoom = 4;

void MakeRoom(Tree& tree, Leaf** leaf, int* pos) {
  Leaf* l = *leaf;
  Inner* p = l->parent;
  if (!p) return;
  const int ci = IndexOfChild(p, l);
  if (ci + 1 < p->count) {
    auto* r = static_cast<Leaf*>(p->children[ci + 1]);
    const int room = kLeafCapacity - r->count;
    if (room >= kMinRoom) {
      const int n = (room + 1) / 2;
      ShiftRight(l, r, n);
      if (tree.cursor == r) tree.cursor = nullptr;
      if (*pos > l->count) {  // the insertion lands in r, after l: l's start holds
        *pos -= l->count;
        *leaf = r;
      }
      return;
    }
  }
  if (ci > 0) {
    auto* left = static_cast<Leaf*>(p->children[ci - 1]);
    const int room = kLeafCapacity - left->count;
    if (room >= kMinRoom) {
      const int n = (room + 1) / 2;
      const int before = left->count;
      ShiftLeft(l, left, n);
      if (tree.cursor == l) tree.cursor = nullptr;
      if (*pos < n) {
        *pos += before;
        *leaf = left;
      } else {
        *pos -= n;
      }
    }
  }
}

// After an erase leaves `leaf` under a quarter full, its items join a sibling
// with room for them and the leaf goes (merged runs and deletions thin leaves out).
void Absorb(Tree& tree, Leaf* leaf) {
  Inner* p = leaf->parent;
  if (!p || leaf->count == 0) return;
  const int ci = IndexOfChild(p, leaf);
  const int limit = kLeafCapacity * 3 / 4;
  if (ci > 0) {
    auto* left = static_cast<Leaf*>(p->children[ci - 1]);
    if (left->count + leaf->count <= limit) {
      ShiftLeft(leaf, left, leaf->count);
      RemoveEmpty(tree, leaf);
      return;
    }
  }
  if (ci + 1 < p->count) {
    auto* r = static_cast<Leaf*>(p->children[ci + 1]);
    if (r->count + leaf->count <= limit) {
      ShiftRight(leaf, r, leaf->count);
      if (tree.cursor == r) tree.cursor = nullptr;
      RemoveEmpty(tree, leaf);
    }
  }
}

}  // namespace

Tree::~Tree() {
  if (root) FreeNodes(root, false);
}

void InsertAfter(Tree& tree, Item* prev, Item* node) {
  tree.version++;
  Leaf* leaf;
  int pos;
  if (!tree.root) {
    leaf = new Leaf();
    leaf->is_leaf = true;
    tree.root = leaf;
    pos = 0;
  } else if (!prev) {
    leaf = FirstLeaf(tree.root);
    pos = 0;
  } else {
    leaf = prev->seq_leaf();
    pos = IndexOfItem(leaf, prev) + 1;
  }
  Touch(tree, leaf);
  if (leaf->count == kLeafCapacity) MakeRoom(tree, &leaf, &pos);
  if (leaf->count == kLeafCapacity) {
    auto* fresh = new Leaf();
    fresh->is_leaf = true;
    // Appending at the end of a leaf (typing) moves few items, so the left
    // leaf stays full; otherwise halve.
    const int keep = pos == kLeafCapacity ? kLeafCapacity - 1 : kLeafCapacity / 2;
    fresh->count = static_cast<uint16_t>(leaf->count - keep);
    std::copy(leaf->items + keep, leaf->items + leaf->count, fresh->items);
    leaf->count = static_cast<uint16_t>(keep);
    for (int i = 0; i < fresh->count; i++) fresh->items[i]->set_leaf(fresh);
    Recount(fresh);
    for (int u = 0; u < kUnitCount; u++) leaf->sum[u] -= fresh->sum[u];
    InsertSibling(tree, leaf, fresh);
    if (pos > keep) {
      pos -= keep;
      leaf = fresh;  // right after the old leaf: the cursor's start holds
    }
  }
  std::copy_backward(leaf->items + pos, leaf->items + leaf->count, leaf->items + leaf->count + 1);
  leaf->items[pos] = node;
  leaf->count++;
  node->set_leaf(leaf);
  AddUp(leaf, node->weights().w);
}

void Erase(Tree& tree, Item* node) {
  tree.version++;
  Leaf* leaf = node->seq_leaf();
  Touch(tree, leaf);
  int i = IndexOfItem(leaf, node);
  std::copy(leaf->items + i + 1, leaf->items + leaf->count, leaf->items + i);
  leaf->count--;
  uint64_t delta[kUnitCount];
  const Weights w = node->weights();
  for (int u = 0; u < kUnitCount; u++) delta[u] = uint64_t{0} - w.w[u];
  AddUp(leaf, delta);
  node->set_leaf(nullptr);
  if (leaf->count == 0) {
    RemoveEmpty(tree, leaf);
  } else if (leaf->count < kLeafCapacity / 4) {
    Absorb(tree, leaf);
  }
}

void Reweigh(Tree& tree, Item* node, const Weights& old) {
  if (!node->leaf()) return;
  const Weights now = node->weights();
  uint64_t delta[kUnitCount];
  bool changed = false;
  for (int u = 0; u < kUnitCount; u++) {
    delta[u] = now.w[u] - old.w[u];  // modular arithmetic is exact
    changed |= delta[u] != 0;
  }
  if (!changed) return;
  tree.version++;
  Touch(tree, node->leaf());
  AddUp(node->leaf(), delta);
}

namespace {

// The item of `leaf` holding position `index` (relative to the leaf's start),
// with the unit fixed at compile time so that each item's weight is a few tests.
template <Unit U>
Item* ScanLeaf(const Leaf* leaf, uint64_t index, uint64_t* offset_in_item) {
  // Scan from the nearer end of the leaf (edits at the end of a text land
  // in the last items of the last leaf).
  if (index < leaf->sum[U] / 2) {
    for (int i = 0; i < leaf->count; i++) {
      Item* it = leaf->items[i];
      if (index < it->weight(U)) {
        if (offset_in_item) *offset_in_item = index;
        return it;
      }
      index -= it->weight(U);
    }
  } else {
    uint64_t end = leaf->sum[U];  // weight up to the end of items[i]
    for (int i = leaf->count - 1; i >= 0; i--) {
      Item* it = leaf->items[i];
      uint64_t begin = end - it->weight(U);
      if (index >= begin) {
        if (offset_in_item) *offset_in_item = index - begin;
        return it;
      }
      end = begin;
    }
  }
  return nullptr;  // unreachable while the sums are right
}

}  // namespace

Item* Find(const Tree& tree, Unit u, uint64_t index, uint64_t* offset_in_item) {
  if (!tree.root || index >= tree.root->sum[u]) return nullptr;
  const Leaf* leaf = tree.cursor;
  if (leaf && index >= tree.cursor_start[u] && index - tree.cursor_start[u] < leaf->sum[u]) {
    index -= tree.cursor_start[u];
  } else {
    uint64_t start[kUnitCount] = {0, 0, 0, 0};
    const Node* n = tree.root;
    while (!n->is_leaf) {
      const auto* in = static_cast<const Inner*>(n);
      int i = 0;
      for (; i + 1 < in->count; i++) {
        const Node* c = in->children[i];
        if (index < c->sum[u]) break;
        index -= c->sum[u];
        for (int v = 0; v < kUnitCount; v++) start[v] += c->sum[v];
      }
      n = in->children[i];
    }
    leaf = static_cast<const Leaf*>(n);
    tree.cursor = const_cast<Leaf*>(leaf);
    std::copy(start, start + kUnitCount, tree.cursor_start);
  }
  switch (u) {
    case kUtf16:
      return ScanLeaf<kUtf16>(leaf, index, offset_in_item);
    case kUtf8:
      return ScanLeaf<kUtf8>(leaf, index, offset_in_item);
    case kCodepoints:
      return ScanLeaf<kCodepoints>(leaf, index, offset_in_item);
    default:
      return ScanLeaf<kItems>(leaf, index, offset_in_item);
  }
}

uint64_t Rank(const Item* node, Unit u) {
  const Leaf* leaf = node->leaf();
  uint64_t r = 0;
  for (int i = 0; leaf->items[i] != node; i++) r += leaf->items[i]->weight(u);
  for (const Node* n = leaf; n->parent; n = n->parent) {
    const Inner* p = n->parent;
    for (int i = 0; p->children[i] != n; i++) r += p->children[i]->sum[u];
  }
  return r;
}

void Clear(Tree& tree) {
  tree.version++;
  if (tree.root) FreeNodes(tree.root, true);
  tree.root = nullptr;
  tree.cursor = nullptr;
}

namespace {

struct Checker {
  const Item* expect;
  int leaf_depth = -1;
  const Leaf* cursor;
  uint64_t before[kUnitCount] = {0, 0, 0, 0};  // weight of the leaves visited so far
  bool cursor_ok;

  bool Visit(const Node* n, const Inner* parent, int depth) {
    if (n->parent != parent || n->count == 0) return false;
    uint64_t s[kUnitCount] = {0, 0, 0, 0};
    if (n->is_leaf) {
      if (n->count > kLeafCapacity) return false;
      if (leaf_depth < 0) leaf_depth = depth;
      if (depth != leaf_depth) return false;
      if (n == cursor) cursor_ok = std::equal(before, before + kUnitCount, cursor_start);
      const auto* l = static_cast<const Leaf*>(n);
      for (int i = 0; i < l->count; i++) {
        const Item* it = l->items[i];
        if (it != expect || it->leaf() != l) return false;
        const Weights w = it->weights();
        for (int u = 0; u < kUnitCount; u++) s[u] += w.w[u];
        expect = expect->right;
      }
      for (int u = 0; u < kUnitCount; u++) before[u] += s[u];
    } else {
      if (n->count > kInnerCapacity) return false;
      const auto* in = static_cast<const Inner*>(n);
      for (int i = 0; i < in->count; i++) {
        if (!Visit(in->children[i], in, depth + 1)) return false;
        for (int u = 0; u < kUnitCount; u++) s[u] += in->children[i]->sum[u];
      }
    }
    return std::equal(s, s + kUnitCount, n->sum);
  }
  const uint64_t* cursor_start;
};

}  // namespace

bool Validate(const Tree& tree, const Item* list_start) {
  if (!tree.root) return list_start == nullptr && tree.cursor == nullptr;
  Checker c{list_start, -1, tree.cursor, {0, 0, 0, 0}, tree.cursor == nullptr, tree.cursor_start};
  if (!c.Visit(tree.root, nullptr, 0)) return false;
  return c.expect == nullptr && c.cursor_ok;
}

}  // namespace codesync::seq
