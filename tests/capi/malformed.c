/* Malformed input: every rejected call returns the right code, sets
 * codesync_last_error() and leaves the document byte-identical. */
#include "capi_test.h"

/* Which code each kind of bad input gets. Bytes from the wire (updates, state
 * vectors) are MALFORMED; an argument that is not valid UTF-8 or not valid
 * JSON, or a NULL where a pointer is needed, is an INVALID_ARGUMENT; an index
 * past the end or inside a character is OUT_OF_RANGE. */
#define ERR_BAD_UPDATE CODESYNC_ERR_MALFORMED
#define ERR_BAD_JSON CODESYNC_ERR_INVALID_ARGUMENT
#define ERR_BAD_UTF8_ARG CODESYNC_ERR_INVALID_ARGUMENT

/* Fails the check unless `expr` returns `code`, sets a message and leaves `doc` unchanged. */
#define CHECK_REJECTED(doc, code, expr)                                          \
  do {                                                                           \
    doc_snapshot snap_ = take_snapshot(doc);                                     \
    CHECK_ERR(code, expr);                                                       \
    CHECK(snapshot_unchanged(doc, &snap_));                                      \
    free_snapshot(&snap_);                                                       \
  } while (0)

/* A document with one of everything: text with astral chars, formatting and an
 * embed, deletions, a map with nested types, an array. */
static codesync_doc *rich_doc(uint64_t client) {
  codesync_doc *doc = new_doc(client, CODESYNC_OFFSET_UTF16);
  codesync_text *t = codesync_doc_text(doc, "t");
  codesync_map *m = codesync_doc_map(doc, "m");
  codesync_array *a = codesync_doc_array(doc, "a");
  codesync_text *nt;
  REQUIRE_OK(codesync_text_insert(t, 0, "hello \xf0\x9f\x98\x80 world", 16));
  REQUIRE_OK(codesync_text_format(t, 0, 5, "{\"bold\":true}", 13));
  REQUIRE_OK(codesync_text_insert_embed(t, 6, "{\"img\":1}", 9));
  REQUIRE_OK(codesync_text_delete(t, 1, 2));
  REQUIRE_OK(codesync_map_set_json(m, "n", "1.25", 4));
  REQUIRE_OK(codesync_map_set_json(m, "s", "\"str\"", 5));
  REQUIRE_OK(codesync_map_set_json(m, "s", "[null,false,{\"x\":-3}]", 21));
  nt = codesync_map_set_text(m, "nested");
  REQUIRE(nt != NULL);
  REQUIRE_OK(codesync_text_insert(nt, 0, "in", 2));
  REQUIRE_OK(codesync_array_insert_json(a, 0, "[1,2,3,\"four\"]", 14));
  REQUIRE_OK(codesync_array_delete(a, 1, 1));
  REQUIRE(codesync_array_insert_map(a, 1) != NULL);
  return doc;
}

static void test_truncations(void) {
  codesync_doc *src = rich_doc(5);
  codesync_buffer u = encode_state(src);
  codesync_doc *fresh = new_doc(7, CODESYNC_OFFSET_UTF16);
  codesync_doc *busy = rich_doc(8);
  size_t cut;
  int before = capi_failed;
  REQUIRE(u.len > 40);
  /* The whole update is fine. */
  {
    codesync_doc *ok = new_doc(9, CODESYNC_OFFSET_UTF16);
    CHECK_OK(codesync_doc_apply_update(ok, u.data, u.len));
    CHECK_TEXT(codesync_doc_text(ok, "t"), "hlo \xf0\x9f\x98\x80 world"); /* embed not in string */
    codesync_doc_free(ok);
  }
  for (cut = 0; cut < u.len && capi_failed - before < 10; cut++) {
    uint8_t *copy = (uint8_t *)malloc(cut + 1); /* exact-size copy so ASan sees overreads */
    memcpy(copy, u.data, cut);
    CHECK_REJECTED(fresh, ERR_BAD_UPDATE, codesync_doc_apply_update(fresh, copy, cut));
    CHECK_REJECTED(busy, ERR_BAD_UPDATE, codesync_doc_apply_update(busy, copy, cut));
    CHECK_REJECTED(busy, ERR_BAD_UPDATE, codesync_doc_apply_update_with_origin(busy, copy, cut, "o"));
    {
      codesync_buffer sv = {0, 0};
      CHECK_ERR(ERR_BAD_UPDATE, codesync_update_state_vector(copy, cut, &sv));
      CHECK(sv.data == NULL);
    }
    free(copy);
  }
  CHECK_EQ_LL(codesync_doc_has_pending(fresh), 0);
  CHECK_EQ_LL(codesync_doc_has_pending(busy), 0);
  codesync_buffer_free(&u);
  codesync_doc_free(src);
  codesync_doc_free(fresh);
  codesync_doc_free(busy);
}

/* Bit flips and random bytes: accepted or MALFORMED, never anything else,
 * and a rejection changes nothing. */
static void test_garbage(void) {
  codesync_doc *src = rich_doc(5);
  codesync_buffer u = encode_state(src);
  uint64_t seed = 777;
  size_t bit;
  int i, accepted = 0, rejected = 0;
  for (bit = 0; bit < u.len * 8; bit++) {
    codesync_doc *d = rich_doc(8);
    doc_snapshot snap = take_snapshot(d);
    int rc;
    u.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    rc = codesync_doc_apply_update(d, u.data, u.len);
    u.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    if (rc == CODESYNC_OK) {
      accepted++;
    } else {
      rejected++;
      CHECK_EQ_LL(rc, ERR_BAD_UPDATE);
      CHECK(codesync_last_error()[0] != '\0');
      CHECK(snapshot_unchanged(d, &snap));
    }
    free_snapshot(&snap);
    codesync_doc_free(d);
  }
  CHECK(rejected > 0);
  for (i = 0; i < 2000; i++) {
    uint8_t junk[96];
    size_t n = 1 + rng_below(&seed, sizeof junk), k;
    codesync_doc *d = new_doc(8, CODESYNC_OFFSET_UTF16);
    doc_snapshot snap;
    int rc;
    for (k = 0; k < n; k++) junk[k] = (uint8_t)rng_next(&seed);
    if (i % 3 == 0) junk[0] = (uint8_t)(i % 4); /* small client counts reach deeper */
    CHECK_OK(codesync_text_insert(codesync_doc_text(d, "t"), 0, "seed", 4));
    snap = take_snapshot(d);
    rc = codesync_doc_apply_update(d, junk, n);
    if (rc != CODESYNC_OK) {
      CHECK_EQ_LL(rc, ERR_BAD_UPDATE);
      CHECK(snapshot_unchanged(d, &snap));
    }
    free_snapshot(&snap);
    codesync_doc_free(d);
  }
  fprintf(stderr, "bit flips: %d accepted, %d rejected\n", accepted, rejected);
  codesync_buffer_free(&u);
  codesync_doc_free(src);
}

static void test_crafted_updates(void) {
#define FF8 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
  /* yjs 13.6 accepts these two: text "t" = "AB"; map "m" = {"k": true}. */
  static const uint8_t kValidText[] = {1, 1, 1, 0, 4, 1, 1, 't', 2, 'A', 'B', 0};
  static const uint8_t kValidMap[] = {1, 1, 1, 0, 0x28, 1, 1, 'm', 1, 'k', 1, 120, 0};
  static const struct {
    const char *what;
    uint8_t bytes[32];
    size_t len;
  } bad[] = {
      {"empty", {0}, 0},
      {"one byte", {1}, 1},
      {"no delete set", {1, 1, 1, 0, 4, 1, 1, 't', 2, 'A', 'B'}, 11},
      {"huge client count", {0xff, 0xff, 0xff, 0xff, 0x0f}, 5},
      {"huge struct count", {1, FF8, 0x7f, 1, 0}, 12},
      {"huge string length", {1, 1, 1, 0, 4, 1, 1, 't', FF8, 0x7f, 'A', 'B', 0}, 20},
      {"huge key length", {1, 1, 1, 0, 4, 1, FF8, 0x7f, 't', 2, 'A', 'B', 0}, 20},
      {"huge json count", {1, 1, 1, 0, 2, 1, 1, 'a', FF8, 0x7f, 0}, 18},
      {"huge any array", {1, 1, 1, 0, 8, 1, 1, 'a', 1, 117, FF8, 0x7f, 0}, 20},
      {"huge delete-set count", {0, FF8, 0x7f}, 10},
      {"huge range count", {0, 1, 1, FF8, 0x7f}, 12},
      {"varint over 64 bits", {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 12},
      {"unknown content ref", {1, 1, 1, 0, 0x0b, 1, 1, 't', 0}, 9},
      {"unknown any tag", {1, 1, 1, 0, 0x28, 1, 1, 'm', 1, 'k', 1, 50, 0}, 13},
      {"bad utf8 in text", {1, 1, 1, 0, 4, 1, 1, 't', 2, 0xff, 'B', 0}, 12},
      {"bad continuation", {1, 1, 1, 0, 4, 1, 1, 't', 2, 0xc3, 0x28, 0}, 12},
      {"encoded surrogate", {1, 1, 1, 0, 4, 1, 1, 't', 3, 0xed, 0xa0, 0x80, 0}, 13},
      {"overlong", {1, 1, 1, 0, 4, 1, 1, 't', 2, 0xc0, 0xaf, 0}, 12},
      {"bad utf8 type name", {1, 1, 1, 0, 4, 1, 1, 0x80, 2, 'A', 'B', 0}, 12},
      {"bad utf8 map key", {1, 1, 1, 0, 0x28, 1, 1, 'm', 1, 0xff, 1, 120, 0}, 13},
      {"bad utf8 any string", {1, 1, 1, 0, 0x28, 1, 1, 'm', 1, 'k', 1, 119, 1, 0xff, 0}, 15},
  };
  size_t i;
  codesync_doc *fresh = new_doc(7, CODESYNC_OFFSET_UTF16);
  codesync_doc *full = rich_doc(8);
  {
    codesync_doc *d = new_doc(9, CODESYNC_OFFSET_UTF16);
    CHECK_OK(codesync_doc_apply_update(d, kValidText, sizeof kValidText));
    CHECK_TEXT(codesync_doc_text(d, "t"), "AB");
    codesync_doc_free(d);
    d = new_doc(9, CODESYNC_OFFSET_UTF16); /* both use id (1,0): a second doc */
    CHECK_OK(codesync_doc_apply_update(d, kValidMap, sizeof kValidMap));
    CHECK_JSON_CALL(codesync_map_to_json(codesync_doc_map(d, "m"), &out), "{\"k\":true}");
    codesync_doc_free(d);
  }
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint8_t *copy = (uint8_t *)malloc(bad[i].len + 1);
    int before = capi_failed;
    memcpy(copy, bad[i].bytes, bad[i].len);
    CHECK_REJECTED(fresh, ERR_BAD_UPDATE, codesync_doc_apply_update(fresh, copy, bad[i].len));
    CHECK_REJECTED(full, ERR_BAD_UPDATE, codesync_doc_apply_update(full, copy, bad[i].len));
    {
      const uint8_t *one[1];
      size_t len1[1];
      codesync_buffer out = {0, 0};
      one[0] = copy;
      len1[0] = bad[i].len;
      CHECK_ERR(ERR_BAD_UPDATE, codesync_merge_updates(one, len1, 1, &out));
      CHECK(out.data == NULL);
    }
    if (capi_failed != before) fprintf(stderr, "  ^ case \"%s\"\n", bad[i].what);
    free(copy);
  }
  /* Bad state vectors. */
  {
    static const uint8_t sv_trunc[] = {2, 1, 5};
    static const uint8_t sv_huge[] = {FF8, 0x7f};
    codesync_buffer out = {0, 0};
    CHECK_ERR(ERR_BAD_UPDATE, codesync_doc_encode_update(full, sv_trunc, sizeof sv_trunc, &out));
    CHECK_ERR(ERR_BAD_UPDATE, codesync_doc_encode_update(full, sv_huge, sizeof sv_huge, &out));
    CHECK(out.data == NULL);
  }
  codesync_doc_free(fresh);
  codesync_doc_free(full);
#undef FF8
}

static void test_bad_utf8_arguments(void) {
  static const char *const bad[] = {"\xff", "\xc3", "a\xc3\x28", "\xed\xa0\x80", "\xed\xbf\xbf",
                                    "\xc0\xaf", "\xe0\x80\xaf", "\xf4\x90\x80\x80", "ok\xe2\x82", "\x80"};
  size_t i;
  codesync_doc *doc = rich_doc(3);
  codesync_text *t = codesync_doc_text(doc, "t");
  codesync_map *m = codesync_doc_map(doc, "m");
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    size_t n = strlen(bad[i]);
    CHECK_REJECTED(doc, ERR_BAD_UTF8_ARG, codesync_text_insert(t, 0, bad[i], n));
    CHECK_REJECTED(doc, ERR_BAD_UTF8_ARG, codesync_text_insert(t, 2, bad[i], n));
    CHECK_REJECTED(doc, ERR_BAD_UTF8_ARG, codesync_text_insert_with_attributes(t, 0, bad[i], n, "{}", 2));
    CHECK_REJECTED(doc, ERR_BAD_UTF8_ARG, codesync_map_set_json(m, bad[i], "1", 1));
  }
  /* Embedded NUL is valid UTF-8 and counts as a character. */
  {
    codesync_doc *d = new_doc(4, CODESYNC_OFFSET_UTF16);
    codesync_text *dt = codesync_doc_text(d, "t");
    CHECK_OK(codesync_text_insert(dt, 0, "a\0b", 3));
    CHECK_EQ_LL(codesync_text_length(dt), 3);
    codesync_doc_free(d);
  }
  codesync_doc_free(doc);
}

static void test_bad_json(void) {
  static const char *const bad[] = {"",          "{",          "[1,]",      "tru",     "{\"a\":1} x",
                                    "'a'",       "{\"a\"}",    "\"\xff\"",  "NaN",     "01",
                                    "[1 2]",     "\"\\x\"",    "{\"a\":1,}", "\"\\ud800\"x", "-",
                                    "1.",        ".5",         "[",         "}",       "\"unterminated"};
  size_t i;
  codesync_doc *doc = rich_doc(3);
  codesync_map *m = codesync_doc_map(doc, "m");
  codesync_array *a = codesync_doc_array(doc, "a");
  codesync_text *t = codesync_doc_text(doc, "t");
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    size_t n = strlen(bad[i]);
    int before = capi_failed;
    CHECK_REJECTED(doc, ERR_BAD_JSON, codesync_map_set_json(m, "k", bad[i], n));
    CHECK_REJECTED(doc, ERR_BAD_JSON, codesync_array_insert_json(a, 0, bad[i], n));
    CHECK_REJECTED(doc, ERR_BAD_JSON, codesync_text_format(t, 0, 1, bad[i], n));
    CHECK_REJECTED(doc, ERR_BAD_JSON, codesync_text_insert_embed(t, 0, bad[i], n));
    if (capi_failed != before) fprintf(stderr, "  ^ json \"%s\"\n", bad[i]);
  }
  /* Nesting far beyond any sane depth must be refused, not overflow the stack. */
  {
    size_t depth = 100000, k;
    char *deep = (char *)malloc(2 * depth);
    for (k = 0; k < depth; k++) {
      deep[k] = '[';
      deep[2 * depth - 1 - k] = ']';
    }
    CHECK_REJECTED(doc, ERR_BAD_JSON, codesync_map_set_json(m, "k", deep, 2 * depth));
    free(deep);
  }
  /* Well-formed JSON of the wrong shape. */
  {
    doc_snapshot snap = take_snapshot(doc);
    int rc = codesync_array_insert_json(a, 0, "{\"not\":\"an array\"}", 18);
    CHECK(rc == CODESYNC_ERR_INVALID_ARGUMENT || rc == CODESYNC_ERR_TYPE_MISMATCH);
    rc = codesync_text_format(t, 0, 1, "true", 4);
    CHECK(rc == CODESYNC_ERR_INVALID_ARGUMENT || rc == CODESYNC_ERR_TYPE_MISMATCH);
    CHECK(snapshot_unchanged(doc, &snap));
    free_snapshot(&snap);
  }
  /* The length argument is honoured: valid JSON followed by bytes beyond len. */
  CHECK_OK(codesync_map_set_json(m, "k", "123garbage", 3));
  CHECK_JSON_CALL(codesync_map_get_json(m, "k", &out), "123");
  codesync_doc_free(doc);
}

static void test_out_of_range_and_null(void) {
  codesync_doc *doc = rich_doc(3);
  codesync_text *t = codesync_doc_text(doc, "t");
  codesync_map *m = codesync_doc_map(doc, "m");
  codesync_array *a = codesync_doc_array(doc, "a");
  size_t tl = codesync_text_length(t), al = codesync_array_length(a);
  codesync_buffer out = {0, 0};
  static const uint8_t u[] = {0, 0};
  CHECK_REJECTED(doc, CODESYNC_ERR_OUT_OF_RANGE, codesync_text_insert(t, tl + 1, "x", 1));
  CHECK_REJECTED(doc, CODESYNC_ERR_OUT_OF_RANGE, codesync_text_delete(t, tl, 1));
  CHECK_REJECTED(doc, CODESYNC_ERR_OUT_OF_RANGE, codesync_text_delete(t, 0, tl + 1));
  CHECK_REJECTED(doc, CODESYNC_ERR_OUT_OF_RANGE, codesync_text_format(t, 0, tl + 1, "{}", 2));
  CHECK_REJECTED(doc, CODESYNC_ERR_OUT_OF_RANGE, codesync_array_insert_json(a, al + 1, "[1]", 3));
  CHECK_REJECTED(doc, CODESYNC_ERR_OUT_OF_RANGE, codesync_array_delete(a, al, 1));
  CHECK_REJECTED(doc, CODESYNC_ERR_OUT_OF_RANGE, codesync_array_get_json(a, al, &out));
  CHECK_REJECTED(doc, CODESYNC_ERR_OUT_OF_RANGE, codesync_map_get_json(m, "absent", &out));
  CHECK(out.data == NULL);
  /* Deleting an absent key is not an error in Yjs; it changes nothing. */
  {
    doc_snapshot snap = take_snapshot(doc);
    int rc = codesync_map_delete(m, "absent");
    CHECK(rc == CODESYNC_OK || rc == CODESYNC_ERR_OUT_OF_RANGE);
    CHECK(snapshot_unchanged(doc, &snap));
    free_snapshot(&snap);
  }
  /* NULL where a pointer is needed. */
  CHECK_REJECTED(doc, CODESYNC_ERR_INVALID_ARGUMENT, codesync_doc_apply_update(doc, NULL, 2));
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_doc_apply_update(NULL, u, sizeof u));
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_doc_encode_update(doc, NULL, 0, NULL));
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_doc_state_vector(NULL, &out));
  CHECK_REJECTED(doc, CODESYNC_ERR_INVALID_ARGUMENT, codesync_text_insert(t, 0, NULL, 1));
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_text_insert(NULL, 0, "x", 1));
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_text_string(NULL, &out));
  CHECK_REJECTED(doc, CODESYNC_ERR_INVALID_ARGUMENT, codesync_map_set_json(m, NULL, "1", 1));
  CHECK_REJECTED(doc, CODESYNC_ERR_INVALID_ARGUMENT, codesync_map_set_json(m, "k", NULL, 1));
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_merge_updates(NULL, NULL, 1, &out));
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_doc_begin(NULL, NULL));
  CHECK(codesync_doc_observe_updates(doc, NULL, NULL) == NULL);
  CHECK_EQ_LL(codesync_text_length(NULL), 0);
  CHECK(out.data == NULL);
  codesync_doc_free(doc);
}

int main(void) {
  test_truncations();
  test_garbage();
  test_crafted_updates();
  test_bad_utf8_arguments();
  test_bad_json();
  test_out_of_range_and_null();
  return capi_finish("capi.malformed");
}
