// The text operations' last-edit memo (Branch::find_memo, types::FindItem)
// against the position index itself.  `memo` keeps its memo between
// operations; `cold` forgets it before each one, so every lookup there is a
// seq::Find.  Both must answer every lookup alike, hold the same structs,
// encode the same bytes and emit the same updates, through typing, deleting,
// jumps, formatting, remote updates (inside and outside transactions) and all
// three offset units; and a memo the tree's version still vouches for must
// name an item of the sequence that starts exactly where it says.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/doc.h"
#include "core/seq_index.h"
#include "core/update.h"
#include "types/sequence.h"
#include "types/types.h"

namespace codesync {
namespace {

using Bytes = std::vector<uint8_t>;

std::string OptStr(const OptId& o) {
  return o.present() ? std::to_string(o.id.client) + ":" + std::to_string(o.id.clock) : "-";
}

std::string Dump(Doc& doc, Branch* text) {
  std::string out;
  std::vector<uint64_t> clients;
  for (auto& [c, s] : doc.store().clients) clients.push_back(c);
  std::sort(clients.begin(), clients.end());
  for (uint64_t c : clients) {
    for (const Item* s : doc.store().clients[c]) {
      out += std::to_string(c) + ":" + std::to_string(s->id.clock) + "+" + std::to_string(s->length) + " k" +
             std::to_string(static_cast<int>(s->kind)) + (s->deleted ? " del" : "") + " '" + s->str.ToString() +
             "' o=" + OptStr(s->origin) + " ro=" + OptStr(s->right_origin) + "\n";
    }
  }
  out += "seq:";
  for (const Item* n = text->start; n; n = n->right) out += " " + std::to_string(n->id.clock);
  return out;
}

// A memo the tree's version still vouches for is exact: its item is in the
// sequence and starts at the remembered position.
void CheckMemoExact(const Branch& b) {
  const Branch::FindMemo& m = b.find_memo;
  if (!m.item || m.version != b.tree.version) return;
  REQUIRE(m.item->leaf() != nullptr);
  CHECK(m.item->parent == &b);
  CHECK(seq::Rank(m.item, m.unit) == m.start);
}

struct Side {
  std::unique_ptr<Doc> doc;
  Branch* text;
  std::vector<Bytes> updates;
  Side(Unit unit) : doc(std::make_unique<Doc>(DocOptions{.client_id = 1, .unit = unit})) {
    text = *doc->Root("t", TypeRef::kText);
    doc->AddUpdateObserver([this](const Bytes& u, const Transaction&) { updates.push_back(u); });
  }
};

struct Pair {
  Unit unit;
  Side memo;
  Side cold;
  int memo_hits = 0;  // lookups the memo answered (the tree's cursor untouched)

  explicit Pair(Unit u) : unit(u), memo(u), cold(u) {}

  // Runs op on both sides (cold without its memo) and compares the outcome.
  template <typename Op>
  void Both(Op op) {
    absl::Status a = op(memo);
    cold.text->find_memo = {};
    absl::Status b = op(cold);
    cold.text->find_memo = {};
    REQUIRE(a.code() == b.code());
    CheckMemoExact(*memo.text);
    Probe();
  }
  // Lookups at random positions, through the memo and straight from the tree.
  void Probe() {
    const uint64_t len = memo.text->Length(unit);
    if (len == 0) return;
    const Branch::FindMemo& m = memo.text->find_memo;
    std::vector<uint64_t> at = {len - 1, 0};
    if (m.item && m.version == memo.text->tree.version) {
      const uint64_t w = m.item->weight(unit);
      at.push_back(m.start);  // the memo's item: its first, last and next positions
      at.push_back(m.start + w);
      if (w > 0) at.push_back(m.start + w - 1);
    }
    for (uint64_t i : at) {
      if (i >= len) continue;
      const bool hit = m.item && m.version == memo.text->tree.version && m.unit == unit && i >= m.start &&
                       i - m.start < m.item->weight(unit);
      memo_hits += hit;
      uint64_t off_memo = 0, off_tree = 0;
      Item* a = types::FindItem(*memo.text, unit, i, &off_memo);
      Item* b = seq::Find(memo.text->tree, unit, i, &off_tree);
      CHECK(a == b);
      CHECK(off_memo == off_tree);
      CheckMemoExact(*memo.text);
    }
  }
  void Begin() {
    memo.doc->Begin(std::nullopt, true);
    cold.doc->Begin(std::nullopt, true);
  }
  void Commit() {
    memo.doc->Commit();
    cold.doc->Commit();
    CheckMemoExact(*memo.text);
    CHECK(Dump(*memo.doc, memo.text) == Dump(*cold.doc, cold.text));
    CHECK(memo.updates == cold.updates);
    CHECK(EncodeStateAsUpdate(*memo.doc, nullptr) == EncodeStateAsUpdate(*cold.doc, nullptr));
    CHECK(seq::Validate(memo.text->tree, memo.text->start));
  }
  void Apply(const Bytes& u) {
    Both([&](Side& s) { return ApplyUpdate(*s.doc, u.data(), u.size(), std::nullopt); });
  }
};

const char* const kPieces[] = {"a", "b", "xy", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "hello "};

void RandomSession(Unit unit, uint32_t seed, int* hits) {
  std::mt19937 rng(seed);
  Pair p(unit);
  Doc peer(DocOptions{.client_id = 2, .unit = unit});
  Branch* peer_text = *peer.Root("t", TypeRef::kText);
  uint64_t cursor = 0;
  for (int txn = 0; txn < 150; txn++) {
    const bool explicit_txn = rng() % 3 != 0;
    if (explicit_txn) p.Begin();
    const int ops = rng() % 4 == 0 ? 2 + static_cast<int>(rng() % 4) : 1;
    for (int k = 0; k < ops; k++) {
      const uint64_t len = p.memo.text->Length(unit);
      if (rng() % 10 == 0) cursor = len ? rng() % (len + 1) : 0;
      cursor = std::min(cursor, len);
      const unsigned r = rng() % 20;
      if (r < 9 || len == 0) {
        const std::string s = r < 6 ? std::string(1, static_cast<char>('a' + rng() % 26)) : kPieces[rng() % 7];
        p.Both([&](Side& side) { return types::TextInsert(*side.doc, side.text, cursor, s, nullptr); });
        cursor = std::min<uint64_t>(p.memo.text->Length(unit), cursor + 1);
      } else if (r < 14 && cursor > 0) {  // backspace (may split a character: both refuse alike)
        p.Both([&](Side& side) { return types::TextDelete(*side.doc, side.text, cursor - 1, 1); });
        cursor -= 1;
      } else if (r < 16 && cursor < len) {  // forward delete, sometimes more
        const uint64_t n = std::min<uint64_t>(len - cursor, 1 + rng() % 3);
        p.Both([&](Side& side) { return types::TextDelete(*side.doc, side.text, cursor, n); });
      } else if (r == 16 && len > 0) {  // formatting: format items of no weight
        const uint64_t at = rng() % len;
        const uint64_t n = std::min<uint64_t>(len - at, 1 + rng() % 4);
        const Any attrs = Any::MakeObject({{"bold", rng() % 2 ? Any::Bool(true) : Any::Null()}});
        p.Both([&](Side& side) { return types::TextFormat(*side.doc, side.text, at, n, attrs); });
      } else if (r == 17) {  // the peer edits; its update arrives here
        const uint64_t plen = peer_text->Length(unit);
        const uint64_t at = plen ? rng() % (plen + 1) : 0;
        if (types::TextInsert(peer, peer_text, at, "P", nullptr).ok()) {
          if (plen > 2 && rng() % 2) (void)types::TextDelete(peer, peer_text, rng() % (plen - 1), 1);
          p.Apply(EncodeStateAsUpdate(peer, nullptr));
        }
      } else {  // the peer catches up with us
        const Bytes ours = EncodeStateAsUpdate(*p.memo.doc, nullptr);
        REQUIRE(ApplyUpdate(peer, ours.data(), ours.size(), std::nullopt).ok());
        p.Probe();
      }
    }
    if (explicit_txn) {
      p.Commit();
    } else {
      CHECK(Dump(*p.memo.doc, p.memo.text) == Dump(*p.cold.doc, p.cold.text));
    }
  }
  p.Begin();
  p.Commit();
  CHECK(types::TextString(*p.memo.text) == types::TextString(*p.cold.text));
  *hits += p.memo_hits;
}

TEST_CASE("memo and tree give the same answers, structs and bytes on random sessions, in every unit") {
  for (Unit unit : {kUtf16, kUtf8, kCodepoints}) {
    CAPTURE(static_cast<int>(unit));
    int hits = 0;
    for (uint32_t seed = 1; seed <= 25; seed++) {
      CAPTURE(seed);
      RandomSession(unit, seed, &hits);
    }
    CHECK(hits > 1000);  // the memo answered, not only the tree
  }
}

TEST_CASE("typing and backspacing: the memo follows the run, the tree is not searched") {
  Doc doc(DocOptions{.client_id = 1});
  Branch* text = *doc.Root("t", TypeRef::kText);
  for (int i = 0; i < 40; i++) {
    doc.Begin(std::nullopt, true);
    REQUIRE(types::TextInsert(doc, text, i, "x", nullptr).ok());
    doc.Commit();
    // After the first keystroke the memo names the run, starting at 0.
    CHECK(text->find_memo.item == text->start);
    CHECK(text->find_memo.start == 0);
    CHECK(text->find_memo.version == text->tree.version);
  }
  for (int i = 40; i > 30; i--) {
    doc.Begin(std::nullopt, true);
    REQUIRE(types::TextDelete(doc, text, i - 1, 1).ok());
    doc.Commit();
    CheckMemoExact(*text);
    CHECK(text->find_memo.version == text->tree.version);
  }
  // A change the memo did not make (a remote insert at the front) outdates it.
  Doc peer(DocOptions{.client_id = 2});
  Branch* pt = *peer.Root("t", TypeRef::kText);
  const Bytes ours = EncodeStateAsUpdate(doc, nullptr);
  REQUIRE(ApplyUpdate(peer, ours.data(), ours.size(), std::nullopt).ok());
  REQUIRE(types::TextInsert(peer, pt, 0, "zz", nullptr).ok());
  const Bytes u = EncodeStateAsUpdate(peer, nullptr);
  REQUIRE(ApplyUpdate(doc, u.data(), u.size(), std::nullopt).ok());
  CHECK(text->find_memo.version != text->tree.version);
  uint64_t off = 0;
  Item* it = types::FindItem(*text, kUtf16, 0, &off);
  REQUIRE(it != nullptr);
  CHECK(it->id.client == 2);
  CheckMemoExact(*text);
  CHECK(types::TextString(*text) == "zz" + std::string(30, 'x'));
}

}  // namespace
}  // namespace codesync
