// merge_updates on raw bytes and on real update logs.
//
// Byte 0 < 0x80, raw mode: byte 0 picks the count n = 1 + b % 4; then for
// each of the first n-1 updates one length byte followed by that many bytes
// (cut short at the end of input); the last update is the rest.
// make_seeds.mjs writes seeds in this layout. Properties:
//  - merge returns OK or MALFORMED; on failure the output stays empty and
//    last_error is set;
//  - if every piece applies, the merge succeeds, and the merged update decodes
//    and applies (or is rejected as MALFORMED) without harm.
// Raw pieces may reuse one id for different content; then no answer is right,
// so equivalence is checked only in the second mode.
//
// Byte 0 >= 0x80, log mode: the rest drives three documents (clients 1-3)
// through edits and syncs (see Generate); every update they emit is logged.
// The log is split into groups that are merged separately and then merged
// again. Properties: applying the merge equals applying the log in order
// (JSON, state vector, nothing pending); so does applying the group merges in
// reverse; the merge's own state vector matches; and a single group's merge
// equals that group's updates applied in order.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"

namespace {

struct Outcome {
  bool all_ok = true;
  std::string json, sv;
  bool pending = false;
  bool operator==(const Outcome& o) const { return json == o.json && sv == o.sv && pending == o.pending; }
};

Outcome Observe(codesync_doc* doc) {
  Outcome out;
  out.json = fuzz::ToJson(doc);
  out.sv = fuzz::StateVector(doc);
  out.pending = codesync_doc_has_pending(doc) != 0;
  return out;
}

// Types the roots every doc in this fuzzer uses, so JSON output is comparable.
void TypeRoots(codesync_doc* doc) {
  FUZZ_CHECK(codesync_doc_text(doc, "t") && codesync_doc_map(doc, "m") && codesync_doc_array(doc, "a"));
}

Outcome ApplyAll(const std::vector<std::string>& updates, bool reverse) {
  fuzz::Doc doc(100);
  TypeRoots(doc.get());
  Outcome out;
  for (size_t k = 0; k < updates.size(); k++) {
    int rc = doc.Apply(updates[reverse ? updates.size() - 1 - k : k]);
    FUZZ_CHECK(rc == CODESYNC_OK || rc == CODESYNC_ERR_MALFORMED);
    if (rc != CODESYNC_OK) out.all_ok = false;
  }
  Outcome seen = Observe(doc.get());
  seen.all_ok = out.all_ok;
  return seen;
}

// Merges `updates`; aborts unless the merge succeeds.
std::string Merge(const std::vector<std::string>& updates) {
  std::vector<const uint8_t*> ptrs;
  std::vector<size_t> lens;
  static const uint8_t kNothing[1] = {0};
  for (const std::string& u : updates) {
    ptrs.push_back(u.empty() ? kNothing : reinterpret_cast<const uint8_t*>(u.data()));
    lens.push_back(u.size());
  }
  codesync_buffer out = {nullptr, 0};
  int rc = codesync_merge_updates(ptrs.data(), lens.data(), ptrs.size(), &out);
  FUZZ_CHECK(rc == CODESYNC_OK);
  return fuzz::Take(&out);
}

void RawMode(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t n = 1 + data[0] % 4;
  std::vector<std::string> pieces;
  for (size_t k = 0; k + 1 < n; k++) {
    size_t len = in.empty() ? 0 : static_cast<uint8_t>(in[0]);
    if (!in.empty()) in.remove_prefix(1);
    if (len > in.size()) len = in.size();
    pieces.emplace_back(in.substr(0, len));
    in.remove_prefix(len);
  }
  pieces.emplace_back(in);

  // Exact-size heap copies so ASan sees any overread.
  std::vector<std::vector<uint8_t>> owned;
  std::vector<const uint8_t*> ptrs;
  std::vector<size_t> lens;
  static const uint8_t kNothing[1] = {0};
  for (const std::string& p : pieces) owned.emplace_back(p.begin(), p.end());
  for (const auto& o : owned) {
    ptrs.push_back(o.empty() ? kNothing : o.data());
    lens.push_back(o.size());
  }
  codesync_buffer merged_buf = {nullptr, 0};
  int rc = codesync_merge_updates(ptrs.data(), lens.data(), ptrs.size(), &merged_buf);
  FUZZ_CHECK(rc == CODESYNC_OK || rc == CODESYNC_ERR_MALFORMED);
  Outcome forward = ApplyAll(pieces, false);
  if (rc != CODESYNC_OK) {
    fuzz::CheckRejected(rc, CODESYNC_ERR_MALFORMED);
    FUZZ_CHECK(merged_buf.data == nullptr && merged_buf.len == 0);
    // A merge only fails on a piece that cannot be decoded.
    FUZZ_CHECK(!forward.all_ok);
    return;
  }
  std::string merged = fuzz::Take(&merged_buf);
  codesync_buffer sv = {nullptr, 0};
  FUZZ_CHECK(codesync_update_state_vector(reinterpret_cast<const uint8_t*>(merged.data()), merged.size(), &sv) ==
             CODESYNC_OK);
  codesync_buffer_free(&sv);
  fuzz::Doc from_merge(100);
  int apply_rc = from_merge.Apply(merged);
  FUZZ_CHECK(apply_rc == CODESYNC_OK || apply_rc == CODESYNC_ERR_MALFORMED);
  if (apply_rc == CODESYNC_OK) fuzz::ReadAll(from_merge.get());
  // Merging the merge with itself is accepted too.
  FUZZ_CHECK(Merge({merged, merged}).size() > 0);
}

struct Input {
  const uint8_t* p;
  const uint8_t* end;
  bool done() const { return p >= end; }
  uint8_t Byte() { return p < end ? *p++ : 0; }
};

struct Log {
  std::vector<std::string> updates;
};

void Record(const uint8_t* update, size_t len, const char* origin, void* user_data) {
  static_cast<Log*>(user_data)->updates.emplace_back(reinterpret_cast<const char*>(update), len);
}

// Edits three documents from the input and logs every update they emit.
std::vector<std::string> Generate(Input& in) {
  Log log;
  fuzz::Doc docs[3] = {fuzz::Doc(1), fuzz::Doc(2), fuzz::Doc(3)};
  codesync_subscription* subs[3];
  for (int i = 0; i < 3; i++) {
    TypeRoots(docs[i].get());
    subs[i] = codesync_doc_observe_updates(docs[i].get(), Record, &log);
    FUZZ_CHECK(subs[i] != nullptr);
  }
  static const char* const kWords[] = {"a", "xyz", "\xc3\xa9", "\xf0\x9f\x98\x80", "hello world"};
  for (int steps = 0; !in.done() && steps < 200; steps++) {
    uint8_t b = in.Byte();
    codesync_doc* doc = docs[b % 3].get();
    codesync_text* t = codesync_doc_text(doc, "t");
    size_t len = codesync_text_length(t);
    switch ((b >> 2) % 8) {
      case 0:
      case 1: {
        const char* w = kWords[in.Byte() % 5];
        // UTF-16 units: clamp and let a split index fail harmlessly.
        size_t at = len ? in.Byte() % (len + 1) : 0;
        int rc = codesync_text_insert(t, at, w, std::strlen(w));
        FUZZ_CHECK(rc == CODESYNC_OK || rc == CODESYNC_ERR_OUT_OF_RANGE);
        break;
      }
      case 2: {
        if (len == 0) break;
        size_t at = in.Byte() % len;
        size_t n = 1 + in.Byte() % 4;
        int rc = codesync_text_delete(t, at, n);
        FUZZ_CHECK(rc == CODESYNC_OK || rc == CODESYNC_ERR_OUT_OF_RANGE);
        break;
      }
      case 3: {
        if (len == 0) break;
        size_t at = in.Byte() % len;
        int rc = codesync_text_format(t, at, 1, "{\"b\":true}", 10);
        FUZZ_CHECK(rc == CODESYNC_OK || rc == CODESYNC_ERR_OUT_OF_RANGE);
        break;
      }
      case 4: {
        char key[2] = {static_cast<char>('a' + in.Byte() % 3), 0};
        codesync_map* m = codesync_doc_map(doc, "m");
        if (in.Byte() & 1) FUZZ_CHECK(codesync_map_set_json(m, key, "[1,{\"x\":2}]", 11) == CODESYNC_OK);
        else FUZZ_CHECK(codesync_map_set_text(m, key) != nullptr);
        break;
      }
      case 5: {
        codesync_array* a = codesync_doc_array(doc, "a");
        size_t alen = codesync_array_length(a);
        size_t at = in.Byte() % (alen + 1);
        if (alen > 0 && (in.Byte() & 1)) FUZZ_CHECK(codesync_array_delete(a, at == alen ? 0 : at, 1) == CODESYNC_OK);
        else FUZZ_CHECK(codesync_array_insert_json(a, at, "[true,\"s\"]", 10) == CODESYNC_OK);
        break;
      }
      case 6:
      case 7: {
        codesync_doc* other = docs[in.Byte() % 3].get();
        if (other != doc) fuzz::Sync(doc, other);
        break;
      }
    }
  }
  for (codesync_subscription* s : subs) codesync_unobserve(s);
  return log.updates;
}

void LogMode(const uint8_t* data, size_t size) {
  Input in{data + 1, data + size};
  std::vector<std::string> log = Generate(in);
  if (log.empty()) return;
  // Split the log into 1-4 groups of consecutive updates, by the byte 0 bits.
  size_t groups = 1 + (data[0] & 3);
  std::vector<std::vector<std::string>> parts(groups);
  for (size_t i = 0; i < log.size(); i++) parts[i * groups / log.size()].push_back(log[i]);

  Outcome expected = ApplyAll(log, false);
  FUZZ_CHECK(expected.all_ok);
  FUZZ_CHECK(!expected.pending);

  std::vector<std::string> merged_parts;
  for (const auto& part : parts) {
    if (part.empty()) continue;
    std::string m = Merge(part);
    // A group alone (its dependencies may be missing) acts like its updates in order.
    fuzz::Doc one(100);
    TypeRoots(one.get());
    FUZZ_CHECK(one.Apply(m) == CODESYNC_OK);
    Outcome alone = ApplyAll(part, false);
    FUZZ_CHECK(alone.all_ok);
    FUZZ_CHECK(Observe(one.get()) == alone);
    merged_parts.push_back(std::move(m));
  }
  std::string all = Merge(merged_parts);
  fuzz::Doc from_all(100);
  TypeRoots(from_all.get());
  FUZZ_CHECK(from_all.Apply(all) == CODESYNC_OK);
  FUZZ_CHECK(Observe(from_all.get()) == expected);
  Outcome reversed = ApplyAll(merged_parts, true);
  FUZZ_CHECK(reversed.all_ok);
  FUZZ_CHECK(reversed == expected);
  codesync_buffer sv = {nullptr, 0};
  FUZZ_CHECK(codesync_update_state_vector(reinterpret_cast<const uint8_t*>(all.data()), all.size(), &sv) ==
             CODESYNC_OK);
  FUZZ_CHECK(fuzz::Take(&sv) == expected.sv);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if (data[0] < 0x80) RawMode(data, size);
  else LogMode(data, size);
  return 0;
}
