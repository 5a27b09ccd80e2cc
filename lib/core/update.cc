#include "core/update.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "core/seq_index.h"
#include "core/seq_build.h"
#include "encoding/utf8.h"

namespace codesync {
namespace {

constexpr uint64_t kMaxClock = uint64_t{1} << 53;  // JavaScript's safe integers

absl::Status Malformed(const Decoder& dec, std::string_view what) {
  std::string msg = "malformed update: ";
  msg.append(what);
  msg += " (at byte " + std::to_string(dec.position()) + ")";
  return absl::DataLossError(msg);
}

// Normalizes ContentDoc options as Yjs does when it recreates the subdocument.
Any NormalizeDocOptions(const Any& opts) {
  Any::Object out;
  auto truthy = [](const Any* v) {
    if (!v) return false;
    switch (v->kind()) {
      case Any::Kind::kUndefined:
      case Any::Kind::kNull:
        return false;
      case Any::Kind::kBool:
        return v->as_bool();
      case Any::Kind::kNumber:
        return v->as_number() != 0 && v->as_number() == v->as_number();
      case Any::Kind::kString:
        return !v->as_string().empty();
      case Any::Kind::kBigInt:
        return v->as_bigint() != 0;
      default:
        return true;
    }
  };
  const Any* gc = opts.Find("gc");
  if (gc && !gc->is_undefined() && !truthy(gc)) out.emplace_back("gc", Any::Bool(false));
  if (truthy(opts.Find("autoLoad"))) out.emplace_back("autoLoad", Any::Bool(true));
  const Any* meta = opts.Find("meta");
  if (meta && !meta->is_undefined() && !meta->is_null()) out.emplace_back("meta", *meta);
  return Any::MakeObject(std::move(out));
}

// A decoded string's bytes: inline, or (place) referring to the wire until
// DecodeUpdateInto copies them into the document's text arena, or a heap block.
template <bool kPlace>
void SetString(Item& item, std::string_view s, UpdateScratch* place) {
  if (kPlace && s.size() > ItemString::kInline) {
    item.str.AssignPlaced(const_cast<char*>(s.data()), s.size());  // (read, never written, until then)
    place->placed.push_back(&item);
    place->placed_bytes += s.size();
    return;
  }
  item.str.assign(s.data(), s.size());
}

// Reads the content of one item; returns its length in clocks (0 on error).
template <bool kPlace>
uint64_t ReadContent(Decoder& dec, ContentKind kind, Item& item, std::string* err, UpdateScratch* place) {
  item.kind = kind;
  switch (kind) {
    case ContentKind::kDeleted:
      return dec.ReadVarUint();
    case ContentKind::kJson:
    case ContentKind::kAny: {
      uint64_t n = dec.ReadVarUint();
      if (n > dec.remaining()) {
        *err = "content length exceeds data";
        return 0;
      }
      auto& values = item.mutable_extra().values;
      values.reserve(n);
      for (uint64_t i = 0; i < n && dec.ok(); i++) {
        if (kind == ContentKind::kAny) {
          values.push_back(Any::DecodeInto(dec));
        } else {
          std::string_view s = dec.ReadVarString();
          if (!dec.ok()) break;
          if (s == "undefined") {
            values.emplace_back();
          } else {
            auto v = Any::FromJson(s);
            if (!v.ok()) {
              *err = "invalid JSON content";
              return 0;
            }
            values.push_back(std::move(*v));
          }
        }
      }
      return n;
    }
    case ContentKind::kBinary:
      item.str = std::string(dec.ReadVarBytes());
      return 1;
    case ContentKind::kString: {
      std::string_view s = dec.ReadVarString();
      if (!dec.ok()) return 0;
      if (utf8::IsAscii(s)) {
        SetString<kPlace>(item, s, place);
        return s.size();
      }
      if (!utf8::IsValid(s)) {
        *err = "string content is not valid UTF-8";
        return 0;
      }
      SetString<kPlace>(item, s, place);
      return utf8::Utf16Length(s);
    }
    case ContentKind::kEmbed:
    case ContentKind::kFormat: {
      if (kind == ContentKind::kFormat) {
        std::string_view key = dec.ReadVarString();
        if (!utf8::IsValid(key)) {
          *err = "format key is not valid UTF-8";
          return 0;
        }
        item.mutable_extra().key = std::string(key);
      }
      std::string_view json = dec.ReadVarString();
      if (!dec.ok()) return 0;
      auto v = Any::FromJson(json);
      if (!v.ok()) {
        *err = kind == ContentKind::kEmbed ? "invalid JSON in embed" : "invalid JSON in format value";
        return 0;
      }
      item.mutable_extra().value = std::move(*v);
      return 1;
    }
    case ContentKind::kType: {
      uint64_t ref = dec.ReadVarUint();
      if (ref > 6) {
        *err = "unknown type ref";
        return 0;
      }
      ContentExtra& e = item.mutable_extra();
      e.value = Any::Number(static_cast<double>(ref));
      if (ref == static_cast<uint64_t>(TypeRef::kXmlElement) || ref == static_cast<uint64_t>(TypeRef::kXmlHook)) {
        std::string_view name = dec.ReadVarString();
        if (!utf8::IsValid(name)) {
          *err = "type name is not valid UTF-8";
          return 0;
        }
        e.key = std::string(name);
      }
      return 1;
    }
    case ContentKind::kDoc: {
      std::string_view guid = dec.ReadVarString();
      if (!utf8::IsValid(guid)) {
        *err = "subdocument guid is not valid UTF-8";
        return 0;
      }
      ContentExtra& e = item.mutable_extra();
      e.key = std::string(guid);
      e.value = NormalizeDocOptions(Any::DecodeInto(dec));
      return 1;
    }
    default:
      *err = "unknown content ref";
      return 0;
  }
}

void WriteContent(const Item& item, uint64_t offset, Encoder& enc) {
  switch (item.kind) {
    case ContentKind::kDeleted:
      enc.WriteVarUint(item.length - offset);
      break;
    case ContentKind::kJson:
    case ContentKind::kAny: {
      const auto& values = item.extra()->values;
      enc.WriteVarUint(values.size() - offset);
      for (size_t i = offset; i < values.size(); i++) {
        if (item.kind == ContentKind::kAny) {
          values[i].Encode(enc);
        } else {
          enc.WriteVarString(values[i].is_undefined() ? std::string("undefined") : values[i].ToJson());
        }
      }
      break;
    }
    case ContentKind::kBinary:
      enc.WriteVarBytes(item.str.data(), item.str.size());
      break;
    case ContentKind::kString:
      if (offset == 0) {
        enc.WriteVarString(item.str);
      } else if (item.ascii()) {
        enc.WriteVarString(std::string_view(item.str).substr(offset));
      } else {
        bool inside_pair = false;
        size_t b = utf8::ByteOffsetOfUtf16(item.str, offset, &inside_pair);
        if (inside_pair) {
          std::string s(utf8::kReplacement);
          s.append(item.str, b + 4, std::string::npos);
          enc.WriteVarString(s);
        } else {
          enc.WriteVarString(std::string_view(item.str).substr(b));
        }
      }
      break;
    case ContentKind::kEmbed:
      enc.WriteVarString(item.extra()->value.ToJson());
      break;
    case ContentKind::kFormat:
      enc.WriteVarString(item.extra()->key);
      enc.WriteVarString(item.extra()->value.ToJson());
      break;
    case ContentKind::kType: {
      TypeRef ref;
      std::string_view name;
      if (item.type()) {
        ref = item.type()->ref;
        name = item.type()->node_name;
      } else {
        ref = static_cast<TypeRef>(item.extra()->value.as_number());
        name = item.extra()->key;
      }
      enc.WriteVarUint(static_cast<uint64_t>(ref));
      if (ref == TypeRef::kXmlElement || ref == TypeRef::kXmlHook) enc.WriteVarString(name);
      break;
    }
    case ContentKind::kDoc:
      enc.WriteVarString(item.extra()->key);
      item.extra()->value.Encode(enc);
      break;
    default:
      break;
  }
}

// How a struct names its parent when it has no origins.
struct ParentInfo {
  const std::string* root = nullptr;
  OptId id;
};

// The varuint of the client id last written: the origins of a run of structs
// mostly name one or two clients, whose 5-byte ids are then one fixed copy.
struct ClientBytes {
  uint64_t client = 0;
  uint8_t bytes[16] = {};
  size_t n = 0;  // 0 until the first Put (every varuint takes a byte at least)
  // Writes client at p; 16 bytes must be writable there.
  [[gnu::always_inline]] uint8_t* Put(uint8_t* p, uint64_t c) {
    if (c != client || n == 0) {
      client = c;
      n = static_cast<size_t>(Encoder::PutVarUint(bytes, c) - bytes);
    }
    std::memcpy(p, bytes, 16);
    return p + n;
  }
};

// The structs a text's state is made of (whole strings, deleted runs and GC
// structs that name their origins) in one capacity check and raw stores.
// Returns false for anything else, which WriteStruct writes.
bool WriteStructFast(const Item& item, Encoder& enc, ClientBytes& cb) {
  if (item.kind == ContentKind::kGC) {
    uint8_t* start = enc.Ensure(11);
    *start = 0;
    enc.Advance(static_cast<size_t>(Encoder::PutVarUint(start + 1, item.length) - start));
    return true;
  }
  if ((item.kind != ContentKind::kString && item.kind != ContentKind::kDeleted) ||
      (!item.origin.present() && !item.right_origin.present())) {
    return false;
  }
  const size_t str_len = item.kind == ContentKind::kString ? item.str.size() : 0;
  uint8_t* start = enc.Ensure(1 + 2 * (16 + 10) + 10 + str_len);
  uint8_t* p = start;
  uint8_t info = static_cast<uint8_t>(item.kind);
  if (item.origin.present()) info |= 0x80;
  if (item.right_origin.present()) info |= 0x40;
  if (item.parent_sub()) info |= 0x20;
  *p++ = info;
  if (item.origin.present()) {
    p = cb.Put(p, item.origin.id.client);
    p = Encoder::PutVarUint(p, item.origin.id.clock);
  }
  if (item.right_origin.present()) {
    p = cb.Put(p, item.right_origin.id.client);
    p = Encoder::PutVarUint(p, item.right_origin.id.clock);
  }
  if (item.kind == ContentKind::kString) {
    p = Encoder::PutVarUint(p, str_len);
    std::memcpy(p, item.str.data(), str_len);
    p += str_len;
  } else {
    p = Encoder::PutVarUint(p, item.length);
  }
  enc.Advance(static_cast<size_t>(p - start));
  return true;
}

void WriteStruct(const Item& item, uint64_t offset, const ParentInfo& parent, Encoder& enc) {
  if (item.is_gc() || item.kind == ContentKind::kSkip) {
    enc.WriteUint8(static_cast<uint8_t>(item.kind));
    enc.WriteVarUint(item.length - offset);
    return;
  }
  OptId origin = offset > 0 ? OptId::Of({item.id.client, item.id.clock + offset - 1}) : item.origin;
  uint8_t info = static_cast<uint8_t>(item.kind) & 0x1f;
  if (origin.present()) info |= 0x80;
  if (item.right_origin.present()) info |= 0x40;
  if (item.parent_sub()) info |= 0x20;
  enc.WriteUint8(info);
  if (origin.present()) {
    enc.WriteVarUint(origin.id.client);
    enc.WriteVarUint(origin.id.clock);
  }
  if (item.right_origin.present()) {
    enc.WriteVarUint(item.right_origin.id.client);
    enc.WriteVarUint(item.right_origin.id.clock);
  }
  if (!origin.present() && !item.right_origin.present()) {
    if (parent.root) {
      enc.WriteVarUint(1);
      enc.WriteVarString(*parent.root);
    } else {
      enc.WriteVarUint(0);
      enc.WriteVarUint(parent.id.id.client);
      enc.WriteVarUint(parent.id.id.clock);
    }
    if (item.parent_sub()) enc.WriteVarString(*item.parent_sub());
  }
  WriteContent(item, offset, enc);
}

ParentInfo ParentOf(const Item& item) {
  ParentInfo p;
  if (item.parent) {
    if (item.parent->item) {
      p.id = OptId::Of(item.parent->item->id);
    } else {
      p.root = item.parent->root_name;
    }
  }
  return p;
}

ParentInfo ParentOf(const StructRef& ref) {
  ParentInfo p;
  p.root = ref.parent_root;
  p.id = ref.parent_id;
  return p;
}

// Cuts the first `diff` clocks off a decoded struct (Yjs sliceStruct).
void SliceRef(StructRef& ref, uint64_t diff) {
  Item* item = ref.item;
  if (item->is_gc() || item->kind == ContentKind::kSkip) {
    item->id.clock += diff;
    item->length -= diff;
    return;
  }
  Item rest;
  SplitContent(*item, diff, rest);
  item->TakeContent(rest);
  item->length = rest.length;
  item->id.clock += diff;
  item->origin = OptId::Of({item->id.client, item->id.clock - 1});
}

}  // namespace

DecodedUpdate::~DecodedUpdate() {
  for (auto& [client, refs] : clients) {
    for (StructRef& r : refs) delete r.item;
  }
}

void UpdateScratch::Clear() {
  clients.clear();
  refs.clear();
  ds.clear();
  load_prepared = false;
}

void UpdateScratch::FreeItems(Doc* doc) {
  for (StructRef& r : refs) {
    if (doc) {
      doc->FreeItem(r.item);
    } else {
      delete r.item;
    }
  }
  refs.clear();
}

namespace {

// The client ids of origins repeat (a text's structs mostly name one or two
// clients, in 5-byte varuints): the bytes of the last one read are compared
// with the next bytes at once instead of decoding them again.
struct ClientCache {
  uint64_t client = 0;
  uint64_t bytes = 0;  // the varuint's bytes as loaded, masked
  uint64_t mask = 0;   // 0: nothing cached
  size_t n = 0;

  static uint64_t Load8(const uint8_t* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  }
  [[gnu::always_inline]] uint64_t Read(Decoder& dec) {  // (both DecodeInto instances inline it)
    if (dec.remaining() > 0 && *dec.cursor() < 0x80) return dec.ReadVarUint();  // one byte: no gain
    if (mask != 0 && dec.remaining() >= 8 && (Load8(dec.cursor()) & mask) == bytes) {
      dec.Skip(n);
      return client;
    }
    const uint8_t* before = dec.cursor();
    const bool room = dec.remaining() >= 8;
    const uint64_t v = dec.ReadVarUint();
    const size_t len = static_cast<size_t>(dec.cursor() - before);
    if (dec.ok() && room && len < 8) {
      uint8_t m[8] = {};
      std::memset(m, 0xff, len);  // the first len bytes in memory, whatever the byte order
      std::memcpy(&mask, m, 8);
      bytes = Load8(before) & mask;
      client = v;
      n = len;
    }
    return v;
  }
};

// A clock or length: with kInline (the whole-state load, whose clocks are
// mostly 3-byte varuints) one to three bytes are read here, not in the
// decoder's out-of-line reader; anything else (and the end of the data) is
// left to ReadVarUint.  The remote path keeps the plain call.
template <bool kInline>
[[gnu::always_inline]] inline uint64_t ReadClock(Decoder& dec) {
  if (kInline && dec.remaining() >= 3) {
    const uint8_t* p = dec.cursor();
    const uint64_t b0 = p[0];
    if (!(b0 & 0x80)) {
      dec.Skip(1);
      return b0;
    }
    const uint64_t b1 = p[1];
    if (!(b1 & 0x80)) {
      dec.Skip(2);
      return (b0 & 0x7f) | b1 << 7;
    }
    const uint64_t b2 = p[2];
    if (!(b2 & 0x80)) {
      dec.Skip(3);
      return (b0 & 0x7f) | (b1 & 0x7f) << 7 | b2 << 14;
    }
  }
  return dec.ReadVarUint();
}

// The delete set, as DeleteSet::Decode reads it, kept flat in wire order
// (errors are left in dec).
template <bool kInline>
void ReadDeleteRanges(Decoder& dec, std::vector<UpdateScratch::DsRange>& ds) {
  uint64_t n = dec.ReadVarUint();
  if (n > dec.remaining()) dec.Fail("delete set client count exceeds data");
  for (uint64_t i = 0; i < n && dec.ok(); i++) {
    uint64_t client = dec.ReadVarUint();
    uint64_t count = dec.ReadVarUint();
    if (count > dec.remaining()) {
      dec.Fail("delete set range count exceeds data");
      break;
    }
    // (count <= the bytes left: each range takes two at least.)  Grown
    // geometrically: a state may list many clients of a range or two each.
    const size_t want = ds.size() + static_cast<size_t>(count);
    if (kInline && want > ds.capacity()) ds.reserve(std::max(want, 2 * ds.capacity()));
    for (uint64_t j = 0; j < count && dec.ok(); j++) {
      uint64_t clock = ReadClock<kInline>(dec);
      uint64_t range_len = ReadClock<kInline>(dec);
      if (clock > kMaxClock || range_len > kMaxClock) {
        dec.Fail("delete set range out of range");
        break;
      }
      if (dec.ok() && range_len > 0) ds.push_back({client, clock, range_len});
    }
  }
}

// DecodeUpdateInto; with kPlace (and a document), long strings are placed in
// the document's text arena.  Two instances, so that the remote path's
// per-update cost does not grow with the load's.
template <bool kPlace>
absl::Status DecodeInto(const uint8_t* data, size_t len, Interner& interner, Doc* doc, UpdateScratch& out) {
  out.Clear();
  Decoder dec(data, len);
  ClientCache clients;
  UpdateScratch* place = kPlace ? &out : nullptr;
  if (kPlace) {
    out.placed.clear();
    out.placed_bytes = 0;
  }
  bool shapes = true;  // (kPlace) every struct has a shape LoadIntoEmpty takes
  uint64_t num_clients = dec.ReadVarUint();
  if (num_clients > dec.remaining()) return Malformed(dec, "client count exceeds data");
  for (uint64_t c = 0; c < num_clients; c++) {
    uint64_t num_structs = dec.ReadVarUint();
    uint64_t client = dec.ReadVarUint();
    uint64_t clock = dec.ReadVarUint();
    if (!dec.ok()) return Malformed(dec, dec.error());
    if (num_structs > dec.remaining()) return Malformed(dec, "struct count exceeds data");
    if (clock > kMaxClock) return Malformed(dec, "clock out of range");
    out.clients.push_back({client, out.refs.size(), out.refs.size() + num_structs});
    const size_t need = out.refs.size() + num_structs;
    if (need > out.refs.capacity()) out.refs.reserve(std::max(need, 2 * out.refs.capacity()));
    uint64_t* clocks = nullptr;
    size_t deleted = 0;
    if (kPlace) {
      out.load_clocks.resize(need);  // (num_structs <= the bytes left)
      clocks = out.load_clocks.data() + out.refs.size();
    }
    for (uint64_t s = 0; s < num_structs; s++) {
      uint8_t info = dec.ReadUint8();
      if (!dec.ok()) return Malformed(dec, dec.error());
      // Pushed before it is filled, so that an error below still frees it.
      out.refs.push_back({doc ? doc->NewItem() : new Item(), OptId(), nullptr});
      StructRef& ref = out.refs.back();
      Item& item = *ref.item;
      item.id = {client, clock};
      uint8_t content_ref = info & 0x1f;
      if (kPlace) {
        clocks[s] = clock;
        deleted += content_ref == 1;
        shapes &= content_ref == 1 || content_ref == 4;
      }
      uint64_t length;
      if (content_ref == 0 || content_ref == 10) {
        item.kind = content_ref == 0 ? ContentKind::kGC : ContentKind::kSkip;
        item.deleted = true;
        length = dec.ReadVarUint();
      } else {
        bool forward = false;
        if (info & 0x80) {
          uint64_t oc = clients.Read(dec);
          uint64_t ok = ReadClock<kPlace>(dec);
          if (ok > kMaxClock) return Malformed(dec, "clock out of range");  // (and OptId's absent mark)
          item.origin = OptId::Of({oc, ok});
          forward = oc == client && ok >= clock;
        }
        if (info & 0x40) {
          uint64_t rc = clients.Read(dec);
          uint64_t rk = ReadClock<kPlace>(dec);
          if (rk > kMaxClock) return Malformed(dec, "clock out of range");
          item.right_origin = OptId::Of({rc, rk});
          forward |= rc == client && rk >= clock;
        }
        if (!(info & 0xc0)) {
          if (dec.ReadVarUint() == 1) {
            std::string_view name = dec.ReadVarString();
            if (!utf8::IsValid(name)) return Malformed(dec, "root name is not valid UTF-8");
            ref.parent_root = &*interner.emplace(name).first;
          } else {
            shapes = false;  // (a nested type's content)
            uint64_t pc = dec.ReadVarUint();
            uint64_t pk = dec.ReadVarUint();
            if (pk > kMaxClock) return Malformed(dec, "clock out of range");
            ref.parent_id = OptId::Of({pc, pk});
            forward = pc == client && pk >= clock;  // (no origins read: forward was false)
          }
          if (info & 0x20) {
            shapes = false;  // (a map entry)
            std::string_view key = dec.ReadVarString();
            if (!utf8::IsValid(key)) return Malformed(dec, "map key is not valid UTF-8");
            item.set_parent_sub(&*interner.emplace(key).first);
          }
        }
        if (!dec.ok()) return Malformed(dec, dec.error());
        std::string err;
        length = ReadContent<kPlace>(dec, static_cast<ContentKind>(content_ref), item, &err, place);
        if (!err.empty()) return Malformed(dec, err);
        // References to the same client must point back in time (tested as
        // they were read; reported here, after the content's own errors).
        if (forward) return Malformed(dec, "struct refers to a later struct of its own client");
      }
      if (!dec.ok()) return Malformed(dec, dec.error());
      if (length == 0) return Malformed(dec, "struct of length 0");
      if (length > kMaxClock - clock) return Malformed(dec, "clock out of range");  // (clock <= kMaxClock)
      item.length = length;
      clock += length;
    }
    if (kPlace) out.clients.back().deleted = deleted;
  }
  ReadDeleteRanges<kPlace>(dec, out.ds);
  if (!dec.ok()) return Malformed(dec, dec.error());
  if (!dec.AtEnd()) return Malformed(dec, "trailing bytes after delete set");
  if (kPlace) {
    out.load_shapes = shapes;
    out.load_prepared = true;
  }
  if (kPlace && !out.placed.empty()) {
    // One exactly sized block for the long strings (their bytes are still the wire's).
    char* p = doc->AllocText(out.placed_bytes);
    for (Item* item : out.placed) {
      const size_t n = item->str.size();
      std::memcpy(p, item->str.data(), n);
      item->str.AssignPlaced(p, n);
      p += n;
    }
    out.placed.clear();
    out.placed_bytes = 0;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status DecodeUpdateInto(const uint8_t* data, size_t len, Interner& interner, Doc* doc, UpdateScratch& out) {
  return DecodeInto<false>(data, len, interner, doc, out);
}

absl::StatusOr<DecodedUpdate> DecodeUpdate(const uint8_t* data, size_t len, Interner& interner) {
  UpdateScratch flat;
  absl::Status st = DecodeUpdateInto(data, len, interner, nullptr, flat);
  if (!st.ok()) {
    flat.FreeItems(nullptr);
    return st;
  }
  DecodedUpdate out;
  out.clients.reserve(flat.clients.size());
  for (const UpdateScratch::Client& c : flat.clients) {
    out.clients.emplace_back(c.client, std::vector<StructRef>(flat.refs.begin() + static_cast<std::ptrdiff_t>(c.begin),
                                                              flat.refs.begin() + static_cast<std::ptrdiff_t>(c.end)));
  }
  for (const UpdateScratch::DsRange& r : flat.ds) out.ds.Add(r.client, r.clock, r.len);
  return out;
}

namespace {

struct RefQueue {
  std::vector<StructRef> refs;
  size_t i = 0;
};

// Integrates decoded structs in dependency order (Yjs integrateStructs).
// Structs whose dependencies are missing come back as leftovers.
void IntegrateStructs(Doc& doc, Transaction& t, absl::flat_hash_map<uint64_t, RefQueue>& queues,
                      absl::flat_hash_map<uint64_t, std::vector<StructRef>>& rest, StateVector& missing_sv) {
  absl::InlinedVector<uint64_t, 4> ids;
  for (auto& [client, q] : queues) ids.push_back(client);
  std::sort(ids.begin(), ids.end());
  auto next_target = [&]() -> RefQueue* {
    while (!ids.empty()) {
      RefQueue& q = queues[ids.back()];
      if (q.i < q.refs.size()) return &q;
      ids.pop_back();
    }
    return nullptr;
  };
  auto update_missing = [&](uint64_t client, uint64_t clock) {
    auto it = missing_sv.find(client);
    if (it == missing_sv.end() || it->second > clock) missing_sv[client] = clock;
  };
  std::vector<StructRef> stack;
  auto stack_to_rest = [&]() {
    for (StructRef& r : stack) {
      uint64_t client = r.item->id.client;
      rest[client].push_back(r);
      auto it = queues.find(client);
      if (it != queues.end()) {
        RefQueue& q = it->second;
        for (; q.i < q.refs.size(); q.i++) rest[client].push_back(q.refs[q.i]);
      }
    }
    stack.clear();
  };
  RefQueue* target = next_target();
  if (!target) return;
  StructRef head = target->refs[target->i++];
  while (true) {
    Item* item = head.item;
    bool consumed = false;
    if (item->kind != ContentKind::kSkip) {
      uint64_t client = item->id.client;
      // Integrating appends to (or extends) the client's newest struct, so the
      // store's state is the clock integration has reached.
      uint64_t local = doc.store().State(client);
      if (local < item->id.clock) {
        stack.push_back(head);
        update_missing(client, item->id.clock - 1);
        stack_to_rest();
        consumed = true;
      } else {
        std::optional<uint64_t> missing = doc.GetMissing(t, head);
        if (missing) {
          stack.push_back(head);
          auto qi = queues.find(*missing);
          if (qi == queues.end() || qi->second.i >= qi->second.refs.size()) {
            update_missing(*missing, doc.store().State(*missing));
            stack_to_rest();
          } else {
            head = qi->second.refs[qi->second.i++];
            continue;
          }
          consumed = true;
        } else if (local - item->id.clock < item->length) {
          uint64_t offset = local - item->id.clock;
          Item* holder = doc.Integrate(t, item, offset, /*absorb=*/true);
          consumed = holder == item;  // else its content went into holder
        }
      }
    }
    if (!consumed) doc.FreeItem(item);  // a skip, or content we already have
    if (!stack.empty()) {
      head = stack.back();
      stack.pop_back();
    } else if (target && target->i < target->refs.size()) {
      head = target->refs[target->i++];
    } else {
      target = next_target();
      if (!target) break;
      head = target->refs[target->i++];
    }
  }
}

// A position in one client's structs kept from one delete range to the next:
// ranges come in clock order, usually a few structs apart, so stepping the
// B-tree iterator beats a lookup.  Splits insert into the B-tree and
// invalidate it (valid = false).
struct DeleteCursor {
  const ClientStructs* structs = nullptr;
  ClientStructs::const_iterator it;
  bool valid = false;
  // The deletions are a whole update's own transaction with nothing watching
  // it but update observers: DeleteTailIntoRight may apply.
  bool fuse = false;
  // Nothing reads the transaction's delete set but the commit's own passes
  // (no update or delta observers): a fused deletion need not be recorded.
  bool unobserved = false;
  // The update is this one range and nothing else: DeleteHeadIntoLeft may apply.
  bool single = false;
  std::string* buf = nullptr;  // scratch for the text a head deletion leaves

  // The struct containing clock (< the client's state), cursor left on it.
  Item* Seek(const ClientStructs& s, uint64_t clock) {
    if (structs != &s) {
      structs = &s;
      valid = false;
    }
    if (valid && (*it)->id.clock <= clock) {
      for (int k = 0; k < 4 && (*it)->end_clock() <= clock; k++) {
        if (++it == s.end()) break;
      }
      if (it != s.end() && (*it)->id.clock <= clock && clock < (*it)->end_clock()) return *it;
    }
    it = s.FindIter(clock);
    valid = true;
    return *it;
  }
  // The struct after `item` by clock, or nullptr.
  Item* Next(const ClientStructs& s, const Item* item) {
    if (!valid) return s.Next(item);
    if (++it == s.end()) {
      valid = false;
      return nullptr;
    }
    return *it;
  }
};

// Deletes the tail [clock, end) of the live string run `s` (clock inside it)
// when the commit would merge the deleted part into the deleted run right of
// it: a remote backspace. Yjs splits the tail off, collects its content and
// merges the run after it into it (tryMergeDeleteSet); here `s` is cut and the
// right run takes over the tail in place, with no struct made and freed. The
// commit then finds the state its merges would have left and tries the same
// remaining merges. Only for a transaction of one update that nothing but
// update observers sees (cur.fuse): an open transaction, an after-transaction
// observer (undo keeps deleted items), a delta observer or formatting could
// see or change the intermediate state.
bool DeleteTailIntoRight(Transaction& t, ClientStructs& structs, DeleteCursor& cur, Item* s, uint64_t clock) {
  Item* n = s->right;
  const uint64_t end = s->end_clock();
  // TryMerge(tail, n) after the tail's collection: same client, adjacent by
  // clock and sequence, origin at the tail's end, same right origin, both
  // collected deletions; the tail is collected unless kept.
  if (!n || n->kind != ContentKind::kDeleted || !n->deleted || n->id.client != s->id.client || n->id.clock != end ||
      s->keep || !(n->origin == OptId::Of(s->last_id())) || !(n->right_origin == s->right_origin) ||
      !s->parent->delta_observers.empty() || s->parent->has_formatting) {
    return false;
  }
  // The cursor is on `s`; its clock neighbour `n` is the next position.
  auto pos = std::next(cur.it);
  if (pos == structs.end() || *pos != n) return false;
  const uint64_t client = s->id.client;
  const uint64_t len = end - clock;
  Item tail;
  const Weights old = s->weights();
  SplitContent(*s, clock - s->id.clock, tail);  // the kept part, as a split leaves it
  seq::Reweigh(s->parent->tree, s, old);
  n->id.clock = clock;
  n->length += len;
  n->origin = OptId::Of({client, clock - 1});  // the tail's origin: the kept part's end
  if (cur.unobserved) {
    // The commit's passes over this range would collect nothing and try to
    // merge only what Yjs tries for the split-off tail (a merge candidate:
    // the struct after it into it, it into the kept part), so it becomes one.
    t.AddMergeCandidate(n);
  } else {
    t.delete_set.Add(client, clock, len);
  }
  t.changed.insert(s->parent);
  return true;
}

// Deletes the head [s.clock, end) of the live string run `s` (end inside it)
// when the commit would merge the deleted part into the deleted run left of
// it (a forward delete, a backspace that reached the start of a run): Yjs
// splits the head off (the rest becomes a merge candidate), collects it and
// merges it into that run, then tries that run against its own left
// (tryMergeDeleteSet).  Here the left run takes the head over in place and
// `s` keeps the rest (its first clock and origin move right): no struct made
// and freed, no index update but `s`'s weight.  The two merge candidates make
// the commit try what Yjs still tries: the left run into its left, the struct
// after `s` into `s` (`s` into the deleted run fails either way).  Only where
// DeleteTailIntoRight applies, for an update that is this one range (so no
// candidate noted earlier points at `s`'s old first clock).
bool DeleteHeadIntoLeft(Transaction& t, DeleteCursor& cur, Item* s, uint64_t end) {
  Item* p = s->left;
  const uint64_t client = s->id.client;
  const uint64_t start = s->id.clock;
  // TryMerge(p, head) after the head's collection: same client, adjacent by
  // clock and sequence, the head's origin at p's end, same right origin, both
  // collected deletions; the head is collected unless kept.
  if (!p || p->kind != ContentKind::kDeleted || !p->deleted || p->id.client != client || p->end_clock() != start ||
      s->keep || !(s->origin == OptId::Of(p->last_id())) || !(p->right_origin == s->right_origin) ||
      !t.merge_structs.empty() || !s->parent->delta_observers.empty() || s->parent->has_formatting) {
    return false;
  }
  const uint64_t len = end - start;
  size_t b = len;
  if (!s->ascii()) {
    bool inside_pair = false;  // a cut inside a surrogate pair rewrites both halves: the general path
    b = utf8::ByteOffsetOfUtf16(s->str, len, &inside_pair);
    if (inside_pair) return false;
  }
  const Weights old = s->weights();
  cur.buf->assign(std::string_view(s->str).substr(b));
  s->str.assign(*cur.buf);
  s->id.clock = end;
  s->length -= len;
  s->origin = OptId::Of({client, end - 1});  // the rest's origin: the head's last clock
  p->length += len;
  ComputeWeights(*s);
  seq::Reweigh(s->parent->tree, s, old);
  // Observed, the range is recorded too: the commit's passes over it then
  // collect nothing new and try `s` into `p`, which fails, as Yjs's do.
  if (!cur.unobserved) t.delete_set.Add(client, start, len);
  t.AddMergeCandidate(s);
  t.AddMergeCandidate(p);  // tried first (latest first): Yjs's delete-set pass comes before its split halves
  t.changed.insert(s->parent);
  return true;
}

// Deletes clocks [clock, clock + len) of one client whose state is `state`;
// what lies at or past the state goes to `unapplied`.
void DeleteClientRange(Doc& doc, Transaction& t, uint64_t client, uint64_t clock, uint64_t len, uint64_t state,
                       DeleteSet& unapplied, DeleteCursor& cur) {
  uint64_t end = clock + len;
  if (clock >= state) {
    unapplied.Add(client, clock, len);
    return;
  }
  if (state < end) unapplied.Add(client, state, end - state);
  ClientStructs& structs = doc.store().clients.find(client)->second;
  Item* s = cur.Seek(structs, clock);
  if (!s->deleted && end <= s->end_clock() && s->kind == ContentKind::kString && s->parent && !s->parent_sub()) {
    if (cur.fuse && end == s->end_clock() && s->id.clock < clock && DeleteTailIntoRight(t, structs, cur, s, clock)) {
      cur.valid = false;
      return;
    }
    if (cur.single && s->id.clock == clock && end < s->end_clock() && DeleteHeadIntoLeft(t, cur, s, end)) {
      cur.valid = false;
      return;
    }
    // Inside one live run of a sequence: the same splits, merge candidates
    // and deletion as below, with fewer index updates.
    if (s->id.clock < clock || end < s->end_clock()) cur.valid = false;
    doc.DeleteInRun(t, s, clock - s->id.clock, end - s->id.clock);
    return;
  }
  if (!s->deleted && s->id.clock < clock) {
    s = doc.SplitItem(t, s, clock - s->id.clock);
    cur.valid = false;
  }
  while (true) {
    if (!s->deleted) {
      if (end < s->end_clock()) {
        doc.SplitItem(t, s, end - s->id.clock);
        cur.valid = false;
      }
      doc.DeleteItem(t, s);
    }
    // The range usually ends inside this struct: no step to the next one.
    if (s->end_clock() >= end) break;
    s = cur.Next(structs, s);
    if (!s || s->id.clock >= end) break;
  }
}

// Applies deletions; returns the ranges that refer to structs we don't have yet.
DeleteSet ApplyDeleteSet(Doc& doc, Transaction& t, const DeleteSet& ds) {
  DeleteSet unapplied;
  StructStore& store = doc.store();
  for (uint64_t client : ds.OrderedClients()) {  // in the update's order, as Yjs deletes
    const std::vector<DeleteRange>& ranges = ds.clients.at(client);
    uint64_t state = store.State(client);
    DeleteCursor cur;
    for (const DeleteRange& r : ranges) DeleteClientRange(doc, t, client, r.clock, r.len, state, unapplied, cur);
  }
  unapplied.SortAndMerge();
  return unapplied;
}

// The same for a delete set as decoded (wire order) with no DeleteSet built:
// when each client's ranges are contiguous, wire order is the order
// ApplyDeleteSet uses (clients by first appearance).
// The ranges that refer to structs we don't have yet go to `unapplied`
// (empty on entry: the caller's scratch, so that no DeleteSet is built per update).
// `single`: the update has no structs and this one range.
void ApplyDeleteRanges(Doc& doc, Transaction& t, const std::vector<UpdateScratch::DsRange>& ranges,
                       DeleteSet& unapplied, bool single, std::string& buf) {
  absl::InlinedVector<uint64_t, 4> done;
  for (size_t i = 0; i < ranges.size(); i++) {
    if (i > 0 && ranges[i].client == ranges[i - 1].client) continue;
    if (std::find(done.begin(), done.end(), ranges[i].client) != done.end()) {
      DeleteSet ds;  // a client comes back later: group as DeleteSet does
      for (const UpdateScratch::DsRange& r : ranges) ds.Add(r.client, r.clock, r.len);
      unapplied = ApplyDeleteSet(doc, t, ds);
      return;
    }
    done.push_back(ranges[i].client);
  }
  uint64_t state = 0;
  DeleteCursor cur;
  cur.fuse = doc.gc_enabled() && doc.txn_depth() == 1 && !doc.has_after_transaction_observers() &&
             doc.redone().empty();
  cur.unobserved = !doc.has_update_observers() && !doc.has_delta_observers();
  cur.single = cur.fuse && single;
  cur.buf = &buf;
  for (size_t i = 0; i < ranges.size(); i++) {
    const UpdateScratch::DsRange& r = ranges[i];
    if (i == 0 || r.client != ranges[i - 1].client) state = doc.store().State(r.client);
    DeleteClientRange(doc, t, r.client, r.clock, r.len, state, unapplied, cur);
  }
  if (!unapplied.empty()) unapplied.SortAndMerge();
}

}  // namespace

namespace {

bool ByClock(const StructRef& a, const StructRef& b) { return a.item->id.clock < b.item->id.clock; }

// Integrates one batch of structs; what cannot be integrated joins the pending
// structs.  Returns true when pending structs wait for something that has now
// arrived, so they should be retried (as Yjs does, after the batch itself).
bool IntegrateBatch(Doc& doc, Transaction& t, absl::flat_hash_map<uint64_t, RefQueue>& queues) {
  for (auto& [client, q] : queues) {
    // An update's structs come in clock order already; only pending ones need sorting.
    if (!std::is_sorted(q.refs.begin(), q.refs.end(), ByClock)) std::stable_sort(q.refs.begin(), q.refs.end(), ByClock);
  }
  absl::flat_hash_map<uint64_t, std::vector<StructRef>> rest;
  StateVector missing;
  IntegrateStructs(doc, t, queues, rest, missing);
  bool retry = false;
  for (auto& [client, clock] : doc.pending_missing) {
    if (clock < doc.store().State(client)) retry = true;
  }
  for (auto& [client, refs] : rest) {
    auto& pending = doc.pending_structs[client];
    pending.insert(pending.end(), refs.begin(), refs.end());
    std::stable_sort(pending.begin(), pending.end(), ByClock);
  }
  for (auto& [client, clock] : missing) {
    auto it = doc.pending_missing.find(client);
    if (it == doc.pending_missing.end() || it->second > clock) doc.pending_missing[client] = clock;
  }
  return retry;
}

void ApplyPendingDeletes(Doc& doc, Transaction& t, DeleteSet rest_ds) {
  if (!doc.pending_ds.empty()) {
    DeleteSet old = std::move(doc.pending_ds);
    doc.pending_ds = DeleteSet();
    rest_ds.MergeFrom(ApplyDeleteSet(doc, t, old));
  }
  doc.pending_ds = std::move(rest_ds);
}

}  // namespace

namespace {

// Integrates an update's structs in the order IntegrateStructs would when no
// structs are pending and every struct's dependencies are there (the usual
// case): highest client first, each client's structs in clock order.  Stops
// at the first struct that cannot be integrated yet; returns the index of
// that ref (refs.size() when all went in).  IntegrateStructs, started on the
// refs from there, then continues exactly where it would have been.
size_t IntegrateInOrder(Doc& doc, Transaction& t, UpdateScratch& u) {
  for (size_t c = 1; c < u.clients.size(); c++) {
    if (u.clients[c - 1].client <= u.clients[c].client) return 0;  // IntegrateStructs sorts them
  }
  for (size_t c = 0; c < u.clients.size(); c++) {
    const uint64_t client = u.clients[c].client;
    auto it = doc.store().clients.find(client);
    uint64_t local = it == doc.store().clients.end() ? 0 : it->second.end_clock();
    for (size_t i = u.clients[c].begin; i < u.clients[c].end; i++) {
      StructRef& ref = u.refs[i];
      Item* item = ref.item;
      if (item->kind == ContentKind::kSkip) {
        doc.FreeItem(item);
        ref.item = nullptr;
        continue;
      }
      if (local < item->id.clock || doc.GetMissing(t, ref)) return i;
      if (local - item->id.clock < item->length) {
        const uint64_t end = item->end_clock();  // an offset moves the start, not the end
        // Absorbing merges a struct into its left neighbour; a later struct
        // of the same update may refer into the merged run and split it again
        // (a whole state is full of such runs), so only the last one absorbs.
        const bool last = i + 1 == u.clients[c].end;
        Item* holder = doc.Integrate(t, item, local - item->id.clock, /*absorb=*/last);
        if (holder != item) doc.FreeItem(item);  // its content went into holder
        local = end;
      } else {
        doc.FreeItem(item);  // content we already have
      }
      ref.item = nullptr;
    }
  }
  return u.refs.size();
}

}  // namespace

namespace {

// A whole state loaded into an empty document (a server loading a room, a
// client's first sync), with the outcome IntegrateInOrder, ApplyDeleteRanges
// and the commit would reach, but without integrating struct by struct: the
// sequence is linked through the decoded structs' resolved origins, the
// per-client stores are appended in clock order, the delete set is a sweep
// over the decoded runs and each position index is built in one pass.
//
// It takes only what that general path would integrate without a YATA scan,
// a split or a pending struct: clients in descending order from clock 0,
// strings and deleted runs directly in root sequences, every origin the last
// clock of a struct decoded before it (in integration order) and every right
// origin the first clock of one, each struct landing between its origins'
// current neighbours, every delete range on struct boundaries of live runs
// (or inside deleted ones) and within the decoded clocks.  Anything else
// returns false before the document is changed (roots it looked up aside,
// which the general path creates too), and the general path takes over.
bool LoadIntoEmpty(Doc& doc, Transaction& t, UpdateScratch& u) {
  constexpr uint8_t kAbsorbed = 1;  // appended to the struct before it (Integrate's absorb)
  constexpr uint8_t kDelete = 2;    // deleted by the update's delete set
  const size_t n = u.refs.size();
  if (n == 0 || n >= UINT32_MAX || !t.touched_clients.empty() || !t.delete_set.empty()) return false;
  const size_t nc = u.clients.size();
  // (Indexed through raw pointers: Debian's Abseil checks every InlinedVector index.)
  // Per client: the end clock, and (second half) how many deleted structs,
  // which bounds its deleted runs.
  absl::InlinedVector<uint64_t, 16> client_end_store(2 * nc, 0);
  uint64_t* const client_end = client_end_store.data();
  uint64_t* const deleted_structs = client_end + nc;
  // Each ref's clock, and the shape test: from the placing decoder, which
  // saw them as it read the structs, else from the items.
  // (Arrays written before they are read: not zeroed.)
  const bool prepared = u.load_prepared && u.load_clocks.size() == n;
  if (prepared && !u.load_shapes) return false;
  std::unique_ptr<uint64_t[]> clk_store;
  if (!prepared) clk_store = std::make_unique_for_overwrite<uint64_t[]>(n);
  uint64_t* const clk = prepared ? u.load_clocks.data() : clk_store.get();
  std::vector<uint8_t>& marks = u.load_marks;
  marks.assign(n, 0);
  for (size_t c = 0; c < nc; c++) {
    const UpdateScratch::Client& cl = u.clients[c];
    if (c > 0 && u.clients[c - 1].client <= cl.client) return false;
    if (cl.begin == cl.end) continue;
    if (u.refs[cl.begin].item->id.clock != 0) return false;
    if (prepared) {
      deleted_structs[c] = cl.deleted;
    } else {
      size_t deleted = 0;
      for (size_t i = cl.begin; i < cl.end; i++) {
        const StructRef& ref = u.refs[i];
        const Item* item = ref.item;
        if ((item->kind != ContentKind::kString && item->kind != ContentKind::kDeleted) || item->parent_sub() ||
            (!item->origin.present() && !item->right_origin.present() && !ref.parent_root)) {
          return false;
        }
        deleted += item->kind == ContentKind::kDeleted;
        clk[i] = item->id.clock;
      }
      deleted_structs[c] = deleted;
    }
    client_end[c] = u.refs[cl.end - 1].item->end_clock();
  }
  // u.clients is descending by client.
  auto client_index = [&](uint64_t client) -> ptrdiff_t {
    size_t lo = 0, hi = nc;
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (u.clients[mid].client > client) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo < nc && u.clients[lo].client == client ? static_cast<ptrdiff_t>(lo) : -1;
  };
  // Clock -> ref, per client: bucket b holds the ref containing clock
  // b << shift, with about one ref per bucket, so a lookup is a load and a
  // short forward scan (a binary search over 10k refs was 160 instructions).
  absl::InlinedVector<std::pair<size_t, int>, 8> bucket_of_store(nc);  // first bucket, shift
  std::pair<size_t, int>* const bucket_of = bucket_of_store.data();
  size_t total_buckets = 0;
  for (size_t c = 0; c < nc; c++) {
    const size_t count = u.clients[c].end - u.clients[c].begin;
    int shift = 0;
    while (count > 0 && (client_end[c] >> (shift + 1)) >= count) shift++;
    bucket_of[c] = {total_buckets, shift};
    if (count > 0) total_buckets += static_cast<size_t>(((client_end[c] - 1) >> shift) + 1);
  }
  const std::unique_ptr<uint32_t[]> bucket_store = std::make_unique_for_overwrite<uint32_t[]>(total_buckets);
  uint32_t* const buckets = bucket_store.get();
  for (size_t c = 0; c < nc; c++) {
    const UpdateScratch::Client& cl = u.clients[c];
    if (cl.begin == cl.end) continue;
    const int shift = bucket_of[c].second;
    const size_t nb = static_cast<size_t>(((client_end[c] - 1) >> shift) + 1);
    uint32_t* b = buckets + bucket_of[c].first;
    // Bucket k goes to the last ref starting at or before k << shift: ref j
    // fills the buckets up to the first one at or past the next ref's clock.
    const uint64_t round = (uint64_t{1} << shift) - 1;
    size_t k = 0;
    for (size_t j = cl.begin; j + 1 < cl.end; j++) {
      const size_t upto = static_cast<size_t>((clk[j + 1] + round) >> shift);
      for (; k < upto; k++) b[k] = static_cast<uint32_t>(j);
    }
    for (; k < nb; k++) b[k] = static_cast<uint32_t>(cl.end - 1);
  }
  // The ref whose clocks hold `clock` in client ci, -1 past the decoded ones.
  auto ref_at = [&](size_t ci, uint64_t clock) -> ptrdiff_t {
    if (clock >= client_end[ci]) return -1;
    const size_t end = u.clients[ci].end;
    size_t j = buckets[bucket_of[ci].first + static_cast<size_t>(clock >> bucket_of[ci].second)];
    while (j + 1 < end && clk[j + 1] <= clock) j++;
    return static_cast<ptrdiff_t>(j);
  };
  // End clock of the struct that holds ref h (h not absorbed): its own, or
  // that of the ref absorbed into it.
  auto holder_end = [&](size_t ci, size_t h) -> uint64_t {
    // Only a client's last ref is ever absorbed.
    if (h + 1 >= u.clients[ci].end || (marks[h + 1] & kAbsorbed)) return client_end[ci];
    return clk[h + 1];
  };
  absl::InlinedVector<Branch*, 2> roots;  // roots whose start was set here
  auto fail = [&]() {
    for (Branch* b : roots) b->start = nullptr;
    return false;
  };
  Branch* last_root = nullptr;
  for (size_t c = 0; c < nc; c++) {
    const UpdateScratch::Client& cl = u.clients[c];
    for (size_t i = cl.begin; i < cl.end; i++) {
      StructRef& ref = u.refs[i];
      Item* item = ref.item;
      Item* left = nullptr;
      Item* right = nullptr;
      if (item->origin.present() && item->origin.id.client == cl.client && i > cl.begin &&
          item->origin.id.clock + 1 == clk[i]) {
        // The common case: the origin is the last clock of the struct before
        // by clock (which is never absorbed: only a client's last one is).
        left = u.refs[i - 1].item;
      } else if (item->origin.present()) {
        const Id o = item->origin.id;
        const ptrdiff_t ci = o.client == cl.client ? static_cast<ptrdiff_t>(c) : client_index(o.client);
        if (ci < 0 || static_cast<size_t>(ci) > c) return fail();  // missing, or integrated later
        ptrdiff_t j = ref_at(static_cast<size_t>(ci), o.clock);
        if (j < 0) return fail();
        if (marks[j] & kAbsorbed) j--;
        if (o.clock + 1 != holder_end(static_cast<size_t>(ci), static_cast<size_t>(j))) return fail();  // a split
        left = u.refs[j].item;
      }
      if (item->right_origin.present()) {
        const Id r = item->right_origin.id;
        // Usually the left origin's current neighbour (linked, so processed and never absorbed).
        Item* next = left ? left->right : nullptr;
        if (next && next->id == r) {
          right = next;
        } else {
        const ptrdiff_t ci = r.client == cl.client ? static_cast<ptrdiff_t>(c) : client_index(r.client);
        if (ci < 0 || static_cast<size_t>(ci) > c) return fail();
        const ptrdiff_t j = ref_at(static_cast<size_t>(ci), r.clock);
        if (j < 0 || (marks[j] & kAbsorbed) || clk[j] != r.clock) return fail();
        right = u.refs[j].item;
        }
      }
      Branch* parent;
      if (left) {
        parent = left->parent;
        if (right && right->parent != parent) return fail();
      } else if (right) {
        parent = right->parent;
      } else {
        parent = *doc.Root(*ref.parent_root, TypeRef::kUnknown);
      }
      if (parent != last_root) {
        if (std::find(roots.begin(), roots.end(), parent) == roots.end()) {
          if (parent->start || !parent->tree.empty() || !parent->delta_observers.empty() || parent->has_formatting ||
              !parent->is_root()) {
            return fail();
          }
          roots.push_back(parent);
        }
        last_root = parent;
      }
      // Integrate's test for a YATA scan: none may be needed.
      if (left ? left->right != right : (right ? right->left != nullptr : parent->start != nullptr)) return fail();
      // Integrate(absorb) for the last struct of a client: a string right
      // after its client's newest struct that TryMerge would take.
      if (i + 1 == cl.end && i > cl.begin && left == u.refs[i - 1].item && item->kind == ContentKind::kString &&
          left->kind == ContentKind::kString && item->right_origin == left->right_origin) {
        marks[i] |= kAbsorbed;
        continue;
      }
      item->left = left;
      item->parent = parent;
      if (left) {
        item->right = left->right;
        left->right = item;
      } else {
        item->right = parent->start;
        parent->start = item;
      }
      if (item->right) item->right->left = item;
    }
  }
  // The delete set, as ApplyDeleteRanges would apply it: nothing may be split
  // or left unapplied.
  // A range that starts or ends where an absorbed struct began: the general
  // path splits it off again there, and the right half is that struct as
  // decoded, so it is linked after all (after its left, as the split does).
  auto unabsorb = [&](size_t h) {
    marks[h] &= static_cast<uint8_t>(~kAbsorbed);
    Item* item = u.refs[h].item;
    Item* l = u.refs[h - 1].item;
    item->left = l;
    item->parent = l->parent;
    item->right = l->right;
    l->right = item;
    if (item->right) item->right->left = item;
  };
  std::vector<uint32_t>& deletes = u.load_deletes;
  deletes.clear();
  absl::InlinedVector<bool, 8> ds_seen_store(nc, false);
  bool* const ds_seen = ds_seen_store.data();
  for (size_t k = 0; k < u.ds.size(); k++) {
    const UpdateScratch::DsRange& r = u.ds[k];
    const ptrdiff_t ci = client_index(r.client);
    if (ci < 0 || r.clock + r.len > client_end[ci]) return fail();
    if (k == 0 || r.client != u.ds[k - 1].client) {
      if (ds_seen[ci]) return fail();  // a client comes back: ApplyDeleteSet's grouping
      ds_seen[ci] = true;
    }
    const size_t cend = u.clients[ci].end;
    const uint64_t end = r.clock + r.len;
    ptrdiff_t h = ref_at(static_cast<size_t>(ci), r.clock);
    if ((marks[h] & kAbsorbed) && clk[h] == r.clock) {
      unabsorb(h);
    } else if (marks[h] & kAbsorbed) {
      h--;
    }
    auto deleted = [&](ptrdiff_t x) { return u.refs[x].item->kind == ContentKind::kDeleted || (marks[x] & kDelete); };
    if (!deleted(h) && clk[h] < r.clock) return fail();
    while (true) {
      uint64_t hend = holder_end(static_cast<size_t>(ci), static_cast<size_t>(h));
      if (!deleted(h)) {
        if (end < hend && static_cast<size_t>(h) + 1 < cend && (marks[h + 1] & kAbsorbed) && end == clk[h + 1]) {
          unabsorb(h + 1);
          hend = end;
        }
        if (end < hend) return fail();
        marks[h] |= kDelete;
        deletes.push_back(static_cast<uint32_t>(h));
      }
      if (hend >= end) break;
      ptrdiff_t next = h + 1;
      if (static_cast<size_t>(next) < cend && (marks[next] & kAbsorbed)) next++;
      if (static_cast<size_t>(next) >= cend || clk[next] >= end) break;
      h = next;
    }
  }
  // Nothing can fail from here on: the general path's effects, in its order.
  // Deletions are added to the transaction's delete set with adjacent runs
  // joined (its SortAndMerge, first thing at commit, joins them anyway) and
  // clients in the order the general path first adds them; changed types
  // in the order first changed (SmallSet ignores repeats).
  StructStore& store = doc.store();
  Branch* changed = nullptr;
  auto note_changed = [&](Branch* b) {
    if (b != changed) t.changed.insert(changed = b);
  };
  // In the same pass over each client's structs: their weights (ComputeWeights
  // on the flags the delete set leaves), each root's item count, and TryMerge's
  // test on every pair of clock neighbours for the commit (see below).
  const bool gc = doc.gc_enabled();
  bool mergeable = false;
  absl::InlinedVector<size_t, 2> root_items_store(roots.size(), 0);
  size_t* const root_items = root_items_store.data();
  Branch* counted = roots.empty() ? nullptr : roots[0];
  size_t* count = root_items;
  auto count_in = [&](Branch* b) {
    if (b != counted) {
      counted = b;
      count = root_items + (std::find(roots.begin(), roots.end(), b) - roots.begin());
    }
    ++*count;
  };
  for (size_t c = 0; c < nc; c++) {
    const UpdateScratch::Client& cl = u.clients[c];
    if (cl.begin == cl.end) continue;
    t.Touch(cl.client, 0);
    ClientStructs& structs = store.clients[cl.client];
    Item** slot = structs.BeginBulkFill(cl.end - cl.begin);
    Item** const first_slot = slot;
    // The client's deleted runs go straight to the transaction's delete set
    // (what Add does for a client it has, without the call per run).
    std::vector<DeleteRange>* runs = nullptr;
    auto add_run = [&](uint64_t start, uint64_t len) {
      if (runs) {
        runs->push_back({start, len});
        return;
      }
      t.delete_set.Add(cl.client, start, len);
      runs = &t.delete_set.clients.find(cl.client)->second;
      runs->reserve(static_cast<size_t>(deleted_structs[c]));
    };
    uint64_t run_start = 0, run_end = UINT64_MAX;  // deleted run being joined
    const Item* prev = nullptr;  // the struct before, by clock
    for (size_t i = cl.begin; i < cl.end; i++) {
      Item* item = u.refs[i].item;
      if (marks[i] & kAbsorbed) {
        Item* l = u.refs[i - 1].item;
        l->str.append(item->str);
        l->length += item->length;
        if (item->keep) l->keep = true;
        ComputeWeights(*l);  // (l was weighed before it took the content)
        note_changed(l->parent);
        doc.FreeItem(item);
        u.refs[i].item = nullptr;
        continue;
      }
      const bool del = item->kind == ContentKind::kDeleted || (marks[i] & kDelete);
      item->deleted = del;
      if (item->kind == ContentKind::kString && !item->ascii()) ComputeWeights(*item);  // (else nothing to compute)
      count_in(item->parent);
      if (prev && item->origin.present() && item->origin.id.clock + 1 == item->id.clock &&
          item->origin.id.client == cl.client && prev->right == item && prev->right_origin == item->right_origin &&
          prev->deleted == del && (prev->kind == item->kind || (del && gc))) {
        mergeable = true;
      }
      prev = item;
      *slot++ = item;
      if (item->kind == ContentKind::kDeleted) {
        if (item->id.clock != run_end) {
          if (run_end != UINT64_MAX) add_run(run_start, run_end - run_start);
          run_start = item->id.clock;
        }
        run_end = item->end_clock();
      }
      note_changed(item->parent);
    }
    if (run_end != UINT64_MAX) add_run(run_start, run_end - run_start);
    const size_t written = static_cast<size_t>(slot - first_slot);
    structs.EndBulkFill(written);
    t.appended += written;  // the commit's new-struct merge pass runs only when this is set
  }
  {
    uint64_t client = 0, run_start = 0, run_end = UINT64_MAX;
    for (uint32_t h : deletes) {
      Item* item = u.refs[h].item;
      item->deleted = true;
      if (item->id.client != client || item->id.clock != run_end) {
        if (run_end != UINT64_MAX) t.delete_set.Add(client, run_start, run_end - run_start);
        client = item->id.client;
        run_start = item->id.clock;
      }
      run_end = item->end_clock();
      note_changed(item->parent);
    }
    if (run_end != UINT64_MAX) t.delete_set.Add(client, run_start, run_end - run_start);
  }
  for (size_t r = 0; r < roots.size(); r++) seq::BuildFromList(roots[r]->tree, roots[r]->start, root_items[r]);
  // What the commit's GC and merge passes would do with the loaded structs.
  // GC: with no live content deleted, every deleted struct is content-free
  // already.  Merges: TryMerge's test on every pair of clock neighbours (in
  // the pass above), on the kinds GC leaves (an observer's `keep` can only
  // stop a merge: kept content stays a string beside a collected run).  Any
  // possible merge (a state written by a peer that kept a split) leaves the
  // passes to the commit.
  t.loaded_collected = !gc || deletes.empty();
  t.loaded_merged = !mergeable;
  return true;
}

}  // namespace

namespace {

// A remote keystroke, read from the wire: one string struct that continues
// its client's newest run exactly where Integrate would absorb it.
struct RunAppend {
  Item* run = nullptr;
  std::string_view text;
  uint64_t length = 0;  // UTF-16 units
};

// Reads an update that is one string struct continuing its client's newest
// run (what IntegrateInOrder + Integrate(absorb) would append to that run with
// no YATA scan: same client, clock at the run's end, origin at its last id,
// same right origin, which is still its right neighbour, a live string in an
// unobserved, unformatted text, not under a key).  Fills u.ds with the delete
// set.  Any doubt, malformed input included, returns false with nothing
// changed: the general path then decodes it again (and reports the error).
bool ReadRunAppend(const Doc& doc, const uint8_t* data, size_t len, UpdateScratch& u, RunAppend& out) {
  u.Clear();
  Decoder dec(data, len);
  if (dec.ReadVarUint() != 1 || dec.ReadVarUint() != 1) return false;  // one client, one struct
  const uint64_t client = dec.ReadVarUint();
  const uint64_t clock = dec.ReadVarUint();
  const uint8_t info = dec.ReadUint8();
  // A string (content ref 4) with an origin; a right origin or not.
  if (!dec.ok() || (info & 0xbf) != 0x84) return false;
  const uint64_t oc = dec.ReadVarUint();
  const uint64_t ok = dec.ReadVarUint();
  OptId right_origin;
  if (info & 0x40) {
    const uint64_t rc = dec.ReadVarUint();
    const uint64_t rk = dec.ReadVarUint();
    if (rk > kMaxClock) return false;  // the general path refuses it
    right_origin = OptId::Of({rc, rk});
  }
  const std::string_view text = dec.ReadVarString();
  if (!dec.ok() || text.empty() || clock == 0 || oc != client || ok != clock - 1) return false;
  if (right_origin.present() && right_origin.id.client == client && right_origin.id.clock >= clock) return false;
  const bool ascii = utf8::IsAscii(text);
  if (!ascii && !utf8::IsValid(text)) return false;
  const uint64_t length = ascii ? text.size() : utf8::Utf16Length(text);
  if (length == 0 || length > kMaxClock || clock + length > kMaxClock) return false;
  ReadDeleteRanges<false>(dec, u.ds);
  if (!dec.ok() || !dec.AtEnd()) return false;

  const StructStore& store = doc.store();
  if (u.run_structs == nullptr || u.run_client != client || u.run_store != &store ||
      u.run_clients != store.clients.size() || u.run_capacity != store.clients.capacity()) {
    auto it = store.clients.find(client);
    if (it == store.clients.end()) return false;
    u.run_store = &store;
    u.run_client = client;
    u.run_structs = &it->second;
    u.run_clients = store.clients.size();
    u.run_capacity = store.clients.capacity();
  }
  Item* l = u.run_structs->back();
  if (!l || l->end_clock() != clock || l->kind != ContentKind::kString || l->deleted || l->parent_sub() ||
      !l->parent || l->right_origin != right_origin) {
    return false;
  }
  const Branch* parent = l->parent;
  if (!parent->delta_observers.empty() || parent->has_formatting || parent->is_deleted()) return false;
  // The right origin must still be the run's neighbour, whole (else
  // GetMissing splits it or Integrate scans between them).
  const Item* r = l->right;
  if (right_origin.present()) {
    if (!r || r->id != right_origin.id || r->is_gc() || r->parent != l->parent || r->parent_sub()) return false;
  } else if (r) {
    return false;
  }
  out.run = l;
  out.text = text;
  out.length = length;
  return true;
}

// The run's new text, length and weights.
void GrowRun(const RunAppend& a) {
  Item* l = a.run;
  seq::AddWeights(l->parent->tree, l, AppendString(*l, a.text, a.length));  // a live run
}

// Integrate's absorb, for a RunAppend: the same store, sequence and
// transaction bookkeeping as integrating the struct and merging it into l.
void AppendToRun(Transaction& t, const RunAppend& a) {
  Item* l = a.run;
  const uint64_t client = l->id.client;
  if (t.touched_clients.empty() || t.touched_clients.back() != client) t.Touch(client, l->end_clock());
  GrowRun(a);
  t.changed.insert(l->parent);
}

// Whether a RunAppend's transaction could only end in a quiet commit
// (Doc::QuietCommit) that no one sees: no transaction open around it, no
// observer of updates or transactions (ReadRunAppend ruled out delta
// observers and formatting of the run's text), nothing pending that the
// update might let apply, no deletion in the update, and not our own client
// (which would make us pick a new id).  Then the run just grows.
bool Unobserved(const Doc& doc, const RunAppend& a, const UpdateScratch& u) {
  return u.ds.empty() && doc.txn_depth() == 0 && !doc.has_update_observers() && !doc.has_after_transaction_observers() &&
         !doc.has_pending() && a.run->id.client != doc.client_id();
}

// Reads an update that is one delete range and nothing else (a remote
// backspace or forward delete: no structs, one client, one range) into u.ds,
// as DecodeUpdateInto would; anything else returns false with u untouched.
bool ReadOneDelete(const uint8_t* data, size_t len, UpdateScratch& u) {
  if (len < 5 || data[0] != 0 || data[1] != 1) return false;  // no structs; one client in the delete set
  Decoder dec(data + 2, len - 2);
  const uint64_t client = dec.ReadVarUint();
  if (dec.ReadVarUint() != 1) return false;  // one range
  const uint64_t clock = dec.ReadVarUint();
  const uint64_t n = dec.ReadVarUint();
  if (!dec.ok() || !dec.AtEnd() || clock > kMaxClock || n > kMaxClock || n == 0) return false;
  u.Clear();
  u.ds.push_back({client, clock, n});
  return true;
}

}  // namespace

absl::Status ApplyUpdate(Doc& doc, const uint8_t* data, size_t len, std::optional<std::string> origin,
                         const ApplyOptions& options) {
  std::unique_ptr<UpdateScratch> scratch = doc.TakeUpdateScratch();
  if (!scratch) scratch = std::make_unique<UpdateScratch>();
  UpdateScratch& u = *scratch;
  // (Pending structs or missing dependencies, or folds to settle: the general path.)
  RunAppend run;
  const bool append = options.append_runs && doc.pending_structs.empty() && doc.pending_missing.empty() &&
                      !doc.folds_pending() && ReadRunAppend(doc, data, len, u, run);
  if (options.appended_run) *options.appended_run = append;
  const bool one_delete = !append && options.append_runs && ReadOneDelete(data, len, u);
  absl::Status st = absl::OkStatus();
  if (!append && !one_delete) {
    if (options.place_text && doc.store().clients.empty()) {
      // A first state (nothing in the store yet): its long strings go into one arena block.
      st = DecodeInto<true>(data, len, doc.interner(), &doc, u);
      std::vector<Item*>().swap(u.placed);  // (a load's list: later updates need none)
    } else {
      st = DecodeInto<false>(data, len, doc.interner(), &doc, u);
    }
  }
  if (!st.ok()) {
    u.FreeItems(&doc);
    std::vector<uint64_t>().swap(u.load_clocks);
    doc.ReturnUpdateScratch(std::move(scratch));
    return st;
  }
  if (append && Unobserved(doc, run, u)) {
    GrowRun(run);
    u.Clear();
    doc.ReturnUpdateScratch(std::move(scratch));
    return absl::OkStatus();
  }
  Transaction& t = doc.Begin(std::move(origin), /*local=*/false);
  bool bulk = false;
  if (append) AppendToRun(t, run);
  if (!append && options.bulk_load && doc.store().clients.empty() && !doc.has_pending() && doc.pending_missing.empty()) {
    bulk = LoadIntoEmpty(doc, t, u);
    // A document loads once: its later (small) updates need none of this memory.
    std::vector<uint8_t>().swap(u.load_marks);
    std::vector<uint32_t>().swap(u.load_deletes);
  }
  if (u.load_prepared) {  // (the placing decoder's, whether the loader took them or not)
    std::vector<uint64_t>().swap(u.load_clocks);
    u.load_prepared = false;
  }
  if (options.bulk_loaded) *options.bulk_loaded = bulk;
  if (bulk) {
    std::vector<StructRef>().swap(u.refs);  // every item is in the store or freed
    std::vector<UpdateScratch::DsRange>().swap(u.ds);
    u.Clear();
    doc.ReturnUpdateScratch(std::move(scratch));
    doc.Commit();
    return absl::OkStatus();
  }

  // The update's own structs first, then (if they unblocked anything) the
  // pending ones: content that arrives now wins over older pending copies.
  size_t first_left = 0;
  // (Pending deletions don't change how structs integrate; pending structs do.)
  if (!append && doc.pending_structs.empty() && doc.pending_missing.empty()) first_left = IntegrateInOrder(doc, t, u);
  bool retry = false;
  if (first_left < u.refs.size()) {
    absl::flat_hash_map<uint64_t, RefQueue> queues;
    for (const UpdateScratch::Client& c : u.clients) {
      if (c.end <= first_left) continue;
      auto& q = queues[c.client].refs;
      for (size_t i = std::max(c.begin, first_left); i < c.end; i++) q.push_back(u.refs[i]);
    }
    retry = IntegrateBatch(doc, t, queues);
  }
  u.refs.clear();  // every item is in the store, pending, or freed
  if (!u.ds.empty()) {
    const bool single = u.ds.size() == 1 && u.clients.empty();  // no structs, one range
    ApplyDeleteRanges(doc, t, u.ds, u.unapplied, single, u.cut);
  }
  if (!u.unapplied.empty() || !doc.pending_ds.empty()) {
    ApplyPendingDeletes(doc, t, std::move(u.unapplied));
    u.unapplied = DeleteSet();
  }
  while (retry) {
    StateVector before = doc.store().GetStateVector();
    absl::flat_hash_map<uint64_t, RefQueue> again;
    for (auto& [client, refs] : doc.pending_structs) again[client].refs = std::move(refs);
    doc.pending_structs.clear();
    doc.pending_missing.clear();
    retry = IntegrateBatch(doc, t, again);
    ApplyPendingDeletes(doc, t, DeleteSet());
    if (doc.store().GetStateVector() == before) break;  // nothing moved: wait for more updates
  }
  u.Clear();
  doc.ReturnUpdateScratch(std::move(scratch));
  doc.Commit();
  return absl::OkStatus();
}

void WriteStructs(const StructStore& store, const StateVector& sv, Encoder& enc) {
  std::vector<std::pair<uint64_t, uint64_t>> sm;
  for (auto& [client, clock] : sv) {
    if (store.State(client) > clock) sm.emplace_back(client, clock);
  }
  for (auto& [client, structs] : store.clients) {
    if (!structs.empty() && !sv.contains(client)) sm.emplace_back(client, 0);
  }
  WriteClientsStructs(store, std::move(sm), enc);
}

void WriteClientsStructs(const StructStore& store, std::vector<std::pair<uint64_t, uint64_t>> sm, Encoder& enc) {
  std::sort(sm.begin(), sm.end(), [](auto& a, auto& b) { return a.first > b.first; });
  enc.WriteVarUint(sm.size());
  for (auto [client, clock] : sm) {
    const ClientStructs& structs = store.clients.at(client);
    clock = std::max(clock, structs.front()->id.clock);
    auto start = structs.FindIter(clock);
    // The whole state: the count is the B-tree's size; a diff counts its tail.
    size_t count = clock == 0 ? structs.size() : static_cast<size_t>(std::distance(start, structs.end()));
    enc.WriteVarUint(count);
    enc.WriteVarUint(client);
    enc.WriteVarUint(clock);
    const uint64_t offset = clock - (*start)->id.clock;
    ClientBytes cb;
    if (offset > 0 || !WriteStructFast(**start, enc, cb)) WriteStruct(**start, offset, ParentOf(**start), enc);
    for (auto i = std::next(start); i != structs.end(); ++i) {
      if (!WriteStructFast(**i, enc, cb)) WriteStruct(**i, 0, ParentOf(**i), enc);
    }
  }
}

namespace {

// One client's deleted runs in a delete set being written: ranges[begin, end).
struct ClientRanges {
  uint64_t client;
  size_t begin, end;
};

// The delete set's wire form, clients in the given order.
void WriteDeleteRanges(absl::Span<const ClientRanges> clients, const DeleteRange* ranges, Encoder& enc) {
  enc.WriteVarUint(clients.size());
  for (const ClientRanges& c : clients) {
    uint8_t* start = enc.Ensure(20 + (c.end - c.begin) * 20);
    uint8_t* p = Encoder::PutVarUint(start, c.client);
    p = Encoder::PutVarUint(p, c.end - c.begin);
    for (size_t i = c.begin; i < c.end; i++) {
      p = Encoder::PutVarUint(p, ranges[i].clock);
      p = Encoder::PutVarUint(p, ranges[i].len);
    }
    enc.Advance(static_cast<size_t>(p - start));
  }
}

// DeleteSetFromStore(store).Encode(enc), in one pass over the structs and
// without building the set: clients descending, each client's deleted runs
// (adjacent deleted structs joined) as clock, length.
void WriteStoreDeleteSet(const StructStore& store, Encoder& enc) {
  absl::InlinedVector<ClientRanges, 4> clients;
  std::vector<DeleteRange> ranges;
  for (auto& [client, structs] : store.clients) {
    const size_t begin = ranges.size();
    uint64_t run_end = UINT64_MAX;  // end clock of the run being extended
    for (const Item* s : structs) {
      if (!s->deleted) continue;
      if (s->id.clock == run_end) {
        ranges.back().len += s->length;
      } else {
        ranges.push_back({s->id.clock, s->length});
      }
      run_end = s->end_clock();
    }
    if (ranges.size() > begin) clients.push_back({client, begin, ranges.size()});
  }
  std::sort(clients.begin(), clients.end(), [](auto& a, auto& b) { return a.client > b.client; });
  WriteDeleteRanges(clients, ranges.data(), enc);
}

}  // namespace

namespace {

// Writes a whole client's structs (the header is the caller's) and collects
// its deleted runs, in one pass.  The structs a text is made of (strings and
// deleted runs that name an origin) go through a local cursor with every
// field read before the first store (byte stores may alias anything, so the
// compiler would reload the item after each one); GC structs and anything
// else leave the loop (Other).  What varies from struct to struct in a
// typing trace (deleted or not, string or deleted run, short or long text)
// is data the branch predictor cannot learn, so the loop decides it with
// selects: the deleted runs are tracked without a branch, a deleted run's
// length and a string's byte count share one varuint, and a string of up to
// 16 bytes (and a deleted run: no bytes) is one 16-byte copy.
class WholeClientWriter {
 public:
  // ranges: room for (structs + 1) / 2 + 1 runs.
  WholeClientWriter(Encoder& enc, DeleteRange* ranges, uint64_t first_clock) : enc_(enc), ranges_(ranges), clock_(first_clock) {
    Refill(0);
  }
  // The struct count a client of n structs may need in `ranges` at most.
  static size_t RangesFor(size_t n) { return (n + 1) / 2 + 1; }
  // WriteSpan takes at most kMaxSpan structs, and makes room for kHead bytes
  // each: a buffer sized for the state needs kSlack bytes more.
  static constexpr size_t kMaxSpan = 256;

  [[gnu::noinline]] void WriteSpan(const Item* const* items, size_t n) {
    for (size_t x = 0; x < n && x < kAhead; x++) Prefetch(items[x]);
    // Room for kHead bytes per struct, checked once: only a string of over
    // 16 bytes and Other take more, and they make room for the rest themselves.
    if (static_cast<size_t>(limit_ - p_) < n * kHead) Refill(n * kHead);
    uint8_t* p = p_;
    uint8_t* limit = limit_;
    uint64_t clock = clock_;
    uint64_t run_start = run_start_;
    size_t k = k_;
    bool in_run = in_run_;
    DeleteRange* const ranges = ranges_;
    // The varuint of the client last written (a text's origins mostly name
    // one or two clients), in locals: the byte stores may alias members.
    uint64_t cached = cached_;
    size_t cn = cn_;
    uint8_t cbytes[16];
    std::memcpy(cbytes, cbytes_, 16);
    auto put_client = [&](uint8_t* q, uint64_t c) {
      if (c != cached) [[unlikely]] {
        cached = c;
        cn = static_cast<size_t>(Encoder::PutVarUint(cbytes, c) - cbytes);
      }
      std::memcpy(q, cbytes, 16);
      return q + cn;
    };
    for (size_t x = 0; x < n; x++) {
      if (x + kAhead < n) Prefetch(items[x + kAhead]);
      const Item& item = *items[x];
      const uint64_t length = item.length;
      const bool deleted = item.deleted;
      // A run closes at the first live struct after it; a new one opens at
      // a deleted struct after a live one.  ranges[k] is the open run (or
      // free while none is open, so the store is harmless then).
      k += in_run & !deleted;
      run_start = deleted & !in_run ? clock : run_start;
      clock += length;
      ranges[k] = {run_start, clock - run_start};
      in_run = deleted;
      const ContentKind kind = item.kind;
      const bool has_origin = item.origin.present();
      const bool has_right = item.right_origin.present();
      // kString (4) or kDeleted (1), with an origin: one test of a mask.
      if (((1u << static_cast<unsigned>(kind)) & 0x12u) == 0 || !(has_origin | has_right)) [[unlikely]] {
        p_ = p;
        Other(item, (n - x - 1) * kHead);
        p = p_;
        limit = limit_;
        continue;
      }
      const bool is_string = kind == ContentKind::kString;
      const size_t size = item.str.size();
      const size_t bytes = is_string ? size : 0;
      const uint64_t count = is_string ? size : length;  // the string's byte count or the run's length
      const Id origin = item.origin.id;
      const Id right = item.right_origin.id;
      const uint8_t info = static_cast<uint8_t>(static_cast<uint8_t>(kind) | (has_origin ? 0x80 : 0) |
                                                (has_right ? 0x40 : 0) | (item.parent_sub() ? 0x20 : 0));
      *p++ = info;
      if (has_origin) {
        p = put_client(p, origin.client);
        p = Encoder::PutVarUint(p, origin.clock);
      }
      if (has_right) {
        p = put_client(p, right.client);
        p = Encoder::PutVarUint(p, right.clock);
      }
      p = Encoder::PutVarUint(p, count);
      const char* src = item.str.data();
      // 16 bytes are readable at data(): the inline buffer lies inside the
      // 16-byte ItemString, a heap block holds 24 bytes at least (the
      // item_string test pins both), and a placed string's arena block has
      // Doc::kTextSlack bytes after its last string.
      if (bytes <= 16) {
        std::memcpy(p, src, 16);
      } else {
        const size_t need = bytes + (n - x - 1) * kHead;
        if (static_cast<size_t>(limit - p) < need) [[unlikely]] {
          p_ = p;
          Refill(need);
          p = p_;
          limit = limit_;
        }
        std::memcpy(p, src, bytes);
      }
      p += bytes;
    }
    p_ = p;
    clock_ = clock;
    run_start_ = run_start;
    k_ = k;
    in_run_ = in_run;
    cached_ = cached;
    cn_ = cn;
    std::memcpy(cbytes_, cbytes, 16);
  }

  // Commits the bytes; returns the number of deleted runs written to ranges.
  size_t Finish() {
    enc_.Advance(static_cast<size_t>(p_ - base_));
    return k_ + in_run_;
  }

 private:
  static constexpr size_t kAhead = 6;
  // Info, two ids, a length, and the 16 bytes a short copy stores.
  static constexpr size_t kHead = 1 + 2 * (10 + 10) + 10 + 16;

 public:
  static constexpr size_t kSlack = kMaxSpan * kHead;

 private:

  // Fetches the cache lines of the fields the loop reads (item.h: id up to
  // str, kEncoderFieldsEnd bytes, two or three lines of an 8-byte-aligned
  // item): the first, the middle one and the one of the last byte.
  static void Prefetch(const Item* item) {
    const char* a = reinterpret_cast<const char*>(item);
    __builtin_prefetch(a);
    __builtin_prefetch(a + 64);
    __builtin_prefetch(a + kEncoderFieldsEnd - 1);
  }
  static constexpr size_t kEncoderFieldsEnd = offsetof(Item, str) + sizeof(ItemString);
  static_assert(kEncoderFieldsEnd <= 128, "three prefetches no longer cover the fields the encoder reads");

  // Commits what the cursor wrote and makes room for `need` bytes.
  void Refill(size_t need) {
    enc_.Advance(static_cast<size_t>(p_ - base_));
    base_ = p_ = enc_.Ensure(need);
    limit_ = base_ + enc_.available();
  }
  // A GC struct (in the kHead bytes the span has for it) or any other
  // struct through WriteStruct, then room for `rest` bytes.
  [[gnu::noinline]] void Other(const Item& item, size_t rest) {
    if (item.kind == ContentKind::kGC) {
      *p_ = 0;
      p_ = Encoder::PutVarUint(p_ + 1, item.length);
      return;
    }
    enc_.Advance(static_cast<size_t>(p_ - base_));
    WriteStruct(item, 0, ParentOf(item), enc_);
    base_ = p_ = enc_.Ensure(rest);
    limit_ = base_ + enc_.available();
  }
  Encoder& enc_;
  uint8_t* base_ = nullptr;  // where the uncommitted bytes start
  uint8_t* p_ = nullptr;
  uint8_t* limit_ = nullptr;
  DeleteRange* ranges_;
  uint64_t clock_;
  uint64_t run_start_ = 0;
  size_t k_ = 0;
  bool in_run_ = false;
  uint64_t cached_ = 0;  // client 0, whose varuint is one zero byte
  size_t cn_ = 1;
  uint8_t cbytes_[16] = {};
};

// The whole store as an update: WriteStructs(store, {}, enc) then
// WriteStoreDeleteSet(store, enc), with one pass over the structs for both.
void WriteWholeStore(const StructStore& store, Encoder& enc) {
  absl::InlinedVector<std::pair<uint64_t, const ClientStructs*>, 4> clients;
  size_t room = 0;
  for (auto& [client, structs] : store.clients) {
    if (structs.empty()) continue;
    clients.emplace_back(client, &structs);
    room += WholeClientWriter::RangesFor(structs.size());
  }
  std::sort(clients.begin(), clients.end(), [](auto& a, auto& b) { return a.first > b.first; });
  absl::InlinedVector<ClientRanges, 4> deleted;
  // Uninitialized: the writer stores every run before it is read.
  std::unique_ptr<DeleteRange[]> ranges(new DeleteRange[room]);
  size_t used = 0;
  enc.WriteVarUint(clients.size());
  for (auto [client, structs] : clients) {
    const uint64_t first = structs->front()->id.clock;
    enc.WriteVarUint(structs->size());
    enc.WriteVarUint(client);
    enc.WriteVarUint(first);
    WholeClientWriter w(enc, ranges.get() + used, first);
    structs->ForEachSpan([&w](const Item* const* items, size_t n) {
      for (size_t i = 0; i < n; i += WholeClientWriter::kMaxSpan) {
        w.WriteSpan(items + i, std::min(n - i, WholeClientWriter::kMaxSpan));
      }
    });
    const size_t runs = w.Finish();
    if (runs > 0) deleted.push_back({client, used, used + runs});
    used += runs;
  }
  WriteDeleteRanges(deleted, ranges.get(), enc);
}

}  // namespace

void WriteStructsUntil(const StructStore& store, const StateVector& until, Encoder& enc) {
  std::vector<std::pair<uint64_t, uint64_t>> sm;
  for (auto& [client, clock] : until) {
    uint64_t have = store.State(client);
    if (clock > 0 && have > 0) sm.emplace_back(client, std::min(clock, have));
  }
  std::sort(sm.begin(), sm.end(), [](auto& a, auto& b) { return a.first > b.first; });
  enc.WriteVarUint(sm.size());
  for (auto [client, clock] : sm) {
    const ClientStructs& structs = store.clients.at(client);
    const auto last = structs.FindIter(clock - 1);
    enc.WriteVarUint(static_cast<uint64_t>(std::distance(structs.begin(), last)) + 1);
    enc.WriteVarUint(client);
    enc.WriteVarUint(0);
    for (auto i = structs.begin(); i != last; ++i) WriteStruct(**i, 0, ParentOf(**i), enc);
    const Item& s = **last;
    if (s.end_clock() == clock) {
      WriteStruct(s, 0, ParentOf(s), enc);
      continue;
    }
    // The store is const: cut a copy of the struct instead of splitting it.
    Item head;
    head.id = s.id;
    head.length = s.length;
    head.origin = s.origin;
    head.right_origin = s.right_origin;
    head.parent = s.parent;
    head.set_parent_sub(s.parent_sub());
    head.kind = s.kind;
    head.deleted = s.deleted;
    head.str = s.str;
    if (s.type()) {
      head.set_type(s.type());
    } else if (s.extra()) {
      head.set_extra(std::make_unique<ContentExtra>(*s.extra()));
    }
    Item tail;
    if (!head.is_gc()) SplitContent(head, clock - s.id.clock, tail);
    head.length = clock - s.id.clock;
    WriteStruct(head, 0, ParentOf(s), enc);
  }
}

std::vector<uint8_t> EncodeStateAsUpdate(const Doc& doc, const StateVector* sv) {
  Encoder enc;
  EncodeStateAsUpdate(doc, sv, enc);
  return enc.Take();
}

void EncodeStateAsUpdate(const Doc& doc, const StateVector* sv, Encoder& enc) {
  static const StateVector kEmpty;
  const StateVector& target = sv ? *sv : kEmpty;
  if (target.empty()) {
    // The whole state: ~20 bytes of header per struct plus the live text,
    // so the buffer grows once instead of doubling its way up.
    size_t estimate = 16 + WholeClientWriter::kSlack;
    for (auto& [client, structs] : doc.store().clients) estimate += structs.size() * 20;
    for (auto& [name, root] : doc.roots()) estimate += root->Length(kUtf8);
    enc.Reserve(estimate);
  }
  if (target.empty()) {
    WriteWholeStore(doc.store(), enc);
  } else {
    WriteStructs(doc.store(), target, enc);
    WriteStoreDeleteSet(doc.store(), enc);
  }
  if (!doc.has_pending()) return;

  // Pending structs and deletions travel too, as Yjs does, merged into one
  // update.  One block per struct keeps gaps explicit; MergeUpdates orders them.
  Encoder blocks;
  size_t block_count = 0;
  for (auto& [client, refs] : doc.pending_structs) {
    auto it = target.find(client);
    uint64_t have = it == target.end() ? 0 : it->second;
    for (const StructRef& r : refs) {
      if (r.item->end_clock() <= have) continue;
      uint64_t offset = have > r.item->id.clock ? have - r.item->id.clock : 0;
      blocks.WriteVarUint(1);
      blocks.WriteVarUint(client);
      blocks.WriteVarUint(r.item->id.clock + offset);
      WriteStruct(*r.item, offset, ParentOf(r), blocks);
      block_count++;
    }
  }
  Encoder pend;
  pend.WriteVarUint(block_count);
  pend.WriteBytes(blocks.data().data(), blocks.size());
  doc.pending_ds.Encode(pend);
  auto merged = MergeUpdates({std::string_view(reinterpret_cast<const char*>(enc.data().data()), enc.size()),
                              std::string_view(reinterpret_cast<const char*>(pend.data().data()), pend.size())});
  if (!merged.ok()) return;  // keep the store's part
  enc.Clear();
  enc.WriteBytes(merged->data(), merged->size());
}

absl::StatusOr<std::vector<uint8_t>> MergeUpdates(const std::vector<std::string_view>& updates) {
  Interner interner;
  std::vector<DecodedUpdate> decoded;
  decoded.reserve(updates.size());
  for (std::string_view u : updates) {
    auto d = DecodeUpdate(reinterpret_cast<const uint8_t*>(u.data()), u.size(), interner);
    if (!d.ok()) return d.status();
    decoded.push_back(*std::move(d));
  }
  // Gather structs per client; order by clock, first update wins on overlap.
  std::map<uint64_t, std::vector<StructRef>, std::greater<>> per_client;
  DeleteSet ds;
  for (DecodedUpdate& d : decoded) {
    for (auto& [client, refs] : d.clients) {
      auto& v = per_client[client];
      for (StructRef& r : refs) {
        if (r.item->kind == ContentKind::kSkip) {
          delete r.item;
        } else {
          v.push_back(r);
        }
      }
      refs.clear();
    }
    ds.MergeFrom(d.ds);
  }
  Encoder enc;
  size_t written_clients = 0;
  Encoder body;
  std::vector<Item*> garbage;
  for (auto& [client, refs] : per_client) {
    std::stable_sort(refs.begin(), refs.end(),
                     [](const StructRef& a, const StructRef& b) { return a.item->id.clock < b.item->id.clock; });
    std::vector<StructRef> out;
    uint64_t end = 0;
    for (StructRef& r : refs) {
      Item* item = r.item;
      if (!out.empty()) {
        if (item->end_clock() <= end) {
          garbage.push_back(item);
          continue;
        }
        if (item->id.clock < end) SliceRef(r, end - item->id.clock);
        if (item->id.clock > end) {
          Item* skip = new Item();
          skip->kind = ContentKind::kSkip;
          skip->id = {client, end};
          skip->length = item->id.clock - end;
          out.push_back({skip, {}, nullptr});
        }
        Item* last = out.back().item;
        if (last->is_gc() && item->is_gc()) {
          last->length += item->length;
          end = last->end_clock();
          garbage.push_back(item);
          continue;
        }
      }
      out.push_back(r);
      end = item->end_clock();
    }
    if (out.empty()) continue;
    written_clients++;
    body.WriteVarUint(out.size());
    body.WriteVarUint(client);
    body.WriteVarUint(out[0].item->id.clock);
    for (StructRef& r : out) {
      WriteStruct(*r.item, 0, ParentOf(r), body);
      delete r.item;
    }
  }
  for (Item* g : garbage) delete g;
  enc.WriteVarUint(written_clients);
  enc.WriteBytes(body.data().data(), body.size());
  ds.Encode(enc);
  return enc.Take();
}

absl::StatusOr<StateVector> UpdateStateVector(const uint8_t* data, size_t len) {
  Interner interner;
  auto d = DecodeUpdate(data, len, interner);
  if (!d.ok()) return d.status();
  StateVector sv;
  for (auto& [client, refs] : d->clients) {
    if (refs.empty() || refs[0].item->id.clock != 0) continue;
    uint64_t end = 0;
    for (StructRef& r : refs) {
      if (r.item->kind == ContentKind::kSkip || r.item->id.clock != end) break;
      end = r.item->end_clock();
    }
    if (end > 0) sv[client] = std::max(sv[client], end);
  }
  return sv;
}

}  // namespace codesync
