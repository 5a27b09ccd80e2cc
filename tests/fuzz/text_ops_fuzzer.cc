// Interprets the input as API calls on two documents that sync now and then.
//
// Byte 0 picks the offset unit; then each op is an opcode byte followed by
// argument bytes (missing bytes read as 0). Properties:
//  - outside a transaction, an index is accepted exactly when it is a
//    character boundary within the text (known from the delta-built mirror),
//    else CODESYNC_ERR_OUT_OF_RANGE; invalid UTF-8 is INVALID_ARGUMENT;
//  - text observers' deltas, applied to a mirror buffer, reproduce the text;
//  - text_length equals the mirror's length in the document's unit;
//  - after syncing both ways until nothing changes, both documents agree on
//    text, delta, JSON and state vector, and nothing is pending.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_util.h"

namespace {

// Embeds are one unit in every offset kind; the mirror holds them as \x01.
constexpr char kEmbedMark = '\x01';

size_t SeqLen(unsigned char lead) { return lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2; }

size_t UnitsOf(size_t seq_len, codesync_offset_kind kind) {
  if (kind == CODESYNC_OFFSET_UTF8) return seq_len;
  if (kind == CODESYNC_OFFSET_CODEPOINT) return 1;
  return seq_len == 4 ? 2 : 1;
}

size_t Units(std::string_view s, codesync_offset_kind kind) {
  size_t u = 0;
  for (size_t i = 0; i < s.size();) {
    size_t n = SeqLen(static_cast<unsigned char>(s[i]));
    u += UnitsOf(n, kind);
    i += n;
  }
  return u;
}

// Byte offset of unit offset `units` from byte `from`, or npos if it splits a
// character or passes the end.
size_t Advance(std::string_view s, size_t from, size_t units, codesync_offset_kind kind) {
  size_t i = from;
  while (units > 0) {
    if (i >= s.size()) return std::string::npos;
    size_t n = SeqLen(static_cast<unsigned char>(s[i]));
    size_t u = UnitsOf(n, kind);
    if (u > units) return std::string::npos;
    units -= u;
    i += n;
  }
  return i;
}

struct Mirror {
  codesync_offset_kind kind;
  std::string text;  // UTF-8 with kEmbedMark for embeds
  bool broken = false;
};

void OnDelta(const codesync_delta_op* ops, size_t count, const char* origin, void* user_data) {
  Mirror* m = static_cast<Mirror*>(user_data);
  size_t pos = 0;
  for (size_t i = 0; i < count && !m->broken; i++) {
    const codesync_delta_op& op = ops[i];
    switch (op.kind) {
      case CODESYNC_DELTA_RETAIN:
      case CODESYNC_DELTA_DELETE: {
        size_t next = Advance(m->text, pos, op.length, m->kind);
        if (next == std::string::npos) {
          m->broken = true;
          break;
        }
        if (op.kind == CODESYNC_DELTA_DELETE) m->text.erase(pos, next - pos);
        else pos = next;
        break;
      }
      case CODESYNC_DELTA_INSERT:
        if (op.text != nullptr) {
          std::string_view s(op.text, op.text_len);
          if (Units(s, m->kind) != op.length) m->broken = true;
          m->text.insert(pos, s);
          pos += s.size();
        } else if (op.embed_json != nullptr && op.length == 1) {
          m->text.insert(pos, 1, kEmbedMark);
          pos += 1;
        } else {
          m->broken = true;
        }
        break;
      default:
        m->broken = true;
    }
  }
  FUZZ_CHECK(!m->broken);
}

std::string WithoutEmbeds(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c != kEmbedMark) out += c;
  return out;
}

struct Input {
  const uint8_t* p;
  const uint8_t* end;
  bool done() const { return p >= end; }
  uint8_t Byte() { return p < end ? *p++ : 0; }
};

const char* const kStrings[] = {
    "a", "bc", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "x\xf0\x9f\x98\x80y", "hello world", "\n",
    "\xff",          // invalid UTF-8
    "\xed\xa0\x80",  // an encoded surrogate: invalid
};
constexpr size_t kNumStrings = sizeof(kStrings) / sizeof(kStrings[0]);
bool IsValidString(size_t k) { return k < 8; }

const char* const kJson[] = {"1", "\"s\"", "null", "[1,2]", "{\"a\":{\"b\":[true]}}", "1.5e300", "{", "-"};
constexpr size_t kNumJson = sizeof(kJson) / sizeof(kJson[0]);
bool IsValidJson(size_t k) { return k < 6; }

const char* const kAttrs[] = {"{\"bold\":true}", "{\"bold\":null}", "{\"i\":1,\"c\":\"red\"}", "{}"};

struct Side {
  char name;
  fuzz::Doc* doc;
  codesync_text* text;
  codesync_map* map;
  codesync_array* array;
  Mirror mirror;
  int depth = 0;  // open explicit transactions
};

// Checks an edit's result code when the expected outcome is knowable.
void Expect(const Side& s, int rc, bool index_ok, bool input_ok) {
  FUZZ_CHECK(rc != CODESYNC_ERR_INTERNAL && rc != CODESYNC_ERR_BUSY);
  if (s.depth > 0) return;  // mirror is stale until commit
  if (!index_ok) fuzz::CheckRejected(rc, CODESYNC_ERR_OUT_OF_RANGE);
  else if (!input_ok) FUZZ_CHECK(rc == CODESYNC_ERR_INVALID_ARGUMENT || rc == CODESYNC_ERR_MALFORMED);
  else FUZZ_CHECK(rc == CODESYNC_OK);
}

void CheckMirror(Side& s) {
  if (s.depth > 0) return;
  FUZZ_CHECK(!s.mirror.broken);
  FUZZ_CHECK(fuzz::TextString(s.text) == WithoutEmbeds(s.mirror.text));
  FUZZ_CHECK(codesync_text_length(s.text) == Units(s.mirror.text, s.mirror.kind));
}

// FUZZ_VERBOSE=1 in the environment traces every step (for minimizing crashers).
const bool kVerbose = std::getenv("FUZZ_VERBOSE") != nullptr;

void Step(Side& s, Side& other, Input& in) {
  uint8_t op = in.Byte() % 12;
  size_t len = Units(s.mirror.text, s.mirror.kind);
  // Indices range a little past the end so out-of-range is exercised.
  size_t index = in.Byte() % (len + 3);
  bool index_ok = Advance(s.mirror.text, 0, index, s.mirror.kind) != std::string::npos;
  if (kVerbose) {
    std::fprintf(stderr, "doc %c op %u index %zu (len %zu, depth %d, mirror \"%s\")\n", s.name,
                 op, index, len, s.depth, s.mirror.text.c_str());
  }
  switch (op) {
    case 0:
    case 1:
    case 2: {
      size_t k = in.Byte() % kNumStrings;
      int rc = codesync_text_insert(s.text, index, kStrings[k], std::strlen(kStrings[k]));
      // A bad index and bad UTF-8 together may report either.
      if (!IsValidString(k) && !index_ok) {
        FUZZ_CHECK(rc != CODESYNC_OK);
        break;
      }
      Expect(s, rc, index_ok, IsValidString(k));
      break;
    }
    case 3:
    case 4: {
      size_t n = in.Byte() % 6;
      size_t start = Advance(s.mirror.text, 0, index, s.mirror.kind);
      bool ok = start != std::string::npos && Advance(s.mirror.text, start, n, s.mirror.kind) != std::string::npos;
      Expect(s, codesync_text_delete(s.text, index, n), ok, true);
      break;
    }
    case 5: {
      size_t n = in.Byte() % 6;
      const char* attrs = kAttrs[in.Byte() % 4];
      size_t start = Advance(s.mirror.text, 0, index, s.mirror.kind);
      bool ok = start != std::string::npos && Advance(s.mirror.text, start, n, s.mirror.kind) != std::string::npos;
      Expect(s, codesync_text_format(s.text, index, n, attrs, std::strlen(attrs)), ok, true);
      break;
    }
    case 6: {
      uint8_t b = in.Byte();
      if (b & 1) {
        size_t k = (b >> 1) % kNumStrings;
        const char* attrs = kAttrs[(b >> 5) % 4];
        int rc = codesync_text_insert_with_attributes(s.text, index, kStrings[k], std::strlen(kStrings[k]), attrs,
                                                      std::strlen(attrs));
        if (!IsValidString(k) && !index_ok) FUZZ_CHECK(rc != CODESYNC_OK);
        else Expect(s, rc, index_ok, IsValidString(k));
      } else {
        size_t k = (b >> 1) % kNumJson;
        int rc = codesync_text_insert_embed(s.text, index, kJson[k], std::strlen(kJson[k]));
        if (!IsValidJson(k) && !index_ok) FUZZ_CHECK(rc != CODESYNC_OK);
        else Expect(s, rc, index_ok, IsValidJson(k));
      }
      break;
    }
    case 7:
      // Only between transactions: what an update does to an open one is not specified.
      if (s.depth == 0 && other.depth == 0) fuzz::Sync(s.doc->get(), other.doc->get());
      break;
    case 8:
      if (s.depth < 3 && (in.Byte() & 1)) {
        FUZZ_CHECK(codesync_doc_begin(s.doc->get(), "fuzz") == CODESYNC_OK);
        s.depth++;
      } else if (s.depth > 0) {
        FUZZ_CHECK(codesync_doc_commit(s.doc->get()) == CODESYNC_OK);
        s.depth--;
      }
      break;
    case 9: {
      char key[2] = {static_cast<char>('a' + in.Byte() % 4), 0};
      size_t k = in.Byte() % kNumJson;
      if (k == kNumJson - 1) {
        int rc = codesync_map_delete(s.map, key);
        FUZZ_CHECK(rc == CODESYNC_OK || rc == CODESYNC_ERR_OUT_OF_RANGE);
      } else {
        int rc = codesync_map_set_json(s.map, key, kJson[k], std::strlen(kJson[k]));
        FUZZ_CHECK(IsValidJson(k) ? rc == CODESYNC_OK : rc == CODESYNC_ERR_INVALID_ARGUMENT);
      }
      break;
    }
    case 10: {
      size_t alen = codesync_array_length(s.array);
      size_t at = in.Byte() % (alen + 2);
      if (in.Byte() & 1) {
        int rc = codesync_array_insert_json(s.array, at, "[1,\"two\",[3]]", 13);
        FUZZ_CHECK(rc == (at <= alen ? CODESYNC_OK : CODESYNC_ERR_OUT_OF_RANGE));
      } else {
        size_t n = in.Byte() % 3;
        int rc = codesync_array_delete(s.array, at, n);
        FUZZ_CHECK(rc == (at + n <= alen ? CODESYNC_OK : CODESYNC_ERR_OUT_OF_RANGE));
      }
      break;
    }
    case 11: {
      // The full state (rather than a diff), with an origin.
      if (s.depth != 0 || other.depth != 0) break;
      std::string full = fuzz::Encode(s.doc->get());
      FUZZ_CHECK(codesync_doc_apply_update_with_origin(other.doc->get(),
                                                       reinterpret_cast<const uint8_t*>(full.data()), full.size(),
                                                       "full") == CODESYNC_OK);
      break;
    }
  }
  CheckMirror(s);
  CheckMirror(other);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Input in{data, data + size};
  codesync_offset_kind kind = static_cast<codesync_offset_kind>(in.Byte() % 3);
  fuzz::Doc a(1, kind), b(2, kind);
  Side sides[2] = {
      {'a', &a, codesync_doc_text(a.get(), "t"), codesync_doc_map(a.get(), "m"), codesync_doc_array(a.get(), "a"),
       Mirror{kind, "", false}},
      {'b', &b, codesync_doc_text(b.get(), "t"), codesync_doc_map(b.get(), "m"), codesync_doc_array(b.get(), "a"),
       Mirror{kind, "", false}},
  };
  codesync_subscription* subs[2];
  for (int i = 0; i < 2; i++) {
    FUZZ_CHECK(sides[i].text && sides[i].map && sides[i].array);
    subs[i] = codesync_text_observe(sides[i].text, OnDelta, &sides[i].mirror);
    FUZZ_CHECK(subs[i] != nullptr);
  }
  int steps = 0;
  while (!in.done() && steps++ < 2000) {
    uint8_t who = in.Byte();
    Step(sides[who & 1], sides[(who & 1) ^ 1], in);
  }
  for (Side& s : sides) {
    while (s.depth > 0) {
      FUZZ_CHECK(codesync_doc_commit(s.doc->get()) == CODESYNC_OK);
      s.depth--;
    }
    CheckMirror(s);
  }
  // Sync until nothing changes: receiving formatting can make a doc delete
  // redundant format markers (as Yjs does), which the next round carries back.
  bool quiet = false;
  for (int round = 0; round < 5 && !quiet; round++) {
    std::string before = fuzz::Encode(a.get()) + fuzz::Encode(b.get());
    fuzz::Sync(a.get(), b.get());
    fuzz::Sync(b.get(), a.get());
    quiet = fuzz::Encode(a.get()) + fuzz::Encode(b.get()) == before;
  }
  FUZZ_CHECK(quiet);
  CheckMirror(sides[0]);
  CheckMirror(sides[1]);
  FUZZ_CHECK(sides[0].mirror.text == sides[1].mirror.text);
  FUZZ_CHECK(fuzz::ToJson(a.get()) == fuzz::ToJson(b.get()));
  FUZZ_CHECK(fuzz::StateVector(a.get()) == fuzz::StateVector(b.get()));
  FUZZ_CHECK(codesync_doc_has_pending(a.get()) == 0 && codesync_doc_has_pending(b.get()) == 0);
  {
    codesync_buffer da = {nullptr, 0}, db = {nullptr, 0};
    FUZZ_CHECK(codesync_text_to_delta(sides[0].text, &da) == CODESYNC_OK);
    FUZZ_CHECK(codesync_text_to_delta(sides[1].text, &db) == CODESYNC_OK);
    FUZZ_CHECK(fuzz::Take(&da) == fuzz::Take(&db));
  }
  for (codesync_subscription* s : subs) codesync_unobserve(s);
  return 0;
}
