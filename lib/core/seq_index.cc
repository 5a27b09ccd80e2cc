#include "core/seq_index.h"

#include <vector>

namespace codesync::seq {
namespace {

uint32_t NextPriority() {
  // xorshift: priorities only need to be well spread, not secret.
  static thread_local uint64_t state = 0x9E3779B97F4A7C15ull;
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return static_cast<uint32_t>(state >> 32);
}

void Pull(Item* n) {
  for (int u = 0; u < kUnitCount; u++) {
    n->sum[u] = n->w[u] + (n->t_left ? n->t_left->sum[u] : 0) + (n->t_right ? n->t_right->sum[u] : 0);
  }
}

void RotateUp(Item*& root, Item* x) {
  Item* p = x->t_parent;
  Item* g = p->t_parent;
  if (p->t_left == x) {
    p->t_left = x->t_right;
    if (x->t_right) x->t_right->t_parent = p;
    x->t_right = p;
  } else {
    p->t_right = x->t_left;
    if (x->t_left) x->t_left->t_parent = p;
    x->t_left = p;
  }
  p->t_parent = x;
  x->t_parent = g;
  if (!g) {
    root = x;
  } else if (g->t_left == p) {
    g->t_left = x;
  } else {
    g->t_right = x;
  }
  Pull(p);
  Pull(x);
}

}  // namespace

void InsertAfter(Item*& root, Item* prev, Item* node) {
  node->t_left = node->t_right = node->t_parent = nullptr;
  node->t_prio = NextPriority();
  for (int u = 0; u < kUnitCount; u++) node->sum[u] = node->w[u];
  if (!root) {
    root = node;
    return;
  }
  Item* at;
  bool as_left;
  if (!prev) {
    at = root;
    while (at->t_left) at = at->t_left;
    as_left = true;
  } else if (!prev->t_right) {
    at = prev;
    as_left = false;
  } else {
    at = prev->t_right;
    while (at->t_left) at = at->t_left;
    as_left = true;
  }
  (as_left ? at->t_left : at->t_right) = node;
  node->t_parent = at;
  for (Item* a = at; a; a = a->t_parent) {
    for (int u = 0; u < kUnitCount; u++) a->sum[u] += node->w[u];
  }
  while (node->t_parent && node->t_parent->t_prio < node->t_prio) RotateUp(root, node);
}

void Erase(Item*& root, Item* node) {
  while (node->t_left && node->t_right) {
    Item* child = node->t_left->t_prio > node->t_right->t_prio ? node->t_left : node->t_right;
    RotateUp(root, child);
  }
  Item* child = node->t_left ? node->t_left : node->t_right;
  Item* parent = node->t_parent;
  if (child) child->t_parent = parent;
  if (!parent) {
    root = child;
  } else if (parent->t_left == node) {
    parent->t_left = child;
  } else {
    parent->t_right = child;
  }
  for (Item* a = parent; a; a = a->t_parent) {
    for (int u = 0; u < kUnitCount; u++) a->sum[u] -= node->w[u];
  }
  node->t_left = node->t_right = node->t_parent = nullptr;
}

void Reweigh(Item*& root, Item* node) {
  uint64_t old_w[kUnitCount];
  for (int u = 0; u < kUnitCount; u++) old_w[u] = node->w[u];
  ComputeWeights(*node);
  uint64_t fresh[kUnitCount];
  for (int u = 0; u < kUnitCount; u++) {
    fresh[u] = node->w[u];
    node->w[u] = old_w[u];
  }
  SetWeights(root, node, fresh);
}

void SetWeights(Item*& root, Item* node, const uint64_t (&w)[kUnitCount]) {
  (void)root;  // sums change along the path to the root, not the root pointer
  uint64_t old_w[kUnitCount];
  bool changed = false;
  for (int u = 0; u < kUnitCount; u++) {
    old_w[u] = node->w[u];
    node->w[u] = w[u];
    changed |= old_w[u] != w[u];
  }
  if (!changed) return;
  for (Item* a = node; a; a = a->t_parent) {
    for (int u = 0; u < kUnitCount; u++) a->sum[u] += node->w[u] - old_w[u];  // modular arithmetic is exact
  }
}

Item* Find(Item* root, Unit u, uint64_t index, uint64_t* offset_in_item) {
  Item* n = root;
  while (n) {
    uint64_t ls = n->t_left ? n->t_left->sum[u] : 0;
    if (index < ls) {
      n = n->t_left;
      continue;
    }
    index -= ls;
    if (index < n->w[u]) {
      if (offset_in_item) *offset_in_item = index;
      return n;
    }
    index -= n->w[u];
    n = n->t_right;
  }
  return nullptr;
}

uint64_t Rank(const Item* node, Unit u) {
  uint64_t r = node->t_left ? node->t_left->sum[u] : 0;
  for (const Item* x = node; x->t_parent; x = x->t_parent) {
    const Item* p = x->t_parent;
    if (p->t_right == x) r += p->w[u] + (p->t_left ? p->t_left->sum[u] : 0);
  }
  return r;
}

void Clear(Item*& root) {
  std::vector<Item*> stack;
  if (root) stack.push_back(root);
  while (!stack.empty()) {
    Item* n = stack.back();
    stack.pop_back();
    if (n->t_left) stack.push_back(n->t_left);
    if (n->t_right) stack.push_back(n->t_right);
    n->t_left = n->t_right = n->t_parent = nullptr;
  }
  root = nullptr;
}

bool Validate(const Item* root, const Item* list_start) {
  // In-order traversal must visit exactly the linked list, with consistent sums.
  std::vector<const Item*> stack;
  const Item* n = root;
  const Item* expect = list_start;
  if (root && root->t_parent) return false;
  while (n || !stack.empty()) {
    while (n) {
      if (n->t_left && n->t_left->t_parent != n) return false;
      if (n->t_right && n->t_right->t_parent != n) return false;
      for (int u = 0; u < kUnitCount; u++) {
        uint64_t s = n->w[u] + (n->t_left ? n->t_left->sum[u] : 0) + (n->t_right ? n->t_right->sum[u] : 0);
        if (s != n->sum[u]) return false;
      }
      stack.push_back(n);
      n = n->t_left;
    }
    n = stack.back();
    stack.pop_back();
    if (n != expect) return false;
    expect = expect->right;
    n = n->t_right;
  }
  return expect == nullptr;
}

}  // namespace codesync::seq
