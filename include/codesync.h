/*
 * codesync — real-time collaboration library, wire-compatible with Yjs 13.6.
 *
 * Conventions
 *  - Every name starts with codesync_ / CODESYNC_. Handles are opaque.
 *  - Fallible calls return int: CODESYNC_OK (0) or a negative code from the
 *    table below. Codes are pinned and only ever added to. After a failure
 *    codesync_last_error() returns a message for the calling thread.
 *  - A failed call changes nothing: a rejected update, an out-of-range index
 *    or invalid UTF-8 leaves the document exactly as it was.
 *  - Arguments: handle first, inputs next, outputs last.
 *  - Bytes allocated by the library come back in a codesync_buffer and go back
 *    through codesync_buffer_free. Do not mix allocators.
 *  - Every free/unobserve function accepts NULL.
 *  - Pointers returned for types (codesync_text, codesync_map, codesync_array)
 *    are borrowed: they stay valid until the document is freed, even when the
 *    type is deleted by a peer (it then reads as empty and rejects edits with
 *    CODESYNC_ERR_INVALID_ARGUMENT).
 *  - No exception or abort ever crosses this boundary.
 *
 * Threading: a document and everything borrowed from it are used from one
 * thread at a time. Distinct documents are independent. codesync_last_error
 * is thread-local.
 *
 * Text indices and lengths are in the unit chosen per document
 * (codesync_doc_options.offset_kind): UTF-16 code units by default (as Yjs),
 * UTF-8 bytes or Unicode code points. An index that would split a character in
 * the chosen unit is CODESYNC_ERR_OUT_OF_RANGE. Array indices count elements.
 */
#ifndef CODESYNC_H_
#define CODESYNC_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define CODESYNC_EXPORT __declspec(dllexport)
#else
#define CODESYNC_EXPORT __attribute__((visibility("default")))
#endif

#define CODESYNC_VERSION_MAJOR 0
#define CODESYNC_VERSION_MINOR 1
#define CODESYNC_VERSION_PATCH 0
#define CODESYNC_VERSION_NUMBER \
  (CODESYNC_VERSION_MAJOR * 10000 + CODESYNC_VERSION_MINOR * 100 + CODESYNC_VERSION_PATCH)

/* Error codes. */
enum {
  CODESYNC_OK = 0,
  CODESYNC_ERR_INVALID_ARGUMENT = -1,
  CODESYNC_ERR_MALFORMED = -2,
  CODESYNC_ERR_OUT_OF_RANGE = -3,
  CODESYNC_ERR_TYPE_MISMATCH = -4,
  CODESYNC_ERR_NO_MEMORY = -5,
  CODESYNC_ERR_BUSY = -6, /* e.g. editing a doc from inside its own observer */
  CODESYNC_ERR_INTERNAL = -7
};

typedef struct codesync_doc codesync_doc;
typedef struct codesync_text codesync_text;
typedef struct codesync_map codesync_map;
typedef struct codesync_array codesync_array;
typedef struct codesync_subscription codesync_subscription;

typedef struct codesync_buffer {
  uint8_t *data; /* NUL-terminated for convenience */
  size_t len;    /* excludes the NUL */
} codesync_buffer;

CODESYNC_EXPORT void codesync_buffer_free(codesync_buffer *buf); /* frees data, zeroes the struct */
CODESYNC_EXPORT const char *codesync_version(void);              /* "0.1.0" */
CODESYNC_EXPORT unsigned codesync_version_number(void);          /* CODESYNC_VERSION_NUMBER of the library */
CODESYNC_EXPORT const char *codesync_last_error(void);           /* "" when none yet */
/* The code of the calling thread's last failure (CODESYNC_OK when none yet);
 * useful after calls that return NULL. */
CODESYNC_EXPORT int codesync_last_error_code(void);
CODESYNC_EXPORT const char *codesync_strerror(int code);         /* "malformed input", ... */

/* ---- Documents ---------------------------------------------------------- */

typedef enum {
  CODESYNC_OFFSET_UTF16 = 0,
  CODESYNC_OFFSET_UTF8 = 1,
  CODESYNC_OFFSET_CODEPOINT = 2
} codesync_offset_kind;

typedef struct codesync_doc_options {
  uint64_t client_id;               /* 0 = random 32-bit id, as Yjs does */
  int gc;                           /* 1 (default) collects deleted content */
  codesync_offset_kind offset_kind; /* units of every text index and length; default UTF16 */
  /* may grow; always fill with codesync_doc_options_init first */
} codesync_doc_options;

CODESYNC_EXPORT void codesync_doc_options_init(codesync_doc_options *opts);
CODESYNC_EXPORT codesync_doc *codesync_doc_new(const codesync_doc_options *opts); /* NULL opts = defaults */
CODESYNC_EXPORT void codesync_doc_free(codesync_doc *doc);
CODESYNC_EXPORT uint64_t codesync_doc_client_id(const codesync_doc *doc);

/* Updates (Yjs update format v1). Applying an update is one transaction whose
 * origin is `origin` (NULL = none). Structs whose dependencies are missing are
 * kept pending and integrated as soon as the missing updates arrive. */
CODESYNC_EXPORT int codesync_doc_apply_update(codesync_doc *doc, const uint8_t *update, size_t len);
CODESYNC_EXPORT int codesync_doc_apply_update_with_origin(codesync_doc *doc, const uint8_t *update,
                                                          size_t len, const char *origin);
CODESYNC_EXPORT int codesync_doc_state_vector(codesync_doc *doc, codesync_buffer *out);
/* The whole state (NULL state vector) or what a peer with that state vector lacks. */
CODESYNC_EXPORT int codesync_doc_encode_update(codesync_doc *doc, const uint8_t *state_vector, size_t sv_len,
                                               codesync_buffer *out);
/* Merge several updates into one, without a document. */
CODESYNC_EXPORT int codesync_merge_updates(const uint8_t *const *updates, const size_t *lens, size_t count,
                                           codesync_buffer *out);
/* The state vector an update would produce (no document needed). */
CODESYNC_EXPORT int codesync_update_state_vector(const uint8_t *update, size_t len, codesync_buffer *out);
/* Nonzero when the document holds structs or deletions still waiting for missing updates. */
CODESYNC_EXPORT int codesync_doc_has_pending(codesync_doc *doc);

/* Transactions. Outside an explicit transaction every mutating call is its own
 * transaction (one update event). Transactions nest; the outermost commit
 * emits the events. The origin (NULL = none) is reported to observers. */
CODESYNC_EXPORT int codesync_doc_begin(codesync_doc *doc, const char *origin);
CODESYNC_EXPORT int codesync_doc_commit(codesync_doc *doc);

/* Observers. Callbacks run at the end of the transaction, after the document
 * is consistent; editing the same document from inside one returns
 * CODESYNC_ERR_BUSY. The subscription is freed by codesync_unobserve and must
 * be freed before the document. */
typedef void (*codesync_update_fn)(const uint8_t *update, size_t len, const char *origin, void *user_data);
CODESYNC_EXPORT codesync_subscription *codesync_doc_observe_updates(codesync_doc *doc, codesync_update_fn fn,
                                                                    void *user_data);
CODESYNC_EXPORT void codesync_unobserve(codesync_subscription *sub);

/* Root types, created on first use. NULL on failure (name NULL, or the name is
 * already a root of another kind: CODESYNC_ERR_TYPE_MISMATCH in last_error). */
CODESYNC_EXPORT codesync_text *codesync_doc_text(codesync_doc *doc, const char *name);
CODESYNC_EXPORT codesync_map *codesync_doc_map(codesync_doc *doc, const char *name);
CODESYNC_EXPORT codesync_array *codesync_doc_array(codesync_doc *doc, const char *name);

/* ---- Text ---------------------------------------------------------------- */

CODESYNC_EXPORT int codesync_text_insert(codesync_text *text, size_t index, const char *utf8, size_t len);
CODESYNC_EXPORT int codesync_text_delete(codesync_text *text, size_t index, size_t length);
CODESYNC_EXPORT size_t codesync_text_length(codesync_text *text);
CODESYNC_EXPORT int codesync_text_string(codesync_text *text, codesync_buffer *out); /* UTF-8 */

/* Formatting: attributes are a JSON object, e.g. {"bold":true}; a null value
 * removes that attribute. */
CODESYNC_EXPORT int codesync_text_insert_with_attributes(codesync_text *text, size_t index, const char *utf8,
                                                         size_t len, const char *attributes_json,
                                                         size_t attributes_len);
CODESYNC_EXPORT int codesync_text_format(codesync_text *text, size_t index, size_t length,
                                         const char *attributes_json, size_t attributes_len);
/* An embed (any JSON value) occupies one unit. */
CODESYNC_EXPORT int codesync_text_insert_embed(codesync_text *text, size_t index, const char *json, size_t len);
/* The content as a Yjs-style delta: [{"insert":"..","attributes":{..}}, ...]. */
CODESYNC_EXPORT int codesync_text_to_delta(codesync_text *text, codesync_buffer *out);

/* Text change events, as a delta an editor can apply to its own buffer. */
typedef enum {
  CODESYNC_DELTA_RETAIN = 0,
  CODESYNC_DELTA_INSERT = 1,
  CODESYNC_DELTA_DELETE = 2
} codesync_delta_kind;

typedef struct codesync_delta_op {
  codesync_delta_kind kind;
  size_t length;               /* in the document's offset unit (inserted length for inserts) */
  const char *text;            /* INSERT of text: UTF-8, text_len bytes; NULL otherwise */
  size_t text_len;
  const char *embed_json;      /* INSERT of an embed: its JSON; NULL otherwise */
  const char *attributes_json; /* INSERT/RETAIN with formatting: a JSON object; NULL when none */
} codesync_delta_op;

typedef void (*codesync_text_delta_fn)(const codesync_delta_op *ops, size_t count, const char *origin,
                                       void *user_data);
CODESYNC_EXPORT codesync_subscription *codesync_text_observe(codesync_text *text, codesync_text_delta_fn fn,
                                                             void *user_data);

/* ---- Map ----------------------------------------------------------------- */

CODESYNC_EXPORT int codesync_map_set_json(codesync_map *map, const char *key, const char *json, size_t len);
CODESYNC_EXPORT int codesync_map_delete(codesync_map *map, const char *key);
CODESYNC_EXPORT int codesync_map_to_json(codesync_map *map, codesync_buffer *out); /* nested types too */
/* One value as JSON; CODESYNC_ERR_OUT_OF_RANGE when the key is absent. */
CODESYNC_EXPORT int codesync_map_get_json(codesync_map *map, const char *key, codesync_buffer *out);
CODESYNC_EXPORT size_t codesync_map_size(codesync_map *map);
/* Nested types: set creates a new empty type under key; get returns the type
 * stored under key (NULL with CODESYNC_ERR_TYPE_MISMATCH or _OUT_OF_RANGE). */
CODESYNC_EXPORT codesync_text *codesync_map_set_text(codesync_map *map, const char *key);
CODESYNC_EXPORT codesync_map *codesync_map_set_map(codesync_map *map, const char *key);
CODESYNC_EXPORT codesync_array *codesync_map_set_array(codesync_map *map, const char *key);
CODESYNC_EXPORT codesync_text *codesync_map_get_text(codesync_map *map, const char *key);
CODESYNC_EXPORT codesync_map *codesync_map_get_map(codesync_map *map, const char *key);
CODESYNC_EXPORT codesync_array *codesync_map_get_array(codesync_map *map, const char *key);

/* ---- Array --------------------------------------------------------------- */

CODESYNC_EXPORT int codesync_array_insert_json(codesync_array *array, size_t index, const char *json_array,
                                               size_t len);
CODESYNC_EXPORT int codesync_array_delete(codesync_array *array, size_t index, size_t length);
CODESYNC_EXPORT int codesync_array_to_json(codesync_array *array, codesync_buffer *out);
CODESYNC_EXPORT size_t codesync_array_length(codesync_array *array);
CODESYNC_EXPORT int codesync_array_get_json(codesync_array *array, size_t index, codesync_buffer *out);
CODESYNC_EXPORT codesync_text *codesync_array_insert_text(codesync_array *array, size_t index);
CODESYNC_EXPORT codesync_map *codesync_array_insert_map(codesync_array *array, size_t index);
CODESYNC_EXPORT codesync_array *codesync_array_insert_array(codesync_array *array, size_t index);
CODESYNC_EXPORT codesync_text *codesync_array_get_text(codesync_array *array, size_t index);
CODESYNC_EXPORT codesync_map *codesync_array_get_map(codesync_array *array, size_t index);
CODESYNC_EXPORT codesync_array *codesync_array_get_array(codesync_array *array, size_t index);

/* ---- Whole document ------------------------------------------------------ */

/* Every root type as JSON: {"name": value, ...}; texts as strings. */
CODESYNC_EXPORT int codesync_doc_to_json(codesync_doc *doc, codesync_buffer *out);

/* ---- Awareness ----------------------------------------------------------- */
/*
 * Presence states (cursor, user name, ...) per client, wire-compatible with
 * y-protocols/awareness. States are JSON values; JSON `null` means "no state".
 * Each client has a clock: a record wins when its clock is newer, or equal and
 * `null` (removal). Remote states expire after the timeout (30 s) unless
 * renewed; the local state is renewed by codesync_awareness_tick once half the
 * timeout has passed. There are no timers: every call that needs the time takes
 * `now_ms` (any monotonic millisecond clock, the same one on every call).
 * An awareness is used from one thread at a time, like a document.
 */
typedef struct codesync_awareness codesync_awareness;
typedef struct codesync_awareness_subscription codesync_awareness_subscription;

/* timeout_ms <= 0 means the y-protocols default, 30000. */
CODESYNC_EXPORT codesync_awareness *codesync_awareness_new(uint64_t client_id, int64_t timeout_ms);
/* Accepts NULL; does nothing for the awareness borrowed from a room. */
CODESYNC_EXPORT void codesync_awareness_free(codesync_awareness *aw);
CODESYNC_EXPORT uint64_t codesync_awareness_client_id(const codesync_awareness *aw);

/* Sets (or with json NULL or "null", removes) the local state; bumps the local clock. */
CODESYNC_EXPORT int codesync_awareness_set_local_state(codesync_awareness *aw, const char *json, size_t len,
                                                       int64_t now_ms);
/* The local state as JSON; "null" when there is none. */
CODESYNC_EXPORT int codesync_awareness_local_state(codesync_awareness *aw, codesync_buffer *out);
/* A client's state as JSON; CODESYNC_ERR_OUT_OF_RANGE when it has none. */
CODESYNC_EXPORT int codesync_awareness_state(codesync_awareness *aw, uint64_t client_id, codesync_buffer *out);
/* A client's last known clock (kept after its state is removed); CODESYNC_ERR_OUT_OF_RANGE if never seen. */
CODESYNC_EXPORT int codesync_awareness_clock(codesync_awareness *aw, uint64_t client_id, uint64_t *clock_out);
/* Number of clients that have a state. */
CODESYNC_EXPORT size_t codesync_awareness_count(const codesync_awareness *aw);
/* Writes up to `capacity` client ids (ascending) and the total count to *count_out. */
CODESYNC_EXPORT int codesync_awareness_clients(codesync_awareness *aw, uint64_t *clients, size_t capacity,
                                               size_t *count_out);
/* Every state: {"<client id>": state, ...}, ascending by client id. */
CODESYNC_EXPORT int codesync_awareness_states_json(codesync_awareness *aw, codesync_buffer *out);

/* Applies an encoded awareness update (the payload of an awareness message).
 * Malformed input (CODESYNC_ERR_MALFORMED) changes nothing. */
CODESYNC_EXPORT int codesync_awareness_apply_update(codesync_awareness *aw, const uint8_t *update, size_t len,
                                                    int64_t now_ms, const char *origin);
/* Encodes the given clients (NULL clients = every client with a state). A
 * client without state is written as `null` with its clock, which removes it
 * at the receiver; clients never seen are skipped. */
CODESYNC_EXPORT int codesync_awareness_encode_update(codesync_awareness *aw, const uint64_t *clients, size_t count,
                                                     codesync_buffer *out);
/* Marks clients as gone (e.g. when the connection that owned them closed). */
CODESYNC_EXPORT int codesync_awareness_remove_states(codesync_awareness *aw, const uint64_t *clients, size_t count,
                                                     int64_t now_ms, const char *origin);
/* Renews the local state if due and removes expired remote states (origin "timeout"). */
CODESYNC_EXPORT int codesync_awareness_tick(codesync_awareness *aw, int64_t now_ms);

/* What one call changed; each list ascending, pointers valid during the callback. */
typedef struct codesync_awareness_change {
  const uint64_t *added;   /* had no state, has one now */
  size_t added_count;
  const uint64_t *updated; /* state changed */
  size_t updated_count;
  const uint64_t *renewed; /* same state, newer clock (keep-alive) */
  size_t renewed_count;
  const uint64_t *removed; /* had a state, has none now */
  size_t removed_count;
} codesync_awareness_change;

/* Called after every call that changed something, including renewals. Origin:
 * "local" for the local state, "timeout" for expiry, else the caller's (NULL =
 * none). Changing the same awareness from inside returns CODESYNC_ERR_BUSY.
 * Free the subscription with codesync_awareness_unobserve before the awareness. */
typedef void (*codesync_awareness_fn)(const codesync_awareness_change *change, const char *origin, void *user_data);
CODESYNC_EXPORT codesync_awareness_subscription *codesync_awareness_observe(codesync_awareness *aw,
                                                                           codesync_awareness_fn fn,
                                                                           void *user_data);
CODESYNC_EXPORT void codesync_awareness_unobserve(codesync_awareness_subscription *sub);

/* ---- History: snapshots, versions, authorship ----------------------------- */
/*
 * A snapshot is a document's delete set and state vector, encoded exactly as
 * Yjs encodeSnapshot (v1) does, so snapshots travel between codesync and Yjs
 * (Y.decodeSnapshot / Y.encodeSnapshot). Taking one is cheap; it holds no
 * content. Reading an old version needs the deleted content, which garbage
 * collection drops: the calls that read or restore old versions require a
 * document created with gc = 0 and fail with CODESYNC_ERR_INVALID_ARGUMENT
 * (naming the reason) otherwise. A malformed snapshot is
 * CODESYNC_ERR_MALFORMED; a snapshot taken from a document that is ahead of
 * this one (a clock this document never saw) is CODESYNC_ERR_INVALID_ARGUMENT.
 * Nothing changes on failure.
 */

/* The document's snapshot now (Y.snapshot + Y.encodeSnapshot). */
CODESYNC_EXPORT int codesync_doc_snapshot(codesync_doc *doc, codesync_buffer *out);
/* *contains_out = 1 when everything the update inserts and deletes is already
 * in the snapshot (Y.snapshotContainsUpdate), else 0. No document needed. */
CODESYNC_EXPORT int codesync_snapshot_contains_update(const uint8_t *snapshot, size_t snapshot_len,
                                                      const uint8_t *update, size_t update_len, int *contains_out);
/* A new document holding what `doc` held at the snapshot
 * (Y.createDocFromSnapshot); `doc` needs gc = 0 and is not modified. `opts`
 * (NULL = defaults) configures the new document, which the caller frees.
 * Content that a peer with gc on had already collected before it reached
 * `doc` cannot be shown: CODESYNC_ERR_INVALID_ARGUMENT. */
CODESYNC_EXPORT int codesync_doc_from_snapshot(codesync_doc *doc, const uint8_t *snapshot, size_t len,
                                               const codesync_doc_options *opts, codesync_doc **doc_out);
/* Makes the document's root texts, arrays and maps (and their nested types
 * that still exist) read as they did at the snapshot, by ordinary edits in one
 * local transaction with `origin` (NULL = none): content inserted since is
 * deleted, content deleted since is inserted again (as new content, which
 * peers receive in the one update event). Nested types deleted since the
 * snapshot are not recreated; formatting of re-inserted text is inherited
 * from its position. Needs gc = 0. */
CODESYNC_EXPORT int codesync_doc_restore_snapshot(codesync_doc *doc, const uint8_t *snapshot, size_t len,
                                                  const char *origin);
/* What changed in a text between two snapshots of its document, as a JSON
 * array of runs in the document's offset unit that turns the older version
 * into the newer: {"retain":n}, {"insert":"text","client":c} and
 * {"delete":n,"text":"text","client":c}; an embed is {"insert":<json>,...} or
 * {"delete":1,"embed":<json>,...}. `client` is the client that inserted the
 * content (Yjs's ychange user; Yjs does not record who deleted). prev NULL =
 * the empty document; next NULL = the document now. Adjacent runs of one
 * kind and client are one run. Formatting is not compared. Needs gc = 0. */
CODESYNC_EXPORT int codesync_text_diff(codesync_text *text, const uint8_t *prev, size_t prev_len, const uint8_t *next,
                                       size_t next_len, codesync_buffer *out_json);
/* The keys of a map whose value differs between two snapshots (NULLs as
 * above), ascending: [{"key":k,"action":"add"|"update"|"delete","old":v,
 * "new":v,"client":c}] ("old" absent for add, "new" absent for delete;
 * `client` wrote the new value, or the deleted one). Nested types compare by
 * identity and read as their current JSON. Needs gc = 0. */
CODESYNC_EXPORT int codesync_map_diff(codesync_map *map, const uint8_t *prev, size_t prev_len, const uint8_t *next,
                                      size_t next_len, codesync_buffer *out_json);

/* Authorship: which client inserted each part of the visible text, e.g. to
 * show what an AI agent wrote. Runs cover the text in order without gaps, in
 * the document's offset unit; adjacent content of one client is one run.
 * Works with gc on or off. */
typedef struct codesync_author_run {
  size_t index;
  size_t length;
  uint64_t client;
} codesync_author_run;
/* Writes up to `capacity` runs (runs may be NULL when capacity is 0) and the
 * total number of runs to *count_out. */
CODESYNC_EXPORT int codesync_text_authorship(codesync_text *text, codesync_author_run *runs, size_t capacity,
                                             size_t *count_out);
/* The same as JSON: [{"index":i,"length":n,"client":c}, ...]. */
CODESYNC_EXPORT int codesync_text_authorship_json(codesync_text *text, codesync_buffer *out_json);

/* ---- Persistence: the snapshot container ---------------------------------- */
/*
 * A container is a document's whole state for storage: a FlatBuffers table
 * (identifier "CSYC", format version 1) holding the document guid, the state
 * vector, the state as a Yjs update v1, metadata (string keys and values) and
 * an XXH3-64 checksum of all of it. Loading verifies the identifier, the
 * FlatBuffers structure, the version, the checksum, the state and that the
 * state vector matches it; any corruption is CODESYNC_ERR_MALFORMED with what
 * was wrong, and the document is unchanged. A document loaded from a container
 * is an ordinary document: it keeps syncing with peers that never saw the
 * container.
 */

/* guid: NUL-terminated UTF-8 (NULL = ""). metadata_json: a JSON object whose
 * values are strings (NULL = none); anything else is
 * CODESYNC_ERR_INVALID_ARGUMENT. */
CODESYNC_EXPORT int codesync_doc_save_container(codesync_doc *doc, const char *guid, const char *metadata_json,
                                                size_t metadata_len, codesync_buffer *out);
/* Verifies the container, then applies its state to doc as one update with
 * origin "container" (merged with what doc already holds). */
CODESYNC_EXPORT int codesync_doc_load_container(codesync_doc *doc, const uint8_t *data, size_t len);
/* Verifies the container and describes it without a document:
 * {"format_version":1,"guid":"..","metadata":{k:v},"state_vector":{"<client>":clock},
 *  "state_bytes":n}. Metadata values that are not UTF-8 text come out as
 * arrays of byte values. */
CODESYNC_EXPORT int codesync_container_info(const uint8_t *data, size_t len, codesync_buffer *out_json);

/* ---- Sync messages (y-protocols inside the y-websocket envelope) --------- */
/*
 * One frame is one message: [0 sync][0 step1 | 1 step2 | 2 update][payload],
 * [1 awareness][payload], [2 auth][0 permission denied][reason], [3 query
 * awareness]. These are pure functions; a codesync_room does the server side.
 */
typedef enum {
  CODESYNC_MESSAGE_SYNC_STEP1 = 0,        /* payload: state vector */
  CODESYNC_MESSAGE_SYNC_STEP2 = 1,        /* payload: update */
  CODESYNC_MESSAGE_SYNC_UPDATE = 2,       /* payload: update */
  CODESYNC_MESSAGE_AWARENESS = 3,         /* payload: awareness update */
  CODESYNC_MESSAGE_PERMISSION_DENIED = 4, /* payload: reason, UTF-8 */
  CODESYNC_MESSAGE_QUERY_AWARENESS = 5    /* no payload */
} codesync_message_kind;

/* Checks the envelope; *payload_out points into `frame` (NULL/0 when none).
 * Unknown types, truncation or trailing bytes: CODESYNC_ERR_MALFORMED. */
CODESYNC_EXPORT int codesync_sync_decode(const uint8_t *frame, size_t len, codesync_message_kind *kind_out,
                                         const uint8_t **payload_out, size_t *payload_len_out);
CODESYNC_EXPORT int codesync_sync_encode_step1(codesync_doc *doc, codesync_buffer *out);
/* What a peer with that state vector lacks (NULL = everything). */
CODESYNC_EXPORT int codesync_sync_encode_step2(codesync_doc *doc, const uint8_t *state_vector, size_t sv_len,
                                               codesync_buffer *out);
CODESYNC_EXPORT int codesync_sync_encode_update(const uint8_t *update, size_t len, codesync_buffer *out);
/* NULL clients = every client with a state. */
CODESYNC_EXPORT int codesync_sync_encode_awareness(codesync_awareness *aw, const uint64_t *clients, size_t count,
                                                   codesync_buffer *out);
/* reason: NUL-terminated UTF-8. */
CODESYNC_EXPORT int codesync_sync_encode_permission_denied(const char *reason, codesync_buffer *out);
CODESYNC_EXPORT int codesync_sync_encode_query_awareness(codesync_buffer *out);

/* The client side of one received frame, as y-websocket's provider does it:
 * SyncStep1 is answered with SyncStep2; SyncStep2 and Update are applied under
 * `origin`; awareness is applied to `aw` (NULL = ignored); a query is answered
 * with every state of `aw`; permission denied is only reported. *reply_out
 * always receives a buffer to free; len 0 means nothing to send. A malformed
 * frame changes nothing. `kind_out` may be NULL. */
CODESYNC_EXPORT int codesync_sync_receive(codesync_doc *doc, codesync_awareness *aw, const uint8_t *frame,
                                          size_t len, int64_t now_ms, const char *origin,
                                          codesync_message_kind *kind_out, codesync_buffer *reply_out);

/* ---- Rooms: the server side of y-websocket, without I/O ------------------ */
/*
 * A room owns a document and an awareness. The embedder owns the sockets: it
 * attaches each connection under an id of its choice, passes every received
 * frame to codesync_room_receive, and sends what codesync_room_next_message
 * hands out. Nothing is ever sent by the room itself and no callback is made
 * for output.
 *
 *  - attach queues SyncStep1 for the new connection and, when any awareness
 *    state exists, an awareness message with all of them (as y-websocket);
 *  - SyncStep1 is answered with SyncStep2; SyncStep2 and Update are applied
 *    (origin "conn:<id>") and the change is queued as an Update for every
 *    other connection (for the sender too when the document held pending
 *    structs, which the change may include);
 *  - read-only connections: Update is dropped and answered with permission
 *    denied ("read-only"); SyncStep2 is dropped, answered the same way only if
 *    it carries structs the room lacks; awareness is allowed;
 *  - awareness updates are applied and the change is queued for every other
 *    connection; the states a connection last set are removed when it
 *    detaches, and the removal is queued for the others;
 *  - query awareness is answered with every state; auth messages are ignored;
 *  - edits made through codesync_room_doc and changes made through
 *    codesync_room_awareness are queued for every connection.
 * A malformed frame returns CODESYNC_ERR_MALFORMED for that call only: the
 * document and awareness are untouched and nothing is queued; the embedder
 * decides whether to close that connection.
 *
 * Ordering guarantee: codesync_room_next_message returns frames in the order
 * they were queued, so every connection gets its frames in protocol order.
 * Frames still queued for a connection are discarded when it detaches.
 * A room is used from one thread at a time. Attach, detach, receive and tick
 * called from inside an observer of the room's document or awareness return
 * CODESYNC_ERR_BUSY; next_message may be called anywhere.
 */
typedef struct codesync_room codesync_room;

typedef struct codesync_room_options {
  codesync_doc_options doc;     /* the room's document; filled by the init function */
  int64_t awareness_timeout_ms; /* default 30000 */
  /* may grow; always fill with codesync_room_options_init first */
} codesync_room_options;

CODESYNC_EXPORT void codesync_room_options_init(codesync_room_options *opts);
CODESYNC_EXPORT codesync_room *codesync_room_new(const codesync_room_options *opts); /* NULL opts = defaults */
/* Accepts NULL. Free subscriptions on the room's document and awareness first. */
CODESYNC_EXPORT void codesync_room_free(codesync_room *room);
/* Borrowed, valid until the room is freed: read it, load persisted state into it
 * before attaching anyone, observe its updates to persist them, edit it. */
CODESYNC_EXPORT codesync_doc *codesync_room_doc(codesync_room *room);
/* Borrowed likewise; its client id is the document's. Starts with no local state. */
CODESYNC_EXPORT codesync_awareness *codesync_room_awareness(codesync_room *room);

/* CODESYNC_ERR_INVALID_ARGUMENT when conn_id is already attached. */
CODESYNC_EXPORT int codesync_room_attach(codesync_room *room, uint64_t conn_id, int read_only, int64_t now_ms);
/* CODESYNC_ERR_INVALID_ARGUMENT for an unknown conn_id (also for the calls below). */
CODESYNC_EXPORT int codesync_room_detach(codesync_room *room, uint64_t conn_id, int64_t now_ms);
CODESYNC_EXPORT int codesync_room_set_read_only(codesync_room *room, uint64_t conn_id, int read_only);
CODESYNC_EXPORT int codesync_room_receive(codesync_room *room, uint64_t conn_id, const uint8_t *frame, size_t len,
                                          int64_t now_ms);
/* Expires awareness states (call every few seconds). */
CODESYNC_EXPORT int codesync_room_tick(codesync_room *room, int64_t now_ms);
/* Pops the oldest queued frame: 1 with *conn_id_out and *frame_out filled (free
 * the buffer), 0 when the queue is empty, or a negative error code. */
CODESYNC_EXPORT int codesync_room_next_message(codesync_room *room, uint64_t *conn_id_out,
                                               codesync_buffer *frame_out);
CODESYNC_EXPORT size_t codesync_room_pending_messages(const codesync_room *room);
CODESYNC_EXPORT size_t codesync_room_connection_count(const codesync_room *room);

/* ---- Relative positions (sticky cursors) --------------------------------- */
/*
 * A relative position stays attached to the character after an index
 * (assoc >= 0) or before it (assoc < 0), or to the end / start of its type,
 * whatever peers insert or delete around it. Encodings are those of Yjs 13.6:
 * the binary form of Y.encodeRelativePosition and the JSON form of
 * Y.relativePositionToJSON, e.g. {"type":{"client":1,"clock":4},"item":
 * {"client":7,"clock":12},"assoc":0} or {"tname":"doc","assoc":-1}, which is
 * what y-monaco and y-codemirror put in awareness states; both decode in yjs
 * and back. Indices are in the document's offset unit for texts and count
 * elements for arrays.
 */
typedef enum {
  CODESYNC_RELPOS_FOUND = 0,        /* *index_out is the position */
  CODESYNC_RELPOS_TYPE_DELETED = 1, /* the text or array was deleted; *index_out is 0 */
  CODESYNC_RELPOS_NOT_FOUND = 2     /* its item or type is not in this document: updates not received
                                       yet, or deleted and collected; *index_out is 0 */
} codesync_relpos_state;

/* The binary position at `index` (0..length). CODESYNC_ERR_OUT_OF_RANGE past
 * the end or inside a character; CODESYNC_ERR_INVALID_ARGUMENT for a deleted type. */
CODESYNC_EXPORT int codesync_relpos_from_text(codesync_text *text, size_t index, int assoc, codesync_buffer *out);
CODESYNC_EXPORT int codesync_relpos_from_array(codesync_array *array, size_t index, int assoc,
                                               codesync_buffer *out);
/* The same positions in JSON form, with every field yjs's relativePositionToJSON
 * writes (the type as "tname" or "type" beside the "item"). */
CODESYNC_EXPORT int codesync_relpos_from_text_json(codesync_text *text, size_t index, int assoc,
                                                   codesync_buffer *out);
CODESYNC_EXPORT int codesync_relpos_from_array_json(codesync_array *array, size_t index, int assoc,
                                                    codesync_buffer *out);
/* Resolves a binary position against the document's current content. Positions
 * inside content re-created by an undo manager follow the copy (as yjs does).
 * Malformed bytes: CODESYNC_ERR_MALFORMED. state_out may be NULL. A position
 * naming a root that does not exist yet creates it (empty), as yjs doc.get does. */
CODESYNC_EXPORT int codesync_relpos_to_index(codesync_doc *doc, const uint8_t *rel, size_t len, size_t *index_out,
                                             codesync_relpos_state *state_out);
/* Like codesync_relpos_to_index, but CODESYNC_ERR_TYPE_MISMATCH unless the
 * position points into `text` (e.g. a cursor from awareness for another text). */
CODESYNC_EXPORT int codesync_relpos_to_text_index(codesync_text *text, const uint8_t *rel, size_t len,
                                                  size_t *index_out, codesync_relpos_state *state_out);
/* Binary <-> JSON. The binary form names the type only when it has no item,
 * so JSON made from it holds just "item" and "assoc" then (as yjs's does for a
 * decoded position); both resolve the same. Malformed binary:
 * CODESYNC_ERR_MALFORMED; JSON that is not a position: CODESYNC_ERR_INVALID_ARGUMENT. */
CODESYNC_EXPORT int codesync_relpos_to_json(const uint8_t *rel, size_t len, codesync_buffer *out);
CODESYNC_EXPORT int codesync_relpos_from_json(const char *json, size_t len, codesync_buffer *out);

/* ---- Undo manager -------------------------------------------------------- */
/*
 * Records the changes that tracked origins make to a scope of types (and
 * everything nested in them) and undoes them as Yjs's UndoManager does:
 * undo deletes what a stack item inserted and re-creates what it deleted as
 * new content, so edits other peers made in between are kept; redo undoes an
 * undo. Changes that follow each other within capture_timeout_ms go into one
 * stack item, until codesync_undo_manager_stop_capturing. A new tracked change
 * clears the redo stack. Tracked origins: the NULL origin (plain local edits,
 * and updates applied without an origin, as in yjs: apply remote updates with
 * an origin such as "remote") plus those added. Content that a stack item may
 * re-create is kept from garbage collection until the item leaves the stacks
 * by undo/redo or codesync_undo_manager_clear.
 *
 * There are no timers: the time of a change is read from options.clock at the
 * end of its transaction, or, without a clock, is the last value given to
 * codesync_undo_manager_set_time (0 at first).
 *
 * An undo manager belongs to its document's thread and must be freed before
 * the document. undo, redo and clear called inside an open transaction or from
 * inside an observer return CODESYNC_ERR_BUSY and change nothing.
 */
typedef struct codesync_undo_manager codesync_undo_manager;
typedef struct codesync_undo_subscription codesync_undo_subscription;

typedef int64_t (*codesync_clock_fn)(void *user_data); /* milliseconds, any monotonic clock */

typedef struct codesync_undo_options {
  int64_t capture_timeout_ms; /* default 500; 0 = never merge */
  codesync_clock_fn clock;    /* NULL (default) = the time given to codesync_undo_manager_set_time */
  void *clock_user_data;
  /* Origin of the transactions that undo and redo, as update observers see it.
   * Default "codesync:undo"; NULL = no origin. Copied. */
  const char *origin;
  /* may grow; always fill with codesync_undo_options_init first */
} codesync_undo_options;

CODESYNC_EXPORT void codesync_undo_options_init(codesync_undo_options *opts);
/* NULL opts = defaults. The scope starts empty: add types with the _add_* calls. */
CODESYNC_EXPORT codesync_undo_manager *codesync_undo_manager_new(codesync_doc *doc, const codesync_undo_options *opts);
CODESYNC_EXPORT void codesync_undo_manager_free(codesync_undo_manager *um);
/* Types of the manager's document (else CODESYNC_ERR_INVALID_ARGUMENT). */
CODESYNC_EXPORT int codesync_undo_manager_add_text(codesync_undo_manager *um, codesync_text *text);
CODESYNC_EXPORT int codesync_undo_manager_add_map(codesync_undo_manager *um, codesync_map *map);
CODESYNC_EXPORT int codesync_undo_manager_add_array(codesync_undo_manager *um, codesync_array *array);
/* origin NULL = the null origin. */
CODESYNC_EXPORT int codesync_undo_manager_add_tracked_origin(codesync_undo_manager *um, const char *origin);
CODESYNC_EXPORT int codesync_undo_manager_remove_tracked_origin(codesync_undo_manager *um, const char *origin);
/* Undo / redo the newest stack item (stack items that turn out to change
 * nothing, e.g. content peers deleted meanwhile, are dropped and the next one
 * is tried). *changed_out (may be NULL) is 1 when something changed, 0 when
 * the stack was empty or nothing could change. */
CODESYNC_EXPORT int codesync_undo_manager_undo(codesync_undo_manager *um, int *changed_out);
CODESYNC_EXPORT int codesync_undo_manager_redo(codesync_undo_manager *um, int *changed_out);
CODESYNC_EXPORT int codesync_undo_manager_can_undo(const codesync_undo_manager *um); /* 1 or 0 */
CODESYNC_EXPORT int codesync_undo_manager_can_redo(const codesync_undo_manager *um);
CODESYNC_EXPORT size_t codesync_undo_manager_undo_depth(const codesync_undo_manager *um);
CODESYNC_EXPORT size_t codesync_undo_manager_redo_depth(const codesync_undo_manager *um);
/* The next change starts a new stack item. */
CODESYNC_EXPORT int codesync_undo_manager_stop_capturing(codesync_undo_manager *um);
/* Empties both stacks. */
CODESYNC_EXPORT int codesync_undo_manager_clear(codesync_undo_manager *um);
CODESYNC_EXPORT int codesync_undo_manager_set_time(codesync_undo_manager *um, int64_t now_ms);

typedef enum {
  CODESYNC_UNDO_STACK_UNDO = 0,
  CODESYNC_UNDO_STACK_REDO = 1
} codesync_undo_stack;

/* Meta: bytes the embedder attaches to a stack item, typically the selection
 * as relative positions (codesync_relpos_*) before the change, to restore the
 * cursor when the item is undone. Set it on the newest item of a stack (e.g.
 * from a STACK_ITEM_ADDED event); CODESYNC_ERR_OUT_OF_RANGE when that stack is
 * empty. Copied; replaces earlier meta. */
CODESYNC_EXPORT int codesync_undo_manager_set_meta(codesync_undo_manager *um, codesync_undo_stack stack,
                                                   const uint8_t *meta, size_t len);
CODESYNC_EXPORT int codesync_undo_manager_get_meta(codesync_undo_manager *um, codesync_undo_stack stack,
                                                   codesync_buffer *out);

typedef enum {
  CODESYNC_UNDO_ITEM_ADDED = 0,   /* a change made a new stack item */
  CODESYNC_UNDO_ITEM_UPDATED = 1, /* a change merged into the newest stack item */
  CODESYNC_UNDO_ITEM_POPPED = 2   /* undo/redo applied a stack item and removed it */
} codesync_undo_event_kind;

typedef struct codesync_undo_event {
  codesync_undo_event_kind kind;
  codesync_undo_stack stack; /* the stack the item is on (added/updated) or came from (popped) */
  const char *origin;        /* origin of the transaction (NULL = none) */
  const uint8_t *meta;       /* the item's meta; NULL when none; valid during the callback */
  size_t meta_len;
} codesync_undo_event;

/* ADDED and UPDATED run at the end of the change's transaction, where the
 * document refuses edits (CODESYNC_ERR_BUSY) but set_meta works; POPPED runs
 * after undo/redo completed, with the popped item's meta. Free the
 * subscription with codesync_undo_manager_unobserve before the manager. */
typedef void (*codesync_undo_fn)(codesync_undo_manager *um, const codesync_undo_event *event, void *user_data);
CODESYNC_EXPORT codesync_undo_subscription *codesync_undo_manager_observe(codesync_undo_manager *um,
                                                                         codesync_undo_fn fn, void *user_data);
CODESYNC_EXPORT void codesync_undo_manager_unobserve(codesync_undo_subscription *sub);

#ifdef __cplusplus
}
#endif

#endif /* CODESYNC_H_ */
