// The C ABI: every entry point catches everything, turns absl::Status into
// an error code in one place (ToCode) and records the message per thread.
#include "codesync.h"
#include "capi/internal.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "core/doc.h"
#include "core/update.h"
#include "encoding/any.h"
#include "encoding/utf8.h"
#include "types/types.h"

using codesync::Any;
using codesync::Branch;
using codesync::Doc;
using codesync::TypeRef;

namespace codesync::capi {
std::string& LastError() {
  thread_local std::string message;
  return message;
}
int& LastErrorCode() {
  thread_local int code = CODESYNC_OK;
  return code;
}
}  // namespace codesync::capi

using namespace codesync::capi;  // NOLINT: the shim is all glue

namespace {

Branch* B(codesync_text* t) { return reinterpret_cast<Branch*>(t); }
Branch* B(codesync_map* m) { return reinterpret_cast<Branch*>(m); }
Branch* B(codesync_array* a) { return reinterpret_cast<Branch*>(a); }
codesync_text* AsText(Branch* b) { return reinterpret_cast<codesync_text*>(b); }
codesync_map* AsMap(Branch* b) { return reinterpret_cast<codesync_map*>(b); }
codesync_array* AsArray(Branch* b) { return reinterpret_cast<codesync_array*>(b); }

// Names and keys travel as strings in updates: they must be valid UTF-8.
bool ValidKey(const char* key) { return codesync::utf8::IsValid(key); }
int BadKey() { return SetError(CODESYNC_ERR_INVALID_ARGUMENT, "key is not valid UTF-8"); }

int NullArg(const char* what) { return SetError(CODESYNC_ERR_INVALID_ARGUMENT, std::string(what) + " is NULL"); }

absl::StatusOr<Any> ParseJson(const char* json, size_t len) {
  if (!json) return absl::InvalidArgumentError("json is NULL");
  auto v = Any::FromJson(std::string_view(json, len));
  if (!v.ok()) return absl::InvalidArgumentError(std::string("invalid JSON: ") + std::string(v.status().message()));
  return v;
}

Branch* RootOf(codesync_doc* doc, const char* name, TypeRef ref) {
  if (!doc || !name) {
    NullArg(!doc ? "doc" : "name");
    return nullptr;
  }
  if (!ValidKey(name)) {
    BadKey();
    return nullptr;
  }
  auto b = doc->doc.Root(name, ref);
  if (!b.ok()) {
    ToCode(b.status());
    return nullptr;
  }
  return *b;
}

// The nested type stored under a map key / array index, checked for kind.
Branch* NestedOf(const codesync::Item* item, TypeRef ref) {
  if (!item) {
    SetError(CODESYNC_ERR_OUT_OF_RANGE, "no such entry");
    return nullptr;
  }
  if (!item->type() || item->type()->ref != ref) {
    SetError(CODESYNC_ERR_TYPE_MISMATCH, "entry holds another kind of value");
    return nullptr;
  }
  return item->type();
}

std::optional<std::string> Origin(const char* origin) {
  if (!origin) return std::nullopt;
  return std::string(origin);
}

}  // namespace

extern "C" {

void codesync_buffer_free(codesync_buffer* buf) {
  if (!buf) return;
  std::free(buf->data);
  buf->data = nullptr;
  buf->len = 0;
}

const char* codesync_version(void) { return "0.1.0"; }
unsigned codesync_version_number(void) { return CODESYNC_VERSION_NUMBER; }
const char* codesync_last_error(void) { return LastError().c_str(); }
int codesync_last_error_code(void) { return LastErrorCode(); }

const char* codesync_strerror(int code) {
  switch (code) {
    case CODESYNC_OK:
      return "ok";
    case CODESYNC_ERR_INVALID_ARGUMENT:
      return "invalid argument";
    case CODESYNC_ERR_MALFORMED:
      return "malformed input";
    case CODESYNC_ERR_OUT_OF_RANGE:
      return "out of range";
    case CODESYNC_ERR_TYPE_MISMATCH:
      return "type mismatch";
    case CODESYNC_ERR_NO_MEMORY:
      return "out of memory";
    case CODESYNC_ERR_BUSY:
      return "busy";
    case CODESYNC_ERR_INTERNAL:
      return "internal error";
    default:
      return "unknown error code";
  }
}

void codesync_doc_options_init(codesync_doc_options* opts) {
  if (!opts) return;
  std::memset(opts, 0, sizeof(*opts));
  opts->client_id = 0;
  opts->gc = 1;
  opts->offset_kind = CODESYNC_OFFSET_UTF16;
}

codesync_doc* codesync_doc_new(const codesync_doc_options* opts) {
  return GuardPtr<codesync_doc>([&]() -> codesync_doc* {
    codesync::DocOptions o;
    if (!ToDocOptions(opts, &o)) return nullptr;
    return new codesync_doc(o);
  });
}

void codesync_doc_free(codesync_doc* doc) { delete doc; }

uint64_t codesync_doc_client_id(const codesync_doc* doc) { return doc ? doc->doc.client_id() : 0; }

int codesync_doc_apply_update_with_origin(codesync_doc* doc, const uint8_t* update, size_t len, const char* origin) {
  return Guard([&]() -> int {
    if (!doc) return NullArg("doc");
    if (!update && len) return NullArg("update");
    if (doc->doc.busy()) return SetError(CODESYNC_ERR_BUSY, "the document is busy: called from inside an observer");
    static const uint8_t kEmpty[1] = {0};
    return ToCode(codesync::ApplyUpdate(doc->doc, update ? update : kEmpty, len, Origin(origin)));
  });
}

int codesync_doc_apply_update(codesync_doc* doc, const uint8_t* update, size_t len) {
  return codesync_doc_apply_update_with_origin(doc, update, len, nullptr);
}

int codesync_doc_state_vector(codesync_doc* doc, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!doc) return NullArg("doc");
    codesync::Encoder enc;
    codesync::EncodeStateVector(doc->doc.store().GetStateVector(), enc);
    return Fill(out, enc.data());
  });
}

int codesync_doc_encode_update(codesync_doc* doc, const uint8_t* state_vector, size_t sv_len, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!doc) return NullArg("doc");
    if (!state_vector) {
      codesync::Encoder enc;
      codesync::EncodeStateAsUpdate(doc->doc, nullptr, enc);
      return Fill(out, enc);
    }
    codesync::Decoder dec(state_vector, sv_len);
    codesync::StateVector sv = codesync::DecodeStateVector(dec);
    if (!dec.ok() || !dec.AtEnd()) {
      return SetError(CODESYNC_ERR_MALFORMED,
                      std::string("malformed state vector: ") + (dec.ok() ? "trailing bytes" : dec.error()));
    }
    codesync::Encoder enc;
    codesync::EncodeStateAsUpdate(doc->doc, &sv, enc);
    return Fill(out, enc);
  });
}

int codesync_merge_updates(const uint8_t* const* updates, const size_t* lens, size_t count, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (count && (!updates || !lens)) return NullArg("updates");
    std::vector<std::string_view> views;
    for (size_t i = 0; i < count; i++) {
      if (!updates[i] && lens[i]) return NullArg("an update");
      views.emplace_back(reinterpret_cast<const char*>(updates[i] ? updates[i] : reinterpret_cast<const uint8_t*>("")),
                         lens[i]);
    }
    auto merged = codesync::MergeUpdates(views);
    if (!merged.ok()) return ToCode(merged.status());
    return Fill(out, *merged);
  });
}

int codesync_update_state_vector(const uint8_t* update, size_t len, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!update && len) return NullArg("update");
    auto sv = codesync::UpdateStateVector(update ? update : reinterpret_cast<const uint8_t*>(""), len);
    if (!sv.ok()) return ToCode(sv.status());
    codesync::Encoder enc;
    codesync::EncodeStateVector(*sv, enc);
    return Fill(out, enc.data());
  });
}

int codesync_doc_has_pending(codesync_doc* doc) { return doc && doc->doc.has_pending() ? 1 : 0; }

int codesync_doc_begin(codesync_doc* doc, const char* origin) {
  return Guard([&]() -> int {
    if (!doc) return NullArg("doc");
    if (doc->doc.busy()) return SetError(CODESYNC_ERR_BUSY, "the document is busy: called from inside an observer");
    if (origin) {
      doc->doc.Begin(std::string(origin), /*local=*/true);
    } else {
      doc->doc.Begin(/*local=*/true);  // (no optional string to make and destroy)
    }
    return CODESYNC_OK;
  });
}

int codesync_doc_commit(codesync_doc* doc) {
  return Guard([&]() -> int {
    if (!doc) return NullArg("doc");
    if (!doc->doc.txn()) return SetError(CODESYNC_ERR_INVALID_ARGUMENT, "no open transaction");
    if (doc->doc.busy()) return SetError(CODESYNC_ERR_BUSY, "the document is busy: called from inside an observer");
    doc->doc.Commit();
    return CODESYNC_OK;
  });
}

codesync_subscription* codesync_doc_observe_updates(codesync_doc* doc, codesync_update_fn fn, void* user_data) {
  return GuardPtr<codesync_subscription>([&]() -> codesync_subscription* {
    if (!doc || !fn) {
      NullArg(!doc ? "doc" : "fn");
      return nullptr;
    }
    uint64_t id = doc->doc.AddUpdateObserver([fn, user_data](const std::vector<uint8_t>& u, const codesync::Transaction& t) {
      fn(u.data(), u.size(), t.origin_cstr(), user_data);
    });
    return new codesync_subscription{&doc->doc, nullptr, id};
  });
}

void codesync_unobserve(codesync_subscription* sub) {
  if (!sub) return;
  Guard([&]() -> int {
    if (sub->branch) {
      sub->doc->RemoveDeltaObserver(sub->branch, sub->id);
    } else {
      sub->doc->RemoveUpdateObserver(sub->id);
    }
    return 0;
  });
  delete sub;
}

codesync_text* codesync_doc_text(codesync_doc* doc, const char* name) {
  return GuardPtr<codesync_text>([&] { return AsText(RootOf(doc, name, TypeRef::kText)); });
}
codesync_map* codesync_doc_map(codesync_doc* doc, const char* name) {
  return GuardPtr<codesync_map>([&] { return AsMap(RootOf(doc, name, TypeRef::kMap)); });
}
codesync_array* codesync_doc_array(codesync_doc* doc, const char* name) {
  return GuardPtr<codesync_array>([&] { return AsArray(RootOf(doc, name, TypeRef::kArray)); });
}

// ---- Text -----------------------------------------------------------------

int codesync_text_insert(codesync_text* text, size_t index, const char* utf8, size_t len) {
  // codesync_text_insert_with_attributes without attributes, minus its Any.
  return Guard([&]() -> int {
    if (!text) return NullArg("text");
    if (!utf8 && len) return NullArg("utf8");
    Branch* b = B(text);
    return ToCode(codesync::types::TextInsert(*b->doc, b, index, std::string_view(utf8 ? utf8 : "", len), nullptr));
  });
}

int codesync_text_insert_with_attributes(codesync_text* text, size_t index, const char* utf8, size_t len,
                                         const char* attributes_json, size_t attributes_len) {
  return Guard([&]() -> int {
    if (!text) return NullArg("text");
    if (!utf8 && len) return NullArg("utf8");
    Branch* b = B(text);
    Any attrs;
    if (attributes_json) {
      auto a = ParseJson(attributes_json, attributes_len);
      if (!a.ok()) return ToCode(a.status());
      attrs = *std::move(a);
    }
    return ToCode(codesync::types::TextInsert(*b->doc, b, index, std::string_view(utf8 ? utf8 : "", len),
                                              attributes_json ? &attrs : nullptr));
  });
}

int codesync_text_delete(codesync_text* text, size_t index, size_t length) {
  return Guard([&]() -> int {
    if (!text) return NullArg("text");
    Branch* b = B(text);
    return ToCode(codesync::types::TextDelete(*b->doc, b, index, length));
  });
}

size_t codesync_text_length(codesync_text* text) {
  if (!text) return 0;
  Branch* b = B(text);
  return static_cast<size_t>(b->Length(b->doc->unit()));
}

int codesync_text_string(codesync_text* text, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!text) return NullArg("text");
    if (!out) return SetError(CODESYNC_ERR_INVALID_ARGUMENT, "output buffer is NULL");
    // Straight into the output buffer (no std::string in between).
    const Branch& b = *B(text);
    auto* p = static_cast<char*>(std::malloc(b.Length(codesync::kUtf8) + 16 + 1));
    if (!p) return SetError(CODESYNC_ERR_NO_MEMORY, "out of memory");
    const size_t n = codesync::types::TextCopy(b, p);
    p[n] = 0;
    out->data = reinterpret_cast<uint8_t*>(p);
    out->len = n;
    return CODESYNC_OK;
  });
}

int codesync_text_format(codesync_text* text, size_t index, size_t length, const char* attributes_json,
                         size_t attributes_len) {
  return Guard([&]() -> int {
    if (!text) return NullArg("text");
    auto a = ParseJson(attributes_json, attributes_len);
    if (!a.ok()) return ToCode(a.status());
    Branch* b = B(text);
    return ToCode(codesync::types::TextFormat(*b->doc, b, index, length, *a));
  });
}

int codesync_text_insert_embed(codesync_text* text, size_t index, const char* json, size_t len) {
  return Guard([&]() -> int {
    if (!text) return NullArg("text");
    auto v = ParseJson(json, len);
    if (!v.ok()) return ToCode(v.status());
    Branch* b = B(text);
    return ToCode(codesync::types::TextInsertEmbed(*b->doc, b, index, *v, nullptr));
  });
}

int codesync_text_to_delta(codesync_text* text, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!text) return NullArg("text");
    return Fill(out, codesync::types::TextToDelta(*B(text)).ToJson());
  });
}

codesync_subscription* codesync_text_observe(codesync_text* text, codesync_text_delta_fn fn, void* user_data) {
  return GuardPtr<codesync_subscription>([&]() -> codesync_subscription* {
    if (!text || !fn) {
      NullArg(!text ? "text" : "fn");
      return nullptr;
    }
    Branch* b = B(text);
    uint64_t id = b->doc->AddDeltaObserver(b, [fn, user_data](const std::vector<codesync::DeltaOp>& ops,
                                                              const codesync::Transaction& t) {
      std::vector<std::string> json;  // attribute and embed JSON, alive during the callback
      json.reserve(ops.size() * 2);
      std::vector<codesync_delta_op> out(ops.size());
      for (size_t i = 0; i < ops.size(); i++) {
        const codesync::DeltaOp& op = ops[i];
        codesync_delta_op& o = out[i];
        o.kind = op.kind == codesync::DeltaOp::kRetain   ? CODESYNC_DELTA_RETAIN
                 : op.kind == codesync::DeltaOp::kInsert ? CODESYNC_DELTA_INSERT
                                                         : CODESYNC_DELTA_DELETE;
        o.length = static_cast<size_t>(op.length);
        o.text = nullptr;
        o.text_len = 0;
        o.embed_json = nullptr;
        o.attributes_json = nullptr;
        if (op.kind == codesync::DeltaOp::kInsert) {
          if (op.embed) {
            json.push_back(op.embed->ToJson());
            o.embed_json = json.back().c_str();
          } else {
            o.text = op.text.c_str();
            o.text_len = op.text.size();
          }
        }
        if (op.attributes.kind() == Any::Kind::kObject) {
          json.push_back(op.attributes.ToJson());
          o.attributes_json = json.back().c_str();
        }
      }
      fn(out.data(), out.size(), t.origin_cstr(), user_data);
    });
    return new codesync_subscription{b->doc, b, id};
  });
}

// ---- Map ------------------------------------------------------------------

int codesync_map_set_json(codesync_map* map, const char* key, const char* json, size_t len) {
  return Guard([&]() -> int {
    if (!map || !key) return NullArg(!map ? "map" : "key");
    if (!ValidKey(key)) return BadKey();
    auto v = ParseJson(json, len);
    if (!v.ok()) return ToCode(v.status());
    Branch* b = B(map);
    return ToCode(codesync::types::MapSet(*b->doc, b, key, *std::move(v)));
  });
}

int codesync_map_delete(codesync_map* map, const char* key) {
  return Guard([&]() -> int {
    if (!map || !key) return NullArg(!map ? "map" : "key");
    Branch* b = B(map);
    return ToCode(codesync::types::MapDelete(*b->doc, b, key));
  });
}

int codesync_map_to_json(codesync_map* map, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!map) return NullArg("map");
    return Fill(out, codesync::types::ToAny(*B(map)).ToJson());
  });
}

int codesync_map_get_json(codesync_map* map, const char* key, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!map || !key) return NullArg(!map ? "map" : "key");
    const codesync::Item* item = codesync::types::MapGet(*B(map), key);
    if (!item) return SetError(CODESYNC_ERR_OUT_OF_RANGE, std::string("no key '") + key + "'");
    return Fill(out, codesync::types::ItemValue(*item, item->length - 1).ToJson());
  });
}

size_t codesync_map_size(codesync_map* map) { return map ? codesync::types::MapSize(*B(map)) : 0; }

namespace {
Branch* MapSetType(codesync_map* map, const char* key, TypeRef ref) {
  if (!map || !key) {
    NullArg(!map ? "map" : "key");
    return nullptr;
  }
  if (!ValidKey(key)) {
    BadKey();
    return nullptr;
  }
  Branch* b = B(map);
  auto r = codesync::types::MapSetType(*b->doc, b, key, ref);
  if (!r.ok()) {
    ToCode(r.status());
    return nullptr;
  }
  return *r;
}
Branch* MapGetType(codesync_map* map, const char* key, TypeRef ref) {
  if (!map || !key) {
    NullArg(!map ? "map" : "key");
    return nullptr;
  }
  return NestedOf(codesync::types::MapGet(*B(map), key), ref);
}
Branch* ArrayInsertType(codesync_array* array, size_t index, TypeRef ref) {
  if (!array) {
    NullArg("array");
    return nullptr;
  }
  Branch* b = B(array);
  auto r = codesync::types::ArrayInsertType(*b->doc, b, index, ref);
  if (!r.ok()) {
    ToCode(r.status());
    return nullptr;
  }
  return *r;
}
Branch* ArrayGetType(codesync_array* array, size_t index, TypeRef ref) {
  if (!array) {
    NullArg("array");
    return nullptr;
  }
  uint64_t off = 0;
  return NestedOf(codesync::types::ArrayGet(*B(array), index, &off), ref);
}
}  // namespace

codesync_text* codesync_map_set_text(codesync_map* map, const char* key) {
  return GuardPtr<codesync_text>([&] { return AsText(MapSetType(map, key, TypeRef::kText)); });
}
codesync_map* codesync_map_set_map(codesync_map* map, const char* key) {
  return GuardPtr<codesync_map>([&] { return AsMap(MapSetType(map, key, TypeRef::kMap)); });
}
codesync_array* codesync_map_set_array(codesync_map* map, const char* key) {
  return GuardPtr<codesync_array>([&] { return AsArray(MapSetType(map, key, TypeRef::kArray)); });
}
codesync_text* codesync_map_get_text(codesync_map* map, const char* key) {
  return GuardPtr<codesync_text>([&] { return AsText(MapGetType(map, key, TypeRef::kText)); });
}
codesync_map* codesync_map_get_map(codesync_map* map, const char* key) {
  return GuardPtr<codesync_map>([&] { return AsMap(MapGetType(map, key, TypeRef::kMap)); });
}
codesync_array* codesync_map_get_array(codesync_map* map, const char* key) {
  return GuardPtr<codesync_array>([&] { return AsArray(MapGetType(map, key, TypeRef::kArray)); });
}

// ---- Array ----------------------------------------------------------------

int codesync_array_insert_json(codesync_array* array, size_t index, const char* json_array, size_t len) {
  return Guard([&]() -> int {
    if (!array) return NullArg("array");
    auto v = ParseJson(json_array, len);
    if (!v.ok()) return ToCode(v.status());
    if (v->kind() != Any::Kind::kArray) return SetError(CODESYNC_ERR_INVALID_ARGUMENT, "expected a JSON array");
    Branch* b = B(array);
    return ToCode(codesync::types::ArrayInsert(*b->doc, b, index, v->as_array()));
  });
}

int codesync_array_delete(codesync_array* array, size_t index, size_t length) {
  return Guard([&]() -> int {
    if (!array) return NullArg("array");
    Branch* b = B(array);
    return ToCode(codesync::types::ArrayDelete(*b->doc, b, index, length));
  });
}

int codesync_array_to_json(codesync_array* array, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!array) return NullArg("array");
    return Fill(out, codesync::types::ToAny(*B(array)).ToJson());
  });
}

size_t codesync_array_length(codesync_array* array) {
  return array ? static_cast<size_t>(B(array)->Length(codesync::kUtf16)) : 0;
}

int codesync_array_get_json(codesync_array* array, size_t index, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!array) return NullArg("array");
    uint64_t off = 0;
    const codesync::Item* item = codesync::types::ArrayGet(*B(array), index, &off);
    if (!item) return SetError(CODESYNC_ERR_OUT_OF_RANGE, "index out of range");
    return Fill(out, codesync::types::ItemValue(*item, off).ToJson());
  });
}

codesync_text* codesync_array_insert_text(codesync_array* array, size_t index) {
  return GuardPtr<codesync_text>([&] { return AsText(ArrayInsertType(array, index, TypeRef::kText)); });
}
codesync_map* codesync_array_insert_map(codesync_array* array, size_t index) {
  return GuardPtr<codesync_map>([&] { return AsMap(ArrayInsertType(array, index, TypeRef::kMap)); });
}
codesync_array* codesync_array_insert_array(codesync_array* array, size_t index) {
  return GuardPtr<codesync_array>([&] { return AsArray(ArrayInsertType(array, index, TypeRef::kArray)); });
}
codesync_text* codesync_array_get_text(codesync_array* array, size_t index) {
  return GuardPtr<codesync_text>([&] { return AsText(ArrayGetType(array, index, TypeRef::kText)); });
}
codesync_map* codesync_array_get_map(codesync_array* array, size_t index) {
  return GuardPtr<codesync_map>([&] { return AsMap(ArrayGetType(array, index, TypeRef::kMap)); });
}
codesync_array* codesync_array_get_array(codesync_array* array, size_t index) {
  return GuardPtr<codesync_array>([&] { return AsArray(ArrayGetType(array, index, TypeRef::kArray)); });
}

int codesync_doc_to_json(codesync_doc* doc, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!doc) return NullArg("doc");
    Any::Object o;
    for (auto& [name, b] : doc->doc.roots()) {
      // A root only named by a remote update, still empty, is not shown (Yjs's toJSON omits it too).
      if (b->ref == TypeRef::kUnknown && !b->start && b->map.empty()) continue;
      o.emplace_back(name, codesync::types::ToAny(*b));
    }
    return Fill(out, Any::MakeObject(std::move(o)).ToJson());
  });
}

}  // extern "C"
