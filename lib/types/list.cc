// Y.Array and Y.Map of JSON values and nested types, and reading any type as
// a JSON-like value.
#include "core/seq_index.h"
#include "types/sequence.h"
#include "types/types.h"

namespace codesync::types {
namespace {

Item* NewTypeItem(Doc& doc, TypeRef ref, Branch** out) {
  Item* item = doc.NewItem();
  item->kind = ContentKind::kType;
  item->length = 1;
  item->set_type(doc.NewBranch(ref));
  *out = item->type();
  return item;
}

Item* NewValueItem(Doc& doc, Any value) {
  Item* item = doc.NewItem();
  item->length = 1;
  if (value.kind() == Any::Kind::kBinary) {
    item->kind = ContentKind::kBinary;
    item->str = value.as_string();
  } else {
    item->kind = ContentKind::kAny;
    item->mutable_extra().values.push_back(std::move(value));
  }
  return item;
}

absl::StatusOr<Cut> LocateElement(const Branch& array, uint64_t index) {
  return Locate(array, kUtf16, index);  // element counts live in the first unit
}

}  // namespace

absl::Status ArrayInsert(Doc& doc, Branch* array, uint64_t index, std::vector<Any> values) {
  auto cut = LocateElement(*array, index);
  if (!cut.ok()) return cut.status();
  if (values.empty()) return absl::OkStatus();
  return Transact(doc, array, [&](Transaction& t) {
    Item* left = ApplyCut(doc, t, *cut);
    Item* right = left ? left->right : array->start;
    // Runs of plain values share one item; binaries get their own, as in Yjs.
    std::vector<Any> run;
    auto flush = [&]() {
      if (run.empty()) return;
      Item* item = doc.NewItem();
      item->kind = ContentKind::kAny;
      item->length = run.size();
      item->mutable_extra().values = std::move(run);
      run.clear();
      left = doc.InsertLocal(t, array, left, right, nullptr, item);
    };
    for (Any& v : values) {
      if (v.kind() == Any::Kind::kBinary) {
        flush();
        left = doc.InsertLocal(t, array, left, right, nullptr, NewValueItem(doc, std::move(v)));
      } else {
        run.push_back(std::move(v));
      }
    }
    flush();
    return absl::OkStatus();
  });
}

absl::StatusOr<Branch*> ArrayInsertType(Doc& doc, Branch* array, uint64_t index, TypeRef ref) {
  auto cut = LocateElement(*array, index);
  if (!cut.ok()) return cut.status();
  Branch* created = nullptr;
  absl::Status s = Transact(doc, array, [&](Transaction& t) {
    Item* left = ApplyCut(doc, t, *cut);
    Item* right = left ? left->right : array->start;
    doc.InsertLocal(t, array, left, right, nullptr, NewTypeItem(doc, ref, &created));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return created;
}

absl::Status ArrayDelete(Doc& doc, Branch* array, uint64_t index, uint64_t length) {
  uint64_t total = array->Length(kUtf16);
  if (index > total || length > total - index) return absl::OutOfRangeError("range out of range");
  if (length == 0) return absl::OkStatus();
  auto cut = LocateElement(*array, index);
  if (!cut.ok()) return cut.status();
  return Transact(doc, array, [&](Transaction& t) {
    Item* left = ApplyCut(doc, t, *cut);
    Item* n = left ? left->right : array->start;
    uint64_t remaining = length;
    for (; remaining > 0 && n; n = n->right) {
      if (n->deleted) continue;
      if (n->countable()) {
        if (remaining < n->length) doc.SplitItem(t, n, remaining);
        remaining -= n->length;
      }
      doc.DeleteItem(t, n);
    }
    return absl::OkStatus();
  });
}

const Item* ArrayGet(const Branch& array, uint64_t index, uint64_t* offset) {
  return seq::Find(array.tree, kUtf16, index, offset);
}

absl::Status MapSet(Doc& doc, Branch* map, std::string_view key, Any value) {
  return Transact(doc, map, [&](Transaction& t) {
    const std::string* k = doc.Intern(key);
    auto it = map->map.find(*k);
    Item* left = it == map->map.end() ? nullptr : it->second;
    doc.InsertLocal(t, map, left, nullptr, k, NewValueItem(doc, std::move(value)));
    return absl::OkStatus();
  });
}

absl::StatusOr<Branch*> MapSetType(Doc& doc, Branch* map, std::string_view key, TypeRef ref) {
  Branch* created = nullptr;
  absl::Status s = Transact(doc, map, [&](Transaction& t) {
    const std::string* k = doc.Intern(key);
    auto it = map->map.find(*k);
    Item* left = it == map->map.end() ? nullptr : it->second;
    doc.InsertLocal(t, map, left, nullptr, k, NewTypeItem(doc, ref, &created));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return created;
}

absl::Status MapDelete(Doc& doc, Branch* map, std::string_view key) {
  return Transact(doc, map, [&](Transaction& t) {
    auto it = map->map.find(std::string(key));
    if (it != map->map.end() && !it->second->deleted) doc.DeleteItem(t, it->second);
    return absl::OkStatus();
  });
}

const Item* MapGet(const Branch& map, std::string_view key) {
  auto it = map.map.find(std::string(key));
  if (it == map.map.end() || it->second->deleted) return nullptr;
  return it->second;
}

size_t MapSize(const Branch& map) {
  size_t n = 0;
  for (auto& [k, item] : map.map) n += !item->deleted;
  return n;
}

Any ItemValue(const Item& item, uint64_t offset) {
  switch (item.kind) {
    case ContentKind::kAny:
    case ContentKind::kJson:
      return item.extra()->values[offset];
    case ContentKind::kBinary:
      return Any::Binary(item.str.ToString());
    case ContentKind::kString:
      return Any::String(item.str.ToString());
    case ContentKind::kEmbed:
      return item.extra()->value;
    case ContentKind::kType:
      return item.type() ? ToAny(*item.type()) : Any::Null();
    case ContentKind::kDoc: {
      Any::Object o;
      o.emplace_back("guid", Any::String(item.extra()->key));
      return Any::MakeObject(std::move(o));
    }
    default:
      return Any();
  }
}

namespace {

// Nested types are read recursively; a hostile document may nest them
// arbitrarily deep, so reading stops (null / nothing) below this depth.
constexpr int kMaxReadDepth = 256;
thread_local int read_depth = 0;
struct DepthGuard {
  DepthGuard() { read_depth++; }
  ~DepthGuard() { read_depth--; }
  bool too_deep() const { return read_depth > kMaxReadDepth; }
};

void AppendXml(const Branch& b, std::string& out);

void AppendXmlChildren(const Branch& b, std::string& out) {
  for (const Item* n = b.start; n; n = n->right) {
    if (n->deleted) continue;
    if (n->type()) {
      AppendXml(*n->type(), out);
    } else if (n->kind == ContentKind::kString) {
      out += n->str;
    }
  }
}

void AppendXml(const Branch& b, std::string& out) {
  DepthGuard depth;
  if (depth.too_deep()) return;
  if (b.ref == TypeRef::kXmlElement) {
    out += "<" + b.node_name;
    for (auto& [key, item] : b.map) {
      if (item->deleted) continue;
      Any v = ItemValue(*item, item->length - 1);
      out += " " + key + "=\"" + (v.kind() == Any::Kind::kString ? v.as_string() : v.ToJson()) + "\"";
    }
    out += ">";
    AppendXmlChildren(b, out);
    out += "</" + b.node_name + ">";
  } else {
    AppendXmlChildren(b, out);
  }
}

}  // namespace

Any ToAny(const Branch& type) {
  DepthGuard depth;
  if (depth.too_deep()) return Any::Null();
  TypeRef ref = type.ref;
  if (ref == TypeRef::kUnknown) {
    // A root nobody has asked for yet: guess from the content.
    if (type.start) {
      ref = TypeRef::kArray;
      for (const Item* n = type.start; n; n = n->right) {
        if (n->kind == ContentKind::kString || n->kind == ContentKind::kFormat) ref = TypeRef::kText;
      }
    } else {
      ref = TypeRef::kMap;
    }
  }
  switch (ref) {
    case TypeRef::kText:
      return Any::String(TextString(type));
    case TypeRef::kArray: {
      Any::Array out;
      for (const Item* n = type.start; n; n = n->right) {
        if (!n->visible()) continue;
        for (uint64_t i = 0; i < n->length; i++) out.push_back(ItemValue(*n, i));
      }
      return Any::MakeArray(std::move(out));
    }
    case TypeRef::kMap: {
      Any::Object out;
      for (auto& [key, item] : type.map) {
        if (!item->deleted) out.emplace_back(key, ItemValue(*item, item->length - 1));
      }
      return Any::MakeObject(std::move(out));
    }
    default: {
      std::string xml;
      AppendXml(type, xml);
      return Any::String(std::move(xml));
    }
  }
}

}  // namespace codesync::types
