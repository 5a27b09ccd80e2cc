/* Update observers, explicit and nested transactions, origins, and CODESYNC_ERR_BUSY
 * for edits from inside an observer. */
#include "capi_test.h"

typedef struct recorder {
  codesync_doc *mirror; /* when set, every update is applied to it */
  int mirror_rc;
  int calls;
  char origin[64];
  int origin_null;
  codesync_buffer last; /* our own copy (malloc), not a library buffer */
} recorder;

static void record(const uint8_t *update, size_t len, const char *origin, void *user_data) {
  recorder *r = (recorder *)user_data;
  r->calls++;
  r->origin_null = origin == NULL;
  snprintf(r->origin, sizeof r->origin, "%s", origin ? origin : "");
  free(r->last.data);
  r->last.data = (uint8_t *)malloc(len + 1);
  memcpy(r->last.data, update, len);
  r->last.len = len;
  if (r->mirror != NULL) {
    int rc = codesync_doc_apply_update(r->mirror, update, len);
    if (rc != CODESYNC_OK) r->mirror_rc = rc;
  }
}

static void reset(recorder *r) {
  codesync_doc *mirror = r->mirror;
  free(r->last.data);
  memset(r, 0, sizeof *r);
  r->mirror = mirror;
}

/* The last update a recorder saw, applied to a fresh doc, gives `expected` in text "t". */
static void check_last_update_gives(recorder *r, const char *expected) {
  codesync_doc *d = new_doc(99, CODESYNC_OFFSET_UTF16);
  CHECK_OK(codesync_doc_apply_update(d, r->last.data, r->last.len));
  CHECK_TEXT(codesync_doc_text(d, "t"), expected);
  codesync_doc_free(d);
}

static void test_one_event_per_transaction(void) {
  codesync_doc *doc = new_doc(1, CODESYNC_OFFSET_UTF16);
  codesync_text *t = codesync_doc_text(doc, "t");
  recorder r;
  codesync_subscription *sub;
  memset(&r, 0, sizeof r);
  /* The mirror sees only the emitted updates: it matches the doc iff every
   * transaction's update carried exactly its own changes. */
  r.mirror = new_doc(50, CODESYNC_OFFSET_UTF16);
  sub = codesync_doc_observe_updates(doc, record, &r);
  REQUIRE(sub != NULL);

  /* Implicit transaction: one event per call, no origin. */
  CHECK_OK(codesync_text_insert(t, 0, "ab", 2));
  CHECK_EQ_LL(r.calls, 1);
  CHECK(r.origin_null);
  check_last_update_gives(&r, "ab");
  CHECK_OK(codesync_text_delete(t, 0, 1));
  CHECK_EQ_LL(r.calls, 2);

  /* Explicit transaction: one event at commit with its origin and all edits. */
  reset(&r);
  CHECK_OK(codesync_doc_begin(doc, "typing"));
  CHECK_OK(codesync_text_insert(t, 1, "c", 1));
  CHECK_OK(codesync_text_insert(t, 2, "d", 1));
  CHECK_OK(codesync_text_delete(t, 0, 1));
  CHECK_OK(codesync_map_set_json(codesync_doc_map(doc, "m"), "k", "1", 1));
  CHECK_EQ_LL(r.calls, 0);
  CHECK_TEXT(t, "cd"); /* edits are visible inside the transaction */
  CHECK_OK(codesync_doc_commit(doc));
  CHECK_EQ_LL(r.calls, 1);
  CHECK(!r.origin_null);
  CHECK_STREQ(r.origin, "typing");

  /* Nested transactions: one event when the outermost commits, with its origin. */
  reset(&r);
  CHECK_OK(codesync_doc_begin(doc, "outer"));
  CHECK_OK(codesync_text_insert(t, 0, "1", 1));
  CHECK_OK(codesync_doc_begin(doc, "inner"));
  CHECK_OK(codesync_text_insert(t, 0, "2", 1));
  CHECK_OK(codesync_doc_commit(doc));
  CHECK_EQ_LL(r.calls, 0);
  CHECK_OK(codesync_text_insert(t, 0, "3", 1));
  CHECK_OK(codesync_doc_commit(doc));
  CHECK_EQ_LL(r.calls, 1);
  CHECK_STREQ(r.origin, "outer");
  CHECK_TEXT(t, "321cd");

  /* A transaction without changes, and a commit without a begin, emit nothing. */
  reset(&r);
  CHECK_OK(codesync_doc_begin(doc, "idle"));
  CHECK_OK(codesync_doc_commit(doc));
  CHECK_EQ_LL(r.calls, 0);
  CHECK(codesync_doc_commit(doc) != CODESYNC_OK);
  CHECK_EQ_LL(r.calls, 0);

  /* A failed call inside a transaction does not spoil it. */
  reset(&r);
  CHECK_OK(codesync_doc_begin(doc, NULL));
  CHECK_OK(codesync_text_insert(t, 0, "x", 1));
  CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_text_insert(t, 100, "y", 1));
  CHECK_OK(codesync_doc_commit(doc));
  CHECK_EQ_LL(r.calls, 1);
  CHECK(r.origin_null);
  CHECK_TEXT(t, "x321cd");

  codesync_unobserve(sub);
  CHECK_OK(codesync_text_insert(t, 0, "z", 1));
  CHECK_EQ_LL(r.calls, 1); /* unobserved */
  CHECK_EQ_LL(r.mirror_rc, CODESYNC_OK);
  CHECK_TEXT(codesync_doc_text(r.mirror, "t"), "x321cd");
  CHECK_JSON_CALL(codesync_map_to_json(codesync_doc_map(r.mirror, "m"), &out), "{\"k\":1}");
  codesync_doc_free(r.mirror);
  r.mirror = NULL;
  reset(&r);
  codesync_doc_free(doc);
}

static void test_remote_origins(void) {
  codesync_doc *a = new_doc(1, CODESYNC_OFFSET_UTF16);
  codesync_doc *b = new_doc(2, CODESYNC_OFFSET_UTF16);
  recorder ra, rb, rb2;
  codesync_subscription *sa, *sb, *sb2;
  memset(&ra, 0, sizeof ra);
  memset(&rb, 0, sizeof rb);
  memset(&rb2, 0, sizeof rb2);
  sa = codesync_doc_observe_updates(a, record, &ra);
  sb = codesync_doc_observe_updates(b, record, &rb);
  sb2 = codesync_doc_observe_updates(b, record, &rb2); /* two observers on one doc */
  CHECK_OK(codesync_text_insert(codesync_doc_text(a, "t"), 0, "hi", 2));
  REQUIRE(ra.calls == 1);

  CHECK_OK(codesync_doc_apply_update_with_origin(b, ra.last.data, ra.last.len, "network"));
  CHECK_EQ_LL(rb.calls, 1);
  CHECK_EQ_LL(rb2.calls, 1);
  CHECK_STREQ(rb.origin, "network");
  CHECK_STREQ(rb2.origin, "network");
  check_last_update_gives(&rb, "hi");

  /* Applying what is already known is no change: no event (as Yjs). */
  CHECK_OK(codesync_doc_apply_update(b, ra.last.data, ra.last.len));
  CHECK_EQ_LL(rb.calls, 1);

  CHECK_OK(codesync_text_insert(codesync_doc_text(a, "t"), 2, "!", 1));
  CHECK_OK(codesync_doc_apply_update(b, ra.last.data, ra.last.len));
  CHECK_EQ_LL(rb.calls, 2);
  CHECK(rb.origin_null);
  CHECK_TEXT(codesync_doc_text(b, "t"), "hi!");

  /* A rejected update emits nothing. */
  {
    static const uint8_t junk[] = {1, 1, 1};
    CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_doc_apply_update_with_origin(b, junk, sizeof junk, "net"));
    CHECK_EQ_LL(rb.calls, 2);
  }
  /* An update held pending emits once it integrates. */
  {
    codesync_doc *c = new_doc(3, CODESYNC_OFFSET_UTF16);
    recorder rc;
    codesync_subscription *sc;
    codesync_buffer u1, u2;
    memset(&rc, 0, sizeof rc);
    u1.data = NULL;
    /* u1 = a's state before "?" , u2 = the "?" insert alone */
    u1 = encode_state(a);
    CHECK_OK(codesync_text_insert(codesync_doc_text(a, "t"), 3, "?", 1));
    u2.len = ra.last.len;
    u2.data = ra.last.data;
    sc = codesync_doc_observe_updates(c, record, &rc);
    CHECK_OK(codesync_doc_apply_update(c, u2.data, u2.len));
    CHECK(codesync_doc_has_pending(c) != 0);
    CHECK_OK(codesync_doc_apply_update(c, u1.data, u1.len));
    CHECK(rc.calls >= 1);
    CHECK_TEXT(codesync_doc_text(c, "t"), "hi!?");
    codesync_unobserve(sc);
    codesync_buffer_free(&u1);
    reset(&rc);
    codesync_doc_free(c);
  }
  codesync_unobserve(sa);
  codesync_unobserve(sb);
  codesync_unobserve(sb2);
  reset(&ra);
  reset(&rb);
  reset(&rb2);
  codesync_doc_free(a);
  codesync_doc_free(b);
}

/* ---- editing from inside an observer ------------------------------------ */

typedef struct busy_probe {
  codesync_doc *doc;
  codesync_doc *other; /* a different document may be edited */
  int calls;
  int codes[8];
  char seen[64];
} busy_probe;

static void try_edits(busy_probe *p) {
  static const uint8_t empty_update[] = {0, 0};
  codesync_text *t = codesync_doc_text(p->doc, "t");
  codesync_buffer s = {0, 0};
  p->calls++;
  p->codes[0] = codesync_text_insert(t, 0, "X", 1);
  p->codes[1] = codesync_text_delete(t, 0, 1);
  p->codes[2] = codesync_map_set_json(codesync_doc_map(p->doc, "m"), "k", "1", 1);
  p->codes[3] = codesync_doc_apply_update(p->doc, empty_update, sizeof empty_update);
  p->codes[4] = codesync_doc_begin(p->doc, "nested");
  /* Reading is allowed: the document is consistent when callbacks run. */
  p->codes[5] = codesync_text_string(t, &s);
  if (p->codes[5] == CODESYNC_OK) snprintf(p->seen, sizeof p->seen, "%s", (const char *)s.data);
  codesync_buffer_free(&s);
  p->codes[6] = codesync_text_insert(codesync_doc_text(p->other, "t"), 0, "o", 1);
  p->codes[7] = codesync_array_insert_json(codesync_doc_array(p->doc, "a"), 0, "[1]", 3);
}

static void busy_update_cb(const uint8_t *update, size_t len, const char *origin, void *user_data) {
  (void)update;
  (void)len;
  (void)origin;
  try_edits((busy_probe *)user_data);
}

static void busy_delta_cb(const codesync_delta_op *ops, size_t count, const char *origin, void *user_data) {
  (void)ops;
  (void)count;
  (void)origin;
  try_edits((busy_probe *)user_data);
}

static void check_probe(busy_probe *p) {
  CHECK_EQ_LL(p->calls, 1);
  CHECK_EQ_LL(p->codes[0], CODESYNC_ERR_BUSY);
  CHECK_EQ_LL(p->codes[1], CODESYNC_ERR_BUSY);
  CHECK_EQ_LL(p->codes[2], CODESYNC_ERR_BUSY);
  CHECK_EQ_LL(p->codes[3], CODESYNC_ERR_BUSY);
  CHECK_EQ_LL(p->codes[4], CODESYNC_ERR_BUSY);
  CHECK_EQ_LL(p->codes[5], CODESYNC_OK);
  CHECK_STREQ(p->seen, "hello");
  CHECK_EQ_LL(p->codes[6], CODESYNC_OK);
  CHECK_EQ_LL(p->codes[7], CODESYNC_ERR_BUSY);
}

static void test_busy(int use_text_observer) {
  busy_probe p;
  codesync_subscription *sub;
  codesync_text *t;
  memset(&p, 0, sizeof p);
  p.doc = new_doc(1, CODESYNC_OFFSET_UTF16);
  p.other = new_doc(2, CODESYNC_OFFSET_UTF16);
  t = codesync_doc_text(p.doc, "t");
  codesync_doc_map(p.doc, "m");
  codesync_doc_array(p.doc, "a");
  sub = use_text_observer ? codesync_text_observe(t, busy_delta_cb, &p)
                          : codesync_doc_observe_updates(p.doc, busy_update_cb, &p);
  REQUIRE(sub != NULL);
  CHECK_OK(codesync_text_insert(t, 0, "hello", 5));
  check_probe(&p);
  codesync_unobserve(sub);
  /* None of the refused edits happened; the other document took its edit. */
  CHECK_TEXT(t, "hello");
  CHECK_JSON_CALL(codesync_doc_to_json(p.doc, &out), "{\"t\":\"hello\",\"m\":{},\"a\":[]}");
  CHECK_TEXT(codesync_doc_text(p.other, "t"), "o");
  /* After the callback the document is editable again (no transaction left open). */
  CHECK_OK(codesync_text_insert(t, 5, "!", 1));
  CHECK(codesync_doc_commit(p.doc) != CODESYNC_OK);
  codesync_doc_free(p.doc);
  codesync_doc_free(p.other);
}

/* Text observers see the transaction's origin too. */
typedef struct origin_probe {
  int calls;
  char origin[32];
} origin_probe;

static void origin_cb(const codesync_delta_op *ops, size_t count, const char *origin, void *user_data) {
  origin_probe *p = (origin_probe *)user_data;
  (void)ops;
  (void)count;
  p->calls++;
  snprintf(p->origin, sizeof p->origin, "%s", origin ? origin : "(null)");
}

static void test_text_observer_origin(void) {
  codesync_doc *a = new_doc(1, CODESYNC_OFFSET_UTF16);
  codesync_doc *b = new_doc(2, CODESYNC_OFFSET_UTF16);
  origin_probe pa, pb;
  codesync_subscription *sa, *sb;
  codesync_buffer u;
  memset(&pa, 0, sizeof pa);
  memset(&pb, 0, sizeof pb);
  sa = codesync_text_observe(codesync_doc_text(a, "t"), origin_cb, &pa);
  sb = codesync_text_observe(codesync_doc_text(b, "t"), origin_cb, &pb);
  REQUIRE(sa != NULL && sb != NULL);
  CHECK_OK(codesync_doc_begin(a, "me"));
  CHECK_OK(codesync_text_insert(codesync_doc_text(a, "t"), 0, "ab", 2));
  CHECK_OK(codesync_text_insert(codesync_doc_text(a, "t"), 2, "cd", 2));
  CHECK_OK(codesync_doc_commit(a));
  CHECK_EQ_LL(pa.calls, 1);
  CHECK_STREQ(pa.origin, "me");
  u = encode_state(a);
  CHECK_OK(codesync_doc_apply_update_with_origin(b, u.data, u.len, "peer"));
  CHECK_EQ_LL(pb.calls, 1);
  CHECK_STREQ(pb.origin, "peer");
  /* A map edit does not fire the text observer. */
  CHECK_OK(codesync_map_set_json(codesync_doc_map(a, "m"), "k", "2", 1));
  CHECK_EQ_LL(pa.calls, 1);
  codesync_buffer_free(&u);
  codesync_unobserve(sa);
  codesync_unobserve(sb);
  codesync_doc_free(a);
  codesync_doc_free(b);
}

int main(void) {
  test_one_event_per_transaction();
  test_remote_origins();
  test_busy(0);
  test_busy(1);
  test_text_observer_origin();
  return capi_finish("capi.observers");
}
