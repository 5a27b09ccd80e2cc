// Splits the input into several updates and merges them.
//
// Input layout: byte 0 picks the count n = 1 + b % 4; then for each of the
// first n-1 updates one length byte followed by that many bytes (cut short at
// the end of input); the last update is the rest. make_seeds.mjs writes seeds
// in this layout.
//
// Properties:
//  - merge returns CODESYNC_OK or CODESYNC_ERR_MALFORMED; on failure the
//    output buffer stays empty and last_error is set;
//  - if every piece applies, the merge succeeds;
//  - when the pieces are consistent (applying them first-to-last and
//    last-to-first gives the same document; conflicting pieces that reuse an
//    id for different content legitimately differ), applying the merge equals
//    applying them one by one, and the merge's state vector equals the
//    document's.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"

namespace {

struct Outcome {
  bool all_ok = true;
  std::string json, sv, update;
  bool pending = false;
};

Outcome ApplyInOrder(const std::vector<std::string_view>& pieces, bool reverse) {
  Outcome out;
  fuzz::Doc doc(1);
  for (size_t k = 0; k < pieces.size(); k++) {
    std::string_view p = pieces[reverse ? pieces.size() - 1 - k : k];
    int rc = doc.Apply(p);
    FUZZ_CHECK(rc == CODESYNC_OK || rc == CODESYNC_ERR_MALFORMED);
    if (rc != CODESYNC_OK) out.all_ok = false;
  }
  out.json = fuzz::ToJson(doc.get());
  out.sv = fuzz::StateVector(doc.get());
  out.update = fuzz::Encode(doc.get());
  out.pending = codesync_doc_has_pending(doc.get()) != 0;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t n = 1 + data[0] % 4;
  std::vector<std::string_view> pieces;
  for (size_t k = 0; k + 1 < n; k++) {
    size_t len = in.empty() ? 0 : static_cast<uint8_t>(in[0]);
    if (!in.empty()) in.remove_prefix(1);
    if (len > in.size()) len = in.size();
    pieces.push_back(in.substr(0, len));
    in.remove_prefix(len);
  }
  pieces.push_back(in);

  // Copies in exact-size heap blocks so ASan sees any overread.
  std::vector<std::vector<uint8_t>> owned;
  std::vector<const uint8_t*> ptrs;
  std::vector<size_t> lens;
  for (std::string_view p : pieces) owned.emplace_back(p.begin(), p.end());
  for (const auto& o : owned) {
    ptrs.push_back(o.empty() ? nullptr : o.data());
    lens.push_back(o.size());
  }
  // An empty piece with a NULL pointer is fine only with len 0; give it a real pointer.
  static const uint8_t kNothing[1] = {0};
  for (size_t k = 0; k < ptrs.size(); k++)
    if (ptrs[k] == nullptr) ptrs[k] = kNothing;

  codesync_buffer merged_buf = {nullptr, 0};
  int rc = codesync_merge_updates(ptrs.data(), lens.data(), ptrs.size(), &merged_buf);
  FUZZ_CHECK(rc == CODESYNC_OK || rc == CODESYNC_ERR_MALFORMED);
  Outcome forward = ApplyInOrder(pieces, false);
  if (rc != CODESYNC_OK) {
    fuzz::CheckRejected(rc, CODESYNC_ERR_MALFORMED);
    FUZZ_CHECK(merged_buf.data == nullptr && merged_buf.len == 0);
    // A merge only fails on a piece that cannot be decoded.
    FUZZ_CHECK(!forward.all_ok);
    return 0;
  }
  std::string merged = fuzz::Take(&merged_buf);

  // The merged update decodes on its own.
  codesync_buffer sv_buf = {nullptr, 0};
  FUZZ_CHECK(codesync_update_state_vector(reinterpret_cast<const uint8_t*>(merged.data()), merged.size(), &sv_buf) ==
             CODESYNC_OK);
  std::string merged_sv = fuzz::Take(&sv_buf);

  fuzz::Doc from_merge(1);
  int apply_rc = from_merge.Apply(merged);
  FUZZ_CHECK(apply_rc == CODESYNC_OK || apply_rc == CODESYNC_ERR_MALFORMED);
  if (!forward.all_ok) return 0;
  Outcome backward = ApplyInOrder(pieces, true);
  if (!backward.all_ok || backward.json != forward.json || backward.sv != forward.sv ||
      backward.pending != forward.pending) {
    return 0;  // conflicting pieces: no single right answer
  }
  FUZZ_CHECK(apply_rc == CODESYNC_OK);
  FUZZ_CHECK(fuzz::ToJson(from_merge.get()) == forward.json);
  FUZZ_CHECK(fuzz::StateVector(from_merge.get()) == forward.sv);
  FUZZ_CHECK((codesync_doc_has_pending(from_merge.get()) != 0) == forward.pending);
  if (!forward.pending) FUZZ_CHECK(merged_sv == forward.sv);

  // Merging is idempotent in effect: merging the merge with a piece again changes nothing.
  const uint8_t* again_ptrs[2] = {reinterpret_cast<const uint8_t*>(merged.data()), ptrs[0]};
  size_t again_lens[2] = {merged.size(), lens[0]};
  codesync_buffer again_buf = {nullptr, 0};
  FUZZ_CHECK(codesync_merge_updates(again_ptrs, again_lens, 2, &again_buf) == CODESYNC_OK);
  std::string again = fuzz::Take(&again_buf);
  fuzz::Doc from_again(1);
  FUZZ_CHECK(from_again.Apply(again) == CODESYNC_OK);
  FUZZ_CHECK(fuzz::ToJson(from_again.get()) == forward.json);
  FUZZ_CHECK(fuzz::StateVector(from_again.get()) == forward.sv);
  return 0;
}
