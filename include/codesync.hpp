// codesync.hpp — header-only C++17 RAII wrapper over the C API in codesync.h.
//
// It uses the C API only, so it works with the shared library as shipped and
// adds no ABI of its own.
//
//  - Failures throw codesync::Error, which carries the C error code and the
//    message of codesync_last_error() at the time of the failure.
//  - Strings go in as std::string_view (copied when the C API needs a NUL)
//    and come out as std::string; bytes come out as std::vector<uint8_t>.
//  - Doc owns a document. Text, Map and Array are borrowed handles: cheap to
//    copy, valid while their Doc lives (the same rule as the C pointers).
//  - Observers are any callables. Subscription owns the registration and
//    the callable; it is move-only and must be destroyed before its Doc.
//    An exception thrown by an observer cannot cross the C library: it is
//    caught, the transaction completes, and the first such exception is
//    rethrown from the wrapper call on that Doc that ran the observer.
//
// Threading is that of the C API: one Doc, and everything borrowed from it,
// on one thread at a time.
#ifndef CODESYNC_HPP_
#define CODESYNC_HPP_

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codesync.h"

namespace codesync {

// A failed C call: code() is one of the CODESYNC_ERR_* values.
class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

// Non-owning view of bytes, like std::string_view for uint8_t. Converts
// implicitly from std::vector<uint8_t> so either can be passed.
class ByteView {
 public:
  constexpr ByteView() noexcept = default;
  constexpr ByteView(const uint8_t* data, size_t size) noexcept : data_(data), size_(size) {}
  ByteView(const std::vector<uint8_t>& bytes) noexcept  // NOLINT: implicit by design
      : data_(bytes.data()), size_(bytes.size()) {}

  constexpr const uint8_t* data() const noexcept { return data_; }
  constexpr size_t size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }
  constexpr const uint8_t* begin() const noexcept { return data_; }
  constexpr const uint8_t* end() const noexcept { return data_ + size_; }
  std::vector<uint8_t> ToVector() const { return std::vector<uint8_t>(begin(), end()); }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// One operation of a text change, as delivered to a text observer. The views
// point into library memory and are valid only during the callback.
struct DeltaOp {
  codesync_delta_kind kind;
  size_t length;                                    // in the document's offset unit
  std::string_view text;                            // INSERT of text (UTF-8); empty otherwise
  std::optional<std::string_view> embed_json;       // INSERT of an embed
  std::optional<std::string_view> attributes_json;  // formatting, when any
};

struct DocOptions {
  uint64_t client_id = 0;  // 0 = random
  bool gc = true;          // collect deleted content
  codesync_offset_kind offset_kind = CODESYNC_OFFSET_UTF16;
};

namespace detail {

// Per-document state shared with the observers' trampolines: the exception
// an observer threw, waiting to be rethrown from the wrapper call.
struct DocState {
  std::exception_ptr pending;
};

[[noreturn]] inline void Throw(int code) {
  const char* message = codesync_last_error();
  throw Error(code, message != nullptr && *message != '\0' ? message : codesync_strerror(code));
}

// Rethrows an observer's exception first: it happened inside this call.
inline void Check(int rc, DocState* state) {
  if (state != nullptr && state->pending) {
    std::exception_ptr e = std::exchange(state->pending, nullptr);
    std::rethrow_exception(e);
  }
  if (rc != CODESYNC_OK) Throw(rc);
}

// For C calls that return NULL instead of a code: `code` is the one the C
// header documents for that call.
template <typename T>
T* CheckPtr(T* p, int code, DocState* state) {
  Check(CODESYNC_OK, state);
  if (p == nullptr) Throw(code);
  return p;
}

// Moves a library buffer into a std::string / byte vector and frees it.
inline std::string TakeString(codesync_buffer& buf) {
  std::string s(reinterpret_cast<const char*>(buf.data), buf.len);
  codesync_buffer_free(&buf);
  return s;
}
inline std::vector<uint8_t> TakeBytes(codesync_buffer& buf) {
  std::vector<uint8_t> v(buf.data, buf.data + buf.len);
  codesync_buffer_free(&buf);
  return v;
}

inline std::string_view Origin(const char* origin) {
  return origin != nullptr ? std::string_view(origin) : std::string_view();
}

// An origin for the C API: NUL-terminated, and NULL when empty.
class OriginArg {
 public:
  explicit OriginArg(std::string_view origin) : origin_(origin) {}
  const char* get() const { return origin_.empty() ? nullptr : origin_.c_str(); }

 private:
  std::string origin_;
};

struct CallbackBase {
  explicit CallbackBase(DocState* s) : state(s) {}
  virtual ~CallbackBase() = default;
  // Called from a C callback: nothing may propagate.
  template <typename Fn>
  void Guard(Fn&& fn) noexcept {
    try {
      fn();
    } catch (...) {
      if (!state->pending) state->pending = std::current_exception();
    }
  }
  DocState* state;
};

template <typename F>
struct UpdateCallback final : CallbackBase {
  UpdateCallback(DocState* s, F f) : CallbackBase(s), fn(std::move(f)) {}
  static void Invoke(const uint8_t* update, size_t len, const char* origin, void* user_data) {
    auto* self = static_cast<UpdateCallback*>(user_data);
    self->Guard([&] { self->fn(ByteView(update, len), Origin(origin)); });
  }
  F fn;
};

template <typename F>
struct TextCallback final : CallbackBase {
  TextCallback(DocState* s, F f) : CallbackBase(s), fn(std::move(f)) {}
  static void Invoke(const codesync_delta_op* ops, size_t count, const char* origin, void* user_data) {
    auto* self = static_cast<TextCallback*>(user_data);
    self->Guard([&] {
      std::vector<DeltaOp> delta;
      delta.reserve(count);
      for (size_t i = 0; i < count; ++i) {
        const codesync_delta_op& op = ops[i];
        DeltaOp d{op.kind, op.length, std::string_view(), std::nullopt, std::nullopt};
        if (op.text != nullptr) d.text = std::string_view(op.text, op.text_len);
        if (op.embed_json != nullptr) d.embed_json = std::string_view(op.embed_json);
        if (op.attributes_json != nullptr) d.attributes_json = std::string_view(op.attributes_json);
        delta.push_back(d);
      }
      self->fn(static_cast<const std::vector<DeltaOp>&>(delta), Origin(origin));
    });
  }
  F fn;
};

}  // namespace detail

// An observer registration. Destroying (or Reset) unregisters it; must
// happen before the Doc is destroyed.
class [[nodiscard]] Subscription {
 public:
  Subscription() noexcept = default;
  Subscription(codesync_subscription* sub, std::unique_ptr<detail::CallbackBase> callback) noexcept
      : sub_(sub), callback_(std::move(callback)) {}
  Subscription(Subscription&& other) noexcept
      : sub_(std::exchange(other.sub_, nullptr)), callback_(std::move(other.callback_)) {}
  Subscription& operator=(Subscription&& other) noexcept {
    if (this != &other) {
      Reset();
      sub_ = std::exchange(other.sub_, nullptr);
      callback_ = std::move(other.callback_);
    }
    return *this;
  }
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription() { Reset(); }

  // Unregisters first, then frees the callable the library pointed to.
  void Reset() noexcept {
    codesync_unobserve(std::exchange(sub_, nullptr));
    callback_.reset();
  }
  explicit operator bool() const noexcept { return sub_ != nullptr; }

 private:
  codesync_subscription* sub_ = nullptr;
  std::unique_ptr<detail::CallbackBase> callback_;
};

class Text;
class Map;
class Array;

// Indices and lengths are in the document's offset unit (DocOptions).
class Text {
 public:
  Text(codesync_text* raw, detail::DocState* state) noexcept : raw_(raw), state_(state) {}

  void Insert(size_t index, std::string_view utf8) {
    Check(codesync_text_insert(raw_, index, utf8.data(), utf8.size()));
  }
  // attributes_json: a JSON object such as {"bold":true}.
  void Insert(size_t index, std::string_view utf8, std::string_view attributes_json) {
    Check(codesync_text_insert_with_attributes(raw_, index, utf8.data(), utf8.size(), attributes_json.data(),
                                               attributes_json.size()));
  }
  void InsertEmbed(size_t index, std::string_view json) {
    Check(codesync_text_insert_embed(raw_, index, json.data(), json.size()));
  }
  void Delete(size_t index, size_t length) { Check(codesync_text_delete(raw_, index, length)); }
  void Format(size_t index, size_t length, std::string_view attributes_json) {
    Check(codesync_text_format(raw_, index, length, attributes_json.data(), attributes_json.size()));
  }
  size_t Length() const { return codesync_text_length(raw_); }
  std::string ToString() const {
    codesync_buffer buf{nullptr, 0};
    Check(codesync_text_string(raw_, &buf));
    return detail::TakeString(buf);
  }
  // The content as a Yjs-style delta in JSON.
  std::string ToDelta() const {
    codesync_buffer buf{nullptr, 0};
    Check(codesync_text_to_delta(raw_, &buf));
    return detail::TakeString(buf);
  }
  // History: the JSON diff between two encoded snapshots (nullopt prev = the
  // empty document, nullopt next = now), and who inserted the visible text.
  std::string Diff(std::optional<ByteView> prev, std::optional<ByteView> next = std::nullopt) const {
    codesync_buffer buf{nullptr, 0};
    Check(codesync_text_diff(raw_, prev ? prev->data() : nullptr, prev ? prev->size() : 0,
                             next ? next->data() : nullptr, next ? next->size() : 0, &buf));
    return detail::TakeString(buf);
  }
  std::vector<codesync_author_run> Authorship() const {
    size_t count = 0;
    Check(codesync_text_authorship(raw_, nullptr, 0, &count));
    std::vector<codesync_author_run> runs(count);
    Check(codesync_text_authorship(raw_, runs.data(), runs.size(), &count));
    runs.resize(count < runs.size() ? count : runs.size());
    return runs;
  }

  // fn(const std::vector<DeltaOp>& delta, std::string_view origin) after
  // each transaction that changed this text; origin is empty when it had none.
  template <typename F>
  Subscription Observe(F fn) {
    auto cb = std::make_unique<detail::TextCallback<F>>(state_, std::move(fn));
    codesync_subscription* sub = codesync_text_observe(raw_, &detail::TextCallback<F>::Invoke, cb.get());
    detail::CheckPtr(sub, CODESYNC_ERR_INVALID_ARGUMENT, state_);
    return Subscription(sub, std::move(cb));
  }

  codesync_text* raw() const noexcept { return raw_; }

 private:
  void Check(int rc) const { detail::Check(rc, state_); }
  codesync_text* raw_;
  detail::DocState* state_;
};

// Values go in and come out as JSON text.
class Map {
 public:
  Map(codesync_map* raw, detail::DocState* state) noexcept : raw_(raw), state_(state) {}

  void SetJson(std::string_view key, std::string_view json) {
    Check(codesync_map_set_json(raw_, std::string(key).c_str(), json.data(), json.size()));
  }
  void Delete(std::string_view key) { Check(codesync_map_delete(raw_, std::string(key).c_str())); }
  // std::nullopt when the key is absent.
  std::optional<std::string> GetJson(std::string_view key) const {
    codesync_buffer buf{nullptr, 0};
    int rc = codesync_map_get_json(raw_, std::string(key).c_str(), &buf);
    if (rc == CODESYNC_ERR_OUT_OF_RANGE) {
      Check(CODESYNC_OK);
      return std::nullopt;
    }
    Check(rc);
    return detail::TakeString(buf);
  }
  size_t Size() const { return codesync_map_size(raw_); }
  std::string ToJson() const {
    codesync_buffer buf{nullptr, 0};
    Check(codesync_map_to_json(raw_, &buf));
    return detail::TakeString(buf);
  }
  // The keys changed between two encoded snapshots, as JSON (see Text::Diff).
  std::string Diff(std::optional<ByteView> prev, std::optional<ByteView> next = std::nullopt) const {
    codesync_buffer buf{nullptr, 0};
    Check(codesync_map_diff(raw_, prev ? prev->data() : nullptr, prev ? prev->size() : 0,
                            next ? next->data() : nullptr, next ? next->size() : 0, &buf));
    return detail::TakeString(buf);
  }

  // Nested types: Set* stores a new empty type under key; Get* returns the
  // type under key, or std::nullopt when absent or of another kind.
  inline Text SetText(std::string_view key);
  inline Map SetMap(std::string_view key);
  inline Array SetArray(std::string_view key);
  inline std::optional<Text> GetText(std::string_view key) const;
  inline std::optional<Map> GetMap(std::string_view key) const;
  inline std::optional<Array> GetArray(std::string_view key) const;

  codesync_map* raw() const noexcept { return raw_; }

 private:
  void Check(int rc) const { detail::Check(rc, state_); }
  codesync_map* raw_;
  detail::DocState* state_;
};

// Elements go in and come out as JSON text.
class Array {
 public:
  Array(codesync_array* raw, detail::DocState* state) noexcept : raw_(raw), state_(state) {}

  // json_array: a JSON array whose elements are inserted at index.
  void InsertJson(size_t index, std::string_view json_array) {
    Check(codesync_array_insert_json(raw_, index, json_array.data(), json_array.size()));
  }
  void Delete(size_t index, size_t length) { Check(codesync_array_delete(raw_, index, length)); }
  size_t Length() const { return codesync_array_length(raw_); }
  std::string GetJson(size_t index) const {
    codesync_buffer buf{nullptr, 0};
    Check(codesync_array_get_json(raw_, index, &buf));
    return detail::TakeString(buf);
  }
  std::string ToJson() const {
    codesync_buffer buf{nullptr, 0};
    Check(codesync_array_to_json(raw_, &buf));
    return detail::TakeString(buf);
  }

  Text InsertText(size_t index) {
    return Text(detail::CheckPtr(codesync_array_insert_text(raw_, index), CODESYNC_ERR_OUT_OF_RANGE, state_),
                state_);
  }
  Map InsertMap(size_t index) {
    return Map(detail::CheckPtr(codesync_array_insert_map(raw_, index), CODESYNC_ERR_OUT_OF_RANGE, state_), state_);
  }
  Array InsertArray(size_t index) {
    return Array(detail::CheckPtr(codesync_array_insert_array(raw_, index), CODESYNC_ERR_OUT_OF_RANGE, state_),
                 state_);
  }
  // std::nullopt when index is out of range or holds another kind.
  std::optional<Text> GetText(size_t index) const { return Wrap<Text>(codesync_array_get_text(raw_, index)); }
  std::optional<Map> GetMap(size_t index) const { return Wrap<Map>(codesync_array_get_map(raw_, index)); }
  std::optional<Array> GetArray(size_t index) const { return Wrap<Array>(codesync_array_get_array(raw_, index)); }

  codesync_array* raw() const noexcept { return raw_; }

 private:
  void Check(int rc) const { detail::Check(rc, state_); }
  template <typename W, typename T>
  std::optional<W> Wrap(T* p) const {
    Check(CODESYNC_OK);
    if (p == nullptr) return std::nullopt;
    return W(p, state_);
  }
  codesync_array* raw_;
  detail::DocState* state_;
};

inline Text Map::SetText(std::string_view key) {
  return Text(detail::CheckPtr(codesync_map_set_text(raw_, std::string(key).c_str()),
                               CODESYNC_ERR_INVALID_ARGUMENT, state_),
              state_);
}
inline Map Map::SetMap(std::string_view key) {
  return Map(detail::CheckPtr(codesync_map_set_map(raw_, std::string(key).c_str()), CODESYNC_ERR_INVALID_ARGUMENT,
                              state_),
             state_);
}
inline Array Map::SetArray(std::string_view key) {
  return Array(detail::CheckPtr(codesync_map_set_array(raw_, std::string(key).c_str()),
                                CODESYNC_ERR_INVALID_ARGUMENT, state_),
               state_);
}
inline std::optional<Text> Map::GetText(std::string_view key) const {
  codesync_text* p = codesync_map_get_text(raw_, std::string(key).c_str());
  Check(CODESYNC_OK);
  return p != nullptr ? std::optional<Text>(Text(p, state_)) : std::nullopt;
}
inline std::optional<Map> Map::GetMap(std::string_view key) const {
  codesync_map* p = codesync_map_get_map(raw_, std::string(key).c_str());
  Check(CODESYNC_OK);
  return p != nullptr ? std::optional<Map>(Map(p, state_)) : std::nullopt;
}
inline std::optional<Array> Map::GetArray(std::string_view key) const {
  codesync_array* p = codesync_map_get_array(raw_, std::string(key).c_str());
  Check(CODESYNC_OK);
  return p != nullptr ? std::optional<Array>(Array(p, state_)) : std::nullopt;
}

// Owns a document. Move-only.
class Doc {
 public:
  Doc() : Doc(DocOptions()) {}
  explicit Doc(const DocOptions& options) : state_(std::make_unique<detail::DocState>()) {
    codesync_doc_options opts;
    codesync_doc_options_init(&opts);
    opts.client_id = options.client_id;
    opts.gc = options.gc ? 1 : 0;
    opts.offset_kind = options.offset_kind;
    raw_ = detail::CheckPtr(codesync_doc_new(&opts), CODESYNC_ERR_INVALID_ARGUMENT, nullptr);
  }
  Doc(Doc&& other) noexcept : raw_(std::exchange(other.raw_, nullptr)), state_(std::move(other.state_)) {}
  Doc& operator=(Doc&& other) noexcept {
    if (this != &other) {
      codesync_doc_free(raw_);
      raw_ = std::exchange(other.raw_, nullptr);
      state_ = std::move(other.state_);
    }
    return *this;
  }
  Doc(const Doc&) = delete;
  Doc& operator=(const Doc&) = delete;
  ~Doc() { codesync_doc_free(raw_); }

  uint64_t ClientId() const { return codesync_doc_client_id(raw_); }

  // Root types, created on first use. Throws CODESYNC_ERR_TYPE_MISMATCH when
  // the name is already a root of another kind.
  Text GetText(std::string_view name) {
    return Text(detail::CheckPtr(codesync_doc_text(raw_, std::string(name).c_str()), CODESYNC_ERR_TYPE_MISMATCH,
                                 state_.get()),
                state_.get());
  }
  Map GetMap(std::string_view name) {
    return Map(detail::CheckPtr(codesync_doc_map(raw_, std::string(name).c_str()), CODESYNC_ERR_TYPE_MISMATCH,
                                state_.get()),
               state_.get());
  }
  Array GetArray(std::string_view name) {
    return Array(detail::CheckPtr(codesync_doc_array(raw_, std::string(name).c_str()), CODESYNC_ERR_TYPE_MISMATCH,
                                  state_.get()),
                 state_.get());
  }

  // Update format v1. A rejected update leaves the document unchanged.
  void ApplyUpdate(ByteView update, std::string_view origin = {}) {
    detail::OriginArg o(origin);
    Check(codesync_doc_apply_update_with_origin(raw_, update.data(), update.size(), o.get()));
  }
  std::vector<uint8_t> StateVector() {
    codesync_buffer buf{nullptr, 0};
    Check(codesync_doc_state_vector(raw_, &buf));
    return detail::TakeBytes(buf);
  }
  // The whole state.
  std::vector<uint8_t> EncodeUpdate() { return Encode(nullptr, 0); }
  // What a peer with this state vector lacks.
  std::vector<uint8_t> EncodeUpdate(ByteView state_vector) {
    return Encode(state_vector.data(), state_vector.size());
  }
  bool HasPending() { return codesync_doc_has_pending(raw_) != 0; }
  // Every root type as JSON.
  std::string ToJson() {
    codesync_buffer buf{nullptr, 0};
    Check(codesync_doc_to_json(raw_, &buf));
    return detail::TakeString(buf);
  }

  // History and persistence (codesync.h); reading the past needs gc off.
  std::vector<uint8_t> Snapshot() {
    codesync_buffer buf{nullptr, 0};
    Check(codesync_doc_snapshot(raw_, &buf));
    return detail::TakeBytes(buf);
  }
  // A new document as this one was at the snapshot.
  Doc FromSnapshot(ByteView snapshot, const DocOptions& options = DocOptions()) {
    codesync_doc* old = nullptr;
    Check(codesync_doc_from_snapshot(raw_, snapshot.data(), snapshot.size(), nullptr, &old));
    codesync_buffer buf{nullptr, 0};
    int rc = codesync_doc_encode_update(old, nullptr, 0, &buf);
    codesync_doc_free(old);
    Check(rc);
    std::vector<uint8_t> state = detail::TakeBytes(buf);
    Doc out(options);
    out.ApplyUpdate(state, "snapshot");
    return out;
  }
  // One transaction (one update event) that makes the roots read as at the snapshot.
  void RestoreSnapshot(ByteView snapshot, std::string_view origin = {}) {
    Transact(origin, [&] { Check(codesync_doc_restore_snapshot(raw_, snapshot.data(), snapshot.size(), nullptr)); });
  }
  // metadata_json: a JSON object of strings (empty = none).
  std::vector<uint8_t> SaveContainer(std::string_view guid = {}, std::string_view metadata_json = {}) {
    codesync_buffer buf{nullptr, 0};
    Check(codesync_doc_save_container(raw_, std::string(guid).c_str(),
                                      metadata_json.empty() ? nullptr : metadata_json.data(), metadata_json.size(),
                                      &buf));
    return detail::TakeBytes(buf);
  }
  void LoadContainer(ByteView container) {
    Check(codesync_doc_load_container(raw_, container.data(), container.size()));
  }

  // fn(ByteView update, std::string_view origin) after each transaction that
  // changed the document; origin is empty when it had none.
  template <typename F>
  Subscription ObserveUpdates(F fn) {
    auto cb = std::make_unique<detail::UpdateCallback<F>>(state_.get(), std::move(fn));
    codesync_subscription* sub = codesync_doc_observe_updates(raw_, &detail::UpdateCallback<F>::Invoke, cb.get());
    detail::CheckPtr(sub, CODESYNC_ERR_INVALID_ARGUMENT, state_.get());
    return Subscription(sub, std::move(cb));
  }

  // Explicit transactions; prefer Transaction or Transact.
  void Begin(std::string_view origin = {}) {
    detail::OriginArg o(origin);
    Check(codesync_doc_begin(raw_, o.get()));
  }
  void Commit() { Check(codesync_doc_commit(raw_)); }

  // Runs fn() in one transaction: its edits produce one update event.
  // Commits even when fn throws, then rethrows.
  template <typename F>
  void Transact(std::string_view origin, F&& fn) {
    Begin(origin);
    try {
      std::forward<F>(fn)();
    } catch (...) {
      codesync_doc_commit(raw_);
      state_->pending = nullptr;  // fn's exception is the one to report
      throw;
    }
    Commit();
  }
  template <typename F>
  void Transact(F&& fn) {
    Transact(std::string_view(), std::forward<F>(fn));
  }

  codesync_doc* raw() const noexcept { return raw_; }

 private:
  void Check(int rc) { detail::Check(rc, state_.get()); }
  std::vector<uint8_t> Encode(const uint8_t* sv, size_t len) {
    codesync_buffer buf{nullptr, 0};
    Check(codesync_doc_encode_update(raw_, sv, len, &buf));
    return detail::TakeBytes(buf);
  }

  friend class UndoManager;  // its observers report exceptions through state_
  codesync_doc* raw_ = nullptr;
  std::unique_ptr<detail::DocState> state_;
};

// Scope guard for a transaction. Commit() reports errors (including an
// observer's exception); the destructor commits if Commit() was not called
// and, as a destructor cannot throw, drops any error.
class Transaction {
 public:
  explicit Transaction(Doc& doc, std::string_view origin = {}) : doc_(&doc) { doc.Begin(origin); }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() {
    if (doc_ == nullptr) return;
    try {
      doc_->Commit();
    } catch (...) {
    }
  }
  void Commit() {
    if (doc_ != nullptr) std::exchange(doc_, nullptr)->Commit();
  }

 private:
  Doc* doc_;
};

// ---- Relative positions and undo -------------------------------------------

// A relative position (sticky cursor) resolved against a document.
struct ResolvedPosition {
  codesync_relpos_state state;  // FOUND, TYPE_DELETED or NOT_FOUND
  size_t index;                 // valid when found()
  bool found() const { return state == CODESYNC_RELPOS_FOUND; }
};

// The Yjs binary position at `index` of a text (assoc < 0: sticks to the left character).
inline std::vector<uint8_t> RelativePosition(const Text& text, size_t index, int assoc = 0) {
  codesync_buffer buf{nullptr, 0};
  detail::Check(codesync_relpos_from_text(text.raw(), index, assoc, &buf), nullptr);
  return detail::TakeBytes(buf);
}
inline ResolvedPosition ResolvePosition(Doc& doc, ByteView rel) {
  ResolvedPosition r{CODESYNC_RELPOS_NOT_FOUND, 0};
  detail::Check(codesync_relpos_to_index(doc.raw(), rel.data(), rel.size(), &r.index, &r.state), nullptr);
  return r;
}
// The JSON form y-monaco and y-codemirror put in awareness states, and back.
inline std::string RelativePositionToJson(ByteView rel) {
  codesync_buffer buf{nullptr, 0};
  detail::Check(codesync_relpos_to_json(rel.data(), rel.size(), &buf), nullptr);
  return detail::TakeString(buf);
}
inline std::vector<uint8_t> RelativePositionFromJson(std::string_view json) {
  codesync_buffer buf{nullptr, 0};
  detail::Check(codesync_relpos_from_json(json.data(), json.size(), &buf), nullptr);
  return detail::TakeBytes(buf);
}

// Undo manager over types of one Doc (see codesync_undo_manager in codesync.h).
// Move-only; destroy it before the Doc. Observer exceptions are rethrown from
// the call that made the change (an edit of the Doc, Undo or Redo).
class UndoManager {
 public:
  struct Options {
    int64_t capture_timeout_ms = 500;
    std::string origin = "codesync:undo";  // of undo/redo transactions; empty = none
    std::function<int64_t()> clock;        // unset = the time given to SetTime
  };
  struct Event {
    codesync_undo_event_kind kind;
    codesync_undo_stack stack;
    std::string_view origin;  // empty when none
    ByteView meta;
  };

  explicit UndoManager(Doc& doc) : UndoManager(doc, Options()) {}
  UndoManager(Doc& doc, Options options)
      : state_(doc.state_.get()), clock_(std::make_unique<std::function<int64_t()>>(std::move(options.clock))) {
    codesync_undo_options opts;
    codesync_undo_options_init(&opts);
    opts.capture_timeout_ms = options.capture_timeout_ms;
    detail::OriginArg origin(options.origin);
    opts.origin = origin.get();
    if (*clock_) {
      opts.clock = &ClockTrampoline;
      opts.clock_user_data = clock_.get();
    }
    raw_ = detail::CheckPtr(codesync_undo_manager_new(doc.raw(), &opts), CODESYNC_ERR_INVALID_ARGUMENT, nullptr);
  }
  UndoManager(UndoManager&& other) noexcept
      : raw_(std::exchange(other.raw_, nullptr)),
        state_(other.state_),
        clock_(std::move(other.clock_)),
        observers_(std::move(other.observers_)) {}
  UndoManager& operator=(UndoManager&&) = delete;
  UndoManager(const UndoManager&) = delete;
  UndoManager& operator=(const UndoManager&) = delete;
  ~UndoManager() {
    for (auto& o : observers_) codesync_undo_manager_unobserve(o.sub);
    codesync_undo_manager_free(raw_);
  }

  void AddScope(const Text& t) { Check(codesync_undo_manager_add_text(raw_, t.raw())); }
  void AddScope(const Map& m) { Check(codesync_undo_manager_add_map(raw_, m.raw())); }
  void AddScope(const Array& a) { Check(codesync_undo_manager_add_array(raw_, a.raw())); }
  // Empty = the null origin (tracked from the start).
  void AddTrackedOrigin(std::string_view origin) {
    detail::OriginArg o(origin);
    Check(codesync_undo_manager_add_tracked_origin(raw_, o.get()));
  }
  void RemoveTrackedOrigin(std::string_view origin) {
    detail::OriginArg o(origin);
    Check(codesync_undo_manager_remove_tracked_origin(raw_, o.get()));
  }
  // True when something changed.
  bool Undo() {
    int changed = 0;
    Check(codesync_undo_manager_undo(raw_, &changed));
    return changed != 0;
  }
  bool Redo() {
    int changed = 0;
    Check(codesync_undo_manager_redo(raw_, &changed));
    return changed != 0;
  }
  bool CanUndo() const { return codesync_undo_manager_can_undo(raw_) != 0; }
  bool CanRedo() const { return codesync_undo_manager_can_redo(raw_) != 0; }
  void StopCapturing() { Check(codesync_undo_manager_stop_capturing(raw_)); }
  void Clear() { Check(codesync_undo_manager_clear(raw_)); }
  void SetTime(int64_t now_ms) { Check(codesync_undo_manager_set_time(raw_, now_ms)); }
  void SetMeta(codesync_undo_stack stack, ByteView meta) {
    Check(codesync_undo_manager_set_meta(raw_, stack, meta.data(), meta.size()));
  }
  std::vector<uint8_t> GetMeta(codesync_undo_stack stack) {
    codesync_buffer buf{nullptr, 0};
    Check(codesync_undo_manager_get_meta(raw_, stack, &buf));
    return detail::TakeBytes(buf);
  }

  // fn(const UndoManager::Event&) for every stack item added, updated or popped,
  // for the manager's lifetime.
  template <typename F>
  void Observe(F fn) {
    auto cb = std::make_unique<Callback<F>>(state_, std::move(fn));
    codesync_undo_subscription* sub = codesync_undo_manager_observe(raw_, &Callback<F>::Invoke, cb.get());
    detail::CheckPtr(sub, CODESYNC_ERR_INVALID_ARGUMENT, state_);
    observers_.push_back({sub, std::move(cb)});
  }

  codesync_undo_manager* raw() const noexcept { return raw_; }

 private:
  template <typename F>
  struct Callback final : detail::CallbackBase {
    Callback(detail::DocState* s, F f) : CallbackBase(s), fn(std::move(f)) {}
    static void Invoke(codesync_undo_manager*, const codesync_undo_event* e, void* user_data) {
      auto* self = static_cast<Callback*>(user_data);
      self->Guard([&] {
        Event ev{e->kind, e->stack, detail::Origin(e->origin), ByteView(e->meta, e->meta_len)};
        self->fn(static_cast<const Event&>(ev));
      });
    }
    F fn;
  };
  struct Observer {
    codesync_undo_subscription* sub;
    std::unique_ptr<detail::CallbackBase> callback;
  };
  static int64_t ClockTrampoline(void* user_data) {
    try {
      return (*static_cast<std::function<int64_t()>*>(user_data))();
    } catch (...) {
      return 0;  // nothing may cross the C boundary; a throwing clock reads as time 0
    }
  }
  void Check(int rc) const { detail::Check(rc, state_); }

  codesync_undo_manager* raw_ = nullptr;
  detail::DocState* state_;
  std::unique_ptr<std::function<int64_t()>> clock_;
  std::vector<Observer> observers_;
};

// Merges updates without a document.
inline std::vector<uint8_t> MergeUpdates(const std::vector<ByteView>& updates) {
  std::vector<const uint8_t*> data;
  std::vector<size_t> lens;
  data.reserve(updates.size());
  lens.reserve(updates.size());
  for (const ByteView& u : updates) {
    data.push_back(u.data());
    lens.push_back(u.size());
  }
  codesync_buffer buf{nullptr, 0};
  detail::Check(codesync_merge_updates(data.data(), lens.data(), updates.size(), &buf), nullptr);
  return detail::TakeBytes(buf);
}

// The state vector an update would produce.
inline std::vector<uint8_t> UpdateStateVector(ByteView update) {
  codesync_buffer buf{nullptr, 0};
  detail::Check(codesync_update_state_vector(update.data(), update.size(), &buf), nullptr);
  return detail::TakeBytes(buf);
}

// Whether an update adds nothing to an encoded snapshot (Y.snapshotContainsUpdate).
inline bool SnapshotContainsUpdate(ByteView snapshot, ByteView update) {
  int contains = 0;
  detail::Check(codesync_snapshot_contains_update(snapshot.data(), snapshot.size(), update.data(), update.size(),
                                                  &contains),
                nullptr);
  return contains != 0;
}

// A verified container described as JSON (guid, version, metadata, state vector).
inline std::string ContainerInfo(ByteView container) {
  codesync_buffer buf{nullptr, 0};
  detail::Check(codesync_container_info(container.data(), container.size(), &buf), nullptr);
  return detail::TakeString(buf);
}

inline std::string_view Version() { return codesync_version(); }

}  // namespace codesync

#endif  // CODESYNC_HPP_
