/* Map and array JSON round trips, nested types, and their sync (expected JSON from yjs 13.6). */
#include "capi_test.h"

#define J(s) s, sizeof(s) - 1

static void test_map_values(void) {
  codesync_doc *doc = new_doc(1, CODESYNC_OFFSET_UTF16);
  codesync_map *m = codesync_doc_map(doc, "m");
  CHECK_OK(codesync_map_set_json(m, "n", J("42")));
  CHECK_OK(codesync_map_set_json(m, "f", J("1.5")));
  CHECK_OK(codesync_map_set_json(m, "s", J("\"\\u00e9\\\"\\n\"")));
  CHECK_OK(codesync_map_set_json(m, "b", J("false")));
  CHECK_OK(codesync_map_set_json(m, "z", J("null")));
  CHECK_OK(codesync_map_set_json(m, "o", J(" { \"a\" : [1, {\"b\": null}], \"c\": \"d\" } ")));
  CHECK_OK(codesync_map_set_json(m, "big", J("1e21")));
  CHECK_OK(codesync_map_set_json(m, "tenth", J("0.1")));
  CHECK_OK(codesync_map_set_json(m, "neg", J("-7")));
  CHECK_OK(codesync_map_set_json(m, "max", J("9007199254740992")));
  CHECK_EQ_LL(codesync_map_size(m), 10);
  CHECK_JSON_CALL(codesync_map_to_json(m, &out),
                  "{\"n\":42,\"f\":1.5,\"s\":\"\xc3\xa9\\\"\\n\",\"b\":false,\"z\":null,"
                  "\"o\":{\"a\":[1,{\"b\":null}],\"c\":\"d\"},\"big\":1e+21,\"tenth\":0.1,\"neg\":-7,"
                  "\"max\":9007199254740992}");
  CHECK_JSON_CALL(codesync_map_get_json(m, "o", &out), "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}");
  CHECK_JSON_CALL(codesync_map_get_json(m, "z", &out), "null");
  CHECK_JSON_CALL(codesync_map_get_json(m, "big", &out), "1e+21");

  /* Overwrite and delete. */
  CHECK_OK(codesync_map_set_json(m, "n", J("\"forty-two\"")));
  CHECK_EQ_LL(codesync_map_size(m), 10);
  CHECK_JSON_CALL(codesync_map_get_json(m, "n", &out), "\"forty-two\"");
  CHECK_OK(codesync_map_delete(m, "f"));
  CHECK_EQ_LL(codesync_map_size(m), 9);
  {
    codesync_buffer out = {0, 0};
    CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_map_get_json(m, "f", &out));
    CHECK(out.data == NULL);
  }
  /* Unicode and empty keys are ordinary keys. */
  CHECK_OK(codesync_map_set_json(m, "\xf0\x9f\x94\x91", J("1")));
  CHECK_OK(codesync_map_set_json(m, "", J("2")));
  CHECK_JSON_CALL(codesync_map_get_json(m, "\xf0\x9f\x94\x91", &out), "1");
  CHECK_JSON_CALL(codesync_map_get_json(m, "", &out), "2");
  CHECK_EQ_LL(codesync_map_size(m), 11);

  /* A peer sees the same map. */
  {
    codesync_doc *peer = new_doc(2, CODESYNC_OFFSET_UTF16);
    codesync_buffer mine = {0, 0};
    CHECK_OK(sync_one_way(doc, peer));
    CHECK_OK(codesync_map_to_json(m, &mine));
    {
      char *expected = (char *)malloc(mine.len + 1);
      memcpy(expected, mine.data, mine.len + 1);
      CHECK_JSON_CALL(codesync_map_to_json(codesync_doc_map(peer, "m"), &out), expected);
      free(expected);
    }
    CHECK_EQ_LL(codesync_map_size(codesync_doc_map(peer, "m")), 11);
    codesync_buffer_free(&mine);
    codesync_doc_free(peer);
  }
  codesync_doc_free(doc);
}

static void test_nested_types(void) {
  codesync_doc *doc = new_doc(1, CODESYNC_OFFSET_UTF16);
  codesync_doc *peer = new_doc(2, CODESYNC_OFFSET_UTF16);
  codesync_map *m = codesync_doc_map(doc, "m");
  codesync_text *nt = codesync_map_set_text(m, "text");
  codesync_map *nm = codesync_map_set_map(m, "map");
  codesync_array *na = codesync_map_set_array(m, "arr");
  codesync_map *pm;
  REQUIRE(nt != NULL && nm != NULL && na != NULL);
  CHECK_OK(codesync_text_insert(nt, 0, "inner", 5));
  CHECK_OK(codesync_map_set_json(nm, "q", J("[true]")));
  CHECK_OK(codesync_array_insert_json(na, 0, J("[1,\"two\"]")));
  CHECK(codesync_map_get_text(m, "text") == nt);
  CHECK(codesync_map_get_map(m, "map") == nm);
  CHECK(codesync_map_get_array(m, "arr") == na);
  CHECK_JSON_CALL(codesync_map_to_json(m, &out),
                  "{\"text\":\"inner\",\"map\":{\"q\":[true]},\"arr\":[1,\"two\"]}");
  /* Wrong kind or absent key. */
  CHECK(codesync_map_get_map(m, "text") == NULL);
  CHECK(codesync_last_error()[0] != '\0');
  CHECK(codesync_map_get_text(m, "missing") == NULL);
  CHECK(codesync_last_error()[0] != '\0');

  /* Nested types in arrays, three levels deep. */
  {
    codesync_array *a = codesync_doc_array(doc, "a");
    codesync_map *am;
    codesync_array *aa;
    codesync_text *at;
    CHECK_OK(codesync_array_insert_json(a, 0, J("[0]")));
    am = codesync_array_insert_map(a, 1);
    aa = codesync_array_insert_array(a, 2);
    at = codesync_array_insert_text(a, 3);
    REQUIRE(am != NULL && aa != NULL && at != NULL);
    CHECK_OK(codesync_map_set_json(am, "k", J("\"v\"")));
    CHECK_OK(codesync_text_insert(at, 0, "t", 1));
    {
      codesync_map *deep = codesync_array_insert_map(aa, 0);
      REQUIRE(deep != NULL);
      CHECK_OK(codesync_map_set_json(deep, "deep", J("true")));
    }
    CHECK_EQ_LL(codesync_array_length(a), 4);
    CHECK(codesync_array_get_map(a, 1) == am);
    CHECK(codesync_array_get_array(a, 2) == aa);
    CHECK(codesync_array_get_text(a, 3) == at);
    CHECK(codesync_array_get_text(a, 0) == NULL); /* a number, not a text */
    CHECK(codesync_array_get_map(a, 9) == NULL);
    CHECK_JSON_CALL(codesync_array_to_json(a, &out), "[0,{\"k\":\"v\"},[{\"deep\":true}],\"t\"]");
    CHECK_JSON_CALL(codesync_array_get_json(a, 1, &out), "{\"k\":\"v\"}");
  }

  /* The peer gets every nested type and can edit them. */
  CHECK_OK(sync_one_way(doc, peer));
  pm = codesync_doc_map(peer, "m");
  REQUIRE(pm != NULL);
  CHECK_JSON_CALL(codesync_map_to_json(pm, &out),
                  "{\"text\":\"inner\",\"map\":{\"q\":[true]},\"arr\":[1,\"two\"]}");
  CHECK(codesync_doc_array(peer, "a") != NULL);
  CHECK_JSON_CALL(codesync_doc_to_json(peer, &out),
                  "{\"m\":{\"text\":\"inner\",\"map\":{\"q\":[true]},\"arr\":[1,\"two\"]},"
                  "\"a\":[0,{\"k\":\"v\"},[{\"deep\":true}],\"t\"]}");
  {
    codesync_text *pt = codesync_map_get_text(pm, "text");
    REQUIRE(pt != NULL);
    CHECK_OK(codesync_text_insert(pt, 5, "!", 1));
    CHECK_OK(sync_one_way(peer, doc));
    CHECK_TEXT(nt, "inner!");
  }

  /* A nested type deleted by a peer: the borrowed handle stays valid, reads as
   * empty and rejects edits. */
  CHECK_OK(codesync_map_delete(pm, "text"));
  CHECK_OK(sync_one_way(peer, doc));
  CHECK(codesync_map_get_text(m, "text") == NULL);
  CHECK_EQ_LL(codesync_text_length(nt), 0);
  CHECK_TEXT(nt, "");
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_text_insert(nt, 0, "x", 1));
  /* Replacing a nested type with a value. */
  CHECK_OK(codesync_map_set_json(m, "map", J("3")));
  CHECK_EQ_LL(codesync_map_size(nm), 0);
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_map_set_json(nm, "q", J("1")));
  CHECK_JSON_CALL(codesync_map_to_json(m, &out), "{\"map\":3,\"arr\":[1,\"two\"]}");

  codesync_doc_free(doc);
  codesync_doc_free(peer);
}

static void test_array_ops(void) {
  codesync_doc *doc = new_doc(1, CODESYNC_OFFSET_UTF16);
  codesync_array *a = codesync_doc_array(doc, "a");
  CHECK_OK(codesync_array_insert_json(a, 0, J("[1, \"x\", {\"y\": null}, [2]]")));
  CHECK_OK(codesync_array_insert_json(a, 2, J("[true]")));
  CHECK_OK(codesync_array_delete(a, 0, 1));
  CHECK_JSON_CALL(codesync_array_to_json(a, &out), "[\"x\",true,{\"y\":null},[2]]");
  CHECK_EQ_LL(codesync_array_length(a), 4);
  CHECK_JSON_CALL(codesync_array_get_json(a, 3, &out), "[2]");
  CHECK_OK(codesync_array_insert_json(a, 4, J("[]"))); /* empty insert at the end */
  CHECK_EQ_LL(codesync_array_length(a), 4);
  CHECK_OK(codesync_array_insert_json(a, 4, J("[\"end\"]")));
  CHECK_OK(codesync_array_delete(a, 1, 2));
  CHECK_JSON_CALL(codesync_array_to_json(a, &out), "[\"x\",[2],\"end\"]");
  /* Out of range. */
  {
    doc_snapshot snap = take_snapshot(doc);
    codesync_buffer out = {0, 0};
    CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_array_insert_json(a, 4, J("[1]")));
    CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_array_delete(a, 2, 2));
    CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_array_delete(a, 3, 1));
    CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_array_delete(a, 1, (size_t)-1));
    CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_array_get_json(a, 3, &out));
    CHECK(codesync_array_insert_map(a, 9) == NULL);
    CHECK(snapshot_unchanged(doc, &snap));
    free_snapshot(&snap);
  }
  /* Many small inserts at the front then the back keep order. */
  {
    int i;
    char num[16];
    for (i = 0; i < 50; i++) {
      snprintf(num, sizeof num, "[%d]", i);
      CHECK_OK(codesync_array_insert_json(a, 0, num, strlen(num)));
    }
    CHECK_EQ_LL(codesync_array_length(a), 53);
    CHECK_JSON_CALL(codesync_array_get_json(a, 0, &out), "49");
    CHECK_JSON_CALL(codesync_array_get_json(a, 49, &out), "0");
    CHECK_JSON_CALL(codesync_array_get_json(a, 50, &out), "\"x\"");
  }
  codesync_doc_free(doc);
}

static void test_concurrent_array(void) {
  codesync_doc *a = new_doc(1, CODESYNC_OFFSET_UTF16);
  codesync_doc *b = new_doc(2, CODESYNC_OFFSET_UTF16);
  CHECK_OK(codesync_array_insert_json(codesync_doc_array(a, "a"), 0, J("[\"a\"]")));
  CHECK_OK(codesync_array_insert_json(codesync_doc_array(b, "a"), 0, J("[\"b\"]")));
  CHECK_OK(sync_both(a, b));
  CHECK_JSON_CALL(codesync_array_to_json(codesync_doc_array(a, "a"), &out), "[\"a\",\"b\"]");
  CHECK_JSON_CALL(codesync_array_to_json(codesync_doc_array(b, "a"), &out), "[\"a\",\"b\"]");
  codesync_doc_free(a);
  codesync_doc_free(b);
}

int main(void) {
  test_map_values();
  test_nested_types();
  test_array_ops();
  test_concurrent_array();
  return capi_finish("capi.map_array");
}
