/* fuzz_recompress: hostile recompression tokens (from a bundle manifest) through sl_recompress_run. Input:
 * the token, a NUL byte, then the plain bytes to compress (at most 4 KiB). Asserts: only the documented
 * returns, a cause with every failure, never more output than the cap, and that what a token produced is
 * found again by sl_recompress_find and rerun byte for byte (xz with small dictionaries only: a 64 MiB one
 * costs ~ 700 MB of encoder per run; gzip with memLevel 8, the only one find tries). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "core/recompress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_PLAIN (4u << 10)     /* bytes of plain input */
#define FUZZ_OUT_CAP   (64u << 10)    /* bytes of output allowed */
#define FUZZ_FIND_DICT (1u << 20)     /* bytes: larger dictionaries are run but not searched again */

#define require(cond)                                                                              \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: violated: %s\n", __FILE__, __LINE__, #cond);      \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

struct acc {
	uint8_t *p;
	size_t len, cap;
};

static int collect(void *arg, const void *data, size_t len)
{
	struct acc *a = arg;
	require(len > 0);
	if (a->len + len > a->cap) {
		size_t want = a->cap ? a->cap : 4096;
		while (want < a->len + len)
			want *= 2;
		uint8_t *n = realloc(a->p, want);
		require(n != NULL);
		a->p = n;
		a->cap = want;
	}
	memcpy(a->p + a->len, data, len);
	a->len += len;
	return 0;
}

static int memfd_of(const void *p, size_t len)
{
	int fd = memfd_create("recompress", MFD_CLOEXEC);
	require(fd >= 0);
	require(sl_fs_write_all(fd, p, len) == 0);
	return fd;
}

/* The output is a compressed file of plain: finding a token for it and running that gives it back. */
static void find_again(const struct acc *out, int plain)
{
	int packed = memfd_of(out->p, out->len);
	char token[SL_MAX_RECOMPRESS_TOKEN];
	char *cause = NULL;
	int rc = sl_recompress_find(packed, plain, token, sizeof token, &cause);
	if (rc != 0)
		fprintf(stderr, "find: %d %s\n", rc, cause ? cause : "");
	require(rc == 0);
	struct acc again = { 0 };
	rc = sl_recompress_run(token, plain, FUZZ_OUT_CAP, collect, &again, &cause);
	require(rc == 0);
	require(again.len == out->len && memcmp(again.p, out->p, out->len) == 0);
	free(again.p);
	free(cause);
	close(packed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	if (nul == NULL)
		return 0;
	size_t tlen = (size_t)(nul - data);
	const uint8_t *plain_bytes = nul + 1;
	size_t plen = size - tlen - 1;
	if (plen > FUZZ_MAX_PLAIN)
		return 0;
	char *token = malloc(tlen + 1);
	require(token != NULL);
	memcpy(token, data, tlen + 1);
	int plain = memfd_of(plain_bytes, plen);
	struct acc out = { 0 };
	char *cause = NULL;
	int rc = sl_recompress_run(token, plain, FUZZ_OUT_CAP, collect, &out, &cause);
	require(rc == 0 || rc == -SL_E_PARSE || rc == -SL_E_TOOBIG);
	require(rc == 0 || cause != NULL);
	require(out.len <= FUZZ_OUT_CAP);
	if (rc == 0) {
		unsigned long dict = 0;
		const char *d = strstr(token, " d");
		/* find tries zlib's memLevel 8 only (what the writers use). */
		bool gz = strncmp(token, "gzip", 4) == 0;
		if ((gz && strstr(token, " m8 ") != NULL) ||
		    (!gz && d != NULL && sscanf(d + 2, "%lu", &dict) == 1 && dict <= FUZZ_FIND_DICT))
			find_again(&out, plain);
	}
	free(cause);
	free(out.p);
	free(token);
	close(plain);
	return 0;
}
