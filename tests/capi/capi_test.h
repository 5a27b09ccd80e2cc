/*
 * Shared helpers for the plain-C tests of include/codesync.h.
 *
 * Every test file is one executable: it includes this header once, runs its
 * checks and returns capi_finish(). CHECK* macros record a failure and go on;
 * REQUIRE* macros stop the program (for preconditions whose failure would
 * only cascade). Helpers are static inline so unused ones do not warn.
 */
#ifndef CODESYNC_TESTS_CAPI_TEST_H_
#define CODESYNC_TESTS_CAPI_TEST_H_

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codesync.h"

static int capi_checks = 0;
static int capi_failed = 0;

#define CAPI_FAIL_(...)                                 \
  do {                                                  \
    fprintf(stderr, "%s:%d: FAILED: ", __FILE__, __LINE__); \
    fprintf(stderr, __VA_ARGS__);                       \
    fputc('\n', stderr);                                \
    capi_failed++;                                      \
  } while (0)

#define CHECK(cond)                                     \
  do {                                                  \
    capi_checks++;                                      \
    if (!(cond)) CAPI_FAIL_("%s", #cond);               \
  } while (0)

#define REQUIRE(cond)                                   \
  do {                                                  \
    capi_checks++;                                      \
    if (!(cond)) {                                      \
      CAPI_FAIL_("required: %s", #cond);                \
      exit(1);                                          \
    }                                                   \
  } while (0)

#define CHECK_EQ_LL(a, b)                                                        \
  do {                                                                           \
    long long capi_a_ = (long long)(a), capi_b_ = (long long)(b);                \
    capi_checks++;                                                               \
    if (capi_a_ != capi_b_) CAPI_FAIL_("%s == %s (%lld vs %lld)", #a, #b, capi_a_, capi_b_); \
  } while (0)

/* A call that must succeed; prints the code and codesync_last_error(). */
#define CHECK_OK(expr)                                                                   \
  do {                                                                                   \
    int capi_rc_ = (expr);                                                               \
    capi_checks++;                                                                       \
    if (capi_rc_ != CODESYNC_OK)                                                         \
      CAPI_FAIL_("%s returned %d (%s)", #expr, capi_rc_, codesync_last_error());         \
  } while (0)

#define REQUIRE_OK(expr)                                                                 \
  do {                                                                                   \
    int capi_rc_ = (expr);                                                               \
    capi_checks++;                                                                       \
    if (capi_rc_ != CODESYNC_OK) {                                                       \
      CAPI_FAIL_("%s returned %d (%s)", #expr, capi_rc_, codesync_last_error());         \
      exit(1);                                                                           \
    }                                                                                    \
  } while (0)

/* A call that must fail with `code` and leave a message in codesync_last_error(). */
#define CHECK_ERR(code, expr)                                                            \
  do {                                                                                   \
    int capi_rc_ = (expr);                                                               \
    const char *capi_msg_ = codesync_last_error();                                       \
    capi_checks++;                                                                       \
    if (capi_rc_ != (code))                                                              \
      CAPI_FAIL_("%s returned %d, expected %s (%d)", #expr, capi_rc_, #code, (int)(code)); \
    else if (capi_msg_ == NULL || capi_msg_[0] == '\0')                                  \
      CAPI_FAIL_("%s failed but codesync_last_error() is empty", #expr);                 \
  } while (0)

#define CHECK_STREQ(actual, expected)                                                   \
  do {                                                                                  \
    const char *capi_x_ = (actual), *capi_y_ = (expected);                              \
    capi_checks++;                                                                      \
    if (capi_x_ == NULL || capi_y_ == NULL || strcmp(capi_x_, capi_y_) != 0)            \
      CAPI_FAIL_("%s == %s (\"%s\" vs \"%s\")", #actual, #expected,                     \
                 capi_x_ ? capi_x_ : "(null)", capi_y_ ? capi_y_ : "(null)");           \
  } while (0)

/* The text's content equals `expected` (UTF-8). */
#define CHECK_TEXT(text, expected)                                                      \
  do {                                                                                  \
    codesync_buffer capi_buf_ = {0, 0};                                                 \
    int capi_rc_ = codesync_text_string((text), &capi_buf_);                            \
    capi_checks++;                                                                      \
    if (capi_rc_ != CODESYNC_OK)                                                        \
      CAPI_FAIL_("codesync_text_string(%s) returned %d", #text, capi_rc_);              \
    else if (capi_buf_.len != strlen(expected) ||                                       \
             memcmp(capi_buf_.data, (expected), capi_buf_.len) != 0)                    \
      CAPI_FAIL_("text %s is \"%s\", expected \"%s\"", #text, (const char *)capi_buf_.data, \
                 (expected));                                                           \
    else if (capi_buf_.data[capi_buf_.len] != '\0')                                     \
      CAPI_FAIL_("text buffer of %s is not NUL-terminated", #text);                     \
    codesync_buffer_free(&capi_buf_);                                                   \
  } while (0)

static inline int capi_finish(const char *name) {
  printf("%s: %d checks, %d failed\n", name, capi_checks, capi_failed);
  return capi_failed == 0 ? 0 : 1;
}

/* ---- documents ---------------------------------------------------------- */

static inline codesync_doc *new_doc(uint64_t client_id, codesync_offset_kind kind) {
  codesync_doc_options opts;
  codesync_doc *doc;
  codesync_doc_options_init(&opts);
  opts.client_id = client_id;
  opts.offset_kind = kind;
  doc = codesync_doc_new(&opts);
  if (doc == NULL) {
    fprintf(stderr, "codesync_doc_new failed: %s\n", codesync_last_error());
    exit(1);
  }
  return doc;
}

/* The whole state as an update; exits on failure (the doc is unusable then). */
static inline codesync_buffer encode_state(codesync_doc *doc) {
  codesync_buffer out = {0, 0};
  int rc = codesync_doc_encode_update(doc, NULL, 0, &out);
  if (rc != CODESYNC_OK) {
    fprintf(stderr, "codesync_doc_encode_update failed: %d %s\n", rc, codesync_last_error());
    exit(1);
  }
  return out;
}

static inline codesync_buffer state_vector(codesync_doc *doc) {
  codesync_buffer out = {0, 0};
  int rc = codesync_doc_state_vector(doc, &out);
  if (rc != CODESYNC_OK) {
    fprintf(stderr, "codesync_doc_state_vector failed: %d %s\n", rc, codesync_last_error());
    exit(1);
  }
  return out;
}

static inline int buffers_equal(const codesync_buffer *a, const codesync_buffer *b) {
  return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static inline char *text_dup(codesync_text *text) {
  codesync_buffer buf = {0, 0};
  char *s;
  if (codesync_text_string(text, &buf) != CODESYNC_OK) return NULL;
  s = (char *)malloc(buf.len + 1);
  memcpy(s, buf.data, buf.len);
  s[buf.len] = '\0';
  codesync_buffer_free(&buf);
  return s;
}

/* Sends what `to` lacks from `from`, via `to`'s state vector. */
static inline int sync_one_way(codesync_doc *from, codesync_doc *to) {
  codesync_buffer sv = state_vector(to);
  codesync_buffer diff = {0, 0};
  int rc = codesync_doc_encode_update(from, sv.data, sv.len, &diff);
  if (rc == CODESYNC_OK) rc = codesync_doc_apply_update(to, diff.data, diff.len);
  codesync_buffer_free(&sv);
  codesync_buffer_free(&diff);
  return rc;
}

static inline int sync_both(codesync_doc *a, codesync_doc *b) {
  int rc = sync_one_way(a, b);
  if (rc == CODESYNC_OK) rc = sync_one_way(b, a);
  return rc;
}

/* Snapshot of a document's observable state, to prove a failed call changed nothing. */
typedef struct doc_snapshot {
  codesync_buffer update;
  codesync_buffer sv;
} doc_snapshot;

static inline doc_snapshot take_snapshot(codesync_doc *doc) {
  doc_snapshot s;
  s.update = encode_state(doc);
  s.sv = state_vector(doc);
  return s;
}

static inline int snapshot_unchanged(codesync_doc *doc, const doc_snapshot *s) {
  doc_snapshot now = take_snapshot(doc);
  int same = buffers_equal(&now.update, &s->update) && buffers_equal(&now.sv, &s->sv);
  codesync_buffer_free(&now.update);
  codesync_buffer_free(&now.sv);
  return same;
}

static inline void free_snapshot(doc_snapshot *s) {
  codesync_buffer_free(&s->update);
  codesync_buffer_free(&s->sv);
}

/* ---- lib0 varints and state vectors (parsed independently of the library) ---- */

/* Reads a lib0 varUint; returns 0 on truncation. */
static inline int read_varuint(const uint8_t **p, const uint8_t *end, uint64_t *out) {
  uint64_t v = 0;
  int shift = 0;
  while (*p < end && shift < 64) {
    uint8_t b = *(*p)++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = v;
      return 1;
    }
    shift += 7;
  }
  return 0;
}

/* The clock of `client` in an encoded state vector; 0 when absent, -1 when malformed. */
static inline long long sv_clock(const codesync_buffer *sv, uint64_t client) {
  const uint8_t *p = sv->data, *end = sv->data + sv->len;
  uint64_t n, i, c, clock;
  long long found = 0;
  if (!read_varuint(&p, end, &n)) return -1;
  for (i = 0; i < n; i++) {
    if (!read_varuint(&p, end, &c) || !read_varuint(&p, end, &clock)) return -1;
    if (c == client) found = (long long)clock;
  }
  return p == end ? found : -1;
}

static inline long long sv_count(const codesync_buffer *sv) {
  const uint8_t *p = sv->data, *end = sv->data + sv->len;
  uint64_t n;
  if (!read_varuint(&p, end, &n)) return -1;
  return (long long)n;
}

/* ---- UTF-8 and offset units --------------------------------------------- */

/* Length in bytes of the UTF-8 sequence that starts with lead byte b. */
static inline size_t utf8_seq_len(unsigned char b) {
  if (b < 0x80) return 1;
  if (b >= 0xf0) return 4;
  if (b >= 0xe0) return 3;
  return 2;
}

/* Units one character of `seq_len` UTF-8 bytes takes in `kind`. */
static inline size_t units_of_char(size_t seq_len, codesync_offset_kind kind) {
  switch (kind) {
    case CODESYNC_OFFSET_UTF8: return seq_len;
    case CODESYNC_OFFSET_CODEPOINT: return 1;
    default: return seq_len == 4 ? 2 : 1;
  }
}

/* Units of a valid UTF-8 string in `kind`. */
static inline size_t utf8_units(const char *s, size_t len, codesync_offset_kind kind) {
  size_t i = 0, units = 0;
  while (i < len) {
    size_t n = utf8_seq_len((unsigned char)s[i]);
    units += units_of_char(n, kind);
    i += n;
  }
  return units;
}

/* Byte offset of unit offset `units` counted from byte `from`; (size_t)-1 if it
 * splits a character or runs past len. */
static inline size_t utf8_advance(const char *s, size_t len, size_t from, size_t units,
                                  codesync_offset_kind kind) {
  size_t i = from;
  while (units > 0) {
    size_t n, u;
    if (i >= len) return (size_t)-1;
    n = utf8_seq_len((unsigned char)s[i]);
    u = units_of_char(n, kind);
    if (u > units) return (size_t)-1;
    units -= u;
    i += n;
  }
  return i;
}

/* Byte offset of the start of the `chars`-th character. */
static inline size_t utf8_char_offset(const char *s, size_t len, size_t chars) {
  size_t i = 0;
  while (chars > 0 && i < len) {
    i += utf8_seq_len((unsigned char)s[i]);
    chars--;
  }
  return i;
}

static inline size_t utf8_char_count(const char *s, size_t len) {
  return utf8_units(s, len, CODESYNC_OFFSET_CODEPOINT);
}

/* ---- growable byte string ----------------------------------------------- */

typedef struct strbuf {
  char *data;
  size_t len;
  size_t cap;
} strbuf;

static inline void strbuf_reserve(strbuf *b, size_t extra) {
  if (b->len + extra + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) cap *= 2;
    b->data = (char *)realloc(b->data, cap);
    if (b->data == NULL) exit(2);
    b->cap = cap;
  }
}

static inline void strbuf_insert(strbuf *b, size_t at, const char *s, size_t n) {
  strbuf_reserve(b, n);
  memmove(b->data + at + n, b->data + at, b->len - at);
  memcpy(b->data + at, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

static inline void strbuf_erase(strbuf *b, size_t at, size_t n) {
  memmove(b->data + at, b->data + at + n, b->len - at - n);
  b->len -= n;
  if (b->data) b->data[b->len] = '\0';
}

static inline void strbuf_append(strbuf *b, const char *s, size_t n) { strbuf_insert(b, b->len, s, n); }

static inline void strbuf_free(strbuf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

/* ---- deterministic PRNG (xorshift64*) ----------------------------------- */

static inline uint64_t rng_next(uint64_t *state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1DULL;
}

static inline size_t rng_below(uint64_t *state, size_t n) { return n ? (size_t)(rng_next(state) % n) : 0; }

/* ---- canonical JSON: whitespace-free, object keys sorted, strings re-escaped
 * as JSON.stringify writes them; numbers and literals kept as written. Used to
 * compare library JSON with expectations without depending on key order or
 * spacing. Returns NULL on a parse error. ------------------------------------ */

typedef struct json_member_ {
  char *key; /* canonical string token, quotes included */
  char *value;
} json_member_;

static inline const char *json_ws_(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

static inline int json_hex4_(const char *p, const char *end, unsigned *out) {
  unsigned v = 0;
  int i;
  if (end - p < 4) return 0;
  for (i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return 0;
  }
  *out = v;
  return 1;
}

static inline void json_put_cp_(strbuf *out, unsigned cp) {
  char tmp[4];
  size_t n;
  if (cp < 0x80) { tmp[0] = (char)cp; n = 1; }
  else if (cp < 0x800) { tmp[0] = (char)(0xc0 | (cp >> 6)); tmp[1] = (char)(0x80 | (cp & 0x3f)); n = 2; }
  else if (cp < 0x10000) {
    tmp[0] = (char)(0xe0 | (cp >> 12)); tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    tmp[2] = (char)(0x80 | (cp & 0x3f)); n = 3;
  } else {
    tmp[0] = (char)(0xf0 | (cp >> 18)); tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); tmp[3] = (char)(0x80 | (cp & 0x3f)); n = 4;
  }
  strbuf_append(out, tmp, n);
}

/* Parses a string token at *pp (on the opening quote) and appends its canonical form. */
static inline int json_string_(const char **pp, const char *end, strbuf *out) {
  const char *p = *pp + 1;
  strbuf_append(out, "\"", 1);
  while (p < end && *p != '"') {
    unsigned char c = (unsigned char)*p;
    unsigned cp;
    if (c < 0x20) return 0;
    if (c == '\\') {
      if (++p >= end) return 0;
      switch (*p) {
        case '"': cp = '"'; break;
        case '\\': cp = '\\'; break;
        case '/': cp = '/'; break;
        case 'b': cp = 8; break;
        case 'f': cp = 12; break;
        case 'n': cp = 10; break;
        case 'r': cp = 13; break;
        case 't': cp = 9; break;
        case 'u': {
          if (!json_hex4_(p + 1, end, &cp)) return 0;
          p += 4;
          if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 7 && p[1] == '\\' && p[2] == 'u') {
            unsigned lo;
            if (json_hex4_(p + 3, end, &lo) && lo >= 0xdc00 && lo < 0xe000) {
              cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
              p += 6;
            }
          }
          break;
        }
        default: return 0;
      }
      p++;
    } else {
      size_t n = utf8_seq_len(c);
      if ((size_t)(end - p) < n) return 0;
      strbuf_append(out, p, n);
      p += n;
      continue;
    }
    /* Re-escape as JSON.stringify does. */
    if (cp == '"') strbuf_append(out, "\\\"", 2);
    else if (cp == '\\') strbuf_append(out, "\\\\", 2);
    else if (cp == 8) strbuf_append(out, "\\b", 2);
    else if (cp == 12) strbuf_append(out, "\\f", 2);
    else if (cp == 10) strbuf_append(out, "\\n", 2);
    else if (cp == 13) strbuf_append(out, "\\r", 2);
    else if (cp == 9) strbuf_append(out, "\\t", 2);
    else if (cp < 0x20 || (cp >= 0xd800 && cp < 0xe000)) {
      char esc[8];
      snprintf(esc, sizeof esc, "\\u%04x", cp);
      strbuf_append(out, esc, 6);
    } else {
      json_put_cp_(out, cp);
    }
  }
  if (p >= end) return 0;
  strbuf_append(out, "\"", 1);
  *pp = p + 1;
  return 1;
}

static inline int json_value_(const char **pp, const char *end, strbuf *out, int depth);

static inline int json_member_cmp_(const void *a, const void *b) {
  return strcmp(((const json_member_ *)a)->key, ((const json_member_ *)b)->key);
}

static inline int json_value_(const char **pp, const char *end, strbuf *out, int depth) {
  const char *p = json_ws_(*pp, end);
  if (p >= end || depth > 64) return 0;
  if (*p == '"') {
    if (!json_string_(&p, end, out)) return 0;
  } else if (*p == '[') {
    int first = 1;
    strbuf_append(out, "[", 1);
    p = json_ws_(p + 1, end);
    if (p < end && *p == ']') {
      p++;
    } else {
      for (;;) {
        if (!first) strbuf_append(out, ",", 1);
        first = 0;
        if (!json_value_(&p, end, out, depth + 1)) return 0;
        p = json_ws_(p, end);
        if (p < end && *p == ',') { p++; continue; }
        if (p < end && *p == ']') { p++; break; }
        return 0;
      }
    }
    strbuf_append(out, "]", 1);
  } else if (*p == '{') {
    json_member_ *members = NULL;
    size_t n = 0, i;
    int ok = 1;
    p = json_ws_(p + 1, end);
    if (p < end && *p == '}') {
      p++;
    } else {
      for (;;) {
        strbuf k = {0, 0, 0}, v = {0, 0, 0};
        p = json_ws_(p, end);
        if (p >= end || *p != '"' || !json_string_(&p, end, &k)) { ok = 0; strbuf_free(&k); break; }
        p = json_ws_(p, end);
        if (p >= end || *p != ':') { ok = 0; strbuf_free(&k); break; }
        p++;
        if (!json_value_(&p, end, &v, depth + 1)) { ok = 0; strbuf_free(&k); strbuf_free(&v); break; }
        members = (json_member_ *)realloc(members, (n + 1) * sizeof *members);
        members[n].key = k.data;
        members[n].value = v.data;
        n++;
        p = json_ws_(p, end);
        if (p < end && *p == ',') { p++; continue; }
        if (p < end && *p == '}') { p++; break; }
        ok = 0;
        break;
      }
    }
    if (ok) {
      if (n > 1) qsort(members, n, sizeof *members, json_member_cmp_);
      strbuf_append(out, "{", 1);
      for (i = 0; i < n; i++) {
        if (i) strbuf_append(out, ",", 1);
        strbuf_append(out, members[i].key, strlen(members[i].key));
        strbuf_append(out, ":", 1);
        strbuf_append(out, members[i].value, strlen(members[i].value));
      }
      strbuf_append(out, "}", 1);
    }
    for (i = 0; i < n; i++) {
      free(members[i].key);
      free(members[i].value);
    }
    free(members);
    if (!ok) return 0;
  } else {
    /* number or literal: copy the token verbatim */
    const char *start = p;
    while (p < end && (*p == '-' || *p == '+' || *p == '.' || (*p >= '0' && *p <= '9') ||
                       (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
      p++;
    if (p == start) return 0;
    strbuf_append(out, start, (size_t)(p - start));
  }
  *pp = p;
  return 1;
}

/* Canonical form of a JSON text (malloc'd), or NULL when it does not parse. */
static inline char *json_canon(const char *json, size_t len) {
  strbuf out = {0, 0, 0};
  const char *p = json, *end = json + len;
  if (!json_value_(&p, end, &out, 0) || json_ws_(p, end) != end) {
    strbuf_free(&out);
    return NULL;
  }
  if (out.data == NULL) strbuf_append(&out, "", 0);
  return out.data;
}

/* JSON equality modulo whitespace and object key order. */
#define CHECK_JSON_BUF(buf, expected)                                                    \
  do {                                                                                   \
    const char *capi_exp_ = (expected);                                                  \
    char *capi_ca_ = json_canon((const char *)(buf).data, (buf).len);                    \
    char *capi_cb_ = json_canon(capi_exp_, strlen(capi_exp_));                           \
    capi_checks++;                                                                       \
    if (capi_cb_ == NULL) CAPI_FAIL_("bad expected JSON %s", capi_exp_);                 \
    else if (capi_ca_ == NULL || strcmp(capi_ca_, capi_cb_) != 0)                        \
      CAPI_FAIL_("%s is %.*s, expected %s", #buf, (int)(buf).len,                        \
                 (buf).data ? (const char *)(buf).data : "(null)", capi_exp_);           \
    free(capi_ca_);                                                                      \
    free(capi_cb_);                                                                      \
  } while (0)

/* Runs `call` (which fills codesync_buffer out) and compares its JSON. */
#define CHECK_JSON_CALL(call_with_out, expected)                                         \
  do {                                                                                   \
    codesync_buffer out = {0, 0};                                                        \
    int capi_rc2_ = (call_with_out);                                                     \
    capi_checks++;                                                                       \
    if (capi_rc2_ != CODESYNC_OK)                                                        \
      CAPI_FAIL_("%s returned %d (%s)", #call_with_out, capi_rc2_, codesync_last_error()); \
    else                                                                                 \
      CHECK_JSON_BUF(out, expected);                                                     \
    codesync_buffer_free(&out);                                                          \
  } while (0)

#endif /* CODESYNC_TESTS_CAPI_TEST_H_ */
