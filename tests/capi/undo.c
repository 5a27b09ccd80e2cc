/* The undo manager through the C API: undo/redo with interleaved remote edits,
 * tracked origins, capture timeout with injected time (set_time and a clock
 * callback), stack events with meta used to restore a cursor, clear, and the
 * error contract. Expected texts are worked out by hand from yjs 13.6
 * UndoManager semantics (tests/interop/undo.mjs compares with yjs itself). */
#include "capi_test.h"

static int undo(codesync_undo_manager *um) {
  int changed = -1;
  int rc = codesync_undo_manager_undo(um, &changed);
  return rc == CODESYNC_OK ? changed : rc;
}

static int redo(codesync_undo_manager *um) {
  int changed = -1;
  int rc = codesync_undo_manager_redo(um, &changed);
  return rc == CODESYNC_OK ? changed : rc;
}

/* Applies what `to` lacks from `from` under origin "remote" (not tracked). */
static void sync_remote(codesync_doc *from, codesync_doc *to) {
  codesync_buffer sv = state_vector(to), diff = {0, 0};
  REQUIRE_OK(codesync_doc_encode_update(from, sv.data, sv.len, &diff));
  REQUIRE_OK(codesync_doc_apply_update_with_origin(to, diff.data, diff.len, "remote"));
  codesync_buffer_free(&sv);
  codesync_buffer_free(&diff);
}

static void edit(codesync_doc *doc, const char *origin, size_t at, const char *ins, size_t del) {
  codesync_text *t = codesync_doc_text(doc, "doc");
  REQUIRE_OK(codesync_doc_begin(doc, origin));
  if (del) REQUIRE_OK(codesync_text_delete(t, at, del));
  if (ins) REQUIRE_OK(codesync_text_insert(t, at, ins, strlen(ins)));
  REQUIRE_OK(codesync_doc_commit(doc));
}

static void test_interleaved(void) {
  codesync_doc *a = new_doc(1, CODESYNC_OFFSET_UTF16), *b = new_doc(2, CODESYNC_OFFSET_UTF16);
  codesync_text *ta = codesync_doc_text(a, "doc"), *tb = codesync_doc_text(b, "doc");
  codesync_undo_options o;
  codesync_undo_manager *um;
  codesync_undo_options_init(&o);
  CHECK_EQ_LL(o.capture_timeout_ms, 500);
  CHECK_STREQ(o.origin, "codesync:undo");
  um = codesync_undo_manager_new(a, &o);
  REQUIRE(um != NULL);
  REQUIRE_OK(codesync_undo_manager_add_text(um, ta));
  REQUIRE_OK(codesync_undo_manager_add_tracked_origin(um, "editor"));
  CHECK_EQ_LL(codesync_undo_manager_can_undo(um), 0);

  REQUIRE_OK(codesync_undo_manager_set_time(um, 1000));
  edit(a, "editor", 0, "hello", 0);
  REQUIRE_OK(codesync_undo_manager_set_time(um, 1200)); /* within 500 ms: same stack item */
  edit(a, "editor", 5, " there", 0);
  CHECK_EQ_LL(codesync_undo_manager_undo_depth(um), 1);
  sync_remote(a, b);
  edit(b, NULL, 11, "!", 0);   /* the peer appends and prepends */
  edit(b, NULL, 0, "> ", 0);
  sync_remote(b, a);
  CHECK_TEXT(ta, "> hello there!");
  CHECK_EQ_LL(codesync_undo_manager_undo_depth(um), 1); /* remote changes are not recorded */

  REQUIRE_OK(codesync_undo_manager_set_time(um, 5000));
  edit(a, "editor", 2, NULL, 6); /* delete "hello " */
  CHECK_TEXT(ta, "> there!");
  CHECK_EQ_LL(codesync_undo_manager_undo_depth(um), 2);
  sync_remote(a, b);
  edit(b, NULL, 2, "T", 1); /* the peer capitalises "there" */
  sync_remote(b, a);
  CHECK_TEXT(ta, "> There!");

  CHECK_EQ_LL(undo(um), 1); /* "hello " comes back; the peer's T stays */
  CHECK_TEXT(ta, "> hello There!");
  CHECK_EQ_LL(undo(um), 1); /* our typing goes; the peer's "> " and "!" stay */
  CHECK_TEXT(ta, "> T!");
  CHECK_EQ_LL(undo(um), 0);
  CHECK_EQ_LL(codesync_undo_manager_redo_depth(um), 2);
  CHECK_EQ_LL(redo(um), 1);
  /* Our typing is re-created where it was; the peer's T replaced our t for good. */
  CHECK_TEXT(ta, "> hello There!");
  sync_remote(a, b);
  CHECK_TEXT(tb, "> hello There!");
  codesync_undo_manager_free(um);
  codesync_doc_free(a);
  codesync_doc_free(b);
}

static int64_t fake_now = 0;
static int64_t fake_clock(void *user_data) {
  (void)user_data;
  return fake_now;
}

static void test_clock_and_origins(void) {
  codesync_doc *doc = new_doc(1, CODESYNC_OFFSET_UTF16);
  codesync_text *t = codesync_doc_text(doc, "doc");
  codesync_undo_options o;
  codesync_undo_manager *um;
  codesync_undo_options_init(&o);
  o.capture_timeout_ms = 100;
  o.clock = fake_clock;
  o.origin = NULL;
  um = codesync_undo_manager_new(doc, &o);
  REQUIRE(um != NULL);
  REQUIRE_OK(codesync_undo_manager_add_text(um, t));
  fake_now = 10;
  REQUIRE_OK(codesync_text_insert(t, 0, "a", 1)); /* NULL origin: tracked by default */
  fake_now = 60;
  REQUIRE_OK(codesync_text_insert(t, 1, "b", 1));
  fake_now = 200;
  REQUIRE_OK(codesync_text_insert(t, 2, "c", 1));
  CHECK_EQ_LL(codesync_undo_manager_undo_depth(um), 2);
  REQUIRE_OK(codesync_undo_manager_stop_capturing(um));
  REQUIRE_OK(codesync_text_insert(t, 3, "d", 1));
  CHECK_EQ_LL(codesync_undo_manager_undo_depth(um), 3);
  edit(doc, "elsewhere", 4, "e", 0); /* not tracked */
  CHECK_EQ_LL(codesync_undo_manager_undo_depth(um), 3);
  REQUIRE_OK(codesync_undo_manager_remove_tracked_origin(um, NULL));
  REQUIRE_OK(codesync_text_insert(t, 5, "f", 1));
  CHECK_EQ_LL(codesync_undo_manager_undo_depth(um), 3);
  CHECK_EQ_LL(undo(um), 1);
  CHECK_TEXT(t, "abcef");
  CHECK_EQ_LL(undo(um), 1);
  CHECK_TEXT(t, "abef");
  CHECK_EQ_LL(undo(um), 1);
  CHECK_TEXT(t, "ef");
  REQUIRE_OK(codesync_undo_manager_clear(um));
  CHECK_EQ_LL(codesync_undo_manager_can_redo(um), 0);
  CHECK_EQ_LL(codesync_undo_manager_can_undo(um), 0);
  codesync_undo_manager_free(um);
  codesync_doc_free(doc);
}

/* An editor that restores its cursor: before each edit it takes the cursor as
 * a relative position; on ADDED it stores that in the item's meta; on POPPED
 * it reads it back (the position follows content the undo re-created). */
typedef struct editor {
  codesync_undo_manager *um;
  codesync_text *text;
  size_t cursor;
  codesync_buffer before;
  int added, updated, popped, busy_seen;
  char last_origin[32];
} editor;

static void on_stack(codesync_undo_manager *um, const codesync_undo_event *ev, void *user_data) {
  editor *e = (editor *)user_data;
  snprintf(e->last_origin, sizeof e->last_origin, "%s", ev->origin ? ev->origin : "(null)");
  if (ev->kind == CODESYNC_UNDO_ITEM_ADDED) {
    e->added++;
    if (e->before.len) codesync_undo_manager_set_meta(um, ev->stack, e->before.data, e->before.len);
    /* Edits from here are refused. */
    if (codesync_text_insert(e->text, 0, "x", 1) == CODESYNC_ERR_BUSY) e->busy_seen++;
  } else if (ev->kind == CODESYNC_UNDO_ITEM_UPDATED) {
    e->updated++;
  } else {
    size_t index = 0;
    codesync_relpos_state st;
    e->popped++;
    if (ev->meta && codesync_relpos_to_text_index(e->text, ev->meta, ev->meta_len, &index, &st) == CODESYNC_OK &&
        st == CODESYNC_RELPOS_FOUND) {
      e->cursor = index;
    }
  }
}

static void test_events(void) {
  codesync_doc *doc = new_doc(1, CODESYNC_OFFSET_UTF16);
  codesync_text *t = codesync_doc_text(doc, "doc");
  editor e;
  codesync_undo_subscription *sub;
  codesync_buffer meta = {0, 0};
  memset(&e, 0, sizeof e);
  e.um = codesync_undo_manager_new(doc, NULL);
  e.text = t;
  REQUIRE_OK(codesync_undo_manager_add_text(e.um, t));
  sub = codesync_undo_manager_observe(e.um, on_stack, &e);
  REQUIRE(sub != NULL);
  REQUIRE_OK(codesync_text_insert(t, 0, "hello world", 11));
  REQUIRE_OK(codesync_undo_manager_stop_capturing(e.um));
  e.cursor = 6; /* before "world", where the user starts deleting */
  REQUIRE_OK(codesync_relpos_from_text(t, e.cursor, 0, &e.before));
  REQUIRE_OK(codesync_text_delete(t, 6, 5));
  codesync_buffer_free(&e.before);
  CHECK_EQ_LL(e.added, 2);
  CHECK_EQ_LL(e.busy_seen, 2);
  CHECK_STREQ(e.last_origin, "(null)");
  CHECK_OK(codesync_undo_manager_get_meta(e.um, CODESYNC_UNDO_STACK_UNDO, &meta));
  CHECK(meta.len > 0);
  codesync_buffer_free(&meta);
  REQUIRE_OK(codesync_text_insert(t, 0, ">> ", 3)); /* untracked? no: NULL origin is tracked */
  CHECK_EQ_LL(e.updated, 1); /* merged into the deletion's stack item (same time) */
  e.cursor = 0;
  CHECK_EQ_LL(undo(e.um), 1);
  CHECK_TEXT(t, "hello world");
  CHECK_EQ_LL(e.popped, 1);
  CHECK_EQ_LL(e.cursor, 6); /* restored from the meta */
  CHECK_STREQ(e.last_origin, "codesync:undo");
  CHECK_EQ_LL(codesync_undo_manager_redo_depth(e.um), 1);
  codesync_undo_manager_unobserve(sub);
  CHECK_EQ_LL(redo(e.um), 1);
  CHECK_EQ_LL(e.popped, 1); /* unobserved */
  CHECK_TEXT(t, ">> hello ");
  codesync_undo_manager_free(e.um);
  codesync_doc_free(doc);
}

static int64_t bad_now = 0;
static void nested_undo(const uint8_t *u, size_t len, const char *origin, void *user_data) {
  (void)u, (void)len, (void)origin;
  bad_now = codesync_undo_manager_undo((codesync_undo_manager *)user_data, NULL);
}

static void test_errors(void) {
  codesync_doc *doc = new_doc(1, CODESYNC_OFFSET_UTF16), *other = new_doc(2, CODESYNC_OFFSET_UTF16);
  codesync_text *t = codesync_doc_text(doc, "doc");
  codesync_undo_manager *um = codesync_undo_manager_new(doc, NULL);
  codesync_undo_options o;
  codesync_subscription *sub;
  codesync_buffer b = {0, 0};
  int changed = 5;
  REQUIRE(um != NULL);
  CHECK(codesync_undo_manager_new(NULL, NULL) == NULL);
  CHECK_EQ_LL(codesync_last_error_code(), CODESYNC_ERR_INVALID_ARGUMENT);
  codesync_undo_options_init(&o);
  o.capture_timeout_ms = -1;
  CHECK(codesync_undo_manager_new(doc, &o) == NULL);
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_undo_manager_add_text(um, codesync_doc_text(other, "doc")));
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_undo_manager_add_text(um, NULL));
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_undo_manager_undo(NULL, &changed));
  CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_undo_manager_set_meta(um, CODESYNC_UNDO_STACK_REDO, NULL, 0));
  CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_undo_manager_get_meta(um, CODESYNC_UNDO_STACK_UNDO, &b));
  CHECK(codesync_undo_manager_observe(um, NULL, NULL) == NULL);
  REQUIRE_OK(codesync_undo_manager_add_text(um, t));
  REQUIRE_OK(codesync_text_insert(t, 0, "abc", 3));
  /* Inside an open transaction and from inside an observer: refused, nothing changes. */
  REQUIRE_OK(codesync_doc_begin(doc, NULL));
  CHECK_ERR(CODESYNC_ERR_BUSY, codesync_undo_manager_undo(um, &changed));
  CHECK_ERR(CODESYNC_ERR_BUSY, codesync_undo_manager_clear(um));
  REQUIRE_OK(codesync_doc_commit(doc));
  CHECK_EQ_LL(changed, 5);
  sub = codesync_doc_observe_updates(doc, nested_undo, um);
  REQUIRE_OK(codesync_text_insert(t, 3, "d", 1));
  CHECK_EQ_LL(bad_now, CODESYNC_ERR_BUSY);
  codesync_unobserve(sub);
  CHECK_TEXT(t, "abcd");
  CHECK_EQ_LL(undo(um), 1);
  CHECK_TEXT(t, "");
  /* Free functions accept NULL. */
  codesync_undo_manager_free(NULL);
  codesync_undo_manager_unobserve(NULL);
  codesync_undo_options_init(NULL);
  codesync_undo_manager_free(um);
  codesync_doc_free(doc);
  codesync_doc_free(other);
}

int main(void) {
  test_interleaved();
  test_clock_and_origins();
  test_events();
  test_errors();
  return capi_finish("undo");
}
