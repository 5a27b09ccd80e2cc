// Items (Yjs structs): one run of content inserted by one client at
// consecutive clocks, linked into its parent's sequence, plus the content
// kinds of the update format.  GC structs are Items of kind kGC without links.
#ifndef CODESYNC_CORE_ITEM_H_
#define CODESYNC_CORE_ITEM_H_

#include <cassert>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/id.h"
#include "core/item_string.h"
#include "encoding/any.h"

namespace codesync {

// Content refs, as numbered on the wire (low 5 bits of the info byte).
enum class ContentKind : uint8_t {
  kGC = 0,
  kDeleted = 1,
  kJson = 2,
  kBinary = 3,
  kString = 4,
  kEmbed = 5,
  kFormat = 6,
  kType = 7,
  kAny = 8,
  kDoc = 9,
  kSkip = 10,  // only inside updates, never stored
};

enum class TypeRef : uint8_t {
  kArray = 0,
  kMap = 1,
  kText = 2,
  kXmlElement = 3,
  kXmlFragment = 4,
  kXmlHook = 5,
  kXmlText = 6,
  kUnknown = 255,  // a root referenced by a remote update before anyone asked for it
};

// The units a sequence can be indexed by.  kItems counts structs (every
// item weighs 1) and gives a total order over the sequence.
enum Unit : int { kUtf16 = 0, kUtf8 = 1, kCodepoints = 2, kItems = 3, kUnitCount = 4 };

struct Branch;
class Doc;
namespace seq {
struct Leaf;
}

// An item's own weight per unit (a copy: taken before an in-place edit, it
// tells seq::Reweigh what the index holds for the item).
struct Weights {
  uint64_t w[kUnitCount];
};

// Payloads other than strings live out of line so that a run of text stays small.
struct ContentExtra {
  std::vector<Any> values;  // kAny, kJson: one per clock
  std::string key;          // kFormat: attribute name; kDoc: guid
  Any value;                // kEmbed: the embed; kFormat: attribute value; kDoc: options
};
static_assert(alignof(ContentExtra) >= 2, "Item::str's payload word tags the low bit");
static_assert(alignof(std::string) >= 2, "Item::sub_or_leaf_ tags the low bit");

struct Item {
  Id id;
  uint64_t length = 0;  // in clock units
  Item* left = nullptr;
  Item* right = nullptr;
  OptId origin;
  OptId right_origin;
  ContentKind kind = ContentKind::kGC;
  bool deleted = false;
  bool keep = false;
  bool pooled = false;  // allocated by Doc::NewItem from the document's pool
  // kString runs that are not ASCII: their code points (kept by SplitContent,
  // MergeContent, AppendString and ComputeWeights).
  uint32_t codepoints = 0;
  Branch* parent = nullptr;                 // null for GC structs
  // A map entry's key (interned by the Doc) or a sequence item's leaf in its
  // parent's position index (see core/seq_index.h): a map entry has no leaf
  // and a sequence item no key, so one word holds either, the key tagged with
  // kSubTag in the low bit (both are 8-aligned).  Read through parent_sub()
  // and leaf(), set through set_parent_sub() and set_leaf().
  uintptr_t sub_or_leaf_ = 0;
  // kString: UTF-8 text; kBinary: bytes.  The other kinds keep it empty, and
  // those that have a payload keep it in the string's aux word (read and set
  // through type() and extra()): a kType's Branch (owned by the Doc), or a
  // ContentExtra owned by the item, tagged with kExtraTag in the low bit
  // (kAny/kJson/kFormat/kEmbed/kDoc, and a decoded kType until Doc::Integrate
  // makes its branch from the ref and name the extra holds).  The kind tells
  // which: set it before the payload, free the payload (reset_extra,
  // set_type(nullptr)) before the kind changes, and give a reused item of
  // kString/kBinary a fresh string (str = ItemString()) before a payload kind.
  ItemString str;

  static constexpr uintptr_t kSubTag = 1;
  // The map key, or null for an item of a sequence (and a GC struct).
  const std::string* parent_sub() const {
    if (!(sub_or_leaf_ & kSubTag)) return nullptr;
    const auto* s = reinterpret_cast<const std::string*>(sub_or_leaf_ & ~kSubTag);
    if (s == nullptr) __builtin_unreachable();  // (a tagged key is never null: tests of it need no more)
    return s;
  }
  // Sets the key (an item with a key never has a leaf); null clears a key, and
  // keeps a leaf.
  void set_parent_sub(const std::string* s) {
    if (s != nullptr) {
      sub_or_leaf_ = reinterpret_cast<uintptr_t>(s) | kSubTag;
    } else if (sub_or_leaf_ & kSubTag) {
      sub_or_leaf_ = 0;
    }
  }
  // The item's leaf in its sequence's position index (null while unindexed and for map entries).
  seq::Leaf* leaf() const {
    return (sub_or_leaf_ & kSubTag) ? nullptr : reinterpret_cast<seq::Leaf*>(sub_or_leaf_);
  }
  // Only for items of a sequence (the index sets it).
  void set_leaf(seq::Leaf* l) { sub_or_leaf_ = reinterpret_cast<uintptr_t>(l); }
  // leaf() of an item known to be in a sequence (no key): the word as it is,
  // no test (the index's own operations and the keystroke paths' AddWeights).
  seq::Leaf* seq_leaf() const { return reinterpret_cast<seq::Leaf*>(sub_or_leaf_); }

  bool is_gc() const { return kind == ContentKind::kGC; }
  bool countable() const {  // not kGC (0), kDeleted (1) or kFormat (6): one test of a mask
    return ((1u << static_cast<unsigned>(kind)) & 0x43u) == 0;
  }
  bool visible() const { return !deleted && countable(); }
  // A string run of ASCII only: its bytes, UTF-16 units and code points coincide
  // (every other character takes more bytes than UTF-16 units), so offsets need no scan.
  bool ascii() const { return kind == ContentKind::kString && str.size() == length; }
  // Own weight in unit u, derived from the content and flags (not stored):
  // one item; nothing when invisible; else UTF-16 = length, UTF-8 = bytes of a
  // string, code points = length of an ASCII run or the stored count.
  uint64_t weight(Unit u) const {
    if (u == kItems) return 1;
    if (!visible()) return 0;
    if (u == kUtf16 || kind != ContentKind::kString) return length;
    if (u == kUtf8) return str.size();
    return str.size() == length ? length : codepoints;
  }
  Weights weights() const {
    if (!visible()) return {{0, 0, 0, 1}};
    if (kind != ContentKind::kString) return {{length, length, length, 1}};
    const uint64_t bytes = str.size();
    return {{length, bytes, bytes == length ? length : codepoints, 1}};
  }
  Id last_id() const { return {id.client, id.clock + length - 1}; }
  uint64_t end_clock() const { return id.clock + length; }
  Item() = default;
  Item(Item&&) noexcept = default;  // (the payload moves with str)
  Item(const Item&) = delete;
  Item& operator=(const Item&) = delete;
  Item& operator=(Item&&) = delete;
  ~Item() { reset_extra(); }

  static constexpr uintptr_t kExtraTag = 1;
  // kJson, kEmbed, kFormat, kType, kAny, kDoc: the kinds with a payload word.
  static constexpr unsigned kPayloadKinds = 0x3e4;
  bool has_payload() const { return ((1u << static_cast<unsigned>(kind)) & kPayloadKinds) != 0; }

  // kType: the nested type, once it has one (null for every other kind).
  Branch* type() const {
    if (kind != ContentKind::kType) return nullptr;
    const uintptr_t w = str.aux();
    return (w & kExtraTag) ? nullptr : reinterpret_cast<Branch*>(w);
  }
  // Sets a kType item's nested type; an extra it held (a decoded ref and name) goes.
  void set_type(Branch* b) {
    assert(kind == ContentKind::kType);
    reset_extra();
    str.set_aux(reinterpret_cast<uintptr_t>(b));
  }
  // The out-of-line payload, or null (a kType item that has its branch has none).
  ContentExtra* extra() const {
    const uintptr_t w = has_payload() ? str.aux() : 0;
    return (w & kExtraTag) ? reinterpret_cast<ContentExtra*>(w & ~kExtraTag) : nullptr;
  }
  // The payload, made (empty) if there is none; replaces a branch pointer.
  // Only for the kinds that have one (set kind first).
  ContentExtra& mutable_extra() {
    assert(has_payload());
    if (!(str.aux() & kExtraTag)) str.set_aux(reinterpret_cast<uintptr_t>(new ContentExtra()) | kExtraTag);
    return *extra();
  }
  // Replaces the payload (or the branch pointer) with e (may be null).
  void set_extra(std::unique_ptr<ContentExtra> e) {
    assert(has_payload() || !e);
    reset_extra();
    if (has_payload()) str.set_aux(e ? reinterpret_cast<uintptr_t>(e.release()) | kExtraTag : 0);
  }
  // Hands the payload over (null if none); a branch pointer stays.
  std::unique_ptr<ContentExtra> release_extra() {
    ContentExtra* e = extra();
    if (e) str.set_aux(0);
    return std::unique_ptr<ContentExtra>(e);
  }
  // Frees the payload, if any; a branch pointer stays.
  void reset_extra() {
    if (ContentExtra* e = extra()) {
      delete e;
      str.set_aux(0);
    }
  }
  // Replaces the content (text, bytes or payload) with o's, of the same
  // kind; o is left without any.
  void TakeContent(Item& o) {
    reset_extra();
    str = std::move(o.str);
  }
};

// Splits the content of `item` at clock offset `diff` (0 < diff < length),
// returning the right part's content in a new item (ids and links unset).
// Strings split inside a surrogate pair get U+FFFD on both sides, as in Yjs.
void SplitContent(Item& item, uint64_t diff, Item& right);
// Appends right's content to left's; returns false when the kinds can't merge.
bool MergeContent(Item& left, Item& right);
bool ContentMergeable(ContentKind k);
// Recomputes the one stored part of the weights (a non-ASCII string's code
// points) after its text was set directly (SplitContent and MergeContent keep it).
void ComputeWeights(Item& item);
// Appends s (utf16_len UTF-16 units) to a string run, keeping its code
// points; returns the weight that adds to the run if it is visible (no items).
Weights AppendString(Item& run, std::string_view s, uint64_t utf16_len);

}  // namespace codesync

#endif  // CODESYNC_CORE_ITEM_H_
