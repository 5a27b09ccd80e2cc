// Tests for lib/history/positions: relative positions.  Expected bytes and
// JSON are worked out by hand from yjs 13.6 RelativePosition.js (lib0 varUint
// / varInt); tests/interop/positions.mjs checks the same against real yjs.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/doc.h"
#include "core/update.h"
#include "history/positions.h"
#include "types/types.h"

namespace codesync {
namespace {

using history::AbsolutePosition;
using history::RelativePosition;
using history::Resolution;
using Bytes = std::vector<uint8_t>;

std::unique_ptr<Doc> MakeDoc(uint64_t client, Unit unit = kUtf16) {
  DocOptions o;
  o.client_id = client;
  o.unit = unit;
  return std::make_unique<Doc>(o);
}

Branch* Text(Doc& d, const char* name = "t") { return *d.Root(name, TypeRef::kText); }

RelativePosition At(Doc& d, Branch* t, uint64_t index, int64_t assoc) {
  auto p = history::FromIndex(d, *t, index, assoc);
  REQUIRE(p.ok());
  return *p;
}

uint64_t Resolve(Doc& d, const RelativePosition& p) {
  AbsolutePosition a = history::ToAbsolute(d, p);
  REQUIRE(a.resolution == Resolution::kFound);
  return a.index;
}

TEST_CASE("binary and JSON forms match yjs") {
  RelativePosition item;
  item.item = OptId::Of({1, 2});
  CHECK(history::Encode(item) == Bytes{0, 1, 2, 0});
  CHECK(history::ToJson(item) == R"({"item":{"client":1,"clock":2},"assoc":0})");
  item.assoc = -1;
  CHECK(history::Encode(item) == Bytes{0, 1, 2, 0x41});  // varInt: sign bit 0x40, magnitude 1
  RelativePosition root;
  root.tname = "t";
  CHECK(history::Encode(root) == Bytes{1, 1, 't', 0});
  CHECK(history::ToJson(root) == R"({"tname":"t","assoc":0})");
  RelativePosition nested;
  nested.type = OptId::Of({300, 7});
  nested.assoc = 1;
  CHECK(history::Encode(nested) == Bytes{2, 0xAC, 0x02, 7, 1});
  CHECK(history::ToJson(nested) == R"({"type":{"client":300,"clock":7},"assoc":1})");

  for (const RelativePosition& p : {item, root, nested}) {
    Bytes b = history::Encode(p);
    auto d = history::Decode(b.data(), b.size());
    REQUIRE(d.ok());
    CHECK(*d == p);
    auto j = history::FromJson(history::ToJson(p));
    REQUIRE(j.ok());
    CHECK(*j == p);
  }
  // Older encoders wrote no assoc: it defaults to 0, as in yjs.
  Bytes old{0, 1, 2};
  auto d = history::Decode(old.data(), old.size());
  REQUIRE(d.ok());
  CHECK(d->assoc == 0);
  // JSON as y-monaco sends it, with null fields and no assoc.
  auto j = history::FromJson(R"({"type":null,"tname":null,"item":{"client":5,"clock":9}})");
  REQUIRE(j.ok());
  CHECK(j->item == OptId::Of({5, 9}));
  CHECK(j->assoc == 0);
}

TEST_CASE("malformed positions are rejected") {
  for (const Bytes& b : {Bytes{}, Bytes{0, 1}, Bytes{3, 0}, Bytes{1, 5, 'a'}, Bytes{0, 1, 2, 0, 9}, Bytes{1, 1, 0xFF, 0},
                        // clock 2^64 - 1: an absent OptId's clock
                        Bytes{0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0}}) {
    CHECK_FALSE(history::Decode(b.data(), b.size()).ok());
  }
  CHECK_FALSE(history::FromJson("{}").ok());
  CHECK_FALSE(history::FromJson("[1]").ok());
  CHECK_FALSE(history::FromJson(R"({"item":{"client":-1,"clock":0}})").ok());
  CHECK_FALSE(history::FromJson(R"({"item":{"client":1}})").ok());
  CHECK_FALSE(history::FromJson(R"({"tname":"t","assoc":0.5})").ok());
  CHECK_FALSE(history::FromJson("{").ok());
}

TEST_CASE("positions stick to their character while text changes around them") {
  auto d = MakeDoc(1);
  Branch* t = Text(*d);
  REQUIRE(types::TextInsert(*d, t, 0, "abc", nullptr).ok());
  RelativePosition right_of_a = At(*d, t, 1, 0);  // sticks to 'b'
  RelativePosition left_b = At(*d, t, 1, -1);     // sticks to 'a'
  RelativePosition end = At(*d, t, 3, 0);
  RelativePosition start = At(*d, t, 0, -1);
  CHECK(right_of_a.item == OptId::Of({1, 1}));
  CHECK(left_b.item == OptId::Of({1, 0}));
  CHECK(!end.item.present());
  CHECK(end.tname == std::string("t"));
  CHECK(!start.item.present());

  REQUIRE(types::TextInsert(*d, t, 1, "XY", nullptr).ok());  // aXYbc
  CHECK(Resolve(*d, right_of_a) == 3);
  CHECK(Resolve(*d, left_b) == 1);
  CHECK(Resolve(*d, end) == 5);
  CHECK(Resolve(*d, start) == 0);
  REQUIRE(types::TextInsert(*d, t, 0, "__", nullptr).ok());  // __aXYbc
  CHECK(Resolve(*d, right_of_a) == 5);
  CHECK(Resolve(*d, left_b) == 3);
  // The character is deleted: the position stays where it was.
  REQUIRE(types::TextDelete(*d, t, 5, 1).ok());  // __aXYc
  CHECK(Resolve(*d, right_of_a) == 5);

  // The same position resolves in another document that has the same content.
  auto e = MakeDoc(2);
  Bytes u = EncodeStateAsUpdate(*d, nullptr);
  REQUIRE(ApplyUpdate(*e, u.data(), u.size(), std::nullopt).ok());
  CHECK(Resolve(*e, left_b) == 3);
  CHECK(history::ToAbsolute(*e, left_b).type == Text(*e));

  CHECK(history::FromIndex(*d, *t, 7, 0).status().code() == absl::StatusCode::kOutOfRange);
}

TEST_CASE("positions in UTF-8 and code point documents") {
  // "é😀x": é = 1 UTF-16 unit / 2 bytes, 😀 = 2 units / 4 bytes / 1 code point.
  for (Unit unit : {kUtf8, kCodepoints}) {
    auto d = MakeDoc(1, unit);
    Branch* t = Text(*d);
    REQUIRE(types::TextInsert(*d, t, 0, "\xC3\xA9\xF0\x9F\x98\x80x", nullptr).ok());
    uint64_t before_x = unit == kUtf8 ? 6 : 2;
    RelativePosition p = At(*d, t, before_x, 0);
    CHECK(p.item == OptId::Of({1, 3}));  // the UTF-16 clock of 'x'
    RelativePosition q = At(*d, t, before_x, -1);
    CHECK(q.item == OptId::Of({1, 2}));  // the low surrogate of the emoji, as yjs picks it
    CHECK(Resolve(*d, p) == before_x);
    CHECK(Resolve(*d, q) == before_x);
    REQUIRE(types::TextInsert(*d, t, 0, "\xC3\xA9", nullptr).ok());
    uint64_t e_len = unit == kUtf8 ? 2 : 1;
    CHECK(Resolve(*d, p) == before_x + e_len);
    CHECK(Resolve(*d, q) == before_x + e_len);
    // Inside a character is not an index.
    if (unit == kUtf8) CHECK_FALSE(history::FromIndex(*d, *t, 1, 0).ok());
  }
}

TEST_CASE("nested types, deleted types and unknown items") {
  DocOptions o;
  o.client_id = 1;
  o.gc = false;  // with gc the deleted type is collected: kNotFound (checked below)
  auto d = std::make_unique<Doc>(o);
  Branch* m = *d->Root("m", TypeRef::kMap);
  auto nested = types::MapSetType(*d, m, "k", TypeRef::kText);
  REQUIRE(nested.ok());
  REQUIRE(types::TextInsert(*d, *nested, 0, "hi", nullptr).ok());
  RelativePosition end = At(*d, *nested, 2, 0);
  CHECK(end.type == OptId::Of({1, 0}));
  CHECK(!end.tname);
  CHECK(Resolve(*d, end) == 2);
  RelativePosition mid = At(*d, *nested, 1, 0);
  REQUIRE(types::MapDelete(*d, m, "k").ok());
  CHECK(history::ToAbsolute(*d, end).resolution == Resolution::kTypeDeleted);
  CHECK(history::ToAbsolute(*d, mid).resolution == Resolution::kTypeDeleted);
  {
    auto g = MakeDoc(1);
    Branch* gm = *g->Root("m", TypeRef::kMap);
    auto gt = types::MapSetType(*g, gm, "k", TypeRef::kText);
    REQUIRE(gt.ok());
    REQUIRE(types::TextInsert(*g, *gt, 0, "hi", nullptr).ok());
    RelativePosition gmid = At(*g, *gt, 1, 0);
    RelativePosition gend = At(*g, *gt, 2, 0);
    REQUIRE(types::MapDelete(*g, gm, "k").ok());
    CHECK(history::ToAbsolute(*g, gmid).resolution == Resolution::kNotFound);
    CHECK(history::ToAbsolute(*g, gend).resolution == Resolution::kNotFound);
  }

  RelativePosition unknown;
  unknown.item = OptId::Of({99, 0});
  CHECK(history::ToAbsolute(*d, unknown).resolution == Resolution::kNotFound);
  RelativePosition future;
  future.item = OptId::Of({1, 1000});
  CHECK(history::ToAbsolute(*d, future).resolution == Resolution::kNotFound);
  // A root that does not exist yet resolves to its (empty) start.
  RelativePosition fresh;
  fresh.tname = "new";
  AbsolutePosition a = history::ToAbsolute(*d, fresh);
  CHECK(a.resolution == Resolution::kFound);
  CHECK(a.index == 0);

  CHECK(history::FromIndex(*d, *m, 0, 0).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("array positions count elements") {
  auto d = MakeDoc(1);
  Branch* a = *d->Root("a", TypeRef::kArray);
  REQUIRE(types::ArrayInsert(*d, a, 0, {Any::Number(1), Any::Number(2), Any::Number(3)}).ok());
  RelativePosition p = At(*d, a, 2, 0);
  CHECK(p.item == OptId::Of({1, 2}));
  REQUIRE(types::ArrayInsert(*d, a, 0, {Any::String("x")}).ok());
  CHECK(Resolve(*d, p) == 3);
}

}  // namespace
}  // namespace codesync
