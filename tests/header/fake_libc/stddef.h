/* Stand-in for <stddef.h> so that an AST dump of codesync.h holds only the
 * names codesync.h declares itself (see check_names.py). */
typedef unsigned long size_t;
#define NULL ((void *)0)
