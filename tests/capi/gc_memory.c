/* Garbage collection gives memory back: write then delete 10 MB of text and
 * measure the live heap before and after; with gc = 0 the content is kept. */
#include <malloc.h>

#include "capi_test.h"

/* Under AddressSanitizer mallinfo2 does not see the heap; its allocator does. */
extern size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

static size_t live_heap(void) {
  if (__sanitizer_get_current_allocated_bytes) return __sanitizer_get_current_allocated_bytes();
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd; /* small chunks + mmapped big ones */
}

#define TOTAL (10u * 1024u * 1024u)
#define CHUNK 65536u

typedef struct sizes {
  size_t base, written, deleted;
} sizes;

/* Types 10 MB in 64 KiB chunks (one transaction each, as an editor would
 * batch), deletes everything in one call. */
static sizes write_then_delete(int gc, codesync_doc **keep) {
  codesync_doc_options opts;
  codesync_doc *doc;
  codesync_text *t;
  char *chunk = (char *)malloc(CHUNK);
  size_t i, at = 0;
  sizes s;
  REQUIRE(chunk != NULL);
  for (i = 0; i < CHUNK; i++) chunk[i] = (char)('a' + i % 26);
  s.base = live_heap();
  codesync_doc_options_init(&opts);
  opts.client_id = 1;
  opts.gc = gc;
  doc = codesync_doc_new(&opts);
  REQUIRE(doc != NULL);
  t = codesync_doc_text(doc, "big");
  for (at = 0; at < TOTAL; at += CHUNK) REQUIRE_OK(codesync_text_insert(t, at, chunk, CHUNK));
  CHECK_EQ_LL(codesync_text_length(t), TOTAL);
  s.written = live_heap();
  REQUIRE_OK(codesync_text_delete(t, 0, TOTAL));
  CHECK_EQ_LL(codesync_text_length(t), 0);
  s.deleted = live_heap();
  free(chunk);
  *keep = doc;
  return s;
}

int main(void) {
  codesync_doc *doc;
  sizes gc, nogc;
  codesync_buffer update;

  gc = write_then_delete(1, &doc);
  printf("gc=1: base %zu, after writing %zu, after deleting %zu bytes\n", gc.base, gc.written, gc.deleted);
  /* Holding the text costs at least its bytes... */
  CHECK(gc.written - gc.base >= TOTAL);
  /* ...and after the deletion less than 1% of it stays. */
  CHECK(gc.deleted - gc.base < TOTAL / 100);
  /* The collected document encodes as a small update (deleted content, as Yjs writes it). */
  update = encode_state(doc);
  CHECK(update.len < 64);
  codesync_buffer_free(&update);
  codesync_doc_free(doc);

  nogc = write_then_delete(0, &doc);
  printf("gc=0: base %zu, after writing %zu, after deleting %zu bytes\n", nogc.base, nogc.written, nogc.deleted);
  /* Without gc the deleted text is history: all of it is still there. */
  CHECK(nogc.deleted - nogc.base >= TOTAL);
  update = encode_state(doc);
  CHECK(update.len >= TOTAL);
  codesync_buffer_free(&update);
  codesync_doc_free(doc);
  return capi_finish("gc_memory");
}
