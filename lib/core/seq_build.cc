#include "core/seq_build.h"

#include <cstddef>
#include <vector>

namespace codesync::seq {
namespace {

// How many of `total` entries the i-th of `nodes` nodes takes: spread evenly,
// so no node is left nearly empty at the end.
size_t Share(size_t total, size_t nodes, size_t i) { return total / nodes + (i < total % nodes ? 1 : 0); }

}  // namespace

void BuildFromList(Tree& tree, Item* start) {
  size_t n = 0;
  for (const Item* it = start; it; it = it->right) n++;
  BuildFromList(tree, start, n);
}

void BuildFromList(Tree& tree, Item* start, size_t n) {
  static_assert(kUnitCount == 4, "the leaf sums below are unrolled");
  tree.cursor = nullptr;
  if (!start || n == 0) return;
  const size_t leaves = (n + kBuildFill - 1) / kBuildFill;
  std::vector<Node*> level;
  level.reserve(leaves);
  Item* it = start;
  for (size_t l = 0; l < leaves; l++) {
    auto* leaf = new Leaf();
    leaf->is_leaf = true;
    const size_t count = Share(n, leaves, l);
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (size_t i = 0; i < count; i++, it = it->right) {
      leaf->items[i] = it;
      it->set_leaf(leaf);
      const Weights w = it->weights();
      s0 += w.w[0];
      s1 += w.w[1];
      s2 += w.w[2];
      s3 += w.w[3];
    }
    leaf->count = static_cast<uint16_t>(count);
    leaf->sum[0] = s0;
    leaf->sum[1] = s1;
    leaf->sum[2] = s2;
    leaf->sum[3] = s3;
    level.push_back(leaf);
  }
  while (level.size() > 1) {
    const size_t parents = (level.size() + kBuildFill - 1) / kBuildFill;
    std::vector<Node*> up;
    up.reserve(parents);
    size_t c = 0;
    for (size_t k = 0; k < parents; k++) {
      auto* in = new Inner();
      const size_t count = Share(level.size(), parents, k);
      for (size_t i = 0; i < count; i++, c++) {
        Node* child = level[c];
        in->children[i] = child;
        child->parent = in;
        for (int u = 0; u < kUnitCount; u++) in->sum[u] += child->sum[u];
      }
      in->count = static_cast<uint16_t>(count);
      up.push_back(in);
    }
    level.swap(up);
  }
  tree.root = level[0];
}

}  // namespace codesync::seq
