// codesync._codesync: the low-level extension under the Python package.
//
// A thin layer over the C API (include/codesync.h): handles, bytes and JSON
// strings in and out. The Pythonic classes (Doc, Text, Array, Map, prelim
// values, origins as arbitrary objects) live in codesync/__init__.py.
//
// Ownership: _Doc owns the codesync_doc and every subscription on it (with the
// Python callable). _Text/_Map/_Array hold a borrowed C pointer and a strong
// reference to their _Doc, so the document outlives them. Both kinds take part
// in Python's cycle collector, since observer callbacks usually refer back to
// the objects that own them.
//
// Observer exceptions cannot cross the C library: a callback's exception is
// kept, the transaction completes, and the first one is re-raised from the
// call that ran the observers (as codesync.hpp does).
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "codesync.h"

namespace nb = nanobind;

namespace {

// ---- Errors -------------------------------------------------------------------

// Exception classes by -code (1..7); index 0 is the base codesync.Error.
PyObject* g_errors[8] = {};

PyObject* ErrorClassFor(int code) {
  if (code < 0 && code >= CODESYNC_ERR_INTERNAL) return g_errors[-code];
  return g_errors[0];
}

[[noreturn]] void Raise(int code) {
  const char* message = codesync_last_error();
  if (message == nullptr || *message == '\0') message = codesync_strerror(code);
  PyErr_SetString(ErrorClassFor(code), message);
  throw nb::python_error();
}

[[noreturn]] void RaiseWith(int code, const char* message) {
  PyErr_SetString(ErrorClassFor(code), message);
  throw nb::python_error();
}

// A library buffer turned into a Python str/bytes, then freed.
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { codesync_buffer_free(&buf_); }
  codesync_buffer* out() { return &buf_; }
  nb::bytes Bytes() const { return nb::bytes(buf_.data, buf_.len); }
  nb::str Str() const { return nb::str(reinterpret_cast<const char*>(buf_.data), buf_.len); }

 private:
  codesync_buffer buf_ = {nullptr, 0};
};

// fn(args..., &out) into `out`, or raises the mapped error.
template <typename... Params, typename... Args>
void CallOut(Buffer& out, int (*fn)(Params...), Args... args) {
  int rc = fn(args..., out.out());
  if (rc != CODESYNC_OK) Raise(rc);
}

// The output buffer of fn(args..., &out) as a str (JSON, UTF-8 text).
template <typename... Params, typename... Args>
nb::str StrOut(int (*fn)(Params...), Args... args) {
  Buffer out;
  CallOut(out, fn, args...);
  return out.Str();
}

// The output buffer of fn(args..., &out) as bytes (updates, snapshots).
template <typename... Params, typename... Args>
nb::bytes BytesOut(int (*fn)(Params...), Args... args) {
  Buffer out;
  CallOut(out, fn, args...);
  return out.Bytes();
}

// Read-only view of any bytes-like object (bytes, bytearray, memoryview).
class BytesArg {
 public:
  explicit BytesArg(nb::handle h) {
    if (PyObject_GetBuffer(h.ptr(), &view_, PyBUF_SIMPLE) != 0) throw nb::python_error();
  }
  BytesArg(const BytesArg&) = delete;
  BytesArg& operator=(const BytesArg&) = delete;
  ~BytesArg() { PyBuffer_Release(&view_); }
  const uint8_t* data() const { return static_cast<const uint8_t*>(view_.buf); }
  size_t size() const { return static_cast<size_t>(view_.len); }

 private:
  Py_buffer view_;
};

// An optional bytes-like argument: NULL/0 for None (a snapshot meaning "now"
// or "empty" to the C API).
class OptBytesArg {
 public:
  explicit OptBytesArg(nb::handle h) {
    if (!h.is_none()) arg_.emplace(h);
  }
  const uint8_t* data() const { return arg_ ? arg_->data() : nullptr; }
  size_t size() const { return arg_ ? arg_->size() : 0; }

 private:
  std::optional<BytesArg> arg_;
};

// UTF-8 of a str without copying (CPython caches it in the object).
std::string_view Utf8(nb::handle s) {
  if (!PyUnicode_Check(s.ptr())) throw nb::type_error("expected a str");
  Py_ssize_t len = 0;
  const char* p = PyUnicode_AsUTF8AndSize(s.ptr(), &len);
  if (p == nullptr) throw nb::python_error();
  return std::string_view(p, static_cast<size_t>(len));
}

// Origins are str or None at this level; NULL for None.
struct OriginArg {
  explicit OriginArg(nb::handle h) {
    if (!h.is_none()) {
      if (!PyUnicode_Check(h.ptr())) throw nb::type_error("origin must be a str or None");
      value = Utf8(h);
      if (value->find('\0') != std::string::npos) throw nb::value_error("origin must not contain NUL");
    }
  }
  const char* get() const { return value ? value->c_str() : nullptr; }
  std::optional<std::string> value;
};

nb::object OriginObject(const char* origin) {
  return origin != nullptr ? nb::object(nb::str(origin)) : nb::none();
}

// A name or key for the C API, which takes NUL-terminated strings.
const char* CStr(const std::string& s) {
  if (s.find('\0') != std::string::npos) RaiseWith(CODESYNC_ERR_INVALID_ARGUMENT, "names and keys must not contain NUL");
  return s.c_str();
}

size_t Index(int64_t index) {
  if (index < 0) RaiseWith(CODESYNC_ERR_OUT_OF_RANGE, "index must not be negative");
  return static_cast<size_t>(index);
}

nb::object JsonLoads(const char* json, size_t len) {
  static PyObject* loads = nullptr;  // kept for the life of the process
  if (loads == nullptr) loads = nb::object(nb::module_::import_("json").attr("loads")).release().ptr();
  return nb::borrow(loads)(nb::str(json, len));
}

// ---- Observers --------------------------------------------------------------------

class Observers;

// One observer registration. A Slot outlives its unsubscription while a
// dispatch is running: the library may still call it from the copy of the
// observer list it is iterating (it is then skipped).
struct Slot {
  Observers* owner;
  nb::object fn;
  void* sub = nullptr;
  bool dead = false;
};

// The observers of one C object (a document or an awareness), and the first
// exception one of them raised during the current call.
class Observers {
 public:
  Observers() = default;
  Observers(const Observers&) = delete;
  Observers& operator=(const Observers&) = delete;
  virtual ~Observers() {
    if (back_ != nullptr) *back_ = nullptr;
  }

  // After every call that may have run observers: re-raise the first
  // observer exception, else map the status.
  void Check(int rc) {
    RaisePending();
    if (rc != CODESYNC_OK) Raise(rc);
  }

  void RaisePending() {
    if (pending_) {
      nb::python_error e = std::move(*pending_);
      pending_.reset();
      throw e;
    }
  }

  void Keep(nb::python_error&& e) {
    if (forward_ != nullptr) return forward_->Keep(std::move(e));
    if (!pending_) pending_.emplace(std::move(e));
  }

  // Exceptions kept by this object go to `to` instead (an undo manager's go
  // to its document's, since its callbacks run inside the document's calls).
  void ForwardTo(Observers* to) { forward_ = to; }

  // Registers `fn`; `subscribe` makes the C subscription for the new slot.
  template <typename Subscribe>
  uint64_t Observe(nb::object fn, Subscribe&& subscribe) {
    Sweep();
    auto slot = std::make_unique<Slot>(Slot{this, std::move(fn)});
    void* sub = subscribe(slot.get());
    if (sub == nullptr) Raise(codesync_last_error_code());
    slot->sub = sub;
    uint64_t id = next_id_++;
    slots_.emplace(id, std::move(slot));
    return id;
  }

  void Unobserve(uint64_t id) {
    auto it = slots_.find(id);
    if (it == slots_.end()) return;
    Kill(it->second.get());
    Sweep();
  }

  void ClearSlots() {
    for (auto& [id, s] : slots_) Kill(s.get());
    Sweep();
  }

  int TraverseSlots(visitproc visit, void* arg) {
    for (auto& [id, s] : slots_) Py_VISIT(s->fn.ptr());
    return 0;
  }

  // Observer callbacks run between Enter and Leave.
  void Enter() { ++dispatching_; }
  void Leave() { --dispatching_; }

  // `*back` is cleared when this object goes (a room's view of its wrappers).
  void SetBackPointer(Observers** back) { back_ = back; }

 protected:
  // Frees one C subscription of this object.
  virtual void FreeSubscription(void* sub) = 0;

 private:
  void Kill(Slot* slot) {
    if (slot->dead) return;
    slot->dead = true;
    FreeSubscription(slot->sub);
    slot->sub = nullptr;
    slot->fn = nb::object();  // drop the callable now
  }

  // Frees dead slots, unless a dispatch may still reach them.
  void Sweep() {
    if (dispatching_ > 0) return;
    for (auto it = slots_.begin(); it != slots_.end();) {
      it = it->second->dead ? slots_.erase(it) : std::next(it);
    }
  }

  std::unordered_map<uint64_t, std::unique_ptr<Slot>> slots_;
  uint64_t next_id_ = 1;
  int dispatching_ = 0;
  std::optional<nb::python_error> pending_;
  Observers** back_ = nullptr;
  Observers* forward_ = nullptr;
};

// Runs a Python callback from inside the C library: nothing may propagate.
template <typename Fn>
void Guarded(Slot* slot, Fn&& fn) noexcept {
  if (slot->dead) return;
  Observers* owner = slot->owner;
  owner->Enter();
  try {
    fn();
  } catch (nb::python_error& e) {
    owner->Keep(std::move(e));
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
    owner->Keep(nb::python_error());
  }
  owner->Leave();
}

// tp_traverse / tp_clear of the types that hold Python callbacks (documents,
// awareness, undo managers), so the collector can break cycles through them:
// T::Traverse visits what an instance holds, Clear drops it.
template <typename T>
int ObserversTraverse(PyObject* self, visitproc visit, void* arg) {
  Py_VISIT(Py_TYPE(self));
  if (!nb::inst_ready(self)) return 0;
  return nb::inst_ptr<T>(self)->Traverse(visit, arg);
}

template <typename T>
int ObserversClear(PyObject* self) {
  if (nb::inst_ready(self)) nb::inst_ptr<T>(self)->ClearSlots();
  return 0;
}

template <typename T, int (*Clear)(PyObject*) = ObserversClear<T>>
PyType_Slot* ObserversSlots() {
  static PyType_Slot slots[] = {{Py_tp_traverse, reinterpret_cast<void*>(ObserversTraverse<T>)},
                                {Py_tp_clear, reinterpret_cast<void*>(Clear)},
                                {0, nullptr}};
  return slots;
}

// The options of _Doc(...) and _Doc.from_snapshot(...).
codesync_doc_options DocOptions(uint64_t client_id, bool gc, int offset_kind) {
  codesync_doc_options opts;
  codesync_doc_options_init(&opts);
  opts.client_id = client_id;
  opts.gc = gc ? 1 : 0;
  opts.offset_kind = static_cast<codesync_offset_kind>(offset_kind);
  return opts;
}

// ---- Documents ------------------------------------------------------------------

class PyDoc : public Observers {
 public:
  PyDoc(uint64_t client_id, bool gc, int offset_kind) {
    codesync_doc_options opts = DocOptions(client_id, gc, offset_kind);
    doc_ = codesync_doc_new(&opts);
    if (doc_ == nullptr) Raise(codesync_last_error_code());
  }
  // Takes ownership of a document the library made (e.g. from a snapshot).
  explicit PyDoc(codesync_doc* owned) : doc_(owned) {}
  // A document borrowed from `owner` (a room), which outlives this object.
  PyDoc(codesync_doc* borrowed, nb::object owner) : doc_(borrowed), owner_(std::move(owner)) {}
  ~PyDoc() {
    ClearSlots();  // subscriptions go before the document
    if (!owner_.is_valid()) codesync_doc_free(doc_);
  }

  codesync_doc* get() { return doc_; }

  int Traverse(visitproc visit, void* arg) {
    Py_VISIT(owner_.ptr());
    return TraverseSlots(visit, arg);
  }

 protected:
  void FreeSubscription(void* sub) override { codesync_unobserve(static_cast<codesync_subscription*>(sub)); }

 private:
  codesync_doc* doc_ = nullptr;
  nb::object owner_;
};

void OnUpdate(const uint8_t* update, size_t len, const char* origin, void* user_data) {
  Slot* slot = static_cast<Slot*>(user_data);
  Guarded(slot, [&] { slot->fn(nb::bytes(update, len), OriginObject(origin)); });
}

// ---- Shared type handles --------------------------------------------------------

// A borrowed C handle plus a strong reference to the _Doc that owns it.
template <typename H>
struct Handle {
  Handle(nb::object owner, H* h) : owner(std::move(owner)), h(h) {}
  PyDoc* doc() const { return nb::inst_ptr<PyDoc>(owner); }
  uintptr_t key() const { return reinterpret_cast<uintptr_t>(h); }
  nb::object owner;
  H* h;
};

using PyText = Handle<codesync_text>;
using PyMap = Handle<codesync_map>;
using PyArray = Handle<codesync_array>;

template <typename T>
int HandleTraverse(PyObject* self, visitproc visit, void* arg) {
  Py_VISIT(Py_TYPE(self));
  if (!nb::inst_ready(self)) return 0;
  Py_VISIT(nb::inst_ptr<T>(self)->owner.ptr());
  return 0;
}

template <typename T>
int HandleClear(PyObject* self) {
  // The owner is kept: a handle without its document would dangle. Clearing
  // the document's callbacks is enough to break any cycle.
  return 0;
}

template <typename T>
PyType_Slot* HandleSlots() {
  static PyType_Slot slots[] = {{Py_tp_traverse, reinterpret_cast<void*>(HandleTraverse<T>)},
                                {Py_tp_clear, reinterpret_cast<void*>(HandleClear<T>)},
                                {0, nullptr}};
  return slots;
}

// For calls that return a handle: re-raises an observer's exception first
// (creating a nested type is an edit), then raises unless `p` is non-NULL.
template <typename P>
P* Need(PyDoc* d, P* p) {
  int code = p == nullptr ? codesync_last_error_code() : CODESYNC_OK;
  d->Check(code);
  return p;
}

nb::object Wrap(const nb::object& owner, codesync_text* t) { return nb::cast(PyText(owner, t)); }
nb::object Wrap(const nb::object& owner, codesync_map* m) { return nb::cast(PyMap(owner, m)); }
nb::object Wrap(const nb::object& owner, codesync_array* a) { return nb::cast(PyArray(owner, a)); }

// The value of a map entry or array element: a handle for nested types, else
// its JSON text. `typed` tries the three typed getters in turn.
template <typename Container, typename Key>
nb::object GetValue(const Handle<Container>& c, Key key,
                    codesync_map* (*get_map)(Container*, Key), codesync_array* (*get_array)(Container*, Key),
                    codesync_text* (*get_text)(Container*, Key),
                    int (*get_json)(Container*, Key, codesync_buffer*)) {
  if (codesync_map* m = get_map(c.h, key)) return Wrap(c.owner, m);
  int code = codesync_last_error_code();
  if (code != CODESYNC_ERR_TYPE_MISMATCH) Raise(code);
  if (codesync_array* a = get_array(c.h, key)) return Wrap(c.owner, a);
  if (codesync_text* t = get_text(c.h, key)) return Wrap(c.owner, t);
  Buffer out;
  int rc = get_json(c.h, key, out.out());
  if (rc != CODESYNC_OK) Raise(rc);
  return out.Str();
}

// relpos_from_{text,array}[_json](handle, index, assoc): fn's position as
// bytes (yjs's encoding) or JSON; an edit-free call, but checked through the
// document like every handle call.
template <typename H>
void RelposCall(Buffer& out, const Handle<H>& x, int64_t index, int assoc,
                int (*fn)(H*, size_t, int, codesync_buffer*)) {
  x.doc()->Check(fn(x.h, Index(index), assoc, out.out()));
}
template <typename H>
nb::bytes RelposBytes(const Handle<H>& x, int64_t index, int assoc, int (*fn)(H*, size_t, int, codesync_buffer*)) {
  Buffer out;
  RelposCall(out, x, index, assoc, fn);
  return out.Bytes();
}
template <typename H>
nb::str RelposStr(const Handle<H>& x, int64_t index, int assoc, int (*fn)(H*, size_t, int, codesync_buffer*)) {
  Buffer out;
  RelposCall(out, x, index, assoc, fn);
  return out.Str();
}

// ---- Text observers ---------------------------------------------------------------

nb::object DeltaList(const codesync_delta_op* ops, size_t count) {
  nb::list delta;
  for (size_t i = 0; i < count; ++i) {
    const codesync_delta_op& op = ops[i];
    nb::dict d;
    switch (op.kind) {
      case CODESYNC_DELTA_INSERT:
        if (op.embed_json != nullptr) {
          d["insert"] = JsonLoads(op.embed_json, std::strlen(op.embed_json));
        } else {
          d["insert"] = nb::str(op.text != nullptr ? op.text : "", op.text_len);
        }
        break;
      case CODESYNC_DELTA_RETAIN:
        d["retain"] = op.length;
        break;
      case CODESYNC_DELTA_DELETE:
        d["delete"] = op.length;
        break;
    }
    if (op.attributes_json != nullptr) d["attributes"] = JsonLoads(op.attributes_json, std::strlen(op.attributes_json));
    delta.append(d);
  }
  return delta;
}

void OnDelta(const codesync_delta_op* ops, size_t count, const char* origin, void* user_data) {
  Slot* slot = static_cast<Slot*>(user_data);
  Guarded(slot, [&] { slot->fn(DeltaList(ops, count), OriginObject(origin)); });
}

// ---- Awareness --------------------------------------------------------------------

class PyAwareness : public Observers {
 public:
  PyAwareness(uint64_t client_id, int64_t timeout_ms) {
    aw_ = codesync_awareness_new(client_id, timeout_ms);
    if (aw_ == nullptr) Raise(codesync_last_error_code());
  }
  // An awareness borrowed from `owner` (a room), which outlives this object.
  PyAwareness(codesync_awareness* borrowed, nb::object owner) : aw_(borrowed), owner_(std::move(owner)) {}
  ~PyAwareness() {
    ClearSlots();
    if (!owner_.is_valid()) codesync_awareness_free(aw_);
  }

  codesync_awareness* get() { return aw_; }

  int Traverse(visitproc visit, void* arg) {
    Py_VISIT(owner_.ptr());
    return TraverseSlots(visit, arg);
  }

  std::vector<uint64_t> Clients() {
    size_t count = 0;
    int rc = codesync_awareness_clients(aw_, nullptr, 0, &count);
    if (rc != CODESYNC_OK) Raise(rc);
    std::vector<uint64_t> clients(count);
    rc = codesync_awareness_clients(aw_, clients.data(), clients.size(), &count);
    if (rc != CODESYNC_OK) Raise(rc);
    clients.resize(count < clients.size() ? count : clients.size());
    return clients;
  }

 protected:
  void FreeSubscription(void* sub) override {
    codesync_awareness_unobserve(static_cast<codesync_awareness_subscription*>(sub));
  }

 private:
  codesync_awareness* aw_ = nullptr;
  nb::object owner_;
};

nb::list IdList(const uint64_t* ids, size_t count) {
  nb::list out;
  for (size_t i = 0; i < count; ++i) out.append(nb::int_(ids[i]));
  return out;
}

void OnAwareness(const codesync_awareness_change* change, const char* origin, void* user_data) {
  Slot* slot = static_cast<Slot*>(user_data);
  Guarded(slot, [&] {
    slot->fn(IdList(change->added, change->added_count), IdList(change->updated, change->updated_count),
             IdList(change->renewed, change->renewed_count), IdList(change->removed, change->removed_count),
             OriginObject(origin));
  });
}

// Optional list of client ids: NULL for None (meaning "all" to the C API).
struct ClientsArg {
  explicit ClientsArg(nb::handle h) {
    if (h.is_none()) return;
    all = false;
    for (nb::handle c : h) {
      uint64_t id = 0;
      if (!PyLong_Check(c.ptr()) || !nb::try_cast<uint64_t>(c, id, false)) {
        throw nb::type_error("client ids must be ints in [0, 2**64)");
      }
      ids.push_back(id);
    }
  }
  const uint64_t* data() const { return all ? nullptr : ids.data(); }
  size_t size() const { return ids.size(); }
  bool all = true;
  std::vector<uint64_t> ids;
};

// ---- Undo manager -----------------------------------------------------------------

// Owns a codesync_undo_manager and its subscriptions; holds the _Doc so the
// document outlives the manager (the C API wants the manager freed first).
class PyUndo : public Observers {
 public:
  PyUndo(nb::object doc, int64_t capture_timeout_ms, nb::object clock) : doc_(std::move(doc)), clock_(std::move(clock)) {
    codesync_undo_options opts;
    codesync_undo_options_init(&opts);
    opts.capture_timeout_ms = capture_timeout_ms;
    if (!clock_.is_none()) {
      opts.clock = &PyUndo::Clock;
      opts.clock_user_data = this;
    }
    um_ = codesync_undo_manager_new(d()->get(), &opts);
    if (um_ == nullptr) Raise(codesync_last_error_code());
    ForwardTo(d());
  }
  PyUndo(const PyUndo&) = delete;
  PyUndo& operator=(const PyUndo&) = delete;
  ~PyUndo() {
    ClearSlots();
    codesync_undo_manager_free(um_);
  }

  PyDoc* d() const { return nb::inst_ptr<PyDoc>(doc_); }
  codesync_undo_manager* get() { return um_; }

  // Observer exceptions (the document's, and this manager's events and
  // clock, which are forwarded there), then the status.
  void CheckAll(int rc) { d()->Check(rc); }

  int Traverse(visitproc visit, void* arg) {
    Py_VISIT(doc_.ptr());
    Py_VISIT(clock_.ptr());
    return TraverseSlots(visit, arg);
  }
  void DropClock() { clock_ = nb::none(); }

 protected:
  void FreeSubscription(void* sub) override {
    codesync_undo_manager_unobserve(static_cast<codesync_undo_subscription*>(sub));
  }

 private:
  static int64_t Clock(void* user_data) {
    auto* self = static_cast<PyUndo*>(user_data);
    if (self->clock_.is_none()) return 0;
    try {
      return nb::cast<int64_t>(self->clock_());
    } catch (nb::python_error& e) {
      self->Keep(std::move(e));
    } catch (const std::exception& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
      self->Keep(nb::python_error());
    }
    return 0;
  }

  nb::object doc_;
  nb::object clock_;
  codesync_undo_manager* um_ = nullptr;
};

void OnUndoEvent(codesync_undo_manager*, const codesync_undo_event* ev, void* user_data) {
  Slot* slot = static_cast<Slot*>(user_data);
  Guarded(slot, [&] {
    nb::object meta = ev->meta != nullptr ? nb::object(nb::bytes(ev->meta, ev->meta_len)) : nb::none();
    slot->fn(static_cast<int>(ev->kind), static_cast<int>(ev->stack), OriginObject(ev->origin), meta);
  });
}

// Also drops the clock callback.
int UndoClear(PyObject* self) {
  if (nb::inst_ready(self)) {
    nb::inst_ptr<PyUndo>(self)->ClearSlots();
    nb::inst_ptr<PyUndo>(self)->DropClock();
  }
  return 0;
}

// A relative position resolved: (index, state), state as codesync_relpos_state.
nb::object Resolved(int rc, size_t index, codesync_relpos_state state) {
  if (rc != CODESYNC_OK) Raise(rc);
  return nb::make_tuple(index, static_cast<int>(state));
}

// ---- Rooms ------------------------------------------------------------------------

class PyRoom {
 public:
  PyRoom(uint64_t client_id, bool gc, int offset_kind, int64_t awareness_timeout_ms) {
    codesync_room_options opts;
    codesync_room_options_init(&opts);
    opts.doc.client_id = client_id;
    opts.doc.gc = gc ? 1 : 0;
    opts.doc.offset_kind = static_cast<codesync_offset_kind>(offset_kind);
    if (awareness_timeout_ms > 0) opts.awareness_timeout_ms = awareness_timeout_ms;
    room_ = codesync_room_new(&opts);
    if (room_ == nullptr) Raise(codesync_last_error_code());
  }
  PyRoom(const PyRoom&) = delete;
  PyRoom& operator=(const PyRoom&) = delete;
  // The wrappers of the room's document and awareness hold a reference to
  // this object, so their subscriptions are gone by now.
  ~PyRoom() { codesync_room_free(room_); }

  codesync_room* get() { return room_; }

  PyDoc* NewDoc(nb::handle self) {
    auto* d = new PyDoc(codesync_room_doc(room_), nb::borrow(self));
    doc_ = d;
    d->SetBackPointer(&doc_);
    return d;
  }
  PyAwareness* NewAwareness(nb::handle self) {
    auto* a = new PyAwareness(codesync_room_awareness(room_), nb::borrow(self));
    aw_ = a;
    a->SetBackPointer(&aw_);
    return a;
  }

  // Observer exceptions of the document first, then the awareness's, then the status.
  void Check(int rc) {
    if (doc_ != nullptr) doc_->RaisePending();
    if (aw_ != nullptr) aw_->RaisePending();
    if (rc < 0) Raise(rc);
  }

 private:
  codesync_room* room_ = nullptr;
  Observers* doc_ = nullptr;
  Observers* aw_ = nullptr;
};

}  // namespace

NB_MODULE(_codesync, m) {
  m.doc() = "Low-level bindings over the codesync C API; use the codesync package instead.";

  // Errors: codesync.Error and one subclass per code, each also deriving from
  // the builtin exception a Python caller would expect.
  {
    PyObject* base = PyErr_NewExceptionWithDoc("codesync.Error", "A codesync call failed.", PyExc_Exception, nullptr);
    if (base == nullptr) throw nb::python_error();
    g_errors[0] = base;
    nb::setattr(base, "code", nb::none());
    m.attr("Error") = nb::handle(base);
    struct Spec {
      int code;
      const char* name;
      PyObject* builtin;
      const char* doc;
    };
    const Spec specs[] = {
        {CODESYNC_ERR_INVALID_ARGUMENT, "InvalidArgumentError", PyExc_ValueError, "An argument is invalid."},
        {CODESYNC_ERR_MALFORMED, "MalformedError", PyExc_ValueError, "Malformed input (update, JSON, UTF-8)."},
        {CODESYNC_ERR_OUT_OF_RANGE, "OutOfRangeError", PyExc_IndexError, "An index or key is out of range."},
        {CODESYNC_ERR_TYPE_MISMATCH, "TypeMismatchError", PyExc_TypeError, "A value is of another type."},
        {CODESYNC_ERR_NO_MEMORY, "NoMemoryError", PyExc_MemoryError, "The library ran out of memory."},
        {CODESYNC_ERR_BUSY, "BusyError", PyExc_RuntimeError,
         "The document is busy (edited from inside its own observer)."},
        {CODESYNC_ERR_INTERNAL, "InternalError", PyExc_RuntimeError, "An internal error in the library."},
    };
    for (const Spec& s : specs) {
      std::string qualified = std::string("codesync.") + s.name;
      nb::object bases = nb::make_tuple(nb::handle(base), nb::handle(s.builtin));
      PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), s.doc, bases.ptr(), nullptr);
      if (cls == nullptr) throw nb::python_error();
      g_errors[-s.code] = cls;
      nb::setattr(cls, "code", nb::int_(s.code));
      m.attr(s.name) = nb::handle(cls);
    }
  }

  m.def("version", [] { return std::string(codesync_version()); });
  m.attr("OFFSET_UTF16") = static_cast<int>(CODESYNC_OFFSET_UTF16);
  m.attr("OFFSET_UTF8") = static_cast<int>(CODESYNC_OFFSET_UTF8);
  m.attr("OFFSET_CODEPOINT") = static_cast<int>(CODESYNC_OFFSET_CODEPOINT);

  m.def("merge_updates", [](nb::sequence updates) {
    std::vector<std::unique_ptr<BytesArg>> views;
    std::vector<const uint8_t*> ptrs;
    std::vector<size_t> lens;
    for (nb::handle u : updates) {
      views.push_back(std::make_unique<BytesArg>(u));
      ptrs.push_back(views.back()->data());
      lens.push_back(views.back()->size());
    }
    return BytesOut(codesync_merge_updates, ptrs.data(), lens.data(), ptrs.size());
  });
  m.def("update_state_vector", [](nb::handle update) {
    BytesArg u(update);
    return BytesOut(codesync_update_state_vector, u.data(), u.size());
  });

  m.def("snapshot_contains_update", [](nb::handle snapshot, nb::handle update) {
    BytesArg s(snapshot), u(update);
    int contains = 0;
    int rc = codesync_snapshot_contains_update(s.data(), s.size(), u.data(), u.size(), &contains);
    if (rc != CODESYNC_OK) Raise(rc);
    return contains != 0;
  });
  m.def("container_info", [](nb::handle data) {
    BytesArg b(data);
    return StrOut(codesync_container_info, b.data(), b.size());
  });

  nb::class_<PyDoc>(m, "_Doc", nb::type_slots(ObserversSlots<PyDoc>()))
      .def(nb::init<uint64_t, bool, int>(), nb::arg("client_id"), nb::arg("gc"), nb::arg("offset_kind"))
      .def_prop_ro("client_id", [](PyDoc& d) { return codesync_doc_client_id(d.get()); })
      .def("text",
           [](nb::handle self, const std::string& name) {
             PyDoc* d = nb::inst_ptr<PyDoc>(self);
             return Wrap(nb::borrow(self), Need(d, codesync_doc_text(d->get(), CStr(name))));
           })
      .def("map",
           [](nb::handle self, const std::string& name) {
             PyDoc* d = nb::inst_ptr<PyDoc>(self);
             return Wrap(nb::borrow(self), Need(d, codesync_doc_map(d->get(), CStr(name))));
           })
      .def("array",
           [](nb::handle self, const std::string& name) {
             PyDoc* d = nb::inst_ptr<PyDoc>(self);
             return Wrap(nb::borrow(self), Need(d, codesync_doc_array(d->get(), CStr(name))));
           })
      .def("apply_update",
           [](PyDoc& d, nb::handle update, nb::handle origin) {
             BytesArg u(update);
             OriginArg o(origin);
             d.Check(codesync_doc_apply_update_with_origin(d.get(), u.data(), u.size(), o.get()));
           },
           nb::arg("update"), nb::arg("origin").none())
      .def("encode_update",
           [](PyDoc& d, nb::handle state_vector) {
             OptBytesArg sv(state_vector);  // None: everything
             return BytesOut(codesync_doc_encode_update, d.get(), sv.data(), sv.size());
           },
           nb::arg("state_vector").none())
      .def("state_vector",
           [](PyDoc& d) {
             return BytesOut(codesync_doc_state_vector, d.get());
           })
      .def("has_pending", [](PyDoc& d) { return codesync_doc_has_pending(d.get()) != 0; })
      .def("begin",
           [](PyDoc& d, nb::handle origin) {
             OriginArg o(origin);
             d.Check(codesync_doc_begin(d.get(), o.get()));
           },
           nb::arg("origin").none())
      .def("commit", [](PyDoc& d) { d.Check(codesync_doc_commit(d.get())); })
      .def("observe_updates",
           [](PyDoc& d, nb::object fn) {
             return d.Observe(std::move(fn),
                              [&](Slot* slot) { return codesync_doc_observe_updates(d.get(), OnUpdate, slot); });
           })
      .def("unobserve", &PyDoc::Unobserve)
      // ---- History and persistence ----
      .def("snapshot",
           [](PyDoc& d) {
             return BytesOut(codesync_doc_snapshot, d.get());
           })
      .def(
          "from_snapshot",
          [](PyDoc& d, nb::handle snapshot, uint64_t client_id, bool gc, int offset_kind) {
            BytesArg s(snapshot);
            codesync_doc_options opts = DocOptions(client_id, gc, offset_kind);
            codesync_doc* out = nullptr;
            int rc = codesync_doc_from_snapshot(d.get(), s.data(), s.size(), &opts, &out);
            if (rc != CODESYNC_OK) Raise(rc);
            return new PyDoc(out);
          },
          nb::arg("snapshot"), nb::arg("client_id"), nb::arg("gc"), nb::arg("offset_kind"),
          nb::rv_policy::take_ownership)
      .def(
          "restore_snapshot",
          [](PyDoc& d, nb::handle snapshot, nb::handle origin) {
            BytesArg s(snapshot);
            OriginArg o(origin);
            d.Check(codesync_doc_restore_snapshot(d.get(), s.data(), s.size(), o.get()));
          },
          nb::arg("snapshot"), nb::arg("origin").none())
      .def(
          "save_container",
          [](PyDoc& d, nb::handle guid, nb::handle metadata_json) {
            std::optional<std::string> g;
            if (!guid.is_none()) g = std::string(Utf8(guid));
            std::string_view meta;
            if (!metadata_json.is_none()) meta = Utf8(metadata_json);
            Buffer out;
            int rc = codesync_doc_save_container(d.get(), g ? CStr(*g) : nullptr,
                                                 metadata_json.is_none() ? nullptr : meta.data(), meta.size(),
                                                 out.out());
            if (rc != CODESYNC_OK) Raise(rc);
            return out.Bytes();
          },
          nb::arg("guid").none(), nb::arg("metadata_json").none())
      .def("load_container",
           [](PyDoc& d, nb::handle data) {
             BytesArg b(data);
             d.Check(codesync_doc_load_container(d.get(), b.data(), b.size()));
           })
      .def("to_json", [](PyDoc& d) {
        return StrOut(codesync_doc_to_json, d.get());
      });

  nb::class_<PyText>(m, "_Text", nb::type_slots(HandleSlots<PyText>()))
      .def_prop_ro("key", &PyText::key)
      .def("insert",
           [](PyText& t, int64_t index, nb::handle s) {
             std::string_view v = Utf8(s);
             t.doc()->Check(codesync_text_insert(t.h, Index(index), v.data(), v.size()));
           })
      .def("insert_with_attributes",
           [](PyText& t, int64_t index, nb::handle s, nb::handle attrs_json) {
             std::string_view v = Utf8(s), a = Utf8(attrs_json);
             t.doc()->Check(
                 codesync_text_insert_with_attributes(t.h, Index(index), v.data(), v.size(), a.data(), a.size()));
           })
      .def("insert_embed",
           [](PyText& t, int64_t index, nb::handle json) {
             std::string_view v = Utf8(json);
             t.doc()->Check(codesync_text_insert_embed(t.h, Index(index), v.data(), v.size()));
           })
      .def("delete",
           [](PyText& t, int64_t index, int64_t length) {
             t.doc()->Check(codesync_text_delete(t.h, Index(index), Index(length)));
           })
      .def("format",
           [](PyText& t, int64_t index, int64_t length, nb::handle attrs_json) {
             std::string_view a = Utf8(attrs_json);
             t.doc()->Check(codesync_text_format(t.h, Index(index), Index(length), a.data(), a.size()));
           })
      .def("__len__", [](PyText& t) { return codesync_text_length(t.h); })
      .def("__str__",
           [](PyText& t) {
             return StrOut(codesync_text_string, t.h);
           })
      .def("to_delta",
           [](PyText& t) {
             return StrOut(codesync_text_to_delta, t.h);
           })
      .def(
          "diff",
          [](PyText& t, nb::handle prev, nb::handle next) {
            OptBytesArg p(prev), n(next);
            return StrOut(codesync_text_diff, t.h, p.data(), p.size(), n.data(), n.size());
          },
          nb::arg("prev").none(), nb::arg("next").none())
      .def("authorship",
           [](PyText& t) {
             size_t count = 0;
             int rc = codesync_text_authorship(t.h, nullptr, 0, &count);
             if (rc != CODESYNC_OK) Raise(rc);
             std::vector<codesync_author_run> runs(count);
             rc = codesync_text_authorship(t.h, runs.data(), runs.size(), &count);
             if (rc != CODESYNC_OK) Raise(rc);
             nb::list out;
             for (size_t i = 0; i < count && i < runs.size(); ++i) {
               out.append(nb::make_tuple(runs[i].index, runs[i].length, runs[i].client));
             }
             return out;
           })
      .def("observe", [](PyText& t, nb::object fn) {
        return t.doc()->Observe(std::move(fn),
                                [&](Slot* slot) { return codesync_text_observe(t.h, OnDelta, slot); });
      });

  nb::class_<PyMap>(m, "_Map", nb::type_slots(HandleSlots<PyMap>()))
      .def_prop_ro("key", &PyMap::key)
      .def("set_json",
           [](PyMap& mp, const std::string& key, nb::handle json) {
             std::string_view v = Utf8(json);
             mp.doc()->Check(codesync_map_set_json(mp.h, CStr(key), v.data(), v.size()));
           })
      .def("set_text", [](PyMap& mp, const std::string& key) {
        return Wrap(mp.owner, Need(mp.doc(), codesync_map_set_text(mp.h, CStr(key))));
      })
      .def("set_map", [](PyMap& mp, const std::string& key) {
        return Wrap(mp.owner, Need(mp.doc(), codesync_map_set_map(mp.h, CStr(key))));
      })
      .def("set_array", [](PyMap& mp, const std::string& key) {
        return Wrap(mp.owner, Need(mp.doc(), codesync_map_set_array(mp.h, CStr(key))));
      })
      .def("delete", [](PyMap& mp, const std::string& key) { mp.doc()->Check(codesync_map_delete(mp.h, CStr(key))); })
      .def("get",
           [](PyMap& mp, const std::string& key) {
             return GetValue<codesync_map, const char*>(mp, CStr(key), codesync_map_get_map, codesync_map_get_array,
                                                        codesync_map_get_text, codesync_map_get_json);
           })
      .def(
          "diff",
          [](PyMap& mp, nb::handle prev, nb::handle next) {
            OptBytesArg p(prev), n(next);
            return StrOut(codesync_map_diff, mp.h, p.data(), p.size(), n.data(), n.size());
          },
          nb::arg("prev").none(), nb::arg("next").none())
      .def("__len__", [](PyMap& mp) { return codesync_map_size(mp.h); })
      .def("to_json", [](PyMap& mp) {
        return StrOut(codesync_map_to_json, mp.h);
      });

  nb::class_<PyArray>(m, "_Array", nb::type_slots(HandleSlots<PyArray>()))
      .def_prop_ro("key", &PyArray::key)
      .def("insert_json",
           [](PyArray& a, int64_t index, nb::handle json) {
             std::string_view v = Utf8(json);
             a.doc()->Check(codesync_array_insert_json(a.h, Index(index), v.data(), v.size()));
           })
      .def("insert_text",
           [](PyArray& a, int64_t index) { return Wrap(a.owner, Need(a.doc(), codesync_array_insert_text(a.h, Index(index)))); })
      .def("insert_map",
           [](PyArray& a, int64_t index) { return Wrap(a.owner, Need(a.doc(), codesync_array_insert_map(a.h, Index(index)))); })
      .def("insert_array",
           [](PyArray& a, int64_t index) { return Wrap(a.owner, Need(a.doc(), codesync_array_insert_array(a.h, Index(index)))); })
      .def("delete",
           [](PyArray& a, int64_t index, int64_t length) {
             a.doc()->Check(codesync_array_delete(a.h, Index(index), Index(length)));
           })
      .def("get",
           [](PyArray& a, int64_t index) {
             return GetValue<codesync_array, size_t>(a, Index(index), codesync_array_get_map, codesync_array_get_array,
                                                     codesync_array_get_text, codesync_array_get_json);
           })
      .def("__len__", [](PyArray& a) { return codesync_array_length(a.h); })
      .def("to_json", [](PyArray& a) {
        return StrOut(codesync_array_to_json, a.h);
      });

  // ---- Awareness ----
  nb::class_<PyAwareness>(m, "_Awareness", nb::type_slots(ObserversSlots<PyAwareness>()))
      .def(nb::init<uint64_t, int64_t>(), nb::arg("client_id"), nb::arg("timeout_ms"))
      .def_prop_ro("client_id", [](PyAwareness& a) { return codesync_awareness_client_id(a.get()); })
      .def("set_local_state",
           [](PyAwareness& a, nb::handle json, int64_t now) {
             if (json.is_none()) {
               a.Check(codesync_awareness_set_local_state(a.get(), nullptr, 0, now));
             } else {
               std::string_view v = Utf8(json);
               a.Check(codesync_awareness_set_local_state(a.get(), v.data(), v.size(), now));
             }
           },
           nb::arg("json").none(), nb::arg("now"))
      .def("local_state",
           [](PyAwareness& a) {
             return StrOut(codesync_awareness_local_state, a.get());
           })
      .def("state",
           [](PyAwareness& a, uint64_t client) -> nb::object {
             Buffer out;
             int rc = codesync_awareness_state(a.get(), client, out.out());
             if (rc == CODESYNC_ERR_OUT_OF_RANGE) return nb::none();
             if (rc != CODESYNC_OK) Raise(rc);
             return out.Str();
           })
      .def("clock",
           [](PyAwareness& a, uint64_t client) -> nb::object {
             uint64_t clock = 0;
             int rc = codesync_awareness_clock(a.get(), client, &clock);
             if (rc == CODESYNC_ERR_OUT_OF_RANGE) return nb::none();
             if (rc != CODESYNC_OK) Raise(rc);
             return nb::int_(clock);
           })
      .def("__len__", [](PyAwareness& a) { return codesync_awareness_count(a.get()); })
      .def("clients", &PyAwareness::Clients)
      .def("states_json",
           [](PyAwareness& a) {
             return StrOut(codesync_awareness_states_json, a.get());
           })
      .def("apply_update",
           [](PyAwareness& a, nb::handle update, int64_t now, nb::handle origin) {
             BytesArg u(update);
             OriginArg o(origin);
             a.Check(codesync_awareness_apply_update(a.get(), u.data(), u.size(), now, o.get()));
           },
           nb::arg("update"), nb::arg("now"), nb::arg("origin").none())
      .def("encode_update",
           [](PyAwareness& a, nb::handle clients) {
             ClientsArg c(clients);
             return BytesOut(codesync_awareness_encode_update, a.get(), c.data(), c.size());
           },
           nb::arg("clients").none())
      .def("remove_states",
           [](PyAwareness& a, nb::handle clients, int64_t now, nb::handle origin) {
             ClientsArg c(clients);
             OriginArg o(origin);
             a.Check(codesync_awareness_remove_states(a.get(), c.ids.data(), c.ids.size(), now, o.get()));
           },
           nb::arg("clients"), nb::arg("now"), nb::arg("origin").none())
      .def("tick", [](PyAwareness& a, int64_t now) { a.Check(codesync_awareness_tick(a.get(), now)); })
      .def("observe",
           [](PyAwareness& a, nb::object fn) {
             return a.Observe(std::move(fn),
                              [&](Slot* slot) { return codesync_awareness_observe(a.get(), OnAwareness, slot); });
           })
      .def("unobserve", &PyAwareness::Unobserve);

  // ---- Sync messages ----
  m.attr("MESSAGE_SYNC_STEP1") = static_cast<int>(CODESYNC_MESSAGE_SYNC_STEP1);
  m.attr("MESSAGE_SYNC_STEP2") = static_cast<int>(CODESYNC_MESSAGE_SYNC_STEP2);
  m.attr("MESSAGE_SYNC_UPDATE") = static_cast<int>(CODESYNC_MESSAGE_SYNC_UPDATE);
  m.attr("MESSAGE_AWARENESS") = static_cast<int>(CODESYNC_MESSAGE_AWARENESS);
  m.attr("MESSAGE_PERMISSION_DENIED") = static_cast<int>(CODESYNC_MESSAGE_PERMISSION_DENIED);
  m.attr("MESSAGE_QUERY_AWARENESS") = static_cast<int>(CODESYNC_MESSAGE_QUERY_AWARENESS);

  m.def("sync_decode", [](nb::handle frame) {
    BytesArg f(frame);
    codesync_message_kind kind;
    const uint8_t* payload = nullptr;
    size_t payload_len = 0;
    int rc = codesync_sync_decode(f.data(), f.size(), &kind, &payload, &payload_len);
    if (rc != CODESYNC_OK) Raise(rc);
    return nb::make_tuple(static_cast<int>(kind), nb::bytes(payload, payload_len));
  });
  m.def("sync_encode_step1", [](PyDoc& d) {
    return BytesOut(codesync_sync_encode_step1, d.get());
  });
  m.def(
      "sync_encode_step2",
      [](PyDoc& d, nb::handle state_vector) {
        OptBytesArg sv(state_vector);  // None: everything
        return BytesOut(codesync_sync_encode_step2, d.get(), sv.data(), sv.size());
      },
      nb::arg("doc"), nb::arg("state_vector").none());
  m.def("sync_encode_update", [](nb::handle update) {
    BytesArg u(update);
    return BytesOut(codesync_sync_encode_update, u.data(), u.size());
  });
  m.def(
      "sync_encode_awareness",
      [](PyAwareness& a, nb::handle clients) {
        ClientsArg c(clients);
        return BytesOut(codesync_sync_encode_awareness, a.get(), c.data(), c.size());
      },
      nb::arg("awareness"), nb::arg("clients").none());
  m.def("sync_encode_permission_denied", [](const std::string& reason) {
    return BytesOut(codesync_sync_encode_permission_denied, CStr(reason));
  });
  m.def("sync_encode_query_awareness", [] {
    Buffer out;
    int rc = codesync_sync_encode_query_awareness(out.out());
    if (rc != CODESYNC_OK) Raise(rc);
    return out.Bytes();
  });
  m.def(
      "sync_receive",
      [](PyDoc& d, PyAwareness* a, nb::handle frame, int64_t now, nb::handle origin) {
        BytesArg f(frame);
        OriginArg o(origin);
        codesync_message_kind kind = CODESYNC_MESSAGE_SYNC_STEP1;
        Buffer reply;
        int rc = codesync_sync_receive(d.get(), a != nullptr ? a->get() : nullptr, f.data(), f.size(), now, o.get(),
                                       &kind, reply.out());
        d.RaisePending();
        if (a != nullptr) a->RaisePending();
        if (rc != CODESYNC_OK) Raise(rc);
        nb::object r = reply.Bytes();
        return nb::make_tuple(static_cast<int>(kind), r);
      },
      nb::arg("doc"), nb::arg("awareness").none(), nb::arg("frame"), nb::arg("now"), nb::arg("origin").none());

  // ---- Relative positions ----
  m.attr("RELPOS_FOUND") = static_cast<int>(CODESYNC_RELPOS_FOUND);
  m.attr("RELPOS_TYPE_DELETED") = static_cast<int>(CODESYNC_RELPOS_TYPE_DELETED);
  m.attr("RELPOS_NOT_FOUND") = static_cast<int>(CODESYNC_RELPOS_NOT_FOUND);
  m.def("relpos_to_json", [](nb::handle rel) {
    BytesArg r(rel);
    return StrOut(codesync_relpos_to_json, r.data(), r.size());
  });
  m.def("relpos_from_json", [](nb::handle json) {
    std::string_view j = Utf8(json);
    return BytesOut(codesync_relpos_from_json, j.data(), j.size());
  });
  m.def("relpos_from_text", [](PyText& t, int64_t index, int assoc) {
    return RelposBytes(t, index, assoc, codesync_relpos_from_text);
  });
  m.def("relpos_from_array", [](PyArray& a, int64_t index, int assoc) {
    return RelposBytes(a, index, assoc, codesync_relpos_from_array);
  });
  m.def("relpos_from_text_json", [](PyText& t, int64_t index, int assoc) {
    return RelposStr(t, index, assoc, codesync_relpos_from_text_json);
  });
  m.def("relpos_from_array_json", [](PyArray& a, int64_t index, int assoc) {
    return RelposStr(a, index, assoc, codesync_relpos_from_array_json);
  });
  m.def("relpos_to_index", [](PyDoc& d, nb::handle rel) {
    BytesArg r(rel);
    size_t index = 0;
    codesync_relpos_state state = CODESYNC_RELPOS_FOUND;
    int rc = codesync_relpos_to_index(d.get(), r.data(), r.size(), &index, &state);
    d.RaisePending();
    return Resolved(rc, index, state);
  });
  m.def("relpos_to_text_index", [](PyText& t, nb::handle rel) {
    BytesArg r(rel);
    size_t index = 0;
    codesync_relpos_state state = CODESYNC_RELPOS_FOUND;
    int rc = codesync_relpos_to_text_index(t.h, r.data(), r.size(), &index, &state);
    t.doc()->RaisePending();
    return Resolved(rc, index, state);
  });

  // ---- Undo manager ----
  m.attr("UNDO_ITEM_ADDED") = static_cast<int>(CODESYNC_UNDO_ITEM_ADDED);
  m.attr("UNDO_ITEM_UPDATED") = static_cast<int>(CODESYNC_UNDO_ITEM_UPDATED);
  m.attr("UNDO_ITEM_POPPED") = static_cast<int>(CODESYNC_UNDO_ITEM_POPPED);
  m.attr("UNDO_STACK_UNDO") = static_cast<int>(CODESYNC_UNDO_STACK_UNDO);
  m.attr("UNDO_STACK_REDO") = static_cast<int>(CODESYNC_UNDO_STACK_REDO);
  nb::class_<PyUndo>(m, "_UndoManager", nb::type_slots(ObserversSlots<PyUndo, UndoClear>()))
      .def("__init__",
           [](PyUndo* self, nb::handle doc, int64_t capture_timeout_ms, nb::handle clock) {
             if (!nb::isinstance<PyDoc>(doc)) throw nb::type_error("expected a _Doc");
             new (self) PyUndo(nb::borrow(doc), capture_timeout_ms, nb::borrow(clock));
           },
           nb::arg("doc"), nb::arg("capture_timeout_ms"), nb::arg("clock").none())
      .def("add_text",
           [](PyUndo& u, PyText& t) { u.CheckAll(codesync_undo_manager_add_text(u.get(), t.h)); })
      .def("add_map", [](PyUndo& u, PyMap& mp) { u.CheckAll(codesync_undo_manager_add_map(u.get(), mp.h)); })
      .def("add_array",
           [](PyUndo& u, PyArray& a) { u.CheckAll(codesync_undo_manager_add_array(u.get(), a.h)); })
      .def("add_tracked_origin",
           [](PyUndo& u, nb::handle origin) {
             OriginArg o(origin);
             u.CheckAll(codesync_undo_manager_add_tracked_origin(u.get(), o.get()));
           },
           nb::arg("origin").none())
      .def("remove_tracked_origin",
           [](PyUndo& u, nb::handle origin) {
             OriginArg o(origin);
             u.CheckAll(codesync_undo_manager_remove_tracked_origin(u.get(), o.get()));
           },
           nb::arg("origin").none())
      .def("undo",
           [](PyUndo& u) {
             int changed = 0;
             u.CheckAll(codesync_undo_manager_undo(u.get(), &changed));
             return changed != 0;
           })
      .def("redo",
           [](PyUndo& u) {
             int changed = 0;
             u.CheckAll(codesync_undo_manager_redo(u.get(), &changed));
             return changed != 0;
           })
      .def("can_undo", [](PyUndo& u) { return codesync_undo_manager_can_undo(u.get()) != 0; })
      .def("can_redo", [](PyUndo& u) { return codesync_undo_manager_can_redo(u.get()) != 0; })
      .def("undo_depth", [](PyUndo& u) { return codesync_undo_manager_undo_depth(u.get()); })
      .def("redo_depth", [](PyUndo& u) { return codesync_undo_manager_redo_depth(u.get()); })
      .def("stop_capturing", [](PyUndo& u) { u.CheckAll(codesync_undo_manager_stop_capturing(u.get())); })
      .def("clear", [](PyUndo& u) { u.CheckAll(codesync_undo_manager_clear(u.get())); })
      .def("set_time", [](PyUndo& u, int64_t now) { u.CheckAll(codesync_undo_manager_set_time(u.get(), now)); })
      .def("set_meta",
           [](PyUndo& u, int stack, nb::handle meta) {
             BytesArg b(meta);
             u.CheckAll(codesync_undo_manager_set_meta(u.get(), static_cast<codesync_undo_stack>(stack), b.data(),
                                                       b.size()));
           })
      .def("get_meta",
           [](PyUndo& u, int stack) {
             Buffer out;
             u.CheckAll(codesync_undo_manager_get_meta(u.get(), static_cast<codesync_undo_stack>(stack), out.out()));
             return out.Bytes();
           })
      .def("observe",
           [](PyUndo& u, nb::object fn) {
             return u.Observe(std::move(fn),
                              [&](Slot* slot) { return codesync_undo_manager_observe(u.get(), OnUndoEvent, slot); });
           })
      .def("unobserve", &PyUndo::Unobserve);

  // ---- Rooms ----
  nb::class_<PyRoom>(m, "_Room")
      .def(nb::init<uint64_t, bool, int, int64_t>(), nb::arg("client_id"), nb::arg("gc"), nb::arg("offset_kind"),
           nb::arg("awareness_timeout_ms"))
      .def("doc", [](nb::handle self) { return nb::inst_ptr<PyRoom>(self)->NewDoc(self); },
           nb::rv_policy::take_ownership)
      .def("awareness", [](nb::handle self) { return nb::inst_ptr<PyRoom>(self)->NewAwareness(self); },
           nb::rv_policy::take_ownership)
      .def("attach",
           [](PyRoom& r, uint64_t conn, bool read_only, int64_t now) {
             r.Check(codesync_room_attach(r.get(), conn, read_only ? 1 : 0, now));
           })
      .def("detach", [](PyRoom& r, uint64_t conn, int64_t now) { r.Check(codesync_room_detach(r.get(), conn, now)); })
      .def("set_read_only",
           [](PyRoom& r, uint64_t conn, bool read_only) {
             r.Check(codesync_room_set_read_only(r.get(), conn, read_only ? 1 : 0));
           })
      .def("receive",
           [](PyRoom& r, uint64_t conn, nb::handle frame, int64_t now) {
             BytesArg f(frame);
             r.Check(codesync_room_receive(r.get(), conn, f.data(), f.size(), now));
           })
      .def("tick", [](PyRoom& r, int64_t now) { r.Check(codesync_room_tick(r.get(), now)); })
      .def("next_message",
           [](PyRoom& r) -> nb::object {
             uint64_t conn = 0;
             Buffer frame;
             int rc = codesync_room_next_message(r.get(), &conn, frame.out());
             if (rc < 0) Raise(rc);
             if (rc == 0) return nb::none();
             return nb::make_tuple(nb::int_(conn), frame.Bytes());
           })
      .def("pending_messages", [](PyRoom& r) { return codesync_room_pending_messages(r.get()); })
      .def("connection_count", [](PyRoom& r) { return codesync_room_connection_count(r.get()); });
}
