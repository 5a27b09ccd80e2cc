// Y.Text: insertion with formatting attributes, deletion, formatting ranges,
// reading as string or delta, and change deltas for observers.  Attribute
// handling follows Yjs (minimize attribute changes, insert format items
// before and negated ones after the content) so both produce the same items.
#include <algorithm>
#include <optional>

#include "core/seq_index.h"
#include "encoding/utf8.h"
#include "types/sequence.h"
#include "types/types.h"

namespace codesync::types {

absl::StatusOr<uint64_t> ClockOffset(const Item& item, Unit u, uint64_t units) {
  if (item.kind != ContentKind::kString || item.ascii()) return units;
  const std::string_view s = item.str;
  switch (u) {
    case kUtf16: {
      bool inside = false;
      utf8::ByteOffsetOfUtf16(s, units, &inside);
      if (inside) return absl::OutOfRangeError("index splits a surrogate pair");
      return units;
    }
    case kUtf8:
      if (!utf8::IsBoundary(s, units)) return absl::OutOfRangeError("index splits a UTF-8 character");
      return utf8::Utf16OfPrefix(s, units);
    case kCodepoints:
      return utf8::Utf16OfPrefix(s, utf8::ByteOffsetOfCodepoint(s, units));
    default:
      return units;
  }
}

Item* FindItemInTree(const Branch& b, Unit u, uint64_t index, uint64_t* offset) {
  Item* item = seq::Find(b.tree, u, index, offset);
  if (item) RememberItem(b, u, item, index - *offset);
  return item;
}

absl::StatusOr<Cut> Locate(const Branch& b, Unit u, uint64_t index) {
  if (index > b.Length(u)) return absl::OutOfRangeError("index out of range");
  if (index == 0) return Cut{};
  uint64_t off = 0;
  Item* item = FindItem(b, u, index - 1, &off);
  if (!item) return absl::InternalError("position index out of sync");
  auto clock = ClockOffset(*item, u, off + 1);
  if (!clock.ok()) return clock.status();
  return Cut{item, *clock};
}

Item* ApplyCut(Doc& doc, Transaction& t, const Cut& c) {
  if (!c.item) return nullptr;
  if (c.cut < c.item->length) doc.SplitItem(t, c.item, c.cut);
  return c.item;
}

namespace {

using Attrs = Any::Object;

const Any* Get(const Attrs& a, std::string_view key) {
  for (auto& [k, v] : a) {
    if (k == key) return &v;
  }
  return nullptr;
}
void Set(Attrs& a, std::string_view key, Any v) {
  for (auto& [k, val] : a) {
    if (k == key) {
      val = std::move(v);
      return;
    }
  }
  a.emplace_back(std::string(key), std::move(v));
}
void Erase(Attrs& a, std::string_view key) {
  std::erase_if(a, [&](auto& p) { return p.first == key; });
}
const Any& OrNull(const Any* v) {
  static const Any kNull = Any::Null();
  return v && !v->is_undefined() ? *v : kNull;
}
// Yjs equalAttrs: `===`, or two objects (or arrays) whose entries are `===`.
// nullptr stands for undefined.
bool EqualAttrs(const Any* a, const Any* b) {
  bool a_undef = !a || a->is_undefined();
  bool b_undef = !b || b->is_undefined();
  if (a_undef || b_undef) return a_undef && b_undef;
  if (a->StrictEquals(*b)) return true;
  if (a->kind() == Any::Kind::kObject && b->kind() == Any::Kind::kObject) {
    const Any::Object& x = a->as_object();
    if (x.size() != b->as_object().size()) return false;
    for (auto& [k, v] : x) {
      const Any* other = b->Find(k);
      if (!other || !v.StrictEquals(*other)) return false;
    }
    return true;
  }
  if (a->kind() == Any::Kind::kArray && b->kind() == Any::Kind::kArray) {
    const Any::Array& x = a->as_array();
    const Any::Array& y = b->as_array();
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); i++) {
      if (!x[i].StrictEquals(y[i])) return false;
    }
    return true;
  }
  return false;
}

void UpdateCurrent(Attrs& cur, const Item& fmt) {
  if (fmt.extra()->value.is_null()) {
    Erase(cur, fmt.extra()->key);
  } else {
    Set(cur, fmt.extra()->key, fmt.extra()->value);
  }
}

// ItemTextListPosition of Yjs.
struct Pos {
  Item* left = nullptr;
  Item* right = nullptr;
  Attrs attrs;
  void Forward() {
    if (!right->deleted && right->kind == ContentKind::kFormat) UpdateCurrent(attrs, *right);
    left = right;
    right = right->right;
  }
};

// Attributes in effect after `upto` (inclusive), scanning from the start.
Attrs AttributesBefore(const Branch& text, const Item* stop_before) {
  Attrs cur;
  if (!text.has_formatting) return cur;
  for (const Item* n = text.start; n && n != stop_before; n = n->right) {
    if (!n->deleted && n->kind == ContentKind::kFormat) UpdateCurrent(cur, *n);
  }
  return cur;
}

Pos PositionAt(Doc& doc, Transaction& t, Branch* text, const Cut& cut) {
  Pos p;
  p.left = ApplyCut(doc, t, cut);
  p.right = p.left ? p.left->right : text->start;
  p.attrs = AttributesBefore(*text, p.right);
  return p;
}

Item* NewFormat(Doc& doc, std::string_view key, const Any& value) {
  Item* f = doc.NewItem();
  f->kind = ContentKind::kFormat;
  f->length = 1;
  ContentExtra& e = f->mutable_extra();
  e.key = std::string(key);
  e.value = value;
  return f;
}

void InsertBetween(Doc& doc, Transaction& t, Branch* text, Pos& p, Item* content) {
  doc.InsertLocal(t, text, p.left, p.right, nullptr, content);
  p.right = content;
  p.Forward();
}

void MinimizeAttributeChanges(Pos& p, const Attrs& attributes) {
  while (p.right) {
    if (p.right->deleted ||
        (p.right->kind == ContentKind::kFormat &&
         EqualAttrs(&OrNull(Get(attributes, p.right->extra()->key)), &p.right->extra()->value))) {
      p.Forward();
    } else {
      break;
    }
  }
}

Attrs InsertAttributes(Doc& doc, Transaction& t, Branch* text, Pos& p, const Attrs& attributes) {
  Attrs negated;
  for (auto& [key, val] : attributes) {
    const Any& current = OrNull(Get(p.attrs, key));
    if (!EqualAttrs(&current, &val)) {
      Set(negated, key, current);
      InsertBetween(doc, t, text, p, NewFormat(doc, key, val));
    }
  }
  return negated;
}

void InsertNegatedAttributes(Doc& doc, Transaction& t, Branch* text, Pos& p, Attrs& negated) {
  while (p.right) {
    if (p.right->deleted ||
        (p.right->kind == ContentKind::kFormat && EqualAttrs(Get(negated, p.right->extra()->key), &p.right->extra()->value))) {
      if (!p.right->deleted) Erase(negated, p.right->extra()->key);
      p.Forward();
    } else {
      break;
    }
  }
  for (auto& [key, val] : negated) InsertBetween(doc, t, text, p, NewFormat(doc, key, val));
}

absl::Status InsertContentAt(Doc& doc, Branch* text, const Cut& cut, uint64_t index, Item* content,
                             const Any* attributes);

absl::Status InsertContent(Doc& doc, Branch* text, uint64_t index, Item* content, const Any* attributes) {
  auto cut = Locate(*text, doc.unit(), index);
  if (!cut.ok()) {
    doc.FreeItem(content);
    return cut.status();
  }
  return InsertContentAt(doc, text, *cut, index, content, attributes);
}

// InsertContent at a cut already located at unit position `index` (takes `content`).
absl::Status InsertContentAt(Doc& doc, Branch* text, const Cut& cut, uint64_t index, Item* content,
                             const Any* attributes) {
  if (attributes && attributes->kind() != Any::Kind::kObject) {
    doc.FreeItem(content);
    return absl::InvalidArgumentError("attributes must be a JSON object");
  }
  // Formatting reads the deleted items between the cut and the next content:
  // as Yjs holds them (see Doc::SettleFolds).
  if (doc.folds_pending() && (attributes || text->has_formatting)) doc.SettleFolds();
  bool consumed = false;
  if (!attributes && !text->has_formatting) {
    // Plain text (no format item was ever here): the attribute steps below
    // reduce to moving right past deleted items, and insert nothing else.
    absl::Status status = Transact(doc, text, [&](Transaction& t) {
      consumed = true;
      Item* left = ApplyCut(doc, t, cut);
      Item* right = left ? left->right : text->start;
      while (right && right->deleted) {
        left = right;
        right = right->right;
      }
      doc.InsertLocal(t, text, left, right, nullptr, content);
      if (doc.unit() != kItems) RememberItem(*text, doc.unit(), content, index);
      return absl::OkStatus();
    });
    if (!consumed) doc.FreeItem(content);
    return status;
  }
  absl::Status status = Transact(doc, text, [&](Transaction& t) {
    consumed = true;
    Pos p = PositionAt(doc, t, text, cut);
    Attrs attrs = attributes ? attributes->as_object() : p.attrs;
    for (auto& [key, val] : p.attrs) {
      if (!Get(attrs, key)) Set(attrs, key, Any::Null());
    }
    MinimizeAttributeChanges(p, attrs);
    Attrs negated = InsertAttributes(doc, t, text, p, attrs);
    InsertBetween(doc, t, text, p, content);
    InsertNegatedAttributes(doc, t, text, p, negated);
    // Everything between the cut and `content` weighs nothing (deleted runs,
    // format items), so it starts at `index`: where the next keystroke looks.
    if (doc.unit() != kItems) RememberItem(*text, doc.unit(), content, index);
    return absl::OkStatus();
  });
  if (!consumed) doc.FreeItem(content);  // refused before the edit began (busy, deleted type)
  return status;
}

// Deletes format items made redundant by a deletion (Yjs cleanupFormattingGap).
void CleanupFormattingGap(Transaction& t, Doc& doc, Item* start, Item* curr, const Attrs& start_attrs,
                          Attrs& curr_attrs) {
  Item* end = start;
  std::vector<std::pair<std::string, const Item*>> end_formats;
  while (end && (!end->countable() || end->deleted)) {
    if (!end->deleted && end->kind == ContentKind::kFormat) {
      std::erase_if(end_formats, [&](auto& p) { return p.first == end->extra()->key; });
      end_formats.emplace_back(end->extra()->key, end);
    }
    end = end->right;
  }
  bool reached_curr = false;
  for (; start != end; start = start->right) {
    if (curr == start) reached_curr = true;
    if (start->deleted || start->kind != ContentKind::kFormat) continue;
    const std::string& key = start->extra()->key;
    const Any& value = start->extra()->value;
    const Any& start_value = OrNull(Get(start_attrs, key));
    const Item* end_format = nullptr;
    for (auto& [k, f] : end_formats) {
      if (k == key) end_format = f;
    }
    if (end_format != start || start_value.StrictEquals(value)) {
      doc.DeleteItem(t, start);
      if (!reached_curr && OrNull(Get(curr_attrs, key)).StrictEquals(value) && !start_value.StrictEquals(value)) {
        if (start_value.is_null()) {
          Erase(curr_attrs, key);
        } else {
          Set(curr_attrs, key, start_value);
        }
      }
    }
    if (!reached_curr && !start->deleted) UpdateCurrent(curr_attrs, *start);
  }
}

uint64_t UnitLength(const Item& item, Unit u) {
  if (item.kind != ContentKind::kString) return item.countable() ? item.length : 0;
  if (item.ascii()) return item.length;
  utf8::Lengths l = utf8::Measure(item.str);
  return u == kUtf8 ? l.utf8 : u == kCodepoints ? l.codepoints : l.utf16;
}

// Yjs cleanupYTextFormatting: removes every redundant format item of a text.
void CleanupWholeText(Doc& doc, Transaction& t, Branch* text) {
  Item* start = text->start;
  Attrs start_attrs;
  Attrs current;
  for (Item* end = text->start; end; end = end->right) {
    if (end->deleted) continue;
    if (end->kind == ContentKind::kFormat) {
      UpdateCurrent(current, *end);
    } else {
      CleanupFormattingGap(t, doc, start, end, start_attrs, current);
      start_attrs = current;
      start = end;
    }
  }
}

// Yjs cleanupContextlessFormattingGap: around a deleted item, keep one format item per key.
void CleanupContextlessGap(Doc& doc, Transaction& t, Item* item) {
  while (item && item->right && (item->right->deleted || !item->right->countable())) item = item->right;
  std::vector<std::string> seen;
  while (item && (item->deleted || !item->countable())) {
    if (!item->deleted && item->kind == ContentKind::kFormat) {
      const std::string& key = item->extra()->key;
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        doc.DeleteItem(t, item);
      } else {
        seen.push_back(key);
      }
    }
    item = item->left;
  }
}

}  // namespace

namespace {

// One keystroke inside an open transaction, at the end of the remembered run
// when that run can take it (the typing case): what TextInsertAt's memo branch
// does there, with nothing else to test or set up.  Returns false, having
// changed nothing, whenever anything else holds; TextInsertAt then decides.
bool TypeAtMemo(Doc& doc, Branch* text, uint64_t index, std::string_view s) {
  const Unit u = doc.unit();
  const Branch::FindMemo& m = text->find_memo;
  if (!m.item || m.version != text->tree.version || m.unit != u || text->has_formatting ||
      !text->delta_observers.empty()) {
    return false;
  }
  Item* run = const_cast<Item*>(m.item);
  if (run->kind != ContentKind::kString || run->deleted) return false;
  const uint64_t w = LiveStringWeight(*run, u);
  if (w == 0 || index != m.start + w) return false;
  // Transact's tests, then its open-transaction case.
  if (doc.busy() || text->is_deleted() || doc.txn_depth() == 0 || !doc.txn()) return false;
  if (!doc.CanAppendToOwnRun(run)) return false;
  doc.AppendToOwnRun(*doc.txn(), run, s, s.size());
  RememberItem(*text, u, run, m.start);
  return true;
}

[[gnu::noinline]] absl::Status TextInsertAt(Doc& doc, Branch* text, uint64_t index, std::string_view s,
                                            const Any* attributes);

}  // namespace

absl::Status TextInsert(Doc& doc, Branch* text, uint64_t index, std::string_view s, const Any* attributes) {
  if (!attributes && s.size() == 1 && static_cast<unsigned char>(s[0]) < 0x80 && TypeAtMemo(doc, text, index, s)) {
    return absl::OkStatus();
  }
  return TextInsertAt(doc, text, index, s, attributes);
}

namespace {

absl::Status TextInsertAt(Doc& doc, Branch* text, uint64_t index, std::string_view s, const Any* attributes) {
  // ASCII (a keystroke, mostly) is valid UTF-8 of one UTF-16 unit per byte:
  // one pass instead of validating and then measuring.
  uint64_t utf16_len = s.size();
  if (!utf8::IsAscii(s)) {
    if (!utf8::IsValid(s)) return absl::InvalidArgumentError("text is not valid UTF-8");
    utf16_len = utf8::Utf16Length(s);
  }
  if (s.empty()) return Locate(*text, doc.unit(), index).status();
  // Typing at the end of our own newest run, outside formatting, with no
  // delta observer to tell apart old and new parts of one run: extend it.
  std::optional<Cut> located;
  if (!attributes && !text->has_formatting && text->delta_observers.empty()) {
    const Unit u = doc.unit();
    const Branch::FindMemo& m = text->find_memo;
    Cut cut;
    bool at_end = false;  // the cut is at cut.item's end, which starts at `start`
    uint64_t start = 0;
    if (m.item && m.version == text->tree.version && m.unit == u && m.item->kind == ContentKind::kString &&
        !m.item->deleted) {
      // The remembered string run ends at index: Locate's answer (the item
      // containing index - 1, cut at its end) without the lookup.
      const uint64_t w = LiveStringWeight(*m.item, u);
      if (w > 0 && index == m.start + w) {
        cut = Cut{const_cast<Item*>(m.item), m.item->length};
        at_end = true;
        start = m.start;
      }
    }
    if (!at_end) {
      auto c = Locate(*text, u, index);
      if (!c.ok()) return c.status();
      cut = *c;
      if (cut.item && cut.cut == cut.item->length) {
        at_end = true;
        start = index - cut.item->weight(u);  // the run ends at index
      }
    }
    if (at_end && doc.CanAppendToOwnRun(cut.item)) {
      return Transact(doc, text, [&](Transaction& t) {
        doc.AppendToOwnRun(t, cut.item, s, utf16_len);
        RememberItem(*text, u, cut.item, start);  // where the next keystroke looks
        return absl::OkStatus();
      });
    }
    located = cut;  // nothing changed since: no second lookup
  }
  Item* content = doc.NewItem();
  content->kind = ContentKind::kString;
  content->str = std::string(s);
  content->length = utf16_len;
  if (located) return InsertContentAt(doc, text, *located, index, content, attributes);
  return InsertContent(doc, text, index, content, attributes);
}

}  // namespace

absl::Status TextInsertEmbed(Doc& doc, Branch* text, uint64_t index, const Any& embed, const Any* attributes) {
  Item* content = doc.NewItem();
  content->kind = ContentKind::kEmbed;
  content->length = 1;
  content->mutable_extra().value = embed;
  static const Any kNoAttributes = Any::MakeObject({});
  return InsertContent(doc, text, index, content, attributes ? attributes : &kNoAttributes);
}

absl::Status TextDelete(Doc& doc, Branch* text, uint64_t index, uint64_t length) {
  Unit u = doc.unit();
  if (index > text->Length(u) || length > text->Length(u) - index) return absl::OutOfRangeError("range out of range");
  if (length > 0 && !text->has_formatting) {
    // A range inside one string run (a backspace, a selection in a word):
    // one lookup, and the run cut only where the range starts and ends.  The
    // general path below makes the same splits and deletion, after two lookups.
    uint64_t off = 0;
    Item* run = FindItem(*text, u, index, &off);
    // (FindItem returns a visible item: a string run here is live.)
    if (run && run->kind == ContentKind::kString && length <= LiveStringWeight(*run, u) - off) {
      uint64_t from = 0;
      uint64_t to = run->length;
      if (run->ascii()) {
        // Offsets in every unit are clock offsets (ClockOffset's first case).
        from = off;
        to = off + length;
      } else {
        if (off > 0) {
          auto c = ClockOffset(*run, u, off);
          if (!c.ok()) return c.status();
          from = *c;
        }
        if (off + length < LiveStringWeight(*run, u)) {
          auto c = ClockOffset(*run, u, off + length);
          if (!c.ok()) return c.status();
          to = *c;
        }
      }
      return Transact(doc, text, [&](Transaction& t) {
        doc.DeleteInRun(t, run, from, to);
        // `run` keeps its place and what precedes it (a folded head weighs nothing).
        RememberItem(*text, u, run, index - off);
        return absl::OkStatus();
      });
    }
  }
  if (doc.folds_pending() && text->has_formatting) doc.SettleFolds();
  auto start_cut = Locate(*text, u, index);
  if (!start_cut.ok()) return start_cut.status();
  if (length == 0) return absl::OkStatus();
  auto end_cut = Locate(*text, u, index + length);
  if (!end_cut.ok()) return end_cut.status();
  return Transact(doc, text, [&](Transaction& t) {
    Pos p = PositionAt(doc, t, text, *start_cut);
    Attrs start_attrs = p.attrs;
    Item* start = p.right;
    uint64_t remaining = length;
    while (remaining > 0 && p.right) {
      Item* r = p.right;
      if (r->visible()) {
        uint64_t w = r->weight(u);
        if (remaining < w) doc.SplitItem(t, r, *ClockOffset(*r, u, remaining));
        remaining -= r->weight(u);
        doc.DeleteItem(t, r);
      }
      p.Forward();
    }
    if (start && text->has_formatting) CleanupFormattingGap(t, doc, start, p.right, start_attrs, p.attrs);
    return absl::OkStatus();
  });
}

absl::Status TextFormat(Doc& doc, Branch* text, uint64_t index, uint64_t length, const Any& attributes) {
  Unit u = doc.unit();
  if (attributes.kind() != Any::Kind::kObject) return absl::InvalidArgumentError("attributes must be a JSON object");
  if (index > text->Length(u) || length > text->Length(u) - index) return absl::OutOfRangeError("range out of range");
  auto cut = Locate(*text, u, index);
  if (!cut.ok()) return cut.status();
  auto end_cut = Locate(*text, u, index + length);
  if (!end_cut.ok()) return end_cut.status();
  if (length == 0) return absl::OkStatus();
  const Attrs& attrs = attributes.as_object();
  if (doc.folds_pending()) doc.SettleFolds();  // formatting walks deleted items as Yjs holds them
  return Transact(doc, text, [&](Transaction& t) {
    Pos p = PositionAt(doc, t, text, *cut);
    if (!p.right) return absl::OkStatus();
    MinimizeAttributeChanges(p, attrs);
    Attrs negated = InsertAttributes(doc, t, text, p, attrs);
    uint64_t remaining = length;
    while (p.right && (remaining > 0 || (!negated.empty() && (p.right->deleted || p.right->kind == ContentKind::kFormat)))) {
      Item* r = p.right;
      if (!r->deleted) {
        if (r->kind == ContentKind::kFormat) {
          const std::string& key = r->extra()->key;
          const Any* attr = Get(attrs, key);
          if (attr) {
            if (EqualAttrs(attr, &r->extra()->value)) {
              Erase(negated, key);
            } else {
              if (remaining == 0) break;
              Set(negated, key, r->extra()->value);
            }
            doc.DeleteItem(t, r);
          } else {
            Set(p.attrs, key, r->extra()->value);
          }
        } else if (r->countable()) {
          uint64_t w = r->weight(u);
          if (remaining < w) doc.SplitItem(t, r, *ClockOffset(*r, u, remaining));
          remaining -= std::min<uint64_t>(remaining, r->weight(u));
        }
      }
      p.Forward();
    }
    if (remaining > 0) {
      // Quill expects a trailing newline: formatting past the end inserts newlines, as Yjs does.
      Item* nl = doc.NewItem();
      nl->kind = ContentKind::kString;
      nl->str = std::string(remaining, '\n');
      nl->length = remaining;
      InsertBetween(doc, t, text, p, nl);
    }
    InsertNegatedAttributes(doc, t, text, p, negated);
    return absl::OkStatus();
  });
}

std::string TextString(const Branch& text) {
  std::string out;
  // The visible UTF-8 length (exact for text of strings only): one allocation.
  out.reserve(text.Length(kUtf8));
  for (const Item* n = text.start; n; n = n->right) {
    if (!n->deleted && n->kind == ContentKind::kString) out += n->str;
  }
  return out;
}

size_t TextCopy(const Branch& text, char* out) {
  char* p = out;
  for (const Item* n = text.start; n; n = n->right) {
    if (!n->deleted && n->kind == ContentKind::kString) p = n->str.CopyOut(p);
  }
  return static_cast<size_t>(p - out);
}

Any TextToDelta(const Branch& text) {
  Any::Array ops;
  Attrs cur;
  std::string str;
  auto make_op = [&](Any insert) {
    Any::Object op;
    op.emplace_back("insert", std::move(insert));
    if (!cur.empty()) op.emplace_back("attributes", Any::MakeObject(cur));
    ops.push_back(Any::MakeObject(std::move(op)));
  };
  auto pack = [&]() {
    if (!str.empty()) {
      make_op(Any::String(std::move(str)));
      str.clear();
    }
  };
  for (const Item* n = text.start; n; n = n->right) {
    if (n->deleted) continue;
    switch (n->kind) {
      case ContentKind::kString:
        str += n->str;
        break;
      case ContentKind::kEmbed:
      case ContentKind::kType:
        pack();
        make_op(ItemValue(*n, 0));
        break;
      case ContentKind::kFormat:
        pack();
        UpdateCurrent(cur, *n);
        break;
      default:
        break;
    }
  }
  pack();
  return Any::MakeArray(std::move(ops));
}

}  // namespace codesync::types

namespace codesync {

void CleanupFormatting(Transaction& cleanup, const Transaction& finished) {
  Doc& doc = *cleanup.doc;
  const StructStore& store = doc.store();
  std::vector<Branch*> full;
  auto add_full = [&](Branch* b) {
    if (std::find(full.begin(), full.end(), b) == full.end()) full.push_back(b);
  };
  for (uint64_t client : finished.touched_clients) {
    uint64_t before = finished.BeforeClock(client);
    auto sit = store.clients.find(client);
    if (sit == store.clients.end() || sit->second.end_clock() <= before) continue;
    for (auto i = sit->second.FindIter(before); i != sit->second.end(); ++i) {
      const Item* s = *i;
      if (!s->deleted && s->kind == ContentKind::kFormat && s->parent) add_full(s->parent);
    }
  }
  std::vector<Item*> contextless;
  for (auto& [client, ranges] : finished.delete_set.clients) {
    auto sit = store.clients.find(client);
    if (sit == store.clients.end()) continue;
    for (const DeleteRange& r : ranges) {
      for (auto i = sit->second.FindIter(r.clock); i != sit->second.end(); ++i) {
        Item* s = *i;
        if (s->id.clock >= r.clock + r.len) break;
        if (s->is_gc() || !s->parent || !s->parent->has_formatting) continue;
        if (std::find(full.begin(), full.end(), s->parent) != full.end()) continue;
        if (s->kind == ContentKind::kFormat) {
          add_full(s->parent);
        } else {
          types::CleanupContextlessGap(doc, cleanup, s);
        }
      }
    }
  }
  for (Branch* b : full) types::CleanupWholeText(doc, cleanup, b);
}

namespace {

// Delta of a text with formatting: one pass over the whole sequence that also
// reports formatting changes as retains with attributes (Yjs YTextEvent.delta).
std::vector<DeltaOp> FormattedDelta(const Branch& text, const Transaction& t, std::vector<Item*>* redundant) {
  const Unit u = t.doc->unit();
  auto adds = [&](const Item* item) {
    return item->id.clock >= t.BeforeClock(item->id.client);
  };
  auto deletes = [&](const Item* item) { return t.delete_set.Contains(item->id); };
  std::vector<DeltaOp> delta;
  types::Attrs current, old, attributes;
  DeltaOp::Kind action = DeltaOp::kRetain;
  bool has_action = false;
  std::string insert;
  const Any* embed = nullptr;
  uint64_t insert_len = 0, retain = 0, delete_len = 0;
  auto add_op = [&]() {
    if (!has_action) return;
    DeltaOp op;
    op.kind = action;
    bool push = false;
    if (action == DeltaOp::kDelete && delete_len > 0) {
      op.length = delete_len;
      push = true;
    } else if (action == DeltaOp::kInsert && (embed || !insert.empty())) {
      op.length = insert_len;
      op.text = std::move(insert);
      op.embed = embed;
      types::Attrs a;
      for (auto& [k, v] : current) {
        if (!v.is_null()) a.emplace_back(k, v);
      }
      if (!a.empty()) op.attributes = Any::MakeObject(std::move(a));
      push = true;
    } else if (action == DeltaOp::kRetain && retain > 0) {
      op.length = retain;
      if (!attributes.empty()) op.attributes = Any::MakeObject(attributes);
      push = true;
    }
    if (push) delta.push_back(std::move(op));
    insert.clear();
    embed = nullptr;
    insert_len = retain = delete_len = 0;
    has_action = false;
  };
  auto start = [&](DeltaOp::Kind k) {
    if (!has_action || action != k) {
      add_op();
      action = k;
      has_action = true;
    }
  };
  for (Item* item = text.start; item; item = item->right) {
    bool dropped = false;
    auto drop = [&]() {
      redundant->push_back(item);
      dropped = true;
    };
    switch (item->kind) {
      case ContentKind::kType:
      case ContentKind::kEmbed:
      case ContentKind::kString: {
        bool is_string = item->kind == ContentKind::kString;
        uint64_t len = types::UnitLength(*item, u);
        if (adds(item)) {
          if (!deletes(item)) {
            if (is_string) {
              start(DeltaOp::kInsert);
              insert += item->str;
              insert_len += len;
            } else {
              add_op();
              action = DeltaOp::kInsert;
              has_action = true;
              embed = item->extra() ? &item->extra()->value : nullptr;
              insert_len = 1;
              add_op();
            }
          }
        } else if (deletes(item)) {
          start(DeltaOp::kDelete);
          delete_len += len;
        } else if (!item->deleted) {
          start(DeltaOp::kRetain);
          retain += len;
        }
        break;
      }
      case ContentKind::kFormat: {
        const std::string& key = item->extra()->key;
        const Any& value = item->extra()->value;
        if (adds(item)) {
          if (!deletes(item)) {
            const Any& cur = types::OrNull(types::Get(current, key));
            if (!types::EqualAttrs(&cur, &value)) {
              if (has_action && action == DeltaOp::kRetain) add_op();
              if (types::EqualAttrs(&value, &types::OrNull(types::Get(old, key)))) {
                types::Erase(attributes, key);
              } else {
                types::Set(attributes, key, value);
              }
            } else if (!value.is_null()) {
              drop();
            }
          }
        } else if (deletes(item)) {
          types::Set(old, key, value);
          const Any& cur = types::OrNull(types::Get(current, key));
          if (!types::EqualAttrs(&cur, &value)) {
            if (has_action && action == DeltaOp::kRetain) add_op();
            types::Set(attributes, key, cur);
          }
        } else if (!item->deleted) {
          types::Set(old, key, value);
          const Any* attr = types::Get(attributes, key);
          if (attr && !types::EqualAttrs(attr, &value)) {
            if (has_action && action == DeltaOp::kRetain) add_op();
            if (value.is_null()) {
              types::Erase(attributes, key);
            } else {
              types::Set(attributes, key, value);
            }
          } else if (attr && !attr->is_null()) {
            drop();
          }
        }
        if (!item->deleted && !dropped) {
          if (has_action && action == DeltaOp::kInsert) add_op();
          types::UpdateCurrent(current, *item);
        }
        break;
      }
      default:
        break;
    }
  }
  add_op();
  while (!delta.empty() && delta.back().kind == DeltaOp::kRetain && delta.back().attributes.is_undefined()) {
    delta.pop_back();
  }
  return delta;
}

}  // namespace

std::vector<DeltaOp> ComputeDelta(const Branch& text, const Transaction& t, std::vector<Item*>* redundant) {
  if (text.has_formatting) return FormattedDelta(text, t, redundant);
  const Doc& doc = *t.doc;
  const Unit u = doc.unit();
  const StructStore& store = doc.store();
  // Changed items of this text: inserted (and still there) or deleted (and older than the transaction).
  std::vector<const Item*> changed;
  for (uint64_t client : t.touched_clients) {
    auto it = store.clients.find(client);
    if (it == store.clients.end()) continue;
    uint64_t b = t.BeforeClock(client);
    if (it->second.end_clock() <= b) continue;
    for (auto i = it->second.FindIter(b); i != it->second.end(); ++i) {
      const Item* s = *i;
      if (s->parent == &text && !s->parent_sub() && !s->deleted && s->countable()) changed.push_back(s);
    }
  }
  for (auto& [client, ranges] : t.delete_set.clients) {
    auto it = store.clients.find(client);
    if (it == store.clients.end()) continue;
    uint64_t b = t.BeforeClock(client);
    for (const DeleteRange& r : ranges) {
      for (auto i = it->second.FindIter(r.clock); i != it->second.end(); ++i) {
        const Item* s = *i;
        if (s->id.clock >= r.clock + r.len) break;
        if (s->parent == &text && !s->parent_sub() && s->id.clock < b && s->countable()) changed.push_back(s);
      }
    }
  }
  std::vector<std::pair<uint64_t, const Item*>> order;
  order.reserve(changed.size());
  for (const Item* s : changed) order.emplace_back(seq::Rank(s, kItems), s);
  std::sort(order.begin(), order.end());

  std::vector<DeltaOp> ops;
  uint64_t pos = 0;
  for (auto& [rank, s] : order) {
    uint64_t r = seq::Rank(s, u);
    if (r > pos) {
      if (!ops.empty() && ops.back().kind == DeltaOp::kRetain) {
        ops.back().length += r - pos;
      } else {
        DeltaOp op;
        op.kind = DeltaOp::kRetain;
        op.length = r - pos;
        ops.push_back(std::move(op));
      }
      pos = r;
    }
    if (s->deleted) {
      uint64_t len = types::UnitLength(*s, u);
      if (!ops.empty() && ops.back().kind == DeltaOp::kDelete) {
        ops.back().length += len;
      } else {
        DeltaOp op;
        op.kind = DeltaOp::kDelete;
        op.length = len;
        ops.push_back(std::move(op));
      }
    } else {
      Any attrs;
      if (text.has_formatting) {
        types::Attrs a = types::AttributesBefore(text, s);
        if (!a.empty()) attrs = Any::MakeObject(std::move(a));
      }
      bool is_text = s->kind == ContentKind::kString;
      if (is_text && !ops.empty() && ops.back().kind == DeltaOp::kInsert && !ops.back().embed &&
          ops.back().attributes == attrs) {
        ops.back().text += s->str;
        ops.back().length += s->weight(u);
      } else {
        DeltaOp op;
        op.kind = DeltaOp::kInsert;
        op.length = s->weight(u);
        if (is_text) {
          op.text = s->str;
        } else {
          op.embed = s->extra() ? &s->extra()->value : nullptr;
        }
        op.attributes = std::move(attrs);
        ops.push_back(std::move(op));
      }
      pos += s->weight(u);
    }
  }
  return ops;
}

}  // namespace codesync
