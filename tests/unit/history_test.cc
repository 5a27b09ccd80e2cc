// Tests for lib/history: snapshot encoding, visibility at clock granularity
// (snapshots that cut through runs), documents from snapshots and their
// errors, diffs, restore (nested types, units), authorship, and the shape of
// the store after garbage collection (what Yjs writes: Deleted content for
// deleted items, GC structs below collected types, merged runs).
#include <doctest/doctest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/doc.h"
#include "core/update.h"
#include "history/snapshot.h"
#include "types/types.h"

namespace codesync {
namespace {

using history::Snapshot;

std::unique_ptr<Doc> MakeDoc(uint64_t client, bool gc, Unit unit = kUtf16) {
  DocOptions o;
  o.client_id = client;
  o.gc = gc;
  o.unit = unit;
  return std::make_unique<Doc>(o);
}

Branch* Text(Doc& d, const char* name = "t") { return *d.Root(name, TypeRef::kText); }
Branch* Map(Doc& d, const char* name = "m") { return *d.Root(name, TypeRef::kMap); }

void Sync(Doc& from, Doc& to) {
  auto sv = to.store().GetStateVector();
  auto u = EncodeStateAsUpdate(from, &sv);
  REQUIRE(ApplyUpdate(to, u.data(), u.size(), std::nullopt).ok());
}

std::string TextOf(Doc& d, const char* name = "t") { return types::TextString(*Text(d, name)); }

TEST_CASE("snapshot encoding: bytes, decode, trailing bytes, equality") {
  auto d = MakeDoc(1, false);
  REQUIRE(types::TextInsert(*d, Text(*d), 0, "hello", nullptr).ok());
  REQUIRE(types::TextDelete(*d, Text(*d), 1, 3).ok());
  Snapshot s = history::TakeSnapshot(*d);
  std::vector<uint8_t> bytes = history::EncodeSnapshot(s);
  // ds: 1 client, client 1, 1 range (1, 3); sv: 1 entry (1, 5)
  CHECK(bytes == std::vector<uint8_t>{1, 1, 1, 1, 3, 1, 1, 5});
  auto back = history::DecodeSnapshot(bytes.data(), bytes.size());
  REQUIRE(back.ok());
  CHECK(history::SnapshotsEqual(*back, s));
  CHECK(back->Visible({1, 0}));
  CHECK_FALSE(back->Visible({1, 1}));
  CHECK_FALSE(back->Visible({1, 3}));
  CHECK(back->Visible({1, 4}));
  CHECK_FALSE(back->Visible({1, 5}));  // not inserted yet at the snapshot
  CHECK_FALSE(back->Visible({2, 0}));

  bytes.push_back(0);
  auto trailing = history::DecodeSnapshot(bytes.data(), bytes.size());
  CHECK(trailing.status().code() == absl::StatusCode::kDataLoss);
  for (size_t len = 0; len + 1 < bytes.size(); len++) {
    CHECK(history::DecodeSnapshot(bytes.data(), len).status().code() == absl::StatusCode::kDataLoss);
  }
  // Unsorted, overlapping ranges (any writer may send them) are normalized.
  std::vector<uint8_t> messy{1, 1, 2, 4, 2, 1, 4, 1, 1, 9};
  auto m = history::DecodeSnapshot(messy.data(), messy.size());
  REQUIRE(m.ok());
  REQUIRE(m->ds.clients.at(1).size() == 1);
  CHECK(m->ds.clients.at(1)[0].clock == 1);
  CHECK(m->ds.clients.at(1)[0].len == 5);
}

TEST_CASE("a snapshot that cuts through runs: old versions, diffs and restore at clock granularity") {
  auto d = MakeDoc(1, false);
  Branch* t = Text(*d);
  REQUIRE(types::TextInsert(*d, t, 0, "abcdef", nullptr).ok());
  Snapshot s1 = history::TakeSnapshot(*d);
  REQUIRE(types::TextInsert(*d, t, 6, "ghi", nullptr).ok());  // merges into the same struct
  REQUIRE(types::TextDelete(*d, t, 2, 2).ok());               // splits it
  Snapshot s2 = history::TakeSnapshot(*d);
  REQUIRE(types::TextDelete(*d, t, 0, 1).ok());
  CHECK(TextOf(*d) == "befghi");

  auto old = history::DocFromSnapshot(*d, s1, DocOptions{});
  REQUIRE(old.ok());
  CHECK(TextOf(**old) == "abcdef");
  auto mid = history::DocFromSnapshot(*d, s2, DocOptions{});
  REQUIRE(mid.ok());
  CHECK(TextOf(**mid) == "abefghi");

  auto diff = history::DiffText(*t, &s1, &s2);
  REQUIRE(diff.ok());
  REQUIRE(diff->size() == 4);
  CHECK((*diff)[0].kind == history::TextChange::kRetain);
  CHECK((*diff)[0].length == 2);
  CHECK((*diff)[1].kind == history::TextChange::kDelete);
  CHECK((*diff)[1].text == "cd");
  CHECK((*diff)[2].kind == history::TextChange::kRetain);
  CHECK((*diff)[2].length == 2);
  CHECK((*diff)[3].kind == history::TextChange::kInsert);
  CHECK((*diff)[3].text == "ghi");
  CHECK((*diff)[3].client == 1);

  REQUIRE(history::RestoreSnapshot(*d, s2, std::string("restore")).ok());
  CHECK(TextOf(*d) == "abefghi");
  REQUIRE(history::RestoreSnapshot(*d, s1, std::nullopt).ok());
  CHECK(TextOf(*d) == "abcdef");
}

TEST_CASE("a cut inside a surrogate pair reads as U+FFFD, as Yjs splits it") {
  auto d = MakeDoc(1, false);
  Branch* t = Text(*d);
  REQUIRE(types::TextInsert(*d, t, 0, "a\xF0\x9F\x98\x80" "b", nullptr).ok());  // a😀b: 4 clocks
  Snapshot s;
  s.sv[1] = 2;  // up to the first half of the pair (a peer could send such a snapshot)
  auto old = history::DocFromSnapshot(*d, s, DocOptions{});
  REQUIRE(old.ok());
  CHECK(TextOf(**old) == "a\xEF\xBF\xBD");
  auto diff = history::DiffText(*t, &s, nullptr);
  REQUIRE(diff.ok());
  REQUIRE(diff->size() == 2);
  CHECK((*diff)[0].kind == history::TextChange::kRetain);
  CHECK((*diff)[1].kind == history::TextChange::kInsert);
  CHECK((*diff)[1].text == "\xEF\xBF\xBD" "b");
  // Restore never splits a character of the live text: the pair goes with its first half.
  for (Unit u : {kUtf16, kUtf8, kCodepoints}) {
    auto e = MakeDoc(3, false, u);
    REQUIRE(types::TextInsert(*e, Text(*e), 0, "a\xF0\x9F\x98\x80" "b", nullptr).ok());
    Snapshot cut;
    cut.sv[3] = 2;
    REQUIRE(history::RestoreSnapshot(*e, cut, std::nullopt).ok());
    CHECK(TextOf(*e) == "a\xF0\x9F\x98\x80");
    Snapshot second_half;  // visible: the second half of the pair and "b"
    second_half.sv[3] = 4;
    second_half.ds.Add(3, 0, 2);
    auto f = MakeDoc(3, false, u);
    REQUIRE(types::TextInsert(*f, Text(*f), 0, "a\xF0\x9F\x98\x80" "b", nullptr).ok());
    REQUIRE(history::RestoreSnapshot(*f, second_half, std::nullopt).ok());
    CHECK(TextOf(*f) == "b");
  }
}

TEST_CASE("history needs the deleted content: gc on, snapshots ahead, content a gc peer dropped") {
  auto gc = MakeDoc(1, true);
  REQUIRE(types::TextInsert(*gc, Text(*gc), 0, "abc", nullptr).ok());
  Snapshot before_delete = history::TakeSnapshot(*gc);
  auto r = history::DocFromSnapshot(*gc, before_delete, DocOptions{});
  CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(r.status().message()).find("gc") != std::string::npos);
  CHECK(history::DiffText(*Text(*gc), nullptr, nullptr).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(history::RestoreSnapshot(*gc, before_delete, std::nullopt).code() == absl::StatusCode::kInvalidArgument);

  // The gc peer deletes "b" and collects it; a gc=0 document receives the collected state.
  REQUIRE(types::TextDelete(*gc, Text(*gc), 1, 1).ok());
  auto keeper = MakeDoc(2, false);
  Sync(*gc, *keeper);
  CHECK(TextOf(*keeper) == "ac");
  auto lost = history::DocFromSnapshot(*keeper, before_delete, DocOptions{});
  CHECK(lost.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(lost.status().message()).find("garbage collected") != std::string::npos);
  // A snapshot of now is fine: what it shows is all there.
  auto now = history::DocFromSnapshot(*keeper, history::TakeSnapshot(*keeper), DocOptions{});
  REQUIRE(now.ok());
  CHECK(TextOf(**now) == "ac");

  Snapshot ahead;
  ahead.sv[2] = 10;
  CHECK(history::DocFromSnapshot(*keeper, ahead, DocOptions{}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(history::RestoreSnapshot(*keeper, ahead, std::nullopt).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("restore: nested texts that still exist, maps, arrays, code point units") {
  auto d = MakeDoc(1, false, kCodepoints);
  Branch* m = Map(*d);
  auto nested = types::MapSetType(*d, m, "body", TypeRef::kText);
  REQUIRE(nested.ok());
  REQUIRE(types::TextInsert(*d, *nested, 0, "h\xC3\xA9llo \xF0\x9F\x98\x80", nullptr).ok());  // héllo 😀
  REQUIRE(types::MapSet(*d, m, "n", Any::Number(1)).ok());
  Branch* arr = *d->Root("a", TypeRef::kArray);
  REQUIRE(types::ArrayInsert(*d, arr, 0, {Any::Number(1), Any::Number(2)}).ok());
  Snapshot s = history::TakeSnapshot(*d);

  REQUIRE(types::TextDelete(*d, *nested, 1, 1).ok());
  REQUIRE(types::TextInsert(*d, *nested, 0, "\xF0\x9F\x98\x80", nullptr).ok());
  REQUIRE(types::MapDelete(*d, m, "n").ok());
  REQUIRE(types::MapSet(*d, m, "added", Any::Bool(true)).ok());
  REQUIRE(types::ArrayDelete(*d, arr, 0, 1).ok());
  REQUIRE(types::ArrayInsert(*d, arr, 1, {Any::String("x")}).ok());

  auto peer = MakeDoc(2, false);
  Sync(*d, *peer);
  std::vector<std::vector<uint8_t>> updates;
  d->AddUpdateObserver([&](const std::vector<uint8_t>& u, const Transaction&) { updates.push_back(u); });
  REQUIRE(history::RestoreSnapshot(*d, s, std::string("restore")).ok());
  REQUIRE(updates.size() == 1);
  REQUIRE(ApplyUpdate(*peer, updates[0].data(), updates[0].size(), std::nullopt).ok());
  for (Doc* x : {d.get(), peer.get()}) {
    CHECK(types::ToAny(*Map(*x)).ToJson() == R"({"body":"héllo 😀","n":1})");
    CHECK(types::ToAny(**x->Root("a", TypeRef::kArray)).ToJson() == "[1,2]");
  }
}

TEST_CASE("diff of a map between snapshots") {
  auto d = MakeDoc(7, false);
  Branch* m = Map(*d);
  REQUIRE(types::MapSet(*d, m, "a", Any::Number(1)).ok());
  Snapshot s0 = history::TakeSnapshot(*d);
  REQUIRE(types::MapSet(*d, m, "a", Any::Number(2)).ok());
  REQUIRE(types::MapSet(*d, m, "b", Any::Number(3)).ok());
  Snapshot s1 = history::TakeSnapshot(*d);
  auto diff = history::DiffMap(*m, &s0, &s1);
  REQUIRE(diff.ok());
  REQUIRE(diff->size() == 2);
  CHECK((*diff)[0].key == "a");
  CHECK((*diff)[0].kind == history::MapChange::kUpdate);
  CHECK((*diff)[0].old_value == Any::Number(1));
  CHECK((*diff)[0].new_value == Any::Number(2));
  CHECK((*diff)[1].key == "b");
  CHECK((*diff)[1].kind == history::MapChange::kAdd);
  auto back = history::DiffMap(*m, &s1, &s0);
  REQUIRE(back.ok());
  REQUIRE(back->size() == 2);
  CHECK((*back)[1].kind == history::MapChange::kDelete);
  CHECK((*back)[1].old_value == Any::Number(3));
}

TEST_CASE("authorship in UTF-8 units merges adjacent runs of one client") {
  auto a = MakeDoc(1, true, kUtf8);
  auto b = MakeDoc(2, true, kUtf8);
  REQUIRE(types::TextInsert(*a, Text(*a), 0, "\xC3\xA9\xC3\xA9", nullptr).ok());  // éé: 4 bytes
  Sync(*a, *b);
  REQUIRE(types::TextInsert(*b, Text(*b), 2, "xyz", nullptr).ok());
  Sync(*b, *a);
  auto runs = history::Authorship(*Text(*a));
  REQUIRE(runs.size() == 3);
  CHECK(runs[0].index == 0);
  CHECK(runs[0].length == 2);
  CHECK(runs[0].client == 1);
  CHECK(runs[1].index == 2);
  CHECK(runs[1].length == 3);
  CHECK(runs[1].client == 2);
  CHECK(runs[2].index == 5);
  CHECK(runs[2].length == 2);
  REQUIRE(types::TextDelete(*a, Text(*a), 2, 3).ok());
  runs = history::Authorship(*Text(*a));
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].length == 4);
  CHECK(history::Authorship(*Text(*MakeDoc(3, true), "empty")).empty());
}

// What Yjs does at the end of a transaction with gc on: a deleted item keeps
// its place with Deleted content; the children of a deleted type become GC
// structs; adjacent deleted runs of one client merge.
TEST_CASE("garbage collection leaves the structs Yjs leaves") {
  auto d = MakeDoc(1, true);
  Branch* t = Text(*d);
  for (int i = 0; i < 10; i++) REQUIRE(types::TextInsert(*d, t, 0, "abc", nullptr).ok());  // 10 runs
  size_t runs_before = d->store().clients.at(1).size();
  CHECK(runs_before > 1);
  REQUIRE(types::TextDelete(*d, t, 0, 30).ok());
  const auto& structs = d->store().clients.at(1);
  REQUIRE(structs.size() == runs_before);  // positions differ, so runs keep their origins...
  for (const Item* s : structs) {
    CHECK(s->kind == ContentKind::kDeleted);  // ...but hold no content
    CHECK(s->str.empty());
    CHECK(s->deleted);
  }

  // Typing at the end merges; deleting it all leaves one Deleted struct.
  auto e = MakeDoc(2, true);
  Branch* et = Text(*e);
  for (int i = 0; i < 10; i++) REQUIRE(types::TextInsert(*e, et, 3 * i, "abc", nullptr).ok());
  REQUIRE(e->store().clients.at(2).size() == 1);
  REQUIRE(types::TextDelete(*e, et, 5, 10).ok());
  REQUIRE(e->store().clients.at(2).size() == 3);
  CHECK(e->store().clients.at(2)[1]->kind == ContentKind::kDeleted);
  CHECK(e->store().clients.at(2)[0]->kind == ContentKind::kString);
  // Split halves keep origin = their left neighbour: once all deleted, they merge back into one.
  REQUIRE(types::TextDelete(*e, et, 0, 20).ok());
  REQUIRE(e->store().clients.at(2).size() == 1);
  CHECK(e->store().clients.at(2)[0]->kind == ContentKind::kDeleted);
  CHECK(e->store().clients.at(2)[0]->length == 30);

  // A map entry holding a text: deleting the entry collects the text's items into GC structs.
  auto f = MakeDoc(3, true);
  Branch* m = Map(*f);
  auto nested = types::MapSetType(*f, m, "doc", TypeRef::kText);
  REQUIRE(nested.ok());
  REQUIRE(types::TextInsert(*f, *nested, 0, "inner", nullptr).ok());
  REQUIRE(types::TextInsert(*f, *nested, 0, "more ", nullptr).ok());
  REQUIRE(types::MapDelete(*f, m, "doc").ok());
  const auto& fs = f->store().clients.at(3);
  REQUIRE(fs.size() == 2);
  CHECK(fs[0]->kind == ContentKind::kDeleted);  // the type's item
  CHECK(fs[1]->kind == ContentKind::kGC);       // both runs of its content, merged
  CHECK(fs[1]->length == 10);
  CHECK((*nested)->is_deleted());
  // Encoding writes a Deleted item (info 0x21: parent sub, ref 1) and a GC struct (ref 0).
  auto u = EncodeStateAsUpdate(*f, nullptr);
  std::vector<uint8_t> want{1, 2, 3, 0, 0x21, 1, 1, 'm', 3, 'd', 'o', 'c', 1, 0, 10, 1, 3, 1, 0, 11};
  CHECK(u == want);
}

// Snapshots come from peers: any bytes must give an error or a result, never a crash.
TEST_CASE("hostile snapshots: random and mutated bytes") {
  auto d = MakeDoc(1, false);
  Branch* t = Text(*d);
  REQUIRE(types::TextInsert(*d, t, 0, "hello \xF0\x9F\x98\x80 world", nullptr).ok());
  REQUIRE(types::TextDelete(*d, t, 2, 3).ok());
  REQUIRE(types::MapSet(*d, Map(*d), "k", Any::Number(1)).ok());
  std::vector<uint8_t> good = history::EncodeSnapshot(history::TakeSnapshot(*d));
  std::mt19937 rng(7);
  int decoded = 0;
  for (int round = 0; round < 3000; round++) {
    std::vector<uint8_t> bytes = good;
    if (round % 3 == 0) {
      bytes.resize(rng() % 24);
      for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    } else {
      for (int k = 0; k < 1 + round % 4; k++) bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
    }
    auto s = history::DecodeSnapshot(bytes.data(), bytes.size());
    if (!s.ok()) {
      CHECK(s.status().code() == absl::StatusCode::kDataLoss);
      continue;
    }
    decoded++;
    auto old = history::DocFromSnapshot(*d, *s, DocOptions{});
    if (!old.ok()) CHECK(old.status().code() == absl::StatusCode::kInvalidArgument);
    auto diff = history::DiffText(*t, &*s, nullptr);
    if (!diff.ok()) CHECK(diff.status().code() == absl::StatusCode::kInvalidArgument);
    (void)history::DiffMap(*Map(*d), &*s, nullptr);
  }
  CHECK(decoded > 100);
  // Restoring a mutated (but decodable, not ahead) snapshot is an edit like any other.
  auto copy = MakeDoc(2, false);
  Sync(*d, *copy);
  Snapshot odd;
  odd.sv[1] = 9;
  odd.ds.Add(1, 0, 1);
  REQUIRE(history::RestoreSnapshot(*copy, odd, std::nullopt).ok());
  // Visible at `odd`: clocks 1..8 of the text ("ello 😀 "); the map entry came later.
  CHECK(TextOf(*copy) == "ello \xF0\x9F\x98\x80 ");
  CHECK(types::ToAny(*Map(*copy)).ToJson() == "{}");
}

}  // namespace
}  // namespace codesync
