/* Authorship runs: which client inserted each part of the visible text. */
#include "capi_test.h"

static codesync_doc *doc_with(uint64_t client, codesync_offset_kind kind, int gc) {
  codesync_doc_options opts;
  codesync_doc *doc;
  codesync_doc_options_init(&opts);
  opts.client_id = client;
  opts.offset_kind = kind;
  opts.gc = gc;
  doc = codesync_doc_new(&opts);
  REQUIRE(doc != NULL);
  return doc;
}

static void check_runs(codesync_text *t, const codesync_author_run *expected, size_t n) {
  codesync_author_run runs[16];
  size_t count = 99, i;
  CHECK_OK(codesync_text_authorship(t, runs, 16, &count));
  CHECK_EQ_LL(count, n);
  for (i = 0; i < n && i < count; i++) {
    CHECK_EQ_LL(runs[i].index, expected[i].index);
    CHECK_EQ_LL(runs[i].length, expected[i].length);
    CHECK_EQ_LL(runs[i].client, expected[i].client);
  }
}

/* A human (client 1) and an AI agent (client 42) edit one file. */
static void test_human_and_agent(void) {
  codesync_doc *human = doc_with(1, CODESYNC_OFFSET_UTF16, 1), *agent = doc_with(42, CODESYNC_OFFSET_UTF16, 1);
  codesync_text *t = codesync_doc_text(human, "code");
  codesync_author_run small[1];
  size_t count = 0;

  CHECK_OK(codesync_text_insert(t, 0, "int f() {\n}\n", 12));
  CHECK_OK(sync_both(human, agent));
  CHECK_OK(codesync_text_insert(codesync_doc_text(agent, "code"), 10, "  return 1;\n", 12));
  CHECK_OK(sync_both(human, agent));
  {
    const codesync_author_run want[] = {{0, 10, 1}, {10, 12, 42}, {22, 2, 1}};
    check_runs(t, want, 3);
    check_runs(codesync_doc_text(agent, "code"), want, 3); /* the same on every peer */
  }
  CHECK_JSON_CALL(codesync_text_authorship_json(t, &out),
                  "[{\"index\":0,\"length\":10,\"client\":1},{\"index\":10,\"length\":12,\"client\":42},"
                  "{\"index\":22,\"length\":2,\"client\":1}]");

  /* Fewer slots than runs: the first ones, and the total. */
  CHECK_OK(codesync_text_authorship(t, small, 1, &count));
  CHECK_EQ_LL(count, 3);
  CHECK_EQ_LL(small[0].length, 10);
  CHECK_OK(codesync_text_authorship(t, NULL, 0, &count));
  CHECK_EQ_LL(count, 3);

  /* The agent's code is deleted: the human's two items are adjacent again, one run. */
  CHECK_OK(codesync_text_delete(t, 10, 12));
  {
    const codesync_author_run want[] = {{0, 12, 1}};
    check_runs(t, want, 1);
  }
  /* Partly overwritten: the human replaces the middle of the agent's line. */
  CHECK_OK(codesync_text_insert(codesync_doc_text(agent, "code"), 0, "// ai\n", 6));
  CHECK_OK(sync_both(human, agent));
  CHECK_OK(codesync_text_delete(t, 3, 2));
  CHECK_OK(codesync_text_insert(t, 3, "AI", 2));
  {
    const codesync_author_run want[] = {{0, 3, 42}, {3, 2, 1}, {5, 1, 42}, {6, 12, 1}};
    check_runs(t, want, 4);
  }

  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_text_authorship(t, NULL, 1, &count));
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_text_authorship(t, small, 1, NULL));
  CHECK_ERR(CODESYNC_ERR_INVALID_ARGUMENT, codesync_text_authorship(NULL, small, 1, &count));
  codesync_doc_free(human);
  codesync_doc_free(agent);
}

/* Indices and lengths follow the document's unit; embeds count one. */
static void test_units_and_embeds(void) {
  const char *emoji = "\xF0\x9F\x98\x80"; /* one code point, 2 UTF-16 units, 4 bytes */
  codesync_offset_kind kinds[3] = {CODESYNC_OFFSET_UTF16, CODESYNC_OFFSET_UTF8, CODESYNC_OFFSET_CODEPOINT};
  size_t emoji_len[3] = {2, 4, 1};
  int k;
  for (k = 0; k < 3; k++) {
    codesync_doc *a = doc_with(1, kinds[k], 0), *b = doc_with(2, kinds[k], 0);
    codesync_text *ta = codesync_doc_text(a, "t");
    size_t e = emoji_len[k];
    CHECK_OK(codesync_text_insert(ta, 0, "ab", 2));
    CHECK_OK(sync_both(a, b));
    CHECK_OK(codesync_text_insert(codesync_doc_text(b, "t"), 1, emoji, 4));
    CHECK_OK(sync_both(a, b));
    CHECK_OK(codesync_text_insert_embed(ta, 0, "{\"img\":1}", 9));
    {
      const codesync_author_run want[] = {{0, 2, 1}, {2, 0, 2}, {0, 1, 1}};
      codesync_author_run w[3];
      memcpy(w, want, sizeof w);
      w[1].index = 2;
      w[1].length = e;
      w[2].index = 2 + e;
      check_runs(ta, w, 3);
    }
    codesync_doc_free(a);
    codesync_doc_free(b);
  }
}

int main(void) {
  test_human_and_agent();
  test_units_and_embeds();
  return capi_finish("authorship");
}
