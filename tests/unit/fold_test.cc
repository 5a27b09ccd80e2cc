// Deletions folded into the deleted run next to them (Doc::DeleteInRun ->
// FoldDeletion) against the general path (split, then merged by the commit).
// Document `folded` takes the shortcut; `general` has an after-transaction
// observer that does nothing, which turns the shortcut off and changes nothing
// else.  Both must hold the same structs, encode the same bytes and emit the
// same updates after every commit, and the same structs whenever something
// looks at the store inside an open transaction.
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
#include "history/undo.h"
#include "types/types.h"

namespace codesync {
namespace {

using Bytes = std::vector<uint8_t>;

std::string OptStr(const OptId& o) {
  return o.present() ? std::to_string(o.id.client) + ":" + std::to_string(o.id.clock) : "-";
}

// Every struct by client and clock, then the text's sequence, with all that
// Yjs would tell apart (kind, content, flags, origins).
std::string Dump(Doc& doc, Branch* text) {
  std::string out;
  std::vector<uint64_t> clients;
  for (auto& [c, s] : doc.store().clients) clients.push_back(c);
  std::sort(clients.begin(), clients.end());
  for (uint64_t c : clients) {
    for (const Item* s : doc.store().clients[c]) {
      out += std::to_string(c) + ":" + std::to_string(s->id.clock) + "+" + std::to_string(s->length) + " k" +
             std::to_string(static_cast<int>(s->kind)) + (s->deleted ? " del" : "") + (s->keep ? " keep" : "") +
             " '" + s->str.ToString() + "' o=" + OptStr(s->origin) + " ro=" + OptStr(s->right_origin) + "\n";
    }
  }
  out += "seq:";
  for (const Item* n = text->start; n; n = n->right) out += " " + std::to_string(n->id.clock);
  return out;
}

struct Side {
  std::unique_ptr<Doc> doc;
  Branch* text;
  std::vector<Bytes> updates;
  explicit Side(bool general) : doc(std::make_unique<Doc>(DocOptions{.client_id = 1})) {
    text = *doc->Root("t", TypeRef::kText);
    doc->AddUpdateObserver([this](const Bytes& u, const Transaction&) { updates.push_back(u); });
    if (general) doc->AddAfterTransactionObserver([](Transaction&) {});
  }
};

struct Pair {
  Side folded{false};
  Side general{true};
  int deletes_with_folds = 0;  // deletions after which a fold was pending

  void Begin() {
    folded.doc->Begin(std::nullopt, true);
    general.doc->Begin(std::nullopt, true);
  }
  void Commit() {
    folded.doc->Commit();
    general.doc->Commit();
    Compare();
    CHECK(folded.updates == general.updates);
    CHECK(EncodeStateAsUpdate(*folded.doc, nullptr) == EncodeStateAsUpdate(*general.doc, nullptr));
  }
  void Insert(uint64_t i, const std::string& s) {
    REQUIRE(types::TextInsert(*folded.doc, folded.text, i, s, nullptr).ok());
    REQUIRE(types::TextInsert(*general.doc, general.text, i, s, nullptr).ok());
  }
  void Delete(uint64_t i, uint64_t n) {
    REQUIRE(types::TextDelete(*folded.doc, folded.text, i, n).ok());
    REQUIRE(types::TextDelete(*general.doc, general.text, i, n).ok());
    CHECK_FALSE(general.doc->folds_pending());
    deletes_with_folds += folded.doc->folds_pending();
  }
  // Structs, text and position index (reading the store settles folds).
  void Compare() {
    CHECK(Dump(*folded.doc, folded.text) == Dump(*general.doc, general.text));
    CHECK(types::TextString(*folded.text) == types::TextString(*general.text));
    CHECK(seq::Validate(folded.text->tree, folded.text->start));
  }
  // One edit in a transaction of its own.
  void Step(uint64_t del_at, uint64_t del, uint64_t ins_at = 0, const std::string& ins = "") {
    Begin();
    if (del) Delete(del_at, del);
    if (!ins.empty()) Insert(ins_at, ins);
    Commit();
  }
};

TEST_CASE("backspaces fold into the deleted run on the right: same structs, bytes and updates") {
  Pair p;
  p.Step(0, 0, 0, "hello world");
  p.Step(10, 1);  // 'd': split off, nothing deleted next to it
  p.Begin();
  p.Delete(9, 1);  // 'l' joins 'd'
  CHECK(p.folded.doc->folds_pending());
  p.Commit();
  CHECK_FALSE(p.folded.doc->folds_pending());
  for (int i = 0; i < 4; i++) p.Step(8 - i, 1);
  p.Step(0, 0, 4, "!");  // typed after the deleted run
  p.Step(4, 1);          // and removed again
  p.Step(3, 1);
  CHECK(types::TextString(*p.folded.text) == "helo");
}

TEST_CASE("forward deletes fold into the deleted run on the left") {
  Pair p;
  p.Step(0, 0, 0, "abcdefgh");
  p.Step(2, 1);  // 'c'
  p.Begin();
  p.Delete(2, 1);  // 'd', the head of "defgh", joins 'c'
  CHECK(p.folded.doc->folds_pending());
  p.Commit();
  p.Step(2, 1);
  p.Step(0, 0, 2, "XY");  // lands after the deleted run, before "gh"
  p.Step(4, 1);           // 'f', the head of "fgh", joins 'e' across nothing: 'Y' is its left now
  p.Step(3, 1);
  CHECK(types::TextString(*p.folded.text) == "abXgh");
}

TEST_CASE("non-ASCII runs fold with their UTF-16 lengths") {
  Pair p;
  p.Step(0, 0, 0, "h\xC3\xA9llo \xF0\x9F\x98\x80 w\xC3\xB6rld\xC3\xA9");
  const uint64_t n = p.folded.text->Length(kUtf16);
  p.Step(n - 1, 1);
  p.Step(n - 2, 1);  // fold (the run is not ASCII)
  p.Step(n - 5, 2);  // two at once, the run's tail
  p.Step(6, 2);      // the surrogate pair, then its neighbours from the left
  p.Step(6, 1);
  p.Step(5, 1);
}

TEST_CASE("several folds in one transaction, then the store is read: it is Yjs's unmerged state") {
  Pair p;
  p.Step(0, 0, 0, "one two three four");
  p.Step(17, 1);
  p.Begin();
  p.Delete(16, 1);
  p.Delete(15, 1);
  p.Delete(2, 1);  // 'e' of "one" (split)
  p.Delete(2, 1);  // ' ' after it: left fold
  CHECK(p.folded.doc->folds_pending());
  // Encoding inside the transaction sees the split, unmerged structs.
  CHECK(EncodeStateAsUpdate(*p.folded.doc, nullptr) == EncodeStateAsUpdate(*p.general.doc, nullptr));
  CHECK_FALSE(p.folded.doc->folds_pending());
  p.Compare();
  // 'f': its right neighbour is the settled 'o', a deleted string until the
  // commit collects it, so this one takes the general path.
  p.Delete(12, 1);
  CHECK_FALSE(p.folded.doc->folds_pending());
  p.Insert(2, "Z");
  p.Commit();
  CHECK(types::TextString(*p.folded.text) == "onZtwo three ");
}

TEST_CASE("a remote update inside the transaction splits the folded run as Yjs would") {
  Pair p;
  p.Step(0, 0, 0, "abcdefgh");
  p.Step(7, 1);
  // A peer that knows this state inserts next to what is deleted below.
  Doc peer(DocOptions{.client_id = 7});
  REQUIRE(ApplyUpdate(peer, EncodeStateAsUpdate(*p.folded.doc, nullptr).data(),
                      EncodeStateAsUpdate(*p.folded.doc, nullptr).size(), std::nullopt)
              .ok());
  Branch* pt = *peer.Root("t", TypeRef::kText);
  REQUIRE(types::TextInsert(peer, pt, 6, "R", nullptr).ok());  // between 'f' and 'g'
  Bytes remote = EncodeStateAsUpdate(peer, nullptr);
  p.Begin();
  p.Delete(6, 1);  // 'g' joins 'h'
  CHECK(p.folded.doc->folds_pending());
  REQUIRE(ApplyUpdate(*p.folded.doc, remote.data(), remote.size(), std::nullopt).ok());
  REQUIRE(ApplyUpdate(*p.general.doc, remote.data(), remote.size(), std::nullopt).ok());
  p.Compare();
  p.Delete(5, 1);  // 'f': its right neighbour is now the remote 'R'
  p.Commit();
  CHECK(types::TextString(*p.folded.text) == "abcdeR");
}

TEST_CASE("an undo manager made inside the transaction keeps the folded text, and undo restores it") {
  Pair p;
  p.Step(0, 0, 0, "abcdef");
  p.Step(5, 1);
  p.Begin();
  p.Delete(4, 1);
  CHECK(p.folded.doc->folds_pending());
  history::UndoManager ua(*p.folded.doc, {});
  history::UndoManager ug(*p.general.doc, {});
  ua.AddScope(p.folded.text);
  ug.AddScope(p.general.text);
  CHECK_FALSE(p.folded.doc->folds_pending());
  p.Commit();
  REQUIRE(ua.Undo().ok());
  REQUIRE(ug.Undo().ok());
  p.Compare();
  CHECK(types::TextString(*p.folded.text) == "abcde");
  CHECK(EncodeStateAsUpdate(*p.folded.doc, nullptr) == EncodeStateAsUpdate(*p.general.doc, nullptr));
}

TEST_CASE("a nested text deleted, or formatted, after a fold in the same transaction") {
  for (int variant = 0; variant < 2; variant++) {
    CAPTURE(variant);
    std::vector<Bytes> states;
    std::vector<std::vector<Bytes>> updates(2);
    for (int general = 0; general < 2; general++) {
      Doc d(DocOptions{.client_id = 1});
      d.AddUpdateObserver([&, general](const Bytes& u, const Transaction&) { updates[general].push_back(u); });
      if (general) d.AddAfterTransactionObserver([](Transaction&) {});
      Branch* arr = *d.Root("a", TypeRef::kArray);
      Branch* t = *types::ArrayInsertType(d, arr, 0, TypeRef::kText);
      REQUIRE(types::TextInsert(d, t, 0, "abcdef", nullptr).ok());
      REQUIRE(types::TextDelete(d, t, 5, 1).ok());
      d.Begin(std::nullopt, true);
      REQUIRE(types::TextDelete(d, t, 4, 1).ok());
      CHECK(d.folds_pending() == !general);
      if (variant == 0) {
        REQUIRE(types::ArrayDelete(d, arr, 0, 1).ok());  // deletes the text and its children
      } else {
        REQUIRE(types::TextFormat(d, t, 1, 2, Any::MakeObject({{"bold", Any::Bool(true)}})).ok());
        REQUIRE(types::TextDelete(d, t, 3, 1).ok());
      }
      CHECK_FALSE(d.folds_pending());
      d.Commit();
      states.push_back(EncodeStateAsUpdate(d, nullptr));
    }
    CHECK(states[0] == states[1]);
    CHECK(updates[0] == updates[1]);
  }
}

TEST_CASE("no fold under a delta observer, formatting or gc off") {
  SUBCASE("delta observer") {
    Side s(false);
    s.doc->AddDeltaObserver(s.text, [](const std::vector<DeltaOp>&, const Transaction&) {});
    REQUIRE(types::TextInsert(*s.doc, s.text, 0, "abc", nullptr).ok());
    REQUIRE(types::TextDelete(*s.doc, s.text, 2, 1).ok());
    s.doc->Begin(std::nullopt, true);
    REQUIRE(types::TextDelete(*s.doc, s.text, 1, 1).ok());
    CHECK_FALSE(s.doc->folds_pending());
    s.doc->Commit();
  }
  SUBCASE("gc off") {
    Doc d(DocOptions{.client_id = 1, .gc = false});
    Branch* t = *d.Root("t", TypeRef::kText);
    REQUIRE(types::TextInsert(d, t, 0, "abc", nullptr).ok());
    REQUIRE(types::TextDelete(d, t, 2, 1).ok());
    d.Begin(std::nullopt, true);
    REQUIRE(types::TextDelete(d, t, 1, 1).ok());
    CHECK_FALSE(d.folds_pending());
    d.Commit();
  }
}

// Typing-like random edits (a cursor that mostly moves by one), random
// transaction sizes, and now and then a read of the store inside one.
TEST_CASE("random typing and deleting: folded and general documents stay identical") {
  int folds = 0;
  for (uint32_t seed = 1; seed <= 30; seed++) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    Pair p;
    uint64_t cursor = 0;
    for (int txn = 0; txn < 200; txn++) {
      p.Begin();
      // Mostly one edit per transaction (as typed), sometimes a few.
      const int ops = rng() % 4 == 0 ? 2 + static_cast<int>(rng() % 3) : 1;
      for (int k = 0; k < ops; k++) {
        const uint64_t len = p.folded.text->Length(kUtf16);
        if (rng() % 8 == 0) cursor = len ? rng() % (len + 1) : 0;
        cursor = std::min(cursor, len);
        const unsigned r = rng() % 10;
        if (r < 5 || len == 0) {
          const std::string s = r == 0 ? "\xC3\xA9" : std::string(1, static_cast<char>('a' + rng() % 26));
          p.Insert(cursor, s);
          cursor += 1;
        } else if (r < 8 && cursor > 0) {  // backspace
          p.Delete(cursor - 1, 1);
          cursor -= 1;
        } else if (cursor < len) {  // forward delete, sometimes two
          p.Delete(cursor, std::min<uint64_t>(len - cursor, 1 + rng() % 2));
        }
        if (rng() % 16 == 0) {
          CHECK(EncodeStateAsUpdate(*p.folded.doc, nullptr) == EncodeStateAsUpdate(*p.general.doc, nullptr));
        }
      }
      p.Commit();
    }
    folds += p.deletes_with_folds;
  }
  CHECK(folds > 250);  // the shortcut was taken, not only the general path
}

}  // namespace
}  // namespace codesync
