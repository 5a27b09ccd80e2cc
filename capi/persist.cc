// The C ABI of lib/persist: the snapshot container.  (Parsing and JSON live in
// lib/persist so that no std:: template is instantiated, and exported, here.)
#include <string>

#include "capi/internal.h"
#include "codesync.h"
#include "persist/container.h"

namespace persist = codesync::persist;
using namespace codesync::capi;  // NOLINT: the shim is all glue

namespace {

int Null(const char* what) { return SetError(CODESYNC_ERR_INVALID_ARGUMENT, std::string(what) + " is NULL"); }

}  // namespace

extern "C" {

int codesync_doc_save_container(codesync_doc* doc, const char* guid, const char* metadata_json, size_t metadata_len,
                                codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!doc) return Null("doc");
    if (!out) return Null("out");
    auto c = persist::SaveContainerJson(doc->doc, guid ? guid : "", metadata_json, metadata_len);
    if (!c.ok()) return ToCode(c.status());
    return Fill(out, *c);
  });
}

int codesync_doc_load_container(codesync_doc* doc, const uint8_t* data, size_t len) {
  return Guard([&]() -> int {
    if (!doc) return Null("doc");
    if (!data) return Null("data");
    if (doc->doc.busy()) return SetError(CODESYNC_ERR_BUSY, "the document is busy: called from inside an observer");
    return ToCode(persist::LoadContainer(doc->doc, data, len).status());
  });
}

int codesync_container_info(const uint8_t* data, size_t len, codesync_buffer* out_json) {
  return Guard([&]() -> int {
    if (!data) return Null("data");
    if (!out_json) return Null("out_json");
    auto info = persist::ContainerInfoJson(data, len);
    if (!info.ok()) return ToCode(info.status());
    return Fill(out_json, *info);
  });
}

}  // extern "C"
