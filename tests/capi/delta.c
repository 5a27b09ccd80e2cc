/* Text change events (retain/insert/delete + attributes) applied to a plain C
 * string reproduce the document text, for local and remote edits, in every
 * offset unit. */
#include "capi_test.h"

/* An editor's own buffer, kept in sync only through delta events. */
typedef struct mirror {
  codesync_offset_kind kind;
  strbuf text;
  int events;
  int errors;        /* ops that did not fit the buffer */
  int attr_retains;  /* RETAIN ops that carried attributes */
  int attr_inserts;  /* INSERT ops that carried attributes */
  int embeds;
} mirror;

static void apply_delta(const codesync_delta_op *ops, size_t count, const char *origin, void *user_data) {
  mirror *m = (mirror *)user_data;
  size_t pos = 0, i; /* byte position in m->text */
  (void)origin;
  m->events++;
  if (m->text.data == NULL) strbuf_append(&m->text, "", 0);
  for (i = 0; i < count; i++) {
    const codesync_delta_op *op = &ops[i];
    switch (op->kind) {
      case CODESYNC_DELTA_RETAIN: {
        size_t next = utf8_advance(m->text.data, m->text.len, pos, op->length, m->kind);
        if (next == (size_t)-1) { m->errors++; return; }
        if (op->attributes_json != NULL) m->attr_retains++;
        pos = next;
        break;
      }
      case CODESYNC_DELTA_DELETE: {
        size_t next = utf8_advance(m->text.data, m->text.len, pos, op->length, m->kind);
        if (next == (size_t)-1) { m->errors++; return; }
        strbuf_erase(&m->text, pos, next - pos);
        break;
      }
      case CODESYNC_DELTA_INSERT:
        if (op->attributes_json != NULL) m->attr_inserts++;
        if (op->text != NULL) {
          if (op->embed_json != NULL || utf8_units(op->text, op->text_len, m->kind) != op->length) {
            m->errors++;
            return;
          }
          strbuf_insert(&m->text, pos, op->text, op->text_len);
          pos += op->text_len;
        } else if (op->embed_json != NULL && op->length == 1) {
          /* Embeds occupy one unit; the mirror stores them as U+FFFC in
           * code point mode only (the random test below uses no embeds). */
          m->embeds++;
        } else {
          m->errors++;
          return;
        }
        break;
      default:
        m->errors++;
        return;
    }
  }
}

/* ---- exact deltas for simple edits ---------------------------------------- */

typedef struct captured_op {
  codesync_delta_kind kind;
  size_t length;
  char text[32];
  char attrs[64];
  char embed[64];
  int has_text, has_attrs, has_embed;
} captured_op;

typedef struct capture {
  int events;
  size_t count;
  captured_op ops[16];
} capture;

static void capture_delta(const codesync_delta_op *ops, size_t count, const char *origin, void *user_data) {
  capture *c = (capture *)user_data;
  size_t i;
  (void)origin;
  c->events++;
  c->count = count < 16 ? count : 16;
  memset(c->ops, 0, sizeof c->ops);
  for (i = 0; i < c->count; i++) {
    captured_op *o = &c->ops[i];
    o->kind = ops[i].kind;
    o->length = ops[i].length;
    if (ops[i].text) {
      o->has_text = 1;
      snprintf(o->text, sizeof o->text, "%.*s", (int)ops[i].text_len, ops[i].text);
    }
    if (ops[i].attributes_json) {
      o->has_attrs = 1;
      snprintf(o->attrs, sizeof o->attrs, "%s", ops[i].attributes_json);
    }
    if (ops[i].embed_json) {
      o->has_embed = 1;
      snprintf(o->embed, sizeof o->embed, "%s", ops[i].embed_json);
    }
  }
}

static int json_same(const char *a, const char *b) {
  char *x = json_canon(a, strlen(a)), *y = json_canon(b, strlen(b));
  int same = x && y && strcmp(x, y) == 0;
  free(x);
  free(y);
  return same;
}

#define CHECK_OP(c, i, k, len)                   \
  do {                                           \
    CHECK((c).count > (i));                      \
    CHECK_EQ_LL((c).ops[i].kind, k);             \
    CHECK_EQ_LL((c).ops[i].length, len);         \
  } while (0)

static void test_exact_deltas(void) {
  codesync_doc *doc = new_doc(1, CODESYNC_OFFSET_UTF16);
  codesync_text *t = codesync_doc_text(doc, "t");
  capture c;
  codesync_subscription *sub;
  memset(&c, 0, sizeof c);
  sub = codesync_text_observe(t, capture_delta, &c);
  REQUIRE(sub != NULL);

  CHECK_OK(codesync_text_insert(t, 0, "hello", 5));
  CHECK_EQ_LL(c.events, 1);
  CHECK_EQ_LL(c.count, 1);
  CHECK_OP(c, 0, CODESYNC_DELTA_INSERT, 5);
  CHECK_STREQ(c.ops[0].text, "hello");
  CHECK(!c.ops[0].has_attrs && !c.ops[0].has_embed);

  CHECK_OK(codesync_text_insert(t, 2, "\xf0\x9f\x98\x80", 4)); /* he😀llo */
  CHECK_EQ_LL(c.count, 2);
  CHECK_OP(c, 0, CODESYNC_DELTA_RETAIN, 2);
  CHECK(!c.ops[0].has_text && !c.ops[0].has_attrs);
  CHECK_OP(c, 1, CODESYNC_DELTA_INSERT, 2); /* UTF-16 units */
  CHECK_STREQ(c.ops[1].text, "\xf0\x9f\x98\x80");

  CHECK_OK(codesync_text_delete(t, 1, 3)); /* "e😀" -> hllo */
  CHECK_EQ_LL(c.count, 2);
  CHECK_OP(c, 0, CODESYNC_DELTA_RETAIN, 1);
  CHECK_OP(c, 1, CODESYNC_DELTA_DELETE, 3);

  CHECK_OK(codesync_text_format(t, 0, 2, "{\"bold\":true}", 13));
  CHECK_EQ_LL(c.count, 1);
  CHECK_OP(c, 0, CODESYNC_DELTA_RETAIN, 2);
  CHECK(c.ops[0].has_attrs && json_same(c.ops[0].attrs, "{\"bold\":true}"));

  CHECK_OK(codesync_text_insert_with_attributes(t, 4, "!", 1, "{\"italic\":true}", 15));
  CHECK_EQ_LL(c.count, 2);
  CHECK_OP(c, 0, CODESYNC_DELTA_RETAIN, 4);
  CHECK_OP(c, 1, CODESYNC_DELTA_INSERT, 1);
  CHECK(c.ops[1].has_attrs && json_same(c.ops[1].attrs, "{\"italic\":true}"));

  CHECK_OK(codesync_text_insert_embed(t, 0, "{\"image\":\"a.png\"}", 17));
  CHECK_EQ_LL(c.count, 1);
  CHECK_OP(c, 0, CODESYNC_DELTA_INSERT, 1);
  CHECK(!c.ops[0].has_text);
  CHECK(c.ops[0].has_embed && json_same(c.ops[0].embed, "{\"image\":\"a.png\"}"));

  /* A transaction with several edits is one event with a composed delta. */
  c.events = 0;
  CHECK_OK(codesync_doc_begin(doc, "batch"));
  CHECK_OK(codesync_text_delete(t, 0, 1));        /* drop the embed: hllo! */
  CHECK_OK(codesync_text_insert(t, 4, "X", 1));   /* hlloX! */
  CHECK_OK(codesync_text_insert(t, 0, "Y", 1));   /* YhlloX! */
  CHECK_OK(codesync_doc_commit(doc));
  CHECK_EQ_LL(c.events, 1);
  /* Yjs: [{insert:Y},{delete:1},{retain:4},{insert:X}] with attributes on the
   * inserts as inherited; check the shape that matters for a buffer. */
  {
    size_t i, ins = 0, del = 0;
    for (i = 0; i < c.count; i++) {
      if (c.ops[i].kind == CODESYNC_DELTA_INSERT) ins += c.ops[i].length;
      if (c.ops[i].kind == CODESYNC_DELTA_DELETE) del += c.ops[i].length;
    }
    CHECK_EQ_LL(ins, 2);
    CHECK_EQ_LL(del, 1);
  }
  codesync_unobserve(sub);
  codesync_doc_free(doc);
}

/* ---- random edits, local and remote -------------------------------------- */

static const char *const kAlphabet[] = {"a", "b", "c", " ", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                        "\xf0\x9f\x91\x8d"};

static void random_edit(codesync_text *t, const char *current, codesync_offset_kind kind, uint64_t *seed) {
  size_t len = strlen(current), nchars = utf8_char_count(current, len);
  size_t r = rng_below(seed, 10);
  if (nchars == 0 || r < 5) {
    char ins[64] = "";
    size_t k, pieces = 1 + rng_below(seed, 6);
    size_t at = utf8_units(current, utf8_char_offset(current, len, rng_below(seed, nchars + 1)), kind);
    for (k = 0; k < pieces; k++) strcat(ins, kAlphabet[rng_below(seed, 8)]);
    if (r == 4) {
      CHECK_OK(codesync_text_insert_with_attributes(t, at, ins, strlen(ins), "{\"b\":true}", 10));
    } else {
      CHECK_OK(codesync_text_insert(t, at, ins, strlen(ins)));
    }
  } else {
    size_t from = rng_below(seed, nchars);
    size_t n = 1 + rng_below(seed, nchars - from < 4 ? nchars - from : 4);
    size_t fb = utf8_char_offset(current, len, from), tb = utf8_char_offset(current, len, from + n);
    size_t fu = utf8_units(current, fb, kind), nu = utf8_units(current + fb, tb - fb, kind);
    if (r < 8) {
      CHECK_OK(codesync_text_delete(t, fu, nu));
    } else {
      CHECK_OK(codesync_text_format(t, fu, nu, r == 8 ? "{\"b\":true}" : "{\"b\":null}", 10));
    }
  }
}

static void check_mirror(codesync_text *t, mirror *m, const char *who) {
  char *actual = text_dup(t);
  capi_checks++;
  if (actual == NULL || m->errors != 0 || strcmp(actual, m->text.data ? m->text.data : "") != 0) {
    CAPI_FAIL_("%s: mirror \"%s\" (errors %d) vs doc \"%s\"", who, m->text.data ? m->text.data : "", m->errors,
               actual ? actual : "(null)");
  }
  free(actual);
}

static void random_local_and_remote(codesync_offset_kind kind, uint64_t seed) {
  codesync_doc *a = new_doc(1, kind), *b = new_doc(2, kind);
  codesync_text *ta = codesync_doc_text(a, "t"), *tb = codesync_doc_text(b, "t");
  mirror ma, mb;
  codesync_subscription *sa, *sb;
  int step, failed_before = capi_failed;
  memset(&ma, 0, sizeof ma);
  memset(&mb, 0, sizeof mb);
  ma.kind = mb.kind = kind;
  sa = codesync_text_observe(ta, apply_delta, &ma);
  sb = codesync_text_observe(tb, apply_delta, &mb);
  REQUIRE(sa != NULL && sb != NULL);
  for (step = 0; step < 400 && capi_failed == failed_before; step++) {
    size_t r = rng_below(&seed, 12);
    codesync_text *t = r < 5 ? ta : tb;
    codesync_doc *d = r < 5 ? a : b;
    if (r < 10) {
      int batch = rng_below(&seed, 4) == 0;
      int edits = batch ? 2 + (int)rng_below(&seed, 3) : 1, e;
      if (batch) CHECK_OK(codesync_doc_begin(d, "batch"));
      for (e = 0; e < edits; e++) {
        char *cur = text_dup(t);
        REQUIRE(cur != NULL);
        random_edit(t, cur, kind, &seed);
        free(cur);
      }
      if (batch) CHECK_OK(codesync_doc_commit(d));
    } else if (r == 10) {
      CHECK_OK(sync_one_way(a, b));
    } else {
      CHECK_OK(sync_one_way(b, a));
    }
    check_mirror(ta, &ma, "a");
    check_mirror(tb, &mb, "b");
  }
  CHECK_OK(sync_both(a, b));
  check_mirror(ta, &ma, "a final");
  check_mirror(tb, &mb, "b final");
  CHECK(ma.text.data != NULL && mb.text.data != NULL && strcmp(ma.text.data, mb.text.data) == 0);
  CHECK(ma.events > 100 && mb.events > 100);
  CHECK(ma.attr_inserts + ma.attr_retains > 0); /* formatting did show up in events */
  codesync_unobserve(sa);
  codesync_unobserve(sb);
  strbuf_free(&ma.text);
  strbuf_free(&mb.text);
  codesync_doc_free(a);
  codesync_doc_free(b);
}

int main(void) {
  test_exact_deltas();
  random_local_and_remote(CODESYNC_OFFSET_UTF16, 1);
  random_local_and_remote(CODESYNC_OFFSET_UTF8, 2);
  random_local_and_remote(CODESYNC_OFFSET_CODEPOINT, 3);
  random_local_and_remote(CODESYNC_OFFSET_UTF16, 4);
  return capi_finish("capi.delta");
}
