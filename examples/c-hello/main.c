/*
 * c-hello: two replicas of one document edit the same text at the same time
 * and converge by exchanging updates (Yjs update format v1).
 *
 *   1. Live: each replica's update observer queues its local edits, which
 *      are then delivered to the other replica, after both have edited the
 *      same spot concurrently.
 *   2. Reconnect: edits made while "offline" are lost in transit; the
 *      replicas recover by exchanging state vectors and the diffs they imply.
 *
 * Exits 0 only if both replicas end with the same text. Plain C99, public
 * API only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codesync.h"

/* Updates a replica made locally, waiting to be sent to its peer. */
#define OUTBOX_CAPACITY 16
typedef struct outbox {
  uint8_t *data[OUTBOX_CAPACITY];
  size_t len[OUTBOX_CAPACITY];
  size_t count;
} outbox;

static void die(const char *what, int rc) {
  fprintf(stderr, "c-hello: %s failed: %s (%s)\n", what, codesync_strerror(rc), codesync_last_error());
  exit(1);
}

static void check(int rc, const char *what) {
  if (rc != CODESYNC_OK) die(what, rc);
}

/* Observer: queue updates from local edits. Updates applied from the peer
 * carry an origin and are not sent back. The update bytes are only valid
 * during the call, so they are copied. */
static void on_update(const uint8_t *update, size_t len, const char *origin, void *user_data) {
  outbox *box = (outbox *)user_data;
  uint8_t *copy;
  if (origin != NULL) return;
  if (box->count == OUTBOX_CAPACITY || (copy = (uint8_t *)malloc(len)) == NULL) {
    fprintf(stderr, "c-hello: outbox full\n");
    exit(1);
  }
  memcpy(copy, update, len);
  box->data[box->count] = copy;
  box->len[box->count] = len;
  box->count++;
}

static void outbox_clear(outbox *box) {
  size_t i;
  for (i = 0; i < box->count; i++) free(box->data[i]);
  box->count = 0;
}

/* Applies every queued update to `to`, then empties the outbox. */
static void deliver(outbox *box, codesync_doc *to, const char *label) {
  size_t i, bytes = 0;
  for (i = 0; i < box->count; i++) {
    check(codesync_doc_apply_update_with_origin(to, box->data[i], box->len[i], "remote"), "apply_update");
    bytes += box->len[i];
  }
  printf("  %s: %lu update(s), %lu bytes\n", label, (unsigned long)box->count, (unsigned long)bytes);
  outbox_clear(box);
}

/* Sends `from` exactly what `to` lacks, computed from `to`'s state vector. */
static void sync_by_state_vector(codesync_doc *from, codesync_doc *to, const char *label) {
  codesync_buffer sv = {NULL, 0}, diff = {NULL, 0};
  check(codesync_doc_state_vector(to, &sv), "state_vector");
  check(codesync_doc_encode_update(from, sv.data, sv.len, &diff), "encode_update");
  check(codesync_doc_apply_update_with_origin(to, diff.data, diff.len, "sync"), "apply_update");
  printf("  %s: state vector %lu bytes, diff %lu bytes\n", label, (unsigned long)sv.len, (unsigned long)diff.len);
  codesync_buffer_free(&sv);
  codesync_buffer_free(&diff);
}

static void insert(codesync_text *text, size_t index, const char *s) {
  check(codesync_text_insert(text, index, s, strlen(s)), "text_insert");
}

/* Prints both texts; returns 1 when they are equal and `expected_len` long. */
static int converged(codesync_text *a, codesync_text *b, size_t expected_len) {
  codesync_buffer sa = {NULL, 0}, sb = {NULL, 0};
  int same;
  check(codesync_text_string(a, &sa), "text_string");
  check(codesync_text_string(b, &sb), "text_string");
  printf("  A: \"%s\"\n  B: \"%s\"\n", (const char *)sa.data, (const char *)sb.data);
  same = sa.len == sb.len && memcmp(sa.data, sb.data, sa.len) == 0 && sa.len == expected_len;
  printf("  %s\n", same ? "converged" : "DIVERGED");
  codesync_buffer_free(&sa);
  codesync_buffer_free(&sb);
  return same;
}

int main(void) {
  codesync_doc_options opts;
  codesync_doc *a, *b;
  codesync_text *ta, *tb;
  codesync_subscription *sub_a, *sub_b;
  outbox to_b = {{NULL}, {0}, 0}, to_a = {{NULL}, {0}, 0};
  int ok;

  printf("codesync %s\n", codesync_version());

  /* Two replicas; the client id identifies each one's edits. */
  codesync_doc_options_init(&opts);
  opts.client_id = 1;
  a = codesync_doc_new(&opts);
  opts.client_id = 2;
  b = codesync_doc_new(&opts);
  if (a == NULL || b == NULL) die("doc_new", CODESYNC_ERR_NO_MEMORY);
  ta = codesync_doc_text(a, "content");
  tb = codesync_doc_text(b, "content");
  if (ta == NULL || tb == NULL) die("doc_text", CODESYNC_ERR_TYPE_MISMATCH);
  sub_a = codesync_doc_observe_updates(a, on_update, &to_b);
  sub_b = codesync_doc_observe_updates(b, on_update, &to_a);
  if (sub_a == NULL || sub_b == NULL) die("observe_updates", CODESYNC_ERR_NO_MEMORY);

  printf("1. live: A writes, then both insert at index 5 at the same time\n");
  insert(ta, 0, "Hello world");
  deliver(&to_b, b, "A -> B");
  insert(ta, 5, ", brave"); /* A: "Hello, brave world" */
  insert(tb, 5, " new");    /* B: "Hello new world", not yet knowing A's edit */
  insert(tb, 15, "!");      /* B: "Hello new world!" */
  deliver(&to_b, b, "A -> B");
  deliver(&to_a, a, "B -> A");
  ok = converged(ta, tb, strlen("Hello world") + strlen(", brave") + strlen(" new") + strlen("!"));

  printf("2. offline: both edit, the updates are lost; resync by state vectors\n");
  check(codesync_text_delete(ta, 5, 7), "text_delete"); /* A removes ", brave" */
  insert(tb, codesync_text_length(tb), " Bye.");       /* B appends */
  outbox_clear(&to_a);
  outbox_clear(&to_b);
  sync_by_state_vector(a, b, "A -> B");
  sync_by_state_vector(b, a, "B -> A");
  ok = converged(ta, tb, strlen("Hello new world! Bye.")) && ok;

  codesync_unobserve(sub_a);
  codesync_unobserve(sub_b);
  codesync_doc_free(a);
  codesync_doc_free(b);
  return ok ? 0 : 1;
}
