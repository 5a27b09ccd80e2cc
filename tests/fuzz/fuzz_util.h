// Helpers shared by the fuzz targets. Targets use only the C API; a violated
// property aborts, which libFuzzer reports as a crash and the replay driver as
// a failed test.
#ifndef CODESYNC_TESTS_FUZZ_FUZZ_UTIL_H_
#define CODESYNC_TESTS_FUZZ_FUZZ_UTIL_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codesync.h"

#define FUZZ_CHECK(cond)                                                                        \
  do {                                                                                          \
    if (!(cond)) {                                                                              \
      std::fprintf(stderr, "%s:%d: property violated: %s (last error: %s)\n", __FILE__, __LINE__, \
                   #cond, codesync_last_error());                                               \
      std::abort();                                                                             \
    }                                                                                           \
  } while (0)

namespace fuzz {

// Owns a document.
class Doc {
 public:
  explicit Doc(uint64_t client, codesync_offset_kind kind = CODESYNC_OFFSET_UTF16) {
    codesync_doc_options opts;
    codesync_doc_options_init(&opts);
    opts.client_id = client;
    opts.offset_kind = kind;
    doc_ = codesync_doc_new(&opts);
    FUZZ_CHECK(doc_ != nullptr);
  }
  ~Doc() { codesync_doc_free(doc_); }
  Doc(const Doc&) = delete;
  Doc& operator=(const Doc&) = delete;
  codesync_doc* get() const { return doc_; }

  int Apply(std::string_view update) const {
    return codesync_doc_apply_update(doc_, reinterpret_cast<const uint8_t*>(update.data()), update.size());
  }

 private:
  codesync_doc* doc_;
};

// Takes the bytes out of a library buffer and frees it.
inline std::string Take(codesync_buffer* buf) {
  std::string s(buf->data ? reinterpret_cast<const char*>(buf->data) : "", buf->len);
  codesync_buffer_free(buf);
  return s;
}

inline std::string Encode(codesync_doc* doc) {
  codesync_buffer buf = {nullptr, 0};
  FUZZ_CHECK(codesync_doc_encode_update(doc, nullptr, 0, &buf) == CODESYNC_OK);
  return Take(&buf);
}

inline std::string StateVector(codesync_doc* doc) {
  codesync_buffer buf = {nullptr, 0};
  FUZZ_CHECK(codesync_doc_state_vector(doc, &buf) == CODESYNC_OK);
  return Take(&buf);
}

// JSON with object keys sorted at every level, so that documents whose maps
// learned their keys in different orders compare equal. Input is the
// library's own output: strings and numbers are kept verbatim.
inline bool CanonValue(std::string_view& in, std::string& out, int depth) {
  auto ws = [&in] {
    while (!in.empty() && (in[0] == ' ' || in[0] == '\n' || in[0] == '\t' || in[0] == '\r')) in.remove_prefix(1);
  };
  ws();
  if (in.empty() || depth > 600) return false;
  if (in[0] == '"') {
    size_t i = 1;
    while (i < in.size() && in[i] != '"') i += in[i] == '\\' ? 2 : 1;
    if (i >= in.size()) return false;
    out.append(in.substr(0, i + 1));
    in.remove_prefix(i + 1);
  } else if (in[0] == '[') {
    in.remove_prefix(1);
    out += '[';
    ws();
    if (!in.empty() && in[0] == ']') {
      in.remove_prefix(1);
    } else {
      for (bool first = true;; first = false) {
        if (!first) out += ',';
        if (!CanonValue(in, out, depth + 1)) return false;
        ws();
        if (in.empty()) return false;
        char c = in[0];
        in.remove_prefix(1);
        if (c == ']') break;
        if (c != ',') return false;
      }
    }
    out += ']';
  } else if (in[0] == '{') {
    in.remove_prefix(1);
    std::vector<std::pair<std::string, std::string>> members;
    ws();
    if (!in.empty() && in[0] == '}') {
      in.remove_prefix(1);
    } else {
      for (;;) {
        std::string key, value;
        if (!CanonValue(in, key, depth + 1) || key.empty() || key[0] != '"') return false;
        ws();
        if (in.empty() || in[0] != ':') return false;
        in.remove_prefix(1);
        if (!CanonValue(in, value, depth + 1)) return false;
        members.emplace_back(std::move(key), std::move(value));
        ws();
        if (in.empty()) return false;
        char c = in[0];
        in.remove_prefix(1);
        if (c == '}') break;
        if (c != ',') return false;
      }
    }
    std::sort(members.begin(), members.end());
    out += '{';
    for (size_t i = 0; i < members.size(); i++) {
      if (i) out += ',';
      out += members[i].first;
      out += ':';
      out += members[i].second;
    }
    out += '}';
  } else {
    size_t i = 0;
    while (i < in.size() && std::string_view("{}[],: \n\t\r\"").find(in[i]) == std::string_view::npos) i++;
    if (i == 0) return false;
    out.append(in.substr(0, i));
    in.remove_prefix(i);
  }
  return true;
}

inline std::string CanonJson(std::string_view json) {
  std::string out;
  std::string_view in = json;
  FUZZ_CHECK(CanonValue(in, out, 0));
  return out;
}

// The whole document as canonical JSON.
inline std::string ToJson(codesync_doc* doc) {
  codesync_buffer buf = {nullptr, 0};
  FUZZ_CHECK(codesync_doc_to_json(doc, &buf) == CODESYNC_OK);
  return CanonJson(Take(&buf));
}

inline std::string TextString(codesync_text* text) {
  codesync_buffer buf = {nullptr, 0};
  FUZZ_CHECK(codesync_text_string(text, &buf) == CODESYNC_OK);
  return Take(&buf);
}

// A rejected call must say why.
inline void CheckRejected(int rc, int expected) {
  if (rc != expected) std::fprintf(stderr, "got %d, expected %d\n", rc, expected);
  FUZZ_CHECK(rc == expected);
  const char* msg = codesync_last_error();
  FUZZ_CHECK(msg != nullptr && msg[0] != '\0');
}

// Sends what `to` lacks from `from` through a state vector diff.
inline void Sync(codesync_doc* from, codesync_doc* to) {
  std::string sv = StateVector(to);
  codesync_buffer diff = {nullptr, 0};
  FUZZ_CHECK(codesync_doc_encode_update(from, reinterpret_cast<const uint8_t*>(sv.data()), sv.size(), &diff) ==
             CODESYNC_OK);
  std::string d = Take(&diff);
  FUZZ_CHECK(codesync_doc_apply_update(to, reinterpret_cast<const uint8_t*>(d.data()), d.size()) == CODESYNC_OK);
}

// A document with content of every kind, so updates land among existing items.
inline void AddContent(codesync_doc* doc) {
  auto n = [](const char* s) { return std::string_view(s).size(); };
  codesync_text* t = codesync_doc_text(doc, "t");
  FUZZ_CHECK(t != nullptr);
  const char* hello = "hello \xf0\x9f\x98\x80 world";
  FUZZ_CHECK(codesync_text_insert(t, 0, hello, n(hello)) == CODESYNC_OK);
  const char* bold = "{\"bold\":true}";
  FUZZ_CHECK(codesync_text_format(t, 0, 5, bold, n(bold)) == CODESYNC_OK);
  FUZZ_CHECK(codesync_text_delete(t, 2, 2) == CODESYNC_OK);
  codesync_map* m = codesync_doc_map(doc, "m");
  FUZZ_CHECK(m != nullptr);
  const char* value = "[1,\"x\",{\"y\":null}]";
  FUZZ_CHECK(codesync_map_set_json(m, "k", value, n(value)) == CODESYNC_OK);
  FUZZ_CHECK(codesync_map_set_text(m, "nested") != nullptr);
  codesync_array* a = codesync_doc_array(doc, "a");
  FUZZ_CHECK(a != nullptr);
  const char* items = "[1,2,3]";
  FUZZ_CHECK(codesync_array_insert_json(a, 0, items, n(items)) == CODESYNC_OK);
  FUZZ_CHECK(codesync_array_delete(a, 1, 1) == CODESYNC_OK);
}

// Reads everything a client could read, to exercise the read paths on
// whatever state an update produced. Roots named by an update but typed
// differently here may be refused, but must not crash.
inline void ReadAll(codesync_doc* doc) {
  ToJson(doc);
  StateVector(doc);
  codesync_doc_has_pending(doc);
  if (codesync_text* t = codesync_doc_text(doc, "t")) {
    codesync_buffer buf = {nullptr, 0};
    if (codesync_text_to_delta(t, &buf) == CODESYNC_OK) codesync_buffer_free(&buf);
    TextString(t);
    codesync_text_length(t);
  }
  if (codesync_map* m = codesync_doc_map(doc, "m")) {
    codesync_buffer buf = {nullptr, 0};
    FUZZ_CHECK(codesync_map_to_json(m, &buf) == CODESYNC_OK);
    codesync_buffer_free(&buf);
    codesync_map_size(m);
  }
  if (codesync_array* a = codesync_doc_array(doc, "a")) {
    codesync_buffer buf = {nullptr, 0};
    FUZZ_CHECK(codesync_array_to_json(a, &buf) == CODESYNC_OK);
    codesync_buffer_free(&buf);
    codesync_array_length(a);
  }
}

}  // namespace fuzz

#endif  // CODESYNC_TESTS_FUZZ_FUZZ_UTIL_H_
