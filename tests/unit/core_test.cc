// Tests for lib/core (ids, item content, the position treap, the struct store,
// delete sets, update v1 decode/encode/merge, YATA integration) and the UTF-8
// helpers the core relies on.  Expected bytes are assembled by hand with the
// lib0 rules written next to them; they were also checked once against yjs
// 13.6.33 (Y.encodeStateAsUpdate / Y.mergeUpdates), which gives the same bytes.
// Expected documents follow Yjs semantics, derived in the comments.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/doc.h"
#include "core/id.h"
#include "core/item.h"
#include "core/seq_index.h"
#include "core/store.h"
#include "core/update.h"
#include "encoding/lib0.h"
#include "encoding/utf8.h"
#include "types/types.h"

namespace codesync {
namespace {

using Bytes = std::vector<uint8_t>;

std::string ToHex(const Bytes& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

Bytes FromHex(std::string_view hex) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  return out;
}

std::string_view View(const Bytes& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

Doc* NewDoc(std::vector<std::unique_ptr<Doc>>& docs, uint64_t client, bool gc = true) {
  DocOptions o;
  o.client_id = client;
  o.gc = gc;
  docs.push_back(std::make_unique<Doc>(o));
  return docs.back().get();
}

Branch* TextOf(Doc& doc, std::string_view name = "t") {
  auto b = doc.Root(name, TypeRef::kText);
  REQUIRE(b.ok());
  return *b;
}

std::string Str(Doc& doc, std::string_view name = "t") { return types::TextString(*TextOf(doc, name)); }

absl::Status Apply(Doc& doc, const Bytes& u) { return ApplyUpdate(doc, u.data(), u.size(), std::nullopt); }

Bytes Full(const Doc& doc) { return EncodeStateAsUpdate(doc, nullptr); }

std::map<uint64_t, uint64_t> SortedSv(const StateVector& sv) { return {sv.begin(), sv.end()}; }

// Records the update of every transaction of doc.
struct Recorder {
  std::vector<Bytes> updates;
  explicit Recorder(Doc& doc) {
    doc.AddUpdateObserver([this](const std::vector<uint8_t>& u, const Transaction&) { updates.push_back(u); });
  }
};

void Insert(Doc& doc, uint64_t index, std::string_view s, std::string_view name = "t") {
  REQUIRE(types::TextInsert(doc, TextOf(doc, name), index, s, nullptr).ok());
}
void Delete(Doc& doc, uint64_t index, uint64_t len, std::string_view name = "t") {
  REQUIRE(types::TextDelete(doc, TextOf(doc, name), index, len).ok());
}

// ===========================================================================
// Id

TEST_CASE("Id and OptId equality") {
  CHECK(Id{1, 2} == Id{1, 2});
  CHECK(Id{1, 2} != Id{2, 1});
  CHECK(Id{1, 2} != Id{1, 3});
  CHECK(OptId::None() == OptId::None());
  // Absent is the clock 2^64 - 1 (16 bytes, no flag): an absent id equals
  // another absent id whatever client it holds, and a real clock makes it present.
  OptId a = OptId::None();
  CHECK_FALSE(a.present());
  a.id.client = 5;
  CHECK(a == OptId::None());
  a.id = {5, 6};
  CHECK(a.present());
  CHECK(a == OptId::Of({5, 6}));
  CHECK(a != OptId::None());
  CHECK(OptId::Of({0, uint64_t{1} << 53}).present());
  static_assert(sizeof(OptId) == 16);
  CHECK(OptId::Of({1, 2}) == OptId::Of({1, 2}));
  CHECK(OptId::Of({1, 2}) != OptId::Of({1, 3}));
  CHECK(OptId::Of({0, 0}) != OptId::None());
}

// ===========================================================================
// UTF-8 helpers

TEST_CASE("utf8::IsValid edge cases") {
  struct Case {
    std::string_view s;
    bool valid;
    const char* why;
  };
  const Case cases[] = {
      {"", true, "empty"},
      {std::string_view("a\0b", 3), true, "NUL is a character"},
      {"\x7f", true, "U+007F"},
      {"\xc2\x80", true, "U+0080, smallest 2-byte"},
      {"\xdf\xbf", true, "U+07FF"},
      {"\xc0\x80", false, "overlong NUL"},
      {"\xc1\xbf", false, "overlong U+007F"},
      {"\xe0\x80\x80", false, "overlong 3-byte"},
      {"\xe0\x9f\xbf", false, "overlong U+07FF in 3 bytes"},
      {"\xe0\xa0\x80", true, "U+0800"},
      {"\xed\x9f\xbf", true, "U+D7FF"},
      {"\xed\xa0\x80", false, "U+D800 high surrogate"},
      {"\xed\xbf\xbf", false, "U+DFFF low surrogate"},
      {"\xed\xa0\xbd\xed\xb8\x80", false, "CESU-8 surrogate pair"},
      {"\xee\x80\x80", true, "U+E000"},
      {"\xef\xbf\xbf", true, "U+FFFF"},
      {"\xf0\x80\x80\x80", false, "overlong 4-byte"},
      {"\xf0\x8f\xbf\xbf", false, "overlong U+FFFF in 4 bytes"},
      {"\xf0\x90\x80\x80", true, "U+10000"},
      {"\xf4\x8f\xbf\xbf", true, "U+10FFFF"},
      {"\xf4\x90\x80\x80", false, "U+110000"},
      {"\xf5\x80\x80\x80", false, "lead byte F5"},
      {"\xf8\x88\x80\x80\x80", false, "5-byte form"},
      {"\xff", false, "FF"},
      {"\xfe", false, "FE"},
      {"\x80", false, "lone continuation"},
      {"a\xbf", false, "continuation after ASCII"},
      {"\xc3", false, "truncated 2-byte"},
      {"\xe2\x82", false, "truncated 3-byte"},
      {"\xf0\x9f\x98", false, "truncated 4-byte"},
      {"ab\xf0\x9f\x98", false, "truncated at the end"},
      {"\xc3\x28", false, "bad continuation"},
      {"\xe2\x28\xa1", false, "bad second byte"},
      {"\xe2\x82\x28", false, "bad third byte"},
      {"\xf0\x9f\x98\x28", false, "bad fourth byte"},
      {"a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", true, "mixed widths"},
  };
  for (const Case& c : cases) {
    INFO(c.why);
    CHECK(utf8::IsValid(c.s) == c.valid);
  }
}

TEST_CASE("utf8::Measure counts all three units") {
  // a (1 byte, 1 unit) + é (2 bytes) + € (3 bytes) + 😀 (4 bytes, a surrogate pair in UTF-16)
  utf8::Lengths l = utf8::Measure("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  CHECK(l.utf8 == 10);
  CHECK(l.utf16 == 5);
  CHECK(l.codepoints == 4);
  CHECK(utf8::Utf16Length("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") == 5);
  utf8::Lengths e = utf8::Measure("");
  CHECK(e.utf8 == 0);
  CHECK(e.utf16 == 0);
  CHECK(e.codepoints == 0);
  utf8::Lengths two = utf8::Measure("\xf0\x9f\x98\x80\xf0\x9f\x98\x80");
  CHECK(two.utf16 == 4);
  CHECK(two.codepoints == 2);
}

TEST_CASE("utf8::ByteOffsetOfUtf16 reports positions inside a surrogate pair") {
  const std::string_view s = "a\xf0\x9f\x98\x80" "b\xc3\xa9";  // a 😀 b é: UTF-16 offsets 0,1,(2),3,4,5
  struct Case {
    uint64_t u16;
    size_t byte;
    bool inside;
  };
  const Case cases[] = {{0, 0, false}, {1, 1, false}, {2, 1, true}, {3, 5, false},
                        {4, 6, false}, {5, 8, false}, {6, 8, false}, {100, 8, false}};
  for (const Case& c : cases) {
    INFO("u16=" << c.u16);
    bool inside = !c.inside;  // must be overwritten
    CHECK(utf8::ByteOffsetOfUtf16(s, c.u16, &inside) == c.byte);
    CHECK(inside == c.inside);
  }
  CHECK(utf8::ByteOffsetOfUtf16(s, 3, nullptr) == 5);
}

TEST_CASE("utf8::ByteOffsetOfCodepoint and friends") {
  const std::string_view s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" "b";
  const size_t expected[] = {0, 1, 3, 6, 10, 11, 11};
  for (uint64_t cp = 0; cp < 7; cp++) {
    INFO("cp=" << cp);
    CHECK(utf8::ByteOffsetOfCodepoint(s, cp) == expected[cp]);
  }
  CHECK(utf8::IsBoundary(s, 0));
  CHECK(utf8::IsBoundary(s, 1));
  CHECK_FALSE(utf8::IsBoundary(s, 2));
  CHECK(utf8::IsBoundary(s, 3));
  CHECK_FALSE(utf8::IsBoundary(s, 7));
  CHECK(utf8::IsBoundary(s, 10));
  CHECK(utf8::IsBoundary(s, 11));
  CHECK(utf8::Utf16OfPrefix(s, 10) == 5);  // a é € 😀 = 1+1+1+2
  CHECK(utf8::SeqLen(0x41) == 1);
  CHECK(utf8::SeqLen(0xc3) == 2);
  CHECK(utf8::SeqLen(0xe2) == 3);
  CHECK(utf8::SeqLen(0xf0) == 4);
  CHECK(utf8::SeqLen(0x80) == 1);
}

TEST_CASE("utf8::AppendCodepoint") {
  std::string out;
  utf8::AppendCodepoint(out, 0x41);
  utf8::AppendCodepoint(out, 0xe9);
  utf8::AppendCodepoint(out, 0x7ff);
  utf8::AppendCodepoint(out, 0x20ac);
  utf8::AppendCodepoint(out, 0xfffd);
  utf8::AppendCodepoint(out, 0x1f600);
  utf8::AppendCodepoint(out, 0x10ffff);
  CHECK(out == "A\xc3\xa9\xdf\xbf\xe2\x82\xac\xef\xbf\xbd\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf");
  CHECK(utf8::kReplacement == "\xef\xbf\xbd");
}

// ===========================================================================
// Item content split / merge

Item StringItem(std::string s, uint64_t len) {
  Item it;
  it.kind = ContentKind::kString;
  it.str = std::move(s);
  it.length = len;
  return it;
}

TEST_CASE("SplitContent of strings, at and inside surrogate pairs") {
  SUBCASE("plain multibyte") {
    Item left = StringItem("h\xc3\xa9llo", 5);  // héllo
    Item right;
    SplitContent(left, 2, right);
    CHECK(left.str == "h\xc3\xa9");
    CHECK(left.length == 2);
    CHECK(right.str == "llo");
    CHECK(right.length == 3);
    CHECK(right.kind == ContentKind::kString);
  }
  SUBCASE("before and after a surrogate pair") {
    Item a = StringItem("a\xf0\x9f\x98\x80" "b", 4);
    Item ar;
    SplitContent(a, 1, ar);
    CHECK(a.str == "a");
    CHECK(ar.str == "\xf0\x9f\x98\x80" "b");
    CHECK(ar.length == 3);
    Item b = StringItem("a\xf0\x9f\x98\x80" "b", 4);
    Item br;
    SplitContent(b, 3, br);
    CHECK(b.str == "a\xf0\x9f\x98\x80");
    CHECK(b.length == 3);
    CHECK(br.str == "b");
  }
  SUBCASE("inside a surrogate pair: U+FFFD on both halves, lengths kept") {
    // Yjs ContentString.splice: the left half ends in a lone high surrogate and
    // the right begins with a lone low one; both are replaced by U+FFFD.
    Item left = StringItem("a\xf0\x9f\x98\x80" "b", 4);
    Item right;
    SplitContent(left, 2, right);
    CHECK(left.str == "a\xef\xbf\xbd");
    CHECK(left.length == 2);
    CHECK(right.str == "\xef\xbf\xbd" "b");
    CHECK(right.length == 2);
    // The halves still measure as many UTF-16 units as their clocks.
    CHECK(utf8::Utf16Length(left.str) == left.length);
    CHECK(utf8::Utf16Length(right.str) == right.length);
  }
  SUBCASE("inside the only character") {
    Item left = StringItem("\xf0\x9f\x98\x80", 2);
    Item right;
    SplitContent(left, 1, right);
    CHECK(left.str == "\xef\xbf\xbd");
    CHECK(right.str == "\xef\xbf\xbd");
    CHECK(left.length == 1);
    CHECK(right.length == 1);
  }
}

TEST_CASE("SplitContent and MergeContent of Any, Json, Deleted and GC") {
  Item any;
  any.kind = ContentKind::kAny;
  any.length = 4;
  any.mutable_extra().values = {Any::Number(1), Any::String("two"), Any::Null(), Any::Bool(true)};
  Item rest;
  SplitContent(any, 1, rest);
  CHECK(rest.kind == ContentKind::kAny);
  CHECK(any.length == 1);
  CHECK(rest.length == 3);
  REQUIRE(any.extra()->values.size() == 1);
  CHECK(any.extra()->values[0] == Any::Number(1));
  REQUIRE(rest.extra()->values.size() == 3);
  CHECK(rest.extra()->values[0] == Any::String("two"));
  CHECK(rest.extra()->values[2] == Any::Bool(true));
  REQUIRE(MergeContent(any, rest));
  CHECK(any.length == 4);
  REQUIRE(any.extra()->values.size() == 4);
  CHECK(any.extra()->values[1] == Any::String("two"));
  CHECK(any.extra()->values[3] == Any::Bool(true));

  Item json;
  json.kind = ContentKind::kJson;
  json.length = 2;
  json.mutable_extra().values = {Any(), Any::Number(7)};
  Item jr;
  SplitContent(json, 1, jr);
  CHECK(json.extra()->values[0].is_undefined());
  CHECK(jr.extra()->values[0] == Any::Number(7));
  CHECK(jr.kind == ContentKind::kJson);

  for (ContentKind k : {ContentKind::kDeleted, ContentKind::kGC}) {
    Item d;
    d.kind = k;
    d.length = 5;
    Item dr;
    SplitContent(d, 2, dr);
    CHECK(dr.kind == k);
    CHECK(d.length == 2);
    CHECK(dr.length == 3);
    CHECK(MergeContent(d, dr));
    CHECK(d.length == 5);
  }
}

TEST_CASE("MergeContent refuses mismatched or unmergeable kinds") {
  Item s = StringItem("ab", 2);
  Item t = StringItem("c\xf0\x9f\x98\x80", 3);
  REQUIRE(MergeContent(s, t));
  CHECK(s.str == "abc\xf0\x9f\x98\x80");
  CHECK(s.length == 5);

  Item d;
  d.kind = ContentKind::kDeleted;
  d.length = 1;
  CHECK_FALSE(MergeContent(s, d));
  CHECK(s.length == 5);

  for (ContentKind k : {ContentKind::kBinary, ContentKind::kEmbed, ContentKind::kFormat, ContentKind::kType,
                        ContentKind::kDoc}) {
    Item a, b;
    a.kind = b.kind = k;
    a.length = b.length = 1;
    CHECK_FALSE(MergeContent(a, b));
    CHECK(a.length == 1);
    CHECK_FALSE(ContentMergeable(k));
  }
  for (ContentKind k : {ContentKind::kString, ContentKind::kAny, ContentKind::kJson, ContentKind::kDeleted,
                        ContentKind::kGC}) {
    CHECK(ContentMergeable(k));
  }
}

TEST_CASE("ComputeWeights per unit") {
  Item s = StringItem("a\xc3\xa9\xf0\x9f\x98\x80", 4);
  ComputeWeights(s);
  CHECK(s.weight(kUtf16) == 4);
  CHECK(s.weight(kUtf8) == 7);
  CHECK(s.weight(kCodepoints) == 3);
  CHECK(s.weight(kItems) == 1);
  s.deleted = true;
  ComputeWeights(s);
  CHECK(s.weight(kUtf16) == 0);
  CHECK(s.weight(kUtf8) == 0);
  CHECK(s.weight(kCodepoints) == 0);
  CHECK(s.weight(kItems) == 1);

  Item any;
  any.kind = ContentKind::kAny;
  any.length = 3;
  ComputeWeights(any);
  CHECK(any.weight(kUtf16) == 3);
  CHECK(any.weight(kUtf8) == 3);
  CHECK(any.weight(kCodepoints) == 3);

  Item fmt;
  fmt.kind = ContentKind::kFormat;
  fmt.length = 1;
  ComputeWeights(fmt);
  CHECK(fmt.weight(kUtf16) == 0);
  CHECK(fmt.weight(kItems) == 1);
  CHECK_FALSE(fmt.countable());

  Item embed;
  embed.kind = ContentKind::kEmbed;
  embed.length = 1;
  ComputeWeights(embed);
  CHECK(embed.weight(kUtf8) == 1);
  CHECK(embed.visible());
}

// ===========================================================================
// Position index against a std::vector model

// Independent weights: each piece is one character with known widths.
struct Piece {
  const char* utf8;
  uint64_t u16, u8;
};
const Piece kPieces[] = {{"a", 1, 1}, {"\xc3\xa9", 1, 2}, {"\xe2\x82\xac", 1, 3}, {"\xf0\x9f\x98\x80", 2, 4}};

struct ModelNode {
  Item* item;
  uint64_t w[kUnitCount];  // expected own weights
};

class TreapModel {
 public:
  explicit TreapModel(uint64_t seed) : rng_(seed) {}

  seq::Tree root;
  std::vector<ModelNode> order;

  // Fills item with random content and returns the weights it must have.
  void RandomContent(Item* it, ModelNode& m) {
    it->reset_extra();
    it->str = ItemString();  // (no stale bytes: a payload kind reads them as its payload word)
    it->deleted = rng_() % 5 == 0;
    int kind = static_cast<int>(rng_() % 10);
    uint64_t u16 = 0, u8 = 0, cps = 0;
    if (kind < 6) {
      it->kind = ContentKind::kString;
      int n = 1 + static_cast<int>(rng_() % 4);
      for (int i = 0; i < n; i++) {
        const Piece& p = kPieces[rng_() % 4];
        it->str += p.utf8;
        u16 += p.u16;
        u8 += p.u8;
        cps++;
      }
      it->length = u16;
    } else if (kind < 9) {
      it->kind = ContentKind::kAny;
      it->length = 1 + rng_() % 3;
      u16 = u8 = cps = it->length;
    } else {
      it->kind = ContentKind::kFormat;
      it->length = 1;
    }
    bool visible = !it->deleted && it->kind != ContentKind::kFormat;
    m.w[kUtf16] = visible ? u16 : 0;
    m.w[kUtf8] = visible ? u8 : 0;
    m.w[kCodepoints] = visible ? cps : 0;
    m.w[kItems] = 1;
  }

  void Relink() {
    for (size_t i = 0; i < order.size(); i++) {
      order[i].item->left = i ? order[i - 1].item : nullptr;
      order[i].item->right = i + 1 < order.size() ? order[i + 1].item : nullptr;
    }
  }

  void InsertAt(size_t pos) {
    pool_.push_back(std::make_unique<Item>());
    Item* it = pool_.back().get();
    ModelNode m{it, {}};
    RandomContent(it, m);
    ComputeWeights(*it);
    Item* prev = pos == 0 ? nullptr : order[pos - 1].item;
    order.insert(order.begin() + static_cast<ptrdiff_t>(pos), m);
    Relink();
    seq::InsertAfter(root, prev, it);
  }

  void EraseAt(size_t pos) {
    Item* it = order[pos].item;
    order.erase(order.begin() + static_cast<ptrdiff_t>(pos));
    Relink();
    seq::Erase(root, it);
  }

  void ReweighAt(size_t pos) {
    ModelNode& m = order[pos];
    const Weights old = m.item->weights();
    if (rng_() % 2) {
      // Toggle deletion only.
      m.item->deleted = !m.item->deleted;
      bool visible = !m.item->deleted && m.item->kind != ContentKind::kFormat;
      if (visible) {
        // Recompute from content the independent way.
        uint64_t u16 = 0, u8 = 0, cps = 0;
        if (m.item->kind == ContentKind::kString) {
          for (size_t i = 0; i < m.item->str.size();) {
            for (const Piece& p : kPieces) {
              if (std::string_view(m.item->str).compare(i, p.u8, p.utf8) == 0) {
                u16 += p.u16;
                u8 += p.u8;
                cps++;
                i += p.u8;
                break;
              }
            }
          }
        } else {
          u16 = u8 = cps = m.item->length;
        }
        m.w[kUtf16] = u16;
        m.w[kUtf8] = u8;
        m.w[kCodepoints] = cps;
      } else {
        m.w[kUtf16] = m.w[kUtf8] = m.w[kCodepoints] = 0;
      }
    } else {
      RandomContent(m.item, m);
      ComputeWeights(*m.item);
    }
    seq::Reweigh(root, m.item, old);
  }

  void Step() {
    uint64_t r = rng_() % 10;
    if (order.empty() || (r < 5 && order.size() < 150)) {
      InsertAt(rng_() % (order.size() + 1));
    } else if (r < 7) {
      EraseAt(rng_() % order.size());
    } else {
      ReweighAt(rng_() % order.size());
    }
  }

  // Checks Validate, Rank of every node and Find of every position in every
  // unit; returns what went wrong (empty when all is well).
  std::string Check() {
    if (!seq::Validate(root, order.empty() ? nullptr : order[0].item)) return "Validate failed";
    for (int u = 0; u < kUnitCount; u++) {
      const Unit unit = static_cast<Unit>(u);
      const std::string where = " (unit " + std::to_string(u) + ")";
      uint64_t prefix = 0;
      for (size_t i = 0; i < order.size(); i++) {
        const ModelNode& m = order[i];
        if (m.item->weight(unit) != m.w[u]) return "weight of node " + std::to_string(i) + where;
        if (seq::Rank(m.item, unit) != prefix) return "Rank of node " + std::to_string(i) + where;
        for (uint64_t off = 0; off < m.w[u]; off++) {
          uint64_t got_off = ~uint64_t{0};
          Item* got = seq::Find(root, unit, prefix + off, &got_off);
          if (got != m.item || got_off != off) return "Find(" + std::to_string(prefix + off) + ")" + where;
        }
        prefix += m.w[u];
      }
      if (root.Total(unit) != prefix) return "total" + where;
      uint64_t dummy = 0;
      if (seq::Find(root, unit, prefix, &dummy) != nullptr) return "Find(total) found something" + where;
      if (seq::Find(root, unit, prefix + 1000, &dummy) != nullptr) return "Find past the end" + where;
    }
    return {};
  }

 private:
  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<Item>> pool_;
};

TEST_CASE("seq index: random insert/erase/reweigh against a vector model") {
  for (uint64_t seed : {1u, 2u, 3u}) {
    INFO("seed=" << seed);
    TreapModel m(seed);
    for (int step = 0; step < 2500; step++) {
      m.Step();
      std::string err = m.Check();
      REQUIRE_MESSAGE(err.empty(), "step " << step << ": " << err);
    }
    CHECK(m.order.size() > 50);  // the model really grew
    // Drain to empty.
    while (!m.order.empty()) {
      m.EraseAt(m.order.size() / 2);
      std::string err = m.Check();
      REQUIRE_MESSAGE(err.empty(), "draining: " << err);
    }
    CHECK(m.root.empty());
  }
}

TEST_CASE("seq index: insertion at the front and at the back, then Clear") {
  std::vector<std::unique_ptr<Item>> pool;
  seq::Tree root;
  std::vector<Item*> order;
  for (int i = 0; i < 200; i++) {
    pool.push_back(std::make_unique<Item>());
    Item* it = pool.back().get();
    it->kind = ContentKind::kAny;
    it->length = 1 + static_cast<uint64_t>(i % 3);
    ComputeWeights(*it);
    bool front = i % 2 == 0;
    seq::InsertAfter(root, front || order.empty() ? nullptr : order.back(), it);
    if (front) {
      order.insert(order.begin(), it);
    } else {
      order.push_back(it);
    }
    for (size_t k = 0; k < order.size(); k++) order[k]->right = k + 1 < order.size() ? order[k + 1] : nullptr;
    REQUIRE(seq::Validate(root, order[0]));
  }
  // Even i went to the front in reverse order, odd i to the back in order.
  uint64_t expected_total = 0;
  for (int i = 0; i < 200; i++) expected_total += 1 + static_cast<uint64_t>(i % 3);
  CHECK(root.Total(kUtf16) == expected_total);
  CHECK(root.Total(kItems) == 200);
  CHECK(seq::Rank(order[0], kItems) == 0);
  CHECK(seq::Rank(order[199], kItems) == 199);
  seq::Clear(root);
  CHECK(root.empty());
  CHECK(seq::Validate(root, nullptr));
  for (Item* it : order) CHECK(it->leaf() == nullptr);
}

TEST_CASE("seq::Validate detects corruption") {
  std::vector<std::unique_ptr<Item>> pool;
  seq::Tree root;
  Item* prev = nullptr;
  std::vector<Item*> order;
  for (int i = 0; i < 20; i++) {
    pool.push_back(std::make_unique<Item>());
    Item* it = pool.back().get();
    it->kind = ContentKind::kAny;
    it->length = 2;
    ComputeWeights(*it);
    seq::InsertAfter(root, prev, it);
    if (prev) prev->right = it;
    prev = it;
    order.push_back(it);
  }
  REQUIRE(seq::Validate(root, order[0]));
  // A wrong subtree sum.
  root.root->sum[kUtf8]++;
  CHECK_FALSE(seq::Validate(root, order[0]));
  root.root->sum[kUtf8]--;
  REQUIRE(seq::Validate(root, order[0]));
  // List order that disagrees with the tree.
  std::swap(order[3]->right, order[4]->right);
  CHECK_FALSE(seq::Validate(root, order[0]));
  std::swap(order[3]->right, order[4]->right);
  REQUIRE(seq::Validate(root, order[0]));
  // A list with an item the tree does not have.
  CHECK_FALSE(seq::Validate(root, order[1]));
}

// ===========================================================================
// Struct store

TEST_CASE("ClientStructs::Find agrees with a linear search on varied run lengths") {
  for (uint64_t seed : {7u, 8u, 9u, 10u}) {
    INFO("seed=" << seed);
    std::mt19937_64 rng(seed);
    std::vector<std::unique_ptr<Item>> pool;
    std::vector<Item*> structs;
    uint64_t clock = 0;
    int n = 1 + static_cast<int>(rng() % 300);
    for (int i = 0; i < n; i++) {
      uint64_t r = rng() % 20;
      uint64_t len = r == 0 ? 500 + rng() % 3000 : r < 3 ? 50 : 1 + rng() % 4;
      pool.push_back(std::make_unique<Item>());
      Item* it = pool.back().get();
      it->id = {1, clock};
      it->length = len;
      structs.push_back(it);
      clock += len;
    }
    StructStore store;
    for (Item* it : structs) store.Append(it);
    const ClientStructs& cs = store.clients[1];
    REQUIRE(cs.size() == structs.size());
    size_t expect = 0;
    uint64_t mismatches = 0, first_bad = 0;
    for (uint64_t c = 0; c < clock; c++) {
      while (structs[expect]->end_clock() <= c) expect++;
      bool ok = cs.Find(c) == structs[expect] && *cs.FindIter(c) == structs[expect];
      if (!ok && mismatches++ == 0) first_bad = c;
    }
    CHECK_MESSAGE(mismatches == 0, "first wrong clock " << first_bad);
    CHECK(std::equal(cs.begin(), cs.end(), structs.begin(), structs.end()));
    CHECK(store.State(1) == clock);
    CHECK(store.Find({1, clock}) == nullptr);
    CHECK(cs.FindIter(clock) == cs.end());
    CHECK(store.Find({1, clock - 1}) == structs.back());
    CHECK(store.Find({1, 0}) == structs.front());
    CHECK(store.Find({2, 0}) == nullptr);
    CHECK(cs.Next(structs.back()) == nullptr);
    CHECK(cs.Prev(structs.front()) == nullptr);
    if (structs.size() > 1) {
      CHECK(cs.Next(structs[0]) == structs[1]);
      CHECK(cs.Prev(structs[1]) == structs[0]);
    }
  }
}

TEST_CASE("ClientStructs: split halves insert in clock order, merges erase, the last struct is tracked") {
  Item a, b, c, d;
  a.id = {1, 0};
  a.length = 10;
  ClientStructs cs;
  CHECK(cs.empty());
  CHECK(cs.end_clock() == 0);
  CHECK(cs.Find(0) == nullptr);
  cs.Append(&a);
  // Split a at 4 (b = [4,10)), then b at 7 (c = [7,10)).
  a.length = 4;
  b.id = {1, 4};
  b.length = 6;
  cs.InsertSplit(&b);
  CHECK(cs.back() == &b);
  b.length = 3;
  c.id = {1, 7};
  c.length = 3;
  cs.InsertSplit(&c);
  CHECK(cs.size() == 3);
  CHECK(cs.back() == &c);
  CHECK(cs.Find(3) == &a);
  CHECK(cs.Find(4) == &b);
  CHECK(cs.Find(6) == &b);
  CHECK(cs.Find(9) == &c);
  CHECK(cs.end_clock() == 10);
  CHECK(cs[1] == &b);
  d.id = {1, 10};
  d.length = 2;
  cs.Append(&d);
  CHECK(cs.end_clock() == 12);
  // Merge d into c: erase d, c grows; the last struct is c again.
  c.length = 5;
  auto after = cs.Erase(cs.IterOf(&d));
  CHECK(after == cs.end());
  CHECK(cs.back() == &c);
  CHECK(cs.end_clock() == 12);
  CHECK(cs.Find(11) == &c);
  // Merge b into a from the middle: the position after it is c.
  a.length = 7;
  after = cs.Erase(cs.IterOf(&b));
  CHECK(*after == &c);
  CHECK(cs.Find(5) == &a);
  CHECK(cs.size() == 2);
}

TEST_CASE("StructStore::State and GetStateVector; state vector encoding") {
  Item a, b, c;
  a.id = {1, 0};
  a.length = 4;
  b.id = {1, 4};
  b.length = 6;
  c.id = {300, 0};
  c.length = 3;
  StructStore store;
  store.Append(&a);
  store.Append(&b);
  store.Append(&c);
  store.clients[9];  // an empty run: no state
  CHECK(store.State(1) == 10);
  CHECK(store.State(300) == 3);
  CHECK(store.State(9) == 0);
  CHECK(store.State(12345) == 0);
  StateVector sv = store.GetStateVector();
  CHECK(SortedSv(sv) == std::map<uint64_t, uint64_t>{{1, 10}, {300, 3}});

  // Count 2, then clients descending: 300 = varuint ac 02, clock 3; client 1, clock 10.
  Encoder enc;
  EncodeStateVector(sv, enc);
  CHECK(ToHex(enc.data()) == "02ac0203010a");
  Decoder dec(enc.data().data(), enc.size());
  StateVector back = DecodeStateVector(dec);
  CHECK(dec.ok());
  CHECK(dec.AtEnd());
  CHECK(SortedSv(back) == SortedSv(sv));

  Bytes bad = FromHex("0501");  // 5 entries announced, one byte left
  Decoder bd(bad.data(), bad.size());
  DecodeStateVector(bd);
  CHECK_FALSE(bd.ok());
  Bytes trunc = FromHex("02ac0203");  // second entry missing
  Decoder td(trunc.data(), trunc.size());
  DecodeStateVector(td);
  CHECK_FALSE(td.ok());
}

// ===========================================================================
// Delete sets

std::vector<std::pair<uint64_t, uint64_t>> Ranges(const DeleteSet& ds, uint64_t client) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  auto it = ds.clients.find(client);
  if (it == ds.clients.end()) return out;
  for (const DeleteRange& r : it->second) out.emplace_back(r.clock, r.len);
  return out;
}

TEST_CASE("DeleteSet::SortAndMerge: overlapping, adjacent, contained, unsorted") {
  DeleteSet ds;
  ds.Add(1, 10, 5);  // [10,15)
  ds.Add(1, 0, 2);   // [0,2)
  ds.Add(1, 2, 3);   // [2,5) adjacent to [0,2)
  ds.Add(1, 12, 1);  // contained in [10,15)
  ds.Add(1, 14, 4);  // overlaps: [10,18)
  ds.Add(1, 20, 1);  // separate
  ds.Add(1, 7, 0);   // empty: ignored
  ds.Add(2, 5, 1);
  ds.Add(2, 5, 1);  // duplicate
  ds.SortAndMerge();
  using V = std::vector<std::pair<uint64_t, uint64_t>>;
  CHECK(Ranges(ds, 1) == V{{0, 5}, {10, 8}, {20, 1}});
  CHECK(Ranges(ds, 2) == V{{5, 1}});

  CHECK(ds.Contains({1, 0}));
  CHECK(ds.Contains({1, 4}));
  CHECK_FALSE(ds.Contains({1, 5}));
  CHECK_FALSE(ds.Contains({1, 9}));
  CHECK(ds.Contains({1, 10}));
  CHECK(ds.Contains({1, 17}));
  CHECK_FALSE(ds.Contains({1, 18}));
  CHECK_FALSE(ds.Contains({1, 19}));
  CHECK(ds.Contains({1, 20}));
  CHECK_FALSE(ds.Contains({1, 21}));
  CHECK_FALSE(ds.Contains({2, 4}));
  CHECK(ds.Contains({2, 5}));
  CHECK_FALSE(ds.Contains({3, 5}));

  DeleteSet other;
  other.Add(1, 5, 5);  // fills the gap [5,10): everything up to 18 joins
  other.Add(3, 0, 2);
  ds.MergeFrom(other);
  CHECK(Ranges(ds, 1) == V{{0, 18}, {20, 1}});
  CHECK(Ranges(ds, 3) == V{{0, 2}});
}

TEST_CASE("DeleteSet::SortAndMerge against a bitmap model") {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 200; round++) {
    DeleteSet ds;
    std::vector<bool> bits(80);
    int n = static_cast<int>(rng() % 12);
    for (int i = 0; i < n; i++) {
      uint64_t clock = rng() % 70, len = rng() % 10;
      ds.Add(4, clock, len);
      for (uint64_t c = clock; c < clock + len; c++) bits[c] = true;
    }
    ds.SortAndMerge();
    // Expected ranges: maximal runs of set bits.
    std::vector<std::pair<uint64_t, uint64_t>> want;
    for (uint64_t c = 0; c < bits.size(); c++) {
      if (bits[c] && (c == 0 || !bits[c - 1])) want.emplace_back(c, 0);
      if (bits[c]) want.back().second++;
    }
    REQUIRE(Ranges(ds, 4) == want);
    for (uint64_t c = 0; c < bits.size(); c++) REQUIRE(ds.Contains({4, c}) == bits[c]);
  }
}

TEST_CASE("DeleteSet encode/decode round trip and hand-written bytes") {
  DeleteSet ds;
  ds.Add(1, 0, 3);
  ds.Add(1, 10, 2);
  ds.Add(300, 5, 1);
  ds.SortAndMerge();
  Encoder enc;
  ds.Encode(enc);
  // 2 clients; client 300 (ac 02) first: 1 range (5,1); client 1: 2 ranges (0,3) (10,2).
  CHECK(ToHex(enc.data()) == "02ac0201050101020003" "0a02");
  Decoder dec(enc.data().data(), enc.size());
  DeleteSet back = DeleteSet::Decode(dec);
  CHECK(dec.ok());
  CHECK(dec.AtEnd());
  CHECK(Ranges(back, 1) == Ranges(ds, 1));
  CHECK(Ranges(back, 300) == Ranges(ds, 300));

  Encoder empty;
  DeleteSet().Encode(empty);
  CHECK(ToHex(empty.data()) == "00");

  for (const char* bad : {"05", "0101", "010164", "01010101", "0301"}) {
    INFO(bad);
    Bytes b = FromHex(bad);
    Decoder d(b.data(), b.size());
    DeleteSet::Decode(d);
    CHECK_FALSE(d.ok());
  }
}

TEST_CASE("DeleteSetFromStore joins consecutive deleted structs") {
  std::vector<std::unique_ptr<Item>> pool;
  StructStore store;
  // client 1: [0,2) live, [2,5) deleted, [5,6) deleted GC, [6,7) live, [7,9) deleted
  struct S {
    uint64_t client, clock, len;
    bool deleted;
  };
  for (S s : {S{1, 0, 2, false}, S{1, 2, 3, true}, S{1, 5, 1, true}, S{1, 6, 1, false}, S{1, 7, 2, true},
              S{2, 0, 4, false}, S{3, 0, 1, true}}) {
    pool.push_back(std::make_unique<Item>());
    Item* it = pool.back().get();
    it->id = {s.client, s.clock};
    it->length = s.len;
    it->deleted = s.deleted;
    it->kind = s.deleted && s.clock == 5 ? ContentKind::kGC : ContentKind::kString;
    store.Append(it);
  }
  DeleteSet ds = DeleteSetFromStore(store);
  using V = std::vector<std::pair<uint64_t, uint64_t>>;
  CHECK(Ranges(ds, 1) == V{{2, 4}, {7, 2}});
  CHECK(ds.clients.count(2) == 0);
  CHECK(Ranges(ds, 3) == V{{0, 1}});
}

// ===========================================================================
// Update decoding: hand-assembled bytes
//
// lib0 v1 layout: varuint #clients; per client varuint #structs, client, first
// clock; per struct an info byte (low 5 bits content ref, 0x80 origin, 0x40
// right origin, 0x20 parentSub), origin (client, clock), right origin, and when
// neither origin is present the parent: varuint 1 + root name string, or 0 +
// parent id; then the map key when 0x20; then the content.  GC (0) and Skip
// (10) are just the info byte and a varuint length.  Then the delete set.
// Strings are varuint byte length + UTF-8.  Root "t" is 01 74, "m" is 01 6d.

absl::StatusOr<DecodedUpdate> Decode(const Bytes& b, Interner& interner) {
  return DecodeUpdate(b.data(), b.size(), interner);
}

const StructRef& OnlyRef(const DecodedUpdate& d) {
  REQUIRE(d.clients.size() == 1);
  REQUIRE(d.clients[0].second.size() == 1);
  return d.clients[0].second[0];
}

TEST_CASE("DecodeUpdate: every content kind") {
  Interner interner;
  SUBCASE("GC") {
    auto d = Decode(FromHex("01010100" "0005" "00"), interner);  // GC of length 5
    REQUIRE(d.ok());
    const StructRef& r = OnlyRef(*d);
    CHECK(r.item->kind == ContentKind::kGC);
    CHECK(r.item->length == 5);
    CHECK(r.item->id == Id{1, 0});
  }
  SUBCASE("Deleted") {
    auto d = Decode(FromHex("01010100" "01" "010174" "03" "00"), interner);  // 3 deleted clocks in root t
    REQUIRE(d.ok());
    const StructRef& r = OnlyRef(*d);
    CHECK(r.item->kind == ContentKind::kDeleted);
    CHECK(r.item->length == 3);
    REQUIRE(r.parent_root != nullptr);
    CHECK(*r.parent_root == "t");
    CHECK_FALSE(r.item->origin.present());
  }
  SUBCASE("JSON") {
    // 3 values: "1", "\"x\"" and "undefined" (Yjs writes undefined that way).
    auto d = Decode(FromHex("01010100" "02" "010174" "03" "0131" "03227822" "09756e646566696e6564" "00"), interner);
    REQUIRE(d.ok());
    const StructRef& r = OnlyRef(*d);
    CHECK(r.item->kind == ContentKind::kJson);
    CHECK(r.item->length == 3);
    REQUIRE(r.item->extra()->values.size() == 3);
    CHECK(r.item->extra()->values[0] == Any::Number(1));
    CHECK(r.item->extra()->values[1] == Any::String("x"));
    CHECK(r.item->extra()->values[2].is_undefined());
  }
  SUBCASE("Binary") {
    auto d = Decode(FromHex("01010100" "03" "010174" "03010203" "00"), interner);
    REQUIRE(d.ok());
    const StructRef& r = OnlyRef(*d);
    CHECK(r.item->kind == ContentKind::kBinary);
    CHECK(r.item->length == 1);
    CHECK(r.item->str == std::string("\x01\x02\x03"));
  }
  SUBCASE("String") {
    // "hé😀": 7 UTF-8 bytes, 4 UTF-16 units.
    auto d = Decode(FromHex("01010100" "04" "010174" "0768c3a9f09f9880" "00"), interner);
    REQUIRE(d.ok());
    const StructRef& r = OnlyRef(*d);
    CHECK(r.item->kind == ContentKind::kString);
    CHECK(r.item->length == 4);
    CHECK(r.item->str == "h\xc3\xa9\xf0\x9f\x98\x80");
  }
  SUBCASE("Embed") {
    auto d = Decode(FromHex("01010100" "05" "010174" "077b2261223a317d" "00"), interner);  // {"a":1}
    REQUIRE(d.ok());
    const StructRef& r = OnlyRef(*d);
    CHECK(r.item->kind == ContentKind::kEmbed);
    CHECK(r.item->length == 1);
    CHECK(r.item->extra()->value == *Any::FromJson("{\"a\":1}"));
  }
  SUBCASE("Format") {
    auto d = Decode(FromHex("01010100" "06" "010174" "04626f6c64" "0474727565" "00"), interner);  // bold: true
    REQUIRE(d.ok());
    const StructRef& r = OnlyRef(*d);
    CHECK(r.item->kind == ContentKind::kFormat);
    CHECK(r.item->length == 1);
    CHECK(r.item->extra()->key == "bold");
    CHECK(r.item->extra()->value == Any::Bool(true));
  }
  SUBCASE("Type: map, and an XmlElement with its node name") {
    auto d = Decode(FromHex("01020100" "07" "010174" "01" "87" "0100" "03" "0170" "00"), interner);
    REQUIRE(d.ok());
    REQUIRE(d->clients[0].second.size() == 2);
    const Item* map = d->clients[0].second[0].item;
    CHECK(map->kind == ContentKind::kType);
    CHECK(map->extra()->value == Any::Number(1));
    const Item* xml = d->clients[0].second[1].item;
    CHECK(xml->id == Id{1, 1});
    CHECK(xml->origin == OptId::Of({1, 0}));
    CHECK(xml->extra()->value == Any::Number(3));
    CHECK(xml->extra()->key == "p");
  }
  SUBCASE("Any") {
    // 3 values: varInt 5 (tag 7d), string "hi" (tag 77), true (tag 78).
    auto d = Decode(FromHex("01010100" "08" "010174" "03" "7d05" "77026869" "78" "00"), interner);
    REQUIRE(d.ok());
    const StructRef& r = OnlyRef(*d);
    CHECK(r.item->kind == ContentKind::kAny);
    CHECK(r.item->length == 3);
    REQUIRE(r.item->extra()->values.size() == 3);
    CHECK(r.item->extra()->values[0] == Any::Number(5));
    CHECK(r.item->extra()->values[1] == Any::String("hi"));
    CHECK(r.item->extra()->values[2] == Any::Bool(true));
  }
  SUBCASE("Doc") {
    // guid "abc", options {meta: "x"} as lib0 any: object tag 76, 1 key.
    auto d = Decode(FromHex("01010100" "09" "010174" "03616263" "7601046d657461" "770178" "00"), interner);
    REQUIRE(d.ok());
    const StructRef& r = OnlyRef(*d);
    CHECK(r.item->kind == ContentKind::kDoc);
    CHECK(r.item->length == 1);
    CHECK(r.item->extra()->key == "abc");
    CHECK(r.item->extra()->value == *Any::FromJson("{\"meta\":\"x\"}"));
  }
  SUBCASE("Skip") {
    auto d = Decode(FromHex("01010103" "0a04" "00"), interner);  // 4 skipped clocks starting at 3
    REQUIRE(d.ok());
    const StructRef& r = OnlyRef(*d);
    CHECK(r.item->kind == ContentKind::kSkip);
    CHECK(r.item->id == Id{1, 3});
    CHECK(r.item->length == 4);
  }
  SUBCASE("parent by id, map key, both origins") {
    // struct 1: Any in the type whose item is (5,2), under key "k" (info 0x28);
    // struct 2: string "x" with origin (7,0) and right origin (7,1) (info 0xc4).
    auto d = Decode(FromHex("01020100" "28" "000502" "016b" "01" "7e" "c4" "07000701" "0178" "00"), interner);
    REQUIRE(d.ok());
    const auto& refs = d->clients[0].second;
    REQUIRE(refs.size() == 2);
    CHECK(refs[0].parent_id == OptId::Of({5, 2}));
    CHECK(refs[0].parent_root == nullptr);
    REQUIRE(refs[0].item->parent_sub() != nullptr);
    CHECK(*refs[0].item->parent_sub() == "k");
    CHECK(refs[0].item->extra()->values[0].is_null());
    CHECK(refs[1].item->id == Id{1, 1});
    CHECK(refs[1].item->origin == OptId::Of({7, 0}));
    CHECK(refs[1].item->right_origin == OptId::Of({7, 1}));
    CHECK(refs[1].item->str == "x");
  }
  SUBCASE("delete set") {
    auto d = Decode(FromHex("00" "02" "0501" "0302" "01" "02" "0001" "0a05"), interner);
    REQUIRE(d.ok());
    CHECK(d->clients.empty());
    using V = std::vector<std::pair<uint64_t, uint64_t>>;
    CHECK(Ranges(d->ds, 5) == V{{3, 2}});
    CHECK(Ranges(d->ds, 1) == V{{0, 1}, {10, 5}});
  }
}

// Two clients, several content kinds and a delete set (see the layout above):
//   client 5 (2 structs from clock 0): "hi" in root t; "é" with origin (5,1)
//   client 1 (3 structs from clock 0): {k: 5} in root map m (Any, key "k");
//     "x" with origin (5,0) and right origin (5,1); a GC of length 2 at clock 2
//   delete set: client 5, clock 0, length 1 (the "h")
const char kRichUpdate[] =
    "02"
    "020500" "04010174026869" "84050102c3a9"
    "030100" "2801016d016b" "017d05" "c405000501" "0178" "0002"
    "0105010001";

TEST_CASE("DecodeUpdate and ApplyUpdate of a hand-assembled multi-client update") {
  Bytes u = FromHex(kRichUpdate);
  Interner interner;
  auto d = Decode(u, interner);
  REQUIRE(d.ok());
  REQUIRE(d->clients.size() == 2);
  CHECK(d->clients[0].first == 5);
  CHECK(d->clients[1].first == 1);
  CHECK(d->clients[1].second[2].item->kind == ContentKind::kGC);
  CHECK(d->clients[1].second[2].item->id == Id{1, 2});

  std::vector<std::unique_ptr<Doc>> docs;
  Doc* doc = NewDoc(docs, 99);
  REQUIRE(Apply(*doc, u).ok());
  // "h" "x" "i" "é" with "h" deleted; "x" went between h and i.
  CHECK(Str(*doc) == "xi\xc3\xa9");
  auto m = doc->Root("m", TypeRef::kMap);
  REQUIRE(m.ok());
  CHECK(types::ToAny(**m) == *Any::FromJson("{\"k\":5}"));
  CHECK(SortedSv(doc->store().GetStateVector()) == std::map<uint64_t, uint64_t>{{1, 4}, {5, 3}});
  CHECK_FALSE(doc->has_pending());
}

TEST_CASE("DecodeUpdate: every truncation of a valid update is DataLoss") {
  Bytes u = FromHex(kRichUpdate);
  for (size_t n = 0; n < u.size(); n++) {
    INFO("prefix length " << n);
    Interner interner;
    auto d = DecodeUpdate(u.data(), n, interner);
    REQUIRE_FALSE(d.ok());
    CHECK(absl::IsDataLoss(d.status()));
    // And a doc refuses it without changing.
    std::vector<std::unique_ptr<Doc>> docs;
    Doc* doc = NewDoc(docs, 99);
    CHECK(absl::IsDataLoss(ApplyUpdate(*doc, u.data(), n, std::nullopt)));
    CHECK(doc->store().clients.empty());
  }
}

TEST_CASE("A keystroke whose right origin has clock 2^64 - 1 is refused, not appended to the run") {
  // The remote-keystroke path (ReadRunAppend) compares right origins; 2^64 - 1
  // is an absent OptId's clock, which would match the run's absent right origin.
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* doc = NewDoc(docs, 99);
  REQUIRE(Apply(*doc, FromHex("01010100" "04" "010174" "0161" "00")).ok());
  CHECK(absl::IsDataLoss(Apply(*doc, FromHex("01010101" "c4" "0100" "02" "ffffffffffffffffff01" "0162" "00"))));
  CHECK(SortedSv(doc->store().GetStateVector()) == std::map<uint64_t, uint64_t>{{1, 1}});
  // The same keystroke with a real right origin is fine.
  CHECK(Apply(*doc, FromHex("01010101" "84" "0100" "0162" "00")).ok());
  CHECK(SortedSv(doc->store().GetStateVector()) == std::map<uint64_t, uint64_t>{{1, 2}});
}

TEST_CASE("DecodeUpdate: malformed inputs are DataLoss") {
  std::vector<std::pair<std::string, std::string>> cases = {
      {"type ref 7", "01010100" "07" "010174" "07" "00"},
      {"type ref 200", "01010100" "07" "010174" "c801" "00"},
      {"empty string", "01010100" "04" "010174" "00" "00"},
      {"GC of length 0", "01010100" "0000" "00"},
      {"Skip of length 0", "01010100" "0a00" "00"},
      {"Deleted of length 0", "01010100" "01" "010174" "00" "00"},
      {"Any with 0 values", "01010100" "08" "010174" "00" "00"},
      {"JSON with 0 values", "01010100" "02" "010174" "00" "00"},
      {"origin at its own clock", "01010100" "84" "0100" "0178" "00"},
      {"origin later in its own client", "01010100" "84" "0105" "0178" "00"},
      {"right origin later in its own client", "01010100" "44" "0103" "0178" "00"},
      {"parent id later in its own client", "01010100" "04" "00" "0103" "0178" "00"},
      // 2^64 - 1 is the clock an absent OptId holds: refused, never read as "no origin".
      {"origin clock 2^64 - 1", "01010100" "84" "02" "ffffffffffffffffff01" "0178" "00"},
      {"right origin clock 2^64 - 1", "01010100" "44" "02" "ffffffffffffffffff01" "0178" "00"},
      {"parent id clock 2^64 - 1", "01010100" "04" "00" "02" "ffffffffffffffffff01" "0178" "00"},
      {"origin at the struct's own clock after a first struct", "01020100" "04010174" "0161" "84" "0101" "0162" "00"},
      {"client count larger than the data", "05" "00"},
      {"struct count larger than the data", "01640100" "00"},
      {"Any count larger than the data", "01010100" "08" "010174" "64" "7e" "00"},
      {"JSON count larger than the data", "01010100" "02" "010174" "64" "0131" "00"},
      {"string length larger than the data", "01010100" "04" "010174" "10" "68" "00"},
      {"delete set client count larger than the data", "00" "0501"},
      {"delete set range count larger than the data", "00" "01" "01" "64" "0000"},
      {"trailing byte", "0101010004010174016100" "00"},
      {"trailing bytes after an empty update", "0000" "0102"},
      {"empty input", ""},
      {"invalid UTF-8 in a string", "01010100" "04" "010174" "01ff" "00"},
      {"surrogate in a string", "01010100" "04" "010174" "03eda080" "00"},
      {"invalid UTF-8 in a root name", "01010100" "04" "0101ff" "0178" "00"},
      {"invalid UTF-8 in a map key", "01010100" "28" "010174" "01c0" "017e" "00"},
      {"invalid JSON content", "01010100" "02" "010174" "01" "017b" "00"},
      {"invalid JSON embed", "01010100" "05" "010174" "017b" "00"},
      {"invalid format value", "01010100" "06" "010174" "0162" "017b" "00"},
      {"unknown any tag", "01010100" "08" "010174" "01" "10" "00"},
      {"clock beyond 2^53", "01010180808080808080808001" "0001" "00"},
      {"length beyond 2^53", "01010100" "0080808080808080808001" "00"},
      {"varint longer than 64 bits", "01" "01" "01" "ffffffffffffffffffff01" "0001" "00"},
  };
  for (int ref = 11; ref <= 31; ref++) {
    // An unknown content ref, placed after a complete parent so that only the ref is wrong.
    char info[3];
    std::snprintf(info, sizeof info, "%02x", ref);
    cases.emplace_back("content ref " + std::to_string(ref), std::string("01010100") + info + "010174" + "0178" + "00");
  }
  for (auto& [name, hex] : cases) {
    INFO(name);
    Bytes b = FromHex(hex);
    Interner interner;
    auto d = DecodeUpdate(b.data(), b.size(), interner);
    REQUIRE_FALSE(d.ok());
    CHECK(absl::IsDataLoss(d.status()));
    CHECK(absl::IsDataLoss(MergeUpdates({View(b)}).status()));
  }
}

TEST_CASE("ApplyUpdate: a malformed update leaves the document unchanged") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* doc = NewDoc(docs, 1);
  Insert(*doc, 0, "abc");
  Bytes before = Full(*doc);
  Bytes bad = FromHex("01010200" "04" "010174" "0178" "00" "ff");  // trailing byte
  CHECK(absl::IsDataLoss(Apply(*doc, bad)));
  CHECK(Str(*doc) == "abc");
  CHECK(Full(*doc) == before);
  Bytes good = FromHex("01010200" "04" "010174" "0178" "00");
  REQUIRE(Apply(*doc, good).ok());
  // Both root-level inserts without origins: "x" from client 2 and "abc" from client 1.
  // Equal (absent) origins: the lower client id goes first.
  CHECK(Str(*doc) == "abcx");
}

// ===========================================================================
// Encoding the state

TEST_CASE("EncodeStateAsUpdate: bytes of small documents") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* doc = NewDoc(docs, 1);
  Insert(*doc, 0, "hi");
  // 1 client; 1 struct; client 1; clock 0; string (04) in root "t" (01 01 74); "hi"; empty delete set.
  CHECK(ToHex(Full(*doc)) == "010101000401017402686900");
  Delete(*doc, 1, 1);
  // 2 structs: "h" (04 ... 01 68), then the collected "i" as Deleted content with origin (1,0):
  // info 81, origin 01 00, length 01; delete set: 1 client, client 1, 1 range (1,1).
  CHECK(ToHex(Full(*doc)) == "01020100" "04010174" "0168" "81" "0100" "01" "0101010101");
  // Diff against {1: 1}: only the Deleted struct, the delete set stays whole.
  StateVector sv;
  sv[1] = 1;
  CHECK(ToHex(EncodeStateAsUpdate(*doc, &sv)) == "01010101" "81" "0100" "01" "0101010101");
  // A peer that has everything gets no structs.
  sv[1] = 2;
  CHECK(ToHex(EncodeStateAsUpdate(*doc, &sv)) == "00" "0101010101");
  // A diff starting inside a struct writes its tail with an origin at the clock before.
  Doc* abc = NewDoc(docs, 1);
  Insert(*abc, 0, "abc");
  sv[1] = 1;
  CHECK(ToHex(EncodeStateAsUpdate(*abc, &sv)) == "01010101" "84" "0100" "026263" "00");
}

TEST_CASE("EncodeStateAsUpdate of an empty document is [0,0]") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* doc = NewDoc(docs, 1);
  CHECK(Full(*doc) == Bytes{0, 0});
}

TEST_CASE("Round trip through EncodeStateAsUpdate keeps text, state and bytes") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* a = NewDoc(docs, 11);
  Insert(*a, 0, "h\xc3\xa9llo w\xf0\x9f\x98\x80rld");
  Delete(*a, 2, 3);
  Insert(*a, 1, "XYZ");
  Doc* b = NewDoc(docs, 12);
  REQUIRE(Apply(*b, Full(*a)).ok());
  CHECK(Str(*b) == Str(*a));
  CHECK(Str(*b) == "hXYZ\xc3\xa9 w\xf0\x9f\x98\x80rld");
  CHECK(SortedSv(b->store().GetStateVector()) == SortedSv(a->store().GetStateVector()));
  CHECK(Full(*b) == Full(*a));
  // Applying the same update twice changes nothing.
  REQUIRE(Apply(*b, Full(*a)).ok());
  CHECK(Full(*b) == Full(*a));
}

TEST_CASE("Encoder: cursor writes equal a byte-by-byte lib0 writer across growth; Release hands the bytes over") {
  // Reference: lib0 writeVarUint, 7 bits per byte, low first, 0x80 = more.
  auto naive = [](Bytes& out, uint64_t v) {
    while (v > 0x7f) {
      out.push_back(static_cast<uint8_t>(0x80 | (v & 0x7f)));
      v >>= 7;
    }
    out.push_back(static_cast<uint8_t>(v));
  };
  Encoder enc;
  Bytes want;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; i++) {
    uint64_t v = rng() >> (rng() % 64);  // every length from 1 to 10 bytes
    enc.WriteVarUint(v);
    naive(want, v);
    if (i % 97 == 0) {
      enc.WriteVarString("abc");
      naive(want, 3);
      want.insert(want.end(), {'a', 'b', 'c'});
    }
  }
  CHECK(enc.size() == want.size());
  CHECK(Bytes(enc.data()) == want);
  size_t len = 0;
  uint8_t* p = enc.Release(&len);
  REQUIRE(p != nullptr);
  CHECK(len == want.size());
  CHECK(std::memcmp(p, want.data(), len) == 0);
  CHECK(p[len] == 0);
  std::free(p);
  CHECK(enc.size() == 0);
  enc.WriteUint8(5);  // usable again after Release
  CHECK(ToHex(enc.data()) == "05");
}

TEST_CASE("EncodeStateAsUpdate: origins naming the largest client id round-trip") {
  // 2^64-1 takes the full 10-byte varuint; the encoder caches the last client's bytes.
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* src = NewDoc(docs, UINT64_MAX);
  Insert(*src, 0, "ad");
  Insert(*src, 1, "bc");  // origin and right origin both name client 2^64-1
  Delete(*src, 0, 1);
  Bytes state = Full(*src);
  // 1 client, 3 structs, client 2^64-1 = ff ff ff ff ff ff ff ff ff 01, clock 0.
  CHECK(ToHex(Bytes(state.begin(), state.begin() + 13)) == "0103ffffffffffffffffff0100");
  Doc* dst = NewDoc(docs, 2);
  REQUIRE(Apply(*dst, state).ok());
  CHECK(Str(*dst) == "bcd");
  CHECK(Full(*dst) == state);
}

TEST_CASE("ApplyUpdate: clients in ascending order integrate as in descending order") {
  // Client 1 writes "a", client 5 writes "b", both at the start of root "t":
  // per client 01 (one struct), client, clock 00, 04 (string, no origins),
  // parent 01 01 74 (root "t"), content 01 61 / 01 62; empty delete set 00.
  Bytes ascending = FromHex("02" "010100" "0401017401" "61" "010500" "0401017401" "62" "00");
  Bytes descending = FromHex("02" "010500" "0401017401" "62" "010100" "0401017401" "61" "00");
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* a = NewDoc(docs, 9);
  Doc* d = NewDoc(docs, 9);
  REQUIRE(Apply(*a, ascending).ok());
  REQUIRE(Apply(*d, descending).ok());
  // No origins on either side: the lower client id goes first.
  CHECK(Str(*a) == "ab");
  CHECK(Str(*d) == "ab");
  CHECK(Full(*a) == Full(*d));
}

TEST_CASE("ApplyUpdate: a delete set naming a client twice, apart, deletes every range") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* one = NewDoc(docs, 1);
  Insert(*one, 0, "abc");
  Doc* two = NewDoc(docs, 2);
  REQUIRE(Apply(*two, Full(*one)).ok());
  Insert(*two, 3, "xyz");
  Doc* dst = NewDoc(docs, 3);
  REQUIRE(Apply(*dst, Full(*two)).ok());
  REQUIRE(Str(*dst) == "abcxyz");
  // No structs; delete set of 3 entries: client 1 (0,1), client 2 (1,1), client 1 again (2,1).
  REQUIRE(Apply(*dst, FromHex("00" "03" "01010001" "02010101" "01010201")).ok());
  CHECK(Str(*dst) == "bxz");
  CHECK_FALSE(dst->has_pending());
}

TEST_CASE("ApplyUpdate: a whole state of text typed into the middle many times decodes to the same bytes") {
  // Every insertion lands inside an earlier run, so later structs of the state
  // refer into the middle of earlier ones (the decoder must not merge runs a
  // later struct splits again, and must end with the same structs).
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* src = NewDoc(docs, 4);
  std::mt19937 rng(3);
  std::string model;
  for (int i = 0; i < 300; i++) {
    size_t at = model.empty() ? 0 : rng() % (model.size() + 1);
    std::string s(1 + rng() % 4, static_cast<char>('a' + i % 26));
    Insert(*src, at, s);
    model.insert(at, s);
    if (i % 5 == 4 && model.size() > 4) {
      size_t from = rng() % (model.size() - 2);
      Delete(*src, from, 2);
      model.erase(from, 2);
    }
  }
  REQUIRE(Str(*src) == model);
  Doc* dst = NewDoc(docs, 5);
  REQUIRE(Apply(*dst, Full(*src)).ok());
  CHECK(Str(*dst) == model);
  CHECK(Full(*dst) == Full(*src));
  CHECK(dst->store().clients.at(4).size() == src->store().clients.at(4).size());
}

// ===========================================================================
// Integration

TEST_CASE("Concurrent inserts at the same position converge in all 6 delivery orders") {
  // Base "xy" from client 10; clients 1, 2, 3 each insert at index 1 (origin x,
  // right origin y).  Equal origins: the lower client id comes first (Yjs).
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* base = NewDoc(docs, 10);
  Insert(*base, 0, "xy");
  Bytes bu = Full(*base);
  std::vector<Bytes> updates;
  const char* texts[] = {"111", "222", "333"};
  for (uint64_t c = 1; c <= 3; c++) {
    Doc* d = NewDoc(docs, c);
    REQUIRE(Apply(*d, bu).ok());
    Insert(*d, 1, texts[c - 1]);
    updates.push_back(Full(*d));
  }
  std::vector<int> perm = {0, 1, 2};
  int orders = 0;
  do {
    INFO("order " << perm[0] << perm[1] << perm[2]);
    std::vector<std::unique_ptr<Doc>> local;
    Doc* r = NewDoc(local, 77);
    for (int i : perm) REQUIRE(Apply(*r, updates[static_cast<size_t>(i)]).ok());
    CHECK(Str(*r) == "x111222333y");
    orders++;
  } while (std::next_permutation(perm.begin(), perm.end()));
  CHECK(orders == 6);
}

TEST_CASE("Concurrent inserts into an empty text: lower client first, all orders") {
  std::vector<std::unique_ptr<Doc>> docs;
  std::vector<Bytes> updates;
  // Client ids chosen so that creation order differs from id order.
  std::pair<uint64_t, const char*> inserts[] = {{3, "three"}, {1, "one"}, {2, "two"}};
  for (auto [client, s] : inserts) {
    Doc* d = NewDoc(docs, client);
    Insert(*d, 0, s);
    updates.push_back(Full(*d));
  }
  std::vector<int> perm = {0, 1, 2};
  do {
    std::vector<std::unique_ptr<Doc>> local;
    Doc* r = NewDoc(local, 50);
    for (int i : perm) REQUIRE(Apply(*r, updates[static_cast<size_t>(i)]).ok());
    CHECK(Str(*r) == "onetwothree");
  } while (std::next_permutation(perm.begin(), perm.end()));
}

TEST_CASE("Interleaved concurrent inserts and deletes converge") {
  // Base "abcdef" (client 10).
  //   client 1: delete "bcd", insert "X" at 1.  Yjs skips deleted items before
  //             inserting text, so X goes after d (origin d, right origin e).
  //   client 2: insert "Y" at 3 (between c and d), delete "f".
  //   client 3: insert "Z" at the end, then "W" at 0.
  // Sequence: W a [b c] Y [d] X e [f] Z  ->  "WaYXeZ".
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* base = NewDoc(docs, 10);
  Insert(*base, 0, "abcdef");
  Bytes bu = Full(*base);
  Doc* d1 = NewDoc(docs, 1);
  Doc* d2 = NewDoc(docs, 2);
  Doc* d3 = NewDoc(docs, 3);
  for (Doc* d : {d1, d2, d3}) REQUIRE(Apply(*d, bu).ok());
  Delete(*d1, 1, 3);
  Insert(*d1, 1, "X");
  Insert(*d2, 3, "Y");
  Delete(*d2, 6, 1);
  Insert(*d3, 6, "Z");
  Insert(*d3, 0, "W");
  CHECK(Str(*d1) == "aXef");
  CHECK(Str(*d2) == "abcYde");
  CHECK(Str(*d3) == "WabcdefZ");
  std::vector<Bytes> updates = {Full(*d1), Full(*d2), Full(*d3)};
  std::vector<int> perm = {0, 1, 2};
  do {
    std::vector<std::unique_ptr<Doc>> local;
    Doc* r = NewDoc(local, 50);
    for (int i : perm) REQUIRE(Apply(*r, updates[static_cast<size_t>(i)]).ok());
    CHECK(Str(*r) == "WaYXeZ");
  } while (std::next_permutation(perm.begin(), perm.end()));
  // The peers converge too, each receiving the others' state.
  for (Doc* d : {d1, d2, d3}) {
    for (const Bytes& u : updates) REQUIRE(Apply(*d, u).ok());
    CHECK(Str(*d) == "WaYXeZ");
  }
  CHECK(Full(*d1) == Full(*d2));
  CHECK(Full(*d2) == Full(*d3));
}

TEST_CASE("Pending structs: updates delivered in reverse order") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* src = NewDoc(docs, 1);
  Recorder rec(*src);
  Insert(*src, 0, "a");
  Insert(*src, 1, "b");
  Insert(*src, 2, "c");
  REQUIRE(rec.updates.size() == 3);
  Doc* dst = NewDoc(docs, 2);
  REQUIRE(Apply(*dst, rec.updates[2]).ok());
  CHECK(dst->has_pending());
  CHECK(Str(*dst) == "");
  CHECK(dst->store().State(1) == 0);
  REQUIRE(Apply(*dst, rec.updates[1]).ok());
  CHECK(dst->has_pending());
  CHECK(Str(*dst) == "");
  REQUIRE(Apply(*dst, rec.updates[0]).ok());
  CHECK_FALSE(dst->has_pending());
  CHECK(Str(*dst) == "abc");
  CHECK(dst->store().State(1) == 3);
  CHECK(Full(*dst) == Full(*src));
}

TEST_CASE("Pending structs travel in EncodeStateAsUpdate") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* src = NewDoc(docs, 1);
  Recorder rec(*src);
  Insert(*src, 0, "a");
  Insert(*src, 1, "b");
  Doc* mid = NewDoc(docs, 2);
  REQUIRE(Apply(*mid, rec.updates[1]).ok());
  REQUIRE(mid->has_pending());
  // A third doc receiving mid's state plus the first update ends complete.
  Doc* dst = NewDoc(docs, 3);
  REQUIRE(Apply(*dst, Full(*mid)).ok());
  REQUIRE(Apply(*dst, rec.updates[0]).ok());
  CHECK(Str(*dst) == "ab");
  CHECK_FALSE(dst->has_pending());
}

TEST_CASE("Pending structs across clients: an insert that depends on another client") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* a = NewDoc(docs, 1);
  Insert(*a, 0, "ac");
  Bytes ua = Full(*a);
  Doc* b = NewDoc(docs, 2);
  REQUIRE(Apply(*b, ua).ok());
  Recorder rec(*b);
  Insert(*b, 1, "b");
  Doc* c = NewDoc(docs, 3);
  REQUIRE(Apply(*c, rec.updates[0]).ok());  // "b" refers to client 1, unknown here
  CHECK(c->has_pending());
  CHECK(Str(*c) == "");
  REQUIRE(Apply(*c, ua).ok());
  CHECK_FALSE(c->has_pending());
  CHECK(Str(*c) == "abc");
}

TEST_CASE("Pending delete set: deleting structs that arrive later") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* src = NewDoc(docs, 1);
  Recorder rec(*src);
  Insert(*src, 0, "hello");
  Delete(*src, 1, 3);
  REQUIRE(rec.updates.size() == 2);
  Doc* dst = NewDoc(docs, 2);
  REQUIRE(Apply(*dst, rec.updates[1]).ok());  // a delete set only, for clocks we lack
  CHECK(dst->has_pending());
  CHECK(Str(*dst) == "");
  REQUIRE(Apply(*dst, rec.updates[0]).ok());
  CHECK(Str(*dst) == "ho");
  CHECK_FALSE(dst->has_pending());
  CHECK(Full(*dst) == Full(*src));
}

TEST_CASE("Pending delete set: partly known ranges apply what they can") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* src = NewDoc(docs, 1);
  Recorder rec(*src);
  Insert(*src, 0, "ab");
  Insert(*src, 2, "cd");
  Delete(*src, 1, 2);  // deletes "b" (known everywhere) and "c" (second update)
  Doc* dst = NewDoc(docs, 2);
  REQUIRE(Apply(*dst, rec.updates[0]).ok());
  REQUIRE(Apply(*dst, rec.updates[2]).ok());
  CHECK(Str(*dst) == "a");
  CHECK(dst->has_pending());
  REQUIRE(Apply(*dst, rec.updates[1]).ok());
  CHECK(Str(*dst) == "ad");
  CHECK_FALSE(dst->has_pending());
}

TEST_CASE("A pending delete set travels in EncodeStateAsUpdate") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* src = NewDoc(docs, 1);
  Recorder rec(*src);
  Insert(*src, 0, "hello");
  Delete(*src, 1, 3);
  Doc* mid = NewDoc(docs, 2);
  REQUIRE(Apply(*mid, rec.updates[1]).ok());
  REQUIRE(mid->has_pending());
  // No structs, the delete set (1: 1..4) that mid could not apply yet.
  CHECK(ToHex(Full(*mid)) == "00" "01" "01" "01" "0103");
  Doc* dst = NewDoc(docs, 3);
  REQUIRE(Apply(*dst, Full(*mid)).ok());
  REQUIRE(Apply(*dst, rec.updates[0]).ok());
  CHECK(Str(*dst) == "ho");
  CHECK_FALSE(dst->has_pending());
}

TEST_CASE("An insert whose origin was deleted and collected meanwhile") {
  // a deletes "b" (collected to Deleted content, still linked); b concurrently
  // types "X" right after "b".  The Deleted item keeps its place: "aXc".
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* a = NewDoc(docs, 1);
  Insert(*a, 0, "abc");
  Doc* b = NewDoc(docs, 2);
  REQUIRE(Apply(*b, Full(*a)).ok());
  Delete(*a, 1, 1);
  Insert(*b, 2, "X");
  REQUIRE(Apply(*a, Full(*b)).ok());
  REQUIRE(Apply(*b, Full(*a)).ok());
  CHECK(Str(*a) == "aXc");
  CHECK(Str(*b) == "aXc");
  CHECK(Full(*a) == Full(*b));
}

TEST_CASE("An insert into a nested map deleted concurrently becomes GC") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* a = NewDoc(docs, 1);
  Branch* ma = *a->Root("m", TypeRef::kMap);
  REQUIRE(types::MapSetType(*a, ma, "inner", TypeRef::kMap).ok());
  Doc* b = NewDoc(docs, 2);
  REQUIRE(Apply(*b, Full(*a)).ok());
  Branch* mb = *b->Root("m", TypeRef::kMap);
  const Item* inner_b = types::MapGet(*mb, "inner");
  REQUIRE(inner_b != nullptr);
  REQUIRE(inner_b->kind == ContentKind::kType);
  REQUIRE(types::MapSet(*b, inner_b->type(), "x", Any::Number(1)).ok());
  REQUIRE(types::MapDelete(*a, ma, "inner").ok());
  REQUIRE(Apply(*a, Full(*b)).ok());
  REQUIRE(Apply(*b, Full(*a)).ok());
  CHECK(types::ToAny(*ma).ToJson() == "{}");
  CHECK(types::ToAny(*mb).ToJson() == "{}");
  // Client 2's only struct, x, lost its parent on both sides.
  for (Doc* d : {a, b}) {
    auto& structs = d->store().clients[2];
    REQUIRE(structs.size() == 1);
    CHECK(structs[0]->kind == ContentKind::kGC);
  }
  CHECK(SortedSv(a->store().GetStateVector()) == SortedSv(b->store().GetStateVector()));
  CHECK(Full(*a) == Full(*b));
}

TEST_CASE("Local typing merges into one struct; deleting the middle leaves three") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* doc = NewDoc(docs, 1);
  Insert(*doc, 0, "a");
  Insert(*doc, 1, "b");
  Insert(*doc, 2, "c");
  auto& structs = doc->store().clients[1];
  REQUIRE(structs.size() == 1);
  CHECK(structs[0]->str == "abc");
  CHECK(structs[0]->length == 3);
  Delete(*doc, 1, 1);
  REQUIRE(structs.size() == 3);
  CHECK(structs[0]->kind == ContentKind::kString);
  CHECK(structs[0]->str == "a");
  CHECK(structs[1]->kind == ContentKind::kDeleted);
  CHECK(structs[1]->deleted);
  CHECK(structs[1]->length == 1);
  CHECK(structs[1]->str.empty());
  CHECK(structs[2]->kind == ContentKind::kString);
  CHECK(structs[2]->str == "c");
  CHECK(Str(*doc) == "ac");
  Branch* t = TextOf(*doc);
  CHECK(seq::Validate(t->tree, t->start));
  // Deleting the rest: adjacent deleted structs merge into one Deleted run.
  Delete(*doc, 0, 2);
  REQUIRE(structs.size() == 1);
  CHECK(structs[0]->kind == ContentKind::kDeleted);
  CHECK(structs[0]->length == 3);
}

TEST_CASE("Typing in the middle splits for good") {
  // "ac" then "b" at 1: a | b | c in the list; a and c can't merge (b sits between).
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* doc = NewDoc(docs, 1);
  Insert(*doc, 0, "ac");
  Insert(*doc, 1, "b");
  CHECK(Str(*doc) == "abc");
  CHECK(doc->store().clients[1].size() == 3);
}

TEST_CASE("A split inside a transaction that changes nothing merges back") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* doc = NewDoc(docs, 1);
  Insert(*doc, 0, "abcd");
  auto& structs = doc->store().clients[1];
  REQUIRE(structs.size() == 1);
  Transaction& t = doc->Begin(std::nullopt, true);
  Item* right = doc->GetItemCleanStart(t, {1, 2});
  CHECK(right->id == Id{1, 2});
  CHECK(right->str == "cd");
  CHECK(structs.size() == 2);
  Item* left = doc->GetItemCleanEnd(t, {1, 0});
  CHECK(left->str == "a");
  CHECK(structs.size() == 3);
  doc->Commit();
  REQUIRE(structs.size() == 1);
  CHECK(structs[0]->str == "abcd");
  Branch* b = TextOf(*doc);
  CHECK(seq::Validate(b->tree, b->start));
  CHECK(b->Length(kUtf16) == 4);
}

TEST_CASE("gc=false keeps deleted strings") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* doc = NewDoc(docs, 1, /*gc=*/false);
  Insert(*doc, 0, "a");
  Insert(*doc, 1, "b");
  Insert(*doc, 2, "c");
  Delete(*doc, 1, 1);
  auto& structs = doc->store().clients[1];
  REQUIRE(structs.size() == 3);
  CHECK(structs[1]->kind == ContentKind::kString);
  CHECK(structs[1]->deleted);
  CHECK(structs[1]->str == "b");
  CHECK(Str(*doc) == "ac");
  // The encoded state keeps the deleted string: 3 strings, the middle one with origin (1,0).
  CHECK(ToHex(Full(*doc)) == "01030100" "04010174" "0161" "84" "0100" "0162" "84" "0101" "0163" "0101010101");
}

TEST_CASE("Deleting a nested map with gc turns its children into GC structs") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* doc = NewDoc(docs, 1);
  Branch* m = *doc->Root("m", TypeRef::kMap);
  auto inner = types::MapSetType(*doc, m, "inner", TypeRef::kMap);
  REQUIRE(inner.ok());
  REQUIRE(types::MapSet(*doc, *inner, "x", Any::Number(1)).ok());
  REQUIRE(types::MapSet(*doc, *inner, "y", Any::Number(2)).ok());
  REQUIRE(types::MapDelete(*doc, m, "inner").ok());
  auto& structs = doc->store().clients[1];
  // Yjs: the type item stays (its parent lives) as Deleted; the children lose
  // their parent and become GC, merged into one run.
  REQUIRE(structs.size() == 2);
  CHECK(structs[0]->kind == ContentKind::kDeleted);
  CHECK(structs[0]->length == 1);
  CHECK(structs[1]->kind == ContentKind::kGC);
  CHECK(structs[1]->id == Id{1, 1});
  CHECK(structs[1]->length == 2);
  CHECK(types::MapSize(*m) == 0);
  // Bytes as yjs writes them: Deleted (21 = 01 | parentSub) in root m under "inner", GC of 2,
  // delete set (1: 0..3).
  CHECK(ToHex(Full(*doc)) == "01020100" "21" "01016d" "05696e6e6572" "01" "0002" "0101010003");
}

TEST_CASE("Deleting a nested map with gc=false keeps its children") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* doc = NewDoc(docs, 1, /*gc=*/false);
  Branch* m = *doc->Root("m", TypeRef::kMap);
  auto inner = types::MapSetType(*doc, m, "inner", TypeRef::kMap);
  REQUIRE(inner.ok());
  REQUIRE(types::MapSet(*doc, *inner, "x", Any::Number(1)).ok());
  REQUIRE(types::MapDelete(*doc, m, "inner").ok());
  auto& structs = doc->store().clients[1];
  REQUIRE(structs.size() == 2);
  CHECK(structs[0]->kind == ContentKind::kType);
  CHECK(structs[0]->deleted);
  CHECK(structs[1]->kind == ContentKind::kAny);
  CHECK(structs[1]->deleted);
}

TEST_CASE("A remote update written under our client id gives us a new id") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* a = NewDoc(docs, 42);
  Doc* b = NewDoc(docs, 42);
  Insert(*b, 0, "x");
  REQUIRE(Apply(*a, Full(*b)).ok());
  CHECK(Str(*a) == "x");
  CHECK(a->client_id() != 42);
  uint64_t fresh = a->client_id();
  Insert(*a, 1, "y");
  CHECK(Str(*a) == "xy");
  CHECK(SortedSv(a->store().GetStateVector()) == std::map<uint64_t, uint64_t>{{42, 1}, {fresh, 1}});

  // Someone else's structs leave our id alone.
  Doc* c = NewDoc(docs, 7);
  REQUIRE(Apply(*c, Full(*b)).ok());
  CHECK(c->client_id() == 7);
}

TEST_CASE("Concurrent map writes: the higher client id wins, everywhere") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* d1 = NewDoc(docs, 1);
  Doc* d2 = NewDoc(docs, 2);
  REQUIRE(types::MapSet(*d1, *d1->Root("m", TypeRef::kMap), "k", Any::String("one")).ok());
  REQUIRE(types::MapSet(*d2, *d2->Root("m", TypeRef::kMap), "k", Any::String("two")).ok());
  Bytes u1 = Full(*d1), u2 = Full(*d2);
  REQUIRE(Apply(*d1, u2).ok());
  REQUIRE(Apply(*d2, u1).ok());
  for (Doc* d : {d1, d2}) {
    const Item* it = types::MapGet(**d->Root("m", TypeRef::kMap), "k");
    REQUIRE(it != nullptr);
    CHECK(types::ItemValue(*it, 0) == Any::String("two"));
  }
  CHECK(Full(*d1) == Full(*d2));
}

TEST_CASE("Root kinds: a root keeps the kind first asked for") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* doc = NewDoc(docs, 1);
  REQUIRE(doc->Root("x", TypeRef::kText).ok());
  CHECK(doc->Root("x", TypeRef::kText).ok());
  CHECK(doc->Root("x", TypeRef::kUnknown).ok());
  CHECK(absl::IsFailedPrecondition(doc->Root("x", TypeRef::kMap).status()));
  // A placeholder created by a remote update takes the kind asked for later.
  REQUIRE(Apply(*doc, FromHex("01010200" "04" "010179" "0161" "00")).ok());  // "a" in root "y"
  auto y = doc->Root("y", TypeRef::kText);
  REQUIRE(y.ok());
  CHECK(types::TextString(**y) == "a");
}

TEST_CASE("Update observers see one update per transaction") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* doc = NewDoc(docs, 1);
  Recorder rec(*doc);
  Insert(*doc, 0, "hi");
  REQUIRE(rec.updates.size() == 1);
  CHECK(ToHex(rec.updates[0]) == "010101000401017402686900");
  Insert(*doc, 2, "!");
  REQUIRE(rec.updates.size() == 2);
  // "!" at clock 2 with origin (1,1).
  CHECK(ToHex(rec.updates[1]) == "01010102" "84" "0101" "0121" "00");
  // An update that changes nothing emits nothing.
  REQUIRE(Apply(*doc, rec.updates[0]).ok());
  CHECK(rec.updates.size() == 2);
}

// ===========================================================================
// MergeUpdates

TEST_CASE("MergeUpdates: a gap becomes a Skip struct") {
  // u1 = "a" at (1,0) in root t; u3 = "c" at (1,2) with origin (1,1).
  Bytes u1 = FromHex("0101010004010174016100");
  Bytes u3 = FromHex("01010102840101016300");
  auto m = MergeUpdates({View(u1), View(u3)});
  REQUIRE(m.ok());
  // 3 structs from clock 0: "a", Skip (0a) of 1, "c"; empty delete set.
  CHECK(ToHex(*m) == "01030100" "04010174" "0161" "0a01" "84" "0101" "0163" "00");
  auto m2 = MergeUpdates({View(u3), View(u1)});
  REQUIRE(m2.ok());
  CHECK(*m2 == *m);
  auto sv = UpdateStateVector(m->data(), m->size());
  REQUIRE(sv.ok());
  CHECK(SortedSv(*sv) == std::map<uint64_t, uint64_t>{{1, 1}});  // counting stops at the skip

  // Applying the merged update: "a" integrates, "c" waits for clock 1.
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* doc = NewDoc(docs, 9);
  REQUIRE(Apply(*doc, *m).ok());
  CHECK(Str(*doc) == "a");
  CHECK(doc->has_pending());
  REQUIRE(Apply(*doc, FromHex("01010101840100016200")).ok());  // "b" at (1,1)
  CHECK(Str(*doc) == "abc");
  CHECK_FALSE(doc->has_pending());
}

TEST_CASE("MergeUpdates: duplicate and overlapping inputs") {
  Bytes u = FromHex("0101010004010174016100");
  auto dup = MergeUpdates({View(u), View(u)});
  REQUIRE(dup.ok());
  CHECK(*dup == u);

  // "ab" at clock 0..2 and the tail "bc" at clock 1..3 (origin (1,0)): the
  // overlap is cut off the later struct, which keeps only "c" with origin (1,1).
  Bytes ab = FromHex("010101000401017402616200");
  Bytes bc = FromHex("0101010184010002626300");
  const std::string want = "01020100" "04010174" "026162" "84" "0101" "0163" "00";
  auto m1 = MergeUpdates({View(ab), View(bc)});
  REQUIRE(m1.ok());
  CHECK(ToHex(*m1) == want);
  auto m2 = MergeUpdates({View(bc), View(ab)});
  REQUIRE(m2.ok());
  CHECK(ToHex(*m2) == want);

  // A struct wholly inside an earlier one disappears.
  Bytes abc = FromHex("01010100040101740361626300");
  Bytes c_only = FromHex("01010102840101016300");
  auto m3 = MergeUpdates({View(c_only), View(abc), View(c_only)});
  REQUIRE(m3.ok());
  CHECK(*m3 == abc);
}

TEST_CASE("MergeUpdates: GC runs join, delete sets merge") {
  Bytes g1 = FromHex("01010100" "0002" "00");  // GC (1,0) len 2
  Bytes g2 = FromHex("01010102" "0003" "00");  // GC (1,2) len 3
  Bytes g3 = FromHex("01010101" "0003" "00");  // GC (1,1) len 3, overlapping g1
  auto m = MergeUpdates({View(g1), View(g2)});
  REQUIRE(m.ok());
  CHECK(ToHex(*m) == "01010100" "0005" "00");
  auto o = MergeUpdates({View(g1), View(g3)});
  REQUIRE(o.ok());
  CHECK(ToHex(*o) == "01010100" "0004" "00");

  Bytes d1 = FromHex("00" "01" "01" "01" "0002");  // delete (1, 0..2)
  Bytes d2 = FromHex("00" "02" "05" "01" "0001" "01" "01" "0201");  // delete (5, 0..1), (1, 2..3)
  auto md = MergeUpdates({View(d1), View(d2)});
  REQUIRE(md.ok());
  // No structs; 2 clients descending: 5 -> (0,1); 1 -> (0,3) (adjacent ranges joined).
  CHECK(ToHex(*md) == "00" "02" "05" "01" "0001" "01" "01" "0003");
}

TEST_CASE("MergeUpdates of nothing and of empty updates") {
  auto none = MergeUpdates({});
  REQUIRE(none.ok());
  CHECK(*none == Bytes{0, 0});
  Bytes empty{0, 0};
  auto two = MergeUpdates({View(empty), View(empty)});
  REQUIRE(two.ok());
  CHECK(*two == Bytes{0, 0});
}

// Runs seeded random edits on three docs with fixed client ids, syncing now
// and then, and records every local update.
struct RandomSession {
  std::vector<std::unique_ptr<Doc>> docs;
  std::vector<Bytes> updates;

  explicit RandomSession(uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<Doc*> ds;
    for (uint64_t c : {3u, 1u, 2u}) {
      Doc* d = NewDoc(docs, c, /*gc=*/seed % 2 == 0);
      d->AddUpdateObserver([this](const std::vector<uint8_t>& u, const Transaction& t) {
        if (t.local) updates.push_back(u);
      });
      ds.push_back(d);
    }
    const char* pieces[] = {"a", "bc", "\xc3\xa9", "\xf0\x9f\x98\x80", "xyz"};
    for (int step = 0; step < 300; step++) {
      Doc* d = ds[rng() % 3];
      Branch* t = TextOf(*d);
      Branch* arr = *d->Root("arr", TypeRef::kArray);
      Branch* map = *d->Root("map", TypeRef::kMap);
      uint64_t r = rng() % 10;
      if (r < 4) {
        // Insert at a code-unit index that is not inside a surrogate pair.
        uint64_t len = t->Length(kUtf16);
        uint64_t at = len ? rng() % (len + 1) : 0;
        if (!types::TextInsert(*d, t, at, pieces[rng() % 5], nullptr).ok()) {
          REQUIRE(types::TextInsert(*d, t, len, pieces[rng() % 5], nullptr).ok());
        }
      } else if (r < 6) {
        uint64_t len = t->Length(kUtf16);
        if (len > 0) {
          uint64_t at = rng() % len;
          (void)types::TextDelete(*d, t, at, 1 + rng() % std::min<uint64_t>(3, len - at));  // may hit a pair
        }
      } else if (r < 8) {
        uint64_t len = arr->Length(kUtf16);
        if (len > 0 && rng() % 3 == 0) {
          REQUIRE(types::ArrayDelete(*d, arr, rng() % len, 1).ok());
        } else {
          REQUIRE(types::ArrayInsert(*d, arr, len ? rng() % (len + 1) : 0,
                                     {Any::Number(static_cast<double>(step)), Any::String("s")})
                      .ok());
        }
      } else if (r < 9) {
        std::string key(1, static_cast<char>('a' + rng() % 4));
        if (rng() % 4 == 0) {
          REQUIRE(types::MapDelete(*d, map, key).ok());
        } else {
          REQUIRE(types::MapSet(*d, map, key, Any::Number(static_cast<double>(step))).ok());
        }
      } else {
        // Sync two docs both ways.
        Doc* e = ds[rng() % 3];
        Bytes ud = Full(*d), ue = Full(*e);
        REQUIRE(Apply(*e, ud).ok());
        REQUIRE(Apply(*d, ue).ok());
      }
    }
    // Final full sync.
    for (Doc* a : ds) {
      for (Doc* b : ds) REQUIRE(Apply(*b, Full(*a)).ok());
    }
  }
};

std::string DocJson(Doc& d) {
  Any::Object o;
  o.emplace_back("t", Any::String(Str(d)));
  o.emplace_back("arr", types::ToAny(**d.Root("arr", TypeRef::kArray)));
  o.emplace_back("map", types::ToAny(**d.Root("map", TypeRef::kMap)));
  return Any::MakeObject(std::move(o)).ToJson();
}

TEST_CASE("MergeUpdates equals applying the updates one by one") {
  for (uint64_t seed : {1u, 2u, 3u, 4u}) {
    INFO("seed=" << seed);
    RandomSession s(seed);
    REQUIRE(s.updates.size() > 100);
    Doc& ref = *s.docs[0];
    const std::string want = DocJson(ref);
    CHECK(DocJson(*s.docs[1]) == want);
    CHECK(DocJson(*s.docs[2]) == want);
    const auto want_sv = SortedSv(ref.store().GetStateVector());

    std::vector<std::unique_ptr<Doc>> docs;
    Doc* one_by_one = NewDoc(docs, 100);
    for (const Bytes& u : s.updates) REQUIRE(Apply(*one_by_one, u).ok());
    CHECK(DocJson(*one_by_one) == want);
    CHECK(SortedSv(one_by_one->store().GetStateVector()) == want_sv);
    CHECK_FALSE(one_by_one->has_pending());

    std::vector<std::string_view> views;
    for (const Bytes& u : s.updates) views.push_back(View(u));
    auto merged = MergeUpdates(views);
    REQUIRE(merged.ok());
    Doc* from_merged = NewDoc(docs, 101);
    REQUIRE(Apply(*from_merged, *merged).ok());
    CHECK(DocJson(*from_merged) == want);
    CHECK(SortedSv(from_merged->store().GetStateVector()) == want_sv);
    CHECK_FALSE(from_merged->has_pending());
    auto merged_sv = UpdateStateVector(merged->data(), merged->size());
    REQUIRE(merged_sv.ok());
    CHECK(SortedSv(*merged_sv) == want_sv);

    // Merging in another order, and merging merges, gives the same document.
    std::mt19937_64 rng(seed);
    std::vector<std::string_view> shuffled = views;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    size_t half = shuffled.size() / 2;
    auto mid = shuffled.begin() + static_cast<ptrdiff_t>(half);
    auto left = MergeUpdates(std::vector<std::string_view>(shuffled.begin(), mid));
    auto right = MergeUpdates(std::vector<std::string_view>(mid, shuffled.end()));
    REQUIRE(left.ok());
    REQUIRE(right.ok());
    auto both = MergeUpdates({View(*right), View(*left)});
    REQUIRE(both.ok());
    CHECK(*both == *merged);
    // Applying the halves in the "wrong" order converges too (pending structs).
    Doc* halves = NewDoc(docs, 102);
    REQUIRE(Apply(*halves, *right).ok());
    REQUIRE(Apply(*halves, *left).ok());
    CHECK(DocJson(*halves) == want);
    CHECK_FALSE(halves->has_pending());

    // Every update applied in reverse order converges as well.
    Doc* reverse = NewDoc(docs, 103);
    for (auto it = s.updates.rbegin(); it != s.updates.rend(); ++it) REQUIRE(Apply(*reverse, *it).ok());
    CHECK(DocJson(*reverse) == want);
    CHECK_FALSE(reverse->has_pending());
  }
}

TEST_CASE("A reused transaction starts with an empty delete set, client order included") {
  // The order of a delete set's clients decides the ids an undo re-creates
  // content under; one left over from the previous transaction would reorder it.
  DocOptions o;
  o.client_id = 1;
  Doc doc(o);
  Insert(doc, 0, "abc");
  Delete(doc, 0, 2);
  Transaction& t = doc.Begin(std::nullopt, true);
  CHECK(t.delete_set.empty());
  CHECK(t.delete_set.order.empty());
  t.delete_set.Add(7, 0, 1);
  CHECK(t.delete_set.OrderedClients() == std::vector<uint64_t>{7});
  doc.Commit();
}

TEST_CASE("A transaction records the before-clock of each client it touches, and only those") {
  // Eleven writers (more than the linear scan covers, so the hash index is used too).
  std::vector<std::unique_ptr<Doc>> docs;
  std::vector<Bytes> updates;
  for (uint64_t c = 1; c <= 11; c++) {
    Doc* w = NewDoc(docs, c);
    Insert(*w, 0, std::string(c, 'a'));
    updates.push_back(Full(*w));
  }
  std::vector<std::string_view> views;
  for (const Bytes& u : updates) views.push_back(View(u));
  auto merged = MergeUpdates(views);
  REQUIRE(merged.ok());
  Doc* doc = NewDoc(docs, 99);
  Insert(*doc, 0, "xyz");
  Recorder rec(*doc);
  std::vector<uint64_t> touched;
  std::map<uint64_t, uint64_t> before;
  doc->AddAfterTransactionObserver([&](Transaction& t) {
    touched = t.touched_clients;
    before.clear();
    for (uint64_t c : {1, 5, 11, 99, 1000}) before[c] = t.BeforeClock(c);
  });
  REQUIRE(Apply(*doc, *merged).ok());
  std::sort(touched.begin(), touched.end());
  std::vector<uint64_t> writers(11);
  for (uint64_t c = 1; c <= 11; c++) writers[c - 1] = c;
  CHECK(touched == writers);
  // New clients start at 0; the untouched local client reads its unchanged clock.
  CHECK(before == std::map<uint64_t, uint64_t>{{1, 0}, {5, 0}, {11, 0}, {99, 3}, {1000, 0}});
  // The update holds exactly the eleven writers' structs, and nothing of client 99.
  REQUIRE(rec.updates.size() == 1);
  Doc* fresh = NewDoc(docs, 101);
  REQUIRE(Apply(*fresh, rec.updates[0]).ok());
  CHECK(SortedSv(fresh->store().GetStateVector()) == SortedSv(StateVector{{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5},
                                                                          {6, 6}, {7, 7}, {8, 8}, {9, 9}, {10, 10},
                                                                          {11, 11}}));
  // A later update of a client seen before: its before-clock is the old state.
  Insert(*docs[4], 5, "b");
  REQUIRE(Apply(*doc, Full(*docs[4])).ok());
  CHECK(touched == std::vector<uint64_t>{5});
  CHECK(before[5] == 5);
  CHECK(before[1] == 1);
}

TEST_CASE("The types a transaction changed are listed once each, in the order changed") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* doc = NewDoc(docs, 1);
  std::vector<Branch*> seen;
  doc->AddAfterTransactionObserver([&](Transaction& t) { seen.assign(t.changed.begin(), t.changed.end()); });
  std::vector<Branch*> want;
  Transaction& t = doc->Begin(std::nullopt, true);
  for (int round = 0; round < 2; round++) {
    for (int i = 11; i >= 0; i--) {
      Branch* b = TextOf(*doc, "t" + std::to_string(i));
      REQUIRE(types::TextInsert(*doc, b, 0, "x", nullptr).ok());
      if (round == 0) want.push_back(b);
    }
  }
  (void)t;
  doc->Commit();
  CHECK(seen == want);
}

TEST_CASE("Deleting inside one run leaves what applying the same deletion remotely leaves") {
  // The one-run deletion path (TextDelete) against the general one that
  // ApplyDeleteSet takes (GetItemCleanStart / GetItemCleanEnd): same structs,
  // same merges, same bytes.
  struct Case {
    uint64_t index, len;
  };
  const std::string text = "ab\xc3\xa9" "cd\xf0\x9f\x98\x80" "efgh";  // a b é c d 😀 e f g h (UTF-16: 11)
  for (Case c : {Case{0, 1}, Case{0, 11}, Case{10, 1}, Case{3, 2}, Case{2, 1}, Case{5, 2}, Case{1, 9}}) {
    CAPTURE(c.index);
    CAPTURE(c.len);
    std::vector<std::unique_ptr<Doc>> docs;
    Doc* local = NewDoc(docs, 1);
    Insert(*local, 0, text);
    Doc* remote = NewDoc(docs, 2);
    REQUIRE(Apply(*remote, Full(*local)).ok());
    Recorder rec(*local);
    Delete(*local, c.index, c.len);
    REQUIRE(rec.updates.size() == 1);
    REQUIRE(Apply(*remote, rec.updates[0]).ok());
    CHECK(Str(*local) == Str(*remote));
    CHECK(ToHex(Full(*local)) == ToHex(Full(*remote)));
    CHECK(local->store().clients[1].size() == remote->store().clients[1].size());
    Branch* t = TextOf(*local);
    CHECK(seq::Validate(t->tree, t->start));
    CHECK(t->Length(kUtf16) == 11 - c.len);
    CHECK(t->Length(kUtf8) == Str(*local).size());
  }
  // Backspacing through a run: each deleted character joins the deleted run on its right.
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* doc = NewDoc(docs, 1);
  Insert(*doc, 0, "abcdef");
  for (uint64_t i = 5; i >= 2; i--) Delete(*doc, i, 1);
  auto& structs = doc->store().clients[1];
  REQUIRE(structs.size() == 2);
  CHECK(structs[0]->str == "ab");
  CHECK(structs[1]->kind == ContentKind::kDeleted);
  CHECK(structs[1]->length == 4);
  // A deletion that would split a surrogate pair fails and changes nothing.
  Doc* pair = NewDoc(docs, 3);
  Insert(*pair, 0, "a\xf0\x9f\x98\x80z");
  const Bytes before = Full(*pair);
  CHECK(types::TextDelete(*pair, TextOf(*pair), 2, 1).code() == absl::StatusCode::kOutOfRange);
  CHECK(types::TextDelete(*pair, TextOf(*pair), 1, 1).code() == absl::StatusCode::kOutOfRange);
  CHECK(Full(*pair) == before);
}

TEST_CASE("Delta observers still fire after others were removed (the commit skips deltas only with none)") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* doc = NewDoc(docs, 1);
  Branch* a = TextOf(*doc, "a");
  Branch* b = TextOf(*doc, "b");
  int a_calls = 0, b_calls = 0;
  uint64_t ida = doc->AddDeltaObserver(a, [&](const std::vector<DeltaOp>&, const Transaction&) { a_calls++; });
  uint64_t idb = doc->AddDeltaObserver(b, [&](const std::vector<DeltaOp>&, const Transaction&) { b_calls++; });
  doc->RemoveDeltaObserver(a, ida);
  doc->RemoveDeltaObserver(a, ida);  // twice: counts nothing twice
  Insert(*doc, 0, "x", "a");
  Insert(*doc, 0, "y", "b");
  CHECK(a_calls == 0);
  CHECK(b_calls == 1);
  doc->RemoveDeltaObserver(b, idb);
  Insert(*doc, 0, "z", "b");
  CHECK(b_calls == 1);
  std::vector<DeltaOp> seen;
  doc->AddDeltaObserver(a, [&](const std::vector<DeltaOp>& ops, const Transaction&) { seen = ops; });
  Insert(*doc, 1, "w", "a");
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].kind == DeltaOp::kRetain);
  CHECK(seen[0].length == 1);
  CHECK(seen[1].kind == DeltaOp::kInsert);
  CHECK(seen[1].text == "w");
}

// ===========================================================================
// Item layout and the per-document item pool

TEST_CASE("Item flags share origin's padding and survive origin assignments") {
#if defined(__GNUC__) && !defined(_MSC_VER)
  CHECK(sizeof(Item) <= 112);  // a layout change that grows every struct fails here
#endif
  Item a, b;
  a.kind = ContentKind::kString;
  a.deleted = true;
  a.keep = true;
  b.kind = ContentKind::kAny;
  // Assign and swap origins as whole OptIds: the flags next to them must not move.
  a.origin = OptId::Of({7, 9});
  b.origin = a.origin;
  std::swap(a.origin, b.right_origin);
  a.right_origin = b.origin;
  b.origin = OptId::None();
  CHECK(a.kind == ContentKind::kString);
  CHECK(a.deleted);
  CHECK(a.keep);
  CHECK_FALSE(a.pooled);
  CHECK(b.kind == ContentKind::kAny);
  CHECK_FALSE(b.deleted);
  CHECK_FALSE(b.keep);
  CHECK_FALSE(a.origin.present());
  CHECK(a.right_origin == OptId::Of({7, 9}));
  CHECK(b.right_origin == OptId::Of({7, 9}));
  CHECK_FALSE(b.origin.present());
}

TEST_CASE("Typing in another run trims the text block of the run typed before") {
  std::vector<std::unique_ptr<Doc>> docs;
  Doc* doc = NewDoc(docs, 1);
  Insert(*doc, 0, "x");
  Item* run = doc->store().Find(Id{1, 0});
  REQUIRE(run != nullptr);
  // Typing at its end appends in place; its block grows ahead of the text.
  std::string want = "x";
  while (run->str.heap_capacity() < run->str.size() + 100) {
    REQUIRE(want.size() < 5000);
    Insert(*doc, want.size(), "a");
    want += "a";
  }
  REQUIRE(doc->store().Find(Id{1, 0}) == run);
  REQUIRE(run->str.size() == want.size());
  Insert(*doc, 0, "b");  // a new run at the front
  Insert(*doc, 1, "c");  // typing goes on there
  CHECK(run->str.heap_capacity() <= run->str.size() + 24);  // a malloc chunk's rounding at most
  CHECK(Str(*doc) == "bc" + want);
  Insert(*doc, 2 + want.size(), "z");  // and typing at the old run again grows it again
  CHECK(Str(*doc) == "bc" + want + "z");
}

TEST_CASE("Doc item pool: freed items are reused, heap items are freed too") {
  Doc doc(DocOptions{});
  std::vector<Item*> items;
  for (int i = 0; i < 1000; i++) {
    Item* it = doc.NewItem();
    it->str.assign(std::string(40, 'x'));  // heap-allocated text: freeing must destroy it
    items.push_back(it);
  }
  const bool pool = items[0]->pooled;  // off under AddressSanitizer
  std::set<Item*> distinct(items.begin(), items.end());
  CHECK(distinct.size() == items.size());
  std::set<Item*> freed;
  for (size_t i = 0; i < items.size(); i += 2) {
    freed.insert(items[i]);
    doc.FreeItem(items[i]);
  }
  for (size_t i = 0; i < items.size(); i += 2) {
    Item* it = doc.NewItem();
    CHECK(it->pooled == pool);
    // A fresh item: the previous occupant's state is gone.
    CHECK(it->str.empty());
    CHECK(it->kind == ContentKind::kGC);
    CHECK(it->leaf() == nullptr);
    if (pool) CHECK(freed.count(it) == 1);
    items[i] = it;
  }
  for (Item* it : items) doc.FreeItem(it);
  Item* heap = new Item();  // a decoded struct: not from the pool
  heap->str.assign(std::string(40, 'y'));
  doc.FreeItem(heap);
}

}  // namespace
}  // namespace codesync
