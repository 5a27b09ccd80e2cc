// The C ABI of lib/history: snapshots, versions, restore and authorship.
#include <string>
#include <vector>

#include "capi/internal.h"
#include "codesync.h"
#include "core/update.h"
#include "encoding/any.h"
#include "history/snapshot.h"

using codesync::Any;
using codesync::Branch;
using codesync::TypeRef;
namespace history = codesync::history;
using namespace codesync::capi;  // NOLINT: the shim is all glue

namespace {

Branch* B(codesync_text* t) { return reinterpret_cast<Branch*>(t); }
Branch* B(codesync_map* m) { return reinterpret_cast<Branch*>(m); }

int Null(const char* what) { return SetError(CODESYNC_ERR_INVALID_ARGUMENT, std::string(what) + " is NULL"); }

// Decodes a snapshot argument; NULL (with any length) is "none".
int ReadSnapshot(const uint8_t* data, size_t len, history::Snapshot* out, bool* present, const char* what) {
  *present = data != nullptr;
  if (!data) return CODESYNC_OK;
  auto s = history::DecodeSnapshot(data, len);
  if (!s.ok()) return SetError(CODESYNC_ERR_MALFORMED, std::string(what) + ": " + std::string(s.status().message()));
  *out = *std::move(s);
  return CODESYNC_OK;
}

Any Client(uint64_t c) { return Any::Number(static_cast<double>(c)); }

}  // namespace

extern "C" {

int codesync_doc_snapshot(codesync_doc* doc, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!doc) return Null("doc");
    return Fill(out, history::EncodeSnapshot(history::TakeSnapshot(doc->doc)));
  });
}

int codesync_snapshot_contains_update(const uint8_t* snapshot, size_t snapshot_len, const uint8_t* update,
                                      size_t update_len, int* contains_out) {
  return Guard([&]() -> int {
    if (!snapshot) return Null("snapshot");
    if (!update) return Null("update");
    if (!contains_out) return Null("contains_out");
    history::Snapshot s;
    bool present;
    if (int rc = ReadSnapshot(snapshot, snapshot_len, &s, &present, "snapshot"); rc) return rc;
    auto r = history::SnapshotContainsUpdate(s, update, update_len);
    if (!r.ok()) return ToCode(r.status());
    *contains_out = *r ? 1 : 0;
    return CODESYNC_OK;
  });
}

int codesync_doc_from_snapshot(codesync_doc* doc, const uint8_t* snapshot, size_t len,
                               const codesync_doc_options* opts, codesync_doc** doc_out) {
  return Guard([&]() -> int {
    if (!doc) return Null("doc");
    if (!snapshot) return Null("snapshot");
    if (!doc_out) return Null("doc_out");
    *doc_out = nullptr;
    codesync::DocOptions o;
    if (!ToDocOptions(opts, &o)) return LastErrorCode();
    history::Snapshot s;
    bool present;
    if (int rc = ReadSnapshot(snapshot, len, &s, &present, "snapshot"); rc) return rc;
    auto update = history::SnapshotUpdate(doc->doc, s);
    if (!update.ok()) return ToCode(update.status());
    auto* out = new codesync_doc(o);
    absl::Status st = codesync::ApplyUpdate(out->doc, update->data(), update->size(), std::string("snapshot"));
    if (!st.ok()) {
      delete out;
      return SetError(CODESYNC_ERR_INTERNAL, "could not rebuild the snapshot: " + std::string(st.message()));
    }
    *doc_out = out;
    return CODESYNC_OK;
  });
}

int codesync_doc_restore_snapshot(codesync_doc* doc, const uint8_t* snapshot, size_t len, const char* origin) {
  return Guard([&]() -> int {
    if (!doc) return Null("doc");
    if (!snapshot) return Null("snapshot");
    if (doc->doc.busy()) return SetError(CODESYNC_ERR_BUSY, "the document is busy: called from inside an observer");
    history::Snapshot s;
    bool present;
    if (int rc = ReadSnapshot(snapshot, len, &s, &present, "snapshot"); rc) return rc;
    std::optional<std::string> o;
    if (origin) o = origin;
    return ToCode(history::RestoreSnapshot(doc->doc, s, std::move(o)));
  });
}

int codesync_text_diff(codesync_text* text, const uint8_t* prev, size_t prev_len, const uint8_t* next,
                       size_t next_len, codesync_buffer* out_json) {
  return Guard([&]() -> int {
    if (!text) return Null("text");
    if (!out_json) return Null("out_json");
    history::Snapshot ps, ns;
    bool has_prev, has_next;
    if (int rc = ReadSnapshot(prev, prev_len, &ps, &has_prev, "prev snapshot"); rc) return rc;
    if (int rc = ReadSnapshot(next, next_len, &ns, &has_next, "next snapshot"); rc) return rc;
    auto changes = history::DiffText(*B(text), has_prev ? &ps : nullptr, has_next ? &ns : nullptr);
    if (!changes.ok()) return ToCode(changes.status());
    Any::Array ops;
    for (history::TextChange& c : *changes) {
      Any::Object o;
      switch (c.kind) {
        case history::TextChange::kRetain:
          o.emplace_back("retain", Any::Number(static_cast<double>(c.length)));
          break;
        case history::TextChange::kInsert:
          o.emplace_back("insert", c.embed.is_undefined() ? Any::String(std::move(c.text)) : std::move(c.embed));
          o.emplace_back("client", Client(c.client));
          break;
        case history::TextChange::kDelete:
          o.emplace_back("delete", Any::Number(static_cast<double>(c.length)));
          if (c.embed.is_undefined()) {
            o.emplace_back("text", Any::String(std::move(c.text)));
          } else {
            o.emplace_back("embed", std::move(c.embed));
          }
          o.emplace_back("client", Client(c.client));
          break;
      }
      ops.push_back(Any::MakeObject(std::move(o)));
    }
    return Fill(out_json, Any::MakeArray(std::move(ops)).ToJson());
  });
}

int codesync_map_diff(codesync_map* map, const uint8_t* prev, size_t prev_len, const uint8_t* next, size_t next_len,
                      codesync_buffer* out_json) {
  return Guard([&]() -> int {
    if (!map) return Null("map");
    if (!out_json) return Null("out_json");
    history::Snapshot ps, ns;
    bool has_prev, has_next;
    if (int rc = ReadSnapshot(prev, prev_len, &ps, &has_prev, "prev snapshot"); rc) return rc;
    if (int rc = ReadSnapshot(next, next_len, &ns, &has_next, "next snapshot"); rc) return rc;
    auto changes = history::DiffMap(*B(map), has_prev ? &ps : nullptr, has_next ? &ns : nullptr);
    if (!changes.ok()) return ToCode(changes.status());
    static const char* kActions[] = {"add", "update", "delete"};
    Any::Array out;
    for (history::MapChange& c : *changes) {
      Any::Object o;
      o.emplace_back("key", Any::String(c.key));
      o.emplace_back("action", Any::String(kActions[c.kind]));
      if (c.kind != history::MapChange::kAdd) o.emplace_back("old", c.old_value.is_undefined() ? Any::Null() : c.old_value);
      if (c.kind != history::MapChange::kDelete) o.emplace_back("new", c.new_value.is_undefined() ? Any::Null() : c.new_value);
      o.emplace_back("client", Client(c.client));
      out.push_back(Any::MakeObject(std::move(o)));
    }
    return Fill(out_json, Any::MakeArray(std::move(out)).ToJson());
  });
}

int codesync_text_authorship(codesync_text* text, codesync_author_run* runs, size_t capacity, size_t* count_out) {
  return Guard([&]() -> int {
    if (!text) return Null("text");
    if (!count_out) return Null("count_out");
    if (capacity && !runs) return Null("runs");
    std::vector<history::AuthorRun> r = history::Authorship(*B(text));
    for (size_t i = 0; i < r.size() && i < capacity; i++) {
      runs[i].index = static_cast<size_t>(r[i].index);
      runs[i].length = static_cast<size_t>(r[i].length);
      runs[i].client = r[i].client;
    }
    *count_out = r.size();
    return CODESYNC_OK;
  });
}

int codesync_text_authorship_json(codesync_text* text, codesync_buffer* out_json) {
  return Guard([&]() -> int {
    if (!text) return Null("text");
    if (!out_json) return Null("out_json");
    Any::Array out;
    for (const history::AuthorRun& r : history::Authorship(*B(text))) {
      Any::Object o;
      o.emplace_back("index", Any::Number(static_cast<double>(r.index)));
      o.emplace_back("length", Any::Number(static_cast<double>(r.length)));
      o.emplace_back("client", Client(r.client));
      out.push_back(Any::MakeObject(std::move(o)));
    }
    return Fill(out_json, Any::MakeArray(std::move(out)).ToJson());
  });
}

}  // extern "C"
