#include "history/snapshot.h"

#include <algorithm>

#include "core/update.h"
#include "encoding/lib0.h"
#include "encoding/utf8.h"
#include "types/types.h"

namespace codesync::history {
namespace {

absl::Status NeedsHistory(const Doc& doc) {
  if (!doc.gc_enabled()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "the document collects garbage (gc on), so old versions are lost: create it with gc = 0 to read history");
}

// A snapshot can only describe states this document has seen.
absl::Status NotAhead(const Doc& doc, const Snapshot& s) {
  for (auto& [client, clock] : s.sv) {
    uint64_t have = doc.store().State(client);
    if (clock > have) {
      return absl::InvalidArgumentError("the snapshot is ahead of the document: client " + std::to_string(client) +
                                        " at clock " + std::to_string(clock) + ", the document has " +
                                        std::to_string(have));
    }
  }
  return absl::OkStatus();
}

// True when the (sorted, merged) delete set holds every clock of [from, to) of client.
bool Covers(const DeleteSet& ds, uint64_t client, uint64_t from, uint64_t to) {
  auto it = ds.clients.find(client);
  if (it == ds.clients.end()) return false;
  const auto& r = it->second;
  auto pos = std::upper_bound(r.begin(), r.end(), from, [](uint64_t c, const DeleteRange& d) { return c < d.clock; });
  if (pos == r.begin()) return false;
  --pos;
  return pos->clock + pos->len >= to;
}

// Visibility of clock `clock` of item at snapshot s (nullptr = now).
bool VisibleAt(const Item& item, uint64_t clock, const Snapshot* s) {
  if (!s) return !item.deleted;
  return s->Visible({item.id.client, clock});
}

// Splits the item's clocks into pieces over which visibility at a and at b is
// constant (what Yjs gets by splitting structs at the snapshots' boundaries)
// and calls fn(begin, end, visible_at_a, visible_at_b) for each.
template <typename Fn>
void ForEachPiece(const Item& item, const Snapshot* a, const Snapshot* b, Fn fn) {
  const uint64_t c0 = item.id.clock, c1 = item.end_clock();
  std::vector<uint64_t> cuts{c0, c1};
  for (const Snapshot* s : {a, b}) {
    if (!s) continue;
    uint64_t sv = s->Clock(item.id.client);
    if (sv > c0 && sv < c1) cuts.push_back(sv);
    auto it = s->ds.clients.find(item.id.client);
    if (it == s->ds.clients.end()) continue;
    const auto& ranges = it->second;
    auto r = std::upper_bound(ranges.begin(), ranges.end(), c0,
                              [](uint64_t c, const DeleteRange& d) { return c < d.clock; });
    if (r != ranges.begin()) --r;
    for (; r != ranges.end() && r->clock < c1; ++r) {
      for (uint64_t p : {r->clock, r->clock + r->len}) {
        if (p > c0 && p < c1) cuts.push_back(p);
      }
    }
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  for (size_t i = 0; i + 1 < cuts.size(); i++) {
    fn(cuts[i], cuts[i + 1], VisibleAt(item, cuts[i], a), VisibleAt(item, cuts[i], b));
  }
}

// Clocks [from, to) of a string item as UTF-8; a cut inside a surrogate pair
// reads as U+FFFD, as Yjs splits it.
std::string StringPiece(const Item& item, uint64_t from, uint64_t to) {
  const std::string_view s = item.str;
  bool in_from = false, in_to = false;
  size_t b0 = from == 0 ? 0 : utf8::ByteOffsetOfUtf16(s, from, &in_from);
  size_t b1 = to >= item.length ? s.size() : utf8::ByteOffsetOfUtf16(s, to, &in_to);
  std::string out;
  if (in_from) {
    out.append(utf8::kReplacement);
    b0 += 4;
  }
  if (b1 > b0) out.append(s, b0, b1 - b0);
  if (in_to) out.append(utf8::kReplacement);
  return out;
}

// The same, but a character belongs to the piece holding its first clock: no
// U+FFFD, so lengths agree with the live document's indices (for restore).
std::string WholeCharPiece(const Item& item, uint64_t from, uint64_t to) {
  const std::string_view s = item.str;
  bool in_from = false, in_to = false;
  size_t b0 = from == 0 ? 0 : utf8::ByteOffsetOfUtf16(s, from, &in_from);
  size_t b1 = to >= item.length ? s.size() : utf8::ByteOffsetOfUtf16(s, to, &in_to);
  if (in_from) b0 += 4;
  if (in_to) b1 += 4;
  return b1 > b0 ? std::string(s.substr(b0, b1 - b0)) : std::string();
}

uint64_t UnitLength(std::string_view s, Unit u) {
  utf8::Lengths l = utf8::Measure(s);
  return u == kUtf8 ? l.utf8 : u == kCodepoints ? l.codepoints : l.utf16;
}

// Content of clocks [from, to) of a countable sequence item, for diffs and restore.
struct Piece {
  const Item* item = nullptr;
  uint64_t from = 0, to = 0;
  std::string text;  // strings
  std::vector<Any> values;  // everything else, one per clock
  uint64_t Length(Unit u) const { return item->kind == ContentKind::kString ? UnitLength(text, u) : to - from; }
};

Piece MakePiece(const Item& item, uint64_t from, uint64_t to, bool whole_chars = false) {
  Piece p;
  p.item = &item;
  p.from = from;
  p.to = to;
  uint64_t o0 = from - item.id.clock, o1 = to - item.id.clock;
  if (item.kind == ContentKind::kString) {
    p.text = whole_chars ? WholeCharPiece(item, o0, o1) : StringPiece(item, o0, o1);
  } else {
    for (uint64_t i = o0; i < o1; i++) p.values.push_back(types::ItemValue(item, i));
  }
  return p;
}

// The sequence of `b` as (piece, visible at a, visible at b), countable content only.
template <typename Fn>
void WalkSequence(const Branch& seq, const Snapshot* a, const Snapshot* b, Fn fn) {
  for (const Item* n = seq.start; n; n = n->right) {
    if (!n->countable()) continue;
    ForEachPiece(*n, a, b, [&](uint64_t from, uint64_t to, bool va, bool vb) {
      if (va || vb) fn(*n, from, to, va, vb);
    });
  }
}

// The item (and clock) holding key's value at snapshot s (nullptr = now), as Yjs typeMapGetSnapshot.
const Item* MapEntryAt(const Branch& map, const std::string& key, const Snapshot* s, uint64_t* clock) {
  auto it = map.map.find(key);
  if (it == map.map.end()) return nullptr;
  const Item* v = it->second;
  if (!s) {
    if (v->deleted) return nullptr;
    *clock = v->end_clock() - 1;
    return v;
  }
  uint64_t sv = 0;
  while (v && v->id.clock >= (sv = s->Clock(v->id.client))) v = v->left;
  if (!v) return nullptr;
  uint64_t c = std::min(v->end_clock(), sv) - 1;
  if (!s->Visible({v->id.client, c}) || !v->countable()) return nullptr;
  *clock = c;
  return v;
}

}  // namespace

Snapshot TakeSnapshot(const Doc& doc) {
  Snapshot s;
  s.ds = DeleteSetFromStore(doc.store());
  s.sv = doc.store().GetStateVector();
  return s;
}

std::vector<uint8_t> EncodeSnapshot(const Snapshot& s) {
  Encoder enc;
  s.ds.Encode(enc);
  EncodeStateVector(s.sv, enc);
  return enc.Take();
}

absl::StatusOr<Snapshot> DecodeSnapshot(const uint8_t* data, size_t len) {
  Decoder dec(data, len);
  Snapshot s;
  s.ds = DeleteSet::Decode(dec);
  if (dec.ok()) s.sv = DecodeStateVector(dec);
  if (!dec.ok()) return absl::DataLossError(std::string("malformed snapshot: ") + dec.error());
  if (!dec.AtEnd()) return absl::DataLossError("malformed snapshot: trailing bytes after the state vector");
  s.ds.SortAndMerge();
  return s;
}

bool SnapshotsEqual(const Snapshot& a, const Snapshot& b) {
  if (a.sv != b.sv || a.ds.clients.size() != b.ds.clients.size()) return false;
  for (auto& [client, ranges] : a.ds.clients) {
    auto it = b.ds.clients.find(client);
    if (it == b.ds.clients.end() || it->second.size() != ranges.size()) return false;
    for (size_t i = 0; i < ranges.size(); i++) {
      if (ranges[i].clock != it->second[i].clock || ranges[i].len != it->second[i].len) return false;
    }
  }
  return true;
}

absl::StatusOr<bool> SnapshotContainsUpdate(const Snapshot& s, const uint8_t* update, size_t len) {
  Interner interner;
  auto decoded = DecodeUpdate(update, len, interner);
  if (!decoded.ok()) return decoded.status();
  for (auto& [client, refs] : decoded->clients) {
    for (const StructRef& r : refs) {
      if (s.Clock(client) < r.item->end_clock()) return false;
    }
  }
  DeleteSet merged = s.ds;
  merged.MergeFrom(decoded->ds);
  return SnapshotsEqual(Snapshot{merged, {}}, Snapshot{s.ds, {}});
}

absl::StatusOr<std::vector<uint8_t>> SnapshotUpdate(const Doc& origin, const Snapshot& s) {
  if (absl::Status st = NeedsHistory(origin); !st.ok()) return st;
  if (absl::Status st = NotAhead(origin, s); !st.ok()) return st;
  const StructStore& store = origin.store();
  for (auto& [client, clock] : s.sv) {
    if (clock == 0) continue;
    // Content the snapshot shows must still be here (a gc peer may have dropped it).
    const ClientStructs& structs = store.clients.at(client);
    for (auto pos = structs.begin(); pos != structs.end() && (*pos)->id.clock < clock; ++pos) {
      const Item* it = *pos;
      if (it->kind != ContentKind::kDeleted && it->kind != ContentKind::kGC) continue;
      if (!Covers(s.ds, client, it->id.clock, std::min(it->end_clock(), clock))) {
        return absl::InvalidArgumentError("content visible at the snapshot was garbage collected (client " +
                                          std::to_string(client) + ", clocks from " + std::to_string(it->id.clock) +
                                          ")");
      }
    }
  }
  Encoder enc;
  WriteStructsUntil(store, s.sv, enc);
  s.ds.Encode(enc);
  return enc.Take();
}

absl::StatusOr<std::unique_ptr<Doc>> DocFromSnapshot(const Doc& origin, const Snapshot& s, const DocOptions& options) {
  auto update = SnapshotUpdate(origin, s);
  if (!update.ok()) return update.status();
  auto doc = std::make_unique<Doc>(options);
  absl::Status st = ApplyUpdate(*doc, update->data(), update->size(), std::string("snapshot"));
  if (!st.ok()) return absl::InternalError("could not rebuild the snapshot: " + std::string(st.message()));
  return doc;
}

absl::StatusOr<std::vector<TextChange>> DiffText(const Branch& text, const Snapshot* prev, const Snapshot* next) {
  if (absl::Status st = NeedsHistory(*text.doc); !st.ok()) return st;
  for (const Snapshot* x : {prev, next}) {
    if (absl::Status st = x ? NotAhead(*text.doc, *x) : absl::OkStatus(); !st.ok()) return st;
  }
  static const Snapshot kEmpty;
  if (!prev) prev = &kEmpty;
  const Unit u = text.doc->unit();
  std::vector<TextChange> out;
  auto push = [&](TextChange c) {
    if (!out.empty()) {
      TextChange& last = out.back();
      bool same = last.kind == c.kind && (c.kind == TextChange::kRetain || last.client == c.client);
      if (same && last.embed.is_undefined() && c.embed.is_undefined()) {
        last.length += c.length;
        last.text += c.text;
        return;
      }
    }
    out.push_back(std::move(c));
  };
  WalkSequence(text, prev, next, [&](const Item& n, uint64_t from, uint64_t to, bool in_prev, bool in_next) {
    Piece p = MakePiece(n, from, to);
    TextChange c;
    c.kind = in_prev && in_next ? TextChange::kRetain : in_next ? TextChange::kInsert : TextChange::kDelete;
    c.length = p.Length(u);
    if (c.kind != TextChange::kRetain) {
      c.client = n.id.client;
      if (n.kind == ContentKind::kString) {
        c.text = std::move(p.text);
      } else {
        // Embeds stand alone: one change per element.
        for (Any& v : p.values) {
          TextChange e = c;
          e.length = 1;
          e.embed = std::move(v);
          push(std::move(e));
        }
        return;
      }
    }
    push(std::move(c));
  });
  return out;
}

absl::StatusOr<std::vector<MapChange>> DiffMap(const Branch& map, const Snapshot* prev, const Snapshot* next) {
  if (absl::Status st = NeedsHistory(*map.doc); !st.ok()) return st;
  for (const Snapshot* x : {prev, next}) {
    if (absl::Status st = x ? NotAhead(*map.doc, *x) : absl::OkStatus(); !st.ok()) return st;
  }
  std::vector<MapChange> out;
  for (auto& [key, newest] : map.map) {
    uint64_t c_old = 0, c_new = 0;
    const Item* o = prev ? MapEntryAt(map, key, prev, &c_old) : nullptr;
    const Item* n = MapEntryAt(map, key, next, &c_new);
    if (!o && !n) continue;
    if (o == n && c_old == c_new) continue;
    MapChange c;
    c.key = key;
    if (o) c.old_value = types::ItemValue(*o, c_old - o->id.clock);
    if (n) c.new_value = types::ItemValue(*n, c_new - n->id.clock);
    if (o && n && o->kind != ContentKind::kType && n->kind != ContentKind::kType && c.old_value == c.new_value) continue;
    c.kind = !o ? MapChange::kAdd : !n ? MapChange::kDelete : MapChange::kUpdate;
    c.client = n ? n->id.client : o->id.client;
    out.push_back(std::move(c));
  }
  return out;
}

namespace {

absl::Status RestoreBranch(Doc& doc, Branch* b, const Snapshot& s, int depth);

// Restores the nested types that exist both now and at the snapshot.
absl::Status RestoreNested(Doc& doc, const Item& item, const Snapshot& s, int depth) {
  if (!item.type() || item.deleted) return absl::OkStatus();
  return RestoreBranch(doc, item.type(), s, depth + 1);
}

absl::Status RestoreSequence(Doc& doc, Branch* b, const Snapshot& s, int depth, bool is_text) {
  const Unit u = is_text ? doc.unit() : kItems;
  struct Op {
    TextChange::Kind kind;
    Piece piece;
  };
  std::vector<Op> ops;
  std::vector<const Item*> nested;
  WalkSequence(*b, nullptr, &s, [&](const Item& n, uint64_t from, uint64_t to, bool now, bool then) {
    // Whole characters only: a snapshot that cuts a surrogate pair (only a
    // hostile one can) must not make indices drift from the live document's.
    if (now && then) {
      if (n.kind == ContentKind::kType) nested.push_back(&n);
      ops.push_back({TextChange::kRetain, MakePiece(n, from, to, true)});
    } else if (now) {
      ops.push_back({TextChange::kDelete, MakePiece(n, from, to, true)});
    } else if (n.kind != ContentKind::kType) {
      ops.push_back({TextChange::kInsert, MakePiece(n, from, to, true)});
    }
  });
  uint64_t index = 0;
  for (Op& op : ops) {
    // Arrays count elements; so do embeds in a text.
    uint64_t len = is_text ? op.piece.Length(u) : op.piece.to - op.piece.from;
    if (len == 0) continue;
    absl::Status st;
    switch (op.kind) {
      case TextChange::kRetain:
        index += len;
        break;
      case TextChange::kDelete:
        st = is_text ? types::TextDelete(doc, b, index, len) : types::ArrayDelete(doc, b, index, len);
        break;
      case TextChange::kInsert:
        if (!is_text) {
          st = types::ArrayInsert(doc, b, index, std::move(op.piece.values));
        } else if (op.piece.item->kind == ContentKind::kString) {
          st = types::TextInsert(doc, b, index, op.piece.text, nullptr);
        } else {
          for (const Any& v : op.piece.values) {
            if (!(st = types::TextInsertEmbed(doc, b, index + (&v - op.piece.values.data()), v, nullptr)).ok()) break;
          }
        }
        index += len;
        break;
    }
    if (!st.ok()) return st;
  }
  for (const Item* n : nested) {
    if (absl::Status st = RestoreNested(doc, *n, s, depth); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status RestoreMap(Doc& doc, Branch* b, const Snapshot& s, int depth) {
  std::vector<std::string> keys;
  for (auto& [key, item] : b->map) keys.push_back(key);
  for (const std::string& key : keys) {
    uint64_t c_then = 0, c_now = 0;
    const Item* then = MapEntryAt(*b, key, &s, &c_then);
    const Item* now = MapEntryAt(*b, key, nullptr, &c_now);
    if (then == now) {
      if (now) {
        if (c_then != c_now) {
          if (absl::Status st = types::MapSet(doc, b, key, types::ItemValue(*then, c_then - then->id.clock)); !st.ok()) {
            return st;
          }
        } else if (absl::Status st = RestoreNested(doc, *now, s, depth); !st.ok()) {
          return st;
        }
      }
      continue;
    }
    absl::Status st;
    if (!then) {
      st = types::MapDelete(doc, b, key);
    } else if (then->kind != ContentKind::kType) {
      Any v = types::ItemValue(*then, c_then - then->id.clock);
      if (!now || now->kind == ContentKind::kType || types::ItemValue(*now, c_now - now->id.clock) != v) {
        st = types::MapSet(doc, b, key, std::move(v));
      }
    }
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status RestoreBranch(Doc& doc, Branch* b, const Snapshot& s, int depth) {
  if (depth > 64 || b->is_deleted()) return absl::OkStatus();
  switch (b->ref) {
    case TypeRef::kText:
      return RestoreSequence(doc, b, s, depth, /*is_text=*/true);
    case TypeRef::kArray:
      return RestoreSequence(doc, b, s, depth, /*is_text=*/false);
    case TypeRef::kMap:
      return RestoreMap(doc, b, s, depth);
    case TypeRef::kUnknown: {
      // A root only a peer has used so far: its content tells the kind (as ToAny guesses it).
      if (!b->start) return RestoreMap(doc, b, s, depth);
      bool text = false;
      for (const Item* n = b->start; n && !text; n = n->right) {
        text = n->kind == ContentKind::kString || n->kind == ContentKind::kFormat;
      }
      return RestoreSequence(doc, b, s, depth, text);
    }
    default:
      return absl::OkStatus();  // XML is left as it is
  }
}

}  // namespace

absl::Status RestoreSnapshot(Doc& doc, const Snapshot& s, std::optional<std::string> origin) {
  if (absl::Status st = NeedsHistory(doc); !st.ok()) return st;
  if (doc.busy()) return absl::UnavailableError("the document is busy: edits from inside an observer are refused");
  if (absl::Status st = NotAhead(doc, s); !st.ok()) return st;
  doc.Begin(std::move(origin), /*local=*/true);
  absl::Status st;
  std::vector<Branch*> roots;
  for (auto& [name, b] : doc.roots()) roots.push_back(b);
  for (Branch* b : roots) {
    if (!(st = RestoreBranch(doc, b, s, 0)).ok()) break;
  }
  doc.Commit();
  return st;
}

std::vector<AuthorRun> Authorship(const Branch& text) {
  const Unit u = text.doc->unit();
  std::vector<AuthorRun> out;
  uint64_t index = 0;
  for (const Item* n = text.start; n; n = n->right) {
    if (!n->visible() || n->weight(u) == 0) continue;
    uint64_t len = n->weight(u);
    if (!out.empty() && out.back().client == n->id.client && out.back().index + out.back().length == index) {
      out.back().length += len;
    } else {
      out.push_back({index, len, n->id.client});
    }
    index += len;
  }
  return out;
}

}  // namespace codesync::history
