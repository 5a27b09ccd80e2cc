// C API: relative positions (sticky cursors), binary and JSON forms as Yjs.
#include "capi/internal.h"
#include "codesync.h"
#include "history/positions.h"

using codesync::Branch;
using namespace codesync::capi;  // NOLINT: the shim is all glue

namespace {

int NullArg(const char* what) { return SetError(CODESYNC_ERR_INVALID_ARGUMENT, std::string(what) + " is NULL"); }

int FromIndex(Branch* b, size_t index, int assoc, bool json, codesync_buffer* out) {
  if (!out) return NullArg("out");
  if (b->is_deleted()) return SetError(CODESYNC_ERR_INVALID_ARGUMENT, "the type was deleted");
  auto pos = codesync::history::FromIndex(*b->doc, *b, index, assoc);
  if (!pos.ok()) return ToCode(pos.status());
  if (json) return Fill(out, codesync::history::ToJson(*pos));
  return Fill(out, codesync::history::Encode(*pos));
}

int Resolve(codesync::Doc& doc, Branch* expected, const uint8_t* rel, size_t len, size_t* index_out,
            codesync_relpos_state* state_out) {
  if (!rel && len) return NullArg("rel");
  if (!index_out) return NullArg("index_out");
  static const uint8_t kEmpty[1] = {0};
  auto pos = codesync::history::Decode(rel ? rel : kEmpty, len);
  if (!pos.ok()) return ToCode(pos.status());
  codesync::history::AbsolutePosition abs = codesync::history::ToAbsolute(doc, *pos);
  if (expected && abs.resolution != codesync::history::Resolution::kNotFound && abs.type != expected) {
    return SetError(CODESYNC_ERR_TYPE_MISMATCH, "the position points into another type");
  }
  *index_out = static_cast<size_t>(abs.index);
  if (state_out) {
    *state_out = abs.resolution == codesync::history::Resolution::kFound         ? CODESYNC_RELPOS_FOUND
                 : abs.resolution == codesync::history::Resolution::kTypeDeleted ? CODESYNC_RELPOS_TYPE_DELETED
                                                                                 : CODESYNC_RELPOS_NOT_FOUND;
  }
  if (abs.resolution != codesync::history::Resolution::kFound) *index_out = 0;
  return CODESYNC_OK;
}

}  // namespace

extern "C" {

int codesync_relpos_from_text(codesync_text* text, size_t index, int assoc, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!text) return NullArg("text");
    return FromIndex(reinterpret_cast<Branch*>(text), index, assoc, false, out);
  });
}

int codesync_relpos_from_text_json(codesync_text* text, size_t index, int assoc, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!text) return NullArg("text");
    return FromIndex(reinterpret_cast<Branch*>(text), index, assoc, true, out);
  });
}

int codesync_relpos_from_array_json(codesync_array* array, size_t index, int assoc, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!array) return NullArg("array");
    return FromIndex(reinterpret_cast<Branch*>(array), index, assoc, true, out);
  });
}

int codesync_relpos_from_array(codesync_array* array, size_t index, int assoc, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!array) return NullArg("array");
    return FromIndex(reinterpret_cast<Branch*>(array), index, assoc, false, out);
  });
}

int codesync_relpos_to_index(codesync_doc* doc, const uint8_t* rel, size_t len, size_t* index_out,
                             codesync_relpos_state* state_out) {
  return Guard([&]() -> int {
    if (!doc) return NullArg("doc");
    return Resolve(doc->doc, nullptr, rel, len, index_out, state_out);
  });
}

int codesync_relpos_to_text_index(codesync_text* text, const uint8_t* rel, size_t len, size_t* index_out,
                                  codesync_relpos_state* state_out) {
  return Guard([&]() -> int {
    if (!text) return NullArg("text");
    Branch* b = reinterpret_cast<Branch*>(text);
    return Resolve(*b->doc, b, rel, len, index_out, state_out);
  });
}

int codesync_relpos_to_json(const uint8_t* rel, size_t len, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!rel && len) return NullArg("rel");
    static const uint8_t kEmpty[1] = {0};
    auto pos = codesync::history::Decode(rel ? rel : kEmpty, len);
    if (!pos.ok()) return ToCode(pos.status());
    return Fill(out, codesync::history::ToJson(*pos));
  });
}

int codesync_relpos_from_json(const char* json, size_t len, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!json) return NullArg("json");
    auto pos = codesync::history::FromJson(std::string_view(json, len));
    if (!pos.ok()) return ToCode(pos.status());
    return Fill(out, codesync::history::Encode(*pos));
  });
}

}  // extern "C"
