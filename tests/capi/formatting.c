/* Formatting attributes, embeds and to_delta (expected values from yjs 13.6). */
#include "capi_test.h"

#define ATTR(s) s, sizeof(s) - 1

static void test_format_and_delta(void) {
  codesync_doc *doc = new_doc(1, CODESYNC_OFFSET_UTF16);
  codesync_text *t = codesync_doc_text(doc, "t");
  codesync_doc *peer = new_doc(2, CODESYNC_OFFSET_UTF16);

  CHECK_JSON_CALL(codesync_text_to_delta(t, &out), "[]");
  CHECK_OK(codesync_text_insert(t, 0, "hello world", 11));
  CHECK_JSON_CALL(codesync_text_to_delta(t, &out), "[{\"insert\":\"hello world\"}]");

  CHECK_OK(codesync_text_format(t, 0, 5, ATTR("{\"bold\":true}")));
  CHECK_JSON_CALL(codesync_text_to_delta(t, &out),
                  "[{\"insert\":\"hello\",\"attributes\":{\"bold\":true}},{\"insert\":\" world\"}]");

  CHECK_OK(codesync_text_format(t, 6, 5, ATTR("{\"link\":\"x\",\"bold\":true}")));
  CHECK_JSON_CALL(codesync_text_to_delta(t, &out),
                  "[{\"insert\":\"hello\",\"attributes\":{\"bold\":true}},{\"insert\":\" \"},"
                  "{\"insert\":\"world\",\"attributes\":{\"link\":\"x\",\"bold\":true}}]");

  /* null removes an attribute. */
  CHECK_OK(codesync_text_format(t, 0, 11, ATTR("{\"bold\":null}")));
  CHECK_JSON_CALL(codesync_text_to_delta(t, &out),
                  "[{\"insert\":\"hello \"},{\"insert\":\"world\",\"attributes\":{\"link\":\"x\"}}]");
  CHECK_TEXT(t, "hello world");
  CHECK_EQ_LL(codesync_text_length(t), 11);

  /* An embed takes one unit and is absent from the plain string (as Yjs toString). */
  CHECK_OK(codesync_text_insert_embed(t, 5, ATTR("{\"image\":\"a.png\"}")));
  CHECK_EQ_LL(codesync_text_length(t), 12);
  CHECK_TEXT(t, "hello world");
  CHECK_JSON_CALL(codesync_text_to_delta(t, &out),
                  "[{\"insert\":\"hello\"},{\"insert\":{\"image\":\"a.png\"}},{\"insert\":\" \"},"
                  "{\"insert\":\"world\",\"attributes\":{\"link\":\"x\"}}]");

  CHECK_OK(codesync_text_insert_with_attributes(t, 0, "X", 1, ATTR("{\"italic\":true}")));
  CHECK_JSON_CALL(codesync_text_to_delta(t, &out),
                  "[{\"insert\":\"X\",\"attributes\":{\"italic\":true}},{\"insert\":\"hello\"},"
                  "{\"insert\":{\"image\":\"a.png\"}},{\"insert\":\" \"},"
                  "{\"insert\":\"world\",\"attributes\":{\"link\":\"x\"}}]");

  /* Formatting travels to peers. */
  CHECK_OK(sync_one_way(doc, peer));
  CHECK_JSON_CALL(codesync_text_to_delta(codesync_doc_text(peer, "t"), &out),
                  "[{\"insert\":\"X\",\"attributes\":{\"italic\":true}},{\"insert\":\"hello\"},"
                  "{\"insert\":{\"image\":\"a.png\"}},{\"insert\":\" \"},"
                  "{\"insert\":\"world\",\"attributes\":{\"link\":\"x\"}}]");
  CHECK_JSON_CALL(codesync_doc_to_json(peer, &out), "{\"t\":\"Xhello world\"}");

  /* Attribute values may be any JSON. */
  CHECK_OK(codesync_text_format(t, 0, 1, ATTR("{\"color\":{\"r\":1,\"g\":[2,3]}}")));
  CHECK_JSON_CALL(codesync_text_to_delta(t, &out),
                  "[{\"insert\":\"X\",\"attributes\":{\"italic\":true,\"color\":{\"r\":1,\"g\":[2,3]}}},"
                  "{\"insert\":\"hello\"},{\"insert\":{\"image\":\"a.png\"}},{\"insert\":\" \"},"
                  "{\"insert\":\"world\",\"attributes\":{\"link\":\"x\"}}]");

  /* Bad attributes and ranges are rejected without change. */
  {
    doc_snapshot snap = take_snapshot(doc);
    CHECK(codesync_text_format(t, 0, 2, ATTR("{\"bold\":")) != CODESYNC_OK);
    CHECK(codesync_last_error()[0] != '\0');
    CHECK(codesync_text_format(t, 0, 2, ATTR("[1,2]")) != CODESYNC_OK); /* not an object */
    CHECK(codesync_text_insert_with_attributes(t, 0, "y", 1, ATTR("7")) != CODESYNC_OK);
    CHECK(codesync_text_insert_embed(t, 0, ATTR("{oops}")) != CODESYNC_OK);
    CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_text_format(t, 10, 5, ATTR("{\"bold\":true}")));
    CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_text_insert_embed(t, 14, ATTR("1")));
    CHECK(snapshot_unchanged(doc, &snap));
    free_snapshot(&snap);
  }
  codesync_doc_free(doc);
  codesync_doc_free(peer);
}

static void test_format_with_astral_units(void) {
  /* The same formatting expressed in each unit gives the same delta. */
  static const codesync_offset_kind kinds[3] = {CODESYNC_OFFSET_UTF16, CODESYNC_OFFSET_UTF8,
                                                CODESYNC_OFFSET_CODEPOINT};
  static const size_t start[3] = {2, 4, 1};  /* after "😀" */
  static const size_t length[3] = {3, 6, 2}; /* "é😀" */
  int k;
  for (k = 0; k < 3; k++) {
    codesync_doc *doc = new_doc(1, kinds[k]);
    codesync_text *t = codesync_doc_text(doc, "t");
    CHECK_OK(codesync_text_insert(t, 0, "\xf0\x9f\x98\x80\xc3\xa9\xf0\x9f\x98\x80z", 11));
    CHECK_OK(codesync_text_format(t, start[k], length[k], ATTR("{\"u\":1}")));
    CHECK_JSON_CALL(codesync_text_to_delta(t, &out),
                    "[{\"insert\":\"\xf0\x9f\x98\x80\"},{\"insert\":\"\xc3\xa9\xf0\x9f\x98\x80\","
                    "\"attributes\":{\"u\":1}},{\"insert\":\"z\"}]");
    /* Formatting half an emoji is a split (no such index in code points). */
    if (kinds[k] != CODESYNC_OFFSET_CODEPOINT)
      CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_text_format(t, 0, 1, ATTR("{\"u\":2}")));
    codesync_doc_free(doc);
  }
}

int main(void) {
  test_format_and_delta();
  test_format_with_astral_units();
  return capi_finish("capi.formatting");
}
