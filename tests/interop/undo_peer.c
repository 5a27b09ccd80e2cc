/*
 * codesync_undo_peer: codesync documents with undo managers and relative
 * positions behind a line protocol, so positions.mjs and undo.mjs can run the
 * same script in yjs and here. One answer line per request:
 *   ok [<value> ...]  |  err <code> <message>
 * Tokens: strings and bytes are hex ("-" = empty), origins "~" = NULL else hex.
 *
 *   reset                                    frees every document and undo manager
 *   new <slot> <client> <gc 0|1> <unit 0|1|2>
 *   nested <slot>                            map "m", key "k" := a new text (type 'n')
 *   apply <slot> <update> <origin>           / encode <slot> -> ok <update>
 *   sync <from> <to>                         what `to` lacks, applied with origin "remote"
 *   insert <slot> <t|n> <origin> <index> <utf8> / delete <slot> <t|n> <origin> <index> <len>
 *   mset <slot> <origin> <key> <json> / mdel <slot> <origin> <key>    on root map "m"
 *   mtext <slot> <origin> <key> <utf8>       m[key] := a new text holding utf8
 *   ninsert <slot> <origin> <key> <index> <utf8>   insert into the text m[key]
 *   text <slot> <t|n> -> ok <utf8>           / map <slot> -> ok <json>
 *   um <slot> <capture timeout>              undo manager over "t" and "m", tracking NULL and "editor"
 *   time <slot> <ms> / stop <slot> / clear <slot>
 *   undo <slot> / redo <slot>                -> ok <changed 0|1> <undo depth> <redo depth>
 *   relpos <slot> <t|n> <index> <assoc>      -> ok <binary> <json of the binary> <json as made>
 *   resolve <slot> <binary> / resolve_json <slot> <json> -> ok <state 0|1|2> <index>
 * Plain C99 over include/codesync.h only.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codesync.h"

enum { kSlots = 8, kMaxTokens = 8 };

static codesync_doc *docs[kSlots];
static codesync_undo_manager *ums[kSlots];

static void out_hex(const uint8_t *p, size_t n) {
  size_t i;
  if (n == 0) {
    fputs(" -", stdout);
    return;
  }
  fputc(' ', stdout);
  for (i = 0; i < n; i++) printf("%02x", p[i]);
}

/* Decodes hex in place; returns the length or -1. */
static long unhex(char *s) {
  size_t n = strlen(s), i;
  if (strcmp(s, "-") == 0) {
    s[0] = 0;
    return 0;
  }
  if (n % 2) return -1;
  for (i = 0; i < n / 2; i++) {
    unsigned v;
    if (sscanf(s + 2 * i, "%2x", &v) != 1) return -1;
    s[i] = (char)v;
  }
  s[n / 2] = 0;
  return (long)(n / 2);
}

static int fail(int code) {
  printf("err %d %s\n", code, codesync_last_error());
  return 0;
}

static codesync_text *text_of(int slot, const char *which) {
  if (which[0] == 'n') return codesync_map_get_text(codesync_doc_map(docs[slot], "m"), "k");
  return codesync_doc_text(docs[slot], "t");
}

static void free_slot(int i) {
  codesync_undo_manager_free(ums[i]);
  ums[i] = NULL;
  codesync_doc_free(docs[i]);
  docs[i] = NULL;
}

static int begin(int slot, char *origin) {
  if (strcmp(origin, "~") == 0) return codesync_doc_begin(docs[slot], NULL);
  if (unhex(origin) < 0) return CODESYNC_ERR_INVALID_ARGUMENT;
  return codesync_doc_begin(docs[slot], origin);
}

static int run(char **tok, int n) {
  const char *cmd = tok[0];
  int slot = n > 1 ? atoi(tok[1]) : 0;
  int rc = CODESYNC_OK;
  if (slot < 0 || slot >= kSlots) slot = 0;
  if (strcmp(cmd, "reset") == 0) {
    int i;
    for (i = 0; i < kSlots; i++) free_slot(i);
  } else if (strcmp(cmd, "new") == 0 && n == 5) {
    codesync_doc_options o;
    free_slot(slot);
    codesync_doc_options_init(&o);
    o.client_id = strtoull(tok[2], NULL, 10);
    o.gc = atoi(tok[3]);
    o.offset_kind = (codesync_offset_kind)atoi(tok[4]);
    docs[slot] = codesync_doc_new(&o);
    if (!docs[slot]) return fail(codesync_last_error_code());
  } else if (!docs[slot]) {
    printf("err -100 no document in slot\n");
    return 0;
  } else if (strcmp(cmd, "nested") == 0) {
    if (!codesync_map_set_text(codesync_doc_map(docs[slot], "m"), "k")) return fail(codesync_last_error_code());
  } else if (strcmp(cmd, "apply") == 0 && n == 4) {
    long len = unhex(tok[2]);
    const char *origin = NULL;
    if (strcmp(tok[3], "~") != 0) {
      unhex(tok[3]);
      origin = tok[3];
    }
    rc = codesync_doc_apply_update_with_origin(docs[slot], (const uint8_t *)tok[2], (size_t)len, origin);
  } else if (strcmp(cmd, "encode") == 0) {
    codesync_buffer b = {0, 0};
    if ((rc = codesync_doc_encode_update(docs[slot], NULL, 0, &b)) != CODESYNC_OK) return fail(rc);
    fputs("ok", stdout);
    out_hex(b.data, b.len);
    fputc('\n', stdout);
    codesync_buffer_free(&b);
    return 0;
  } else if (strcmp(cmd, "sync") == 0 && n == 3) {
    int to = atoi(tok[2]);
    codesync_buffer sv = {0, 0}, diff = {0, 0};
    rc = codesync_doc_state_vector(docs[to], &sv);
    if (rc == CODESYNC_OK) rc = codesync_doc_encode_update(docs[slot], sv.data, sv.len, &diff);
    if (rc == CODESYNC_OK) rc = codesync_doc_apply_update_with_origin(docs[to], diff.data, diff.len, "remote");
    codesync_buffer_free(&sv);
    codesync_buffer_free(&diff);
  } else if ((strcmp(cmd, "insert") == 0 || strcmp(cmd, "delete") == 0) && n == 6) {
    codesync_text *t = text_of(slot, tok[2]);
    size_t index = (size_t)strtoull(tok[4], NULL, 10);
    if (!t) return fail(codesync_last_error_code());
    if ((rc = begin(slot, tok[3])) != CODESYNC_OK) return fail(rc);
    if (cmd[0] == 'i') {
      long len = unhex(tok[5]);
      rc = codesync_text_insert(t, index, tok[5], (size_t)len);
    } else {
      rc = codesync_text_delete(t, index, (size_t)strtoull(tok[5], NULL, 10));
    }
    codesync_doc_commit(docs[slot]);
  } else if ((strcmp(cmd, "mset") == 0 && n == 5) || (strcmp(cmd, "mdel") == 0 && n == 4)) {
    codesync_map *m = codesync_doc_map(docs[slot], "m");
    if ((rc = begin(slot, tok[2])) != CODESYNC_OK) return fail(rc);
    unhex(tok[3]);
    if (cmd[1] == 's') {
      long len = unhex(tok[4]);
      rc = codesync_map_set_json(m, tok[3], tok[4], (size_t)len);
    } else {
      rc = codesync_map_delete(m, tok[3]);
    }
    codesync_doc_commit(docs[slot]);
  } else if ((strcmp(cmd, "mtext") == 0 && n == 5) || (strcmp(cmd, "ninsert") == 0 && n == 6)) {
    codesync_map *m = codesync_doc_map(docs[slot], "m");
    codesync_text *t;
    if ((rc = begin(slot, tok[2])) != CODESYNC_OK) return fail(rc);
    unhex(tok[3]);
    t = cmd[0] == 'm' ? codesync_map_set_text(m, tok[3]) : codesync_map_get_text(m, tok[3]);
    if (!t) {
      rc = codesync_last_error_code();
    } else {
      char *utf8 = tok[n - 1];
      long len = unhex(utf8);
      rc = codesync_text_insert(t, cmd[0] == 'm' ? 0 : (size_t)strtoull(tok[4], NULL, 10), utf8, (size_t)len);
    }
    codesync_doc_commit(docs[slot]);
  } else if ((strcmp(cmd, "text") == 0 && n == 3) || strcmp(cmd, "map") == 0) {
    codesync_buffer b = {0, 0};
    if (cmd[0] == 't') {
      codesync_text *t = text_of(slot, tok[2]);
      rc = t ? codesync_text_string(t, &b) : codesync_last_error_code();
    } else {
      rc = codesync_map_to_json(codesync_doc_map(docs[slot], "m"), &b);
    }
    if (rc != CODESYNC_OK) return fail(rc);
    fputs("ok", stdout);
    out_hex(b.data, b.len);
    fputc('\n', stdout);
    codesync_buffer_free(&b);
    return 0;
  } else if (strcmp(cmd, "um") == 0 && n == 3) {
    codesync_undo_options o;
    codesync_undo_options_init(&o);
    o.capture_timeout_ms = strtoll(tok[2], NULL, 10);
    codesync_undo_manager_free(ums[slot]);
    ums[slot] = codesync_undo_manager_new(docs[slot], &o);
    if (!ums[slot]) return fail(codesync_last_error_code());
    codesync_undo_manager_add_text(ums[slot], codesync_doc_text(docs[slot], "t"));
    codesync_undo_manager_add_map(ums[slot], codesync_doc_map(docs[slot], "m"));
    codesync_undo_manager_add_tracked_origin(ums[slot], "editor");
  } else if (!ums[slot] && (strcmp(cmd, "time") == 0 || strcmp(cmd, "stop") == 0 || strcmp(cmd, "clear") == 0 ||
                            strcmp(cmd, "undo") == 0 || strcmp(cmd, "redo") == 0)) {
    printf("err -100 no undo manager in slot\n");
    return 0;
  } else if (strcmp(cmd, "time") == 0 && n == 3) {
    rc = codesync_undo_manager_set_time(ums[slot], strtoll(tok[2], NULL, 10));
  } else if (strcmp(cmd, "stop") == 0) {
    rc = codesync_undo_manager_stop_capturing(ums[slot]);
  } else if (strcmp(cmd, "clear") == 0) {
    rc = codesync_undo_manager_clear(ums[slot]);
  } else if (strcmp(cmd, "undo") == 0 || strcmp(cmd, "redo") == 0) {
    int changed = 0;
    rc = cmd[0] == 'u' ? codesync_undo_manager_undo(ums[slot], &changed)
                       : codesync_undo_manager_redo(ums[slot], &changed);
    if (rc != CODESYNC_OK) return fail(rc);
    printf("ok %d %u %u\n", changed, (unsigned)codesync_undo_manager_undo_depth(ums[slot]),
           (unsigned)codesync_undo_manager_redo_depth(ums[slot]));
    return 0;
  } else if (strcmp(cmd, "relpos") == 0 && n == 5) {
    codesync_text *t = text_of(slot, tok[2]);
    codesync_buffer b = {0, 0}, j = {0, 0}, k = {0, 0};
    size_t index = (size_t)strtoull(tok[3], NULL, 10);
    if (!t) return fail(codesync_last_error_code());
    rc = codesync_relpos_from_text(t, index, atoi(tok[4]), &b);
    if (rc == CODESYNC_OK) rc = codesync_relpos_to_json(b.data, b.len, &j);
    if (rc == CODESYNC_OK) rc = codesync_relpos_from_text_json(t, index, atoi(tok[4]), &k);
    if (rc != CODESYNC_OK) return fail(rc);
    fputs("ok", stdout);
    out_hex(b.data, b.len);
    out_hex(j.data, j.len);
    out_hex(k.data, k.len);
    fputc('\n', stdout);
    codesync_buffer_free(&b);
    codesync_buffer_free(&j);
    codesync_buffer_free(&k);
    return 0;
  } else if ((strcmp(cmd, "resolve") == 0 || strcmp(cmd, "resolve_json") == 0) && n == 3) {
    long len = unhex(tok[2]);
    codesync_buffer b = {0, 0};
    size_t index = 0;
    codesync_relpos_state st = CODESYNC_RELPOS_NOT_FOUND;
    if (len < 0) return fail(CODESYNC_ERR_INVALID_ARGUMENT);
    if (strcmp(cmd, "resolve_json") == 0) {
      if ((rc = codesync_relpos_from_json(tok[2], (size_t)len, &b)) != CODESYNC_OK) return fail(rc);
      rc = codesync_relpos_to_index(docs[slot], b.data, b.len, &index, &st);
      codesync_buffer_free(&b);
    } else {
      rc = codesync_relpos_to_index(docs[slot], (const uint8_t *)tok[2], (size_t)len, &index, &st);
    }
    if (rc != CODESYNC_OK) return fail(rc);
    printf("ok %d %u\n", (int)st, (unsigned)index);
    return 0;
  } else {
    printf("err -100 bad request %s\n", cmd);
    return 0;
  }
  if (rc != CODESYNC_OK) return fail(rc);
  puts("ok");
  return 0;
}

int main(void) {
  size_t cap = 1 << 16, len = 0;
  char *line = (char *)malloc(cap);
  int c;
  if (!line) return 2;
  while ((c = fgetc(stdin)) != EOF) {
    if (c != '\n') {
      if (len + 1 >= cap) {
        char *p = (char *)realloc(line, cap *= 2);
        if (!p) return 2;
        line = p;
      }
      line[len++] = (char)c;
      continue;
    }
    line[len] = 0;
    len = 0;
    {
      char *tok[kMaxTokens];
      int n = 0;
      char *p = strtok(line, " ");
      while (p && n < kMaxTokens) {
        tok[n++] = p;
        p = strtok(NULL, " ");
      }
      if (n == 0) continue;
      if (strcmp(tok[0], "quit") == 0) {
        puts("ok");
        fflush(stdout);
        break;
      }
      run(tok, n);
      fflush(stdout);
    }
  }
  free(line);
  {
    int i;
    for (i = 0; i < kSlots; i++) free_slot(i);
  }
  return 0;
}
