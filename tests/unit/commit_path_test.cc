// The commit's fixed-cost shortcuts (core/doc.*, core/store.*) against what
// they stand for:
// - Doc::MayMergeLeft, the test the commit makes before a merge attempt, must
//   be true for every struct that Yjs's merge (tryToMergeWithLefts) would take
//   into its clock neighbour; the test spells Yjs's conditions out itself and
//   checks them on the unmerged store inside open transactions.
// - Quiet, folded and general commits: a document without observers (quiet
//   and folded commits, the candidate merges) against one with an
//   after-transaction observer (the general commit), struct by struct and
//   byte for byte, with remote updates of several clients in between.
// - DeleteSetClients (the delete set's sorted vector of clients) against a
//   std::map model: Add, Clear and reuse, SortAndMerge, MergeFrom, Decode of
//   any client order, Encode, copies.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/doc.h"
#include "core/seq_index.h"
#include "core/store.h"
#include "core/update.h"
#include "encoding/lib0.h"
#include "types/types.h"

namespace codesync {
namespace {

using Bytes = std::vector<uint8_t>;

std::string OptStr(const OptId& o) {
  return o.present() ? std::to_string(o.id.client) + ":" + std::to_string(o.id.clock) : "-";
}

std::string Dump(Doc& doc) {
  std::string out;
  std::vector<uint64_t> clients;
  for (auto& [c, s] : doc.store().clients) clients.push_back(c);
  std::sort(clients.begin(), clients.end());
  for (uint64_t c : clients) {
    for (const Item* s : doc.store().clients[c]) {
      out += std::to_string(c) + ":" + std::to_string(s->id.clock) + "+" + std::to_string(s->length) + " k" +
             std::to_string(static_cast<int>(s->kind)) + (s->deleted ? " del" : "") + (s->keep ? " keep" : "") +
             " '" + (s->kind == ContentKind::kString ? s->str.ToString() : std::string()) + "' o=" + OptStr(s->origin) +
             " ro=" + OptStr(s->right_origin) + "\n";
    }
  }
  return out;
}

// Yjs's merge of `right` into `left` (its clock neighbour), as Item.mergeWith
// and tryToMergeWithLefts decide it, written out here independently.
bool YjsWouldMerge(const Item* left, const Item* right) {
  if (left->is_gc() || right->is_gc()) return left->is_gc() && right->is_gc();
  const bool mergeable = right->kind == ContentKind::kString || right->kind == ContentKind::kDeleted ||
                         right->kind == ContentKind::kAny || right->kind == ContentKind::kJson;
  return left->id.client == right->id.client && left->id.clock + left->length == right->id.clock &&
         left->right == right && right->origin.present() && right->origin.id.client == left->id.client &&
         right->origin.id.clock == left->id.clock + left->length - 1 && left->right_origin == right->right_origin &&
         left->deleted == right->deleted && left->kind == right->kind && mergeable;
}

struct MergeCounts {
  int live = 0, deleted = 0, gc = 0;
};

// Every struct Yjs could merge into its clock neighbour must pass MayMergeLeft.
void CheckMayMergeLeft(Doc& doc, MergeCounts& seen) {
  for (auto& [client, structs] : doc.store().clients) {
    const Item* prev = nullptr;
    for (const Item* s : structs) {
      if (prev && YjsWouldMerge(prev, s)) {
        CHECK(Doc::MayMergeLeft(s));
        if (s->is_gc()) {
          seen.gc++;
        } else if (s->deleted) {
          seen.deleted++;
        } else {
          seen.live++;
        }
      }
      prev = s;
    }
  }
}

TEST_CASE("MayMergeLeft is true for every struct Yjs's commit would merge into its left") {
  MergeCounts seen;
  for (uint32_t seed = 1; seed <= 40; seed++) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    const bool gc = seed % 4 != 0;
    Doc a(DocOptions{.client_id = 1, .gc = gc});
    Doc b(DocOptions{.client_id = 2, .gc = gc});
    Branch* ta = *a.Root("t", TypeRef::kText);
    Branch* tb = *b.Root("t", TypeRef::kText);
    Branch* arr = *a.Root("a", TypeRef::kArray);
    for (int step = 0; step < 60; step++) {
      // A few edits in one transaction, then the unmerged store is checked
      // before the commit merges it.
      a.Begin(std::nullopt, true);
      const int ops = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < ops; k++) {
        const uint64_t len = ta->Length(kUtf16);
        const unsigned r = rng() % 10;
        if (r < 4 || len == 0) {
          const std::string s = std::string(1 + rng() % 3, static_cast<char>('a' + rng() % 26));
          REQUIRE(types::TextInsert(a, ta, len ? rng() % (len + 1) : 0, s, nullptr).ok());
        } else if (r < 8) {
          const uint64_t at = rng() % len;
          REQUIRE(types::TextDelete(a, ta, at, std::min<uint64_t>(len - at, 1 + rng() % 3)).ok());
        } else if (r == 8) {
          // Nested texts, deleted whole later: their content becomes GC structs.
          auto nested = types::ArrayInsertType(a, arr, 0, TypeRef::kText);
          REQUIRE(nested.ok());
          REQUIRE(types::TextInsert(a, *nested, 0, "nested", nullptr).ok());
        } else if (arr->Length(kUtf16) > 0) {
          REQUIRE(types::ArrayDelete(a, arr, 0, 1).ok());
        }
      }
      CheckMayMergeLeft(a, seen);
      a.Commit();
      CheckMayMergeLeft(a, seen);
      // The peer edits concurrently now and then; its update splits a's runs.
      if (rng() % 3 == 0) {
        const uint64_t len = tb->Length(kUtf16);
        if (len > 0 && rng() % 2) {
          REQUIRE(types::TextDelete(b, tb, rng() % len, 1).ok());
        } else {
          REQUIRE(types::TextInsert(b, tb, len ? rng() % (len + 1) : 0, "xy", nullptr).ok());
        }
      }
      if (rng() % 2 == 0) {
        Bytes ua = EncodeStateAsUpdate(a, nullptr), ub = EncodeStateAsUpdate(b, nullptr);
        a.Begin(std::nullopt, false);
        REQUIRE(ApplyUpdate(a, ub.data(), ub.size(), std::nullopt).ok());
        CheckMayMergeLeft(a, seen);
        a.Commit();
        REQUIRE(ApplyUpdate(b, ua.data(), ua.size(), std::nullopt).ok());
      }
    }
  }
  // Deleted runs split and re-joined were seen pending (else this proves nothing).
  CHECK(seen.deleted > 0);
}

size_t StructCount(Doc& doc, uint64_t client) { return doc.store().clients[client].size(); }

TEST_CASE("split halves of a live run: MayMergeLeft lets the commit join them again") {
  Doc d(DocOptions{.client_id = 1});
  Branch* t = *d.Root("t", TypeRef::kText);
  REQUIRE(types::TextInsert(d, t, 0, "abcdefgh", nullptr).ok());
  REQUIRE(StructCount(d, 1) == 1);
  Transaction& txn = d.Begin(/*local=*/true);
  // Splits as a lookup by id does (a remote struct's origin, a relative
  // position): nothing comes between the halves.
  d.GetItemCleanStart(txn, {1, 3});
  d.GetItemCleanStart(txn, {1, 6});
  REQUIRE(StructCount(d, 1) == 3);
  MergeCounts seen;
  CheckMayMergeLeft(d, seen);
  CHECK(seen.live == 2);
  d.Commit();
  // Yjs's commit (_mergeStructs) joins the halves: one struct again.
  CHECK(StructCount(d, 1) == 1);
  CHECK(types::TextString(*t) == "abcdefgh");
}

TEST_CASE("GC structs next to each other: MayMergeLeft lets the commit join them") {
  // Client 1 makes three nested texts (clocks 0, 1, 2) and fills the first
  // ("abc", clocks 3-5); deleting it collects its content: GC 3-5.
  Doc a(DocOptions{.client_id = 1});
  Branch* arr = *a.Root("a", TypeRef::kArray);
  std::vector<Branch*> texts;
  for (int i = 0; i < 3; i++) texts.push_back(*types::ArrayInsertType(a, arr, i, TypeRef::kText));
  REQUIRE(types::TextInsert(a, texts[0], 0, "abc", nullptr).ok());
  REQUIRE(types::ArrayDelete(a, arr, 0, 1).ok());
  Doc c(DocOptions{.client_id = 2});
  Bytes first = EncodeStateAsUpdate(a, nullptr);
  REQUIRE(ApplyUpdate(c, first.data(), first.size(), std::nullopt).ok());
  const StateVector sv = c.store().GetStateVector();
  // The second text gets "def" (6-8) and goes too: c receives its content as
  // a GC struct 6-8, right after its own GC 3-5.
  REQUIRE(types::TextInsert(a, texts[1], 0, "def", nullptr).ok());
  REQUIRE(types::ArrayDelete(a, arr, 0, 1).ok());
  Bytes diff = EncodeStateAsUpdate(a, &sv);
  c.Begin(/*local=*/false);
  REQUIRE(ApplyUpdate(c, diff.data(), diff.size(), std::nullopt).ok());
  MergeCounts seen;
  CheckMayMergeLeft(c, seen);
  CHECK(seen.gc == 1);
  c.Commit();
  // Yjs: the deleted type items 0 and 1 join, the GC structs join:
  // deleted 0-1, the third text's item 2, GC 3-8.
  CHECK(StructCount(c, 1) == 3);
  CHECK(StructCount(a, 1) == 3);
  CHECK(EncodeStateAsUpdate(c, nullptr) == EncodeStateAsUpdate(a, nullptr));
}

// A document without observers (quiet commits, folded commits, the merge
// candidates' shortcuts) and one whose after-transaction observer forces the
// general commit.
struct Pair {
  Doc fast{DocOptions{.client_id = 1}};
  Doc general{DocOptions{.client_id = 1}};
  Branch* tf = *fast.Root("t", TypeRef::kText);
  Branch* tg = *general.Root("t", TypeRef::kText);
  Pair() { general.AddAfterTransactionObserver([](Transaction&) {}); }

  void Compare() {
    CHECK(Dump(fast) == Dump(general));
    CHECK(EncodeStateAsUpdate(fast, nullptr) == EncodeStateAsUpdate(general, nullptr));
    CHECK(types::TextString(*tf) == types::TextString(*tg));
    CHECK(seq::Validate(tf->tree, tf->start));
  }
};

TEST_CASE("quiet, folded and candidate-merge commits leave what the general commit leaves") {
  for (uint32_t seed = 1; seed <= 30; seed++) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    Pair p;
    Doc peer(DocOptions{.client_id = 9});
    Branch* tp = *peer.Root("t", TypeRef::kText);
    uint64_t cursor = 0;
    for (int txn = 0; txn < 150; txn++) {
      p.fast.Begin(/*local=*/true);
      p.general.Begin(/*local=*/true);
      const int ops = rng() % 4 == 0 ? 2 : 1;
      for (int k = 0; k < ops; k++) {
        const uint64_t len = p.tf->Length(kUtf16);
        if (rng() % 8 == 0) cursor = len ? rng() % (len + 1) : 0;
        cursor = std::min(cursor, len);
        const unsigned r = rng() % 10;
        if (r < 5 || len == 0) {
          const std::string s(1, static_cast<char>('a' + rng() % 26));
          REQUIRE(types::TextInsert(p.fast, p.tf, cursor, s, nullptr).ok());
          REQUIRE(types::TextInsert(p.general, p.tg, cursor, s, nullptr).ok());
          cursor++;
        } else if (r < 8 && cursor > 0) {
          REQUIRE(types::TextDelete(p.fast, p.tf, cursor - 1, 1).ok());
          REQUIRE(types::TextDelete(p.general, p.tg, cursor - 1, 1).ok());
          cursor--;
        } else if (cursor < len) {
          REQUIRE(types::TextDelete(p.fast, p.tf, cursor, 1).ok());
          REQUIRE(types::TextDelete(p.general, p.tg, cursor, 1).ok());
        }
      }
      p.fast.Commit();
      p.general.Commit();
      p.Compare();
      if (rng() % 10 == 0) {
        // The peer's concurrent edits, merged both ways.
        Bytes mine = EncodeStateAsUpdate(p.fast, nullptr);
        REQUIRE(ApplyUpdate(peer, mine.data(), mine.size(), std::nullopt).ok());
        const uint64_t len = tp->Length(kUtf16);
        if (len > 1) REQUIRE(types::TextDelete(peer, tp, rng() % (len - 1), 2).ok());
        REQUIRE(types::TextInsert(peer, tp, tp->Length(kUtf16) ? rng() % tp->Length(kUtf16) : 0, "PQ", nullptr).ok());
        Bytes theirs = EncodeStateAsUpdate(peer, nullptr);
        REQUIRE(ApplyUpdate(p.fast, theirs.data(), theirs.size(), std::nullopt).ok());
        REQUIRE(ApplyUpdate(p.general, theirs.data(), theirs.size(), std::nullopt).ok());
        p.Compare();
      }
    }
  }
}

TEST_CASE("Begin with and without an origin: only the outermost origin counts") {
  Doc d(DocOptions{.client_id = 3});
  Branch* t = *d.Root("t", TypeRef::kText);
  std::vector<std::string> origins;
  d.AddUpdateObserver([&](const Bytes&, const Transaction& txn) {
    origins.push_back(txn.origin ? *txn.origin : std::string("(none)"));
  });
  d.Begin(std::string("outer"), true);
  d.Begin(std::string("inner"), true);  // nested: its origin is not the transaction's
  REQUIRE(types::TextInsert(d, t, 0, "a", nullptr).ok());
  d.Commit();
  d.Commit();
  d.Begin(/*local=*/true);  // reuses the transaction above: no origin left over
  REQUIRE(types::TextInsert(d, t, 1, "b", nullptr).ok());
  d.Commit();
  d.Begin(/*local=*/true);
  d.Begin(std::string("nested"), true);
  REQUIRE(types::TextInsert(d, t, 2, "c", nullptr).ok());
  d.Commit();
  d.Commit();
  CHECK(origins == std::vector<std::string>{"outer", "(none)", "(none)"});
  CHECK(d.txn_depth() == 0);
  CHECK(d.txn() == nullptr);
}

// ---------------------------------------------------------------------------
// DeleteSetClients against a std::map model.

struct Model {
  std::map<uint64_t, std::vector<DeleteRange>> clients;
  std::vector<uint64_t> order;
  void Add(uint64_t client, uint64_t clock, uint64_t len) {
    if (len == 0) return;
    if (!clients.count(client)) order.push_back(client);
    clients[client].push_back({clock, len});
  }
  void SortAndMerge() {
    for (auto& [c, r] : clients) {
      std::stable_sort(r.begin(), r.end(), [](const DeleteRange& a, const DeleteRange& b) { return a.clock < b.clock; });
      std::vector<DeleteRange> out;
      for (const DeleteRange& d : r) {
        if (!out.empty() && out.back().clock + out.back().len >= d.clock) {
          out.back().len = std::max(out.back().len, d.clock + d.len - out.back().clock);
        } else {
          out.push_back(d);
        }
      }
      r = out;
    }
  }
};

std::string Show(const DeleteSet& ds) {
  std::string s;
  for (const auto& [c, ranges] : ds.clients) {
    s += std::to_string(c) + ":";
    for (const DeleteRange& r : ranges) s += " " + std::to_string(r.clock) + "+" + std::to_string(r.len);
    s += ";";
  }
  s += " order";
  for (uint64_t c : ds.order) s += " " + std::to_string(c);
  return s;
}

std::string Show(const Model& m) {
  std::string s;
  for (const auto& [c, ranges] : m.clients) {
    s += std::to_string(c) + ":";
    for (const DeleteRange& r : ranges) s += " " + std::to_string(r.clock) + "+" + std::to_string(r.len);
    s += ";";
  }
  s += " order";
  for (uint64_t c : m.order) s += " " + std::to_string(c);
  return s;
}

TEST_CASE("DeleteSetClients keeps clients ascending, reuses cleared entries, and agrees with a map") {
  for (uint32_t seed = 1; seed <= 300; seed++) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    DeleteSet ds;
    Model m;
    const uint64_t spread = seed % 3 == 0 ? 40 : 4;
    for (int step = 0; step < 80; step++) {
      const unsigned r = rng() % 16;
      if (r == 0) {
        ds.Clear();
        m = Model{};
      } else if (r == 1) {
        ds.SortAndMerge();
        m.SortAndMerge();
      } else {
        const uint64_t client = (rng() % spread) * 1000003 + 7;
        const uint64_t clock = rng() % 60, len = rng() % 4;
        ds.Add(client, clock, len);
        m.Add(client, clock, len);
      }
      REQUIRE(Show(ds) == Show(m));
      CHECK(ds.empty() == m.clients.empty());
      CHECK(ds.OrderedClients() == m.order);
      for (const auto& [c, ranges] : m.clients) {
        REQUIRE(ds.clients.contains(c));
        CHECK(ds.clients.at(c).size() == ranges.size());
        CHECK(ds.clients.find(c)->first == c);
      }
      CHECK_FALSE(ds.clients.contains(3));
      CHECK(ds.clients.find(3) == ds.clients.end());
    }
    // Copies hold the used entries only, and equal the original.
    DeleteSet copy = ds;
    CHECK(Show(copy) == Show(ds));
    DeleteSet moved = std::move(copy);
    CHECK(Show(moved) == Show(ds));
  }
}

TEST_CASE("DeleteSet Decode reads clients in any order as Add would, Encode writes them descending") {
  for (uint32_t seed = 1; seed <= 200; seed++) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    // Wire entries: descending (as lib0 writes), ascending, shuffled, repeated,
    // some with only empty ranges.
    std::vector<uint64_t> clients;
    const size_t n = 1 + rng() % 30;
    for (size_t i = 0; i < n; i++) clients.push_back(rng() % 50 + 1);
    const unsigned shape = seed % 4;
    if (shape == 0) {
      std::sort(clients.rbegin(), clients.rend());
      clients.erase(std::unique(clients.begin(), clients.end()), clients.end());
    } else if (shape == 1) {
      std::sort(clients.begin(), clients.end());
      clients.erase(std::unique(clients.begin(), clients.end()), clients.end());
    }
    Encoder enc;
    Model m;
    enc.WriteVarUint(clients.size());
    for (uint64_t c : clients) {
      const size_t k = rng() % 4;
      enc.WriteVarUint(c);
      enc.WriteVarUint(k);
      for (size_t j = 0; j < k; j++) {
        const uint64_t clock = rng() % 100, len = rng() % 3;
        enc.WriteVarUint(clock);
        enc.WriteVarUint(len);
        m.Add(c, clock, len);
      }
    }
    Decoder dec(enc.data().data(), enc.data().size());
    DeleteSet ds = DeleteSet::Decode(dec);
    REQUIRE(dec.ok());
    CHECK(Show(ds) == Show(m));
    // Encode: descending clients, each with its ranges.
    Encoder out;
    ds.Encode(out);
    Encoder want;
    want.WriteVarUint(m.clients.size());
    for (auto it = m.clients.rbegin(); it != m.clients.rend(); ++it) {
      want.WriteVarUint(it->first);
      want.WriteVarUint(it->second.size());
      for (const DeleteRange& r : it->second) {
        want.WriteVarUint(r.clock);
        want.WriteVarUint(r.len);
      }
    }
    CHECK(Bytes(out.data()) == Bytes(want.data()));
  }
  // Truncated input fails and still leaves a valid (sorted) set.
  Encoder enc;
  enc.WriteVarUint(3);
  enc.WriteVarUint(9);
  enc.WriteVarUint(1);
  enc.WriteVarUint(0);
  enc.WriteVarUint(2);
  enc.WriteVarUint(4);
  enc.WriteVarUint(1);
  Decoder dec(enc.data().data(), enc.data().size());
  DeleteSet ds = DeleteSet::Decode(dec);
  CHECK_FALSE(dec.ok());
  CHECK(std::is_sorted(ds.clients.begin(), ds.clients.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; }));
}

TEST_CASE("DeleteSet MergeFrom, with few and with many clients, agrees with the map") {
  for (uint32_t seed = 1; seed <= 100; seed++) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    DeleteSet a, b;
    Model ma, mb;
    const size_t na = rng() % 6, nb = seed % 2 ? rng() % 6 : 9 + rng() % 20;
    for (size_t i = 0; i < na; i++) {
      const uint64_t c = rng() % 40, clock = rng() % 50, len = 1 + rng() % 3;
      a.Add(c, clock, len);
      ma.Add(c, clock, len);
    }
    for (size_t i = 0; i < nb; i++) {
      const uint64_t c = rng() % 40, clock = rng() % 50, len = 1 + rng() % 3;
      b.Add(c, clock, len);
      mb.Add(c, clock, len);
    }
    a.MergeFrom(b);
    for (uint64_t c : mb.order) {
      if (!ma.clients.count(c)) ma.order.push_back(c);
      auto& into = ma.clients[c];
      into.insert(into.end(), mb.clients[c].begin(), mb.clients[c].end());
    }
    ma.SortAndMerge();
    CHECK(Show(a) == Show(ma));
  }
}

TEST_CASE("DeleteSetFromStore lists clients ascending") {
  Doc d(DocOptions{.client_id = 500});
  Branch* t = *d.Root("t", TypeRef::kText);
  REQUIRE(types::TextInsert(d, t, 0, "abcdef", nullptr).ok());
  for (uint64_t c : {900u, 20u, 7000u, 3u}) {
    Doc other(DocOptions{.client_id = c});
    Bytes s = EncodeStateAsUpdate(d, nullptr);
    REQUIRE(ApplyUpdate(other, s.data(), s.size(), std::nullopt).ok());
    Branch* ot = *other.Root("t", TypeRef::kText);
    REQUIRE(types::TextInsert(other, ot, 0, "xyz", nullptr).ok());
    REQUIRE(types::TextDelete(other, ot, 1, 1).ok());
    Bytes u = EncodeStateAsUpdate(other, nullptr);
    REQUIRE(ApplyUpdate(d, u.data(), u.size(), std::nullopt).ok());
  }
  REQUIRE(types::TextDelete(d, t, t->Length(kUtf16) - 1, 1).ok());  // 'f', client 500's
  DeleteSet ds = DeleteSetFromStore(d.store());
  std::vector<uint64_t> got;
  for (const auto& [c, ranges] : ds.clients) got.push_back(c);
  CHECK(got == std::vector<uint64_t>{3, 20, 500, 900, 7000});
}

}  // namespace
}  // namespace codesync
