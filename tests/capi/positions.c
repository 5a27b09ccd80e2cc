/* Relative positions through the C API: yjs bytes and JSON (worked out by hand
 * from yjs 13.6 RelativePosition.js), resolution after concurrent edits in every
 * offset unit, deleted / unknown types, and bad input. */
#include "capi_test.h"

static codesync_buffer relpos(codesync_text *t, size_t index, int assoc) {
  codesync_buffer b = {0, 0};
  int rc = codesync_relpos_from_text(t, index, assoc, &b);
  if (rc != CODESYNC_OK) {
    fprintf(stderr, "codesync_relpos_from_text(%u, %d) failed: %s\n", (unsigned)index, assoc, codesync_last_error());
    exit(1);
  }
  return b;
}

static long long resolve(codesync_doc *doc, const codesync_buffer *rel, codesync_relpos_state *state) {
  size_t index = 12345;
  int rc = codesync_relpos_to_index(doc, rel->data, rel->len, &index, state);
  if (rc != CODESYNC_OK) return -1000 + rc;
  return (long long)index;
}

static void test_encoding(void) {
  codesync_doc *doc = new_doc(7, CODESYNC_OFFSET_UTF16);
  codesync_text *t = codesync_doc_text(doc, "doc");
  codesync_buffer a, b, c, json = {0, 0}, back = {0, 0};
  static const uint8_t item_b[] = {0, 7, 1, 0};       /* item {7,1}, assoc 0 */
  static const uint8_t item_a_left[] = {0, 7, 0, 0x41}; /* item {7,0}, assoc -1 */
  static const uint8_t end[] = {1, 3, 'd', 'o', 'c', 0}; /* tname "doc", assoc 0 */
  REQUIRE_OK(codesync_text_insert(t, 0, "abc", 3));
  a = relpos(t, 1, 0);
  b = relpos(t, 1, -1);
  c = relpos(t, 3, 0);
  CHECK(a.len == sizeof item_b && memcmp(a.data, item_b, a.len) == 0);
  CHECK(b.len == sizeof item_a_left && memcmp(b.data, item_a_left, b.len) == 0);
  CHECK(c.len == sizeof end && memcmp(c.data, end, c.len) == 0);

  CHECK_OK(codesync_relpos_to_json(a.data, a.len, &json));
  CHECK_STREQ((const char *)json.data, "{\"item\":{\"client\":7,\"clock\":1},\"assoc\":0}");
  codesync_buffer_free(&json);
  /* Made as JSON directly, it also names the type, as yjs's relativePositionToJSON does. */
  CHECK_OK(codesync_relpos_from_text_json(t, 1, 0, &json));
  CHECK_STREQ((const char *)json.data, "{\"tname\":\"doc\",\"item\":{\"client\":7,\"clock\":1},\"assoc\":0}");
  CHECK_OK(codesync_relpos_from_json((const char *)json.data, json.len, &back));
  CHECK(buffers_equal(&back, &a));
  codesync_buffer_free(&json);
  codesync_buffer_free(&back);
  CHECK_OK(codesync_relpos_to_json(c.data, c.len, &json));
  CHECK_STREQ((const char *)json.data, "{\"tname\":\"doc\",\"assoc\":0}");
  CHECK_OK(codesync_relpos_from_json((const char *)json.data, json.len, &back));
  CHECK(buffers_equal(&back, &c));
  codesync_buffer_free(&json);
  codesync_buffer_free(&back);
  /* The form y-monaco stores in awareness, with null fields. */
  {
    const char *j = "{\"type\":null,\"tname\":null,\"item\":{\"client\":7,\"clock\":0},\"assoc\":-1}";
    CHECK_OK(codesync_relpos_from_json(j, strlen(j), &back));
    CHECK(buffers_equal(&back, &b));
    codesync_buffer_free(&back);
  }

  /* Bad input is rejected with a message. */
  {
    static const uint8_t truncated[] = {0, 7};
    static const uint8_t unknown[] = {5, 0};
    size_t index = 99;
    codesync_relpos_state st = CODESYNC_RELPOS_FOUND;
    CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_relpos_to_index(doc, truncated, sizeof truncated, &index, &st));
    CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_relpos_to_index(doc, unknown, sizeof unknown, &index, &st));
    CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_relpos_to_index(doc, NULL, 0, &index, &st));
    CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_relpos_to_index(doc, a.data, a.len, NULL, &st));
    CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_relpos_to_json(truncated, sizeof truncated, &json));
    CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_relpos_from_json("{}", 2, &json));
    CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_relpos_from_json("{\"item\":1}", 10, &json));
    CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_relpos_from_json("nope", 4, &json));
    CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_relpos_from_text(t, 4, 0, &json));
    CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_relpos_from_text(NULL, 0, 0, &json));
    CHECK(index == 99);
  }
  codesync_buffer_free(&a);
  codesync_buffer_free(&b);
  codesync_buffer_free(&c);
  codesync_doc_free(doc);
}

/* Two peers edit concurrently around positions; both resolve them the same way. */
static void test_concurrent(codesync_offset_kind kind) {
  codesync_doc *x = new_doc(1, kind), *y = new_doc(2, kind);
  codesync_text *tx = codesync_doc_text(x, "doc"), *ty = codesync_doc_text(y, "doc");
  /* "a😀b": a = 1 unit everywhere; the emoji is 2 UTF-16 units, 4 bytes, 1 code point. */
  const char *s = "a\xF0\x9F\x98\x80" "b";
  size_t emoji = kind == CODESYNC_OFFSET_UTF16 ? 2 : kind == CODESYNC_OFFSET_UTF8 ? 4 : 1;
  size_t before_b = 1 + emoji;
  codesync_buffer at_b, after_emoji, end;
  codesync_relpos_state st;
  REQUIRE_OK(codesync_text_insert(tx, 0, s, strlen(s)));
  REQUIRE_OK(sync_both(x, y));
  at_b = relpos(tx, before_b, 0);
  after_emoji = relpos(tx, before_b, -1);
  end = relpos(tx, before_b + 1, 0);
  /* x types before the emoji, y deletes "a" and types after b. */
  REQUIRE_OK(codesync_text_insert(tx, 1, "xy", 2));
  REQUIRE_OK(codesync_text_delete(ty, 0, 1));
  REQUIRE_OK(codesync_text_insert(ty, before_b - 1, "!", 1));
  REQUIRE_OK(sync_both(x, y));
  CHECK_TEXT(tx, "xy\xF0\x9F\x98\x80!b");
  /* "xy😀!b": b is now after xy, the emoji and "!" */
  CHECK_EQ_LL(resolve(x, &at_b, &st), 2 + emoji + 1);
  CHECK_EQ_LL(st, CODESYNC_RELPOS_FOUND);
  CHECK_EQ_LL(resolve(y, &at_b, &st), 2 + emoji + 1);
  CHECK_EQ_LL(resolve(y, &after_emoji, &st), 2 + emoji);
  CHECK_EQ_LL(resolve(x, &end, &st), 2 + emoji + 2);
  {
    size_t index = 0;
    codesync_text *other = codesync_doc_text(x, "other");
    CHECK_OK(codesync_relpos_to_text_index(tx, at_b.data, at_b.len, &index, NULL));
    CHECK_EQ_LL(index, 2 + emoji + 1);
    CHECK_ERR(CODESYNC_ERR_TYPE_MISMATCH, codesync_relpos_to_text_index(other, at_b.data, at_b.len, &index, NULL));
  }
  codesync_buffer_free(&at_b);
  codesync_buffer_free(&after_emoji);
  codesync_buffer_free(&end);
  codesync_doc_free(x);
  codesync_doc_free(y);
}

static void test_gone(void) {
  codesync_doc_options o;
  codesync_doc *doc, *fresh;
  codesync_map *m;
  codesync_text *inner;
  codesync_array *arr;
  codesync_buffer p = {0, 0}, q = {0, 0};
  codesync_relpos_state st = CODESYNC_RELPOS_FOUND;
  size_t index = 7;
  codesync_doc_options_init(&o);
  o.client_id = 3;
  o.gc = 0; /* keep the deleted type so it is reported as deleted, not missing */
  doc = codesync_doc_new(&o);
  m = codesync_doc_map(doc, "m");
  inner = codesync_map_set_text(m, "k");
  REQUIRE(inner != NULL);
  REQUIRE_OK(codesync_text_insert(inner, 0, "hi", 2));
  REQUIRE_OK(codesync_relpos_from_text(inner, 2, 0, &p));
  REQUIRE_OK(codesync_map_delete(m, "k"));
  CHECK_OK(codesync_relpos_to_index(doc, p.data, p.len, &index, &st));
  CHECK_EQ_LL(st, CODESYNC_RELPOS_TYPE_DELETED);
  CHECK_EQ_LL(index, 0);
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_relpos_from_text(inner, 0, 0, &q));
  /* A document that never saw the type's item: not found. */
  fresh = new_doc(4, CODESYNC_OFFSET_UTF16);
  CHECK_OK(codesync_relpos_to_index(fresh, p.data, p.len, &index, &st));
  CHECK_EQ_LL(st, CODESYNC_RELPOS_NOT_FOUND);
  /* Arrays count elements. */
  arr = codesync_doc_array(doc, "a");
  REQUIRE_OK(codesync_array_insert_json(arr, 0, "[1,2,3]", 7));
  REQUIRE_OK(codesync_relpos_from_array(arr, 1, 0, &q));
  REQUIRE_OK(codesync_array_insert_json(arr, 0, "[0]", 3));
  CHECK_OK(codesync_relpos_to_index(doc, q.data, q.len, &index, &st));
  CHECK_EQ_LL(st, CODESYNC_RELPOS_FOUND);
  CHECK_EQ_LL(index, 2);
  codesync_buffer_free(&p);
  codesync_buffer_free(&q);
  codesync_doc_free(fresh);
  codesync_doc_free(doc);
}

int main(void) {
  test_encoding();
  test_concurrent(CODESYNC_OFFSET_UTF16);
  test_concurrent(CODESYNC_OFFSET_UTF8);
  test_concurrent(CODESYNC_OFFSET_CODEPOINT);
  test_gone();
  return capi_finish("positions");
}
