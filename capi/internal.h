// Shared by the C API translation units: handle structs, the one place where
// absl::Status becomes an error code, and the exception guard.
#ifndef CODESYNC_CAPI_INTERNAL_H_
#define CODESYNC_CAPI_INTERNAL_H_

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "codesync.h"
#include "core/doc.h"

struct codesync_doc {
  codesync::Doc doc;
  explicit codesync_doc(const codesync::DocOptions& o) : doc(o) {}
};

struct codesync_subscription {
  codesync::Doc* doc;
  codesync::Branch* branch;  // null for document-level observers
  uint64_t id;
};

namespace codesync::capi {

// The calling thread's last error message (defined in codesync.cc).
std::string& LastError();
int& LastErrorCode();

inline int SetError(int code, std::string_view message) {
  LastError().assign(message);
  LastErrorCode() = code;
  return code;
}

// The error half of ToCode, kept out of line so that the OK check inlines
// into every entry point.
[[gnu::noinline]] inline int ToErrorCode(const absl::Status& s) {
  int code;
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
      code = CODESYNC_ERR_INVALID_ARGUMENT;
      break;
    case absl::StatusCode::kDataLoss:
      code = CODESYNC_ERR_MALFORMED;
      break;
    case absl::StatusCode::kOutOfRange:
      code = CODESYNC_ERR_OUT_OF_RANGE;
      break;
    case absl::StatusCode::kFailedPrecondition:
      code = CODESYNC_ERR_TYPE_MISMATCH;
      break;
    case absl::StatusCode::kResourceExhausted:
      code = CODESYNC_ERR_NO_MEMORY;
      break;
    case absl::StatusCode::kUnavailable:
      code = CODESYNC_ERR_BUSY;
      break;
    default:
      code = CODESYNC_ERR_INTERNAL;
  }
  return SetError(code, std::string(s.message()));
}

inline int ToCode(const absl::Status& s) { return s.ok() ? CODESYNC_OK : ToErrorCode(s); }

// Runs body, converting exceptions into error codes: nothing crosses the boundary.
template <typename Fn>
int Guard(Fn body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return SetError(CODESYNC_ERR_NO_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return SetError(CODESYNC_ERR_INTERNAL, e.what());
  } catch (...) {
    return SetError(CODESYNC_ERR_INTERNAL, "unknown internal error");
  }
}

template <typename T, typename Fn>
T* GuardPtr(Fn body) {
  T* out = nullptr;
  Guard([&]() -> int {
    out = body();
    return 0;
  });
  return out;
}

inline int Fill(codesync_buffer* out, const void* data, size_t len) {
  if (!out) return SetError(CODESYNC_ERR_INVALID_ARGUMENT, "output buffer is NULL");
  auto* p = static_cast<uint8_t*>(std::malloc(len + 1));
  if (!p) return SetError(CODESYNC_ERR_NO_MEMORY, "out of memory");
  if (len) std::memcpy(p, data, len);
  p[len] = 0;
  out->data = p;
  out->len = len;
  return CODESYNC_OK;
}
inline int Fill(codesync_buffer* out, const std::string& s) { return Fill(out, s.data(), s.size()); }
inline int Fill(codesync_buffer* out, const std::vector<uint8_t>& v) { return Fill(out, v.data(), v.size()); }
inline int Fill(codesync_buffer* out, codesync::ByteView v) { return Fill(out, v.data(), v.size()); }
// Hands the encoder's malloc'd bytes over as they are: no copy.
inline int Fill(codesync_buffer* out, codesync::Encoder& enc) {
  if (!out) return SetError(CODESYNC_ERR_INVALID_ARGUMENT, "output buffer is NULL");
  size_t len = 0;
  uint8_t* p = enc.Release(&len);
  if (!p) return SetError(CODESYNC_ERR_NO_MEMORY, "out of memory");
  out->data = p;
  out->len = len;
  return CODESYNC_OK;
}

// Checks and converts C document options (NULL = defaults); false with the error set.
inline bool ToDocOptions(const codesync_doc_options* opts, DocOptions* out) {
  *out = DocOptions();
  if (!opts) return true;
  if (opts->offset_kind < CODESYNC_OFFSET_UTF16 || opts->offset_kind > CODESYNC_OFFSET_CODEPOINT) {
    SetError(CODESYNC_ERR_INVALID_ARGUMENT, "unknown offset_kind");
    return false;
  }
  out->client_id = opts->client_id;
  out->gc = opts->gc != 0;
  out->unit = opts->offset_kind == CODESYNC_OFFSET_UTF8        ? kUtf8
              : opts->offset_kind == CODESYNC_OFFSET_CODEPOINT ? kCodepoints
                                                               : kUtf16;
  return true;
}

}  // namespace codesync::capi

#endif  // CODESYNC_CAPI_INTERNAL_H_
