// The B+tree position index (core/seq_index.h) at sizes that build several
// levels, against a plain vector model; core_test.cc covers small trees and
// content-derived weights.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/item.h"
#include "core/seq_index.h"

namespace codesync {
namespace {

class BigModel {
 public:
  explicit BigModel(uint64_t seed) : rng_(seed) {}
  ~BigModel() { seq::Clear(tree); }  // the items die with the model

  seq::Tree tree;
  std::vector<Item*> order;
  std::vector<std::array<uint64_t, kUnitCount>> weights;  // expected, parallel to order

  // Gives `it` random content and returns the weights it must have, worked
  // out per character (ASCII, 2-, 3- and 4-byte UTF-8) independently of Item::weight.
  std::array<uint64_t, kUnitCount> RandomContent(Item* it) {
    static const struct {
      const char* utf8;
      uint64_t u16, u8;
    } kChars[] = {{"a", 1, 1}, {"\xc3\xa9", 1, 2}, {"\xe2\x82\xac", 1, 3}, {"\xf0\x9f\x98\x80", 2, 4}};
    std::array<uint64_t, kUnitCount> w{};
    it->kind = ContentKind::kString;
    it->str.clear();
    it->length = 0;
    const bool ascii = rng_() % 2 == 0;
    const int n = 1 + static_cast<int>(rng_() % 5);
    for (int i = 0; i < n; i++) {
      const auto& c = kChars[ascii ? 0 : rng_() % 4];
      it->str.append(c.utf8);
      it->length += c.u16;
      w[kUtf16] += c.u16;
      w[kUtf8] += c.u8;
      w[kCodepoints]++;
    }
    ComputeWeights(*it);
    it->deleted = rng_() % 4 == 0;  // a quarter are invisible
    if (it->deleted) w[kUtf16] = w[kUtf8] = w[kCodepoints] = 0;
    w[kItems] = 1;
    return w;
  }

  void Relink(size_t from, size_t to) {
    for (size_t i = from; i < to && i < order.size(); i++) {
      order[i]->left = i ? order[i - 1] : nullptr;
      order[i]->right = i + 1 < order.size() ? order[i + 1] : nullptr;
    }
  }

  // Edits cluster around a moving hot spot, as typing does, so the cursor
  // is hit, moved and invalidated.
  size_t Pick(size_t n) {
    if (n == 0) return 0;
    if (rng_() % 4 == 0) hot_ = rng_() % n;
    if (hot_ >= n) hot_ = n - 1;
    size_t spread = 1 + rng_() % 40;
    size_t lo = hot_ > spread ? hot_ - spread : 0;
    size_t hi = std::min(n - 1, hot_ + spread);
    return lo + rng_() % (hi - lo + 1);
  }

  void InsertAt(size_t pos) {
    pool_.push_back(std::make_unique<Item>());
    Item* it = pool_.back().get();
    auto w = RandomContent(it);
    Item* prev = pos == 0 ? nullptr : order[pos - 1];
    order.insert(order.begin() + static_cast<ptrdiff_t>(pos), it);
    weights.insert(weights.begin() + static_cast<ptrdiff_t>(pos), w);
    Relink(pos ? pos - 1 : 0, pos + 2);
    seq::InsertAfter(tree, prev, it);
  }

  void EraseAt(size_t pos) {
    Item* it = order[pos];
    order.erase(order.begin() + static_cast<ptrdiff_t>(pos));
    weights.erase(weights.begin() + static_cast<ptrdiff_t>(pos));
    Relink(pos ? pos - 1 : 0, pos + 1);
    seq::Erase(tree, it);
    CHECK(it->leaf() == nullptr);
  }

  void ReweighAt(size_t pos) {
    const Weights old = order[pos]->weights();
    weights[pos] = RandomContent(order[pos]);
    seq::Reweigh(tree, order[pos], old);
  }

  // Find of a random position (near the hot spot or anywhere) and Rank of a
  // random item, against prefix sums of the model.
  std::string Probe() {
    if (order.empty()) return {};
    const Unit u = static_cast<Unit>(rng_() % kUnitCount);
    size_t target = Pick(order.size());
    uint64_t prefix = 0;
    for (size_t i = 0; i < target; i++) prefix += weights[i][u];
    if (seq::Rank(order[target], u) != prefix) return "Rank of " + std::to_string(target);
    if (weights[target][u] == 0) return {};
    uint64_t off = rng_() % weights[target][u];
    uint64_t got_off = ~uint64_t{0};
    Item* got = seq::Find(tree, u, prefix + off, &got_off);
    if (got != order[target] || got_off != off) return "Find(" + std::to_string(prefix + off) + ")";
    return {};
  }

  std::string Totals() {
    for (int u = 0; u < kUnitCount; u++) {
      uint64_t total = 0;
      for (const auto& w : weights) total += w[u];
      if (tree.Total(static_cast<Unit>(u)) != total) return "total of unit " + std::to_string(u);
      uint64_t dummy = 0;
      if (seq::Find(tree, static_cast<Unit>(u), total, &dummy) != nullptr) return "Find(total)";
    }
    return {};
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  std::mt19937_64 rng_;
  size_t hot_ = 0;
  std::vector<std::unique_ptr<Item>> pool_;
};

int Depth(const seq::Tree& t) {
  int d = 0;
  for (const seq::Node* n = t.root; n && !n->is_leaf; n = static_cast<const seq::Inner*>(n)->children[0]) d++;
  return d;
}

TEST_CASE("seq index: thousands of clustered edits against a vector model") {
  for (uint64_t seed : {11u, 12u}) {
    INFO("seed=" << seed);
    BigModel m(seed);
    // Grow past 32 * 32 leaves' worth so the tree has three levels, editing
    // and probing as it grows.
    for (int step = 0; step < 40000; step++) {
      uint64_t r = m.rng()() % 10;
      if (m.order.empty() || r < 5) {
        m.InsertAt(m.Pick(m.order.size() + 1));
      } else if (r < 6) {
        m.EraseAt(m.Pick(m.order.size()));
      } else if (r < 8) {
        m.ReweighAt(m.Pick(m.order.size()));
      }
      std::string err = m.Probe();
      REQUIRE_MESSAGE(err.empty(), "step " << step << ": " << err);
      if (step % 500 == 0) {
        REQUIRE_MESSAGE(seq::Validate(m.tree, m.order.empty() ? nullptr : m.order[0]), "step " << step);
        err = m.Totals();
        REQUIRE_MESSAGE(err.empty(), "step " << step << ": " << err);
      }
    }
    REQUIRE(seq::Validate(m.tree, m.order[0]));
    CHECK(m.order.size() > 12000);
    CHECK(Depth(m.tree) >= 2);
    // Drain from alternating ends and the middle: emptied leaves and inner
    // nodes are freed and the root collapses.
    size_t k = 0;
    while (!m.order.empty()) {
      size_t n = m.order.size();
      m.EraseAt(k % 3 == 0 ? 0 : k % 3 == 1 ? n - 1 : n / 2);
      k++;
      if (k % 97 == 0 || m.order.size() < 40) {
        REQUIRE_MESSAGE(seq::Validate(m.tree, m.order.empty() ? nullptr : m.order[0]), "drain " << k);
        std::string err = m.Totals();
        REQUIRE_MESSAGE(err.empty(), "drain " << k << ": " << err);
        err = m.Probe();
        REQUIRE_MESSAGE(err.empty(), "drain " << k << ": " << err);
      }
    }
    CHECK(m.tree.empty());
    CHECK(m.tree.root == nullptr);
  }
}

TEST_CASE("seq index: appending keeps leaves full and Find hits the cursor") {
  BigModel m(5);
  for (int i = 0; i < 5000; i++) m.InsertAt(m.order.size());
  REQUIRE(seq::Validate(m.tree, m.order[0]));
  // Appends split off the last item only, so leaves are (almost) full: a
  // 5000-item sequence needs ~160 leaves, not ~320.
  int leaves = 0;
  for (Item* it = m.order[0]; it; it = it->right) {
    if (!it->left || it->left->leaf() != it->leaf()) leaves++;
  }
  CHECK(leaves <= 5000 / (seq::kLeafCapacity - 1) + 1);
  // A Find leaves the cursor on the leaf it reached, with that leaf's start.
  uint64_t total = m.tree.Total(kItems);
  uint64_t off = 0;
  Item* last = seq::Find(m.tree, kItems, total - 1, &off);
  REQUIRE(last == m.order.back());
  REQUIRE(m.tree.cursor == last->leaf());
  CHECK(m.tree.cursor_start[kItems] == total - last->leaf()->count);
  CHECK(seq::Validate(m.tree, m.order[0]));
  // A weight change in that leaf keeps the cursor; one elsewhere drops it.
  m.ReweighAt(m.order.size() - 1);
  CHECK(m.tree.cursor == last->leaf());
  CHECK(seq::Validate(m.tree, m.order[0]));
  Item* first = m.order[0];
  const Weights old = first->weights();
  first->str.assign("abcdefghijk");  // longer than any random content: a real change
  first->length = 11;
  first->deleted = false;
  m.weights[0] = {11, 11, 11, 1};
  seq::Reweigh(m.tree, first, old);
  CHECK(m.tree.cursor == nullptr);
  CHECK(seq::Validate(m.tree, m.order[0]));
  CHECK(m.Totals().empty());
}

int CountLeaves(const BigModel& m) {
  int leaves = 0;
  for (Item* it = m.order.empty() ? nullptr : m.order[0]; it; it = it->right) {
    if (!it->left || it->left->leaf() != it->leaf()) leaves++;
  }
  return leaves;
}

TEST_CASE("seq index: mid-sequence inserts fill leaves through their siblings, thinned leaves join one") {
  BigModel m(9);
  for (int i = 0; i < 6000; i++) {
    m.InsertAt(static_cast<size_t>(m.rng()() % (m.order.size() + 1)));
    if (i % 500 == 0) {
      REQUIRE(seq::Validate(m.tree, m.order[0]));
      REQUIRE(m.Probe().empty());
    }
  }
  REQUIRE(seq::Validate(m.tree, m.order[0]));
  // Halving full leaves leaves them ~69% full under random inserts; sharing
  // with a sibling that has room first keeps them over 80% full.
  CHECK(CountLeaves(m) * seq::kLeafCapacity * 8 <= 6000 * 10);
  CHECK(m.Totals().empty());
  // Erase 90% at random: a leaf under a quarter full joins a sibling that has
  // room, so no two siblings are both that thin.
  while (m.order.size() > 600) {
    m.EraseAt(static_cast<size_t>(m.rng()() % m.order.size()));
    if (m.order.size() % 400 == 0) {
      REQUIRE(seq::Validate(m.tree, m.order[0]));
      REQUIRE(m.Probe().empty());
    }
  }
  REQUIRE(seq::Validate(m.tree, m.order[0]));
  CHECK(m.Totals().empty());
  int thin_pairs = 0;
  for (Item* it = m.order[0]; it; it = it->right) {
    seq::Leaf* l = it->leaf();
    if (it->left && it->left->leaf() == l) continue;  // one visit per leaf
    Item* last = it;
    while (last->right && last->right->leaf() == l) last = last->right;
    if (last->right) {
      seq::Leaf* next = last->right->leaf();
      if (next->parent == l->parent && l->count < seq::kLeafCapacity / 4 && next->count < seq::kLeafCapacity / 4)
        thin_pairs++;
    }
  }
  CHECK(thin_pairs == 0);
  CHECK(CountLeaves(m) * seq::kLeafCapacity <= 600 * 4);  // over a quarter full on average
}

TEST_CASE("seq::Validate detects a stale cursor, a wrong leaf link and a wrong count") {
  BigModel m(6);
  for (int i = 0; i < 200; i++) m.InsertAt(m.order.size());
  uint64_t off = 0;
  REQUIRE(seq::Find(m.tree, kItems, 150, &off) == m.order[150]);
  REQUIRE(m.tree.cursor != nullptr);
  REQUIRE(seq::Validate(m.tree, m.order[0]));
  m.tree.cursor_start[kUtf8]++;
  CHECK_FALSE(seq::Validate(m.tree, m.order[0]));
  m.tree.cursor_start[kUtf8]--;
  REQUIRE(seq::Validate(m.tree, m.order[0]));
  seq::Leaf* real = m.order[7]->leaf();
  m.order[7]->set_leaf(m.order[150]->leaf());
  CHECK_FALSE(seq::Validate(m.tree, m.order[0]));
  m.order[7]->set_leaf(real);
  REQUIRE(seq::Validate(m.tree, m.order[0]));
  m.order[0]->leaf()->sum[kItems]--;
  CHECK_FALSE(seq::Validate(m.tree, m.order[0]));
  m.order[0]->leaf()->sum[kItems]++;
  CHECK(seq::Validate(m.tree, m.order[0]));
}

}  // namespace
}  // namespace codesync
