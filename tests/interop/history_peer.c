/*
 * codesync_history_peer: the history and persistence calls over a line
 * protocol, for history.mjs (spoken to through DriverProcess of peer.mjs).
 *
 * Request:  <command> <arg> ...     Answer: ok [<value> ...] | err <code> <message>
 * bytes, UTF-8 and JSON travel as hex ("-" = empty); "~" = NULL snapshot.
 *
 *   new <client> <gc>                      -> ok <doc>
 *   free <doc>                             -> ok
 *   apply <doc> <update>                   -> ok
 *   encode <doc>                           -> ok <update>
 *   json <doc>                             -> ok <json>   (roots "t" text and "m" map asked for first,
 *                                                            as the script's yState does in yjs)
 *   snapshot <doc>                         -> ok <snapshot>
 *   from_snapshot <doc> <snapshot> <gc>    -> ok <new doc>
 *   contains <snapshot> <update>           -> ok 0|1
 *   restore <doc> <snapshot>               -> ok <n> <update>*   the update events it emitted
 *   diff_text <doc> <name> <prev|~> <next|~>   -> ok <json>
 *   diff_map <doc> <name> <prev|~> <next|~>    -> ok <json>
 *   authorship <doc> <name>                -> ok <json>
 *   text_insert <doc> <name> <index> <utf8> / text_delete <doc> <name> <index> <len>
 *   map_set <doc> <name> <key> <json> / map_delete <doc> <name> <key>
 *   map_set_text <doc> <name> <key>        nested text under key
 *   map_text_insert <doc> <name> <key> <index> <utf8>
 *   begin <doc> / commit <doc>
 *   quit
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codesync.h"

#define MAX_DOCS 100000
#define MAX_EVENTS 64

static codesync_doc *docs[MAX_DOCS];
static size_t n_docs;
static codesync_buffer events[MAX_EVENTS];
static size_t n_events;

static void on_update(const uint8_t *u, size_t len, const char *origin, void *user) {
  (void)origin;
  (void)user;
  if (n_events < MAX_EVENTS) {
    events[n_events].data = (uint8_t *)malloc(len + 1);
    memcpy(events[n_events].data, u, len);
    events[n_events].len = len;
    n_events++;
  }
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes a hex token in place; returns its length or -1. */
static long unhex(char *tok) {
  size_t n = strlen(tok), i;
  if (strcmp(tok, "-") == 0) {
    tok[0] = '\0';
    return 0;
  }
  if (n % 2) return -1;
  for (i = 0; i < n / 2; i++) {
    int hi = hexval(tok[2 * i]), lo = hexval(tok[2 * i + 1]);
    if (hi < 0 || lo < 0) return -1;
    tok[i] = (char)(hi * 16 + lo);
  }
  tok[n / 2] = '\0';
  return (long)(n / 2);
}

static void put_hex(const uint8_t *p, size_t n) {
  size_t i;
  putchar(' ');
  if (n == 0) putchar('-');
  for (i = 0; i < n; i++) printf("%02x", p[i]);
}

static int fail(int code) {
  printf("err %d %s\n", code, codesync_last_error());
  return code;
}

static void answer_buffer(int rc, codesync_buffer *b) {
  if (rc != CODESYNC_OK) {
    fail(rc);
    return;
  }
  printf("ok");
  put_hex(b->data, b->len);
  putchar('\n');
  codesync_buffer_free(b);
}

static codesync_doc *doc_arg(const char *tok) {
  size_t i = (size_t)strtoul(tok, NULL, 10);
  return i < n_docs ? docs[i] : NULL;
}

static codesync_doc *new_doc(uint64_t client, int gc) {
  codesync_doc_options o;
  codesync_doc_options_init(&o);
  o.client_id = client;
  o.gc = gc;
  return codesync_doc_new(&o);
}

int main(void) {
  static char line[1 << 24];
  char *tok[8];
  while (fgets(line, sizeof line, stdin)) {
    size_t n = 0;
    char *p = strtok(line, " \n");
    codesync_buffer out = {0, 0};
    codesync_doc *d;
    long l1, l2;
    while (p && n < 8) {
      tok[n++] = p;
      p = strtok(NULL, " \n");
    }
    if (n == 0) {
      printf("err -100 empty\n");
    } else if (strcmp(tok[0], "quit") == 0) {
      printf("ok\n");
      fflush(stdout);
      break;
    } else if (strcmp(tok[0], "new") == 0 && n == 3 && n_docs < MAX_DOCS) {
      docs[n_docs] = new_doc(strtoull(tok[1], NULL, 10), atoi(tok[2]));
      printf("ok %zu\n", n_docs++);
    } else if (strcmp(tok[0], "contains") == 0 && n == 3) {
      int c = -1, rc;
      l1 = unhex(tok[1]);
      l2 = unhex(tok[2]);
      rc = codesync_snapshot_contains_update((uint8_t *)tok[1], (size_t)l1, (uint8_t *)tok[2], (size_t)l2, &c);
      if (rc) fail(rc);
      else printf("ok %d\n", c);
    } else if (n < 2 || !(d = doc_arg(tok[1]))) {
      printf("err -100 bad request\n");
    } else if (strcmp(tok[0], "free") == 0) {
      codesync_doc_free(d);
      docs[strtoul(tok[1], NULL, 10)] = NULL;
      printf("ok\n");
    } else if (strcmp(tok[0], "apply") == 0 && n == 3) {
      int rc;
      l1 = unhex(tok[2]);
      rc = codesync_doc_apply_update(d, (uint8_t *)tok[2], (size_t)l1);
      if (rc) fail(rc);
      else printf("ok\n");
    } else if (strcmp(tok[0], "encode") == 0) {
      answer_buffer(codesync_doc_encode_update(d, NULL, 0, &out), &out);
    } else if (strcmp(tok[0], "json") == 0) {
      codesync_doc_text(d, "t");
      codesync_doc_map(d, "m");
      answer_buffer(codesync_doc_to_json(d, &out), &out);
    } else if (strcmp(tok[0], "snapshot") == 0) {
      answer_buffer(codesync_doc_snapshot(d, &out), &out);
    } else if (strcmp(tok[0], "from_snapshot") == 0 && n == 4 && n_docs < MAX_DOCS) {
      codesync_doc_options o;
      int rc;
      codesync_doc_options_init(&o);
      o.client_id = 999;
      o.gc = atoi(tok[3]);
      l1 = unhex(tok[2]);
      rc = codesync_doc_from_snapshot(d, (uint8_t *)tok[2], (size_t)l1, &o, &docs[n_docs]);
      if (rc) fail(rc);
      else printf("ok %zu\n", n_docs++);
    } else if (strcmp(tok[0], "restore") == 0 && n == 3) {
      codesync_subscription *sub = codesync_doc_observe_updates(d, on_update, NULL);
      int rc;
      size_t i;
      l1 = unhex(tok[2]);
      n_events = 0;
      rc = codesync_doc_restore_snapshot(d, (uint8_t *)tok[2], (size_t)l1, "restore");
      codesync_unobserve(sub);
      if (rc) {
        fail(rc);
      } else {
        printf("ok %zu", n_events);
        for (i = 0; i < n_events; i++) put_hex(events[i].data, events[i].len);
        putchar('\n');
      }
      for (i = 0; i < n_events; i++) free(events[i].data);
      n_events = 0;
    } else if ((strcmp(tok[0], "diff_text") == 0 || strcmp(tok[0], "diff_map") == 0) && n == 5) {
      int is_text = tok[0][5] == 't';
      const uint8_t *prev = NULL, *next = NULL;
      int rc;
      l1 = l2 = 0;
      if (strcmp(tok[3], "~") != 0) l1 = unhex(tok[3]), prev = (uint8_t *)tok[3];
      if (strcmp(tok[4], "~") != 0) l2 = unhex(tok[4]), next = (uint8_t *)tok[4];
      unhex(tok[2]);
      rc = is_text ? codesync_text_diff(codesync_doc_text(d, tok[2]), prev, (size_t)l1, next, (size_t)l2, &out)
                   : codesync_map_diff(codesync_doc_map(d, tok[2]), prev, (size_t)l1, next, (size_t)l2, &out);
      answer_buffer(rc, &out);
    } else if (strcmp(tok[0], "authorship") == 0 && n == 3) {
      unhex(tok[2]);
      answer_buffer(codesync_text_authorship_json(codesync_doc_text(d, tok[2]), &out), &out);
    } else if (strcmp(tok[0], "text_insert") == 0 && n == 5) {
      int rc;
      unhex(tok[2]);
      l1 = unhex(tok[4]);
      rc = codesync_text_insert(codesync_doc_text(d, tok[2]), strtoul(tok[3], NULL, 10), tok[4], (size_t)l1);
      if (rc) fail(rc);
      else printf("ok\n");
    } else if (strcmp(tok[0], "text_delete") == 0 && n == 5) {
      int rc;
      unhex(tok[2]);
      rc = codesync_text_delete(codesync_doc_text(d, tok[2]), strtoul(tok[3], NULL, 10), strtoul(tok[4], NULL, 10));
      if (rc) fail(rc);
      else printf("ok\n");
    } else if (strcmp(tok[0], "map_set") == 0 && n == 5) {
      int rc;
      unhex(tok[2]);
      unhex(tok[3]);
      l1 = unhex(tok[4]);
      rc = codesync_map_set_json(codesync_doc_map(d, tok[2]), tok[3], tok[4], (size_t)l1);
      if (rc) fail(rc);
      else printf("ok\n");
    } else if (strcmp(tok[0], "map_delete") == 0 && n == 4) {
      int rc;
      unhex(tok[2]);
      unhex(tok[3]);
      rc = codesync_map_delete(codesync_doc_map(d, tok[2]), tok[3]);
      if (rc) fail(rc);
      else printf("ok\n");
    } else if (strcmp(tok[0], "map_set_text") == 0 && n == 4) {
      unhex(tok[2]);
      unhex(tok[3]);
      if (!codesync_map_set_text(codesync_doc_map(d, tok[2]), tok[3])) fail(codesync_last_error_code());
      else printf("ok\n");
    } else if (strcmp(tok[0], "map_text_insert") == 0 && n == 6) {
      codesync_text *t;
      unhex(tok[2]);
      unhex(tok[3]);
      l1 = unhex(tok[5]);
      t = codesync_map_get_text(codesync_doc_map(d, tok[2]), tok[3]);
      if (!t) {
        fail(codesync_last_error_code());
      } else {
        int rc = codesync_text_insert(t, strtoul(tok[4], NULL, 10), tok[5], (size_t)l1);
        if (rc) fail(rc);
        else printf("ok\n");
      }
    } else if (strcmp(tok[0], "begin") == 0) {
      int rc = codesync_doc_begin(d, NULL);
      if (rc) fail(rc);
      else printf("ok\n");
    } else if (strcmp(tok[0], "commit") == 0) {
      int rc = codesync_doc_commit(d);
      if (rc) fail(rc);
      else printf("ok\n");
    } else {
      printf("err -100 unknown command %s\n", tok[0]);
    }
    fflush(stdout);
  }
  {
    size_t i;
    for (i = 0; i < n_docs; i++) codesync_doc_free(docs[i]);
  }
  return 0;
}
