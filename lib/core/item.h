// Items (Yjs structs): one run of content inserted by one client at
// consecutive clocks, linked into its parent's sequence, plus the content
// kinds of the update format.  GC structs are Items of kind kGC without links.
#ifndef CODESYNC_CORE_ITEM_H_
#define CODESYNC_CORE_ITEM_H_

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
  const std::string* parent_sub = nullptr;  // map key (interned by the Doc), null in sequences
  ItemString str;           // kString: UTF-8 text; kBinary: bytes
  Branch* type = nullptr;   // kType: the nested type (owned by the Doc)
  std::unique_ptr<ContentExtra> extra;

  // Position index of the parent's sequence (see core/seq_index.h).
  seq::Leaf* leaf = nullptr;

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
  ContentExtra& mutable_extra() {
    if (!extra) extra = std::make_unique<ContentExtra>();
    return *extra;
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
