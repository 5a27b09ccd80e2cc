// Tests for the whole-state encoder (WholeClientWriter / WriteWholeStore in
// lib/core/update.cc): EncodeStateAsUpdate(doc, nullptr) must write the same
// bytes as the general diff writer (WriteStructs against an empty state
// vector, then the store's delete set through DeleteSet::Encode) for
// documents that exercise every branch of the fast loop: strings of every
// length class (empty copy, inline, 13-16 bytes, heap, heap blocks holding a
// short string after a split), non-ASCII text, deleted runs with gc on and
// off (deleted strings keep their text), GC structs, map entries (whose
// deleted values are deleted runs with a key), nested types, several
// clients, clients with more structs than one span of the B-tree walk, and
// stores in both forms (B-tree, and the sorted vector of a bulk-loaded client).
#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/doc.h"
#include "core/item_string.h"
#include "core/update.h"
#include "encoding/any.h"
#include "encoding/lib0.h"
#include "types/types.h"

namespace codesync {
namespace {

using Bytes = std::vector<uint8_t>;

std::unique_ptr<Doc> MakeDoc(uint64_t client, bool gc = true) {
  DocOptions o;
  o.client_id = client;
  o.gc = gc;
  o.unit = kCodepoints;  // indices never fall inside a surrogate pair
  return std::make_unique<Doc>(o);
}

Branch* TextOf(Doc& doc, std::string_view name = "t") {
  auto b = doc.Root(name, TypeRef::kText);
  REQUIRE(b.ok());
  return *b;
}

// The general writer: structs per client from clock 0, then the delete set built as a set.
Bytes Reference(const Doc& doc) {
  REQUIRE(!doc.has_pending());
  Encoder enc;
  WriteStructs(doc.store(), StateVector{}, enc);
  DeleteSetFromStore(doc.store()).Encode(enc);
  return enc.Take();
}

Bytes Whole(const Doc& doc) { return EncodeStateAsUpdate(doc, nullptr); }

// The whole-state bytes equal the general writer's, and load back into the same text and bytes.
void CheckWhole(const Doc& doc, const std::string& text, std::string_view root = "t") {
  const Bytes whole = Whole(doc);
  CHECK(whole == Reference(doc));
  auto copy = MakeDoc(999, doc.gc_enabled());
  bool bulk = false;
  ApplyOptions opt;
  opt.bulk_loaded = &bulk;
  REQUIRE(ApplyUpdate(*copy, whole.data(), whole.size(), std::nullopt, opt).ok());
  CHECK(types::TextString(*TextOf(*copy, root)) == text);
  CHECK(Whole(*copy) == whole);
  CHECK(Whole(*copy) == Reference(*copy));
}

// Text pieces of every length class the loop tells apart, ASCII and not.
std::string Piece(std::mt19937_64& rng) {
  static const char* const kAlphabet[] = {"a", "b", "c", " ", "\n", "\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x98\x80"};
  static const size_t kLens[] = {1, 1, 1, 2, 3, 5, 8, 11, 12, 13, 14, 15, 16, 17, 24, 40};
  const size_t n = kLens[rng() % std::size(kLens)];
  const bool ascii = rng() % 3 != 0;
  std::string s;
  for (size_t i = 0; i < n; i++) s += kAlphabet[rng() % (ascii ? 5 : std::size(kAlphabet))];
  return s;
}

// Random typing (mostly at one cursor, so that runs grow onto the heap) and deleting.
void Edit(Doc& doc, std::mt19937_64& rng, int steps, std::string_view root = "t") {
  Branch* t = TextOf(doc, root);
  for (int i = 0; i < steps; i++) {
    const uint64_t len = t->Length(kCodepoints);
    if (len > 0 && rng() % 3 == 0) {
      const uint64_t at = rng() % len;
      const uint64_t n = 1 + rng() % std::min<uint64_t>(len - at, 6);
      REQUIRE(types::TextDelete(doc, t, at, n).ok());
    } else {
      const uint64_t at = rng() % 4 == 0 ? rng() % (len + 1) : len - std::min<uint64_t>(len, rng() % 3);
      REQUIRE(types::TextInsert(doc, t, at, Piece(rng), nullptr).ok());
    }
  }
}

TEST_CASE("the pieces' 16-byte copy reads inside the string: inline in the ItemString, or a heap block of 16+") {
  for (size_t n = 0; n <= 40; n++) {
    ItemString s(std::string(n, 'x'));
    if (s.heap_capacity() == 0) {
      CHECK(s.data() == reinterpret_cast<const char*>(&s));
      CHECK(sizeof s >= 16);
    } else {
      CHECK(s.heap_capacity() >= 16);
    }
    // A heap block shrunk to a short string.
    ItemString h(std::string(40, 'y'));
    h.resize(n);
    CHECK((h.heap_capacity() == 0 ? h.data() == reinterpret_cast<const char*>(&h) : h.heap_capacity() >= 16));
  }
}

TEST_CASE("whole state of one client's typing, gc on and off, equals the general writer") {
  for (bool gc : {true, false}) {
    for (uint64_t seed = 1; seed <= 6; seed++) {
      CAPTURE(gc);
      CAPTURE(seed);
      std::mt19937_64 rng(seed);
      auto doc = MakeDoc(7 + seed * 1000003, gc);
      Edit(*doc, rng, 150 + 150 * static_cast<int>(seed));  // up to ~1,000 structs: several B-tree spans
      CheckWhole(*doc, types::TextString(*TextOf(*doc)));
    }
  }
}

TEST_CASE("whole state with the largest client ids and varuint boundaries of origin clocks") {
  for (uint64_t client : {uint64_t{1}, uint64_t{127}, uint64_t{128}, uint64_t{0xffffffff}, (uint64_t{1} << 53) - 1}) {
    CAPTURE(client);
    std::mt19937_64 rng(client);
    auto doc = MakeDoc(client);
    // Clocks past 2^7 and 2^14 (one long run, then edits inside it).
    REQUIRE(types::TextInsert(*doc, TextOf(*doc), 0, std::string(20000, 'q'), nullptr).ok());
    Edit(*doc, rng, 200);
    CheckWhole(*doc, types::TextString(*TextOf(*doc)));
  }
}

TEST_CASE("whole state of several clients, maps, nested types and GC structs equals the general writer") {
  for (bool gc : {true, false}) {
    CAPTURE(gc);
    auto a = MakeDoc(5, gc);
    auto b = MakeDoc(3000000000ULL, gc);
    std::mt19937_64 rng(gc ? 11 : 12);
    for (int round = 0; round < 4; round++) {
      Edit(*a, rng, 60);
      Edit(*b, rng, 60);
      const Bytes ua = Whole(*a), ub = Whole(*b);
      REQUIRE(ApplyUpdate(*a, ub.data(), ub.size(), std::nullopt).ok());
      REQUIRE(ApplyUpdate(*b, ua.data(), ua.size(), std::nullopt).ok());
    }
    auto m = a->Root("m", TypeRef::kMap);
    REQUIRE(m.ok());
    // Overwritten keys: the old values are deleted structs with a key and an origin.
    for (int i = 0; i < 5; i++) REQUIRE(types::MapSet(*a, *m, "k", Any::Number(i)).ok());
    REQUIRE(types::MapSet(*a, *m, "s", Any::String("v\xc3\xa9")).ok());
    // A nested text, written into and then replaced: with gc its items become GC structs.
    auto inner = types::MapSetType(*a, *m, "inner", TypeRef::kText);
    REQUIRE(inner.ok());
    REQUIRE(types::TextInsert(*a, *inner, 0, "nested text over sixteen bytes", nullptr).ok());
    REQUIRE(types::TextInsert(*a, *inner, 3, "\xf0\x9f\x98\x80", nullptr).ok());
    REQUIRE(types::TextDelete(*a, *inner, 1, 2).ok());
    REQUIRE(types::MapSet(*a, *m, "inner", Any::Bool(true)).ok());
    auto kept = types::MapSetType(*a, *m, "kept", TypeRef::kArray);
    REQUIRE(kept.ok());
    REQUIRE(types::ArrayInsert(*a, *kept, 0, {Any::Number(1), Any::String("x")}).ok());
    if (gc) {
      bool has_gc = false;
      for (auto& [client, structs] : a->store().clients) {
        for (const Item* s : structs) has_gc |= s->kind == ContentKind::kGC;
      }
      CHECK(has_gc);  // the case the loop leaves for Other
    }
    CheckWhole(*a, types::TextString(*TextOf(*a)));
  }
}

TEST_CASE("whole state of bulk-loaded clients (sorted-vector form), alone and next to B-tree clients") {
  for (bool gc : {true, false}) {
    for (bool two : {false, true}) {
      // (The bulk load takes a gc-off state of two clients' interleaved edits through the general path.)
      if (two && !gc) continue;
      CAPTURE(gc);
      CAPTURE(two);
      // b edits a's text after loading it: b's id is the lower one, so that its
      // structs decode after the ones they name (what the bulk load takes).
      auto a = MakeDoc(22, gc);
      auto b = MakeDoc(21, gc);
      std::mt19937_64 rng(gc ? 31 : 32);
      Edit(*a, rng, 700);
      Bytes state = Whole(*a);
      if (two) {
        REQUIRE(ApplyUpdate(*b, state.data(), state.size(), std::nullopt).ok());
        Edit(*b, rng, 400);
        state = Whole(*b);
        CHECK(state == Reference(*b));
      }

      // Loaded in bulk: every client in the sorted-vector form.
      auto c = MakeDoc(23, gc);
      bool bulk = false;
      ApplyOptions opt;
      opt.bulk_loaded = &bulk;
      REQUIRE(ApplyUpdate(*c, state.data(), state.size(), std::nullopt, opt).ok());
      REQUIRE(bulk);
      CHECK(Whole(*c) == state);
      CHECK(Whole(*c) == Reference(*c));
      // Typing at the end adds client 23 (B-tree) and leaves the loaded ones
      // flat; then edits inside the text split loaded structs (their clients thaw).
      const uint64_t len = TextOf(*c)->Length(kCodepoints);
      REQUIRE(types::TextInsert(*c, TextOf(*c), len, "tail typed after the load", nullptr).ok());
      CheckWhole(*c, types::TextString(*TextOf(*c)));
      REQUIRE(types::TextInsert(*c, TextOf(*c), 1, "x", nullptr).ok());
      REQUIRE(types::TextDelete(*c, TextOf(*c), 4, 3).ok());
      CheckWhole(*c, types::TextString(*TextOf(*c)));
    }
  }
}

// A loaded state's long strings live in the document's text arena; the
// encoder's 16-byte copy of the last one (13-16 bytes, or shrunk below that by
// a split) reads past its end into the arena's slack, which ASan checks.
TEST_CASE("whole state of a loaded document whose last arena string is short") {
  for (size_t n : {13, 14, 16, 17, 30}) {
    CAPTURE(n);
    auto a = MakeDoc(5);
    const std::string text(n, 'q');
    REQUIRE(types::TextInsert(*a, TextOf(*a), 0, text, nullptr).ok());
    const Bytes state = Whole(*a);
    auto c = MakeDoc(6);
    REQUIRE(ApplyUpdate(*c, state.data(), state.size(), std::nullopt).ok());
    CHECK(Whole(*c) == state);
    CheckWhole(*c, text);
    // Split the placed string near its end: the right part keeps a few bytes.
    REQUIRE(types::TextDelete(*c, TextOf(*c), n - 4, 1).ok());
    CheckWhole(*c, types::TextString(*TextOf(*c)));
  }
}

TEST_CASE("whole state of an empty document and of one struct") {
  auto doc = MakeDoc(1);
  CHECK(Whole(*doc) == Bytes{0, 0});
  REQUIRE(types::TextInsert(*doc, TextOf(*doc), 0, "a", nullptr).ok());
  CheckWhole(*doc, "a");
  REQUIRE(types::TextDelete(*doc, TextOf(*doc), 0, 1).ok());
  CheckWhole(*doc, "");
}

}  // namespace
}  // namespace codesync
