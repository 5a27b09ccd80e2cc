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

#ifdef __cplusplus
}
#endif

#endif /* CODESYNC_H_ */
