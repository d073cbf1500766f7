/* fuzzlib: what several fuzz targets of byte streams share — a broken-promise check that keeps the input,
 * a growing output buffer that is a sl_delta_sink / decomp sink, and a memfd holding given bytes.
 * Ownership: fuzz_acc's buffer is the caller's to free; the memfd is the caller's to close. Any failure
 * of these helpers aborts (a fuzz target has no one to report to). */
#ifndef SL_FUZZLIB_H
#define SL_FUZZLIB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* A broken promise: say which, then abort so the fuzzer keeps the input. */
#define require(cond)                                                                              \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: violated: %s\n", __FILE__, __LINE__, #cond);      \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

struct fuzz_acc {
	uint8_t *p;
	size_t len, cap;
};

/* Append len (> 0) bytes to the struct fuzz_acc at arg; always 0. */
int fuzz_collect(void *arg, const void *data, size_t len);
/* A memfd named `name` holding len bytes, positioned at offset 0. */
int fuzz_memfd(const char *name, const void *p, size_t len);

#endif
