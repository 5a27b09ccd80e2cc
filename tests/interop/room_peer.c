/*
 * codesync_room_peer: hosts one codesync_room and runs line commands from
 * stdin, one answer line per command on stdout (flushed), so room.mjs can put
 * real y-websocket / y-protocols clients in front of it. Same answer format as
 * peer/peer.c, so peer.mjs's DriverProcess speaks to it:
 *
 * Answer:   ok [<value> ...]  |  err <code> <message>
 * Tokens:   bytes / UTF-8 / JSON as hex ("-" = empty); numbers in decimal.
 * Codes:    the library's (negative), or -100 for a malformed request.
 *
 * Commands:
 *   new <client_id> [<awareness_timeout_ms>]  -> ok          (replaces the room)
 *   attach <conn> <read_only 0|1> <now_ms>    -> ok
 *   detach <conn> <now_ms>                    -> ok
 *   recv <conn> <frame> <now_ms>              -> ok
 *   tick <now_ms>                             -> ok
 *   drain                                     -> ok <n> (<conn> <frame>)*   every queued frame
 *   conns                                     -> ok <connection count>
 *   text <name>                               -> ok <utf8>
 *   insert <name> <index> <utf8>              -> ok          (a server-side edit)
 *   delete <name> <index> <length>            -> ok
 *   json                                      -> ok <json of the whole document>
 *   state                                     -> ok <update>  (whole state)
 *   awareness                                 -> ok <json>    {"<client>": state, ...}
 *   set_local <json> <now_ms>                 -> ok          ("-" removes the room's own state)
 *   updates                                   -> ok <n>       updates the room doc emitted so far
 *   quit                                      -> ok, then exit
 *
 * Plain C99 over include/codesync.h only.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codesync.h"

enum { kErrRequest = -100 };

typedef struct {
  char *data;
  size_t len;
  size_t cap;
} Str;

static void Reserve(Str *s, size_t extra) {
  size_t cap;
  char *p;
  if (s->len + extra + 1 <= s->cap) return;
  cap = s->cap ? s->cap : 256;
  while (cap < s->len + extra + 1) cap *= 2;
  p = (char *)realloc(s->data, cap);
  if (!p) {
    fputs("room_peer: out of memory\n", stderr);
    exit(3);
  }
  s->data = p;
  s->cap = cap;
}

static void Append(Str *s, const char *p, size_t n) {
  Reserve(s, n);
  if (n) memcpy(s->data + s->len, p, n);
  s->len += n;
  s->data[s->len] = '\0';
}

static void Puts(Str *s, const char *p) { Append(s, p, strlen(p)); }

static void PutU64(Str *s, uint64_t v) {
  char tmp[32];
  snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
  Puts(s, tmp);
}

static void PutHex(Str *s, const uint8_t *p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  size_t i;
  if (n == 0) {
    Puts(s, "-");
    return;
  }
  Reserve(s, 2 * n);
  for (i = 0; i < n; i++) {
    s->data[s->len++] = kDigits[p[i] >> 4];
    s->data[s->len++] = kDigits[p[i] & 15];
  }
  s->data[s->len] = '\0';
}

static int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes a hex token in place; returns 0 on bad hex. "-" is empty. */
static int Unhex(char *tok, size_t *len_out) {
  size_t n = strlen(tok), i;
  if (strcmp(tok, "-") == 0) {
    *len_out = 0;
    tok[0] = '\0';
    return 1;
  }
  if (n % 2) return 0;
  for (i = 0; i < n / 2; i++) {
    int hi = HexVal(tok[2 * i]), lo = HexVal(tok[2 * i + 1]);
    if (hi < 0 || lo < 0) return 0;
    tok[i] = (char)(hi * 16 + lo);
  }
  tok[n / 2] = '\0';
  *len_out = n / 2;
  return 1;
}

static int ParseU64(const char *tok, uint64_t *out) {
  char *end;
  if (!tok || !*tok || *tok == '-') return 0;
  *out = (uint64_t)strtoull(tok, &end, 10);
  return *end == '\0';
}

static int ParseI64(const char *tok, int64_t *out) {
  char *end;
  if (!tok || !*tok) return 0;
  *out = (int64_t)strtoll(tok, &end, 10);
  return *end == '\0';
}

static int ReadLine(FILE *in, Str *line) {
  int c;
  line->len = 0;
  Reserve(line, 0);
  line->data[0] = '\0';
  while ((c = fgetc(in)) != EOF) {
    char ch = (char)c;
    if (ch == '\n') return 1;
    Append(line, &ch, 1);
  }
  return line->len > 0;
}

/* ---- state --------------------------------------------------------------- */

static codesync_room *g_room;
static codesync_subscription *g_sub;
static unsigned long g_updates;

static void CountUpdate(const uint8_t *update, size_t len, const char *origin, void *user_data) {
  (void)update;
  (void)len;
  (void)origin;
  (void)user_data;
  g_updates++;
}

static void FreeRoom(void) {
  codesync_unobserve(g_sub);
  g_sub = NULL;
  codesync_room_free(g_room);
  g_room = NULL;
}

static void Answer(const Str *s) {
  fwrite(s->data, 1, s->len, stdout);
  fputc('\n', stdout);
  fflush(stdout);
}

static void AnswerErr(int code, const char *message) {
  printf("err %d %s\n", code, message && *message ? message : "(no message)");
  fflush(stdout);
}

#define MAX_TOKENS 8

int main(void) {
  Str line = {0, 0, 0}, out = {0, 0, 0};
  while (ReadLine(stdin, &line)) {
    char *tok[MAX_TOKENS];
    int n = 0, rc = CODESYNC_OK;
    char *p = line.data;
    const char *cmd;
    while (*p && n < MAX_TOKENS) { /* split on spaces, in place */
      while (*p == ' ') *p++ = '\0';
      if (!*p) break;
      tok[n++] = p;
      while (*p && *p != ' ') p++;
    }
    if (n == 0) continue;
    cmd = tok[0];
    out.len = 0;
    Puts(&out, "ok");

    if (strcmp(cmd, "quit") == 0) {
      Answer(&out);
      break;
    } else if (strcmp(cmd, "new") == 0) {
      codesync_room_options opts;
      uint64_t client;
      int64_t timeout = 0;
      if (n < 2 || !ParseU64(tok[1], &client) || (n > 2 && !ParseI64(tok[2], &timeout))) goto bad;
      FreeRoom();
      codesync_room_options_init(&opts);
      opts.doc.client_id = client;
      if (timeout > 0) opts.awareness_timeout_ms = timeout;
      g_room = codesync_room_new(&opts);
      if (!g_room) {
        AnswerErr(CODESYNC_ERR_INTERNAL, codesync_last_error());
        continue;
      }
      g_updates = 0;
      g_sub = codesync_doc_observe_updates(codesync_room_doc(g_room), CountUpdate, NULL);
    } else if (!g_room) {
      AnswerErr(kErrRequest, "no room: send new first");
      continue;
    } else if (strcmp(cmd, "attach") == 0) {
      uint64_t conn, ro;
      int64_t now;
      if (n != 4 || !ParseU64(tok[1], &conn) || !ParseU64(tok[2], &ro) || !ParseI64(tok[3], &now)) goto bad;
      rc = codesync_room_attach(g_room, conn, (int)ro, now);
    } else if (strcmp(cmd, "detach") == 0) {
      uint64_t conn;
      int64_t now;
      if (n != 3 || !ParseU64(tok[1], &conn) || !ParseI64(tok[2], &now)) goto bad;
      rc = codesync_room_detach(g_room, conn, now);
    } else if (strcmp(cmd, "recv") == 0) {
      uint64_t conn;
      int64_t now;
      size_t len;
      if (n != 4 || !ParseU64(tok[1], &conn) || !Unhex(tok[2], &len) || !ParseI64(tok[3], &now)) goto bad;
      rc = codesync_room_receive(g_room, conn, (const uint8_t *)tok[2], len, now);
    } else if (strcmp(cmd, "tick") == 0) {
      int64_t now;
      if (n != 2 || !ParseI64(tok[1], &now)) goto bad;
      rc = codesync_room_tick(g_room, now);
    } else if (strcmp(cmd, "drain") == 0) {
      Str frames = {0, 0, 0};
      uint64_t conn;
      codesync_buffer frame = {0, 0};
      unsigned long count = 0;
      while ((rc = codesync_room_next_message(g_room, &conn, &frame)) == 1) {
        Puts(&frames, " ");
        PutU64(&frames, conn);
        Puts(&frames, " ");
        PutHex(&frames, frame.data, frame.len);
        codesync_buffer_free(&frame);
        count++;
      }
      if (rc == 0) {
        Puts(&out, " ");
        PutU64(&out, count);
        if (frames.len) Append(&out, frames.data, frames.len);
      }
      free(frames.data);
    } else if (strcmp(cmd, "conns") == 0) {
      Puts(&out, " ");
      PutU64(&out, codesync_room_connection_count(g_room));
    } else if (strcmp(cmd, "updates") == 0) {
      Puts(&out, " ");
      PutU64(&out, g_updates);
    } else if (strcmp(cmd, "text") == 0) {
      codesync_buffer buf = {0, 0};
      codesync_text *text;
      if (n != 2) goto bad;
      text = codesync_doc_text(codesync_room_doc(g_room), tok[1]);
      rc = text ? codesync_text_string(text, &buf) : CODESYNC_ERR_TYPE_MISMATCH;
      if (rc == CODESYNC_OK) {
        Puts(&out, " ");
        PutHex(&out, buf.data, buf.len);
      }
      codesync_buffer_free(&buf);
    } else if (strcmp(cmd, "insert") == 0 || strcmp(cmd, "delete") == 0) {
      codesync_text *text;
      uint64_t index, length = 0;
      size_t len = 0;
      if (n != 4 || !ParseU64(tok[2], &index)) goto bad;
      if (cmd[0] == 'i' ? !Unhex(tok[3], &len) : !ParseU64(tok[3], &length)) goto bad;
      text = codesync_doc_text(codesync_room_doc(g_room), tok[1]);
      if (!text) {
        rc = CODESYNC_ERR_TYPE_MISMATCH;
      } else if (cmd[0] == 'i') {
        rc = codesync_text_insert(text, (size_t)index, tok[3], len);
      } else {
        rc = codesync_text_delete(text, (size_t)index, (size_t)length);
      }
    } else if (strcmp(cmd, "json") == 0 || strcmp(cmd, "state") == 0 || strcmp(cmd, "awareness") == 0) {
      codesync_buffer buf = {0, 0};
      if (cmd[0] == 'j') {
        rc = codesync_doc_to_json(codesync_room_doc(g_room), &buf);
      } else if (cmd[0] == 's') {
        rc = codesync_doc_encode_update(codesync_room_doc(g_room), NULL, 0, &buf);
      } else {
        rc = codesync_awareness_states_json(codesync_room_awareness(g_room), &buf);
      }
      if (rc == CODESYNC_OK) {
        Puts(&out, " ");
        PutHex(&out, buf.data, buf.len);
      }
      codesync_buffer_free(&buf);
    } else if (strcmp(cmd, "set_local") == 0) {
      size_t len;
      int64_t now;
      if (n != 3 || !ParseI64(tok[2], &now)) goto bad;
      if (strcmp(tok[1], "-") == 0) {
        rc = codesync_awareness_set_local_state(codesync_room_awareness(g_room), NULL, 0, now);
      } else {
        if (!Unhex(tok[1], &len)) goto bad;
        rc = codesync_awareness_set_local_state(codesync_room_awareness(g_room), tok[1], len, now);
      }
    } else {
      goto bad;
    }
    if (rc < 0) {
      AnswerErr(rc, codesync_last_error());
    } else {
      Answer(&out);
    }
    continue;
  bad:
    AnswerErr(kErrRequest, "malformed request");
  }
  FreeRoom();
  free(line.data);
  free(out.data);
  return 0;
}
