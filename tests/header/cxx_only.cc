// codesync.h alone, compiled as C++ under -Wall -Wextra -pedantic -Werror.
#include "codesync.h"

static_assert(CODESYNC_OK == 0 && CODESYNC_ERR_INTERNAL == -7, "error codes are pinned");
static_assert(sizeof(codesync_buffer) == sizeof(void*) + sizeof(size_t), "codesync_buffer is two words");

// C++ callers pass captureless lambdas as C callbacks.
int CodesyncHeaderTestCxx() {
  codesync_update_fn fn = [](const uint8_t*, size_t, const char*, void*) {};
  return fn != nullptr;
}
