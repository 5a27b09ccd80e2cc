/* Stand-in for <stdint.h>; see fake_libc/stddef.h. */
typedef unsigned char uint8_t;
typedef unsigned int uint32_t;
typedef unsigned long uint64_t;
typedef long int64_t;
