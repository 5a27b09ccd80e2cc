// The C ABI of lib/persist: the snapshot container.
#include <algorithm>
#include <map>
#include <string>

#include "capi/internal.h"
#include "codesync.h"
#include "encoding/any.h"
#include "encoding/utf8.h"
#include "persist/container.h"

using codesync::Any;
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
    std::string g = guid ? guid : "";
    if (!codesync::utf8::IsValid(g)) return SetError(CODESYNC_ERR_INVALID_ARGUMENT, "guid is not valid UTF-8");
    std::map<std::string, std::string> meta;
    if (metadata_json) {
      auto v = Any::FromJson(std::string_view(metadata_json, metadata_len));
      if (!v.ok()) {
        return SetError(CODESYNC_ERR_INVALID_ARGUMENT, "metadata is not valid JSON: " + std::string(v.status().message()));
      }
      if (v->kind() != Any::Kind::kObject) return SetError(CODESYNC_ERR_INVALID_ARGUMENT, "metadata must be a JSON object");
      for (auto& [k, val] : v->as_object()) {
        if (val.kind() != Any::Kind::kString) {
          return SetError(CODESYNC_ERR_INVALID_ARGUMENT, "metadata value of '" + k + "' is not a string");
        }
        meta[k] = val.as_string();
      }
    }
    return Fill(out, persist::SaveContainer(doc->doc, g, meta));
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
    auto c = persist::ReadContainer(data, len);
    if (!c.ok()) return ToCode(c.status());
    Any::Object meta;
    for (auto& [k, v] : c->metadata) {
      if (codesync::utf8::IsValid(v)) {
        meta.emplace_back(k, Any::String(v));
      } else {
        Any::Array bytes;
        for (unsigned char b : v) bytes.push_back(Any::Number(b));
        meta.emplace_back(k, Any::MakeArray(std::move(bytes)));
      }
    }
    std::vector<std::pair<uint64_t, uint64_t>> sv(c->state_vector.begin(), c->state_vector.end());
    std::sort(sv.begin(), sv.end());
    Any::Object svo;
    for (auto& [client, clock] : sv) svo.emplace_back(std::to_string(client), Any::Number(static_cast<double>(clock)));
    Any::Object o;
    o.emplace_back("format_version", Any::Number(c->format_version));
    o.emplace_back("guid", Any::String(c->guid));
    o.emplace_back("metadata", Any::MakeObject(std::move(meta)));
    o.emplace_back("state_vector", Any::MakeObject(std::move(svo)));
    o.emplace_back("state_bytes", Any::Number(static_cast<double>(c->state.size())));
    return Fill(out_json, Any::MakeObject(std::move(o)).ToJson());
  });
}

}  // extern "C"
