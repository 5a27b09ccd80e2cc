/* Version, options, document lifetime, client ids, buffers, error strings, root types. */
#include "capi_test.h"

static void test_last_error_initially_empty(void) {
  /* Must run before anything can fail on this thread. */
  const char *msg = codesync_last_error();
  REQUIRE(msg != NULL);
  CHECK_STREQ(msg, "");
}

static void test_version(void) {
  char expected[32];
  snprintf(expected, sizeof expected, "%d.%d.%d", CODESYNC_VERSION_MAJOR, CODESYNC_VERSION_MINOR,
           CODESYNC_VERSION_PATCH);
  CHECK_STREQ(codesync_version(), expected);
  CHECK_EQ_LL(codesync_version_number(), CODESYNC_VERSION_NUMBER);
  CHECK_EQ_LL(CODESYNC_VERSION_NUMBER, 100); /* 0.1.0 */
}

static void test_options_defaults(void) {
  codesync_doc_options opts;
  memset(&opts, 0xab, sizeof opts); /* init must overwrite every field */
  codesync_doc_options_init(&opts);
  CHECK_EQ_LL(opts.client_id, 0);
  CHECK_EQ_LL(opts.gc, 1);
  CHECK_EQ_LL(opts.offset_kind, CODESYNC_OFFSET_UTF16);
}

static void test_doc_lifetime_and_client_id(void) {
  codesync_doc_options opts;
  codesync_doc *a, *b, *c, *big;
  uint64_t ida, idb;

  codesync_doc_free(NULL); /* NULL safe */

  a = codesync_doc_new(NULL);
  b = codesync_doc_new(NULL);
  REQUIRE(a != NULL && b != NULL);
  ida = codesync_doc_client_id(a);
  idb = codesync_doc_client_id(b);
  /* Random ids are 32-bit, as in Yjs; two draws colliding is a 1 in 2^32 event. */
  CHECK(ida <= 0xffffffffULL);
  CHECK(idb <= 0xffffffffULL);
  CHECK(ida != idb);

  codesync_doc_options_init(&opts);
  opts.client_id = 42;
  c = codesync_doc_new(&opts);
  REQUIRE(c != NULL);
  CHECK_EQ_LL(codesync_doc_client_id(c), 42);

  /* Ids beyond 32 bits are kept whole (stored as uint64) and survive the wire. */
  opts.client_id = 0x123456789aULL;
  big = codesync_doc_new(&opts);
  REQUIRE(big != NULL);
  CHECK(codesync_doc_client_id(big) == 0x123456789aULL);
  {
    codesync_text *t = codesync_doc_text(big, "t");
    codesync_buffer u, sv;
    codesync_doc *other = new_doc(7, CODESYNC_OFFSET_UTF16);
    REQUIRE(t != NULL);
    CHECK_OK(codesync_text_insert(t, 0, "hey", 3));
    u = encode_state(big);
    CHECK_OK(codesync_doc_apply_update(other, u.data, u.len));
    sv = state_vector(other);
    CHECK_EQ_LL(sv_count(&sv), 1);
    CHECK_EQ_LL(sv_clock(&sv, 0x123456789aULL), 3);
    CHECK_TEXT(codesync_doc_text(other, "t"), "hey");
    codesync_buffer_free(&u);
    codesync_buffer_free(&sv);
    codesync_doc_free(other);
  }

  codesync_doc_free(a);
  codesync_doc_free(b);
  codesync_doc_free(c);
  codesync_doc_free(big);
}

static void test_buffers(void) {
  codesync_buffer zero = {0, 0};
  codesync_buffer_free(NULL);
  codesync_buffer_free(&zero);
  CHECK(zero.data == NULL && zero.len == 0);
  codesync_buffer_free(&zero); /* twice is fine too */
  codesync_unobserve(NULL);

  {
    codesync_doc *doc = new_doc(1, CODESYNC_OFFSET_UTF16);
    codesync_buffer u = encode_state(doc);
    CHECK(u.data != NULL);
    codesync_buffer_free(&u);
    CHECK(u.data == NULL); /* zeroes the struct */
    CHECK_EQ_LL(u.len, 0);
    codesync_doc_free(doc);
  }
}

static void test_strerror(void) {
  static const int codes[] = {CODESYNC_OK,
                              CODESYNC_ERR_INVALID_ARGUMENT,
                              CODESYNC_ERR_MALFORMED,
                              CODESYNC_ERR_OUT_OF_RANGE,
                              CODESYNC_ERR_TYPE_MISMATCH,
                              CODESYNC_ERR_NO_MEMORY,
                              CODESYNC_ERR_BUSY,
                              CODESYNC_ERR_INTERNAL};
  const size_t n = sizeof codes / sizeof codes[0];
  size_t i, j;
  /* Pinned values: changing one breaks every compiled caller. */
  CHECK_EQ_LL(CODESYNC_OK, 0);
  CHECK_EQ_LL(CODESYNC_ERR_INVALID_ARGUMENT, -1);
  CHECK_EQ_LL(CODESYNC_ERR_MALFORMED, -2);
  CHECK_EQ_LL(CODESYNC_ERR_OUT_OF_RANGE, -3);
  CHECK_EQ_LL(CODESYNC_ERR_TYPE_MISMATCH, -4);
  CHECK_EQ_LL(CODESYNC_ERR_NO_MEMORY, -5);
  CHECK_EQ_LL(CODESYNC_ERR_BUSY, -6);
  CHECK_EQ_LL(CODESYNC_ERR_INTERNAL, -7);
  for (i = 0; i < n; i++) {
    const char *s = codesync_strerror(codes[i]);
    CHECK(s != NULL && s[0] != '\0');
    for (j = 0; j < i; j++) {
      const char *t = codesync_strerror(codes[j]);
      if (s && t) CHECK(strcmp(s, t) != 0); /* each code has its own message */
    }
  }
  CHECK(strstr(codesync_strerror(CODESYNC_ERR_MALFORMED), "malformed") != NULL);
  /* Unknown codes still give a usable string. */
  CHECK(codesync_strerror(-1000) != NULL && codesync_strerror(-1000)[0] != '\0');
  CHECK(codesync_strerror(5) != NULL);
}

static void test_empty_doc_encoding(void) {
  codesync_doc *doc = new_doc(5, CODESYNC_OFFSET_UTF16);
  codesync_buffer u = encode_state(doc), sv = state_vector(doc);
  /* Yjs: an empty update is [0, 0] and an empty state vector is [0]. */
  CHECK_EQ_LL(u.len, 2);
  if (u.len == 2) CHECK(u.data[0] == 0 && u.data[1] == 0);
  CHECK_EQ_LL(sv.len, 1);
  if (sv.len == 1) CHECK(sv.data[0] == 0);
  CHECK(u.data[u.len] == 0); /* NUL after the bytes */
  CHECK_EQ_LL(codesync_doc_has_pending(doc), 0);
  codesync_buffer_free(&u);
  codesync_buffer_free(&sv);
  codesync_doc_free(doc);
}

static void test_root_types(void) {
  codesync_doc *doc = new_doc(3, CODESYNC_OFFSET_UTF16);
  codesync_text *t1 = codesync_doc_text(doc, "t");
  codesync_text *t2 = codesync_doc_text(doc, "t");
  codesync_map *m = codesync_doc_map(doc, "m");
  codesync_array *a = codesync_doc_array(doc, "a");
  doc_snapshot snap;
  CHECK(t1 != NULL);
  CHECK(t1 == t2); /* same root, same borrowed handle */
  CHECK(m != NULL && a != NULL);
  CHECK(codesync_doc_map(doc, "m") == m);
  CHECK(codesync_doc_array(doc, "a") == a);
  CHECK_EQ_LL(codesync_text_length(t1), 0);
  CHECK_EQ_LL(codesync_map_size(m), 0);
  CHECK_EQ_LL(codesync_array_length(a), 0);

  snap = take_snapshot(doc);
  /* A name already used by another kind of root. */
  CHECK(codesync_doc_map(doc, "t") == NULL);
  CHECK(codesync_last_error()[0] != '\0');
  CHECK(codesync_doc_text(doc, "m") == NULL);
  CHECK(codesync_doc_array(doc, "t") == NULL);
  CHECK(codesync_doc_text(doc, NULL) == NULL);
  CHECK(codesync_last_error()[0] != '\0');
  CHECK(snapshot_unchanged(doc, &snap));
  free_snapshot(&snap);

  /* Creating roots emits nothing on the wire: the empty doc encodes as [0,0]. */
  {
    codesync_buffer u = encode_state(doc);
    CHECK_EQ_LL(u.len, 2);
    codesync_buffer_free(&u);
  }
  CHECK_JSON_CALL(codesync_doc_to_json(doc, &out), "{\"t\":\"\",\"m\":{},\"a\":[]}");
  codesync_doc_free(doc);
}

static void test_utf16_clock(void) {
  /* Clocks count UTF-16 code units whatever the offset kind. */
  codesync_offset_kind kinds[3] = {CODESYNC_OFFSET_UTF16, CODESYNC_OFFSET_UTF8, CODESYNC_OFFSET_CODEPOINT};
  int k;
  for (k = 0; k < 3; k++) {
    codesync_doc *doc = new_doc(9, kinds[k]);
    codesync_text *t = codesync_doc_text(doc, "t");
    codesync_buffer sv;
    CHECK_OK(codesync_text_insert(t, 0, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10)); /* aé€😀 */
    sv = state_vector(doc);
    CHECK_EQ_LL(sv_count(&sv), 1);
    CHECK_EQ_LL(sv_clock(&sv, 9), 5);
    codesync_buffer_free(&sv);
    codesync_doc_free(doc);
  }
}

static void test_yjs_bytes(void) {
  /* Produced by yjs 13.6: doc.clientID = 1; getText('t').insert(0, 'AB'). */
  static const uint8_t kYjsAB[] = {1, 1, 1, 0, 4, 1, 1, 't', 2, 'A', 'B', 0};
  /* ... then insert(1, 'x'): three structs, the last with both origins. */
  static const uint8_t kYjsAxB[] = {1, 3, 1, 0, 4, 1, 1, 116, 1, 65, 132, 1, 0,
                                    1, 66, 196, 1, 0, 1, 1, 1, 120, 0};
  codesync_doc *doc = new_doc(2, CODESYNC_OFFSET_UTF16);
  codesync_doc *own = new_doc(1, CODESYNC_OFFSET_UTF16);
  codesync_buffer u;
  CHECK_OK(codesync_doc_apply_update(doc, kYjsAB, sizeof kYjsAB));
  CHECK_TEXT(codesync_doc_text(doc, "t"), "AB");
  CHECK_OK(codesync_doc_apply_update(doc, kYjsAxB, sizeof kYjsAxB));
  CHECK_TEXT(codesync_doc_text(doc, "t"), "AxB");

  /* The same edit made locally encodes to the same bytes. */
  CHECK_OK(codesync_text_insert(codesync_doc_text(own, "t"), 0, "AB", 2));
  u = encode_state(own);
  CHECK(u.len == sizeof kYjsAB && memcmp(u.data, kYjsAB, u.len) == 0);
  codesync_buffer_free(&u);
  codesync_doc_free(doc);
  codesync_doc_free(own);
}

int main(void) {
  test_last_error_initially_empty();
  test_version();
  test_options_defaults();
  test_doc_lifetime_and_client_id();
  test_buffers();
  test_strerror();
  test_empty_doc_encoding();
  test_root_types();
  test_utf16_clock();
  test_yjs_bytes();
  return capi_finish("capi.basics");
}
