/* The snapshot container: round trip, info, corruption of every byte and every
 * truncation (always MALFORMED or identical, never a crash, doc unchanged), and
 * a loaded document that keeps syncing with peers that never saw the container. */
#include "capi_test.h"

static codesync_buffer save(codesync_doc *doc, const char *guid, const char *meta) {
  codesync_buffer out = {0, 0};
  REQUIRE_OK(codesync_doc_save_container(doc, guid, meta, meta ? strlen(meta) : 0, &out));
  return out;
}

static void test_round_trip_and_info(void) {
  codesync_doc *a = new_doc(7, CODESYNC_OFFSET_UTF16), *b = new_doc(8, CODESYNC_OFFSET_UTF16);
  codesync_buffer c, ua, ub, info = {0, 0};
  char expected[256];

  CHECK_OK(codesync_text_insert(codesync_doc_text(a, "doc"), 0, "hello", 5));
  CHECK_OK(codesync_map_set_json(codesync_doc_map(a, "meta"), "lang", "\"c\"", 3));
  c = save(a, "room-1", "{\"title\":\"Notes\",\"owner\":\"ana\"}");
  CHECK(c.len > 8 && memcmp(c.data + 4, "CSYC", 4) == 0); /* the FlatBuffers file identifier */

  CHECK_OK(codesync_doc_load_container(b, c.data, c.len));
  CHECK_TEXT(codesync_doc_text(b, "doc"), "hello");
  ua = encode_state(a);
  ub = encode_state(b);
  CHECK(buffers_equal(&ua, &ub));

  CHECK_OK(codesync_container_info(c.data, c.len, &info));
  snprintf(expected, sizeof expected,
           "{\"format_version\":1,\"guid\":\"room-1\",\"metadata\":{\"owner\":\"ana\",\"title\":\"Notes\"},"
           "\"state_vector\":{\"7\":6},\"state_bytes\":%zu}", ua.len);
  CHECK_JSON_BUF(info, expected);
  codesync_buffer_free(&info);

  /* Defaults: no guid, no metadata; an empty document. */
  codesync_buffer_free(&c);
  {
    codesync_doc *empty = new_doc(9, CODESYNC_OFFSET_UTF16);
    c = save(empty, NULL, NULL);
    CHECK_JSON_CALL(codesync_container_info(c.data, c.len, &out),
                    "{\"format_version\":1,\"guid\":\"\",\"metadata\":{},\"state_vector\":{},\"state_bytes\":2}");
    codesync_doc_free(empty);
  }

  /* Bad metadata is refused before anything is written. */
  {
    codesync_buffer o = {0, 0};
    CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_doc_save_container(a, "g", "{\"n\":1}", 7, &o));
    CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_doc_save_container(a, "g", "[]", 2, &o));
    CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_doc_save_container(a, "g", "{", 1, &o));
    CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_doc_save_container(a, "\xff", NULL, 0, &o));
    CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_doc_save_container(a, "g", NULL, 0, NULL));
    CHECK(o.data == NULL);
  }
  codesync_buffer_free(&c);
  codesync_buffer_free(&ua);
  codesync_buffer_free(&ub);
  codesync_doc_free(a);
  codesync_doc_free(b);
}

static void test_corruption(void) {
  codesync_doc *src = new_doc(3, CODESYNC_OFFSET_UTF16), *target = new_doc(4, CODESYNC_OFFSET_UTF16);
  codesync_buffer c, want, info_ok = {0, 0};
  uint8_t *copy;
  size_t i, len;
  int bit, malformed = 0, identical = 0, bad = 0;
  doc_snapshot before;

  CHECK_OK(codesync_text_insert(codesync_doc_text(src, "t"), 0, "abc", 3));
  CHECK_OK(codesync_text_delete(codesync_doc_text(src, "t"), 1, 1));
  c = save(src, "g", "{\"k\":\"v\"}");
  want = encode_state(src);
  CHECK_OK(codesync_container_info(c.data, c.len, &info_ok));
  /* target holds its own content: a failed load must leave it exactly so. */
  CHECK_OK(codesync_text_insert(codesync_doc_text(target, "t"), 0, "mine", 4));
  before = take_snapshot(target);
  copy = (uint8_t *)malloc(c.len);
  REQUIRE(copy != NULL);

  for (i = 0; i < c.len; i++) {
    for (bit = 0; bit < 8; bit++) {
      int rc_info, rc_load;
      codesync_buffer info = {0, 0};
      memcpy(copy, c.data, c.len);
      copy[i] ^= (uint8_t)(1u << bit);
      rc_info = codesync_container_info(copy, c.len, &info);
      if (rc_info == CODESYNC_ERR_MALFORMED) {
        malformed++;
        if (codesync_last_error()[0] == '\0') bad++;
        /* loading says the same and changes nothing */
        rc_load = codesync_doc_load_container(target, copy, c.len);
        if (rc_load != CODESYNC_ERR_MALFORMED || !snapshot_unchanged(target, &before)) bad++;
      } else if (rc_info == CODESYNC_OK) {
        /* Accepted only if nothing that matters changed (e.g. padding). */
        codesync_doc *d = new_doc(5, CODESYNC_OFFSET_UTF16);
        codesync_buffer got;
        if (!buffers_equal(&info, &info_ok)) bad++;
        if (codesync_doc_load_container(d, copy, c.len) != CODESYNC_OK) bad++;
        got = encode_state(d);
        if (!buffers_equal(&got, &want)) bad++;
        codesync_buffer_free(&got);
        codesync_doc_free(d);
        identical++;
      } else {
        bad++;
      }
      codesync_buffer_free(&info);
    }
  }
  CHECK_EQ_LL(bad, 0);
  CHECK(malformed > 0);
  /* Most flips must be caught (checksum, structure, version). */
  CHECK(malformed > (int)(c.len * 8) / 2);

  for (len = 0; len < c.len; len++) {
    codesync_buffer info = {0, 0};
    memcpy(copy, c.data, len);
    if (codesync_container_info(len ? copy : c.data, len, &info) != CODESYNC_ERR_MALFORMED) bad++;
    if (codesync_doc_load_container(target, len ? copy : c.data, len) != CODESYNC_ERR_MALFORMED) bad++;
    codesync_buffer_free(&info);
  }
  CHECK_EQ_LL(bad, 0);
  CHECK(snapshot_unchanged(target, &before));

  /* Not a container at all, and a Yjs update passed by mistake. */
  {
    static const uint8_t junk[] = "definitely not a container";
    codesync_buffer u = encode_state(src);
    CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_doc_load_container(target, junk, sizeof junk));
    CHECK(strstr(codesync_last_error(), "CSYC") != NULL);
    CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_doc_load_container(target, u.data, u.len));
    CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_doc_load_container(target, NULL, 0));
    codesync_buffer_free(&u);
  }
  /* A flipped state byte is reported as a checksum mismatch. */
  memcpy(copy, c.data, c.len);
  copy[c.len - 8] ^= 0x01;
  CHECK_ERR(CODESYNC_ERR_MALFORMED, codesync_doc_load_container(target, copy, c.len));
  CHECK(strstr(codesync_last_error(), "checksum") != NULL);

  CHECK(snapshot_unchanged(target, &before));

  free(copy);
  free_snapshot(&before);
  codesync_buffer_free(&info_ok);
  codesync_buffer_free(&c);
  codesync_buffer_free(&want);
  codesync_doc_free(src);
  codesync_doc_free(target);
}

/* a and b collaborate; a is persisted and later loaded as c; b, which never saw
 * the container, keeps editing and syncs with c both ways; a fresh peer too. */
static void test_loaded_doc_keeps_syncing(void) {
  codesync_doc *a = new_doc(11, CODESYNC_OFFSET_UTF16), *b = new_doc(12, CODESYNC_OFFSET_UTF16);
  codesync_doc *c = new_doc(13, CODESYNC_OFFSET_UTF16), *fresh = new_doc(14, CODESYNC_OFFSET_UTF16);
  codesync_buffer box;

  CHECK_OK(codesync_text_insert(codesync_doc_text(a, "t"), 0, "shared", 6));
  CHECK_OK(sync_both(a, b));
  box = save(a, "room", NULL);
  codesync_doc_free(a);

  CHECK_OK(codesync_doc_load_container(c, box.data, box.len));
  CHECK_OK(codesync_text_insert(codesync_doc_text(b, "t"), 6, " by b", 5));
  CHECK_OK(codesync_text_insert(codesync_doc_text(c, "t"), 0, "c: ", 3));
  CHECK_OK(sync_both(b, c));
  CHECK_TEXT(codesync_doc_text(b, "t"), "c: shared by b");
  CHECK_TEXT(codesync_doc_text(c, "t"), "c: shared by b");
  CHECK_OK(sync_both(fresh, c));
  CHECK_TEXT(codesync_doc_text(fresh, "t"), "c: shared by b");
  CHECK_EQ_LL(codesync_doc_has_pending(c), 0);

  /* Loading the same container again is harmless (an update already applied). */
  CHECK_OK(codesync_doc_load_container(c, box.data, box.len));
  CHECK_TEXT(codesync_doc_text(c, "t"), "c: shared by b");

  codesync_buffer_free(&box);
  codesync_doc_free(b);
  codesync_doc_free(c);
  codesync_doc_free(fresh);
}

int main(void) {
  test_round_trip_and_info();
  test_corruption();
  test_loaded_doc_keeps_syncing();
  return capi_finish("container");
}
