/*
 * codesync_interop_peer: hosts many codesync documents in one process and runs
 * line-based commands from stdin, answering exactly one line per command on
 * stdout (flushed after each), so a Node test can drive it next to real yjs.
 *
 * Request:  <command> <arg> <arg> ...        (tokens separated by one or more spaces)
 * Answer:   ok [<value> ...]  |  err <code> <message>
 *
 * Encodings inside tokens:
 *   bytes / UTF-8 strings / JSON  lowercase or uppercase hex; "-" is the empty string
 *   origin                        "~" is NULL (no origin), otherwise bytes as above
 *   numbers                       decimal
 * <code> is the library's error code (negative), or one of the driver's own:
 *   -100 malformed request (unknown command, bad number, bad hex, bad handle)
 *   -101 the library returned NULL without an error code (see message)
 *
 * Commands (doc = document id, h = type handle id, both issued by the driver):
 *   version                               -> ok <hex version string> <version number>
 *   new <client_id> <gc 0|1> [offset]     -> ok <doc>      offset: 0 utf16, 1 utf8, 2 codepoint
 *   free <doc>                            -> ok
 *   client <doc>                          -> ok <client id>
 *   apply <doc> <update> [<origin>]       -> ok
 *   sv <doc>                              -> ok <state vector>
 *   encode <doc> [<state vector>]         -> ok <update>   (whole state without a state vector)
 *   merge <update> ...                    -> ok <update>
 *   update_sv <update>                    -> ok <state vector>
 *   pending <doc>                         -> ok 0|1
 *   json <doc>                            -> ok <json>
 *   begin <doc> [<origin>] / commit <doc> -> ok
 *   observe_updates <doc>                 -> ok            (idempotent)
 *   updates <doc>                         -> ok <n> (<update> <origin>)*   since the last ask
 *   root_text|root_map|root_array <doc> <name>             -> ok <h>
 *   text_insert <h> <index> <utf8>
 *   text_insert_attr <h> <index> <utf8> <attrs json>
 *   text_delete <h> <index> <length>
 *   text_format <h> <index> <length> <attrs json>
 *   text_embed <h> <index> <json>
 *   text_delta|text_string <h>            -> ok <json|utf8>
 *   text_length <h>                       -> ok <n>
 *   text_observe <h>                      -> ok            (idempotent)
 *   text_events <h>                       -> ok <n> <event json>*   since the last ask;
 *        event = {"origin":null|"..","delta":[{"insert":..,"attributes":{..}},{"retain":n},{"delete":n}]}
 *   map_set <h> <key> <json> / map_delete <h> <key>
 *   map_json <h> / map_get <h> <key>      -> ok <json>
 *   map_size <h>                          -> ok <n>
 *   map_set_text|map_set_map|map_set_array|map_get_text|map_get_map|map_get_array <h> <key> -> ok <h>
 *   array_insert <h> <index> <json array> / array_delete <h> <index> <length>
 *   array_json <h> / array_get <h> <index> -> ok <json>
 *   array_length <h>                      -> ok <n>
 *   array_insert_text|array_insert_map|array_insert_array|
 *   array_get_text|array_get_map|array_get_array <h> <index>                  -> ok <h>
 *   last_error                            -> ok <message>
 *   quit                                  -> ok, then exit
 *
 * Plain C99 over include/codesync.h only.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codesync.h"

enum { kErrRequest = -100, kErrNullResult = -101 };

/* ---- growable byte string ---------------------------------------------- */

typedef struct {
  char *data;
  size_t len;
  size_t cap;
} Str;

static void StrReserve(Str *s, size_t extra) {
  if (s->len + extra + 1 <= s->cap) return;
  size_t cap = s->cap ? s->cap : 256;
  while (cap < s->len + extra + 1) cap *= 2;
  char *p = (char *)realloc(s->data, cap);
  if (!p) {
    fputs("peer: out of memory\n", stderr);
    exit(3);
  }
  s->data = p;
  s->cap = cap;
}

static void StrAppend(Str *s, const char *p, size_t n) {
  StrReserve(s, n);
  if (n) memcpy(s->data + s->len, p, n);
  s->len += n;
  s->data[s->len] = '\0';
}

static void StrPuts(Str *s, const char *p) { StrAppend(s, p, strlen(p)); }

static void StrPrintf(Str *s, const char *fmt, ...) {
  char tmp[128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) StrAppend(s, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void StrHex(Str *s, const uint8_t *p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  if (n == 0) {
    StrPuts(s, "-");
    return;
  }
  StrReserve(s, 2 * n);
  for (size_t i = 0; i < n; i++) {
    s->data[s->len++] = kDigits[p[i] >> 4];
    s->data[s->len++] = kDigits[p[i] & 15];
  }
  s->data[s->len] = '\0';
}

/* JSON string literal of UTF-8 bytes (passed through; only quotes, backslash
 * and control characters escaped). */
static void StrJsonString(Str *s, const char *p, size_t n) {
  StrPuts(s, "\"");
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      StrAppend(s, esc, 2);
    } else if (c < 0x20) {
      StrPrintf(s, "\\u%04x", c);
    } else {
      StrAppend(s, (const char *)&c, 1);
    }
  }
  StrPuts(s, "\"");
}

/* ---- state --------------------------------------------------------------- */

typedef struct {
  uint8_t *data;
  size_t len;
  char *origin; /* NULL = no origin */
} Update;

typedef struct {
  codesync_doc *doc; /* NULL once freed */
  codesync_subscription *update_sub;
  Update *updates;
  size_t n_updates, cap_updates;
} DocSlot;

enum HandleKind { kText = 1, kMap = 2, kArray = 3 };

typedef struct {
  int kind;
  int doc; /* owning DocSlot index */
  void *ptr;
  codesync_subscription *text_sub;
  Str events; /* event JSON texts, each terminated by NUL */
  size_t n_events;
} Handle;

static DocSlot *g_docs;
static size_t g_n_docs, g_cap_docs;
static Handle *g_handles;
static size_t g_n_handles, g_cap_handles;

static void *GrowArray(void *p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return p;
  size_t c = *cap ? *cap * 2 : 16;
  while (c < need) c *= 2;
  void *q = realloc(p, c * elem);
  if (!q) {
    fputs("peer: out of memory\n", stderr);
    exit(3);
  }
  memset((char *)q + *cap * elem, 0, (c - *cap) * elem);
  *cap = c;
  return q;
}

static char *DupN(const char *p, size_t n) {
  char *d = (char *)malloc(n + 1);
  if (!d) exit(3);
  if (n) memcpy(d, p, n);
  d[n] = '\0';
  return d;
}

static void OnUpdate(const uint8_t *update, size_t len, const char *origin, void *user_data) {
  size_t idx = (size_t)(uintptr_t)user_data;
  DocSlot *d = &g_docs[idx];
  d->updates = (Update *)GrowArray(d->updates, &d->cap_updates, d->n_updates + 1, sizeof(Update));
  Update *u = &d->updates[d->n_updates++];
  u->data = (uint8_t *)malloc(len ? len : 1);
  if (!u->data) exit(3);
  if (len) memcpy(u->data, update, len);
  u->len = len;
  u->origin = origin ? DupN(origin, strlen(origin)) : NULL;
}

static void OnTextDelta(const codesync_delta_op *ops, size_t count, const char *origin, void *user_data) {
  size_t idx = (size_t)(uintptr_t)user_data;
  Handle *h = &g_handles[idx];
  Str *s = &h->events;
  StrPuts(s, "{\"origin\":");
  if (origin)
    StrJsonString(s, origin, strlen(origin));
  else
    StrPuts(s, "null");
  StrPuts(s, ",\"delta\":[");
  for (size_t i = 0; i < count; i++) {
    const codesync_delta_op *op = &ops[i];
    if (i) StrPuts(s, ",");
    switch (op->kind) {
      case CODESYNC_DELTA_RETAIN:
        StrPrintf(s, "{\"retain\":%llu", (unsigned long long)op->length);
        break;
      case CODESYNC_DELTA_DELETE:
        StrPrintf(s, "{\"delete\":%llu", (unsigned long long)op->length);
        break;
      case CODESYNC_DELTA_INSERT:
        StrPuts(s, "{\"insert\":");
        if (op->text)
          StrJsonString(s, op->text, op->text_len);
        else if (op->embed_json)
          StrPuts(s, op->embed_json);
        else
          StrPuts(s, "null");
        break;
      default:
        StrPrintf(s, "{\"unknown_kind\":%d", (int)op->kind);
        break;
    }
    if (op->attributes_json && op->kind != CODESYNC_DELTA_DELETE) {
      StrPuts(s, ",\"attributes\":");
      StrPuts(s, op->attributes_json);
    }
    StrPuts(s, "}");
  }
  StrPuts(s, "]}");
  StrAppend(s, "", 1); /* events are NUL-separated: library JSON may hold any other byte */
  h->n_events++;
}

/* ---- request parsing ----------------------------------------------------- */

typedef struct {
  char **tok;
  size_t n;
} Args;

static Str g_out;       /* the answer being built */
static Str g_scratch1;  /* decoded hex arguments */
static Str g_scratch2;
static Str g_scratch3;
static int g_failed;    /* an err answer has been written into g_out */

static void Fail(int code, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  for (char *p = msg; *p; p++)
    if (*p == '\n' || *p == '\r') *p = ' ';
  g_out.len = 0;
  StrPrintf(&g_out, "err %d ", code);
  StrPuts(&g_out, msg);
  g_failed = 1;
}

static void FailLib(int code) {
  const char *m = codesync_last_error();
  Fail(code, "%s", (m && *m) ? m : codesync_strerror(code));
}

static int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes a hex token into out (NUL-terminated). 0 on failure (answer written). */
static int DecodeHex(const char *tok, Str *out) {
  out->len = 0;
  StrReserve(out, 0);
  out->data[0] = '\0';
  if (strcmp(tok, "-") == 0) return 1;
  size_t n = strlen(tok);
  if (n % 2) {
    Fail(kErrRequest, "odd hex length");
    return 0;
  }
  StrReserve(out, n / 2);
  for (size_t i = 0; i < n; i += 2) {
    int hi = HexVal(tok[i]), lo = HexVal(tok[i + 1]);
    if (hi < 0 || lo < 0) {
      Fail(kErrRequest, "bad hex digit");
      return 0;
    }
    out->data[out->len++] = (char)(hi * 16 + lo);
  }
  out->data[out->len] = '\0';
  return 1;
}

static int ParseU64(const char *tok, uint64_t *v) {
  if (!tok || !*tok || *tok == '-' || *tok == '+') {
    Fail(kErrRequest, "bad number");
    return 0;
  }
  char *end = NULL;
  errno = 0;
  unsigned long long x = strtoull(tok, &end, 10);
  if (errno || !end || *end) {
    Fail(kErrRequest, "bad number '%.40s'", tok);
    return 0;
  }
  *v = (uint64_t)x;
  return 1;
}

static int ParseSize(const char *tok, size_t *v) {
  uint64_t x;
  if (!ParseU64(tok, &x)) return 0;
  if (x > (uint64_t)SIZE_MAX) {
    Fail(kErrRequest, "number too large");
    return 0;
  }
  *v = (size_t)x;
  return 1;
}

static int NeedArgs(const Args *a, size_t min, size_t max) {
  size_t given = a->n - 1;
  if (given < min || given > max) {
    Fail(kErrRequest, "%s takes %zu..%zu arguments, got %zu", a->tok[0], min, max, given);
    return 0;
  }
  return 1;
}

static DocSlot *GetDoc(const char *tok, size_t *index) {
  size_t i;
  if (!ParseSize(tok, &i)) return NULL;
  if (i >= g_n_docs || !g_docs[i].doc) {
    Fail(kErrRequest, "no document %s", tok);
    return NULL;
  }
  if (index) *index = i;
  return &g_docs[i];
}

static Handle *GetHandle(const char *tok, int kind, size_t *index) {
  size_t i;
  if (!ParseSize(tok, &i)) return NULL;
  if (i >= g_n_handles || !g_handles[i].ptr || !g_docs[g_handles[i].doc].doc) {
    Fail(kErrRequest, "no handle %s", tok);
    return NULL;
  }
  if (kind && g_handles[i].kind != kind) {
    Fail(kErrRequest, "handle %s has the wrong kind", tok);
    return NULL;
  }
  if (index) *index = i;
  return &g_handles[i];
}

static void NewHandle(int kind, int doc, void *ptr) {
  if (!ptr) {
    const char *m = codesync_last_error();
    Fail(kErrNullResult, "%s", (m && *m) ? m : "NULL result");
    return;
  }
  g_handles = (Handle *)GrowArray(g_handles, &g_cap_handles, g_n_handles + 1, sizeof(Handle));
  Handle *h = &g_handles[g_n_handles];
  memset(h, 0, sizeof *h);
  h->kind = kind;
  h->doc = doc;
  h->ptr = ptr;
  StrPrintf(&g_out, " %zu", g_n_handles);
  g_n_handles++;
}

/* Decodes an origin token: "~" = NULL. Returns 0 on a bad token. */
static int DecodeOrigin(const char *tok, Str *buf, const char **origin) {
  if (!tok || strcmp(tok, "~") == 0) {
    *origin = NULL;
    return 1;
  }
  if (!DecodeHex(tok, buf)) return 0;
  if (memchr(buf->data, 0, buf->len)) {
    Fail(kErrRequest, "origin contains NUL");
    return 0;
  }
  *origin = buf->data;
  return 1;
}

/* Writes " <hex>" of a library buffer and frees it, or the error. */
static void ReplyBuffer(int rc, codesync_buffer *buf) {
  if (rc != CODESYNC_OK) {
    codesync_buffer_free(buf);
    FailLib(rc);
    return;
  }
  StrPuts(&g_out, " ");
  StrHex(&g_out, buf->data, buf->len);
  codesync_buffer_free(buf);
}

static void ReplyRc(int rc) {
  if (rc != CODESYNC_OK) FailLib(rc);
}

/* ---- commands ------------------------------------------------------------ */

static void FreeDoc(size_t i) {
  DocSlot *d = &g_docs[i];
  for (size_t k = 0; k < g_n_handles; k++) {
    Handle *h = &g_handles[k];
    if (h->doc == (int)i && h->ptr) {
      codesync_unobserve(h->text_sub);
      free(h->events.data);
      memset(h, 0, sizeof *h);
    }
  }
  codesync_unobserve(d->update_sub);
  for (size_t k = 0; k < d->n_updates; k++) {
    free(d->updates[k].data);
    free(d->updates[k].origin);
  }
  free(d->updates);
  codesync_doc_free(d->doc);
  memset(d, 0, sizeof *d);
}

static void CmdNew(const Args *a) {
  if (!NeedArgs(a, 2, 3)) return;
  uint64_t client, gc, offset = 0;
  if (!ParseU64(a->tok[1], &client) || !ParseU64(a->tok[2], &gc)) return;
  if (a->n > 3 && !ParseU64(a->tok[3], &offset)) return;
  if (gc > 1 || offset > 2) {
    Fail(kErrRequest, "gc must be 0/1 and offset 0..2");
    return;
  }
  codesync_doc_options opts;
  codesync_doc_options_init(&opts);
  opts.client_id = client;
  opts.gc = (int)gc;
  opts.offset_kind = (codesync_offset_kind)offset;
  codesync_doc *doc = codesync_doc_new(&opts);
  if (!doc) {
    const char *m = codesync_last_error();
    Fail(kErrNullResult, "codesync_doc_new: %s", (m && *m) ? m : "NULL");
    return;
  }
  g_docs = (DocSlot *)GrowArray(g_docs, &g_cap_docs, g_n_docs + 1, sizeof(DocSlot));
  memset(&g_docs[g_n_docs], 0, sizeof(DocSlot));
  g_docs[g_n_docs].doc = doc;
  StrPrintf(&g_out, " %zu", g_n_docs);
  g_n_docs++;
}

static void CmdDoc(const Args *a) {
  const char *c = a->tok[0];
  size_t di;
  if (a->n < 2) {
    Fail(kErrRequest, "%s needs a document", c);
    return;
  }
  DocSlot *d = GetDoc(a->tok[1], &di);
  if (!d) return;
  codesync_buffer buf = {0, 0};
  if (strcmp(c, "free") == 0) {
    if (NeedArgs(a, 1, 1)) FreeDoc(di);
  } else if (strcmp(c, "client") == 0) {
    if (NeedArgs(a, 1, 1)) StrPrintf(&g_out, " %llu", (unsigned long long)codesync_doc_client_id(d->doc));
  } else if (strcmp(c, "apply") == 0) {
    const char *origin = NULL;
    if (!NeedArgs(a, 2, 3) || !DecodeHex(a->tok[2], &g_scratch1)) return;
    if (a->n > 3 && !DecodeOrigin(a->tok[3], &g_scratch2, &origin)) return;
    int rc = origin ? codesync_doc_apply_update_with_origin(d->doc, (const uint8_t *)g_scratch1.data,
                                                            g_scratch1.len, origin)
                    : codesync_doc_apply_update(d->doc, (const uint8_t *)g_scratch1.data, g_scratch1.len);
    ReplyRc(rc);
  } else if (strcmp(c, "sv") == 0) {
    if (NeedArgs(a, 1, 1)) ReplyBuffer(codesync_doc_state_vector(d->doc, &buf), &buf);
  } else if (strcmp(c, "encode") == 0) {
    if (!NeedArgs(a, 1, 2)) return;
    if (a->n > 2) {
      if (!DecodeHex(a->tok[2], &g_scratch1)) return;
      ReplyBuffer(codesync_doc_encode_update(d->doc, (const uint8_t *)g_scratch1.data, g_scratch1.len, &buf),
                  &buf);
    } else {
      ReplyBuffer(codesync_doc_encode_update(d->doc, NULL, 0, &buf), &buf);
    }
  } else if (strcmp(c, "pending") == 0) {
    if (NeedArgs(a, 1, 1)) StrPrintf(&g_out, " %d", codesync_doc_has_pending(d->doc) ? 1 : 0);
  } else if (strcmp(c, "json") == 0) {
    if (NeedArgs(a, 1, 1)) ReplyBuffer(codesync_doc_to_json(d->doc, &buf), &buf);
  } else if (strcmp(c, "begin") == 0) {
    const char *origin = NULL;
    if (!NeedArgs(a, 1, 2)) return;
    if (a->n > 2 && !DecodeOrigin(a->tok[2], &g_scratch1, &origin)) return;
    ReplyRc(codesync_doc_begin(d->doc, origin));
  } else if (strcmp(c, "commit") == 0) {
    if (NeedArgs(a, 1, 1)) ReplyRc(codesync_doc_commit(d->doc));
  } else if (strcmp(c, "observe_updates") == 0) {
    if (!NeedArgs(a, 1, 1) || d->update_sub) return;
    d->update_sub = codesync_doc_observe_updates(d->doc, OnUpdate, (void *)(uintptr_t)di);
    if (!d->update_sub) Fail(kErrNullResult, "observe_updates: %s", codesync_last_error());
  } else if (strcmp(c, "updates") == 0) {
    if (!NeedArgs(a, 1, 1)) return;
    StrPrintf(&g_out, " %zu", d->n_updates);
    for (size_t k = 0; k < d->n_updates; k++) {
      Update *u = &d->updates[k];
      StrPuts(&g_out, " ");
      StrHex(&g_out, u->data, u->len);
      StrPuts(&g_out, " ");
      if (u->origin)
        StrHex(&g_out, (const uint8_t *)u->origin, strlen(u->origin));
      else
        StrPuts(&g_out, "~");
      free(u->data);
      free(u->origin);
    }
    d->n_updates = 0;
  } else if (strncmp(c, "root_", 5) == 0) {
    if (!NeedArgs(a, 2, 2) || !DecodeHex(a->tok[2], &g_scratch1)) return;
    if (memchr(g_scratch1.data, 0, g_scratch1.len)) {
      Fail(kErrRequest, "name contains NUL");
      return;
    }
    if (strcmp(c, "root_text") == 0)
      NewHandle(kText, (int)di, codesync_doc_text(d->doc, g_scratch1.data));
    else if (strcmp(c, "root_map") == 0)
      NewHandle(kMap, (int)di, codesync_doc_map(d->doc, g_scratch1.data));
    else if (strcmp(c, "root_array") == 0)
      NewHandle(kArray, (int)di, codesync_doc_array(d->doc, g_scratch1.data));
    else
      Fail(kErrRequest, "unknown command %.40s", c);
  } else {
    Fail(kErrRequest, "unknown command %.40s", c);
  }
}

static void CmdText(const Args *a) {
  const char *c = a->tok[0];
  size_t hi, index, length;
  if (a->n < 2) {
    Fail(kErrRequest, "%s needs a handle", c);
    return;
  }
  Handle *h = GetHandle(a->tok[1], kText, &hi);
  if (!h) return;
  codesync_text *t = (codesync_text *)h->ptr;
  codesync_buffer buf = {0, 0};
  if (strcmp(c, "text_insert") == 0) {
    if (!NeedArgs(a, 3, 3) || !ParseSize(a->tok[2], &index) || !DecodeHex(a->tok[3], &g_scratch1)) return;
    ReplyRc(codesync_text_insert(t, index, g_scratch1.data, g_scratch1.len));
  } else if (strcmp(c, "text_insert_attr") == 0) {
    if (!NeedArgs(a, 4, 4) || !ParseSize(a->tok[2], &index) || !DecodeHex(a->tok[3], &g_scratch1) ||
        !DecodeHex(a->tok[4], &g_scratch2))
      return;
    ReplyRc(codesync_text_insert_with_attributes(t, index, g_scratch1.data, g_scratch1.len, g_scratch2.data,
                                                 g_scratch2.len));
  } else if (strcmp(c, "text_delete") == 0) {
    if (!NeedArgs(a, 3, 3) || !ParseSize(a->tok[2], &index) || !ParseSize(a->tok[3], &length)) return;
    ReplyRc(codesync_text_delete(t, index, length));
  } else if (strcmp(c, "text_format") == 0) {
    if (!NeedArgs(a, 4, 4) || !ParseSize(a->tok[2], &index) || !ParseSize(a->tok[3], &length) ||
        !DecodeHex(a->tok[4], &g_scratch1))
      return;
    ReplyRc(codesync_text_format(t, index, length, g_scratch1.data, g_scratch1.len));
  } else if (strcmp(c, "text_embed") == 0) {
    if (!NeedArgs(a, 3, 3) || !ParseSize(a->tok[2], &index) || !DecodeHex(a->tok[3], &g_scratch1)) return;
    ReplyRc(codesync_text_insert_embed(t, index, g_scratch1.data, g_scratch1.len));
  } else if (strcmp(c, "text_delta") == 0) {
    if (NeedArgs(a, 1, 1)) ReplyBuffer(codesync_text_to_delta(t, &buf), &buf);
  } else if (strcmp(c, "text_string") == 0) {
    if (NeedArgs(a, 1, 1)) ReplyBuffer(codesync_text_string(t, &buf), &buf);
  } else if (strcmp(c, "text_length") == 0) {
    if (NeedArgs(a, 1, 1)) StrPrintf(&g_out, " %llu", (unsigned long long)codesync_text_length(t));
  } else if (strcmp(c, "text_observe") == 0) {
    if (!NeedArgs(a, 1, 1) || h->text_sub) return;
    h->text_sub = codesync_text_observe(t, OnTextDelta, (void *)(uintptr_t)hi);
    if (!h->text_sub) Fail(kErrNullResult, "text_observe: %s", codesync_last_error());
  } else if (strcmp(c, "text_events") == 0) {
    if (!NeedArgs(a, 1, 1)) return;
    StrPrintf(&g_out, " %zu", h->n_events);
    const char *p = h->events.data;
    for (size_t k = 0; k < h->n_events; k++) {
      size_t n = strlen(p);
      StrPuts(&g_out, " ");
      StrHex(&g_out, (const uint8_t *)p, n);
      p += n + 1;
    }
    h->events.len = 0;
    h->n_events = 0;
  } else {
    Fail(kErrRequest, "unknown command %.40s", c);
  }
}

static void CmdMap(const Args *a) {
  const char *c = a->tok[0];
  if (a->n < 2) {
    Fail(kErrRequest, "%s needs a handle", c);
    return;
  }
  Handle *h = GetHandle(a->tok[1], kMap, NULL);
  if (!h) return;
  codesync_map *m = (codesync_map *)h->ptr;
  codesync_buffer buf = {0, 0};
  if (strcmp(c, "map_json") == 0) {
    if (NeedArgs(a, 1, 1)) ReplyBuffer(codesync_map_to_json(m, &buf), &buf);
    return;
  }
  if (strcmp(c, "map_size") == 0) {
    if (NeedArgs(a, 1, 1)) StrPrintf(&g_out, " %llu", (unsigned long long)codesync_map_size(m));
    return;
  }
  if (strcmp(c, "map_set") == 0) {
    if (!NeedArgs(a, 3, 3) || !DecodeHex(a->tok[2], &g_scratch1) || !DecodeHex(a->tok[3], &g_scratch2)) return;
  } else if (!NeedArgs(a, 2, 2) || !DecodeHex(a->tok[2], &g_scratch1)) {
    return;
  }
  if (memchr(g_scratch1.data, 0, g_scratch1.len)) {
    Fail(kErrRequest, "key contains NUL");
    return;
  }
  const char *key = g_scratch1.data;
  if (strcmp(c, "map_set") == 0)
    ReplyRc(codesync_map_set_json(m, key, g_scratch2.data, g_scratch2.len));
  else if (strcmp(c, "map_delete") == 0)
    ReplyRc(codesync_map_delete(m, key));
  else if (strcmp(c, "map_get") == 0)
    ReplyBuffer(codesync_map_get_json(m, key, &buf), &buf);
  else if (strcmp(c, "map_set_text") == 0)
    NewHandle(kText, h->doc, codesync_map_set_text(m, key));
  else if (strcmp(c, "map_set_map") == 0)
    NewHandle(kMap, h->doc, codesync_map_set_map(m, key));
  else if (strcmp(c, "map_set_array") == 0)
    NewHandle(kArray, h->doc, codesync_map_set_array(m, key));
  else if (strcmp(c, "map_get_text") == 0)
    NewHandle(kText, h->doc, codesync_map_get_text(m, key));
  else if (strcmp(c, "map_get_map") == 0)
    NewHandle(kMap, h->doc, codesync_map_get_map(m, key));
  else if (strcmp(c, "map_get_array") == 0)
    NewHandle(kArray, h->doc, codesync_map_get_array(m, key));
  else
    Fail(kErrRequest, "unknown command %.40s", c);
}

static void CmdArray(const Args *a) {
  const char *c = a->tok[0];
  size_t index, length;
  if (a->n < 2) {
    Fail(kErrRequest, "%s needs a handle", c);
    return;
  }
  Handle *h = GetHandle(a->tok[1], kArray, NULL);
  if (!h) return;
  codesync_array *arr = (codesync_array *)h->ptr;
  codesync_buffer buf = {0, 0};
  if (strcmp(c, "array_json") == 0) {
    if (NeedArgs(a, 1, 1)) ReplyBuffer(codesync_array_to_json(arr, &buf), &buf);
  } else if (strcmp(c, "array_length") == 0) {
    if (NeedArgs(a, 1, 1)) StrPrintf(&g_out, " %llu", (unsigned long long)codesync_array_length(arr));
  } else if (strcmp(c, "array_insert") == 0) {
    if (!NeedArgs(a, 3, 3) || !ParseSize(a->tok[2], &index) || !DecodeHex(a->tok[3], &g_scratch1)) return;
    ReplyRc(codesync_array_insert_json(arr, index, g_scratch1.data, g_scratch1.len));
  } else if (strcmp(c, "array_delete") == 0) {
    if (!NeedArgs(a, 3, 3) || !ParseSize(a->tok[2], &index) || !ParseSize(a->tok[3], &length)) return;
    ReplyRc(codesync_array_delete(arr, index, length));
  } else {
    if (!NeedArgs(a, 2, 2) || !ParseSize(a->tok[2], &index)) return;
    if (strcmp(c, "array_get") == 0)
      ReplyBuffer(codesync_array_get_json(arr, index, &buf), &buf);
    else if (strcmp(c, "array_insert_text") == 0)
      NewHandle(kText, h->doc, codesync_array_insert_text(arr, index));
    else if (strcmp(c, "array_insert_map") == 0)
      NewHandle(kMap, h->doc, codesync_array_insert_map(arr, index));
    else if (strcmp(c, "array_insert_array") == 0)
      NewHandle(kArray, h->doc, codesync_array_insert_array(arr, index));
    else if (strcmp(c, "array_get_text") == 0)
      NewHandle(kText, h->doc, codesync_array_get_text(arr, index));
    else if (strcmp(c, "array_get_map") == 0)
      NewHandle(kMap, h->doc, codesync_array_get_map(arr, index));
    else if (strcmp(c, "array_get_array") == 0)
      NewHandle(kArray, h->doc, codesync_array_get_array(arr, index));
    else
      Fail(kErrRequest, "unknown command %.40s", c);
  }
}

static void CmdMerge(const Args *a) {
  size_t n = a->n - 1;
  if (n == 0) {
    Fail(kErrRequest, "merge needs at least one update");
    return;
  }
  uint8_t **ptrs = (uint8_t **)calloc(n, sizeof *ptrs);
  size_t *lens = (size_t *)calloc(n, sizeof *lens);
  size_t ok = 0;
  if (!ptrs || !lens) exit(3);
  for (; ok < n; ok++) {
    if (!DecodeHex(a->tok[ok + 1], &g_scratch1)) break;
    ptrs[ok] = (uint8_t *)DupN(g_scratch1.data, g_scratch1.len);
    lens[ok] = g_scratch1.len;
  }
  if (ok == n) {
    codesync_buffer buf = {0, 0};
    ReplyBuffer(codesync_merge_updates((const uint8_t *const *)ptrs, lens, n, &buf), &buf);
  }
  for (size_t k = 0; k < ok; k++) free(ptrs[k]);
  free(ptrs);
  free(lens);
}

static int IsDocCommand(const char *c) {
  static const char *const kNames[] = {"free",   "client", "apply",           "sv",      "encode",
                                       "pending", "json",  "begin",           "commit",  "observe_updates",
                                       "updates", "root_text", "root_map", "root_array"};
  for (size_t i = 0; i < sizeof kNames / sizeof kNames[0]; i++)
    if (strcmp(c, kNames[i]) == 0) return 1;
  return 0;
}

static int Dispatch(const Args *a) {
  const char *c = a->tok[0];
  codesync_buffer buf = {0, 0};
  if (strcmp(c, "quit") == 0) return 0;
  if (strcmp(c, "version") == 0) {
    const char *v = codesync_version();
    StrPuts(&g_out, " ");
    StrHex(&g_out, (const uint8_t *)v, v ? strlen(v) : 0);
    StrPrintf(&g_out, " %u", codesync_version_number());
  } else if (strcmp(c, "last_error") == 0) {
    const char *m = codesync_last_error();
    StrPuts(&g_out, " ");
    StrHex(&g_out, (const uint8_t *)m, m ? strlen(m) : 0);
  } else if (strcmp(c, "new") == 0) {
    CmdNew(a);
  } else if (strcmp(c, "merge") == 0) {
    CmdMerge(a);
  } else if (strcmp(c, "update_sv") == 0) {
    if (NeedArgs(a, 1, 1) && DecodeHex(a->tok[1], &g_scratch1))
      ReplyBuffer(codesync_update_state_vector((const uint8_t *)g_scratch1.data, g_scratch1.len, &buf), &buf);
  } else if (strncmp(c, "text_", 5) == 0) {
    CmdText(a);
  } else if (strncmp(c, "map_", 4) == 0) {
    CmdMap(a);
  } else if (strncmp(c, "array_", 6) == 0) {
    CmdArray(a);
  } else if (IsDocCommand(c)) {
    CmdDoc(a);
  } else {
    Fail(kErrRequest, "unknown command %.40s", c);
  }
  return 1;
}

/* Reads one line of any length into line (without the newline). 0 at EOF. */
static int ReadLine(FILE *in, Str *line) {
  line->len = 0;
  StrReserve(line, 0);
  line->data[0] = '\0';
  int got = 0;
  for (;;) {
    StrReserve(line, 4096);
    if (!fgets(line->data + line->len, (int)(line->cap - line->len), in)) return got;
    got = 1;
    size_t n = strlen(line->data + line->len);
    line->len += n;
    if (line->len && line->data[line->len - 1] == '\n') {
      line->data[--line->len] = '\0';
      if (line->len && line->data[line->len - 1] == '\r') line->data[--line->len] = '\0';
      return 1;
    }
  }
}

int main(void) {
  Str line = {0, 0, 0};
  char **tok = NULL;
  size_t tok_cap = 0;
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  while (ReadLine(stdin, &line)) {
    /* Tokenize in place. */
    Args a = {NULL, 0};
    char *p = line.data;
    for (;;) {
      while (*p == ' ' || *p == '\t') p++;
      if (!*p) break;
      tok = (char **)GrowArray(tok, &tok_cap, a.n + 1, sizeof *tok);
      tok[a.n++] = p;
      while (*p && *p != ' ' && *p != '\t') p++;
      if (*p) *p++ = '\0';
    }
    a.tok = tok;
    g_out.len = 0;
    g_failed = 0;
    StrPuts(&g_out, "ok");
    int go_on = 1;
    if (a.n == 0) {
      Fail(kErrRequest, "empty request");
    } else {
      go_on = Dispatch(&a);
    }
    fwrite(g_out.data, 1, g_out.len, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    if (!go_on) break;
  }
  for (size_t i = 0; i < g_n_docs; i++)
    if (g_docs[i].doc) FreeDoc(i);
  free(g_docs);
  free(g_handles);
  free(tok);
  free(line.data);
  free(g_out.data);
  free(g_scratch1.data);
  free(g_scratch2.data);
  free(g_scratch3.data);
  return 0;
}
