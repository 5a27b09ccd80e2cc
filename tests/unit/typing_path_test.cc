// The local keystroke paths against the general path and against a plain
// model of the text: typing appended to our own run (Doc::AppendToOwnRun, with
// its ASCII shortcut), the in-run deletion with ASCII offsets (types::TextDelete)
// and the fold's ASCII reweigh (Doc::FoldDeletion), in all three offset units.
// `fast` takes every shortcut; `general` has a delta observer that does
// nothing, which turns off the append and the fold (a new struct, a split,
// both merged by the commit) and changes no struct, byte or update.  The model
// (code points) catches what both documents would share (offsets, lengths).
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
#include "encoding/utf8.h"
#include "types/sequence.h"
#include "types/types.h"

namespace codesync {
namespace {

using Bytes = std::vector<uint8_t>;

std::string OptStr(const OptId& o) {
  return o.present() ? std::to_string(o.id.client) + ":" + std::to_string(o.id.clock) : "-";
}

// Every struct (content, flags, origins, weights in every unit), then the sequence.
std::string Dump(Doc& doc, Branch* text) {
  std::string out;
  std::vector<uint64_t> clients;
  for (auto& [c, s] : doc.store().clients) clients.push_back(c);
  std::sort(clients.begin(), clients.end());
  for (uint64_t c : clients) {
    for (const Item* s : doc.store().clients[c]) {
      out += std::to_string(c) + ":" + std::to_string(s->id.clock) + "+" + std::to_string(s->length) + " k" +
             std::to_string(static_cast<int>(s->kind)) + (s->deleted ? " del" : "") + " '" + s->str.ToString() +
             "' o=" + OptStr(s->origin) + " ro=" + OptStr(s->right_origin) + " w=";
      for (int u = 0; u < kUnitCount; u++) out += std::to_string(s->weight(Unit(u))) + ",";
      out += "\n";
    }
  }
  out += "seq:";
  for (const Item* n = text->start; n; n = n->right) out += " " + std::to_string(n->id.clock);
  return out;
}

void AppendUtf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

uint64_t UnitsOf(char32_t c, Unit u) {
  switch (u) {
    case kUtf16:
      return c >= 0x10000 ? 2 : 1;
    case kUtf8:
      return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    default:
      return 1;
  }
}

struct Side {
  std::unique_ptr<Doc> doc;
  Branch* text;
  std::vector<Bytes> updates;
  Side(Unit unit, bool general) : doc(std::make_unique<Doc>(DocOptions{.client_id = 1, .unit = unit})) {
    text = *doc->Root("t", TypeRef::kText);
    doc->AddUpdateObserver([this](const Bytes& u, const Transaction&) { updates.push_back(u); });
    if (general) doc->AddDeltaObserver(text, [](const std::vector<DeltaOp>&, const Transaction&) {});
  }
};

struct Pair {
  Unit unit;
  Side fast;
  Side general;
  std::u32string model;  // the text, by code point

  explicit Pair(Unit u) : unit(u), fast(u, false), general(u, true) {}

  // Unit position of code point position cp.
  uint64_t At(size_t cp) const {
    uint64_t n = 0;
    for (size_t i = 0; i < cp; i++) n += UnitsOf(model[i], unit);
    return n;
  }
  void Insert(size_t cp, const std::u32string& s) {
    std::string utf8;
    for (char32_t c : s) AppendUtf8(utf8, c);
    const uint64_t i = At(cp);
    REQUIRE(types::TextInsert(*fast.doc, fast.text, i, utf8, nullptr).ok());
    REQUIRE(types::TextInsert(*general.doc, general.text, i, utf8, nullptr).ok());
    model.insert(cp, s);
    CheckModel();
  }
  void Delete(size_t cp, size_t n) {
    const uint64_t i = At(cp);
    const uint64_t len = At(cp + n) - i;
    REQUIRE(types::TextDelete(*fast.doc, fast.text, i, len).ok());
    REQUIRE(types::TextDelete(*general.doc, general.text, i, len).ok());
    CHECK_FALSE(general.doc->folds_pending());
    model.erase(cp, n);
    CheckModel();
  }
  // Text and lengths in every unit (the index sums), and the index's own consistency.
  void CheckModel() {
    std::string want;
    uint64_t units[kUnitCount] = {0, 0, 0, 0};
    for (char32_t c : model) {
      AppendUtf8(want, c);
      for (Unit u : {kUtf16, kUtf8, kCodepoints}) units[u] += UnitsOf(c, u);
    }
    for (Side* s : {&fast, &general}) {
      CHECK(types::TextString(*s->text) == want);
      for (Unit u : {kUtf16, kUtf8, kCodepoints}) CHECK(s->text->Length(u) == units[u]);
    }
    REQUIRE(seq::Validate(fast.text->tree, fast.text->start));
  }
  void Begin() {
    fast.doc->Begin(std::nullopt, true);
    general.doc->Begin(std::nullopt, true);
  }
  void Commit() {
    fast.doc->Commit();
    general.doc->Commit();
    CHECK(Dump(*fast.doc, fast.text) == Dump(*general.doc, general.text));
    CHECK(fast.updates == general.updates);
    CHECK(EncodeStateAsUpdate(*fast.doc, nullptr) == EncodeStateAsUpdate(*general.doc, nullptr));
    CHECK(seq::Validate(fast.text->tree, fast.text->start));
  }
};

const char32_t kOther[] = {U'\u00E9', U'\u20AC', U'\U0001F600'};

TEST_CASE("typing appends to the run in place: one struct inside the transaction, the general path's after it") {
  for (Unit unit : {kUtf16, kUtf8, kCodepoints}) {
    CAPTURE(static_cast<int>(unit));
    Pair p(unit);
    p.Begin();
    p.Insert(0, U"ab");
    for (size_t i = 2; i < 12; i++) p.Insert(i, i % 4 == 0 ? std::u32string(1, kOther[i % 3]) : U"x");
    // The fast document grew its first struct; the general one holds one per insert until the commit.
    CHECK(p.fast.doc->store().clients.at(1).size() == 1);
    CHECK(p.general.doc->store().clients.at(1).size() == 11);
    p.Commit();
    CHECK(p.general.doc->store().clients.at(1).size() == 1);
  }
}

TEST_CASE("typing and deleting at random, ASCII and not: fast and general documents and the model agree") {
  for (Unit unit : {kUtf16, kUtf8, kCodepoints}) {
    CAPTURE(static_cast<int>(unit));
    int appends = 0;
    int folds = 0;
    for (uint32_t seed = 1; seed <= 20; seed++) {
      CAPTURE(seed);
      std::mt19937 rng(seed);
      Pair p(unit);
      size_t cursor = 0;
      for (int txn = 0; txn < 150; txn++) {
        p.Begin();
        const int ops = rng() % 4 == 0 ? 2 + static_cast<int>(rng() % 3) : 1;
        for (int k = 0; k < ops; k++) {
          const size_t len = p.model.size();
          if (rng() % 10 == 0) cursor = len ? rng() % (len + 1) : 0;
          cursor = std::min(cursor, len);
          const unsigned r = rng() % 12;
          if (r < 6 || len == 0) {
            std::u32string s;
            const size_t n = rng() % 5 == 0 ? 2 + rng() % 3 : 1;
            for (size_t j = 0; j < n; j++) {
              s += r == 0 ? kOther[rng() % 3] : static_cast<char32_t>('a' + rng() % 26);
            }
            // (Items in the sequence: reading the store would settle the folds.)
            const uint64_t items = p.fast.text->Length(kItems);
            p.Insert(cursor, s);
            appends += p.fast.text->Length(kItems) == items;
            cursor += s.size();
          } else if (r < 9 && cursor > 0) {  // backspace, sometimes a word
            const size_t n = std::min<size_t>(cursor, rng() % 4 == 0 ? 2 + rng() % 3 : 1);
            p.Delete(cursor - n, n);
            folds += p.fast.doc->folds_pending();
            cursor -= n;
          } else if (cursor < len) {  // forward delete
            p.Delete(cursor, std::min<size_t>(len - cursor, 1 + rng() % 3));
            folds += p.fast.doc->folds_pending();
          }
        }
        p.Commit();
      }
    }
    // The shortcuts were taken (an append adds no struct; a fold leaves one pending).
    CHECK(appends > 1000);
    CHECK(folds > 150);
  }
}

TEST_CASE("text that is not valid UTF-8 is refused and changes nothing; valid text gets its UTF-16 length") {
  Doc doc(DocOptions{.client_id = 1});
  Branch* text = *doc.Root("t", TypeRef::kText);
  REQUIRE(types::TextInsert(doc, text, 0, "ab", nullptr).ok());
  const Bytes before = EncodeStateAsUpdate(doc, nullptr);
  for (const char* bad : {"\x80", "a\xC3", "x\xFFy", "\xED\xA0\x80", "\xC0\xAF"}) {
    CAPTURE(bad);
    CHECK(types::TextInsert(doc, text, 2, bad, nullptr).code() == absl::StatusCode::kInvalidArgument);
    CHECK(EncodeStateAsUpdate(doc, nullptr) == before);
  }
  REQUIRE(types::TextInsert(doc, text, 2, "\xC3\xA9\xF0\x9F\x98\x80", nullptr).ok());  // appended to "ab"
  CHECK(text->Length(kUtf16) == 5);
  CHECK(text->Length(kUtf8) == 8);
  CHECK(text->Length(kCodepoints) == 4);
  CHECK(doc.store().clients.at(1).size() == 1);
  CHECK(types::TextString(*text) == "ab\xC3\xA9\xF0\x9F\x98\x80");
}

}  // namespace
}  // namespace codesync
