// Tests for lib/history/undo: the undo manager.  Expected texts are worked out
// by hand from yjs 13.6 UndoManager semantics; tests/interop/undo.mjs compares
// seeded scripts with the real yjs UndoManager.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/doc.h"
#include "core/update.h"
#include "history/positions.h"
#include "history/undo.h"
#include "types/types.h"

namespace codesync {
namespace {

using history::UndoManager;
using Bytes = std::vector<uint8_t>;

std::unique_ptr<Doc> MakeDoc(uint64_t client) {
  DocOptions o;
  o.client_id = client;
  return std::make_unique<Doc>(o);
}

Branch* Text(Doc& d) { return *d.Root("t", TypeRef::kText); }

// Sends what `to` lacks from `from`, under origin "remote".
void Sync(Doc& from, Doc& to) {
  StateVector sv = to.store().GetStateVector();
  Bytes u = EncodeStateAsUpdate(from, &sv);
  REQUIRE(ApplyUpdate(to, u.data(), u.size(), std::string("remote")).ok());
}

void Insert(Doc& d, uint64_t i, const char* s, std::optional<std::string> origin = std::nullopt) {
  d.Begin(origin, true);
  REQUIRE(types::TextInsert(d, Text(d), i, s, nullptr).ok());
  d.Commit();
}
void Delete(Doc& d, uint64_t i, uint64_t n, std::optional<std::string> origin = std::nullopt) {
  d.Begin(origin, true);
  REQUIRE(types::TextDelete(d, Text(d), i, n).ok());
  d.Commit();
}
std::string Str(Doc& d) { return types::TextString(*Text(d)); }

struct Fixture {
  std::unique_ptr<Doc> doc = MakeDoc(1);
  UndoManager um{*doc, {}};
  Fixture() { um.AddScope(Text(*doc)); }
};

TEST_CASE("undo and redo a local insertion and deletion") {
  Fixture f;
  f.um.SetTime(1000);
  Insert(*f.doc, 0, "hello");
  f.um.SetTime(2000);
  Delete(*f.doc, 1, 3);  // ho
  CHECK(f.um.UndoDepth() == 2);
  CHECK(*f.um.Undo() == true);
  CHECK(Str(*f.doc) == "hello");
  CHECK(*f.um.Undo() == true);
  CHECK(Str(*f.doc) == "");
  CHECK_FALSE(f.um.CanUndo());
  CHECK(*f.um.Undo() == false);
  CHECK(*f.um.Redo() == true);
  CHECK(Str(*f.doc) == "hello");
  CHECK(*f.um.Redo() == true);
  CHECK(Str(*f.doc) == "ho");
  CHECK_FALSE(f.um.CanRedo());
  // A new change after an undo drops the redo stack.
  CHECK(*f.um.Undo() == true);
  f.um.SetTime(3000);
  Insert(*f.doc, 0, "!");
  CHECK_FALSE(f.um.CanRedo());
  CHECK(Str(*f.doc) == "!hello");
}

TEST_CASE("changes within the capture timeout merge into one stack item") {
  Fixture f;
  f.um.SetTime(1000);
  Insert(*f.doc, 0, "a");
  f.um.SetTime(1499);  // 499 ms later: merged
  Insert(*f.doc, 1, "b");
  f.um.SetTime(1998);  // 499 ms after the last change: merged again
  Insert(*f.doc, 2, "c");
  f.um.SetTime(2498);  // exactly the timeout: a new item
  Insert(*f.doc, 3, "d");
  CHECK(f.um.UndoDepth() == 2);
  f.um.StopCapturing();
  Insert(*f.doc, 4, "e");  // same time, but capturing was stopped
  CHECK(f.um.UndoDepth() == 3);
  REQUIRE(*f.um.Undo());
  CHECK(Str(*f.doc) == "abcd");
  REQUIRE(*f.um.Undo());
  CHECK(Str(*f.doc) == "abc");
  REQUIRE(*f.um.Undo());
  CHECK(Str(*f.doc) == "");
}

TEST_CASE("a clock callback gives the time") {
  auto doc = MakeDoc(1);
  int64_t now = 10;
  UndoManager::Options o;
  o.capture_timeout_ms = 100;
  o.clock = [&] { return now; };
  UndoManager um(*doc, o);
  um.AddScope(Text(*doc));
  Insert(*doc, 0, "a");
  now = 50;
  Insert(*doc, 1, "b");
  now = 500;
  Insert(*doc, 2, "c");
  CHECK(um.UndoDepth() == 2);
}

TEST_CASE("undo keeps the edits of other peers") {
  Fixture f;
  auto peer = MakeDoc(2);
  f.um.SetTime(1000);
  Insert(*f.doc, 0, "hello");
  Sync(*f.doc, *peer);
  Insert(*peer, 5, " world");
  Insert(*peer, 0, ">");
  Sync(*peer, *f.doc);  // origin "remote": not tracked
  CHECK(Str(*f.doc) == ">hello world");
  CHECK(f.um.UndoDepth() == 1);
  REQUIRE(*f.um.Undo());
  CHECK(Str(*f.doc) == "> world");
  Sync(*f.doc, *peer);
  CHECK(Str(*peer) == "> world");
  // The peer types where "hello" was; redo puts "hello" back at its old place.
  Insert(*peer, 1, "[");
  Sync(*peer, *f.doc);
  REQUIRE(*f.um.Redo());
  CHECK(Str(*f.doc) == ">hello[ world");
  Sync(*f.doc, *peer);
  CHECK(Str(*peer) == Str(*f.doc));
}

TEST_CASE("undoing a deletion restores the content, also after garbage collection") {
  Fixture f;
  auto peer = MakeDoc(2);
  Insert(*peer, 0, "hello world");
  Sync(*peer, *f.doc);
  f.um.SetTime(1000);
  Delete(*f.doc, 2, 7);  // held
  CHECK(Str(*f.doc) == "held");
  // Unrelated transactions run GC; the deleted content must survive it.
  Insert(*peer, 11, "!");
  Sync(*peer, *f.doc);
  CHECK(Str(*f.doc) == "held!");
  REQUIRE(*f.um.Undo());
  CHECK(Str(*f.doc) == "hello world!");
  Sync(*f.doc, *peer);
  CHECK(Str(*peer) == "hello world!");
  REQUIRE(*f.um.Redo());
  CHECK(Str(*f.doc) == "held!");
}

TEST_CASE("only tracked origins are recorded") {
  Fixture f;
  f.um.SetTime(1000);
  Insert(*f.doc, 0, "a", std::string("other"));
  CHECK_FALSE(f.um.CanUndo());
  Insert(*f.doc, 1, "b", std::string("editor"));
  CHECK_FALSE(f.um.CanUndo());
  f.um.AddTrackedOrigin(std::string("editor"));
  f.um.RemoveTrackedOrigin(std::nullopt);
  Insert(*f.doc, 2, "c");  // null origin, no longer tracked
  CHECK_FALSE(f.um.CanUndo());
  Insert(*f.doc, 3, "d", std::string("editor"));
  REQUIRE(f.um.CanUndo());
  REQUIRE(*f.um.Undo());
  CHECK(Str(*f.doc) == "abc");
  // Changes outside the scope are not recorded either.
  Branch* other = *f.doc->Root("other", TypeRef::kText);
  f.doc->Begin(std::string("editor"), true);
  REQUIRE(types::TextInsert(*f.doc, other, 0, "x", nullptr).ok());
  f.doc->Commit();
  CHECK_FALSE(f.um.CanUndo());
}

TEST_CASE("map values are restored, unless another peer overwrote them") {
  auto doc = MakeDoc(1);
  auto peer = MakeDoc(2);
  Branch* m = *doc->Root("m", TypeRef::kMap);
  UndoManager um(*doc, {});
  um.AddScope(m);
  REQUIRE(types::MapSet(*doc, m, "k", Any::Number(1)).ok());
  um.StopCapturing();
  REQUIRE(types::MapSet(*doc, m, "k", Any::Number(2)).ok());
  REQUIRE(*um.Undo());
  CHECK(types::ToAny(*m).ToJson() == R"({"k":1})");
  REQUIRE(*um.Redo());
  CHECK(types::ToAny(*m).ToJson() == R"({"k":2})");
  // A remote value set after ours wins: undo can't bring ours back.
  Sync(*doc, *peer);
  Branch* pm = *peer->Root("m", TypeRef::kMap);
  REQUIRE(types::MapSet(*peer, pm, "k", Any::Number(3)).ok());
  Sync(*peer, *doc);
  // Undoing our 2 finds it already overwritten, and restoring 1 conflicts with 3:
  // nothing changes (yjs returns null), and the stack is used up.
  CHECK(*um.Undo() == false);
  CHECK_FALSE(um.CanUndo());
  CHECK(types::ToAny(*m).ToJson() == R"({"k":3})");
}

TEST_CASE("nested types are re-created with their content") {
  auto doc = MakeDoc(1);
  Branch* m = *doc->Root("m", TypeRef::kMap);
  UndoManager um(*doc, {});
  um.AddScope(m);
  auto t = types::MapSetType(*doc, m, "k", TypeRef::kText);
  REQUIRE(t.ok());
  REQUIRE(types::TextInsert(*doc, *t, 0, "inner", nullptr).ok());
  um.StopCapturing();
  REQUIRE(types::MapDelete(*doc, m, "k").ok());
  CHECK(types::ToAny(*m).ToJson() == "{}");
  REQUIRE(*um.Undo());
  CHECK(types::ToAny(*m).ToJson() == R"({"k":"inner"})");
  REQUIRE(*um.Undo());
  CHECK(types::ToAny(*m).ToJson() == "{}");
}

TEST_CASE("events carry the stack item meta to restore a cursor") {
  Fixture f;
  std::vector<std::string> log;
  f.um.AddListener([&](const UndoManager::Event& e) {
    const char* kind = e.kind == UndoManager::EventKind::kAdded     ? "added"
                       : e.kind == UndoManager::EventKind::kUpdated ? "updated"
                                                                    : "popped";
    log.push_back(std::string(kind) + (e.stack == UndoManager::Stack::kUndo ? " undo " : " redo ") + e.item->meta);
    if (e.kind == UndoManager::EventKind::kAdded) e.item->meta = "cursor@" + std::to_string(log.size());
  });
  f.um.SetTime(1000);
  Insert(*f.doc, 0, "ab");
  Insert(*f.doc, 2, "c");
  REQUIRE(*f.um.Undo());
  REQUIRE(*f.um.Redo());
  CHECK(log == std::vector<std::string>{"added undo ", "updated undo cursor@1", "added redo ",
                                        "popped undo cursor@1", "added undo ", "popped redo cursor@3"});
}

TEST_CASE("relative positions follow content that undo re-created") {
  Fixture f;
  f.um.SetTime(1000);
  Insert(*f.doc, 0, "hello");
  f.um.StopCapturing();
  auto pos = history::FromIndex(*f.doc, *Text(*f.doc), 3, 0);  // before the second 'l'
  REQUIRE(pos.ok());
  Delete(*f.doc, 1, 3);
  REQUIRE(*f.um.Undo());
  CHECK(Str(*f.doc) == "hello");
  history::AbsolutePosition a = history::ToAbsolute(*f.doc, *pos);
  CHECK(a.resolution == history::Resolution::kFound);
  CHECK(a.index == 3);  // without following the copy it would be 4 (after the re-created "ell")
}

TEST_CASE("clear empties both stacks and releases kept content") {
  Fixture f;
  Insert(*f.doc, 0, "hello");
  f.um.StopCapturing();
  Delete(*f.doc, 0, 5);
  auto kept = [&] {
    size_t n = 0;
    for (Item* it : f.doc->store().clients[1]) n += it->keep && it->deleted;
    return n;
  };
  CHECK(kept() > 0);
  REQUIRE(f.um.Clear().ok());
  CHECK_FALSE(f.um.CanUndo());
  CHECK_FALSE(f.um.CanRedo());
  CHECK(kept() == 0);
}

TEST_CASE("array elements are undone and restored in place") {
  auto doc = MakeDoc(1);
  auto peer = MakeDoc(2);
  Branch* a = *doc->Root("a", TypeRef::kArray);
  UndoManager um(*doc, {});
  um.AddScope(a);
  REQUIRE(types::ArrayInsert(*doc, a, 0, {Any::Number(1), Any::Number(2), Any::Number(3)}).ok());
  um.StopCapturing();
  REQUIRE(types::ArrayDelete(*doc, a, 1, 1).ok());
  Sync(*doc, *peer);
  Branch* pa = *peer->Root("a", TypeRef::kArray);
  REQUIRE(types::ArrayInsert(*peer, pa, 2, {Any::String("p")}).ok());  // [1,3,"p"]
  Sync(*peer, *doc);
  REQUIRE(*um.Undo());
  CHECK(types::ToAny(*a).ToJson() == R"([1,2,3,"p"])");
  REQUIRE(*um.Undo());
  CHECK(types::ToAny(*a).ToJson() == R"(["p"])");
  REQUIRE(*um.Redo());
  CHECK(types::ToAny(*a).ToJson() == R"([1,2,3,"p"])");
}

TEST_CASE("delete sets keep the order clients were first added, through merges") {
  DeleteSet a;
  a.Add(9, 0, 1);
  a.Add(2, 5, 1);
  a.Add(9, 3, 1);
  DeleteSet b;
  b.Add(4, 0, 2);
  b.Add(2, 0, 1);
  a.MergeFrom(b);
  CHECK(a.OrderedClients() == std::vector<uint64_t>{9, 2, 4});
  a.clients[1].push_back({0, 1});  // written without Add: listed after the ordered ones
  CHECK(a.OrderedClients() == std::vector<uint64_t>{9, 2, 4, 1});
}

TEST_CASE("undo is refused inside a transaction") {
  Fixture f;
  Insert(*f.doc, 0, "a");
  f.doc->Begin(std::nullopt, true);
  CHECK(f.um.Undo().status().code() == absl::StatusCode::kUnavailable);
  f.doc->Commit();
  CHECK(*f.um.Undo());
}

}  // namespace
}  // namespace codesync
