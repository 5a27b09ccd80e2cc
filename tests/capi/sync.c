/* Two or more documents syncing through state vectors and updates; conflict
 * order; merge_updates; pending updates. */
#include "capi_test.h"

/* Collects every update a document emits. */
typedef struct update_log {
  codesync_buffer items[64];
  size_t count;
} update_log;

static void log_update(const uint8_t *update, size_t len, const char *origin, void *user_data) {
  update_log *log = (update_log *)user_data;
  codesync_buffer *b;
  (void)origin;
  if (log->count >= 64) return;
  b = &log->items[log->count++];
  b->data = (uint8_t *)malloc(len + 1);
  memcpy(b->data, update, len);
  b->data[len] = 0;
  b->len = len;
}

static void free_log(update_log *log) {
  size_t i;
  for (i = 0; i < log->count; i++) free(log->items[i].data); /* our own malloc, not the library's */
  log->count = 0;
}

static void test_basic_sync(void) {
  codesync_doc *a = new_doc(1, CODESYNC_OFFSET_UTF16);
  codesync_doc *b = new_doc(2, CODESYNC_OFFSET_UTF16);
  codesync_text *ta = codesync_doc_text(a, "t");
  codesync_text *tb = codesync_doc_text(b, "t");
  codesync_buffer sva, svb;
  CHECK_OK(codesync_text_insert(ta, 0, "hello", 5));
  CHECK_OK(sync_one_way(a, b));
  CHECK_TEXT(tb, "hello");
  CHECK_OK(codesync_text_insert(tb, 5, " world", 6));
  CHECK_OK(codesync_text_delete(tb, 0, 1));
  CHECK_OK(codesync_text_insert(tb, 0, "H", 1));
  CHECK_OK(sync_one_way(b, a));
  CHECK_TEXT(ta, "Hello world");
  sva = state_vector(a);
  svb = state_vector(b);
  CHECK(buffers_equal(&sva, &svb));
  CHECK_EQ_LL(sv_count(&sva), 2);
  CHECK_EQ_LL(sv_clock(&sva, 1), 5);
  CHECK_EQ_LL(sv_clock(&sva, 2), 7);
  codesync_buffer_free(&sva);
  codesync_buffer_free(&svb);

  /* Syncing again changes nothing. */
  {
    doc_snapshot snap = take_snapshot(a);
    CHECK_OK(sync_both(a, b));
    CHECK(snapshot_unchanged(a, &snap));
    free_snapshot(&snap);
  }
  /* The diff against a peer's state vector carries only what it lacks: applying
   * it to an empty doc alone yields only b's inserts that do not depend on a. */
  {
    codesync_doc *c = new_doc(3, CODESYNC_OFFSET_UTF16);
    codesync_buffer full = encode_state(a), sv, upd_sv;
    CHECK_OK(codesync_doc_apply_update(c, full.data, full.len));
    CHECK_TEXT(codesync_doc_text(c, "t"), "Hello world");
    sv = state_vector(c);
    CHECK_OK(codesync_update_state_vector(full.data, full.len, &upd_sv));
    CHECK(buffers_equal(&sv, &upd_sv));
    codesync_buffer_free(&full);
    codesync_buffer_free(&sv);
    codesync_buffer_free(&upd_sv);
    codesync_doc_free(c);
  }
  /* A bad state vector is malformed input. */
  {
    static const uint8_t bad_sv[] = {0x05, 0x01};
    codesync_buffer out = {0, 0};
    CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_doc_encode_update(a, bad_sv, sizeof bad_sv, &out));
    CHECK(out.data == NULL);
  }
  codesync_doc_free(a);
  codesync_doc_free(b);
}

/* Concurrent inserts at the same index: both docs converge, lower client id first (as Yjs). */
static void tie_case(uint64_t ca, const char *sa, uint64_t cb, const char *sb, const char *base, size_t at,
                     const char *expected) {
  codesync_doc *a = new_doc(ca, CODESYNC_OFFSET_UTF16);
  codesync_doc *b = new_doc(cb, CODESYNC_OFFSET_UTF16);
  codesync_text *ta = codesync_doc_text(a, "t");
  codesync_text *tb = codesync_doc_text(b, "t");
  if (base[0]) {
    CHECK_OK(codesync_text_insert(ta, 0, base, strlen(base)));
    CHECK_OK(sync_both(a, b));
  }
  CHECK_OK(codesync_text_insert(ta, at, sa, strlen(sa)));
  CHECK_OK(codesync_text_insert(tb, at, sb, strlen(sb)));
  CHECK_OK(sync_both(a, b));
  CHECK_TEXT(ta, expected);
  CHECK_TEXT(tb, expected);
  codesync_doc_free(a);
  codesync_doc_free(b);
}

static void test_concurrent_ties(void) {
  tie_case(1, "A", 2, "B", "", 0, "AB");
  tie_case(2, "B", 1, "A", "", 0, "AB"); /* which doc syncs first does not matter */
  tie_case(1, "hello", 2, "world", "", 0, "helloworld");
  tie_case(20, "hello", 10, "world", "", 0, "worldhello");
  tie_case(1, "x", 2, "y", "abcd", 2, "abxycd");
  tie_case(1, "x", 2, "y", "abcd", 4, "abcdxy");
  tie_case(0xffffffffULL, "late", 3, "early", "--", 1, "-earlylate-");
}

static void test_concurrent_map_and_deletes(void) {
  codesync_doc *a = new_doc(1, CODESYNC_OFFSET_UTF16);
  codesync_doc *b = new_doc(2, CODESYNC_OFFSET_UTF16);
  codesync_text *ta = codesync_doc_text(a, "t");
  codesync_text *tb = codesync_doc_text(b, "t");
  codesync_map *ma = codesync_doc_map(a, "m");
  codesync_map *mb = codesync_doc_map(b, "m");
  CHECK_OK(codesync_text_insert(ta, 0, "0123456789", 10));
  CHECK_OK(sync_both(a, b));
  /* Overlapping deletes and an insert inside a range the other side deletes. */
  CHECK_OK(codesync_text_delete(ta, 2, 5));       /* 01789 */
  CHECK_OK(codesync_text_delete(tb, 4, 4));       /* 012389 */
  CHECK_OK(codesync_text_insert(tb, 3, "X", 1));  /* 012X389 */
  /* Concurrent map writes to one key: the higher client id wins in Yjs. */
  CHECK_OK(codesync_map_set_json(mb, "k", "\"two\"", 5));
  CHECK_OK(codesync_map_set_json(ma, "k", "\"one\"", 5));
  CHECK_OK(sync_both(a, b));
  CHECK_TEXT(ta, "01X89");
  CHECK_TEXT(tb, "01X89");
  CHECK_JSON_CALL(codesync_map_get_json(ma, "k", &out), "\"two\"");
  CHECK_JSON_CALL(codesync_map_get_json(mb, "k", &out), "\"two\"");
  codesync_doc_free(a);
  codesync_doc_free(b);
}

/* Three docs editing at random with partial syncs always converge. */
static void test_random_convergence(void) {
  static const char *const alphabet[] = {"a", "b", "\xc3\xa9", "\xf0\x9f\x98\x80"};
  codesync_doc *docs[3];
  codesync_text *texts[3];
  uint64_t seed = 12345;
  int i, round;
  for (i = 0; i < 3; i++) {
    docs[i] = new_doc((uint64_t)(i + 1), CODESYNC_OFFSET_CODEPOINT);
    texts[i] = codesync_doc_text(docs[i], "t");
  }
  for (round = 0; round < 300; round++) {
    int d = (int)rng_below(&seed, 3);
    size_t len = codesync_text_length(texts[d]);
    size_t r = rng_below(&seed, 10);
    if (r < 6 || len == 0) {
      const char *s = alphabet[rng_below(&seed, 4)];
      CHECK_OK(codesync_text_insert(texts[d], rng_below(&seed, len + 1), s, strlen(s)));
    } else if (r < 8) {
      size_t at = rng_below(&seed, len);
      CHECK_OK(codesync_text_delete(texts[d], at, 1 + rng_below(&seed, len - at)));
    } else {
      int e = (int)rng_below(&seed, 3);
      if (e != d) CHECK_OK(sync_one_way(docs[d], docs[e]));
    }
  }
  CHECK_OK(sync_both(docs[0], docs[1]));
  CHECK_OK(sync_both(docs[1], docs[2]));
  CHECK_OK(sync_both(docs[0], docs[1]));
  {
    char *s0 = text_dup(texts[0]);
    REQUIRE(s0 != NULL);
    CHECK_TEXT(texts[1], s0);
    CHECK_TEXT(texts[2], s0);
    free(s0);
  }
  for (i = 0; i < 3; i++) CHECK_EQ_LL(codesync_doc_has_pending(docs[i]), 0);
  for (i = 0; i < 3; i++) codesync_doc_free(docs[i]);
}

static void test_merge_updates(void) {
  codesync_doc *a = new_doc(1, CODESYNC_OFFSET_UTF16);
  codesync_doc *b = new_doc(2, CODESYNC_OFFSET_UTF16);
  update_log log = {{{0, 0}}, 0};
  codesync_subscription *sa = codesync_doc_observe_updates(a, log_update, &log);
  codesync_subscription *sb = codesync_doc_observe_updates(b, log_update, &log);
  const uint8_t *ptrs[64];
  size_t lens[64], i;
  codesync_buffer merged = {0, 0};
  codesync_doc *one_by_one = new_doc(9, CODESYNC_OFFSET_UTF16);
  codesync_doc *from_merge = new_doc(9, CODESYNC_OFFSET_UTF16);
  REQUIRE(sa != NULL && sb != NULL);

  CHECK_OK(codesync_text_insert(codesync_doc_text(a, "t"), 0, "abc", 3));
  CHECK_OK(codesync_text_insert(codesync_doc_text(a, "t"), 3, "def", 3));
  CHECK_OK(codesync_text_delete(codesync_doc_text(a, "t"), 1, 2));
  CHECK_OK(codesync_map_set_json(codesync_doc_map(b, "m"), "x", "[1,2]", 5));
  CHECK_OK(codesync_array_insert_json(codesync_doc_array(b, "a"), 0, "[true,null]", 11));
  CHECK_OK(sync_one_way(a, b)); /* b emits the update it received from a as well */
  CHECK_OK(codesync_text_insert(codesync_doc_text(b, "t"), 1, "\xf0\x9f\x98\x80", 4));
  codesync_unobserve(sa);
  codesync_unobserve(sb);
  REQUIRE(log.count >= 6);

  for (i = 0; i < log.count; i++) {
    ptrs[i] = log.items[i].data;
    lens[i] = log.items[i].len;
    CHECK_OK(codesync_doc_apply_update(one_by_one, ptrs[i], lens[i]));
  }
  CHECK_OK(codesync_merge_updates(ptrs, lens, log.count, &merged));
  CHECK_OK(codesync_doc_apply_update(from_merge, merged.data, merged.len));
  CHECK_TEXT(codesync_doc_text(one_by_one, "t"), "a\xf0\x9f\x98\x80" "def");
  CHECK_TEXT(codesync_doc_text(from_merge, "t"), "a\xf0\x9f\x98\x80" "def");
  {
    codesync_buffer x = encode_state(one_by_one), y = encode_state(from_merge), z = encode_state(b);
    CHECK(buffers_equal(&x, &y));
    CHECK(buffers_equal(&x, &z));
    codesync_buffer_free(&x);
    codesync_buffer_free(&y);
    codesync_buffer_free(&z);
  }
  /* Roots that arrived from peers are typed by first local use (as Yjs). */
  CHECK(codesync_doc_map(from_merge, "m") != NULL);
  CHECK(codesync_doc_array(from_merge, "a") != NULL);
  CHECK_JSON_CALL(codesync_doc_to_json(from_merge, &out),
                  "{\"t\":\"a\xf0\x9f\x98\x80" "def\",\"m\":{\"x\":[1,2]},\"a\":[true,null]}");
  /* The state vector of the merged update is that of the doc after applying it. */
  {
    codesync_buffer usv = {0, 0}, dsv = state_vector(from_merge);
    CHECK_OK(codesync_update_state_vector(merged.data, merged.len, &usv));
    CHECK(buffers_equal(&usv, &dsv));
    codesync_buffer_free(&usv);
    codesync_buffer_free(&dsv);
  }
  /* Merging a single update, or an update with itself, changes nothing semantically. */
  {
    const uint8_t *twice[2];
    size_t twice_len[2];
    codesync_buffer m2 = {0, 0};
    codesync_doc *d = new_doc(9, CODESYNC_OFFSET_UTF16);
    twice[0] = twice[1] = merged.data;
    twice_len[0] = twice_len[1] = merged.len;
    CHECK_OK(codesync_merge_updates(twice, twice_len, 2, &m2));
    CHECK_OK(codesync_doc_apply_update(d, m2.data, m2.len));
    CHECK_TEXT(codesync_doc_text(d, "t"), "a\xf0\x9f\x98\x80" "def");
    codesync_buffer_free(&m2);
    codesync_doc_free(d);
  }
  /* A malformed input makes the whole merge fail. */
  {
    static const uint8_t junk[] = {0x03, 0xff};
    const uint8_t *bad[2];
    size_t bad_len[2];
    codesync_buffer m3 = {0, 0};
    bad[0] = merged.data;
    bad_len[0] = merged.len;
    bad[1] = junk;
    bad_len[1] = sizeof junk;
    CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_merge_updates(bad, bad_len, 2, &m3));
    CHECK(m3.data == NULL);
  }
  codesync_buffer_free(&merged);
  free_log(&log);
  codesync_doc_free(a);
  codesync_doc_free(b);
  codesync_doc_free(one_by_one);
  codesync_doc_free(from_merge);
}

static void test_pending(void) {
  codesync_doc *a = new_doc(1, CODESYNC_OFFSET_UTF16);
  update_log log = {{{0, 0}}, 0};
  codesync_subscription *sub = codesync_doc_observe_updates(a, log_update, &log);
  codesync_text *ta = codesync_doc_text(a, "t");
  CHECK_OK(codesync_text_insert(ta, 0, "abc", 3)); /* update 0 */
  CHECK_OK(codesync_text_insert(ta, 3, "def", 3)); /* update 1: depends on 0 */
  CHECK_OK(codesync_text_delete(ta, 1, 1));        /* update 2: deletes "b" from update 0 */
  codesync_unobserve(sub);
  REQUIRE(log.count == 3);

  /* Update 1 before 0: nothing shows until 0 arrives. */
  {
    codesync_doc *b = new_doc(2, CODESYNC_OFFSET_UTF16);
    codesync_text *tb = codesync_doc_text(b, "t");
    codesync_buffer sv;
    CHECK_OK(codesync_doc_apply_update(b, log.items[1].data, log.items[1].len));
    CHECK_TEXT(tb, "");
    CHECK(codesync_doc_has_pending(b) != 0);
    sv = state_vector(b);
    CHECK_EQ_LL(sv_clock(&sv, 1), 0); /* pending structs are not part of the state */
    codesync_buffer_free(&sv);
    CHECK_OK(codesync_doc_apply_update(b, log.items[0].data, log.items[0].len));
    CHECK_TEXT(tb, "abcdef");
    CHECK_EQ_LL(codesync_doc_has_pending(b), 0);
    sv = state_vector(b);
    CHECK_EQ_LL(sv_clock(&sv, 1), 6);
    codesync_buffer_free(&sv);
    codesync_doc_free(b);
  }
  /* A deletion of content not yet received waits too. */
  {
    codesync_doc *b = new_doc(2, CODESYNC_OFFSET_UTF16);
    codesync_text *tb = codesync_doc_text(b, "t");
    CHECK_OK(codesync_doc_apply_update(b, log.items[2].data, log.items[2].len));
    CHECK(codesync_doc_has_pending(b) != 0);
    CHECK_OK(codesync_doc_apply_update(b, log.items[1].data, log.items[1].len));
    CHECK_TEXT(tb, "");
    CHECK_OK(codesync_doc_apply_update(b, log.items[0].data, log.items[0].len));
    CHECK_TEXT(tb, "acdef");
    CHECK_EQ_LL(codesync_doc_has_pending(b), 0);
    codesync_doc_free(b);
  }
  /* Pending structs travel with the full state (as Yjs encodeStateAsUpdate does). */
  {
    codesync_doc *b = new_doc(2, CODESYNC_OFFSET_UTF16);
    codesync_doc *c = new_doc(3, CODESYNC_OFFSET_UTF16);
    codesync_buffer u;
    CHECK_OK(codesync_doc_apply_update(b, log.items[1].data, log.items[1].len));
    u = encode_state(b);
    CHECK_OK(codesync_doc_apply_update(c, u.data, u.len));
    CHECK(codesync_doc_has_pending(c) != 0);
    CHECK_OK(codesync_doc_apply_update(c, log.items[0].data, log.items[0].len));
    CHECK_TEXT(codesync_doc_text(c, "t"), "abcdef");
    codesync_buffer_free(&u);
    codesync_doc_free(b);
    codesync_doc_free(c);
  }
  free_log(&log);
  codesync_doc_free(a);
}

int main(void) {
  test_basic_sync();
  test_concurrent_ties();
  test_concurrent_map_and_deletes();
  test_random_convergence();
  test_merge_updates();
  test_pending();
  return capi_finish("capi.sync");
}
