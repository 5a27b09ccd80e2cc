// Tests for lib/types: text (three offset units, formatting, deltas), array,
// map, nested types and ToAny.  Expected strings and deltas are written by
// hand from Yjs 13.6 semantics (the derivation is in the comments); the
// formatting sequences were also replayed once in yjs 13.6.33, which gives the
// same deltas.
#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/doc.h"
#include "core/seq_index.h"
#include "core/update.h"
#include "types/types.h"

namespace codesync {
namespace {

using Bytes = std::vector<uint8_t>;

std::unique_ptr<Doc> MakeDoc(uint64_t client, Unit unit = kUtf16, bool gc = true) {
  DocOptions o;
  o.client_id = client;
  o.unit = unit;
  o.gc = gc;
  return std::make_unique<Doc>(o);
}

Branch* Root(Doc& doc, std::string_view name, TypeRef ref) {
  auto b = doc.Root(name, ref);
  REQUIRE(b.ok());
  return *b;
}

Any Json(std::string_view json) {
  auto a = Any::FromJson(json);
  REQUIRE_MESSAGE(a.ok(), json);
  return *a;
}

// Compares a value with expected JSON (object key order ignored, as for any JS consumer).
void CheckJson(const Any& got, std::string_view want) {
  INFO("got  " << got.ToJson());
  INFO("want " << want);
  CHECK(got == Json(want));
}

void Sync(Doc& from, Doc& to) {
  Bytes u = EncodeStateAsUpdate(from, nullptr);
  REQUIRE(ApplyUpdate(to, u.data(), u.size(), std::nullopt).ok());
}

void CountUpdates(Doc& doc, size_t* counter) {
  doc.AddUpdateObserver([counter](const std::vector<uint8_t>&, const Transaction&) { ++*counter; });
}

// "aé😀b": a (1 byte, 1 UTF-16 unit), é (2 bytes, 1 unit), 😀 (4 bytes, 2 units), b.
constexpr std::string_view kMixed = "a\xc3\xa9\xf0\x9f\x98\x80" "b";

// ===========================================================================
// Text: three offset units

TEST_CASE("Text in UTF-16 units") {
  auto doc = MakeDoc(1, kUtf16);
  Branch* t = Root(*doc, "t", TypeRef::kText);
  size_t updates = 0;
  CountUpdates(*doc, &updates);
  REQUIRE(types::TextInsert(*doc, t, 0, kMixed, nullptr).ok());
  CHECK(t->Length(kUtf16) == 5);
  CHECK(t->Length(kUtf8) == 8);
  CHECK(t->Length(kCodepoints) == 4);
  // Index 4 = after the pair (a=0, é=1, 😀=2..3).
  REQUIRE(types::TextInsert(*doc, t, 4, "X", nullptr).ok());
  CHECK(types::TextString(*t) == "a\xc3\xa9\xf0\x9f\x98\x80Xb");
  CHECK(updates == 2);
  // Index 3 is inside the surrogate pair: refused, nothing changes.
  CHECK(absl::IsOutOfRange(types::TextInsert(*doc, t, 3, "Z", nullptr)));
  CHECK(absl::IsOutOfRange(types::TextInsert(*doc, t, 7, "Z", nullptr)));  // length is 6
  CHECK(types::TextString(*t) == "a\xc3\xa9\xf0\x9f\x98\x80Xb");
  CHECK(updates == 2);
  // Deleting half a pair is refused at either end.
  CHECK(absl::IsOutOfRange(types::TextDelete(*doc, t, 2, 1)));
  CHECK(absl::IsOutOfRange(types::TextDelete(*doc, t, 3, 1)));
  CHECK(absl::IsOutOfRange(types::TextDelete(*doc, t, 5, 2)));  // past the end
  CHECK(updates == 2);
  REQUIRE(types::TextDelete(*doc, t, 2, 2).ok());  // the whole 😀
  CHECK(types::TextString(*t) == "a\xc3\xa9Xb");
  CHECK(t->Length(kUtf16) == 4);
  CHECK(t->Length(kUtf8) == 5);
  REQUIRE(types::TextInsert(*doc, t, 4, "\xe2\x82\xac", nullptr).ok());  // € at the end
  REQUIRE(types::TextDelete(*doc, t, 0, 1).ok());
  CHECK(types::TextString(*t) == "\xc3\xa9Xb\xe2\x82\xac");
  // Zero-length edits are fine and change nothing.
  size_t before = updates;
  CHECK(types::TextDelete(*doc, t, 1, 0).ok());
  CHECK(types::TextInsert(*doc, t, 1, "", nullptr).ok());
  CHECK(updates == before);
  CHECK(types::TextInsert(*doc, t, 0, "\xc3", nullptr).code() == absl::StatusCode::kInvalidArgument);
  CHECK(seq::Validate(t->tree, t->start));
}

TEST_CASE("Text in UTF-8 byte offsets") {
  auto doc = MakeDoc(1, kUtf8);
  Branch* t = Root(*doc, "t", TypeRef::kText);
  REQUIRE(types::TextInsert(*doc, t, 0, kMixed, nullptr).ok());
  CHECK(t->Length(kUtf8) == 8);
  // Byte 3 is right after é.
  REQUIRE(types::TextInsert(*doc, t, 3, "X", nullptr).ok());
  CHECK(types::TextString(*t) == "a\xc3\xa9X\xf0\x9f\x98\x80" "b");
  // Byte 2 is inside é, bytes 5..7 inside 😀 (which now spans bytes 4..7).
  CHECK(absl::IsOutOfRange(types::TextInsert(*doc, t, 2, "Z", nullptr)));
  for (uint64_t i : {5u, 6u, 7u}) CHECK(absl::IsOutOfRange(types::TextInsert(*doc, t, i, "Z", nullptr)));
  CHECK(absl::IsOutOfRange(types::TextDelete(*doc, t, 1, 1)));  // ends inside é
  CHECK(absl::IsOutOfRange(types::TextDelete(*doc, t, 2, 2)));  // starts inside é
  REQUIRE(types::TextDelete(*doc, t, 4, 4).ok());               // 😀
  CHECK(types::TextString(*t) == "a\xc3\xa9Xb");
  REQUIRE(types::TextDelete(*doc, t, 1, 2).ok());  // é
  CHECK(types::TextString(*t) == "aXb");
  CHECK(t->Length(kUtf8) == 3);
  CHECK(t->Length(kUtf16) == 3);
}

TEST_CASE("Text in code points") {
  auto doc = MakeDoc(1, kCodepoints);
  Branch* t = Root(*doc, "t", TypeRef::kText);
  REQUIRE(types::TextInsert(*doc, t, 0, kMixed, nullptr).ok());
  CHECK(t->Length(kCodepoints) == 4);
  REQUIRE(types::TextInsert(*doc, t, 3, "X", nullptr).ok());  // before b
  CHECK(types::TextString(*t) == "a\xc3\xa9\xf0\x9f\x98\x80Xb");
  REQUIRE(types::TextInsert(*doc, t, 2, "\xf0\x9f\x8e\x89", nullptr).ok());  // 🎉 before 😀
  CHECK(types::TextString(*t) == "a\xc3\xa9\xf0\x9f\x8e\x89\xf0\x9f\x98\x80Xb");
  REQUIRE(types::TextDelete(*doc, t, 3, 1).ok());  // 😀
  CHECK(types::TextString(*t) == "a\xc3\xa9\xf0\x9f\x8e\x89Xb");
  CHECK(t->Length(kCodepoints) == 5);
  CHECK(t->Length(kUtf16) == 6);
  CHECK(absl::IsOutOfRange(types::TextInsert(*doc, t, 6, "Z", nullptr)));
  CHECK(absl::IsOutOfRange(types::TextDelete(*doc, t, 4, 2)));
}

TEST_CASE("Docs with different units agree on the content") {
  auto a = MakeDoc(1, kUtf8);
  auto b = MakeDoc(2, kCodepoints);
  Branch* ta = Root(*a, "t", TypeRef::kText);
  Branch* tb = Root(*b, "t", TypeRef::kText);
  REQUIRE(types::TextInsert(*a, ta, 0, kMixed, nullptr).ok());
  Sync(*a, *b);
  // Code point 3 of b is byte 7 of a: both insert right before "b".
  REQUIRE(types::TextInsert(*b, tb, 3, "B", nullptr).ok());
  REQUIRE(types::TextInsert(*a, ta, 7, "A", nullptr).ok());
  Sync(*a, *b);
  Sync(*b, *a);
  // Same origin (😀) and right origin (b): the lower client (a, 1) goes first.
  CHECK(types::TextString(*ta) == "a\xc3\xa9\xf0\x9f\x98\x80" "ABb");
  CHECK(types::TextString(*tb) == types::TextString(*ta));
}

TEST_CASE("Text deletes spanning several items and concurrent deletes") {
  auto a = MakeDoc(1);
  auto b = MakeDoc(2);
  Branch* ta = Root(*a, "t", TypeRef::kText);
  Branch* tb = Root(*b, "t", TypeRef::kText);
  REQUIRE(types::TextInsert(*a, ta, 0, "0123", nullptr).ok());
  REQUIRE(types::TextInsert(*a, ta, 4, "4567", nullptr).ok());
  REQUIRE(types::TextInsert(*a, ta, 2, "ab", nullptr).ok());  // 01ab234567
  Sync(*a, *b);
  REQUIRE(types::TextDelete(*a, ta, 1, 6).ok());  // 1ab234 -> 0567
  REQUIRE(types::TextDelete(*b, tb, 5, 4).ok());  // 3456 -> 01ab27
  CHECK(types::TextString(*ta) == "0567");
  CHECK(types::TextString(*tb) == "01ab27");
  Sync(*a, *b);
  Sync(*b, *a);
  CHECK(types::TextString(*ta) == "07");
  CHECK(types::TextString(*tb) == "07");
  CHECK(ta->Length(kUtf16) == 2);
  CHECK(seq::Validate(ta->tree, ta->start));
  CHECK(seq::Validate(tb->tree, tb->start));
}

// ===========================================================================
// Formatting

TEST_CASE("Formatting: insert with attributes, format ranges, TextToDelta") {
  auto doc = MakeDoc(1);
  Branch* t = Root(*doc, "t", TypeRef::kText);
  REQUIRE(types::TextInsert(*doc, t, 0, "hello", nullptr).ok());
  CheckJson(types::TextToDelta(*t), R"([{"insert":"hello"}])");

  // [bold:true] he [bold:null] llo
  REQUIRE(types::TextFormat(*doc, t, 0, 2, Json(R"({"bold":true})")).ok());
  CheckJson(types::TextToDelta(*t), R"([{"insert":"he","attributes":{"bold":true}},{"insert":"llo"}])");

  // At the end no attribute is active: [italic:true] world [italic:null].
  Any italic = Json(R"({"italic":true})");
  REQUIRE(types::TextInsert(*doc, t, 5, "world", &italic).ok());
  CheckJson(types::TextToDelta(*t),
            R"([{"insert":"he","attributes":{"bold":true}},{"insert":"llo"},
                {"insert":"world","attributes":{"italic":true}}])");

  // No attributes given: the insert takes the formatting at its position (bold).
  REQUIRE(types::TextInsert(*doc, t, 1, "X", nullptr).ok());
  CheckJson(types::TextToDelta(*t),
            R"([{"insert":"hXe","attributes":{"bold":true}},{"insert":"llo"},
                {"insert":"world","attributes":{"italic":true}}])");

  // Empty attributes: bold is switched off around the insert.
  Any none = Json("{}");
  REQUIRE(types::TextInsert(*doc, t, 2, "Y", &none).ok());
  CheckJson(types::TextToDelta(*t),
            R"([{"insert":"hX","attributes":{"bold":true}},{"insert":"Y"},
                {"insert":"e","attributes":{"bold":true}},{"insert":"llo"},
                {"insert":"world","attributes":{"italic":true}}])");

  // hXYelloworld: format "ellow" (3..8) underlined, across bold, plain and italic runs.
  REQUIRE(types::TextFormat(*doc, t, 3, 5, Json(R"({"underline":true})")).ok());
  CheckJson(types::TextToDelta(*t),
            R"([{"insert":"hX","attributes":{"bold":true}},{"insert":"Y"},
                {"insert":"e","attributes":{"bold":true,"underline":true}},
                {"insert":"llo","attributes":{"underline":true}},
                {"insert":"w","attributes":{"italic":true,"underline":true}},
                {"insert":"orld","attributes":{"italic":true}}])");

  REQUIRE(types::TextDelete(*doc, t, 0, 3).ok());
  CheckJson(types::TextToDelta(*t),
            R"([{"insert":"e","attributes":{"bold":true,"underline":true}},
                {"insert":"llo","attributes":{"underline":true}},
                {"insert":"w","attributes":{"italic":true,"underline":true}},
                {"insert":"orld","attributes":{"italic":true}}])");

  // Removing an attribute: null clears it.
  REQUIRE(types::TextFormat(*doc, t, 0, 4, Json(R"({"bold":null})")).ok());
  CheckJson(types::TextToDelta(*t),
            R"([{"insert":"ello","attributes":{"underline":true}},
                {"insert":"w","attributes":{"italic":true,"underline":true}},
                {"insert":"orld","attributes":{"italic":true}}])");
  CHECK(types::TextString(*t) == "elloworld");

  // Embeds count 1 and, without attributes, are inserted unformatted (as Yjs insertEmbed).
  REQUIRE(types::TextInsertEmbed(*doc, t, 1, Json(R"({"image":"x.png"})"), nullptr).ok());
  Any link = Json(R"({"link":"u"})");
  REQUIRE(types::TextInsertEmbed(*doc, t, 0, Json(R"({"image":"y.png"})"), &link).ok());
  CheckJson(types::TextToDelta(*t),
            R"([{"insert":{"image":"y.png"},"attributes":{"link":"u"}},
                {"insert":"e","attributes":{"underline":true}},
                {"insert":{"image":"x.png"}},
                {"insert":"llo","attributes":{"underline":true}},
                {"insert":"w","attributes":{"italic":true,"underline":true}},
                {"insert":"orld","attributes":{"italic":true}}])");
  CHECK(t->Length(kUtf16) == 11);
  CHECK(types::TextString(*t) == "elloworld");

  // A second doc that receives the state reads the same delta.
  auto other = MakeDoc(2);
  Sync(*doc, *other);
  CHECK(types::TextToDelta(*Root(*other, "t", TypeRef::kText)) == types::TextToDelta(*t));
}

TEST_CASE("Formatting with multibyte text in each unit") {
  // "h😀llo" with 😀 bold: UTF-16 range (1,2), UTF-8 (1,4), code points (1,1).
  struct Case {
    Unit unit;
    uint64_t index, len;
  };
  for (Case c : {Case{kUtf16, 1, 2}, Case{kUtf8, 1, 4}, Case{kCodepoints, 1, 1}}) {
    INFO("unit " << c.unit);
    auto doc = MakeDoc(1, c.unit);
    Branch* t = Root(*doc, "t", TypeRef::kText);
    REQUIRE(types::TextInsert(*doc, t, 0, "h\xf0\x9f\x98\x80llo", nullptr).ok());
    REQUIRE(types::TextFormat(*doc, t, c.index, c.len, Json(R"({"bold":true})")).ok());
    CheckJson(types::TextToDelta(*t),
              "[{\"insert\":\"h\"},{\"insert\":\"\xf0\x9f\x98\x80\",\"attributes\":{\"bold\":true}},"
              "{\"insert\":\"llo\"}]");
  }
  auto doc = MakeDoc(1, kUtf16);
  Branch* t = Root(*doc, "t", TypeRef::kText);
  REQUIRE(types::TextInsert(*doc, t, 0, "h\xf0\x9f\x98\x80llo", nullptr).ok());
  CHECK(absl::IsOutOfRange(types::TextFormat(*doc, t, 1, 1, Json(R"({"bold":true})"))));  // half a pair
  CHECK(absl::IsOutOfRange(types::TextFormat(*doc, t, 2, 5, Json(R"({"bold":true})"))));  // past the end
  CHECK(types::TextFormat(*doc, t, 0, 1, Json("[1]")).code() == absl::StatusCode::kInvalidArgument);
  Any not_object = Json("true");
  CHECK(types::TextInsert(*doc, t, 0, "x", &not_object).code() == absl::StatusCode::kInvalidArgument);
  CheckJson(types::TextToDelta(*t), "[{\"insert\":\"h\xf0\x9f\x98\x80llo\"}]");
}

TEST_CASE("Formatting: a wider range with another value replaces it") {
  // abcdef, cd red, then all blue: the red pair is deleted and one blue run remains.
  auto doc = MakeDoc(1);
  Branch* t = Root(*doc, "t", TypeRef::kText);
  REQUIRE(types::TextInsert(*doc, t, 0, "abcdef", nullptr).ok());
  REQUIRE(types::TextFormat(*doc, t, 2, 2, Json(R"({"color":"red"})")).ok());
  CheckJson(types::TextToDelta(*t),
            R"([{"insert":"ab"},{"insert":"cd","attributes":{"color":"red"}},{"insert":"ef"}])");
  REQUIRE(types::TextFormat(*doc, t, 0, 6, Json(R"({"color":"blue"})")).ok());
  CheckJson(types::TextToDelta(*t), R"([{"insert":"abcdef","attributes":{"color":"blue"}}])");
  // Formatting with the value already in effect inserts nothing.
  size_t live_formats = 0;
  for (const Item* n = t->start; n; n = n->right) live_formats += !n->deleted && n->kind == ContentKind::kFormat;
  CHECK(live_formats == 2);  // [color:blue] ... [color:null]
  REQUIRE(types::TextFormat(*doc, t, 1, 1, Json(R"({"color":"blue"})")).ok());
  size_t after = 0;
  for (const Item* n = t->start; n; n = n->right) after += !n->deleted && n->kind == ContentKind::kFormat;
  CHECK(after == 2);
  CheckJson(types::TextToDelta(*t), R"([{"insert":"abcdef","attributes":{"color":"blue"}}])");
}

TEST_CASE("Formatting: a range ending at an existing format of the same key") {
  // "ab" [bold:true] "c" [bold:null]; then bold:"x" on "ab".  Yjs stops at the
  // [bold:true] item (length used up, different value) and puts the negation
  // [bold:null] before it, so "c" stays bold:true.
  auto doc = MakeDoc(1);
  Branch* t = Root(*doc, "t", TypeRef::kText);
  REQUIRE(types::TextInsert(*doc, t, 0, "abc", nullptr).ok());
  REQUIRE(types::TextFormat(*doc, t, 2, 1, Json(R"({"bold":true})")).ok());
  REQUIRE(types::TextFormat(*doc, t, 0, 2, Json(R"({"bold":"x"})")).ok());
  CheckJson(types::TextToDelta(*t),
            R"([{"insert":"ab","attributes":{"bold":"x"}},{"insert":"c","attributes":{"bold":true}}])");
  std::vector<std::string> seq;
  for (const Item* n = t->start; n; n = n->right) {
    if (n->deleted) continue;
    seq.push_back(n->kind == ContentKind::kFormat ? "[" + n->extra()->key + ":" + n->extra()->value.ToJson() + "]"
                                                  : n->str.ToString());
  }
  CHECK(seq == std::vector<std::string>{"[bold:\"x\"]", "ab", "[bold:null]", "[bold:true]", "c", "[bold:null]"});
}

TEST_CASE("Typing at the end of one's own run extends it in place, as a commit-time merge would") {
  auto doc = MakeDoc(1);
  Branch* t = Root(*doc, "t", TypeRef::kText);
  std::vector<std::vector<uint8_t>> updates;
  doc->AddUpdateObserver([&](const std::vector<uint8_t>& u, const Transaction&) { updates.push_back(u); });
  for (const char* c : {"a", "b", "\xc3\xa9", "c"}) REQUIRE(types::TextInsert(*doc, t, t->Length(kUtf16), c, nullptr).ok());
  CHECK(types::TextString(*t) == "ab\xc3\xa9" "c");
  const auto& structs = doc->store().clients[1];
  REQUIRE(structs.size() == 1);
  CHECK(structs[0]->length == 4);
  CHECK(t->Length(kUtf8) == 5);
  CHECK(t->Length(kCodepoints) == 4);
  CHECK(seq::Validate(t->tree, t->start));
  // Each keystroke's update is one struct continuing the last: (count 1,
  // client 1, clock 1) then info 0x84 (origin, string) with origin (1, 0).
  REQUIRE(updates.size() == 4);
  CHECK(updates[1] == std::vector<uint8_t>{1, 1, 1, 1, 0x84, 1, 0, 1, 'b', 0});

  // After a deletion at the end, typing goes after the deleted item (Yjs skips
  // deleted items to the right of the cut), so it is a struct of its own.
  REQUIRE(types::TextDelete(*doc, t, 3, 1).ok());
  REQUIRE(types::TextInsert(*doc, t, 3, "d", nullptr).ok());
  CHECK(types::TextString(*t) == "ab\xc3\xa9" "d");
  REQUIRE(structs.size() == 3);
  CHECK(structs[1]->deleted);
  CHECK(structs[2]->origin == OptId::Of({1, 3}));
  CHECK(structs[2]->str == "d");
  CHECK(seq::Validate(t->tree, t->start));

  // At the start, then right after it: the second keystroke extends the first.
  REQUIRE(types::TextInsert(*doc, t, 0, "X", nullptr).ok());
  REQUIRE(types::TextInsert(*doc, t, 1, "Y", nullptr).ok());
  CHECK(types::TextString(*t) == "XYab\xc3\xa9" "d");
  CHECK(structs.size() == 4);  // "XY" is one struct: its right origin is still its neighbour
  CHECK(structs[3]->str == "XY");
  CHECK(seq::Validate(t->tree, t->start));
}

TEST_CASE("Remote keystrokes continuing a run are appended to it, with or without a delta observer") {
  for (bool observe : {false, true}) {
    INFO("observe=" << observe);
    auto a = MakeDoc(1);
    auto b = MakeDoc(2);
    Branch* ta = Root(*a, "t", TypeRef::kText);
    Branch* tb = Root(*b, "t", TypeRef::kText);
    std::vector<std::vector<uint8_t>> updates;
    a->AddUpdateObserver([&](const std::vector<uint8_t>& u, const Transaction&) { updates.push_back(u); });
    std::vector<std::string> inserted;
    if (observe) {
      b->AddDeltaObserver(tb, [&](const std::vector<DeltaOp>& ops, const Transaction&) {
        for (const DeltaOp& op : ops) {
          if (op.kind == DeltaOp::kInsert) inserted.push_back(op.text);
        }
      });
    }
    for (const char* c : {"x", "y", "\xc3\xa9"}) REQUIRE(types::TextInsert(*a, ta, ta->Length(kUtf16), c, nullptr).ok());
    REQUIRE(updates.size() == 3);
    for (auto& u : updates) REQUIRE(ApplyUpdate(*b, u.data(), u.size(), std::nullopt).ok());
    CHECK(types::TextString(*tb) == "xy\xc3\xa9");
    REQUIRE(b->store().clients[1].size() == 1);
    CHECK(b->store().clients[1][0]->length == 3);
    CHECK(tb->Length(kUtf8) == 4);
    CHECK(seq::Validate(tb->tree, tb->start));
    if (observe) CHECK(inserted == std::vector<std::string>{"x", "y", "\xc3\xa9"});
    // The merged run encodes as yjs would encode it: one string struct.
    std::vector<uint8_t> state = EncodeStateAsUpdate(*b, nullptr);
    CHECK(state == std::vector<uint8_t>{1, 1, 1, 0, 4, 1, 1, 't', 4, 'x', 'y', 0xc3, 0xa9, 0});
  }
}

// ===========================================================================
// Array

TEST_CASE("Array insert, delete, get") {
  auto doc = MakeDoc(1);
  Branch* a = Root(*doc, "a", TypeRef::kArray);
  REQUIRE(types::ArrayInsert(*doc, a, 0, {Any::Number(1), Any::Number(2), Any::Number(3)}).ok());
  // One run of plain values is one struct.
  CHECK(doc->store().clients[1].size() == 1);
  REQUIRE(types::ArrayInsert(*doc, a, 1, {Any::String("x"), Any::Bool(true)}).ok());
  CheckJson(types::ToAny(*a), R"([1,"x",true,2,3])");
  CHECK(a->Length(kUtf16) == 5);
  uint64_t off = 99;
  const Item* it = types::ArrayGet(*a, 3, &off);
  REQUIRE(it != nullptr);
  CHECK(types::ItemValue(*it, off) == Any::Number(2));
  it = types::ArrayGet(*a, 1, &off);
  REQUIRE(it != nullptr);
  CHECK(types::ItemValue(*it, off) == Any::String("x"));
  CHECK(types::ArrayGet(*a, 5, &off) == nullptr);

  REQUIRE(types::ArrayDelete(*doc, a, 1, 2).ok());
  CheckJson(types::ToAny(*a), "[1,2,3]");
  REQUIRE(types::ArrayDelete(*doc, a, 1, 1).ok());  // splits the [1,2,3] run
  CheckJson(types::ToAny(*a), "[1,3]");
  CHECK(absl::IsOutOfRange(types::ArrayDelete(*doc, a, 1, 2)));
  CHECK(absl::IsOutOfRange(types::ArrayInsert(*doc, a, 3, {Any::Null()})));
  CheckJson(types::ToAny(*a), "[1,3]");
  REQUIRE(types::ArrayInsert(*doc, a, 2, {Any::Null(), Any::MakeArray({Any::Number(4)})}).ok());
  CheckJson(types::ToAny(*a), "[1,3,null,[4]]");
  CHECK(types::ArrayInsert(*doc, a, 0, {}).ok());
  CHECK(seq::Validate(a->tree, a->start));
}

TEST_CASE("Array binaries get their own struct") {
  auto doc = MakeDoc(1);
  Branch* a = Root(*doc, "a", TypeRef::kArray);
  REQUIRE(types::ArrayInsert(*doc, a, 0, {Any::Number(1), Any::Binary(std::string("\x01\x02", 2)), Any::Number(2)})
              .ok());
  const auto& structs = doc->store().clients[1];
  REQUIRE(structs.size() == 3);
  CHECK(structs[0]->kind == ContentKind::kAny);
  CHECK(structs[1]->kind == ContentKind::kBinary);
  CHECK(structs[2]->kind == ContentKind::kAny);
  uint64_t off = 0;
  const Item* bin = types::ArrayGet(*a, 1, &off);
  REQUIRE(bin != nullptr);
  Any v = types::ItemValue(*bin, off);
  CHECK(v.kind() == Any::Kind::kBinary);
  CHECK(v.as_string() == std::string("\x01\x02", 2));
}

TEST_CASE("Concurrent array inserts converge") {
  auto a = MakeDoc(1);
  auto b = MakeDoc(2);
  Branch* aa = Root(*a, "a", TypeRef::kArray);
  Branch* ab = Root(*b, "a", TypeRef::kArray);
  REQUIRE(types::ArrayInsert(*a, aa, 0, {Any::Number(0), Any::Number(9)}).ok());
  Sync(*a, *b);
  REQUIRE(types::ArrayInsert(*b, ab, 1, {Any::String("b")}).ok());
  REQUIRE(types::ArrayInsert(*a, aa, 1, {Any::String("a")}).ok());
  REQUIRE(types::ArrayDelete(*b, ab, 0, 1).ok());
  Sync(*a, *b);
  Sync(*b, *a);
  CheckJson(types::ToAny(*aa), R"(["a","b",9])");
  CheckJson(types::ToAny(*ab), R"(["a","b",9])");
}

// ===========================================================================
// Map

TEST_CASE("Map set, get, delete, size") {
  auto doc = MakeDoc(1);
  Branch* m = Root(*doc, "m", TypeRef::kMap);
  CHECK(types::MapSize(*m) == 0);
  REQUIRE(types::MapSet(*doc, m, "a", Any::Number(1)).ok());
  REQUIRE(types::MapSet(*doc, m, "b", Any::String("x")).ok());
  REQUIRE(types::MapSet(*doc, m, "c", Any::Null()).ok());
  CHECK(types::MapSize(*m) == 3);
  const Item* a = types::MapGet(*m, "a");
  REQUIRE(a != nullptr);
  CHECK(types::ItemValue(*a, 0) == Any::Number(1));
  CHECK(types::MapGet(*m, "zz") == nullptr);
  REQUIRE(types::MapSet(*doc, m, "a", Any::Number(2)).ok());  // overwrite
  CHECK(types::MapSize(*m) == 3);
  CHECK(types::ItemValue(*types::MapGet(*m, "a"), 0) == Any::Number(2));
  REQUIRE(types::MapDelete(*doc, m, "b").ok());
  CHECK(types::MapGet(*m, "b") == nullptr);
  CHECK(types::MapSize(*m) == 2);
  CHECK(types::MapDelete(*doc, m, "nope").ok());
  CheckJson(types::ToAny(*m), R"({"a":2,"c":null})");
  REQUIRE(types::MapSet(*doc, m, "b", Any::Bool(false)).ok());  // set again after delete
  CheckJson(types::ToAny(*m), R"({"a":2,"b":false,"c":null})");
  // The overwritten value is deleted, and with gc its content is gone.
  const auto& structs = doc->store().clients[1];
  CHECK(structs[0]->deleted);
  CHECK(structs[0]->kind == ContentKind::kDeleted);

  auto copy = MakeDoc(2);
  Sync(*doc, *copy);
  CheckJson(types::ToAny(*Root(*copy, "m", TypeRef::kMap)), R"({"a":2,"b":false,"c":null})");
}

TEST_CASE("Nested types and ToAny") {
  auto doc = MakeDoc(1);
  Branch* m = Root(*doc, "m", TypeRef::kMap);
  auto list = types::MapSetType(*doc, m, "list", TypeRef::kArray);
  REQUIRE(list.ok());
  auto text = types::MapSetType(*doc, m, "text", TypeRef::kText);
  REQUIRE(text.ok());
  auto inner = types::MapSetType(*doc, m, "inner", TypeRef::kMap);
  REQUIRE(inner.ok());
  REQUIRE(types::ArrayInsert(*doc, *list, 0, {Any::Number(1), Any::Number(2)}).ok());
  auto nested_map = types::ArrayInsertType(*doc, *list, 1, TypeRef::kMap);
  REQUIRE(nested_map.ok());
  REQUIRE(types::MapSet(*doc, *nested_map, "deep", Any::Bool(true)).ok());
  REQUIRE(types::TextInsert(*doc, *text, 0, "abc", nullptr).ok());
  REQUIRE(types::MapSet(*doc, *inner, "k", Any::String("v")).ok());
  const std::string want = R"({"list":[1,{"deep":true},2],"text":"abc","inner":{"k":"v"}})";
  CheckJson(types::ToAny(*m), want);
  CHECK(types::MapSize(*m) == 3);

  // The same structure on a peer.
  auto peer = MakeDoc(2);
  Sync(*doc, *peer);
  Branch* pm = Root(*peer, "m", TypeRef::kMap);
  CheckJson(types::ToAny(*pm), want);
  // The peer edits the nested text; the change comes back.
  const Item* pt = types::MapGet(*pm, "text");
  REQUIRE(pt != nullptr);
  REQUIRE(pt->kind == ContentKind::kType);
  REQUIRE(types::TextInsert(*peer, pt->type(), 3, "d", nullptr).ok());
  Sync(*peer, *doc);
  CheckJson(types::ToAny(*m), R"({"list":[1,{"deep":true},2],"text":"abcd","inner":{"k":"v"}})");

  // Replacing a nested type by a value deletes it; its handle then refuses edits.
  REQUIRE(types::MapSet(*doc, m, "inner", Any::Number(5)).ok());
  CHECK((*inner)->is_deleted());
  CHECK(types::MapSet(*doc, *inner, "k2", Any::Null()).code() == absl::StatusCode::kInvalidArgument);
  CheckJson(types::ToAny(*m), R"({"list":[1,{"deep":true},2],"text":"abcd","inner":5})");
  // Deleting the array deletes it (the map inside it: see the next test).
  REQUIRE(types::MapDelete(*doc, m, "list").ok());
  CHECK((*list)->is_deleted());
  CHECK(absl::IsInvalidArgument(types::ArrayInsert(*doc, *list, 0, {Any::Null()})));
  CheckJson(types::ToAny(*m), R"({"text":"abcd","inner":5})");
  Sync(*doc, *peer);
  CheckJson(types::ToAny(*pm), R"({"text":"abcd","inner":5})");
}

// Items are owned by the store (Doc::FreeItem deletes them when structs
// merge); an item that is no longer there has been freed.
bool OwnedByStore(const Doc& doc, const Item* item) {
  for (const auto& [client, structs] : doc.store().clients) {
    for (const Item* s : structs) {
      if (s == item) return true;
    }
  }
  return false;
}

// BUG (lib/core/doc.cc, Doc::TryToMergeWithLefts frees merged structs): the
// item of a deleted nested type becomes Deleted or GC content when collected
// and may then merge into its left neighbour and be freed, while the nested
// Branch keeps pointing at it.  Branch::is_deleted() then reads freed memory,
// so any edit through a handle to that type (the C API's codesync_map_set_map /
// codesync_array_insert_map / *_get_map handles, "owned by the doc") is a
// heap-use-after-free.  Three ways in: deleting the array that holds a map
// (locally or by a remote update), and overwriting a map key twice
// (k = 1; k = new map; k = 2: the map's Deleted item merges into the first
// value's).  Yjs keeps the Item object alive for the type (JS GC), so the
// handle reads as deleted and refuses edits.
TEST_CASE("A nested type whose item was collected stays a valid, deleted handle") {
  for (std::string how : {"array deleted locally", "array deleted remotely", "map key overwritten twice"}) {
    INFO(how);
    auto doc = MakeDoc(1);
    Branch* m = Root(*doc, "m", TypeRef::kMap);
    absl::StatusOr<Branch*> nested;
    if (how == "map key overwritten twice") {
      REQUIRE(types::MapSet(*doc, m, "k", Any::Number(1)).ok());
      nested = types::MapSetType(*doc, m, "k", TypeRef::kMap);
      REQUIRE(nested.ok());
      REQUIRE(types::MapSet(*doc, m, "k", Any::Number(2)).ok());
      CheckJson(types::ToAny(*m), R"({"k":2})");
    } else {
      auto list = types::MapSetType(*doc, m, "list", TypeRef::kArray);
      REQUIRE(list.ok());
      REQUIRE(types::ArrayInsert(*doc, *list, 0, {Any::Number(1), Any::Number(2)}).ok());
      nested = types::ArrayInsertType(*doc, *list, 1, TypeRef::kMap);  // [1, {}, 2]
      REQUIRE(nested.ok());
      REQUIRE(types::MapSet(*doc, *nested, "k", Any::Bool(true)).ok());
      if (how == "array deleted remotely") {
        auto peer = MakeDoc(2);
        Sync(*doc, *peer);
        REQUIRE(types::MapDelete(*peer, Root(*peer, "m", TypeRef::kMap), "list").ok());
        Sync(*peer, *doc);
      } else {
        REQUIRE(types::MapDelete(*doc, m, "list").ok());
      }
      CheckJson(types::ToAny(*m), "{}");
    }
    // Checked without touching the item, so that ASan builds report a failure, not a crash.
    // A collected type lets go of its struct (null item) rather than point at freed memory.
    const bool owned = (*nested)->item == nullptr || OwnedByStore(*doc, (*nested)->item);
    CHECK(owned);
    if (!owned) continue;
    CHECK((*nested)->is_deleted());
    CHECK(absl::IsInvalidArgument(types::MapSet(*doc, *nested, "x", Any::Null())));
  }
}

TEST_CASE("ToAny of each root kind") {
  auto doc = MakeDoc(1);
  CheckJson(types::ToAny(*Root(*doc, "t", TypeRef::kText)), R"("")");
  CheckJson(types::ToAny(*Root(*doc, "a", TypeRef::kArray)), "[]");
  CheckJson(types::ToAny(*Root(*doc, "m", TypeRef::kMap)), "{}");
  Branch* t = Root(*doc, "t", TypeRef::kText);
  REQUIRE(types::TextInsert(*doc, t, 0, "hi", nullptr).ok());
  REQUIRE(types::TextInsertEmbed(*doc, t, 1, Json("{\"e\":1}"), nullptr).ok());
  CheckJson(types::ToAny(*t), R"("hi")");  // embeds are not part of the string
}

TEST_CASE("A transaction groups several edits into one update") {
  auto doc = MakeDoc(1);
  Branch* t = Root(*doc, "t", TypeRef::kText);
  Branch* m = Root(*doc, "m", TypeRef::kMap);
  size_t updates = 0;
  CountUpdates(*doc, &updates);
  doc->Begin(std::string("origin"), true);
  REQUIRE(types::TextInsert(*doc, t, 0, "ab", nullptr).ok());
  REQUIRE(types::TextInsert(*doc, t, 2, "c", nullptr).ok());
  REQUIRE(types::MapSet(*doc, m, "k", Any::Number(1)).ok());
  CHECK(updates == 0);
  doc->Commit();
  CHECK(updates == 1);
  // "ab" and "c" typed in one transaction merge into one struct; the map entry is another.
  CHECK(doc->store().clients[1].size() == 2);
  CHECK(types::TextString(*t) == "abc");
}

}  // namespace
}  // namespace codesync
