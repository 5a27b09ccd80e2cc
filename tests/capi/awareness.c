/* Awareness and the sync message functions through the C API. Expected bytes
 * are written from the y-protocols format by hand (and match what y-protocols
 * 1.0.7 prints for the same states). */
#include "capi_test.h"

static int bytes_eq(const codesync_buffer *b, const uint8_t *expected, size_t len) {
  return b->len == len && (len == 0 || memcmp(b->data, expected, len) == 0);
}

/* Records every change event. */
typedef struct change_log {
  int calls;
  size_t added, updated, renewed, removed; /* totals */
  uint64_t last_added, last_removed;
  char origin[32];
  codesync_awareness *aw; /* to try a reentrant call */
  int inner_rc;
} change_log;

static void on_change(const codesync_awareness_change *c, const char *origin, void *user_data) {
  change_log *log = (change_log *)user_data;
  log->calls++;
  log->added += c->added_count;
  log->updated += c->updated_count;
  log->renewed += c->renewed_count;
  log->removed += c->removed_count;
  if (c->added_count) log->last_added = c->added[c->added_count - 1];
  if (c->removed_count) log->last_removed = c->removed[c->removed_count - 1];
  snprintf(log->origin, sizeof log->origin, "%s", origin ? origin : "(null)");
  if (log->aw) log->inner_rc = codesync_awareness_set_local_state(log->aw, "{}", 2, 0);
}

static void test_local_state(void) {
  codesync_awareness *aw = codesync_awareness_new(5, 0);
  codesync_buffer out = {0, 0};
  uint64_t clock = 99;
  /* 01 05 01 07 {"x":1} */
  static const uint8_t expected[] = {1, 5, 1, 7, '{', '"', 'x', '"', ':', '1', '}'};
  static const uint8_t removed[] = {1, 5, 2, 4, 'n', 'u', 'l', 'l'};
  REQUIRE(aw != NULL);
  CHECK_EQ_LL(codesync_awareness_client_id(aw), 5);
  CHECK_JSON_CALL(codesync_awareness_local_state(aw, &out), "null");
  CHECK_OK(codesync_awareness_clock(aw, 5, &clock));
  CHECK_EQ_LL(clock, 0);
  CHECK_OK(codesync_awareness_set_local_state(aw, "{ \"x\" : 1 }", 11, 1000));
  CHECK_OK(codesync_awareness_clock(aw, 5, &clock));
  CHECK_EQ_LL(clock, 1);
  CHECK_EQ_LL(codesync_awareness_count(aw), 1);
  CHECK_OK(codesync_awareness_encode_update(aw, NULL, 0, &out));
  CHECK(bytes_eq(&out, expected, sizeof expected));
  codesync_buffer_free(&out);
  CHECK_JSON_CALL(codesync_awareness_local_state(aw, &out), "{\"x\":1}");
  CHECK_JSON_CALL(codesync_awareness_states_json(aw, &out), "{\"5\":{\"x\":1}}");

  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_awareness_set_local_state(aw, "{x}", 3, 1000));
  CHECK_JSON_CALL(codesync_awareness_local_state(aw, &out), "{\"x\":1}");

  /* NULL json removes; the removal encodes as null at clock 2. */
  CHECK_OK(codesync_awareness_set_local_state(aw, NULL, 0, 1000));
  CHECK_EQ_LL(codesync_awareness_count(aw), 0);
  {
    uint64_t me = 5;
    CHECK_OK(codesync_awareness_encode_update(aw, &me, 1, &out));
    CHECK(bytes_eq(&out, removed, sizeof removed));
    codesync_buffer_free(&out);
  }
  CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_awareness_state(aw, 5, &out));
  CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_awareness_clock(aw, 77, &clock));
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_awareness_set_local_state(NULL, "{}", 2, 0));
  codesync_awareness_free(aw);
  codesync_awareness_free(NULL);
}

static void test_remote_states_and_events(void) {
  codesync_awareness *aw = codesync_awareness_new(1, 0);
  codesync_awareness_subscription *sub;
  change_log log;
  uint64_t ids[4] = {0, 0, 0, 0};
  size_t n = 0;
  uint64_t clock = 0;
  /* y-protocols bytes: client 300 (varuint ac 02) at clock 1 with {"name":"é"}. */
  static const uint8_t c300[] = {1, 0xac, 0x02, 1, 13, '{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', 0xc3, 0xa9, '"', '}'};
  static const uint8_t c7[] = {1, 7, 3, 2, '[', ']'};
  static const uint8_t c7_old[] = {1, 7, 2, 4, 't', 'r', 'u', 'e'};
  static const uint8_t c7_null[] = {1, 7, 3, 4, 'n', 'u', 'l', 'l'};
  static const uint8_t truncated[] = {1, 7, 3, 9, '['};
  static const uint8_t not_json[] = {1, 8, 3, 1, '['};
  memset(&log, 0, sizeof log);
  sub = codesync_awareness_observe(aw, on_change, &log);
  REQUIRE(sub != NULL);

  CHECK_OK(codesync_awareness_apply_update(aw, c300, sizeof c300, 0, "peer"));
  CHECK_EQ_LL(log.calls, 1);
  CHECK_EQ_LL(log.added, 1);
  CHECK_EQ_LL(log.last_added, 300);
  CHECK_STREQ(log.origin, "peer");
  CHECK_JSON_CALL(codesync_awareness_state(aw, 300, &out), "{\"name\":\"\xc3\xa9\"}");
  CHECK_OK(codesync_awareness_apply_update(aw, c7, sizeof c7, 0, NULL));
  CHECK_STREQ(log.origin, "(null)");
  CHECK_OK(codesync_awareness_clients(aw, ids, 4, &n));
  CHECK_EQ_LL(n, 2);
  CHECK_EQ_LL(ids[0], 7);
  CHECK_EQ_LL(ids[1], 300);
  CHECK_OK(codesync_awareness_clients(aw, NULL, 0, &n));
  CHECK_EQ_LL(n, 2);

  /* An older clock loses, silently. */
  CHECK_OK(codesync_awareness_apply_update(aw, c7_old, sizeof c7_old, 0, NULL));
  CHECK_EQ_LL(log.calls, 2);
  CHECK_JSON_CALL(codesync_awareness_state(aw, 7, &out), "[]");
  /* Equal clock and null: removed, clock kept. */
  CHECK_OK(codesync_awareness_apply_update(aw, c7_null, sizeof c7_null, 0, NULL));
  CHECK_EQ_LL(log.removed, 1);
  CHECK_EQ_LL(log.last_removed, 7);
  CHECK_OK(codesync_awareness_clock(aw, 7, &clock));
  CHECK_EQ_LL(clock, 3);

  /* Malformed input changes nothing and fires nothing. */
  CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_awareness_apply_update(aw, truncated, sizeof truncated, 0, NULL));
  CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_awareness_apply_update(aw, not_json, sizeof not_json, 0, NULL));
  CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_awareness_apply_update(aw, NULL, 0, 0, NULL));
  CHECK_EQ_LL(log.calls, 3);
  CHECK_EQ_LL(codesync_awareness_count(aw), 1);

  /* Timeout: client 300 was set at 0; the default timeout is 30 s. */
  CHECK_OK(codesync_awareness_tick(aw, 29999));
  CHECK_EQ_LL(codesync_awareness_count(aw), 1);
  CHECK_OK(codesync_awareness_tick(aw, 30000));
  CHECK_EQ_LL(codesync_awareness_count(aw), 0);
  CHECK_STREQ(log.origin, "timeout");
  CHECK_EQ_LL(log.last_removed, 300);

  /* Local renewal after 15 s. */
  CHECK_OK(codesync_awareness_set_local_state(aw, "{\"a\":1}", 7, 40000));
  CHECK_STREQ(log.origin, "local");
  CHECK_OK(codesync_awareness_tick(aw, 54999));
  CHECK_EQ_LL(log.renewed, 0);
  CHECK_OK(codesync_awareness_tick(aw, 55000));
  CHECK_EQ_LL(log.renewed, 1);
  CHECK_OK(codesync_awareness_clock(aw, 1, &clock));
  CHECK_EQ_LL(clock, 2);

  /* remove_states on our own client bumps the clock. */
  {
    uint64_t me = 1;
    CHECK_OK(codesync_awareness_remove_states(aw, &me, 1, 56000, "bye"));
    CHECK_STREQ(log.origin, "bye");
    CHECK_OK(codesync_awareness_clock(aw, 1, &clock));
    CHECK_EQ_LL(clock, 3);
  }

  /* Reentrant change from the observer: CODESYNC_ERR_BUSY. */
  log.aw = aw;
  CHECK_OK(codesync_awareness_set_local_state(aw, "{\"b\":2}", 7, 57000));
  CHECK_EQ_LL(log.inner_rc, CODESYNC_ERR_BUSY);
  CHECK_JSON_CALL(codesync_awareness_local_state(aw, &out), "{\"b\":2}");
  log.aw = NULL;

  codesync_awareness_unobserve(sub);
  codesync_awareness_unobserve(NULL);
  {
    int calls = log.calls;
    CHECK_OK(codesync_awareness_set_local_state(aw, "{}", 2, 58000));
    CHECK_EQ_LL(log.calls, calls);
  }
  CHECK(codesync_awareness_observe(aw, NULL, NULL) == NULL);
  codesync_awareness_free(aw);
}

static void test_custom_timeout(void) {
  codesync_awareness *aw = codesync_awareness_new(1, 500);
  static const uint8_t c7[] = {1, 7, 1, 2, '{', '}'};
  CHECK_OK(codesync_awareness_apply_update(aw, c7, sizeof c7, 100, NULL));
  CHECK_OK(codesync_awareness_tick(aw, 599));
  CHECK_EQ_LL(codesync_awareness_count(aw), 1);
  CHECK_OK(codesync_awareness_tick(aw, 600));
  CHECK_EQ_LL(codesync_awareness_count(aw), 0);
  codesync_awareness_free(aw);
}

static void test_messages(void) {
  codesync_doc *doc = new_doc(1, CODESYNC_OFFSET_UTF16);
  codesync_buffer out = {0, 0};
  codesync_message_kind kind = CODESYNC_MESSAGE_QUERY_AWARENESS;
  const uint8_t *payload = NULL;
  size_t payload_len = 0;
  static const uint8_t step1_empty[] = {0, 0, 1, 0};
  static const uint8_t step1_hi[] = {0, 0, 3, 1, 1, 2};
  static const uint8_t hi_update[] = {1, 1, 1, 0, 4, 1, 1, 't', 2, 'h', 'i', 0};
  static const uint8_t denied[] = {2, 0, 9, 'r', 'e', 'a', 'd', '-', 'o', 'n', 'l', 'y'};
  static const uint8_t query[] = {3};
  static const uint8_t bad_type[] = {7};
  static const uint8_t trailing[] = {0, 2, 2, 0, 0, 0};

  CHECK_OK(codesync_sync_encode_step1(doc, &out));
  CHECK(bytes_eq(&out, step1_empty, sizeof step1_empty));
  codesync_buffer_free(&out);
  CHECK_OK(codesync_text_insert(codesync_doc_text(doc, "t"), 0, "hi", 2));
  CHECK_OK(codesync_sync_encode_step1(doc, &out));
  CHECK(bytes_eq(&out, step1_hi, sizeof step1_hi));
  codesync_buffer_free(&out);

  /* step2 against an empty state vector: 00 01 0c + the update. */
  CHECK_OK(codesync_sync_encode_step2(doc, step1_empty + 3, 1, &out));
  CHECK(out.len == 3 + sizeof hi_update && out.data[0] == 0 && out.data[1] == 1 && out.data[2] == 12 &&
        memcmp(out.data + 3, hi_update, sizeof hi_update) == 0);
  CHECK_OK(codesync_sync_decode(out.data, out.len, &kind, &payload, &payload_len));
  CHECK_EQ_LL(kind, CODESYNC_MESSAGE_SYNC_STEP2);
  CHECK(payload == out.data + 3);
  CHECK_EQ_LL(payload_len, sizeof hi_update);
  codesync_buffer_free(&out);

  CHECK_OK(codesync_sync_encode_update(hi_update, sizeof hi_update, &out));
  CHECK(out.len == 15 && out.data[0] == 0 && out.data[1] == 2 && out.data[2] == 12);
  codesync_buffer_free(&out);
  CHECK_OK(codesync_sync_encode_permission_denied("read-only", &out));
  CHECK(bytes_eq(&out, denied, sizeof denied));
  codesync_buffer_free(&out);
  CHECK_OK(codesync_sync_encode_query_awareness(&out));
  CHECK(bytes_eq(&out, query, sizeof query));
  codesync_buffer_free(&out);

  CHECK_OK(codesync_sync_decode(denied, sizeof denied, &kind, &payload, &payload_len));
  CHECK_EQ_LL(kind, CODESYNC_MESSAGE_PERMISSION_DENIED);
  CHECK(payload_len == 9 && memcmp(payload, "read-only", 9) == 0);
  CHECK_OK(codesync_sync_decode(query, sizeof query, &kind, &payload, &payload_len));
  CHECK_EQ_LL(kind, CODESYNC_MESSAGE_QUERY_AWARENESS);
  CHECK(payload == NULL && payload_len == 0);
  CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_sync_decode(bad_type, sizeof bad_type, &kind, NULL, NULL));
  CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_sync_decode(trailing, sizeof trailing, &kind, NULL, NULL));
  {
    static const uint8_t short_sv[] = {2, 1, 1}; /* two entries announced, one present */
    CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_sync_encode_step2(doc, short_sv, sizeof short_sv, &out));
  }
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_sync_encode_permission_denied(NULL, &out));
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_sync_encode_permission_denied("\xff", &out));
  codesync_doc_free(doc);
}

/* Two client docs talking through codesync_sync_receive only. */
static void test_receive(void) {
  codesync_doc *a = new_doc(1, CODESYNC_OFFSET_UTF16);
  codesync_doc *b = new_doc(2, CODESYNC_OFFSET_UTF16);
  codesync_awareness *aw_b = codesync_awareness_new(2, 0);
  codesync_awareness *aw_a = codesync_awareness_new(1, 0);
  codesync_buffer msg = {0, 0}, reply = {0, 0}, reply2 = {0, 0};
  codesync_message_kind kind = CODESYNC_MESSAGE_AWARENESS;
  static const uint8_t broken_update[] = {0, 2, 4, 1, 1, 9, 0};
  CHECK_OK(codesync_text_insert(codesync_doc_text(a, "t"), 0, "alpha", 5));
  CHECK_OK(codesync_text_insert(codesync_doc_text(b, "t"), 0, "beta", 4));

  /* a's step1 -> b answers step2 -> a applies it. */
  CHECK_OK(codesync_sync_encode_step1(a, &msg));
  CHECK_OK(codesync_sync_receive(b, aw_b, msg.data, msg.len, 0, "a", &kind, &reply));
  CHECK_EQ_LL(kind, CODESYNC_MESSAGE_SYNC_STEP1);
  CHECK(reply.len > 0);
  CHECK_OK(codesync_sync_receive(a, aw_a, reply.data, reply.len, 0, "b", &kind, &reply2));
  CHECK_EQ_LL(kind, CODESYNC_MESSAGE_SYNC_STEP2);
  CHECK_EQ_LL(reply2.len, 0);
  codesync_buffer_free(&msg);
  codesync_buffer_free(&reply);
  codesync_buffer_free(&reply2);
  /* and the other way. */
  CHECK_OK(codesync_sync_encode_step1(b, &msg));
  CHECK_OK(codesync_sync_receive(a, aw_a, msg.data, msg.len, 0, "b", NULL, &reply));
  CHECK_OK(codesync_sync_receive(b, aw_b, reply.data, reply.len, 0, "a", NULL, &reply2));
  codesync_buffer_free(&msg);
  codesync_buffer_free(&reply);
  codesync_buffer_free(&reply2);
  {
    char *ta = text_dup(codesync_doc_text(a, "t"));
    char *tb = text_dup(codesync_doc_text(b, "t"));
    CHECK(ta && tb && strcmp(ta, tb) == 0 && strlen(ta) == 9);
    free(ta);
    free(tb);
  }

  /* Awareness: a's state reaches b; b answers a query with it. */
  CHECK_OK(codesync_awareness_set_local_state(aw_a, "{\"user\":\"a\"}", 12, 0));
  CHECK_OK(codesync_sync_encode_awareness(aw_a, NULL, 0, &msg));
  CHECK_OK(codesync_sync_receive(b, aw_b, msg.data, msg.len, 0, NULL, &kind, &reply));
  CHECK_EQ_LL(kind, CODESYNC_MESSAGE_AWARENESS);
  CHECK_EQ_LL(reply.len, 0);
  codesync_buffer_free(&msg);
  codesync_buffer_free(&reply);
  CHECK_JSON_CALL(codesync_awareness_state(aw_b, 1, &out), "{\"user\":\"a\"}");
  CHECK_OK(codesync_sync_encode_query_awareness(&msg));
  CHECK_OK(codesync_sync_receive(b, aw_b, msg.data, msg.len, 0, NULL, &kind, &reply));
  CHECK_EQ_LL(kind, CODESYNC_MESSAGE_QUERY_AWARENESS);
  CHECK(reply.len > 0 && reply.data[0] == 1);
  codesync_buffer_free(&msg);
  codesync_buffer_free(&reply);

  /* Malformed: error, doc unchanged. */
  CHECK_ERR(CODESYNC_ERR_MALFORMED,
            codesync_sync_receive(b, aw_b, broken_update, sizeof broken_update, 0, NULL, &kind, &reply));
  CHECK_TEXT(codesync_doc_text(b, "t"), "alphabeta");
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_sync_receive(b, aw_b, msg.data, 0, 0, NULL, &kind, NULL));

  codesync_awareness_free(aw_a);
  codesync_awareness_free(aw_b);
  codesync_doc_free(a);
  codesync_doc_free(b);
}

int main(void) {
  test_local_state();
  test_remote_states_and_events();
  test_custom_timeout();
  test_messages();
  test_receive();
  return capi_finish("awareness");
}
