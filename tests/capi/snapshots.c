/* Snapshots (Yjs format), documents as at a snapshot, diffs between snapshots,
 * restore as an ordinary edit that syncs, and the errors of each. */
#include "capi_test.h"

static codesync_doc *history_doc(uint64_t client, int gc) {
  codesync_doc_options opts;
  codesync_doc *doc;
  codesync_doc_options_init(&opts);
  opts.client_id = client;
  opts.gc = gc;
  doc = codesync_doc_new(&opts);
  REQUIRE(doc != NULL);
  return doc;
}

static codesync_buffer snap(codesync_doc *doc) {
  codesync_buffer out = {0, 0};
  REQUIRE_OK(codesync_doc_snapshot(doc, &out));
  return out;
}

/* The bytes are Yjs encodeSnapshot's: delete set (clients descending; clock, len),
 * then the state vector (clients descending). Written out by hand. */
static void test_snapshot_bytes(void) {
  codesync_doc *doc = history_doc(1, 0), *other = history_doc(300, 0);
  codesync_text *t = codesync_doc_text(doc, "t");
  codesync_buffer s;
  static const uint8_t empty[] = {0, 0};
  static const uint8_t one[] = {1, 1, 1, 1, 2, 1, 1, 5};
  static const uint8_t two[] = {1, 1, 1, 1, 2, 2, 0xac, 0x02, 2, 1, 5};

  s = snap(doc);
  CHECK(s.len == sizeof empty && memcmp(s.data, empty, s.len) == 0);
  codesync_buffer_free(&s);

  CHECK_OK(codesync_text_insert(t, 0, "hello", 5));
  CHECK_OK(codesync_text_delete(t, 1, 2));
  s = snap(doc);
  CHECK(s.len == sizeof one && memcmp(s.data, one, s.len) == 0);
  codesync_buffer_free(&s);

  /* client 300 (varuint ac 02) comes first; gc=0 keeps the deleted run as one range. */
  CHECK_OK(sync_one_way(doc, other));
  CHECK_OK(codesync_text_insert(codesync_doc_text(other, "t"), 0, "xy", 2));
  s = snap(other);
  CHECK(s.len == sizeof two && memcmp(s.data, two, s.len) == 0);
  codesync_buffer_free(&s);
  codesync_doc_free(doc);
  codesync_doc_free(other);
}

static void test_doc_from_snapshot(void) {
  codesync_doc *doc = history_doc(1, 0), *old = NULL, *gcdoc = history_doc(2, 1);
  codesync_text *t = codesync_doc_text(doc, "t");
  codesync_map *m = codesync_doc_map(doc, "m");
  codesync_buffer s1, s2, gs;
  codesync_doc_options opts;
  doc_snapshot before;

  CHECK_OK(codesync_text_insert(t, 0, "hello world", 11));
  CHECK_OK(codesync_map_set_json(m, "k", "1", 1));
  s1 = snap(doc);
  CHECK_OK(codesync_text_delete(t, 6, 5));
  CHECK_OK(codesync_text_insert(t, 6, "there", 5));
  CHECK_OK(codesync_map_set_json(m, "k", "2", 1));
  CHECK_OK(codesync_map_set_json(m, "new", "true", 4));
  s2 = snap(doc);
  CHECK_OK(codesync_text_insert(t, 0, ">> ", 3));

  codesync_doc_options_init(&opts);
  opts.client_id = 77;
  REQUIRE_OK(codesync_doc_from_snapshot(doc, s1.data, s1.len, &opts, &old));
  CHECK_TEXT(codesync_doc_text(old, "t"), "hello world");
  CHECK_JSON_CALL(codesync_map_to_json(codesync_doc_map(old, "m"), &out), "{\"k\":1}");
  CHECK_EQ_LL(codesync_doc_client_id(old), 77);
  /* The old version is an ordinary document: it can be edited. */
  CHECK_OK(codesync_text_insert(codesync_doc_text(old, "t"), 11, "!", 1));
  CHECK_TEXT(codesync_doc_text(old, "t"), "hello world!");
  codesync_doc_free(old);

  REQUIRE_OK(codesync_doc_from_snapshot(doc, s2.data, s2.len, NULL, &old));
  CHECK_TEXT(codesync_doc_text(old, "t"), "hello there");
  CHECK_JSON_CALL(codesync_map_to_json(codesync_doc_map(old, "m"), &out), "{\"k\":2,\"new\":true}");
  codesync_doc_free(old);
  /* The origin is untouched. */
  CHECK_TEXT(t, ">> hello there");

  /* gc on: a clear error, no document. */
  CHECK_OK(codesync_text_insert(codesync_doc_text(gcdoc, "t"), 0, "abc", 3));
  gs = snap(gcdoc);
  old = (codesync_doc *)1;
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_doc_from_snapshot(gcdoc, gs.data, gs.len, NULL, &old));
  CHECK(old == NULL);
  CHECK(strstr(codesync_last_error(), "gc") != NULL);

  /* A snapshot of a document that is ahead: client 2 is unknown to doc. */
  before = take_snapshot(doc);
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_doc_from_snapshot(doc, gs.data, gs.len, NULL, &old));
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_doc_restore_snapshot(doc, gs.data, gs.len, NULL));
  CHECK(snapshot_unchanged(doc, &before));

  /* Malformed snapshots: truncated, trailing bytes, NULL. */
  CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_doc_from_snapshot(doc, s1.data, s1.len - 1, NULL, &old));
  {
    uint8_t longer[64];
    REQUIRE(s1.len + 1 <= sizeof longer);
    memcpy(longer, s1.data, s1.len);
    longer[s1.len] = 0;
    CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_doc_from_snapshot(doc, longer, s1.len + 1, NULL, &old));
    CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_doc_restore_snapshot(doc, longer, s1.len + 1, NULL));
  }
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_doc_from_snapshot(doc, NULL, 0, NULL, &old));
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_doc_from_snapshot(doc, s1.data, s1.len, NULL, NULL));
  CHECK(snapshot_unchanged(doc, &before));

  free_snapshot(&before);
  codesync_buffer_free(&s1);
  codesync_buffer_free(&s2);
  codesync_buffer_free(&gs);
  codesync_doc_free(doc);
  codesync_doc_free(gcdoc);
}

/* A cut inside one struct: the snapshot is taken mid-run, and the run merges afterwards. */
static void test_snapshot_inside_a_run(void) {
  codesync_doc *doc = history_doc(5, 0), *old = NULL;
  codesync_text *t = codesync_doc_text(doc, "t");
  codesync_buffer s;
  CHECK_OK(codesync_text_insert(t, 0, "abc", 3));
  s = snap(doc);
  CHECK_OK(codesync_text_insert(t, 3, "def", 3)); /* merges with "abc" into one struct */
  REQUIRE_OK(codesync_doc_from_snapshot(doc, s.data, s.len, NULL, &old));
  CHECK_TEXT(codesync_doc_text(old, "t"), "abc");
  codesync_doc_free(old);
  codesync_buffer_free(&s);
  codesync_doc_free(doc);
}

static void test_contains_update(void) {
  codesync_doc *doc = history_doc(1, 0);
  codesync_text *t = codesync_doc_text(doc, "t");
  codesync_buffer u1, s1, u2, sv1 = {0, 0}, s2;
  int contains = -1;

  CHECK_OK(codesync_text_insert(t, 0, "abc", 3));
  u1 = encode_state(doc);
  s1 = snap(doc);
  sv1 = state_vector(doc);
  CHECK_OK(codesync_text_delete(t, 0, 1));
  CHECK_OK(codesync_doc_encode_update(doc, sv1.data, sv1.len, &u2)); /* only the deletion */
  s2 = snap(doc);

  CHECK_OK(codesync_snapshot_contains_update(s1.data, s1.len, u1.data, u1.len, &contains));
  CHECK_EQ_LL(contains, 1);
  CHECK_OK(codesync_snapshot_contains_update(s1.data, s1.len, u2.data, u2.len, &contains));
  CHECK_EQ_LL(contains, 0); /* deletes what s1 still shows */
  CHECK_OK(codesync_snapshot_contains_update(s2.data, s2.len, u2.data, u2.len, &contains));
  CHECK_EQ_LL(contains, 1);
  {
    static const uint8_t empty_update[] = {0, 0};
    static const uint8_t empty_snapshot[] = {0, 0};
    CHECK_OK(codesync_snapshot_contains_update(empty_snapshot, 2, u1.data, u1.len, &contains));
    CHECK_EQ_LL(contains, 0);
    CHECK_OK(codesync_snapshot_contains_update(empty_snapshot, 2, empty_update, 2, &contains));
    CHECK_EQ_LL(contains, 1);
    CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_snapshot_contains_update(s1.data, s1.len, u1.data, u1.len - 1, &contains));
    CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_snapshot_contains_update(s1.data, 1, u1.data, u1.len, &contains));
  }
  codesync_buffer_free(&u1);
  codesync_buffer_free(&u2);
  codesync_buffer_free(&s1);
  codesync_buffer_free(&s2);
  codesync_buffer_free(&sv1);
  codesync_doc_free(doc);
}

static void test_text_diff(void) {
  codesync_doc *a = history_doc(1, 0), *b = history_doc(2, 0);
  codesync_text *ta = codesync_doc_text(a, "t");
  codesync_buffer s0, s1;

  CHECK_OK(codesync_text_insert(ta, 0, "hello world", 11));
  s0 = snap(a);
  CHECK_OK(sync_one_way(a, b));
  CHECK_OK(codesync_text_delete(codesync_doc_text(b, "t"), 6, 5));
  CHECK_OK(codesync_text_insert(codesync_doc_text(b, "t"), 6, "there", 5));
  CHECK_OK(sync_one_way(b, a));
  CHECK_OK(codesync_text_insert(ta, 0, "> ", 2));
  /* Yjs places an insert after the deleted content at its index: "world" comes first. */
  s1 = snap(a);

  CHECK_JSON_CALL(codesync_text_diff(ta, s0.data, s0.len, s1.data, s1.len, &out),
                  "[{\"insert\":\"> \",\"client\":1},{\"retain\":6},"
                  "{\"delete\":5,\"text\":\"world\",\"client\":1},{\"insert\":\"there\",\"client\":2}]");
  /* next NULL = now (same as s1 here); prev NULL = the empty document. */
  CHECK_JSON_CALL(codesync_text_diff(ta, s0.data, s0.len, NULL, 0, &out),
                  "[{\"insert\":\"> \",\"client\":1},{\"retain\":6},"
                  "{\"delete\":5,\"text\":\"world\",\"client\":1},{\"insert\":\"there\",\"client\":2}]");
  CHECK_JSON_CALL(codesync_text_diff(ta, NULL, 0, s0.data, s0.len, &out),
                  "[{\"insert\":\"hello world\",\"client\":1}]");
  CHECK_JSON_CALL(codesync_text_diff(ta, s1.data, s1.len, s1.data, s1.len, &out), "[{\"retain\":13}]");
  /* Backwards: what undoes the change. */
  CHECK_JSON_CALL(codesync_text_diff(ta, s1.data, s1.len, s0.data, s0.len, &out),
                  "[{\"delete\":2,\"text\":\"> \",\"client\":1},{\"retain\":6},"
                  "{\"insert\":\"world\",\"client\":1},{\"delete\":5,\"text\":\"there\",\"client\":2}]");

  CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_text_diff(ta, s0.data, 1, NULL, 0, &(codesync_buffer){0, 0}));
  codesync_buffer_free(&s0);
  codesync_buffer_free(&s1);
  codesync_doc_free(a);
  codesync_doc_free(b);
}

/* Lengths are in the document's unit: code points here. */
static void test_text_diff_units(void) {
  codesync_doc_options opts;
  codesync_doc *doc;
  codesync_text *t;
  codesync_buffer s0;
  codesync_doc_options_init(&opts);
  opts.client_id = 9;
  opts.gc = 0;
  opts.offset_kind = CODESYNC_OFFSET_CODEPOINT;
  doc = codesync_doc_new(&opts);
  t = codesync_doc_text(doc, "t");
  CHECK_OK(codesync_text_insert(t, 0, "a\xF0\x9F\x98\x80" "b\xC3\xA9", 8)); /* a😀bé */
  s0 = snap(doc);
  CHECK_OK(codesync_text_delete(t, 1, 2)); /* 😀b */
  CHECK_JSON_CALL(codesync_text_diff(t, s0.data, s0.len, NULL, 0, &out),
                  "[{\"retain\":1},{\"delete\":2,\"text\":\"\xF0\x9F\x98\x80" "b\",\"client\":9},{\"retain\":1}]");
  codesync_buffer_free(&s0);
  codesync_doc_free(doc);
}

static void test_map_diff(void) {
  codesync_doc *doc = history_doc(3, 0), *gcdoc = history_doc(4, 1);
  codesync_map *m = codesync_doc_map(doc, "m");
  codesync_buffer s0, s1;
  CHECK_OK(codesync_map_set_json(m, "keep", "1", 1));
  CHECK_OK(codesync_map_set_json(m, "change", "\"a\"", 3));
  CHECK_OK(codesync_map_set_json(m, "drop", "[1]", 3));
  s0 = snap(doc);
  CHECK_OK(codesync_map_set_json(m, "change", "\"b\"", 3));
  CHECK_OK(codesync_map_delete(m, "drop"));
  CHECK_OK(codesync_map_set_json(m, "add", "null", 4));
  CHECK_OK(codesync_map_set_json(m, "keep", "1", 1)); /* same value again: not a change */
  s1 = snap(doc);
  CHECK_JSON_CALL(codesync_map_diff(m, s0.data, s0.len, s1.data, s1.len, &out),
                  "[{\"key\":\"add\",\"action\":\"add\",\"new\":null,\"client\":3},"
                  "{\"key\":\"change\",\"action\":\"update\",\"old\":\"a\",\"new\":\"b\",\"client\":3},"
                  "{\"key\":\"drop\",\"action\":\"delete\",\"old\":[1],\"client\":3}]");
  CHECK_JSON_CALL(codesync_map_diff(m, s1.data, s1.len, NULL, 0, &out), "[]");
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT,
            codesync_map_diff(codesync_doc_map(gcdoc, "m"), NULL, 0, NULL, 0, &(codesync_buffer){0, 0}));
  codesync_buffer_free(&s0);
  codesync_buffer_free(&s1);
  codesync_doc_free(doc);
  codesync_doc_free(gcdoc);
}

typedef struct relay {
  codesync_doc *to;
  int events;
} relay;

static void forward(const uint8_t *update, size_t len, const char *origin, void *user_data) {
  relay *r = (relay *)user_data;
  (void)origin;
  r->events++;
  if (codesync_doc_apply_update(r->to, update, len) != CODESYNC_OK) r->events += 1000;
}

static void test_restore_syncs_to_peers(void) {
  codesync_doc *a = history_doc(1, 0), *b = history_doc(2, 0), *c = history_doc(3, 1);
  codesync_text *t = codesync_doc_text(a, "t");
  codesync_map *m = codesync_doc_map(a, "m");
  codesync_array *arr = codesync_doc_array(a, "arr");
  codesync_buffer s1, s_after;
  codesync_subscription *sub;
  relay r;
  doc_snapshot before;

  CHECK_OK(codesync_text_insert(t, 0, "fn main() {}", 12));
  CHECK_OK(codesync_map_set_json(m, "title", "\"v1\"", 4));
  CHECK_OK(codesync_array_insert_json(arr, 0, "[1,2,3]", 7));
  CHECK_OK(sync_both(a, c));
  s1 = snap(a);
  CHECK_OK(codesync_text_delete(t, 10, 2));
  CHECK_OK(codesync_text_insert(t, 10, "{ run(); }", 10));
  CHECK_OK(codesync_text_insert(t, 0, "// v2\n", 6));
  CHECK_OK(codesync_map_set_json(m, "title", "\"v2\"", 4));
  CHECK_OK(codesync_map_set_json(m, "extra", "1", 1));
  CHECK_OK(codesync_array_delete(arr, 1, 1));
  CHECK_OK(codesync_array_insert_json(arr, 0, "[0]", 3));
  CHECK_OK(sync_both(a, c)); /* c has the v2 state, and will receive only the restore */

  r.to = c;
  r.events = 0;
  sub = codesync_doc_observe_updates(a, forward, &r);
  REQUIRE(sub != NULL);
  CHECK_OK(codesync_doc_restore_snapshot(a, s1.data, s1.len, "restore"));
  CHECK_EQ_LL(r.events, 1); /* one transaction, one update, applied cleanly */
  codesync_unobserve(sub);

  CHECK_TEXT(t, "fn main() {}");
  CHECK_TEXT(codesync_doc_text(c, "t"), "fn main() {}");
  CHECK_JSON_CALL(codesync_map_to_json(codesync_doc_map(c, "m"), &out), "{\"title\":\"v1\"}");
  CHECK_JSON_CALL(codesync_array_to_json(codesync_doc_array(c, "arr"), &out), "[1,2,3]");
  /* A peer that syncs afterwards from nothing sees the same. */
  CHECK_OK(sync_both(a, b));
  CHECK_TEXT(codesync_doc_text(b, "t"), "fn main() {}");

  /* Restoring the current state changes nothing and emits nothing. */
  s_after = snap(a);
  before = take_snapshot(a);
  r.events = 0;
  sub = codesync_doc_observe_updates(a, forward, &r);
  CHECK_OK(codesync_doc_restore_snapshot(a, s_after.data, s_after.len, NULL));
  CHECK_EQ_LL(r.events, 0);
  CHECK(snapshot_unchanged(a, &before));
  codesync_unobserve(sub);

  /* gc on: refused, unchanged. */
  free_snapshot(&before);
  before = take_snapshot(c);
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_doc_restore_snapshot(c, s1.data, s1.len, NULL));
  CHECK(snapshot_unchanged(c, &before));

  free_snapshot(&before);
  codesync_buffer_free(&s1);
  codesync_buffer_free(&s_after);
  codesync_doc_free(a);
  codesync_doc_free(b);
  codesync_doc_free(c);
}

int main(void) {
  test_snapshot_bytes();
  test_doc_from_snapshot();
  test_snapshot_inside_a_run();
  test_contains_update();
  test_text_diff();
  test_text_diff_units();
  test_map_diff();
  test_restore_syncs_to_peers();
  return capi_finish("snapshots");
}
