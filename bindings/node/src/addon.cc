// codesync.node: the N-API addon under the codesync npm package.
//
// A thin layer over the C API (include/codesync.h): handles, bytes and JSON
// strings in and out. The yjs-like classes (Doc, Text, Array, Map, events,
// origins of any type) are in lib/index.js.
//
// Lifetime: NativeDoc owns the codesync_doc through a DocState shared with
// every handle (NativeText/NativeMap/NativeArray). The document is freed by
// destroy() or when NativeDoc is collected; handles check the state first, so
// a handle that outlives its document throws instead of dangling. No native
// object holds a strong reference to a JS value, so JS cycles (observers that
// capture their document) stay collectable.
//
// Observers: one C subscription per document (updates) and per observed text
// (deltas). They call the JS functions stored as `_onUpdate` / `_onDelta` on
// the NativeDoc object. An exception thrown there cannot cross the C library:
// it is kept, the transaction completes, and the first one is rethrown from
// the call that ran the observers.
#include <napi.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "codesync.h"

namespace {

// ---- Errors -------------------------------------------------------------------

const char* CodeName(int code) {
  switch (code) {
    case CODESYNC_ERR_INVALID_ARGUMENT:
      return "CODESYNC_ERR_INVALID_ARGUMENT";
    case CODESYNC_ERR_MALFORMED:
      return "CODESYNC_ERR_MALFORMED";
    case CODESYNC_ERR_OUT_OF_RANGE:
      return "CODESYNC_ERR_OUT_OF_RANGE";
    case CODESYNC_ERR_TYPE_MISMATCH:
      return "CODESYNC_ERR_TYPE_MISMATCH";
    case CODESYNC_ERR_NO_MEMORY:
      return "CODESYNC_ERR_NO_MEMORY";
    case CODESYNC_ERR_BUSY:
      return "CODESYNC_ERR_BUSY";
    default:
      return "CODESYNC_ERR_INTERNAL";
  }
}

// RangeError for indices, TypeError for type mismatches, Error otherwise;
// `code` is the C name of the code and `errno` its value.
[[noreturn]] void ThrowCode(Napi::Env env, int code, const char* message) {
  Napi::Error e = code == CODESYNC_ERR_OUT_OF_RANGE    ? Napi::RangeError::New(env, message)
                  : code == CODESYNC_ERR_TYPE_MISMATCH ? Napi::TypeError::New(env, message)
                                                       : Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, CodeName(code)));
  e.Set("errno", Napi::Number::New(env, code));
  throw e;
}

[[noreturn]] void Throw(Napi::Env env, int code) {
  const char* message = codesync_last_error();
  if (message == nullptr || *message == '\0') message = codesync_strerror(code);
  ThrowCode(env, code, message);
}

// ---- Arguments ----------------------------------------------------------------

std::string Str(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsString()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

// A name or key for the C API, which takes NUL-terminated strings.
std::string Key(const Napi::CallbackInfo& info, size_t i, const char* what) {
  std::string s = Str(info, i, what);
  if (s.find('\0') != std::string::npos) {
    ThrowCode(info.Env(), CODESYNC_ERR_INVALID_ARGUMENT, "names and keys must not contain NUL");
  }
  return s;
}

size_t Index(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a number");
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != static_cast<double>(static_cast<int64_t>(d))) {
    ThrowCode(info.Env(), CODESYNC_ERR_OUT_OF_RANGE, (std::string(what) + " must be a non-negative integer").c_str());
  }
  return static_cast<size_t>(d);
}

// Bytes from a Uint8Array (or any TypedArray / ArrayBuffer view).
struct Bytes {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

Bytes BytesArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Value v = info[i];
  if (v.IsTypedArray()) {
    Napi::TypedArray t = v.As<Napi::TypedArray>();
    auto* base = static_cast<const uint8_t*>(t.ArrayBuffer().Data());
    return {base + t.ByteOffset(), t.ByteLength()};
  }
  if (v.IsArrayBuffer()) {
    Napi::ArrayBuffer ab = v.As<Napi::ArrayBuffer>();
    return {static_cast<const uint8_t*>(ab.Data()), ab.ByteLength()};
  }
  throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a Uint8Array");
}

// An optional snapshot or other bytes: empty (NULL to the C API) when absent,
// null or undefined.
Bytes OptBytesArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) return {};
  return BytesArg(info, i, what);
}

// An optional string: nullopt when absent, null or undefined.
std::optional<std::string> OptStr(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) return std::nullopt;
  return Str(info, i, what);
}

// Origins are strings or null/undefined at this level.
std::optional<std::string> OriginArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) return std::nullopt;
  std::string s = Str(info, i, "origin");
  if (s.find('\0') != std::string::npos) {
    ThrowCode(info.Env(), CODESYNC_ERR_INVALID_ARGUMENT, "origin must not contain NUL");
  }
  return s;
}

const char* OriginPtr(const std::optional<std::string>& o) { return o ? o->c_str() : nullptr; }

Napi::Value OriginValue(Napi::Env env, const char* origin) {
  return origin != nullptr ? Napi::Value(Napi::String::New(env, origin)) : env.Null();
}

Napi::Uint8Array NewBytes(Napi::Env env, const uint8_t* data, size_t len) {
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, len);
  if (len > 0) std::memcpy(ab.Data(), data, len);
  return Napi::Uint8Array::New(env, len, ab, 0);
}

// A library buffer, freed on scope exit.
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { codesync_buffer_free(&buf_); }
  codesync_buffer* out() { return &buf_; }
  Napi::Uint8Array ToBytes(Napi::Env env) const { return NewBytes(env, buf_.data, buf_.len); }
  const uint8_t* data() const { return buf_.data; }
  size_t size() const { return buf_.len; }
  Napi::String ToString(Napi::Env env) const {
    return Napi::String::New(env, reinterpret_cast<const char*>(buf_.data), buf_.len);
  }

 private:
  codesync_buffer buf_ = {nullptr, 0};
};

// fn(args..., &out) into `out`, or the mapped error.
template <typename... Params, typename... Args>
void CallOut(Napi::Env env, Buffer& out, int (*fn)(Params...), Args... args) {
  int rc = fn(args..., out.out());
  if (rc != CODESYNC_OK) Throw(env, rc);
}

// The output buffer of fn(args..., &out) as a JS string (JSON, UTF-8 text).
template <typename... Params, typename... Args>
Napi::String StringOut(Napi::Env env, int (*fn)(Params...), Args... args) {
  Buffer out;
  CallOut(env, out, fn, args...);
  return out.ToString(env);
}

// The output buffer of fn(args..., &out) as a Uint8Array (updates, snapshots).
template <typename... Params, typename... Args>
Napi::Uint8Array BytesOut(Napi::Env env, int (*fn)(Params...), Args... args) {
  Buffer out;
  CallOut(env, out, fn, args...);
  return out.ToBytes(env);
}

// ---- Documents ------------------------------------------------------------------

class NativeDoc;

struct DocState;

// One C subscription. Slots live until the document is freed: the library may
// still call one unsubscribed during the same dispatch (it is then skipped).
struct Slot {
  DocState* state;
  uintptr_t text_key;  // 0 for the update observer
  codesync_subscription* sub = nullptr;
  bool dead = false;
};

struct RoomState;

struct DocState {
  codesync_doc* doc = nullptr;
  std::shared_ptr<RoomState> room;  // set when the document is a room's: the room owns it
  NativeDoc* wrap = nullptr;  // cleared when the NativeDoc goes away
  Slot* update_slot = nullptr;
  std::unordered_map<uintptr_t, Slot*> text_slots;  // live delta observers by text
  std::vector<std::unique_ptr<Slot>> slots;
  std::optional<Napi::Error> pending;  // the first observer exception of the current call
  std::optional<Napi::Error>& Pending() { return pending; }
  // Objects that must be freed before the document (undo managers), by id.
  std::unordered_map<uint64_t, std::function<void()>> dependents;
  uint64_t next_dependent = 1;

  void Free() {
    auto deps = std::move(dependents);
    dependents.clear();
    for (auto& [id, free] : deps) free();
    for (auto& s : slots) {
      if (!s->dead) codesync_unobserve(s->sub);
      s->dead = true;
    }
    slots.clear();
    text_slots.clear();
    update_slot = nullptr;
    if (room == nullptr) codesync_doc_free(doc);
    doc = nullptr;
    room.reset();  // may free the room, now that no subscription is left
  }
};

codesync_doc* Live(Napi::Env env, DocState* state) {
  if (state == nullptr || state->doc == nullptr) {
    ThrowCode(env, CODESYNC_ERR_INVALID_ARGUMENT, "the document was destroyed");
  }
  return state->doc;
}

// After every call that may have run observers: rethrow the first observer
// exception, else map the status.
void Check(Napi::Env env, DocState* state, int rc) {
  if (state->pending) {
    Napi::Error e = std::move(*state->pending);
    state->pending.reset();
    throw e;
  }
  if (rc != CODESYNC_OK) Throw(env, rc);
}

Napi::Object NewHandle(Napi::Env env, const std::shared_ptr<DocState>& state, codesync_text* h);
Napi::Object NewHandle(Napi::Env env, const std::shared_ptr<DocState>& state, codesync_map* h);
Napi::Object NewHandle(Napi::Env env, const std::shared_ptr<DocState>& state, codesync_array* h);

template <typename P>
Napi::Object HandleOrThrow(Napi::Env env, const std::shared_ptr<DocState>& state, P* p) {
  int code = p == nullptr ? codesync_last_error_code() : CODESYNC_OK;
  Check(env, state.get(), code);
  return NewHandle(env, state, p);
}

class NativeDoc : public Napi::ObjectWrap<NativeDoc> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeDoc",
                       {
                           InstanceAccessor<&NativeDoc::ClientId>("clientId"),
                           InstanceMethod<&NativeDoc::Text>("text"),
                           InstanceMethod<&NativeDoc::Map>("map"),
                           InstanceMethod<&NativeDoc::Array>("array"),
                           InstanceMethod<&NativeDoc::ApplyUpdate>("applyUpdate"),
                           InstanceMethod<&NativeDoc::EncodeUpdate>("encodeUpdate"),
                           InstanceMethod<&NativeDoc::StateVector>("stateVector"),
                           InstanceMethod<&NativeDoc::HasPending>("hasPending"),
                           InstanceMethod<&NativeDoc::Begin>("begin"),
                           InstanceMethod<&NativeDoc::Commit>("commit"),
                           InstanceMethod<&NativeDoc::ObserveUpdates>("observeUpdates"),
                           InstanceMethod<&NativeDoc::UnobserveUpdates>("unobserveUpdates"),
                           InstanceMethod<&NativeDoc::ObserveText>("observeText"),
                           InstanceMethod<&NativeDoc::UnobserveText>("unobserveText"),
                           InstanceMethod<&NativeDoc::ToJson>("toJSON"),
                           InstanceMethod<&NativeDoc::Destroy>("destroy"),
                           InstanceMethod<&NativeDoc::Snapshot>("snapshot"),
                           InstanceMethod<&NativeDoc::FromSnapshot>("fromSnapshot"),
                           InstanceMethod<&NativeDoc::RestoreSnapshot>("restoreSnapshot"),
                           InstanceMethod<&NativeDoc::SaveContainer>("saveContainer"),
                           InstanceMethod<&NativeDoc::LoadContainer>("loadContainer"),
                           InstanceMethod<&NativeDoc::RelposToIndex>("relposToIndex"),
                       });
  }

  // new NativeDoc(clientId: number, gc: boolean, offsetKind: number)
  // new NativeDoc(External<shared_ptr<DocState>>): a room's document (see NativeRoom).
  explicit NativeDoc(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeDoc>(info) {
    if (info.Length() > 0 && info[0].IsExternal()) {
      state_ = *info[0].As<Napi::External<std::shared_ptr<DocState>>>().Data();
      state_->wrap = this;
      return;
    }
    codesync_doc_options opts;
    codesync_doc_options_init(&opts);
    if (info.Length() > 0 && info[0].IsNumber()) opts.client_id = static_cast<uint64_t>(Index(info, 0, "clientId"));
    if (info.Length() > 1 && info[1].IsBoolean()) opts.gc = info[1].As<Napi::Boolean>().Value() ? 1 : 0;
    if (info.Length() > 2 && info[2].IsNumber()) {
      opts.offset_kind = static_cast<codesync_offset_kind>(info[2].As<Napi::Number>().Int32Value());
    }
    state_ = std::make_shared<DocState>();
    state_->doc = codesync_doc_new(&opts);
    if (state_->doc == nullptr) Throw(info.Env(), codesync_last_error_code());
    state_->wrap = this;
  }

  ~NativeDoc() override {
    if (state_ == nullptr) return;
    state_->wrap = nullptr;
    state_->Free();
  }

  DocState* state() { return state_.get(); }
  const std::shared_ptr<DocState>& shared_state() { return state_; }

 private:
  codesync_doc* doc(Napi::Env env) { return Live(env, state_.get()); }

  Napi::Value ClientId(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(codesync_doc_client_id(doc(info.Env()))));
  }

  Napi::Value Text(const Napi::CallbackInfo& info) {
    std::string name = Key(info, 0, "name");
    return HandleOrThrow(info.Env(), state_, codesync_doc_text(doc(info.Env()), name.c_str()));
  }
  Napi::Value Map(const Napi::CallbackInfo& info) {
    std::string name = Key(info, 0, "name");
    return HandleOrThrow(info.Env(), state_, codesync_doc_map(doc(info.Env()), name.c_str()));
  }
  Napi::Value Array(const Napi::CallbackInfo& info) {
    std::string name = Key(info, 0, "name");
    return HandleOrThrow(info.Env(), state_, codesync_doc_array(doc(info.Env()), name.c_str()));
  }

  // applyUpdate(update: Uint8Array, origin?: string)
  void ApplyUpdate(const Napi::CallbackInfo& info) {
    Bytes u = BytesArg(info, 0, "update");
    auto origin = OriginArg(info, 1);
    Check(info.Env(), state_.get(),
          codesync_doc_apply_update_with_origin(doc(info.Env()), u.data, u.size, OriginPtr(origin)));
  }

  // encodeUpdate(stateVector?: Uint8Array)
  Napi::Value EncodeUpdate(const Napi::CallbackInfo& info) {
    Bytes sv = OptBytesArg(info, 0, "stateVector");  // absent: everything
    return BytesOut(info.Env(), codesync_doc_encode_update, doc(info.Env()), sv.data, sv.size);
  }

  Napi::Value StateVector(const Napi::CallbackInfo& info) {
    return BytesOut(info.Env(), codesync_doc_state_vector, doc(info.Env()));
  }

  Napi::Value HasPending(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), codesync_doc_has_pending(doc(info.Env())) != 0);
  }

  void Begin(const Napi::CallbackInfo& info) {
    auto origin = OriginArg(info, 0);
    Check(info.Env(), state_.get(), codesync_doc_begin(doc(info.Env()), OriginPtr(origin)));
  }

  void Commit(const Napi::CallbackInfo& info) {
    Check(info.Env(), state_.get(), codesync_doc_commit(doc(info.Env())));
  }

  static void OnUpdate(const uint8_t* update, size_t len, const char* origin, void* user_data);
  static void OnDelta(const codesync_delta_op* ops, size_t count, const char* origin, void* user_data);

  Slot* NewSlot(Napi::Env env, uintptr_t text_key) {
    state_->slots.push_back(std::make_unique<Slot>(Slot{state_.get(), text_key}));
    return state_->slots.back().get();
  }

  static void Kill(Slot* slot) {
    if (slot == nullptr || slot->dead) return;
    slot->dead = true;
    codesync_unobserve(slot->sub);
    slot->sub = nullptr;
  }

  // observeUpdates(): from now on `this._onUpdate(update, origin)` runs after
  // each transaction that changed the document.
  void ObserveUpdates(const Napi::CallbackInfo& info) {
    codesync_doc* d = doc(info.Env());
    if (state_->update_slot != nullptr) return;
    Slot* slot = NewSlot(info.Env(), 0);
    slot->sub = codesync_doc_observe_updates(d, OnUpdate, slot);
    if (slot->sub == nullptr) {
      slot->dead = true;
      Throw(info.Env(), codesync_last_error_code());
    }
    state_->update_slot = slot;
  }

  void UnobserveUpdates(const Napi::CallbackInfo& info) {
    Kill(state_->update_slot);
    state_->update_slot = nullptr;
  }

  // observeText(text: NativeText): `this._onDelta(text.key, delta, origin)`
  // runs after each transaction that changed that text.
  void ObserveText(const Napi::CallbackInfo& info);
  void UnobserveText(const Napi::CallbackInfo& info);

  Napi::Value ToJson(const Napi::CallbackInfo& info) {
    return StringOut(info.Env(), codesync_doc_to_json, doc(info.Env()));
  }

  void Destroy(const Napi::CallbackInfo& info) { state_->Free(); }

  // ---- History and persistence ----

  Napi::Value Snapshot(const Napi::CallbackInfo& info) {
    return BytesOut(info.Env(), codesync_doc_snapshot, doc(info.Env()));
  }

  // fromSnapshot(snapshot, clientId, gc): a new NativeDoc (defined after AddonData).
  Napi::Value FromSnapshot(const Napi::CallbackInfo& info);

  // restoreSnapshot(snapshot, origin?)
  void RestoreSnapshot(const Napi::CallbackInfo& info) {
    Bytes s = BytesArg(info, 0, "snapshot");
    auto origin = OriginArg(info, 1);
    Check(info.Env(), state_.get(), codesync_doc_restore_snapshot(doc(info.Env()), s.data, s.size, OriginPtr(origin)));
  }

  // saveContainer(guid?: string, metadataJson?: string)
  Napi::Value SaveContainer(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto guid = OptStr(info, 0, "guid");
    auto meta = OptStr(info, 1, "metadata");
    if (guid && guid->find('\0') != std::string::npos) {
      ThrowCode(env, CODESYNC_ERR_INVALID_ARGUMENT, "guid must not contain NUL");
    }
    return BytesOut(env, codesync_doc_save_container, doc(env), guid ? guid->c_str() : nullptr,
                    meta ? meta->data() : nullptr, meta ? meta->size() : 0);
  }

  // relposToIndex(bytes): [index, state] (state: RELPOS_FOUND, ...).
  Napi::Value RelposToIndex(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Bytes r = BytesArg(info, 0, "position");
    size_t index = 0;
    codesync_relpos_state st = CODESYNC_RELPOS_FOUND;
    Check(env, state_.get(), codesync_relpos_to_index(doc(env), r.data, r.size, &index, &st));
    Napi::Array out = Napi::Array::New(env, 2);
    out.Set(0u, Napi::Number::New(env, static_cast<double>(index)));
    out.Set(1u, Napi::Number::New(env, static_cast<double>(st)));
    return out;
  }

  void LoadContainer(const Napi::CallbackInfo& info) {
    Bytes b = BytesArg(info, 0, "container");
    Check(info.Env(), state_.get(), codesync_doc_load_container(doc(info.Env()), b.data, b.size));
  }

  std::shared_ptr<DocState> state_;
};

using JsArgs = std::function<std::vector<napi_value>(Napi::Env)>;

// Calls this.<name>(...args(env)) on the JS object of state->wrap from inside
// the C library; nothing may propagate: the first exception is kept in
// state->Pending() for the call that ran the observers to rethrow.
template <typename State>
void CallJs(State* state, const char* name, const JsArgs& args) {
  if (state->wrap == nullptr) return;
  Napi::Env env = state->wrap->Env();
  Napi::HandleScope scope(env);
  try {
    Napi::Object self = state->wrap->Value();
    if (self.IsEmpty()) return;
    Napi::Value fn = self.Get(name);
    if (!fn.IsFunction()) return;
    fn.As<Napi::Function>().Call(self, args(env));
  } catch (const Napi::Error& e) {
    if (!state->Pending()) state->Pending().emplace(e);
  } catch (const std::exception& e) {
    if (!state->Pending()) state->Pending().emplace(Napi::Error::New(env, e.what()));
  }
}

// Calls this._<name>(...args) on the document's JS object.
void Dispatch(Slot* slot, const char* name, const JsArgs& args) {
  if (slot->dead) return;
  CallJs(slot->state, name, args);
}

void NativeDoc::OnUpdate(const uint8_t* update, size_t len, const char* origin, void* user_data) {
  Dispatch(static_cast<Slot*>(user_data), "_onUpdate", [&](Napi::Env env) {
    return std::vector<napi_value>{NewBytes(env, update, len), OriginValue(env, origin)};
  });
}

Napi::Value DeltaArray(Napi::Env env, const codesync_delta_op* ops, size_t count) {
  Napi::Object json = env.Global().Get("JSON").As<Napi::Object>();
  Napi::Function parse = json.Get("parse").As<Napi::Function>();
  Napi::Array delta = Napi::Array::New(env, count);
  for (size_t i = 0; i < count; ++i) {
    const codesync_delta_op& op = ops[i];
    Napi::Object d = Napi::Object::New(env);
    switch (op.kind) {
      case CODESYNC_DELTA_INSERT:
        if (op.embed_json != nullptr) {
          d.Set("insert", parse.Call(json, {Napi::String::New(env, op.embed_json)}));
        } else {
          d.Set("insert", Napi::String::New(env, op.text != nullptr ? op.text : "", op.text_len));
        }
        break;
      case CODESYNC_DELTA_RETAIN:
        d.Set("retain", Napi::Number::New(env, static_cast<double>(op.length)));
        break;
      case CODESYNC_DELTA_DELETE:
        d.Set("delete", Napi::Number::New(env, static_cast<double>(op.length)));
        break;
    }
    if (op.attributes_json != nullptr) {
      d.Set("attributes", parse.Call(json, {Napi::String::New(env, op.attributes_json)}));
    }
    delta.Set(static_cast<uint32_t>(i), d);
  }
  return delta;
}

void NativeDoc::OnDelta(const codesync_delta_op* ops, size_t count, const char* origin, void* user_data) {
  Slot* slot = static_cast<Slot*>(user_data);
  Dispatch(slot, "_onDelta", [&](Napi::Env env) {
    return std::vector<napi_value>{Napi::Number::New(env, static_cast<double>(slot->text_key)),
                                   DeltaArray(env, ops, count), OriginValue(env, origin)};
  });
}

// ---- Shared type handles ------------------------------------------------------------

// Constructors of the handle classes, per environment.
struct AddonData {
  Napi::FunctionReference doc;
  Napi::FunctionReference awareness;
  Napi::FunctionReference text;
  Napi::FunctionReference map;
  Napi::FunctionReference array;
};

template <typename Derived, typename H>
class HandleBase : public Napi::ObjectWrap<Derived> {
 public:
  explicit HandleBase(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Derived>(info) {}

  void Init(std::shared_ptr<DocState> state, H* h) {
    state_ = std::move(state);
    h_ = h;
  }

  H* handle() const { return h_; }
  DocState* state() const { return state_.get(); }

 protected:
  // The C handle, once the document is known to be alive.
  H* h(Napi::Env env) {
    if (h_ == nullptr) ThrowCode(env, CODESYNC_ERR_INVALID_ARGUMENT, "not a handle of a document");
    Live(env, state_.get());
    return h_;
  }

  // The handle's identity (its address), for caching wrappers in JS.
  Napi::Value KeyValue(Napi::Env env) const {
    return Napi::Number::New(env, static_cast<double>(reinterpret_cast<uintptr_t>(h_)));
  }

  void Check(Napi::Env env, int rc) { ::Check(env, state_.get(), rc); }

  template <typename P>
  Napi::Object Handle(Napi::Env env, P* p) {
    return HandleOrThrow(env, state_, p);
  }

  // relpos(index, assoc?) / relposJson(index, assoc?) of a text or array:
  // fn's encoded position as bytes (yjs's encoding) or JSON.
  using RelposFn = int (*)(H*, size_t, int, codesync_buffer*);
  Napi::Value RelposOf(const Napi::CallbackInfo& info, RelposFn fn, bool json) {
    Napi::Env env = info.Env();
    size_t index = Index(info, 0, "index");
    int assoc = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0;
    Buffer out;
    Check(env, fn(h(env), index, assoc, out.out()));
    if (json) return out.ToString(env);
    return out.ToBytes(env);
  }

  // diff(prev?, next?) of a text or map: JSON runs (null = the empty document / now).
  using DiffFn = int (*)(H*, const uint8_t*, size_t, const uint8_t*, size_t, codesync_buffer*);
  Napi::Value DiffOf(const Napi::CallbackInfo& info, DiffFn fn) {
    Bytes prev = OptBytesArg(info, 0, "prev"), next = OptBytesArg(info, 1, "next");
    return StringOut(info.Env(), fn, h(info.Env()), prev.data, prev.size, next.data, next.size);
  }

  std::shared_ptr<DocState> state_;
  H* h_ = nullptr;
};

// The value of a map entry or array element: a handle for nested types, else
// its JSON text.
template <typename Container, typename K>
Napi::Value GetValue(Napi::Env env, const std::shared_ptr<DocState>& state, Container* c, K key,
                     codesync_map* (*get_map)(Container*, K), codesync_array* (*get_array)(Container*, K),
                     codesync_text* (*get_text)(Container*, K), int (*get_json)(Container*, K, codesync_buffer*)) {
  if (codesync_map* m = get_map(c, key)) return NewHandle(env, state, m);
  int code = codesync_last_error_code();
  if (code != CODESYNC_ERR_TYPE_MISMATCH) Throw(env, code);
  if (codesync_array* a = get_array(c, key)) return NewHandle(env, state, a);
  if (codesync_text* t = get_text(c, key)) return NewHandle(env, state, t);
  Buffer out;
  int rc = get_json(c, key, out.out());
  if (rc != CODESYNC_OK) Throw(env, rc);
  return out.ToString(env);
}

class NativeText : public HandleBase<NativeText, codesync_text> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeText",
                       {
                           InstanceAccessor<&NativeText::GetKey>("key"),
                           InstanceMethod<&NativeText::Insert>("insert"),
                           InstanceMethod<&NativeText::InsertEmbed>("insertEmbed"),
                           InstanceMethod<&NativeText::Delete>("delete"),
                           InstanceMethod<&NativeText::Format>("format"),
                           InstanceAccessor<&NativeText::Length>("length"),
                           InstanceMethod<&NativeText::ToString>("toString"),
                           InstanceMethod<&NativeText::ToDelta>("toDelta"),
                           InstanceMethod<&NativeText::Diff>("diff"),
                           InstanceMethod<&NativeText::Authorship>("authorship"),
                           InstanceMethod<&NativeText::Relpos>("relpos"),
                           InstanceMethod<&NativeText::RelposJson>("relposJson"),
                       });
  }
  using HandleBase::HandleBase;

 private:
  Napi::Value GetKey(const Napi::CallbackInfo& info) { return KeyValue(info.Env()); }

  // insert(index, text, attributesJson?)
  void Insert(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    size_t index = Index(info, 0, "index");
    std::string s = Str(info, 1, "text");
    codesync_text* t = h(env);
    if (info.Length() > 2 && info[2].IsString()) {
      std::string attrs = info[2].As<Napi::String>().Utf8Value();
      Check(env, codesync_text_insert_with_attributes(t, index, s.data(), s.size(), attrs.data(), attrs.size()));
    } else {
      Check(env, codesync_text_insert(t, index, s.data(), s.size()));
    }
  }

  // insertEmbed(index, json)
  void InsertEmbed(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    size_t index = Index(info, 0, "index");
    std::string json = Str(info, 1, "embed");
    Check(env, codesync_text_insert_embed(h(env), index, json.data(), json.size()));
  }

  void Delete(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    size_t index = Index(info, 0, "index");
    size_t length = Index(info, 1, "length");
    Check(env, codesync_text_delete(h(env), index, length));
  }

  // format(index, length, attributesJson)
  void Format(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    size_t index = Index(info, 0, "index");
    size_t length = Index(info, 1, "length");
    std::string attrs = Str(info, 2, "attributes");
    Check(env, codesync_text_format(h(env), index, length, attrs.data(), attrs.size()));
  }

  Napi::Value Length(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(codesync_text_length(h(info.Env()))));
  }

  Napi::Value ToString(const Napi::CallbackInfo& info) {
    return StringOut(info.Env(), codesync_text_string, h(info.Env()));
  }

  Napi::Value ToDelta(const Napi::CallbackInfo& info) {
    return StringOut(info.Env(), codesync_text_to_delta, h(info.Env()));
  }

  // diff(prev?, next?): JSON runs (null = the empty document / now).
  Napi::Value Diff(const Napi::CallbackInfo& info) { return DiffOf(info, codesync_text_diff); }

  // relpos(index, assoc): yjs's encoded relative position.
  Napi::Value Relpos(const Napi::CallbackInfo& info) { return RelposOf(info, codesync_relpos_from_text, false); }
  // relposJson(index, assoc): the same position as yjs's relativePositionToJSON (with the type).
  Napi::Value RelposJson(const Napi::CallbackInfo& info) {
    return RelposOf(info, codesync_relpos_from_text_json, true);
  }

  Napi::Value Authorship(const Napi::CallbackInfo& info) {
    return StringOut(info.Env(), codesync_text_authorship_json, h(info.Env()));
  }
};

class NativeMap : public HandleBase<NativeMap, codesync_map> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeMap",
                       {
                           InstanceAccessor<&NativeMap::GetKey>("key"),
                           InstanceMethod<&NativeMap::SetJson>("setJson"),
                           InstanceMethod<&NativeMap::SetText>("setText"),
                           InstanceMethod<&NativeMap::SetMap>("setMap"),
                           InstanceMethod<&NativeMap::SetArray>("setArray"),
                           InstanceMethod<&NativeMap::Delete>("delete"),
                           InstanceMethod<&NativeMap::Get>("get"),
                           InstanceAccessor<&NativeMap::Size>("size"),
                           InstanceMethod<&NativeMap::ToJson>("toJSON"),
                           InstanceMethod<&NativeMap::Diff>("diff"),
                       });
  }
  using HandleBase::HandleBase;

 private:
  Napi::Value GetKey(const Napi::CallbackInfo& info) { return KeyValue(info.Env()); }

  Napi::Value Diff(const Napi::CallbackInfo& info) { return DiffOf(info, codesync_map_diff); }

  void SetJson(const Napi::CallbackInfo& info) {
    std::string key = ::Key(info, 0, "key");
    std::string json = Str(info, 1, "json");
    Check(info.Env(), codesync_map_set_json(h(info.Env()), key.c_str(), json.data(), json.size()));
  }
  // set{Text,Map,Array}(key): the handle of the new nested type fn made.
  template <typename P>
  Napi::Value SetNew(const Napi::CallbackInfo& info, P* (*fn)(codesync_map*, const char*)) {
    std::string key = ::Key(info, 0, "key");
    return Handle(info.Env(), fn(h(info.Env()), key.c_str()));
  }
  Napi::Value SetText(const Napi::CallbackInfo& info) { return SetNew(info, codesync_map_set_text); }
  Napi::Value SetMap(const Napi::CallbackInfo& info) { return SetNew(info, codesync_map_set_map); }
  Napi::Value SetArray(const Napi::CallbackInfo& info) { return SetNew(info, codesync_map_set_array); }
  void Delete(const Napi::CallbackInfo& info) {
    std::string key = ::Key(info, 0, "key");
    Check(info.Env(), codesync_map_delete(h(info.Env()), key.c_str()));
  }
  // get(key): a handle, a JSON string, or undefined when absent.
  Napi::Value Get(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string key = ::Key(info, 0, "key");
    codesync_map* m = h(env);
    try {
      return GetValue<codesync_map, const char*>(env, state_, m, key.c_str(), codesync_map_get_map,
                                                 codesync_map_get_array, codesync_map_get_text,
                                                 codesync_map_get_json);
    } catch (const Napi::Error&) {
      if (codesync_last_error_code() == CODESYNC_ERR_OUT_OF_RANGE) return env.Undefined();
      throw;
    }
  }
  Napi::Value Size(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(codesync_map_size(h(info.Env()))));
  }
  Napi::Value ToJson(const Napi::CallbackInfo& info) {
    return StringOut(info.Env(), codesync_map_to_json, h(info.Env()));
  }
};

class NativeArray : public HandleBase<NativeArray, codesync_array> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeArray",
                       {
                           InstanceAccessor<&NativeArray::GetKey>("key"),
                           InstanceMethod<&NativeArray::InsertJson>("insertJson"),
                           InstanceMethod<&NativeArray::InsertText>("insertText"),
                           InstanceMethod<&NativeArray::InsertMap>("insertMap"),
                           InstanceMethod<&NativeArray::InsertArray>("insertArray"),
                           InstanceMethod<&NativeArray::Delete>("delete"),
                           InstanceMethod<&NativeArray::Get>("get"),
                           InstanceAccessor<&NativeArray::Length>("length"),
                           InstanceMethod<&NativeArray::ToJson>("toJSON"),
                           InstanceMethod<&NativeArray::Relpos>("relpos"),
                           InstanceMethod<&NativeArray::RelposJson>("relposJson"),
                       });
  }
  using HandleBase::HandleBase;

 private:
  Napi::Value GetKey(const Napi::CallbackInfo& info) { return KeyValue(info.Env()); }

  // insertJson(index, jsonArray)
  void InsertJson(const Napi::CallbackInfo& info) {
    size_t index = Index(info, 0, "index");
    std::string json = Str(info, 1, "json");
    Check(info.Env(), codesync_array_insert_json(h(info.Env()), index, json.data(), json.size()));
  }
  // insert{Text,Map,Array}(index): the handle of the new nested type fn made.
  template <typename P>
  Napi::Value InsertNew(const Napi::CallbackInfo& info, P* (*fn)(codesync_array*, size_t)) {
    size_t index = Index(info, 0, "index");
    return Handle(info.Env(), fn(h(info.Env()), index));
  }
  Napi::Value InsertText(const Napi::CallbackInfo& info) { return InsertNew(info, codesync_array_insert_text); }
  Napi::Value InsertMap(const Napi::CallbackInfo& info) { return InsertNew(info, codesync_array_insert_map); }
  Napi::Value InsertArray(const Napi::CallbackInfo& info) { return InsertNew(info, codesync_array_insert_array); }
  Napi::Value Relpos(const Napi::CallbackInfo& info) { return RelposOf(info, codesync_relpos_from_array, false); }
  // relposJson(index, assoc): the same position as yjs's relativePositionToJSON (with the type).
  Napi::Value RelposJson(const Napi::CallbackInfo& info) {
    return RelposOf(info, codesync_relpos_from_array_json, true);
  }
  void Delete(const Napi::CallbackInfo& info) {
    size_t index = Index(info, 0, "index");
    size_t length = Index(info, 1, "length");
    Check(info.Env(), codesync_array_delete(h(info.Env()), index, length));
  }
  Napi::Value Get(const Napi::CallbackInfo& info) {
    size_t index = Index(info, 0, "index");
    return GetValue<codesync_array, size_t>(info.Env(), state_, h(info.Env()), index, codesync_array_get_map,
                                            codesync_array_get_array, codesync_array_get_text,
                                            codesync_array_get_json);
  }
  Napi::Value Length(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(codesync_array_length(h(info.Env()))));
  }
  Napi::Value ToJson(const Napi::CallbackInfo& info) {
    return StringOut(info.Env(), codesync_array_to_json, h(info.Env()));
  }
};

template <typename W, typename H>
Napi::Object MakeHandle(Napi::Env env, Napi::FunctionReference& ctor, const std::shared_ptr<DocState>& state, H* h) {
  Napi::Object obj = ctor.New({});
  W::Unwrap(obj)->Init(state, h);
  return obj;
}

Napi::Object NewHandle(Napi::Env env, const std::shared_ptr<DocState>& state, codesync_text* h) {
  return MakeHandle<NativeText>(env, env.GetInstanceData<AddonData>()->text, state, h);
}
Napi::Object NewHandle(Napi::Env env, const std::shared_ptr<DocState>& state, codesync_map* h) {
  return MakeHandle<NativeMap>(env, env.GetInstanceData<AddonData>()->map, state, h);
}
Napi::Object NewHandle(Napi::Env env, const std::shared_ptr<DocState>& state, codesync_array* h) {
  return MakeHandle<NativeArray>(env, env.GetInstanceData<AddonData>()->array, state, h);
}

NativeText* TextArg(const Napi::CallbackInfo& info, size_t i, DocState* state) {
  NativeText* t = nullptr;
  if (info[i].IsObject()) {
    Napi::Object o = info[i].As<Napi::Object>();
    Napi::FunctionReference& ctor = info.Env().GetInstanceData<AddonData>()->text;
    if (o.InstanceOf(ctor.Value())) t = NativeText::Unwrap(o);
  }
  if (t == nullptr || t->handle() == nullptr || t->state() != state) {
    throw Napi::TypeError::New(info.Env(), "expected a text of this document");
  }
  return t;
}

Napi::Value NativeDoc::FromSnapshot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes s = BytesArg(info, 0, "snapshot");
  codesync_doc_options opts;
  codesync_doc_options_init(&opts);
  if (info.Length() > 1 && info[1].IsNumber()) opts.client_id = static_cast<uint64_t>(Index(info, 1, "clientId"));
  if (info.Length() > 2 && info[2].IsBoolean()) opts.gc = info[2].As<Napi::Boolean>().Value() ? 1 : 0;
  opts.offset_kind = CODESYNC_OFFSET_UTF16;
  codesync_doc* out = nullptr;
  int rc = codesync_doc_from_snapshot(doc(env), s.data, s.size, &opts, &out);
  if (rc != CODESYNC_OK) Throw(env, rc);
  auto state = std::make_shared<DocState>();
  state->doc = out;  // owned: freed with the new NativeDoc
  return env.GetInstanceData<AddonData>()->doc.New({Napi::External<std::shared_ptr<DocState>>::New(env, &state)});
}

void NativeDoc::ObserveText(const Napi::CallbackInfo& info) {
  Live(info.Env(), state_.get());
  NativeText* t = TextArg(info, 0, state_.get());
  uintptr_t key = reinterpret_cast<uintptr_t>(t->handle());
  if (state_->text_slots.count(key) != 0) return;
  Slot* slot = NewSlot(info.Env(), key);
  slot->sub = codesync_text_observe(t->handle(), OnDelta, slot);
  if (slot->sub == nullptr) {
    slot->dead = true;
    Throw(info.Env(), codesync_last_error_code());
  }
  state_->text_slots[key] = slot;
}

void NativeDoc::UnobserveText(const Napi::CallbackInfo& info) {
  Live(info.Env(), state_.get());
  NativeText* t = TextArg(info, 0, state_.get());
  auto it = state_->text_slots.find(reinterpret_cast<uintptr_t>(t->handle()));
  if (it == state_->text_slots.end()) return;
  Kill(it->second);
  state_->text_slots.erase(it);
}

// ---- Awareness ----------------------------------------------------------------------

class NativeAwareness;

// Owns (or, for a room's, borrows) a codesync_awareness and its one C
// subscription, which calls `_onChange(added, updated, renewed, removed,
// origin)` on the NativeAwareness object.
struct AwState {
  codesync_awareness* aw = nullptr;
  codesync_awareness_subscription* sub = nullptr;
  NativeAwareness* wrap = nullptr;
  std::shared_ptr<RoomState> room;
  std::optional<Napi::Error> pending;
  std::optional<Napi::Error>& Pending() { return pending; }

  void Free() {
    codesync_awareness_unobserve(sub);
    sub = nullptr;
    if (room == nullptr) codesync_awareness_free(aw);
    aw = nullptr;
    room.reset();
  }
};

codesync_awareness* LiveAw(Napi::Env env, AwState* state) {
  if (state == nullptr || state->aw == nullptr) {
    ThrowCode(env, CODESYNC_ERR_INVALID_ARGUMENT, "the awareness was destroyed");
  }
  return state->aw;
}

void RethrowPending(std::optional<Napi::Error>& pending) {
  if (pending) {
    Napi::Error e = std::move(*pending);
    pending.reset();
    throw e;
  }
}

void CheckAw(Napi::Env env, AwState* state, int rc) {
  RethrowPending(state->pending);
  if (rc != CODESYNC_OK) Throw(env, rc);
}

int64_t Now(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "now must be a number (milliseconds)");
  return info[i].As<Napi::Number>().Int64Value();
}

uint64_t ClientId(Napi::Env env, Napi::Value v, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 9007199254740991.0 || d != static_cast<double>(static_cast<int64_t>(d))) {
    ThrowCode(env, CODESYNC_ERR_INVALID_ARGUMENT, (std::string(what) + " must be a non-negative integer").c_str());
  }
  return static_cast<uint64_t>(d);
}

// An array of client ids; `all` when the argument is null/undefined.
struct ClientList {
  bool all = true;
  std::vector<uint64_t> ids;
  const uint64_t* data() const { return all ? nullptr : ids.data(); }
};

ClientList ClientsArg(const Napi::CallbackInfo& info, size_t i) {
  ClientList c;
  if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) return c;
  if (!info[i].IsArray()) throw Napi::TypeError::New(info.Env(), "clients must be an array of numbers");
  Napi::Array arr = info[i].As<Napi::Array>();
  c.all = false;
  for (uint32_t k = 0; k < arr.Length(); ++k) c.ids.push_back(ClientId(info.Env(), arr.Get(k), "client id"));
  return c;
}

Napi::Array IdArray(Napi::Env env, const uint64_t* ids, size_t count) {
  Napi::Array out = Napi::Array::New(env, count);
  for (size_t i = 0; i < count; ++i) out.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(ids[i])));
  return out;
}

class NativeAwareness : public Napi::ObjectWrap<NativeAwareness> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeAwareness",
                       {
                           InstanceAccessor<&NativeAwareness::GetClientId>("clientId"),
                           InstanceMethod<&NativeAwareness::SetLocalState>("setLocalState"),
                           InstanceMethod<&NativeAwareness::LocalState>("localState"),
                           InstanceMethod<&NativeAwareness::State>("state"),
                           InstanceMethod<&NativeAwareness::Clock>("clock"),
                           InstanceMethod<&NativeAwareness::Clients>("clients"),
                           InstanceMethod<&NativeAwareness::StatesJson>("statesJson"),
                           InstanceMethod<&NativeAwareness::ApplyUpdate>("applyUpdate"),
                           InstanceMethod<&NativeAwareness::EncodeUpdate>("encodeUpdate"),
                           InstanceMethod<&NativeAwareness::RemoveStates>("removeStates"),
                           InstanceMethod<&NativeAwareness::Tick>("tick"),
                           InstanceMethod<&NativeAwareness::Destroy>("destroy"),
                       });
  }

  // new NativeAwareness(clientId, timeoutMs) or new NativeAwareness(External<shared_ptr<AwState>>).
  explicit NativeAwareness(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeAwareness>(info) {
    Napi::Env env = info.Env();
    if (info.Length() > 0 && info[0].IsExternal()) {
      state_ = *info[0].As<Napi::External<std::shared_ptr<AwState>>>().Data();
    } else {
      uint64_t client = ClientId(env, info[0], "clientId");
      int64_t timeout = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int64Value() : 0;
      state_ = std::make_shared<AwState>();
      state_->aw = codesync_awareness_new(client, timeout);
      if (state_->aw == nullptr) Throw(env, codesync_last_error_code());
    }
    state_->wrap = this;
    state_->sub = codesync_awareness_observe(state_->aw, OnChange, state_.get());
    if (state_->sub == nullptr) {
      int code = codesync_last_error_code();
      state_->Free();
      Throw(env, code);
    }
  }

  ~NativeAwareness() override {
    if (state_ == nullptr) return;
    state_->wrap = nullptr;
    state_->Free();
  }

  AwState* state() { return state_.get(); }

 private:
  static void OnChange(const codesync_awareness_change* change, const char* origin, void* user_data);

  codesync_awareness* aw(Napi::Env env) { return LiveAw(env, state_.get()); }

  Napi::Value GetClientId(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(codesync_awareness_client_id(aw(info.Env()))));
  }

  // setLocalState(json: string | null, now)
  void SetLocalState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int64_t now = Now(info, 1);
    if (info[0].IsNull() || info[0].IsUndefined()) {
      CheckAw(env, state_.get(), codesync_awareness_set_local_state(aw(env), nullptr, 0, now));
    } else {
      std::string json = Str(info, 0, "state");
      CheckAw(env, state_.get(), codesync_awareness_set_local_state(aw(env), json.data(), json.size(), now));
    }
  }

  Napi::Value LocalState(const Napi::CallbackInfo& info) {
    return StringOut(info.Env(), codesync_awareness_local_state, aw(info.Env()));
  }

  // state(client): its JSON, or undefined when it has none.
  Napi::Value State(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t client = ClientId(env, info[0], "clientID");
    Buffer out;
    int rc = codesync_awareness_state(aw(env), client, out.out());
    if (rc == CODESYNC_ERR_OUT_OF_RANGE) return env.Undefined();
    if (rc != CODESYNC_OK) Throw(env, rc);
    return out.ToString(env);
  }

  Napi::Value Clock(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t client = ClientId(env, info[0], "clientID");
    uint64_t clock = 0;
    int rc = codesync_awareness_clock(aw(env), client, &clock);
    if (rc == CODESYNC_ERR_OUT_OF_RANGE) return env.Undefined();
    if (rc != CODESYNC_OK) Throw(env, rc);
    return Napi::Number::New(env, static_cast<double>(clock));
  }

  Napi::Value Clients(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    size_t count = 0;
    int rc = codesync_awareness_clients(aw(env), nullptr, 0, &count);
    if (rc != CODESYNC_OK) Throw(env, rc);
    std::vector<uint64_t> ids(count);
    rc = codesync_awareness_clients(aw(env), ids.data(), ids.size(), &count);
    if (rc != CODESYNC_OK) Throw(env, rc);
    return IdArray(env, ids.data(), count < ids.size() ? count : ids.size());
  }

  Napi::Value StatesJson(const Napi::CallbackInfo& info) {
    return StringOut(info.Env(), codesync_awareness_states_json, aw(info.Env()));
  }

  // applyUpdate(update, now, origin?)
  void ApplyUpdate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Bytes u = BytesArg(info, 0, "update");
    int64_t now = Now(info, 1);
    auto origin = OriginArg(info, 2);
    CheckAw(env, state_.get(), codesync_awareness_apply_update(aw(env), u.data, u.size, now, OriginPtr(origin)));
  }

  // encodeUpdate(clients?: number[])
  Napi::Value EncodeUpdate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    ClientList c = ClientsArg(info, 0);
    return BytesOut(env, codesync_awareness_encode_update, aw(env), c.data(), c.ids.size());
  }

  // removeStates(clients, now, origin?)
  void RemoveStates(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsArray()) throw Napi::TypeError::New(env, "clients must be an array of numbers");
    ClientList c = ClientsArg(info, 0);
    int64_t now = Now(info, 1);
    auto origin = OriginArg(info, 2);
    CheckAw(env, state_.get(),
            codesync_awareness_remove_states(aw(env), c.ids.data(), c.ids.size(), now, OriginPtr(origin)));
  }

  void Tick(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int64_t now = Now(info, 0);
    CheckAw(env, state_.get(), codesync_awareness_tick(aw(env), now));
  }

  void Destroy(const Napi::CallbackInfo& info) { state_->Free(); }

  std::shared_ptr<AwState> state_;
};

void NativeAwareness::OnChange(const codesync_awareness_change* change, const char* origin, void* user_data) {
  AwState* state = static_cast<AwState*>(user_data);
  CallJs(state, "_onChange", [&](Napi::Env env) {
    return std::vector<napi_value>{IdArray(env, change->added, change->added_count),
                                   IdArray(env, change->updated, change->updated_count),
                                   IdArray(env, change->renewed, change->renewed_count),
                                   IdArray(env, change->removed, change->removed_count), OriginValue(env, origin)};
  });
}

NativeDoc* DocArg(const Napi::CallbackInfo& info, size_t i) {
  if (info[i].IsObject()) {
    Napi::Object o = info[i].As<Napi::Object>();
    if (o.InstanceOf(info.Env().GetInstanceData<AddonData>()->doc.Value())) return NativeDoc::Unwrap(o);
  }
  throw Napi::TypeError::New(info.Env(), "expected a Doc");
}

NativeAwareness* AwarenessArg(const Napi::CallbackInfo& info, size_t i, bool optional) {
  if (optional && (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined())) return nullptr;
  if (info[i].IsObject()) {
    Napi::Object o = info[i].As<Napi::Object>();
    if (o.InstanceOf(info.Env().GetInstanceData<AddonData>()->awareness.Value())) return NativeAwareness::Unwrap(o);
  }
  throw Napi::TypeError::New(info.Env(), "expected an Awareness");
}

// ---- Sync messages ----------------------------------------------------------------------

Napi::Value SyncDecode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes f = BytesArg(info, 0, "frame");
  codesync_message_kind kind;
  const uint8_t* payload = nullptr;
  size_t payload_len = 0;
  int rc = codesync_sync_decode(f.data, f.size, &kind, &payload, &payload_len);
  if (rc != CODESYNC_OK) Throw(env, rc);
  Napi::Object out = Napi::Object::New(env);
  out.Set("kind", Napi::Number::New(env, kind));
  out.Set("payload", NewBytes(env, payload, payload_len));
  return out;
}

Napi::Value SyncEncodeStep1(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NativeDoc* d = DocArg(info, 0);
  return BytesOut(env, codesync_sync_encode_step1, Live(env, d->state()));
}

Napi::Value SyncEncodeStep2(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NativeDoc* d = DocArg(info, 0);
  codesync_doc* doc = Live(env, d->state());
  Bytes sv = OptBytesArg(info, 1, "stateVector");  // absent: everything
  return BytesOut(env, codesync_sync_encode_step2, doc, sv.data, sv.size);
}

Napi::Value SyncEncodeUpdate(const Napi::CallbackInfo& info) {
  Bytes u = BytesArg(info, 0, "update");
  return BytesOut(info.Env(), codesync_sync_encode_update, u.data, u.size);
}

Napi::Value SyncEncodeAwareness(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NativeAwareness* a = AwarenessArg(info, 0, false);
  ClientList c = ClientsArg(info, 1);
  return BytesOut(env, codesync_sync_encode_awareness, LiveAw(env, a->state()), c.data(), c.ids.size());
}

Napi::Value SyncEncodePermissionDenied(const Napi::CallbackInfo& info) {
  std::string reason = Key(info, 0, "reason");
  return BytesOut(info.Env(), codesync_sync_encode_permission_denied, reason.c_str());
}

Napi::Value SyncEncodeQueryAwareness(const Napi::CallbackInfo& info) {
  Buffer out;
  int rc = codesync_sync_encode_query_awareness(out.out());
  if (rc != CODESYNC_OK) Throw(info.Env(), rc);
  return out.ToBytes(info.Env());
}

// syncReceive(doc, awareness | null, frame, now, origin?) -> {kind, reply}
Napi::Value SyncReceive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NativeDoc* d = DocArg(info, 0);
  NativeAwareness* a = AwarenessArg(info, 1, true);
  Bytes f = BytesArg(info, 2, "frame");
  int64_t now = Now(info, 3);
  auto origin = OriginArg(info, 4);
  codesync_doc* doc = Live(env, d->state());
  codesync_awareness* aw = a != nullptr ? LiveAw(env, a->state()) : nullptr;
  codesync_message_kind kind = CODESYNC_MESSAGE_SYNC_STEP1;
  Buffer reply;
  int rc = codesync_sync_receive(doc, aw, f.data, f.size, now, OriginPtr(origin), &kind, reply.out());
  RethrowPending(d->state()->pending);
  if (a != nullptr) RethrowPending(a->state()->pending);
  if (rc != CODESYNC_OK) Throw(env, rc);
  Napi::Object out = Napi::Object::New(env);
  out.Set("kind", Napi::Number::New(env, kind));
  out.Set("reply", NewBytes(env, reply.data(), reply.size()));
  return out;
}

// ---- Rooms ------------------------------------------------------------------------------

// Owns the codesync_room. The room's document and awareness states hold a
// reference to it, so it is freed after their subscriptions.
struct RoomState {
  codesync_room* room = nullptr;
  std::weak_ptr<DocState> doc;
  std::weak_ptr<AwState> aw;
  ~RoomState() { codesync_room_free(room); }
};

class NativeRoom : public Napi::ObjectWrap<NativeRoom> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeRoom",
                       {
                           InstanceMethod<&NativeRoom::Doc>("doc"),
                           InstanceMethod<&NativeRoom::Awareness>("awareness"),
                           InstanceMethod<&NativeRoom::Attach>("attach"),
                           InstanceMethod<&NativeRoom::Detach>("detach"),
                           InstanceMethod<&NativeRoom::SetReadOnly>("setReadOnly"),
                           InstanceMethod<&NativeRoom::Receive>("receive"),
                           InstanceMethod<&NativeRoom::Tick>("tick"),
                           InstanceMethod<&NativeRoom::NextMessage>("nextMessage"),
                           InstanceAccessor<&NativeRoom::PendingMessages>("pendingMessages"),
                           InstanceAccessor<&NativeRoom::ConnectionCount>("connectionCount"),
                           InstanceMethod<&NativeRoom::Destroy>("destroy"),
                       });
  }

  // new NativeRoom(clientId, gc, offsetKind, awarenessTimeoutMs)
  explicit NativeRoom(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeRoom>(info) {
    codesync_room_options opts;
    codesync_room_options_init(&opts);
    if (info.Length() > 0 && info[0].IsNumber()) opts.doc.client_id = ClientId(info.Env(), info[0], "clientID");
    if (info.Length() > 1 && info[1].IsBoolean()) opts.doc.gc = info[1].As<Napi::Boolean>().Value() ? 1 : 0;
    if (info.Length() > 2 && info[2].IsNumber()) {
      opts.doc.offset_kind = static_cast<codesync_offset_kind>(info[2].As<Napi::Number>().Int32Value());
    }
    if (info.Length() > 3 && info[3].IsNumber() && info[3].As<Napi::Number>().Int64Value() > 0) {
      opts.awareness_timeout_ms = info[3].As<Napi::Number>().Int64Value();
    }
    state_ = std::make_shared<RoomState>();
    state_->room = codesync_room_new(&opts);
    if (state_->room == nullptr) Throw(info.Env(), codesync_last_error_code());
  }

 private:
  codesync_room* room(Napi::Env env) {
    if (state_->room == nullptr || destroyed_) ThrowCode(env, CODESYNC_ERR_INVALID_ARGUMENT, "the room was destroyed");
    return state_->room;
  }

  // The room's document as a new NativeDoc (called once by lib/index.js).
  Napi::Value Doc(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto doc = std::make_shared<DocState>();
    doc->doc = codesync_room_doc(room(env));
    doc->room = state_;
    state_->doc = doc;
    return env.GetInstanceData<AddonData>()->doc.New({Napi::External<std::shared_ptr<DocState>>::New(env, &doc)});
  }

  Napi::Value Awareness(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto aw = std::make_shared<AwState>();
    aw->aw = codesync_room_awareness(room(env));
    aw->room = state_;
    state_->aw = aw;
    return env.GetInstanceData<AddonData>()->awareness.New({Napi::External<std::shared_ptr<AwState>>::New(env, &aw)});
  }

  // Observer exceptions of the document first, then of the awareness, then the status.
  void Check(Napi::Env env, int rc) {
    if (auto d = state_->doc.lock()) RethrowPending(d->pending);
    if (auto a = state_->aw.lock()) RethrowPending(a->pending);
    if (rc < 0) Throw(env, rc);
  }

  uint64_t Conn(const Napi::CallbackInfo& info) { return ClientId(info.Env(), info[0], "connId"); }

  void Attach(const Napi::CallbackInfo& info) {
    uint64_t conn = Conn(info);
    bool read_only = info.Length() > 1 && info[1].ToBoolean().Value();
    int64_t now = Now(info, 2);
    Check(info.Env(), codesync_room_attach(room(info.Env()), conn, read_only ? 1 : 0, now));
  }
  void Detach(const Napi::CallbackInfo& info) {
    uint64_t conn = Conn(info);
    int64_t now = Now(info, 1);
    Check(info.Env(), codesync_room_detach(room(info.Env()), conn, now));
  }
  void SetReadOnly(const Napi::CallbackInfo& info) {
    uint64_t conn = Conn(info);
    bool read_only = info.Length() > 1 && info[1].ToBoolean().Value();
    Check(info.Env(), codesync_room_set_read_only(room(info.Env()), conn, read_only ? 1 : 0));
  }
  void Receive(const Napi::CallbackInfo& info) {
    uint64_t conn = Conn(info);
    Bytes f = BytesArg(info, 1, "frame");
    int64_t now = Now(info, 2);
    Check(info.Env(), codesync_room_receive(room(info.Env()), conn, f.data, f.size, now));
  }
  void Tick(const Napi::CallbackInfo& info) {
    int64_t now = Now(info, 0);
    Check(info.Env(), codesync_room_tick(room(info.Env()), now));
  }
  // nextMessage() -> {connId, frame} | null
  Napi::Value NextMessage(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t conn = 0;
    Buffer frame;
    int rc = codesync_room_next_message(room(env), &conn, frame.out());
    if (rc < 0) Throw(env, rc);
    if (rc == 0) return env.Null();
    Napi::Object out = Napi::Object::New(env);
    out.Set("connId", Napi::Number::New(env, static_cast<double>(conn)));
    out.Set("frame", frame.ToBytes(env));
    return out;
  }
  Napi::Value PendingMessages(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(codesync_room_pending_messages(room(info.Env()))));
  }
  Napi::Value ConnectionCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(codesync_room_connection_count(room(info.Env()))));
  }

  // Frees the room now: the subscriptions of its document and awareness first.
  void Destroy(const Napi::CallbackInfo& info) {
    if (destroyed_) return;
    destroyed_ = true;
    if (auto d = state_->doc.lock()) d->Free();
    if (auto a = state_->aw.lock()) a->Free();
    codesync_room_free(state_->room);
    state_->room = nullptr;
  }

  std::shared_ptr<RoomState> state_;
  bool destroyed_ = false;
};

// ---- Undo manager ---------------------------------------------------------------------

class NativeUndo;

// The C undo manager of a NativeUndo. Freed by destroy(), when the NativeUndo
// is collected, or first thing when its document is freed (the C API wants
// the manager gone before the document).
struct UndoState {
  codesync_undo_manager* um = nullptr;
  codesync_undo_subscription* sub = nullptr;
  std::shared_ptr<DocState> doc;
  uint64_t dependent_id = 0;
  NativeUndo* wrap = nullptr;
  std::optional<Napi::Error> pending;  // only before `doc` is set
  std::string origin;

  std::optional<Napi::Error>& Pending() { return doc != nullptr ? doc->pending : pending; }

  void Free() {
    if (sub != nullptr) codesync_undo_manager_unobserve(sub);
    sub = nullptr;
    if (um != nullptr) codesync_undo_manager_free(um);
    um = nullptr;
    if (doc != nullptr) doc->dependents.erase(dependent_id);
    doc.reset();
  }
};

class NativeUndo : public Napi::ObjectWrap<NativeUndo> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeUndo",
                       {
                           InstanceMethod<&NativeUndo::AddType>("addType"),
                           InstanceMethod<&NativeUndo::AddTrackedOrigin>("addTrackedOrigin"),
                           InstanceMethod<&NativeUndo::RemoveTrackedOrigin>("removeTrackedOrigin"),
                           InstanceMethod<&NativeUndo::Undo>("undo"),
                           InstanceMethod<&NativeUndo::Redo>("redo"),
                           InstanceAccessor<&NativeUndo::CanUndo>("canUndo"),
                           InstanceAccessor<&NativeUndo::CanRedo>("canRedo"),
                           InstanceAccessor<&NativeUndo::UndoDepth>("undoDepth"),
                           InstanceAccessor<&NativeUndo::RedoDepth>("redoDepth"),
                           InstanceMethod<&NativeUndo::StopCapturing>("stopCapturing"),
                           InstanceMethod<&NativeUndo::Clear>("clear"),
                           InstanceMethod<&NativeUndo::SetMeta>("setMeta"),
                           InstanceMethod<&NativeUndo::GetMeta>("getMeta"),
                           InstanceMethod<&NativeUndo::Destroy>("destroy"),
                       });
  }

  // new NativeUndo(doc: NativeDoc, captureTimeoutMs: number, origin: string | null, useClock: boolean):
  // events call this._onEvent(kind, stack, origin, meta); with useClock the
  // time of a change is this._clock().
  explicit NativeUndo(const Napi::CallbackInfo& info);

  ~NativeUndo() override {
    if (state_ == nullptr) return;
    state_->wrap = nullptr;
    state_->Free();
  }

 private:
  codesync_undo_manager* um(Napi::Env env) {
    if (state_ == nullptr || state_->um == nullptr) {
      ThrowCode(env, CODESYNC_ERR_INVALID_ARGUMENT, "the undo manager (or its document) was destroyed");
    }
    return state_->um;
  }

  // Observer exceptions (the document's, where this manager's events and
  // clock keep theirs too, as they run inside the document's calls), then the status.
  void CheckAll(Napi::Env env, int rc) {
    if (state_->doc != nullptr) RethrowPending(state_->doc->pending);
    RethrowPending(state_->pending);
    if (rc != CODESYNC_OK) Throw(env, rc);
  }

  static int64_t Clock(void* user_data);
  static void OnEvent(codesync_undo_manager*, const codesync_undo_event* ev, void* user_data);

  void AddType(const Napi::CallbackInfo& info);

  void AddTrackedOrigin(const Napi::CallbackInfo& info) {
    codesync_undo_manager* u = um(info.Env());
    auto origin = OriginArg(info, 0);
    CheckAll(info.Env(), codesync_undo_manager_add_tracked_origin(u, OriginPtr(origin)));
  }
  void RemoveTrackedOrigin(const Napi::CallbackInfo& info) {
    codesync_undo_manager* u = um(info.Env());
    auto origin = OriginArg(info, 0);
    CheckAll(info.Env(), codesync_undo_manager_remove_tracked_origin(u, OriginPtr(origin)));
  }
  Napi::Value Undo(const Napi::CallbackInfo& info) {
    int changed = 0;
    CheckAll(info.Env(), codesync_undo_manager_undo(um(info.Env()), &changed));
    return Napi::Boolean::New(info.Env(), changed != 0);
  }
  Napi::Value Redo(const Napi::CallbackInfo& info) {
    int changed = 0;
    CheckAll(info.Env(), codesync_undo_manager_redo(um(info.Env()), &changed));
    return Napi::Boolean::New(info.Env(), changed != 0);
  }
  Napi::Value CanUndo(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), codesync_undo_manager_can_undo(um(info.Env())) != 0);
  }
  Napi::Value CanRedo(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), codesync_undo_manager_can_redo(um(info.Env())) != 0);
  }
  Napi::Value UndoDepth(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(codesync_undo_manager_undo_depth(um(info.Env()))));
  }
  Napi::Value RedoDepth(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(codesync_undo_manager_redo_depth(um(info.Env()))));
  }
  void StopCapturing(const Napi::CallbackInfo& info) {
    CheckAll(info.Env(), codesync_undo_manager_stop_capturing(um(info.Env())));
  }
  void Clear(const Napi::CallbackInfo& info) { CheckAll(info.Env(), codesync_undo_manager_clear(um(info.Env()))); }
  // setMeta(stack, bytes) / getMeta(stack)
  void SetMeta(const Napi::CallbackInfo& info) {
    codesync_undo_manager* u = um(info.Env());
    size_t stack = Index(info, 0, "stack");
    Bytes b = BytesArg(info, 1, "meta");
    CheckAll(info.Env(), codesync_undo_manager_set_meta(u, static_cast<codesync_undo_stack>(stack), b.data, b.size));
  }
  Napi::Value GetMeta(const Napi::CallbackInfo& info) {
    codesync_undo_manager* u = um(info.Env());
    size_t stack = Index(info, 0, "stack");
    Buffer out;
    CheckAll(info.Env(), codesync_undo_manager_get_meta(u, static_cast<codesync_undo_stack>(stack), out.out()));
    return out.ToBytes(info.Env());
  }
  void Destroy(const Napi::CallbackInfo& info) {
    if (state_ != nullptr) state_->Free();
  }

  std::shared_ptr<UndoState> state_;
};

NativeUndo::NativeUndo(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeUndo>(info) {
  Napi::Env env = info.Env();
  NativeDoc* d = DocArg(info, 0);
  codesync_doc* doc = Live(env, d->state());
  codesync_undo_options opts;
  codesync_undo_options_init(&opts);
  if (info.Length() > 1 && info[1].IsNumber()) {
    double t = info[1].As<Napi::Number>().DoubleValue();
    if (!(t >= 0)) ThrowCode(env, CODESYNC_ERR_INVALID_ARGUMENT, "captureTimeout must be a non-negative number");
    opts.capture_timeout_ms = static_cast<int64_t>(t);
  }
  state_ = std::make_shared<UndoState>();
  state_->wrap = this;
  auto origin = OriginArg(info, 2);
  if (origin) {
    state_->origin = *origin;
    opts.origin = state_->origin.c_str();
  }
  if (info.Length() > 3 && info[3].IsBoolean() && info[3].As<Napi::Boolean>().Value()) {
    opts.clock = &NativeUndo::Clock;
    opts.clock_user_data = state_.get();
  }
  state_->um = codesync_undo_manager_new(doc, &opts);
  if (state_->um == nullptr) Throw(env, codesync_last_error_code());
  state_->sub = codesync_undo_manager_observe(state_->um, &NativeUndo::OnEvent, state_.get());
  if (state_->sub == nullptr) {
    int code = codesync_last_error_code();
    state_->Free();
    Throw(env, code);
  }
  state_->doc = d->shared_state();
  state_->dependent_id = state_->doc->next_dependent++;
  std::weak_ptr<UndoState> weak = state_;
  state_->doc->dependents[state_->dependent_id] = [weak] {
    if (auto s = weak.lock()) s->Free();
  };
}

int64_t NativeUndo::Clock(void* user_data) {
  auto* state = static_cast<UndoState*>(user_data);
  if (state->wrap == nullptr) return 0;
  Napi::Env env = state->wrap->Env();
  Napi::HandleScope scope(env);
  try {
    Napi::Object self = state->wrap->Value();
    Napi::Value fn = self.Get("_clock");
    if (!fn.IsFunction()) return 0;
    Napi::Value v = fn.As<Napi::Function>().Call(self, {});
    return v.IsNumber() ? v.As<Napi::Number>().Int64Value() : 0;
  } catch (const Napi::Error& e) {
    if (!state->Pending()) state->Pending().emplace(e);
  }
  return 0;
}

void NativeUndo::OnEvent(codesync_undo_manager*, const codesync_undo_event* ev, void* user_data) {
  auto* state = static_cast<UndoState*>(user_data);
  CallJs(state, "_onEvent", [&](Napi::Env env) {
    Napi::Value meta = ev->meta != nullptr ? Napi::Value(NewBytes(env, ev->meta, ev->meta_len)) : env.Null();
    return std::vector<napi_value>{Napi::Number::New(env, ev->kind), Napi::Number::New(env, ev->stack),
                                   OriginValue(env, ev->origin), meta};
  });
}

// addType(handle: NativeText | NativeMap | NativeArray of the manager's document)
void NativeUndo::AddType(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  codesync_undo_manager* u = um(env);
  AddonData* data = env.GetInstanceData<AddonData>();
  if (info[0].IsObject()) {
    Napi::Object o = info[0].As<Napi::Object>();
    if (o.InstanceOf(data->text.Value())) {
      NativeText* t = NativeText::Unwrap(o);
      if (t->handle() != nullptr && t->state() == state_->doc.get()) {
        return CheckAll(env, codesync_undo_manager_add_text(u, t->handle()));
      }
    } else if (o.InstanceOf(data->map.Value())) {
      NativeMap* m = NativeMap::Unwrap(o);
      if (m->handle() != nullptr && m->state() == state_->doc.get()) {
        return CheckAll(env, codesync_undo_manager_add_map(u, m->handle()));
      }
    } else if (o.InstanceOf(data->array.Value())) {
      NativeArray* a = NativeArray::Unwrap(o);
      if (a->handle() != nullptr && a->state() == state_->doc.get()) {
        return CheckAll(env, codesync_undo_manager_add_array(u, a->handle()));
      }
    }
  }
  ThrowCode(env, CODESYNC_ERR_INVALID_ARGUMENT, "the scope must be texts, maps or arrays of the manager's document");
}

// ---- Relative positions (module functions) ------------------------------------------

Napi::Value RelposToJson(const Napi::CallbackInfo& info) {
  Bytes r = BytesArg(info, 0, "position");
  return StringOut(info.Env(), codesync_relpos_to_json, r.data, r.size);
}

Napi::Value RelposFromJson(const Napi::CallbackInfo& info) {
  std::string json = Str(info, 0, "json");
  return BytesOut(info.Env(), codesync_relpos_from_json, json.data(), json.size());
}

// ---- Module functions -----------------------------------------------------------------

Napi::Value MergeUpdates(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "updates must be an array of Uint8Array");
  Napi::Array arr = info[0].As<Napi::Array>();
  std::vector<const uint8_t*> ptrs;
  std::vector<size_t> lens;
  std::vector<Napi::Value> keep;  // the views stay reachable on the stack scope anyway
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value v = arr.Get(i);
    if (!v.IsTypedArray()) throw Napi::TypeError::New(env, "updates must be an array of Uint8Array");
    Napi::TypedArray t = v.As<Napi::TypedArray>();
    ptrs.push_back(static_cast<const uint8_t*>(t.ArrayBuffer().Data()) + t.ByteOffset());
    lens.push_back(t.ByteLength());
    keep.push_back(v);
  }
  return BytesOut(env, codesync_merge_updates, ptrs.data(), lens.data(), ptrs.size());
}

Napi::Value UpdateStateVector(const Napi::CallbackInfo& info) {
  Bytes u = BytesArg(info, 0, "update");
  return BytesOut(info.Env(), codesync_update_state_vector, u.data, u.size);
}

Napi::Value SnapshotContainsUpdate(const Napi::CallbackInfo& info) {
  Bytes s = BytesArg(info, 0, "snapshot"), u = BytesArg(info, 1, "update");
  int contains = 0;
  int rc = codesync_snapshot_contains_update(s.data, s.size, u.data, u.size, &contains);
  if (rc != CODESYNC_OK) Throw(info.Env(), rc);
  return Napi::Boolean::New(info.Env(), contains != 0);
}

Napi::Value ContainerInfo(const Napi::CallbackInfo& info) {
  Bytes b = BytesArg(info, 0, "container");
  return StringOut(info.Env(), codesync_container_info, b.data, b.size);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  Napi::Function doc = NativeDoc::Define(env);
  Napi::Function awareness = NativeAwareness::Define(env);
  data->doc = Napi::Persistent(doc);
  data->awareness = Napi::Persistent(awareness);
  Napi::Function text = NativeText::Define(env);
  Napi::Function map = NativeMap::Define(env);
  Napi::Function array = NativeArray::Define(env);
  data->text = Napi::Persistent(text);
  data->map = Napi::Persistent(map);
  data->array = Napi::Persistent(array);
  env.SetInstanceData(data);

  exports.Set("NativeDoc", doc);
  exports.Set("NativeAwareness", awareness);
  exports.Set("NativeRoom", NativeRoom::Define(env));
  exports.Set("syncDecode", Napi::Function::New(env, SyncDecode));
  exports.Set("syncEncodeStep1", Napi::Function::New(env, SyncEncodeStep1));
  exports.Set("syncEncodeStep2", Napi::Function::New(env, SyncEncodeStep2));
  exports.Set("syncEncodeUpdate", Napi::Function::New(env, SyncEncodeUpdate));
  exports.Set("syncEncodeAwareness", Napi::Function::New(env, SyncEncodeAwareness));
  exports.Set("syncEncodePermissionDenied", Napi::Function::New(env, SyncEncodePermissionDenied));
  exports.Set("syncEncodeQueryAwareness", Napi::Function::New(env, SyncEncodeQueryAwareness));
  exports.Set("syncReceive", Napi::Function::New(env, SyncReceive));
  exports.Set("NativeText", text);
  exports.Set("NativeMap", map);
  exports.Set("NativeArray", array);
  exports.Set("mergeUpdates", Napi::Function::New(env, MergeUpdates));
  exports.Set("updateStateVector", Napi::Function::New(env, UpdateStateVector));
  exports.Set("snapshotContainsUpdate", Napi::Function::New(env, SnapshotContainsUpdate));
  exports.Set("containerInfo", Napi::Function::New(env, ContainerInfo));
  exports.Set("NativeUndo", NativeUndo::Define(env));
  exports.Set("relposToJson", Napi::Function::New(env, RelposToJson));
  exports.Set("relposFromJson", Napi::Function::New(env, RelposFromJson));
  exports.Set("RELPOS_FOUND", Napi::Number::New(env, CODESYNC_RELPOS_FOUND));
  exports.Set("RELPOS_TYPE_DELETED", Napi::Number::New(env, CODESYNC_RELPOS_TYPE_DELETED));
  exports.Set("RELPOS_NOT_FOUND", Napi::Number::New(env, CODESYNC_RELPOS_NOT_FOUND));
  exports.Set("version", Napi::String::New(env, codesync_version()));
  exports.Set("OFFSET_UTF16", Napi::Number::New(env, CODESYNC_OFFSET_UTF16));
  exports.Set("OFFSET_UTF8", Napi::Number::New(env, CODESYNC_OFFSET_UTF8));
  exports.Set("OFFSET_CODEPOINT", Napi::Number::New(env, CODESYNC_OFFSET_CODEPOINT));
  return exports;
}

}  // namespace

NODE_API_MODULE(codesync, Init)
