// Tests for the packed fields of Item (lib/core/item.h): the payload word
// (a kType item's Branch or another kind's ContentExtra, kept in str's spare
// bytes and read back by kind) and the word that holds a map entry's key or a
// sequence item's index leaf.  Documents with every content kind, in maps and in
// sequences, go through split, merge, delete, GC, undo/redo and encode/decode
// round trips; after each step every struct must hold what its kind says
// (checked field by field, so a wrong discrimination fails here), and the
// re-encoded state must equal the state before (the bytes themselves are
// compared with yjs in interop.fixtures and interop.differential).
#include <doctest/doctest.h>

#include <cstdio>
#include <functional>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "core/branch.h"
#include "core/doc.h"
#include "core/item.h"
#include "core/seq_index.h"
#include "core/store.h"
#include "core/update.h"
#include "history/undo.h"
#include "types/types.h"

namespace codesync {
namespace {

using Bytes = std::vector<uint8_t>;

std::unique_ptr<Doc> MakeDoc(uint64_t client, bool gc = true) {
  DocOptions o;
  o.client_id = client;
  o.gc = gc;
  return std::make_unique<Doc>(o);
}

// What each kind holds, field by field.
void CheckItems(const Doc& doc) {
  for (auto& [client, structs] : doc.store().clients) {
    for (const Item* item : structs) {
      CAPTURE(item->id.client);
      CAPTURE(item->id.clock);
      CAPTURE(static_cast<int>(item->kind));
      switch (item->kind) {
        case ContentKind::kType:
          REQUIRE(item->type() != nullptr);
          CHECK(item->extra() == nullptr);
          CHECK(item->type()->item == item);
          CHECK(item->str.empty());
          break;
        case ContentKind::kAny:
        case ContentKind::kJson:
          REQUIRE(item->extra() != nullptr);
          CHECK(item->type() == nullptr);
          CHECK(item->extra()->values.size() == item->length);
          CHECK(item->str.empty());
          break;
        case ContentKind::kFormat:
        case ContentKind::kEmbed:
        case ContentKind::kDoc:
          REQUIRE(item->extra() != nullptr);
          CHECK(item->type() == nullptr);
          CHECK(item->length == 1);
          CHECK(item->str.empty());
          break;
        case ContentKind::kString:
          CHECK(item->type() == nullptr);
          CHECK(item->extra() == nullptr);
          CHECK(item->str.size() >= item->length);
          break;
        case ContentKind::kBinary:
          CHECK(item->type() == nullptr);
          CHECK(item->extra() == nullptr);
          break;
        case ContentKind::kDeleted:
        case ContentKind::kGC:
          CHECK(item->type() == nullptr);
          CHECK(item->extra() == nullptr);
          CHECK(item->str.empty());
          break;
        default:
          FAIL("unexpected kind in the store");
      }
      if (item->kind == ContentKind::kGC) {
        CHECK(item->parent == nullptr);
        CHECK(item->parent_sub() == nullptr);
        CHECK(item->leaf() == nullptr);
        continue;
      }
      REQUIRE(item->parent != nullptr);
      if (const std::string* key = item->parent_sub()) {
        // A map entry: no leaf, and its key's chain (from the newest entry, leftwards) reaches it.
        CHECK(item->leaf() == nullptr);
        auto it = item->parent->map.find(*key);
        REQUIRE(it != item->parent->map.end());
        const Item* x = it->second;
        while (x && x != item) x = x->left;
        CHECK(x == item);
        for (const Item* n : {item->left, item->right}) {
          if (n) CHECK(n->parent_sub() == key);
        }
      } else {
        // A sequence item: in its parent's index, at its leaf.
        CHECK(item->leaf() != nullptr);
        for (const Item* n : {item->left, item->right}) {
          if (n) CHECK(n->parent_sub() == nullptr);
        }
      }
    }
  }
}

// Every sequence's index against its list (and so every item's leaf link).
void CheckIndexes(const Doc& doc) {
  for (auto& [client, structs] : doc.store().clients) {
    for (const Item* item : structs) {
      if (item->kind == ContentKind::kType && item->type()) CHECK(seq::Validate(item->type()->tree, item->type()->start));
    }
  }
  for (auto& [name, root] : doc.roots()) CHECK(seq::Validate(root->tree, root->start));
}

Any RootsAny(Doc& doc) {
  Any::Object o;
  for (auto& [name, root] : doc.roots()) o.emplace_back(name, types::ToAny(*root));
  return Any::MakeObject(std::move(o));
}

// Encodes, decodes into a fresh document, checks both and that the state
// re-encodes to the same bytes.  `exact` = false: a document an undo manager
// keeps deleted content in (not collected) re-encodes once collected, then stably.
Bytes RoundTrip(Doc& doc, bool gc = true, bool exact = true) {
  CheckItems(doc);
  CheckIndexes(doc);
  Bytes a = EncodeStateAsUpdate(doc, nullptr);
  auto copy = MakeDoc(99, gc);
  REQUIRE(ApplyUpdate(*copy, a.data(), a.size(), std::nullopt).ok());
  CheckItems(*copy);
  Bytes b = EncodeStateAsUpdate(*copy, nullptr);
  if (exact) {
    CHECK(a == b);
  } else {
    auto again = MakeDoc(98, gc);
    REQUIRE(ApplyUpdate(*again, b.data(), b.size(), std::nullopt).ok());
    CheckItems(*again);
    CHECK(EncodeStateAsUpdate(*again, nullptr) == b);
  }
  // Roots of a decoded document appear as kUnknown until asked for: read
  // through the same kinds the source has.
  for (auto& [name, root] : doc.roots()) REQUIRE(copy->Root(name, root->ref).ok());
  CHECK(RootsAny(*copy).ToJson() == RootsAny(doc).ToJson());
  return a;
}

void Edit(Doc& doc, const std::function<void(Doc&)>& f) {
  doc.Begin(std::nullopt, true);
  f(doc);
  doc.Commit();
}

// Every kind the local API makes: Any runs (split and merged), nested types
// in maps and arrays, text with formats and embeds, overwritten map entries.
void BuildAllKinds(Doc& d) {
  Branch* m = *d.Root("m", TypeRef::kMap);
  Branch* a = *d.Root("a", TypeRef::kArray);
  Branch* t = *d.Root("t", TypeRef::kText);
  Edit(d, [&](Doc& d) {
    REQUIRE(types::MapSet(d, m, "n", Any::Number(1)).ok());
    REQUIRE(types::MapSet(d, m, "s", Any::String("str")).ok());
    Branch* inner = *types::MapSetType(d, m, "inner", TypeRef::kMap);
    REQUIRE(types::MapSet(d, inner, "x", Any::Bool(true)).ok());
    Branch* arr = *types::MapSetType(d, m, "arr", TypeRef::kArray);
    REQUIRE(types::ArrayInsert(d, arr, 0, {Any::Number(1), Any::Number(2), Any::Number(3)}).ok());
    Branch* txt = *types::MapSetType(d, m, "txt", TypeRef::kText);
    REQUIRE(types::TextInsert(d, txt, 0, "nested", nullptr).ok());
  });
  Edit(d, [&](Doc& d) {
    REQUIRE(types::ArrayInsert(d, a, 0, {Any::Number(1), Any::String("two"), Any::Bool(true), Any::Null()}).ok());
  });
  Edit(d, [&](Doc& d) {
    // Into the middle of the Any run: it splits; then a nested map between.
    REQUIRE(types::ArrayInsert(d, a, 2, {Any::Binary("\x01\x02"), Any::Number(-5)}).ok());
    Branch* am = *types::ArrayInsertType(d, a, 1, TypeRef::kMap);
    REQUIRE(types::MapSet(d, am, "k", Any::String("v")).ok());
    Branch* at = *types::ArrayInsertType(d, a, 0, TypeRef::kText);
    REQUIRE(types::TextInsert(d, at, 0, "in array", nullptr).ok());
  });
  Edit(d, [&](Doc& d) {
    REQUIRE(types::TextInsert(d, t, 0, "hello w\xc3\xb6rld \xf0\x9f\x98\x80!", nullptr).ok());
  });
  Edit(d, [&](Doc& d) {
    Any bold = Any::MakeObject({{"bold", Any::Bool(true)}});
    REQUIRE(types::TextFormat(d, t, 0, 5, bold).ok());
    REQUIRE(types::TextInsertEmbed(d, t, 3, Any::MakeObject({{"image", Any::String("x.png")}}), nullptr).ok());
  });
  // Deletions: inside an Any run, inside text, an overwritten value and an
  // overwritten nested type (its children are collected with gc on).
  Edit(d, [&](Doc& d) {
    REQUIRE(types::ArrayDelete(d, a, 3, 2).ok());
    REQUIRE(types::TextDelete(d, t, 7, 3).ok());
    REQUIRE(types::MapSet(d, m, "n", Any::Number(2)).ok());
    REQUIRE(types::MapSet(d, m, "inner", Any::String("replaced")).ok());
  });
}

TEST_CASE("Item payload: accessors keep the branch and the extra apart") {
  Item item;
  CHECK(item.type() == nullptr);
  CHECK(item.extra() == nullptr);
  item.kind = ContentKind::kAny;
  item.mutable_extra().values.push_back(Any::Number(4));
  REQUIRE(item.extra() != nullptr);
  CHECK(item.type() == nullptr);
  CHECK(item.extra()->values.size() == 1);
  std::unique_ptr<ContentExtra> e = item.release_extra();
  REQUIRE(e);
  CHECK(e->values[0] == Any::Number(4));
  CHECK(item.extra() == nullptr);
  CHECK(item.type() == nullptr);

  // A decoded type keeps its ref and name in the extra until it gets a branch.
  Branch b;
  item.kind = ContentKind::kType;
  item.set_extra(std::make_unique<ContentExtra>());
  item.extra()->key = "p";
  CHECK(item.type() == nullptr);
  REQUIRE(item.extra() != nullptr);
  CHECK(item.extra()->key == "p");
  item.set_type(&b);
  CHECK(item.type() == &b);
  CHECK(item.extra() == nullptr);
  item.reset_extra();  // a branch is not an extra: it stays
  CHECK(item.type() == &b);
  std::unique_ptr<ContentExtra> none = item.release_extra();
  CHECK_FALSE(none);
  CHECK(item.type() == &b);
  item.set_type(nullptr);
  CHECK(item.type() == nullptr);
  CHECK(item.extra() == nullptr);
}

TEST_CASE("Item payload: every kind in maps and sequences round-trips, with and without gc") {
  for (bool gc : {true, false}) {
    CAPTURE(gc);
    auto d = MakeDoc(1, gc);
    BuildAllKinds(*d);
    const std::string before = RootsAny(*d).ToJson();
    CHECK(before.find("replaced") != std::string::npos);
    RoundTrip(*d, gc);
    // A second writer edits the decoded copy; the first merges it back.
    auto e = MakeDoc(2, gc);
    Bytes s = EncodeStateAsUpdate(*d, nullptr);
    REQUIRE(ApplyUpdate(*e, s.data(), s.size(), std::nullopt).ok());
    Branch* ea = *e->Root("a", TypeRef::kArray);
    Edit(*e, [&](Doc& e) {
      REQUIRE(types::ArrayInsert(e, ea, 1, {Any::String("remote")}).ok());
      REQUIRE(types::ArrayDelete(e, ea, 0, 1).ok());
    });
    StateVector sv = d->store().GetStateVector();
    Bytes u = EncodeStateAsUpdate(*e, &sv);
    REQUIRE(ApplyUpdate(*d, u.data(), u.size(), std::nullopt).ok());
    CHECK(EncodeStateAsUpdate(*d, nullptr) == EncodeStateAsUpdate(*e, nullptr));
    RoundTrip(*d, gc);
    // Deleting whole roots' content: nested types with children go (GC'd with gc on).
    Branch* m = *d->Root("m", TypeRef::kMap);
    Branch* a = *d->Root("a", TypeRef::kArray);
    Edit(*d, [&](Doc& d) {
      REQUIRE(types::MapDelete(d, m, "arr").ok());
      REQUIRE(types::MapDelete(d, m, "txt").ok());
      REQUIRE(types::ArrayDelete(d, a, 0, types::ToAny(*a).as_array().size()).ok());
    });
    CHECK(types::ToAny(*a).as_array().empty());
    RoundTrip(*d, gc);
  }
}

TEST_CASE("Item payload: undo and redo re-create every kind") {
  auto d = MakeDoc(1, true);
  history::UndoManager um(*d, {});
  um.AddScope(*d->Root("m", TypeRef::kMap));
  um.AddScope(*d->Root("a", TypeRef::kArray));
  um.AddScope(*d->Root("t", TypeRef::kText));
  um.SetTime(1000);
  BuildAllKinds(*d);
  const std::string built = RootsAny(*d).ToJson();
  um.StopCapturing();
  // Delete everything (one undo step), then undo it: copies of every kind.
  Edit(*d, [&](Doc& d) {
    Branch* m = *d.Root("m", TypeRef::kMap);
    for (const char* k : {"n", "s", "inner", "arr", "txt"}) REQUIRE(types::MapDelete(d, m, k).ok());
    Branch* a = *d.Root("a", TypeRef::kArray);
    REQUIRE(types::ArrayDelete(d, a, 0, types::ToAny(*a).as_array().size()).ok());
    Branch* t = *d.Root("t", TypeRef::kText);
    REQUIRE(types::TextDelete(d, t, 0, t->Length(d.unit())).ok());
  });
  const std::string emptied = RootsAny(*d).ToJson();
  RoundTrip(*d, true, false);
  REQUIRE(*um.Undo());
  CHECK(RootsAny(*d).ToJson() == built);
  RoundTrip(*d, true, false);
  REQUIRE(*um.Redo());
  CHECK(RootsAny(*d).ToJson() == emptied);
  RoundTrip(*d, true, false);
  REQUIRE(*um.Undo());
  CHECK(RootsAny(*d).ToJson() == built);
  RoundTrip(*d, true, false);
  while (um.CanUndo()) REQUIRE(um.Undo().ok());
  RoundTrip(*d, true, false);
}

TEST_CASE("Item payload: a pending nested type holds its ref and name until it integrates") {
  auto a = MakeDoc(1);
  Edit(*a, [&](Doc& d) { REQUIRE(types::MapSetType(d, *d.Root("m", TypeRef::kMap), "outer", TypeRef::kMap).ok()); });
  auto b = MakeDoc(2);
  Bytes first = EncodeStateAsUpdate(*a, nullptr);
  REQUIRE(ApplyUpdate(*b, first.data(), first.size(), std::nullopt).ok());
  Edit(*b, [&](Doc& d) {
    Branch* outer = types::MapGet(**d.Root("m", TypeRef::kMap), "outer")->type();
    REQUIRE(types::MapSetType(d, outer, "text", TypeRef::kText).ok());
    REQUIRE(types::MapSetType(d, outer, "arr", TypeRef::kArray).ok());
  });
  StateVector sv = a->store().GetStateVector();
  Bytes second = EncodeStateAsUpdate(*b, &sv);
  // c gets b's nested types before their parent: they wait, decoded, in pending.
  auto c = MakeDoc(3);
  REQUIRE(ApplyUpdate(*c, second.data(), second.size(), std::nullopt).ok());
  Bytes pending = EncodeStateAsUpdate(*c, nullptr);
  CHECK(pending.size() > 4);
  auto c2 = MakeDoc(4);
  REQUIRE(ApplyUpdate(*c2, pending.data(), pending.size(), std::nullopt).ok());
  CHECK(EncodeStateAsUpdate(*c2, nullptr) == pending);  // the writer read the pending refs and names
  REQUIRE(ApplyUpdate(*c, first.data(), first.size(), std::nullopt).ok());
  REQUIRE(ApplyUpdate(*c2, first.data(), first.size(), std::nullopt).ok());
  CheckItems(*c);
  Bytes all = EncodeStateAsUpdate(*b, nullptr);
  CHECK(EncodeStateAsUpdate(*c, nullptr) == all);
  CHECK(EncodeStateAsUpdate(*c2, nullptr) == all);
  RoundTrip(*c);
}

TEST_CASE("Item payload: a remote run that overlaps what we have moves its payload once") {
  for (bool any : {true, false}) {
    CAPTURE(any);
    auto a = MakeDoc(1);
    Branch* arr = *a->Root("a", TypeRef::kArray);
    Branch* txt = *a->Root("t", TypeRef::kText);
    Edit(*a, [&](Doc& d) {
      if (any) {
        REQUIRE(types::ArrayInsert(d, arr, 0, {Any::Number(1), Any::String("two")}).ok());
      } else {
        REQUIRE(types::TextInsert(d, txt, 0, "ab", nullptr).ok());
      }
    });
    auto b = MakeDoc(2);
    Bytes first = EncodeStateAsUpdate(*a, nullptr);
    REQUIRE(ApplyUpdate(*b, first.data(), first.size(), std::nullopt).ok());
    // Appended by the same client: one struct of clocks 0-3 in a.
    Edit(*a, [&](Doc& d) {
      if (any) {
        REQUIRE(types::ArrayInsert(d, arr, 2, {Any::Bool(true), Any::Null()}).ok());
      } else {
        REQUIRE(types::TextInsert(d, txt, 2, "cd", nullptr).ok());
      }
    });
    REQUIRE(a->store().clients.at(1).size() == 1);
    // b gets the whole struct and integrates only its clocks 2-3 (SplitContent + TakeContent).
    Bytes all = EncodeStateAsUpdate(*a, nullptr);
    REQUIRE(ApplyUpdate(*b, all.data(), all.size(), std::nullopt).ok());
    CheckItems(*b);
    const char* root = any ? "a" : "t";
    const TypeRef ref = any ? TypeRef::kArray : TypeRef::kText;
    CHECK(types::ToAny(**b->Root(root, ref)).ToJson() == types::ToAny(**a->Root(root, ref)).ToJson());
    CHECK(types::ToAny(**b->Root(root, ref)).ToJson() == (any ? "[1,\"two\",true,null]" : "\"abcd\""));
    // And the same from a pending update: slices while decoding (SliceRef).
    auto c = MakeDoc(3);
    REQUIRE(ApplyUpdate(*c, first.data(), first.size(), std::nullopt).ok());
    REQUIRE(ApplyUpdate(*c, all.data(), all.size(), std::nullopt).ok());
    REQUIRE(ApplyUpdate(*c, all.data(), all.size(), std::nullopt).ok());
    CheckItems(*c);
    CHECK(EncodeStateAsUpdate(*c, nullptr) == EncodeStateAsUpdate(*b, nullptr));
    RoundTrip(*b);
  }
}

#ifdef CODESYNC_FIXTURES_DIR
// The yjs-written fixtures (every content kind the wire has, XML and
// subdocuments included): decoded, checked, re-encoded stably.
TEST_CASE("Item payload: the yjs fixtures decode into the right fields") {
  for (const char* name : {"any", "any_exotic", "binary", "deleted", "deleted_nogc", "doc", "embed", "format", "gc",
                           "json", "string", "type", "skip", "pending", "pending_delete"}) {
    CAPTURE(name);
    std::ifstream in(std::string(CODESYNC_FIXTURES_DIR) + "/" + name + ".bin", std::ios::binary);
    REQUIRE(in);
    Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (bool gc : {true, false}) {
      auto d = MakeDoc(77, gc);
      REQUIRE(ApplyUpdate(*d, bytes.data(), bytes.size(), std::nullopt).ok());
      CheckItems(*d);
      Bytes once = EncodeStateAsUpdate(*d, nullptr);
      auto e = MakeDoc(78, gc);
      REQUIRE(ApplyUpdate(*e, once.data(), once.size(), std::nullopt).ok());
      CheckItems(*e);
      CHECK(EncodeStateAsUpdate(*e, nullptr) == once);
    }
  }
}
#endif

}  // namespace
}  // namespace codesync
