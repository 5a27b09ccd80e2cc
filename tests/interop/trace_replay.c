/* Replays an editing script through the C API and writes the document's full
 * state (update v1) to a file, so trace_bytes.mjs can compare it with what
 * yjs encodes for the same edits.
 *
 * Script on stdin, one record per line:
 *   E <pos> <del> <nbytes>\n<nbytes of UTF-8>\n   one patch (UTF-16 positions)
 *   C\n                                          end of a transaction
 * Usage: codesync_trace_replay <client id> <out file> < script */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codesync.h"

static int fail(const char *what) {
  fprintf(stderr, "trace_replay: %s: %s\n", what, codesync_last_error());
  return 1;
}

int main(int argc, char **argv) {
  codesync_doc_options opts;
  codesync_doc *doc;
  codesync_text *text;
  codesync_buffer out = {NULL, 0};
  char line[128];
  char *buf = NULL;
  size_t cap = 0;
  int open = 0;
  FILE *f;
  if (argc != 3) {
    fprintf(stderr, "usage: %s <client id> <out file> < script\n", argv[0]);
    return 2;
  }
  codesync_doc_options_init(&opts);
  opts.client_id = strtoull(argv[1], NULL, 10);
  doc = codesync_doc_new(&opts);
  text = codesync_doc_text(doc, "text");
  while (fgets(line, sizeof line, stdin)) {
    size_t pos, del, n;
    if (line[0] == 'C') {
      if (open && codesync_doc_commit(doc) != CODESYNC_OK) return fail("commit");
      open = 0;
      continue;
    }
    if (sscanf(line, "E %zu %zu %zu", &pos, &del, &n) != 3) return fail("bad script line");
    if (n + 1 > cap) {
      cap = (n + 1) * 2;
      buf = realloc(buf, cap);
      if (!buf) return fail("out of memory");
    }
    if (fread(buf, 1, n + 1, stdin) != n + 1) return fail("truncated script");
    if (!open && codesync_doc_begin(doc, NULL) != CODESYNC_OK) return fail("begin");
    open = 1;
    if (del && codesync_text_delete(text, pos, del) != CODESYNC_OK) return fail("delete");
    if (n && codesync_text_insert(text, pos, buf, n) != CODESYNC_OK) return fail("insert");
  }
  if (codesync_doc_encode_update(doc, NULL, 0, &out) != CODESYNC_OK) return fail("encode");
  f = fopen(argv[2], "wb");
  if (!f || fwrite(out.data, 1, out.len, f) != out.len || fclose(f) != 0) return fail("write");
  codesync_buffer_free(&out);
  free(buf);
  codesync_doc_free(doc);
  return 0;
}
