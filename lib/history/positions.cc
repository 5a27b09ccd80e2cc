#include "history/positions.h"

#include "core/seq_index.h"
#include "encoding/any.h"
#include "encoding/lib0.h"
#include "encoding/utf8.h"
#include "types/sequence.h"

namespace codesync::history {
namespace {

// Unit of indices for a type: text in the doc's unit, everything else in clocks.
Unit UnitOf(const Doc& doc, const Branch& type) { return type.ref == TypeRef::kText ? doc.unit() : kUtf16; }

// The unit index of UTF-16 position u16 in type (rounded down to a character start).
uint64_t Utf16ToUnit(const Branch& type, Unit u, uint64_t u16) {
  if (u == kUtf16 || u16 == 0) return u16;
  uint64_t total = type.Length(kUtf16);
  if (u16 >= total) return type.Length(u);
  uint64_t off = 0;
  Item* item = seq::Find(type.tree, kUtf16, u16, &off);  // the item holding the character at u16
  if (!item) return type.Length(u);
  uint64_t before = seq::Rank(item, u);
  if (item->kind != ContentKind::kString || off == 0) return before + off;
  bool inside = false;
  size_t b = utf8::ByteOffsetOfUtf16(item->str, off, &inside);
  if (u == kUtf8) return before + b;
  return before + utf8::Measure(std::string_view(item->str).substr(0, b)).codepoints;
}

bool ReadId(Decoder& dec, OptId* out) {
  uint64_t client = dec.ReadVarUint();
  uint64_t clock = dec.ReadVarUint();
  *out = OptId::Of({client, clock});
  return dec.ok() && clock <= (uint64_t{1} << 53);  // Yjs's safe integers (and OptId's absent mark above)
}

absl::StatusOr<OptId> IdFromJson(const Any* v, const char* field) {
  if (!v || v->is_null() || v->is_undefined()) return OptId::None();
  auto num = [&](const char* key) -> absl::StatusOr<uint64_t> {
    const Any* n = v->kind() == Any::Kind::kObject ? v->Find(key) : nullptr;
    if (!n || n->kind() != Any::Kind::kNumber) {
      return absl::InvalidArgumentError(std::string("relative position: ") + field + "." + key + " is not a number");
    }
    double d = n->as_number();
    if (!(d >= 0 && d <= 9007199254740991.0) || d != static_cast<double>(static_cast<uint64_t>(d))) {
      return absl::InvalidArgumentError(std::string("relative position: ") + field + "." + key +
                                        " is not a non-negative integer");
    }
    return static_cast<uint64_t>(d);
  };
  auto client = num("client");
  if (!client.ok()) return client.status();
  auto clock = num("clock");
  if (!clock.ok()) return clock.status();
  return OptId::Of({*client, *clock});
}

void AppendId(std::string& out, const char* name, Id id) {
  out += "\"";
  out += name;
  out += "\":{\"client\":" + std::to_string(id.client) + ",\"clock\":" + std::to_string(id.clock) + "}";
}

}  // namespace

absl::StatusOr<RelativePosition> FromIndex(const Doc& doc, const Branch& type, uint64_t index, int64_t assoc) {
  if (type.ref != TypeRef::kText && type.ref != TypeRef::kArray) {
    return absl::InvalidArgumentError("relative positions point into texts and arrays");
  }
  const Unit u = UnitOf(doc, type);
  // Work in UTF-16 code units (= clocks), as Yjs does, so both produce the same ids.
  auto cut = types::Locate(type, u, index);
  if (!cut.ok()) return cut.status();
  uint64_t u16 = cut->item ? seq::Rank(cut->item, kUtf16) + cut->cut : 0;

  RelativePosition pos;
  pos.assoc = assoc;
  if (type.item) {
    pos.type = OptId::Of(type.item->id);
  } else if (type.root_name) {
    pos.tname = *type.root_name;
  } else {
    return absl::InvalidArgumentError("the type was deleted");
  }
  if (assoc < 0) {
    if (u16 == 0) return pos;  // sticks to the start of the type
    u16--;
  }
  uint64_t off = 0;
  if (Item* item = seq::Find(type.tree, kUtf16, u16, &off)) pos.item = OptId::Of({item->id.client, item->id.clock + off});
  return pos;  // no item: sticks to the end of the type
}

std::vector<uint8_t> Encode(const RelativePosition& pos) {
  Encoder enc;
  if (pos.item.present()) {
    enc.WriteVarUint(0);
    enc.WriteVarUint(pos.item.id.client);
    enc.WriteVarUint(pos.item.id.clock);
  } else if (pos.tname) {
    enc.WriteVarUint(1);
    enc.WriteVarString(*pos.tname);
  } else {
    enc.WriteVarUint(2);
    enc.WriteVarUint(pos.type.id.client);
    enc.WriteVarUint(pos.type.id.clock);
  }
  enc.WriteVarInt(pos.assoc);
  return enc.data();
}

absl::StatusOr<RelativePosition> Decode(const uint8_t* data, size_t len) {
  Decoder dec(data, len);
  RelativePosition pos;
  switch (dec.ReadVarUint()) {
    case 0:
      if (!ReadId(dec, &pos.item) && dec.ok()) return absl::DataLossError("relative position: clock out of range");
      break;
    case 1: {
      std::string_view name = dec.ReadVarString();
      if (dec.ok() && !utf8::IsValid(name)) return absl::DataLossError("relative position: type name is not UTF-8");
      pos.tname = std::string(name);
      break;
    }
    case 2:
      if (!ReadId(dec, &pos.type) && dec.ok()) return absl::DataLossError("relative position: clock out of range");
      break;
    default:
      if (dec.ok()) return absl::DataLossError("relative position: unknown kind");
  }
  // Yjs reads assoc only when bytes remain (older encoders omitted it).
  if (dec.ok() && !dec.AtEnd()) pos.assoc = dec.ReadVarInt();
  if (!dec.ok()) return absl::DataLossError(std::string("relative position: ") + dec.error());
  if (!dec.AtEnd()) return absl::DataLossError("relative position: trailing bytes");
  return pos;
}

std::string ToJson(const RelativePosition& pos) {
  std::string out = "{";
  auto sep = [&] {
    if (out.size() > 1) out += ",";
  };
  if (pos.type.present()) {
    sep();
    AppendId(out, "type", pos.type.id);
  }
  if (pos.tname) {
    sep();
    out += "\"tname\":";
    Any::String(*pos.tname).AppendJson(out);
  }
  if (pos.item.present()) {
    sep();
    AppendId(out, "item", pos.item.id);
  }
  sep();
  out += "\"assoc\":" + std::to_string(pos.assoc) + "}";
  return out;
}

absl::StatusOr<RelativePosition> FromJson(std::string_view json) {
  auto v = Any::FromJson(json);
  if (!v.ok()) return absl::InvalidArgumentError(std::string("invalid JSON: ") + std::string(v.status().message()));
  if (v->kind() != Any::Kind::kObject) return absl::InvalidArgumentError("relative position: expected a JSON object");
  RelativePosition pos;
  auto type = IdFromJson(v->Find("type"), "type");
  if (!type.ok()) return type.status();
  pos.type = *type;
  auto item = IdFromJson(v->Find("item"), "item");
  if (!item.ok()) return item.status();
  pos.item = *item;
  if (const Any* t = v->Find("tname"); t && !t->is_null() && !t->is_undefined()) {
    if (t->kind() != Any::Kind::kString) return absl::InvalidArgumentError("relative position: tname is not a string");
    if (!t->as_string().empty()) pos.tname = t->as_string();  // yjs: `json.tname || null`
  }
  if (const Any* a = v->Find("assoc"); a && !a->is_null() && !a->is_undefined()) {
    if (a->kind() != Any::Kind::kNumber || a->as_number() != static_cast<double>(static_cast<int64_t>(a->as_number())) ||
        a->as_number() > 9007199254740991.0 || a->as_number() < -9007199254740991.0) {
      return absl::InvalidArgumentError("relative position: assoc is not an integer");
    }
    pos.assoc = static_cast<int64_t>(a->as_number());
  }
  if (!pos.item.present() && !pos.tname && !pos.type.present()) {
    return absl::InvalidArgumentError("relative position: needs one of item, tname, type");
  }
  return pos;
}

Item* FollowRedone(const Doc& doc, Id id, uint64_t* diff) {
  Item* item = nullptr;
  for (int hops = 0;; hops++) {
    item = doc.store().Find(id);
    if (!item) break;
    *diff = id.clock - item->id.clock;
    uint64_t start = 0;
    const RedoneRange* r = item->is_gc() ? nullptr : doc.FindRedone(id, &start);
    if (!r || hops > 1'000'000) break;
    id = {r->target.client, r->target.clock + (id.clock - start)};
  }
  return item;
}

AbsolutePosition ToAbsolute(Doc& doc, const RelativePosition& pos) {
  AbsolutePosition abs;
  const StructStore& store = doc.store();
  if (pos.item.present()) {
    if (store.State(pos.item.id.client) <= pos.item.id.clock) return abs;
    uint64_t diff = 0;
    Item* right = FollowRedone(doc, pos.item.id, &diff);
    if (!right || right->is_gc() || !right->parent) return abs;
    Branch* type = right->parent;
    abs.type = type;
    if (type->is_deleted()) {
      abs.resolution = Resolution::kTypeDeleted;
      return abs;
    }
    uint64_t u16 = right->visible() ? diff + (pos.assoc >= 0 ? 0 : 1) : 0;
    if (right->parent_sub()) {
      for (const Item* n = right->left; n; n = n->left) u16 += n->visible() ? n->length : 0;
      abs.index = u16;
    } else {
      u16 += seq::Rank(right, kUtf16);
      abs.index = Utf16ToUnit(*type, UnitOf(doc, *type), u16);
    }
    abs.resolution = Resolution::kFound;
    return abs;
  }
  Branch* type = nullptr;
  if (pos.tname) {
    auto root = doc.Root(*pos.tname, TypeRef::kUnknown);
    if (!root.ok()) return abs;
    type = *root;
  } else if (pos.type.present()) {
    if (store.State(pos.type.id.client) <= pos.type.id.clock) return abs;
    uint64_t diff = 0;
    Item* item = FollowRedone(doc, pos.type.id, &diff);
    if (!item || !item->type()) return abs;
    type = item->type();
  } else {
    return abs;
  }
  abs.type = type;
  if (type->is_deleted()) {
    abs.resolution = Resolution::kTypeDeleted;
    return abs;
  }
  abs.resolution = Resolution::kFound;
  abs.index = pos.assoc >= 0 ? type->Length(UnitOf(doc, *type)) : 0;
  return abs;
}

}  // namespace codesync::history
