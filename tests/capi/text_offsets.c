/* Text insert/delete/length/string in UTF-16 (default), UTF-8 and code point offsets. */
#include "capi_test.h"

/* a (1 byte), é (2 bytes), € (3 bytes), 😀 (4 bytes, astral: a surrogate pair in UTF-16) */
#define A_ "a"
#define E_ "\xc3\xa9"
#define EURO_ "\xe2\x82\xac"
#define EMOJI_ "\xf0\x9f\x98\x80"
#define B_ "b"

static const char *kind_name(codesync_offset_kind k) {
  return k == CODESYNC_OFFSET_UTF8 ? "utf8" : k == CODESYNC_OFFSET_CODEPOINT ? "codepoint" : "utf16";
}

/* Offsets of the character boundaries of "aé€😀b" in each unit. */
typedef struct layout {
  codesync_offset_kind kind;
  size_t at[6]; /* before a, é, €, 😀, b, end */
} layout;

static const layout kLayouts[3] = {
    {CODESYNC_OFFSET_UTF16, {0, 1, 2, 3, 5, 6}},
    {CODESYNC_OFFSET_UTF8, {0, 1, 3, 6, 10, 11}},
    {CODESYNC_OFFSET_CODEPOINT, {0, 1, 2, 3, 4, 5}},
};

static void build_in_pieces(const layout *l) {
  codesync_doc *doc = new_doc(1, l->kind);
  codesync_text *t = codesync_doc_text(doc, "t");
  fprintf(stderr, "-- build %s\n", kind_name(l->kind));
  /* Insert out of order so every insert position is exercised: b, a|b, a😀b, aé€😀b. */
  CHECK_OK(codesync_text_insert(t, 0, B_, 1));
  CHECK_OK(codesync_text_insert(t, 0, A_, 1));
  CHECK_TEXT(t, "ab");
  CHECK_OK(codesync_text_insert(t, l->at[1], EMOJI_, 4));
  CHECK_TEXT(t, A_ EMOJI_ B_);
  CHECK_OK(codesync_text_insert(t, l->at[1], E_ EURO_, 5));
  CHECK_TEXT(t, A_ E_ EURO_ EMOJI_ B_);
  CHECK_EQ_LL(codesync_text_length(t), l->at[5]);
  /* Append at the end. */
  CHECK_OK(codesync_text_insert(t, l->at[5], "!", 1));
  CHECK_TEXT(t, A_ E_ EURO_ EMOJI_ B_ "!");
  CHECK_EQ_LL(codesync_text_length(t), l->at[5] + 1);
  codesync_doc_free(doc);
}

static codesync_doc *make_sample(codesync_offset_kind kind, codesync_text **out) {
  codesync_doc *doc = new_doc(1, kind);
  codesync_text *t = codesync_doc_text(doc, "t");
  REQUIRE_OK(codesync_text_insert(t, 0, A_ E_ EURO_ EMOJI_ B_, 11));
  *out = t;
  return doc;
}

/* Every index that is not a character boundary is rejected, and nothing changes. */
static void splits_rejected(const layout *l) {
  codesync_text *t;
  codesync_doc *doc = make_sample(l->kind, &t);
  doc_snapshot snap = take_snapshot(doc);
  size_t i, j, len = l->at[5];
  fprintf(stderr, "-- splits %s\n", kind_name(l->kind));
  for (i = 0; i <= len + 2; i++) {
    int boundary = 0;
    for (j = 0; j < 6; j++)
      if (l->at[j] == i) boundary = 1;
    if (boundary) continue;
    CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_text_insert(t, i, "x", 1));
    CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_text_delete(t, i, 1));
    /* Even an empty edit names an index, and this one is not a boundary. */
    CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_text_insert(t, i, "", 0));
    CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_text_delete(t, i, 0));
  }
  /* Deletions whose end splits a character or runs past the end. */
  for (i = 0; i < 6; i++) {
    for (j = l->at[i] + 1; j <= len + 1; j++) {
      size_t k;
      int boundary = 0;
      for (k = 0; k < 6; k++)
        if (l->at[k] == j) boundary = 1;
      if (boundary) continue;
      CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_text_delete(t, l->at[i], j - l->at[i]));
    }
  }
  CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_text_delete(t, len, 1));
  CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_text_delete(t, 0, (size_t)-1));
  CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_text_insert(t, (size_t)-1, "x", 1));
  CHECK(snapshot_unchanged(doc, &snap));
  CHECK_TEXT(t, A_ E_ EURO_ EMOJI_ B_);
  CHECK_EQ_LL(codesync_text_length(t), len);
  free_snapshot(&snap);
  codesync_doc_free(doc);
}

/* Deleting each single character, each pair, and across the emoji. */
static void deletions(const layout *l) {
  static const char *const chars[5] = {A_, E_, EURO_, EMOJI_, B_};
  size_t i, j;
  fprintf(stderr, "-- deletions %s\n", kind_name(l->kind));
  for (i = 0; i < 5; i++) {
    for (j = i + 1; j <= 5; j++) {
      codesync_text *t;
      codesync_doc *doc = make_sample(l->kind, &t);
      char expected[32] = "";
      size_t k;
      for (k = 0; k < 5; k++)
        if (k < i || k >= j) strcat(expected, chars[k]);
      CHECK_OK(codesync_text_delete(t, l->at[i], l->at[j] - l->at[i]));
      CHECK_TEXT(t, expected);
      CHECK_EQ_LL(codesync_text_length(t), l->at[5] - (l->at[j] - l->at[i]));
      codesync_doc_free(doc);
    }
  }
  /* Zero-length edits are no-ops that succeed. */
  {
    codesync_text *t;
    codesync_doc *doc = make_sample(l->kind, &t);
    doc_snapshot snap = take_snapshot(doc);
    CHECK_OK(codesync_text_delete(t, l->at[2], 0));
    CHECK_OK(codesync_text_insert(t, l->at[3], "", 0));
    CHECK(snapshot_unchanged(doc, &snap));
    free_snapshot(&snap);
    codesync_doc_free(doc);
  }
}

/* Inserting into the middle of an existing run, then deleting around it. */
static void edit_sequence(const layout *l) {
  codesync_text *t;
  codesync_doc *doc = make_sample(l->kind, &t);
  size_t emoji_units = l->at[4] - l->at[3];
  fprintf(stderr, "-- sequence %s\n", kind_name(l->kind));
  /* "aé€😀b" -> "aé€😀😀b" */
  CHECK_OK(codesync_text_insert(t, l->at[4], EMOJI_, 4));
  CHECK_TEXT(t, A_ E_ EURO_ EMOJI_ EMOJI_ B_);
  /* Between the two emoji, a 2-byte char: "aé€😀é😀b". */
  CHECK_OK(codesync_text_insert(t, l->at[4], E_, 2));
  CHECK_TEXT(t, A_ E_ EURO_ EMOJI_ E_ EMOJI_ B_);
  /* Delete "€😀é" (a deletion across an emoji). */
  CHECK_OK(codesync_text_delete(t, l->at[2], (l->at[4] - l->at[2]) + (l->at[2] - l->at[1])));
  CHECK_TEXT(t, A_ E_ EMOJI_ B_);
  /* Delete the remaining emoji by its own length. */
  CHECK_OK(codesync_text_delete(t, l->at[2], emoji_units));
  CHECK_TEXT(t, A_ E_ B_);
  CHECK_EQ_LL(codesync_text_length(t), l->at[2] + 1);
  CHECK_OK(codesync_text_delete(t, 0, codesync_text_length(t)));
  CHECK_TEXT(t, "");
  CHECK_EQ_LL(codesync_text_length(t), 0);
  codesync_doc_free(doc);
}

/* Documents with different offset kinds interoperate: units are local only. */
static void mixed_kinds_sync(void) {
  codesync_doc *u16 = new_doc(1, CODESYNC_OFFSET_UTF16);
  codesync_doc *u8 = new_doc(2, CODESYNC_OFFSET_UTF8);
  codesync_doc *cp = new_doc(3, CODESYNC_OFFSET_CODEPOINT);
  codesync_text *t16 = codesync_doc_text(u16, "t");
  codesync_text *t8 = codesync_doc_text(u8, "t");
  codesync_text *tcp = codesync_doc_text(cp, "t");
  CHECK_OK(codesync_text_insert(t16, 0, EMOJI_ EMOJI_, 8));
  CHECK_OK(sync_both(u16, u8));
  CHECK_OK(sync_both(u16, cp));
  /* Insert between the two emoji, each in its own unit. */
  CHECK_OK(codesync_text_insert(t8, 4, "x", 1));
  CHECK_OK(sync_both(u8, cp));
  CHECK_OK(codesync_text_insert(tcp, 2, "y", 1)); /* after "😀x" */
  CHECK_OK(sync_both(cp, u16));
  CHECK_OK(codesync_text_insert(t16, 4, "z", 1)); /* after "😀xy" */
  CHECK_OK(sync_both(u16, u8));
  CHECK_OK(sync_both(u8, cp));
  CHECK_TEXT(t16, EMOJI_ "xyz" EMOJI_);
  CHECK_TEXT(t8, EMOJI_ "xyz" EMOJI_);
  CHECK_TEXT(tcp, EMOJI_ "xyz" EMOJI_);
  CHECK_EQ_LL(codesync_text_length(t16), 7);
  CHECK_EQ_LL(codesync_text_length(t8), 11);
  CHECK_EQ_LL(codesync_text_length(tcp), 5);
  /* A UTF-16 doc cannot split the pair that came from a UTF-8 peer. */
  CHECK_ERR(CODESYNC_ERR_OUT_OF_RANGE, codesync_text_insert(t16, 1, "q", 1));
  codesync_doc_free(u16);
  codesync_doc_free(u8);
  codesync_doc_free(cp);
}

/* Random edits against a UTF-8 model, in every unit. */
static void random_model(codesync_offset_kind kind, uint64_t seed) {
  static const char *const alphabet[] = {"a", "Z", " ", "\n", E_, EURO_, EMOJI_, "\xf0\x9d\x84\x9e" /* 𝄞 */};
  codesync_doc *doc = new_doc(11, kind);
  codesync_text *t = codesync_doc_text(doc, "t");
  strbuf model = {0, 0, 0};
  int step;
  fprintf(stderr, "-- random %s\n", kind_name(kind));
  strbuf_append(&model, "", 0);
  for (step = 0; step < 400; step++) {
    size_t nchars = utf8_char_count(model.data, model.len);
    if (nchars == 0 || rng_below(&seed, 3) != 0) {
      char ins[64] = "";
      size_t pieces = 1 + rng_below(&seed, 4), p, at_char = rng_below(&seed, nchars + 1);
      size_t at_byte = utf8_char_offset(model.data, model.len, at_char);
      size_t at_unit = utf8_units(model.data, at_byte, kind);
      for (p = 0; p < pieces; p++) strcat(ins, alphabet[rng_below(&seed, 8)]);
      CHECK_OK(codesync_text_insert(t, at_unit, ins, strlen(ins)));
      strbuf_insert(&model, at_byte, ins, strlen(ins));
    } else {
      size_t from_char = rng_below(&seed, nchars);
      size_t n_char = 1 + rng_below(&seed, nchars - from_char < 5 ? nchars - from_char : 5);
      size_t from_byte = utf8_char_offset(model.data, model.len, from_char);
      size_t to_byte = utf8_char_offset(model.data, model.len, from_char + n_char);
      size_t from_unit = utf8_units(model.data, from_byte, kind);
      size_t n_unit = utf8_units(model.data + from_byte, to_byte - from_byte, kind);
      CHECK_OK(codesync_text_delete(t, from_unit, n_unit));
      strbuf_erase(&model, from_byte, to_byte - from_byte);
    }
    CHECK_EQ_LL(codesync_text_length(t), utf8_units(model.data, model.len, kind));
    if (step % 20 == 19 || step == 399) CHECK_TEXT(t, model.data);
    if (capi_failed > 20) break;
  }
  strbuf_free(&model);
  codesync_doc_free(doc);
}

int main(void) {
  int k;
  for (k = 0; k < 3; k++) {
    build_in_pieces(&kLayouts[k]);
    splits_rejected(&kLayouts[k]);
    deletions(&kLayouts[k]);
    edit_sequence(&kLayouts[k]);
    random_model(kLayouts[k].kind, 0x9e3779b97f4a7c15ULL + (uint64_t)k);
  }
  mixed_kinds_sync();
  return capi_finish("capi.text_offsets");
}
