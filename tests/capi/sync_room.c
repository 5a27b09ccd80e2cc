/* codesync_room through the C API: a server embedding the room with C
 * "clients" (a document + awareness each, speaking through
 * codesync_sync_receive), read-only connections, detach, timeouts, malformed
 * frames and persistence through the room document's update observer. */
#include "capi_test.h"

#define MAX_FRAMES 64

typedef struct frame_list {
  codesync_buffer frames[MAX_FRAMES];
  size_t count;
} frame_list;

/* Frames drained from a room, per connection id 0..7. */
typedef struct outbox {
  frame_list conn[8];
} outbox;

static void outbox_free(outbox *o) {
  size_t c, i;
  for (c = 0; c < 8; c++) {
    for (i = 0; i < o->conn[c].count; i++) codesync_buffer_free(&o->conn[c].frames[i]);
    o->conn[c].count = 0;
  }
}

static void drain(codesync_room *room, outbox *o) {
  uint64_t conn = 0;
  codesync_buffer frame = {0, 0};
  int rc;
  memset(o, 0, sizeof *o);
  while ((rc = codesync_room_next_message(room, &conn, &frame)) == 1) {
    REQUIRE(conn < 8 && o->conn[conn].count < MAX_FRAMES);
    o->conn[conn].frames[o->conn[conn].count++] = frame;
    frame.data = NULL;
    frame.len = 0;
  }
  CHECK_EQ_LL(rc, 0);
}

static size_t drain_count(codesync_room *room) {
  outbox o;
  size_t c, n = 0;
  drain(room, &o);
  for (c = 0; c < 8; c++) n += o.conn[c].count;
  outbox_free(&o);
  return n;
}

static int frame_is(const codesync_buffer *b, const uint8_t *expected, size_t len) {
  return b->len == len && memcmp(b->data, expected, len) == 0;
}

static codesync_message_kind kind_of(const codesync_buffer *b) {
  codesync_message_kind kind = CODESYNC_MESSAGE_SYNC_STEP1;
  if (codesync_sync_decode(b->data, b->len, &kind, NULL, NULL) != CODESYNC_OK) return (codesync_message_kind)-1;
  return kind;
}

/* A client of the room: document + awareness, talking like y-websocket's provider. */
typedef struct client {
  uint64_t conn;
  codesync_doc *doc;
  codesync_awareness *aw;
  codesync_subscription *sub;
  frame_list outgoing; /* its own updates, as sync Update frames */
} client;

static void client_on_update(const uint8_t *update, size_t len, const char *origin, void *user_data) {
  client *c = (client *)user_data;
  codesync_buffer frame = {0, 0};
  if (origin != NULL && strcmp(origin, "server") == 0) return; /* came from the room */
  if (codesync_sync_encode_update(update, len, &frame) != CODESYNC_OK || c->outgoing.count >= MAX_FRAMES) exit(3);
  c->outgoing.frames[c->outgoing.count++] = frame;
}

static void client_init(client *c, uint64_t conn, uint64_t client_id) {
  memset(c, 0, sizeof *c);
  c->conn = conn;
  c->doc = new_doc(client_id, CODESYNC_OFFSET_UTF16);
  c->aw = codesync_awareness_new(client_id, 0);
  c->sub = codesync_doc_observe_updates(c->doc, client_on_update, c);
  REQUIRE(c->aw != NULL && c->sub != NULL);
}

static void client_free(client *c) {
  size_t i;
  for (i = 0; i < c->outgoing.count; i++) codesync_buffer_free(&c->outgoing.frames[i]);
  codesync_unobserve(c->sub);
  codesync_awareness_free(c->aw);
  codesync_doc_free(c->doc);
}

/* Sends the client's queued frames to the room. */
static void client_flush(client *c, codesync_room *room, int64_t now) {
  size_t i;
  for (i = 0; i < c->outgoing.count; i++) {
    CHECK_OK(codesync_room_receive(room, c->conn, c->outgoing.frames[i].data, c->outgoing.frames[i].len, now));
    codesync_buffer_free(&c->outgoing.frames[i]);
  }
  c->outgoing.count = 0;
}

/* What y-websocket's provider sends on open: step1, then its awareness state if any. */
static void client_connect(client *c, codesync_room *room, int64_t now) {
  codesync_buffer frame = {0, 0};
  uint64_t me = codesync_awareness_client_id(c->aw);
  CHECK_OK(codesync_sync_encode_step1(c->doc, &frame));
  CHECK_OK(codesync_room_receive(room, c->conn, frame.data, frame.len, now));
  codesync_buffer_free(&frame);
  if (codesync_awareness_count(c->aw) > 0) {
    CHECK_OK(codesync_sync_encode_awareness(c->aw, &me, 1, &frame));
    CHECK_OK(codesync_room_receive(room, c->conn, frame.data, frame.len, now));
    codesync_buffer_free(&frame);
  }
}

/* Delivers the room's frames to the clients until nothing moves. */
static void pump(codesync_room *room, client **clients, size_t n, int64_t now) {
  int rounds;
  for (rounds = 0; rounds < 16; rounds++) {
    uint64_t conn = 0;
    codesync_buffer frame = {0, 0};
    int moved = 0;
    size_t i;
    for (i = 0; i < n; i++) {
      if (clients[i]->outgoing.count) moved = 1;
      client_flush(clients[i], room, now);
    }
    while (codesync_room_next_message(room, &conn, &frame) == 1) {
      codesync_buffer reply = {0, 0};
      moved = 1;
      for (i = 0; i < n; i++) {
        if (clients[i]->conn != conn) continue;
        CHECK_OK(codesync_sync_receive(clients[i]->doc, clients[i]->aw, frame.data, frame.len, now, "server", NULL,
                                       &reply));
        if (reply.len) CHECK_OK(codesync_room_receive(room, conn, reply.data, reply.len, now));
        codesync_buffer_free(&reply);
      }
      codesync_buffer_free(&frame);
    }
    if (!moved) return;
  }
  CAPI_FAIL_("pump did not settle");
}

/* Persistence: the room document's updates, as a server would store them. */
typedef struct store {
  codesync_buffer updates[MAX_FRAMES];
  size_t count;
  char last_origin[32];
} store;

static void store_update(const uint8_t *update, size_t len, const char *origin, void *user_data) {
  store *s = (store *)user_data;
  if (s->count >= MAX_FRAMES) return;
  s->updates[s->count].data = (uint8_t *)malloc(len + 1);
  memcpy(s->updates[s->count].data, update, len);
  s->updates[s->count].len = len;
  s->count++;
  snprintf(s->last_origin, sizeof s->last_origin, "%s", origin ? origin : "(null)");
}

static void test_first_messages_and_errors(void) {
  codesync_room_options opts;
  codesync_room *room;
  outbox o;
  static const uint8_t step1_empty[] = {0, 0, 1, 0};
  static const uint8_t garbage[] = {0, 9, 1};
  uint64_t conn = 0;
  codesync_buffer frame = {0, 0};

  codesync_room_options_init(&opts);
  CHECK_EQ_LL(opts.awareness_timeout_ms, 30000);
  CHECK_EQ_LL(opts.doc.gc, 1);
  opts.doc.client_id = 77;
  room = codesync_room_new(&opts);
  REQUIRE(room != NULL);
  CHECK_EQ_LL(codesync_doc_client_id(codesync_room_doc(room)), 77);
  CHECK_EQ_LL(codesync_awareness_client_id(codesync_room_awareness(room)), 77);

  CHECK_OK(codesync_room_attach(room, 1, 0, 0));
  CHECK_EQ_LL(codesync_room_connection_count(room), 1);
  CHECK_EQ_LL(codesync_room_pending_messages(room), 1);
  drain(room, &o);
  CHECK_EQ_LL(o.conn[1].count, 1);
  CHECK(frame_is(&o.conn[1].frames[0], step1_empty, sizeof step1_empty));
  outbox_free(&o);

  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_room_attach(room, 1, 0, 0));
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_room_detach(room, 2, 0));
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_room_receive(room, 2, step1_empty, 4, 0));
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_room_set_read_only(room, 2, 1));
  CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_room_receive(room, 1, garbage, sizeof garbage, 0));
  CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_room_receive(room, 1, NULL, 0, 0));
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_room_receive(room, 1, NULL, 3, 0));
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_room_next_message(room, NULL, &frame));
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_room_next_message(NULL, &conn, &frame));
  CHECK_EQ_LL(codesync_room_next_message(room, &conn, &frame), 0);
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_room_attach(NULL, 1, 0, 0));
  CHECK(codesync_room_doc(NULL) == NULL);
  CHECK(codesync_room_awareness(NULL) == NULL);

  /* The room's awareness is borrowed: freeing it does nothing. */
  codesync_awareness_free(codesync_room_awareness(room));
  CHECK_OK(codesync_awareness_set_local_state(codesync_room_awareness(room), "{\"bot\":1}", 9, 0));
  CHECK_EQ_LL(drain_count(room), 1); /* broadcast to connection 1 */
  CHECK_OK(codesync_room_attach(room, 2, 0, 0));
  drain(room, &o);
  CHECK_EQ_LL(o.conn[2].count, 2); /* step1 + every awareness state */
  CHECK_EQ_LL(kind_of(&o.conn[2].frames[1]), CODESYNC_MESSAGE_AWARENESS);
  outbox_free(&o);

  codesync_room_free(room);
  codesync_room_free(NULL);
  room = codesync_room_new(NULL);
  REQUIRE(room != NULL);
  codesync_room_free(room);
}

static void test_clients_converge(void) {
  codesync_room *room = codesync_room_new(NULL);
  codesync_doc *rdoc = codesync_room_doc(room);
  client a, b;
  client *all[2];
  store st;
  codesync_subscription *persist;
  codesync_buffer out = {0, 0};
  char *text_room, *text_a, *text_b;
  memset(&st, 0, sizeof st);
  persist = codesync_doc_observe_updates(rdoc, store_update, &st);
  REQUIRE(persist != NULL);

  /* The server loads persisted content before anyone connects. */
  CHECK_OK(codesync_text_insert(codesync_doc_text(rdoc, "t"), 0, "[base]", 6));

  client_init(&a, 1, 11);
  client_init(&b, 2, 22);
  all[0] = &a;
  all[1] = &b;
  CHECK_OK(codesync_text_insert(codesync_doc_text(a.doc, "t"), 0, "offline-a ", 10));
  CHECK_OK(codesync_awareness_set_local_state(a.aw, "{\"user\":\"a\"}", 12, 0));
  CHECK_OK(codesync_awareness_set_local_state(b.aw, "{\"user\":\"b\"}", 12, 0));
  a.outgoing.count = 0; /* offline edits travel in the sync steps, not as updates */
  codesync_buffer_free(&a.outgoing.frames[0]);

  CHECK_OK(codesync_room_attach(room, 1, 0, 0));
  client_connect(&a, room, 0);
  CHECK_OK(codesync_room_attach(room, 2, 0, 0));
  client_connect(&b, room, 0);
  pump(room, all, 2, 0);

  /* Concurrent edits on both clients and on the server. */
  CHECK_OK(codesync_text_insert(codesync_doc_text(a.doc, "t"), 0, "A", 1));
  CHECK_OK(codesync_text_insert(codesync_doc_text(b.doc, "t"), 0, "B", 1));
  CHECK_OK(codesync_text_insert(codesync_doc_text(rdoc, "t"), 0, "S", 1));
  CHECK_OK(codesync_awareness_set_local_state(b.aw, "{\"user\":\"b\",\"cursor\":3}", 23, 100));
  CHECK_OK(codesync_sync_encode_awareness(b.aw, NULL, 0, &out));
  CHECK_OK(codesync_room_receive(room, 2, out.data, out.len, 100));
  codesync_buffer_free(&out);
  pump(room, all, 2, 100);

  text_room = text_dup(codesync_doc_text(rdoc, "t"));
  text_a = text_dup(codesync_doc_text(a.doc, "t"));
  text_b = text_dup(codesync_doc_text(b.doc, "t"));
  REQUIRE(text_room && text_a && text_b);
  CHECK_STREQ(text_a, text_room);
  CHECK_STREQ(text_b, text_room);
  CHECK_EQ_LL(strlen(text_room), 19);
  CHECK(strstr(text_room, "[base]") != NULL && strstr(text_room, "offline-a") != NULL);
  free(text_room);
  free(text_a);
  free(text_b);

  /* Everyone sees both presences (the room included). */
  CHECK_JSON_CALL(codesync_awareness_state(a.aw, 22, &out), "{\"user\":\"b\",\"cursor\":3}");
  CHECK_JSON_CALL(codesync_awareness_state(b.aw, 11, &out), "{\"user\":\"a\"}");
  CHECK_JSON_CALL(codesync_awareness_states_json(codesync_room_awareness(room), &out),
                  "{\"11\":{\"user\":\"a\"},\"22\":{\"user\":\"b\",\"cursor\":3}}");

  /* Persistence saw every change; replaying it rebuilds the room's text. */
  CHECK(st.count >= 4);
  {
    codesync_doc *replay = new_doc(999, CODESYNC_OFFSET_UTF16);
    size_t i;
    char *t1, *t2;
    for (i = 0; i < st.count; i++) CHECK_OK(codesync_doc_apply_update(replay, st.updates[i].data, st.updates[i].len));
    t1 = text_dup(codesync_doc_text(replay, "t"));
    t2 = text_dup(codesync_doc_text(rdoc, "t"));
    CHECK(t1 && t2 && strcmp(t1, t2) == 0);
    free(t1);
    free(t2);
    codesync_doc_free(replay);
    for (i = 0; i < st.count; i++) free(st.updates[i].data);
  }

  /* a leaves: its presence is removed at the room and at b. */
  CHECK_OK(codesync_room_detach(room, 1, 200));
  CHECK_EQ_LL(codesync_room_connection_count(room), 1);
  all[0] = &b;
  pump(room, all, 1, 200);
  CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_awareness_state(b.aw, 11, &out));
  CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_awareness_state(codesync_room_awareness(room), 11, &out));

  /* b goes silent: its state expires 30 s after its last update (at 100). */
  CHECK_OK(codesync_room_tick(room, 30099));
  CHECK_EQ_LL(codesync_awareness_count(codesync_room_awareness(room)), 1);
  CHECK_OK(codesync_room_tick(room, 30100));
  CHECK_EQ_LL(codesync_awareness_count(codesync_room_awareness(room)), 0);
  CHECK_EQ_LL(codesync_room_pending_messages(room), 1); /* the removal, to b */

  codesync_unobserve(persist);
  client_free(&a);
  client_free(&b);
  codesync_room_free(room);
}

static void test_read_only(void) {
  codesync_room *room = codesync_room_new(NULL);
  client w, r;
  client *all[2];
  outbox o;
  static const uint8_t denied[] = {2, 0, 9, 'r', 'e', 'a', 'd', '-', 'o', 'n', 'l', 'y'};
  client_init(&w, 1, 11);
  client_init(&r, 2, 22);
  all[0] = &w;
  all[1] = &r;
  CHECK_OK(codesync_room_attach(room, 1, 0, 0));
  CHECK_OK(codesync_room_attach(room, 2, 1, 0));
  client_connect(&w, room, 0);
  client_connect(&r, room, 0);
  pump(room, all, 2, 0);

  CHECK_OK(codesync_text_insert(codesync_doc_text(w.doc, "t"), 0, "written", 7));
  pump(room, all, 2, 0);
  CHECK_TEXT(codesync_doc_text(r.doc, "t"), "written");

  /* The reader edits: dropped, answered with permission denied. */
  CHECK_OK(codesync_text_insert(codesync_doc_text(r.doc, "t"), 0, "X", 1));
  REQUIRE(r.outgoing.count == 1);
  CHECK_OK(codesync_room_receive(room, 2, r.outgoing.frames[0].data, r.outgoing.frames[0].len, 0));
  codesync_buffer_free(&r.outgoing.frames[0]);
  r.outgoing.count = 0;
  drain(room, &o);
  CHECK_EQ_LL(o.conn[1].count, 0);
  REQUIRE(o.conn[2].count == 1);
  CHECK(frame_is(&o.conn[2].frames[0], denied, sizeof denied));
  CHECK_EQ_LL(kind_of(&o.conn[2].frames[0]), CODESYNC_MESSAGE_PERMISSION_DENIED);
  outbox_free(&o);
  CHECK_TEXT(codesync_doc_text(codesync_room_doc(room), "t"), "written");
  CHECK_TEXT(codesync_doc_text(w.doc, "t"), "written");

  /* Reconnected as a writer: its answer to the room's step1 carries the edit. */
  CHECK_OK(codesync_room_detach(room, 2, 0));
  CHECK_OK(codesync_room_attach(room, 2, 0, 0));
  client_connect(&r, room, 0);
  pump(room, all, 2, 0);
  CHECK_TEXT(codesync_doc_text(codesync_room_doc(room), "t"), "Xwritten");
  CHECK_TEXT(codesync_doc_text(w.doc, "t"), "Xwritten");

  /* Demoted and promoted in place. */
  CHECK_OK(codesync_room_set_read_only(room, 2, 1));
  CHECK_OK(codesync_text_insert(codesync_doc_text(r.doc, "t"), 0, "Y", 1));
  pump(room, all, 2, 0);
  CHECK_TEXT(codesync_doc_text(codesync_room_doc(room), "t"), "Xwritten");
  CHECK_OK(codesync_room_set_read_only(room, 2, 0));
  CHECK_OK(codesync_text_insert(codesync_doc_text(r.doc, "t"), 0, "Z", 1));
  pump(room, all, 2, 0);
  /* Z follows the refused Y in r's clock: it waits, pending, for Y. */
  CHECK_TEXT(codesync_doc_text(codesync_room_doc(room), "t"), "Xwritten");
  CHECK_EQ_LL(codesync_doc_has_pending(codesync_room_doc(room)), 1);
  /* A reconnect (the room's step1, answered with step2) brings Y and releases Z, for everyone. */
  CHECK_OK(codesync_room_detach(room, 2, 0));
  CHECK_OK(codesync_room_attach(room, 2, 0, 0));
  client_connect(&r, room, 0);
  pump(room, all, 2, 0);
  CHECK_EQ_LL(codesync_doc_has_pending(codesync_room_doc(room)), 0);
  CHECK_TEXT(codesync_doc_text(codesync_room_doc(room), "t"), "ZYXwritten");
  CHECK_TEXT(codesync_doc_text(w.doc, "t"), "ZYXwritten");

  client_free(&w);
  client_free(&r);
  codesync_room_free(room);
}

static uint64_t g_inner_conn;
static int g_inner_rc;
static codesync_room *g_room;
static void reenter(const uint8_t *update, size_t len, const char *origin, void *user_data) {
  static const uint8_t query[] = {3};
  (void)update;
  (void)len;
  (void)origin;
  (void)user_data;
  g_inner_rc = codesync_room_receive(g_room, g_inner_conn, query, 1, 0);
}

static void test_reentrancy(void) {
  codesync_room *room = codesync_room_new(NULL);
  codesync_subscription *sub;
  g_room = room;
  g_inner_conn = 1;
  CHECK_OK(codesync_room_attach(room, 1, 0, 0));
  sub = codesync_doc_observe_updates(codesync_room_doc(room), reenter, NULL);
  CHECK_OK(codesync_text_insert(codesync_doc_text(codesync_room_doc(room), "t"), 0, "x", 1));
  CHECK_EQ_LL(g_inner_rc, CODESYNC_ERR_BUSY);
  codesync_unobserve(sub);
  codesync_room_free(room);
}

int main(void) {
  test_first_messages_and_errors();
  test_clients_converge();
  test_read_only();
  test_reentrancy();
  return capi_finish("sync_room");
}
