// Snapshots and containers from untrusted bytes, over the C API.
//
// Byte 0 picks the mode: even = the rest is a snapshot, odd = a container.
// A fixed gc=0 document (two clients, text with deletions, a map, an astral
// character) is the target. Properties:
//  - snapshot: every call returns OK, MALFORMED or INVALID_ARGUMENT (never
//    anything else), fails with a message, and a failed restore leaves the
//    document unchanged; a successful restore leaves a document that encodes
//    and applies to a copy of the original with the same result;
//  - container: info and load agree (both OK or both MALFORMED); a failed
//    load changes nothing; a successful one applies cleanly.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_util.h"

namespace {

codesync_doc* Target() {
  codesync_doc_options opts;
  codesync_doc_options_init(&opts);
  opts.client_id = 1;
  opts.gc = 0;
  codesync_doc* a = codesync_doc_new(&opts);
  opts.client_id = 2;
  codesync_doc* b = codesync_doc_new(&opts);
  codesync_text* t = codesync_doc_text(a, "t");
  FUZZ_CHECK(codesync_text_insert(t, 0, "hello \xF0\x9F\x98\x80 world", 15) == CODESYNC_OK);
  FUZZ_CHECK(codesync_text_delete(t, 1, 3) == CODESYNC_OK);
  FUZZ_CHECK(codesync_map_set_json(codesync_doc_map(a, "m"), "k", "[1]", 3) == CODESYNC_OK);
  std::string u = fuzz::Encode(a);
  FUZZ_CHECK(codesync_doc_apply_update(b, reinterpret_cast<const uint8_t*>(u.data()), u.size()) == CODESYNC_OK);
  FUZZ_CHECK(codesync_text_insert(codesync_doc_text(b, "t"), 2, "xy", 2) == CODESYNC_OK);
  FUZZ_CHECK(codesync_map_delete(codesync_doc_map(b, "m"), "k") == CODESYNC_OK);
  u = fuzz::Encode(b);
  FUZZ_CHECK(codesync_doc_apply_update(a, reinterpret_cast<const uint8_t*>(u.data()), u.size()) == CODESYNC_OK);
  codesync_doc_free(b);
  return a;
}

std::string Json(codesync_doc* doc) {
  codesync_buffer out = {nullptr, 0};
  FUZZ_CHECK(codesync_doc_to_json(doc, &out) == CODESYNC_OK);
  return fuzz::Take(&out);
}

bool Allowed(int rc) {
  return rc == CODESYNC_OK || rc == CODESYNC_ERR_MALFORMED || rc == CODESYNC_ERR_INVALID_ARGUMENT;
}

void Snapshot(const uint8_t* s, size_t n) {
  codesync_doc* doc = Target();
  std::string before = fuzz::Encode(doc);
  codesync_buffer out = {nullptr, 0};
  int rc = codesync_text_diff(codesync_doc_text(doc, "t"), s, n, nullptr, 0, &out);
  FUZZ_CHECK(Allowed(rc));
  codesync_buffer_free(&out);
  rc = codesync_map_diff(codesync_doc_map(doc, "m"), nullptr, 0, s, n, &out);
  FUZZ_CHECK(Allowed(rc));
  codesync_buffer_free(&out);
  int contains = -1;
  rc = codesync_snapshot_contains_update(s, n, reinterpret_cast<const uint8_t*>(before.data()), before.size(), &contains);
  FUZZ_CHECK(Allowed(rc));
  codesync_doc* old = nullptr;
  rc = codesync_doc_from_snapshot(doc, s, n, nullptr, &old);
  FUZZ_CHECK(Allowed(rc));
  FUZZ_CHECK((rc == CODESYNC_OK) == (old != nullptr));
  if (old) fuzz::Encode(old);
  codesync_doc_free(old);
  FUZZ_CHECK(fuzz::Encode(doc) == before);  // reading the past changes nothing

  rc = codesync_doc_restore_snapshot(doc, s, n, "fuzz");
  FUZZ_CHECK(Allowed(rc));
  if (rc != CODESYNC_OK) {
    FUZZ_CHECK(codesync_last_error()[0] != '\0');
    FUZZ_CHECK(fuzz::Encode(doc) == before);
  } else {
    // The restored state travels: a copy of the original that applies it reads the same.
    codesync_doc* copy = Target();
    std::string after = fuzz::Encode(doc);
    FUZZ_CHECK(codesync_doc_apply_update(copy, reinterpret_cast<const uint8_t*>(after.data()), after.size()) ==
               CODESYNC_OK);
    FUZZ_CHECK(Json(copy) == Json(doc));
    codesync_doc_free(copy);
  }
  codesync_doc_free(doc);
}

void Container(const uint8_t* c, size_t n) {
  codesync_doc* doc = Target();
  std::string before = fuzz::Encode(doc);
  codesync_buffer info = {nullptr, 0};
  int rc_info = codesync_container_info(c, n, &info);
  codesync_buffer_free(&info);
  int rc = codesync_doc_load_container(doc, c, n);
  FUZZ_CHECK(rc == CODESYNC_OK || rc == CODESYNC_ERR_MALFORMED);
  FUZZ_CHECK((rc == CODESYNC_OK) == (rc_info == CODESYNC_OK));
  if (rc != CODESYNC_OK) FUZZ_CHECK(fuzz::Encode(doc) == before);
  codesync_doc_free(doc);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if (data[0] % 2 == 0) {
    Snapshot(data + 1, size - 1);
  } else {
    Container(data + 1, size - 1);
  }
  return 0;
}
