/* codesync.h alone, as C99, under -Wall -Wextra -pedantic -Werror. The
 * checks pin values that the stability policy promises never to change; the
 * expected numbers come from DESIGN.md, not from the header. */
#include "codesync.h"

#include <stddef.h>

#define PIN(name, cond) typedef char pin_##name[(cond) ? 1 : -1]

PIN(ok, CODESYNC_OK == 0);
PIN(invalid_argument, CODESYNC_ERR_INVALID_ARGUMENT == -1);
PIN(malformed, CODESYNC_ERR_MALFORMED == -2);
PIN(out_of_range, CODESYNC_ERR_OUT_OF_RANGE == -3);
PIN(type_mismatch, CODESYNC_ERR_TYPE_MISMATCH == -4);
PIN(no_memory, CODESYNC_ERR_NO_MEMORY == -5);
PIN(busy, CODESYNC_ERR_BUSY == -6);
PIN(internal, CODESYNC_ERR_INTERNAL == -7);
PIN(offset_utf16, CODESYNC_OFFSET_UTF16 == 0);
PIN(offset_utf8, CODESYNC_OFFSET_UTF8 == 1);
PIN(offset_codepoint, CODESYNC_OFFSET_CODEPOINT == 2);
PIN(delta_retain, CODESYNC_DELTA_RETAIN == 0);
PIN(delta_insert, CODESYNC_DELTA_INSERT == 1);
PIN(delta_delete, CODESYNC_DELTA_DELETE == 2);
PIN(buffer_data_first, offsetof(codesync_buffer, data) == 0);
PIN(buffer_len_second, offsetof(codesync_buffer, len) == sizeof(uint8_t *));
PIN(options_client_id_first, offsetof(codesync_doc_options, client_id) == 0);
PIN(version_number, CODESYNC_VERSION_NUMBER == CODESYNC_VERSION_MAJOR * 10000 + CODESYNC_VERSION_MINOR * 100 +
                                                   CODESYNC_VERSION_PATCH);

/* Function pointer types must match what a C caller writes. */
static void on_update(const uint8_t *update, size_t len, const char *origin, void *user_data) {
  (void)update, (void)len, (void)origin, (void)user_data;
}
static void on_delta(const codesync_delta_op *ops, size_t count, const char *origin, void *user_data) {
  (void)ops, (void)count, (void)origin, (void)user_data;
}

int codesync_header_test_c99(void);
int codesync_header_test_c99(void) {
  codesync_update_fn update_fn = on_update;
  codesync_text_delta_fn delta_fn = on_delta;
  return update_fn != NULL && delta_fn != NULL;
}
