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
#include <unistd.h>

#include "core/error.h"
#include "core/limits.h"
#include "core/recompress.h"
#include "tests/fuzz/lib/fuzzlib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_PLAIN (4u << 10)     /* bytes of plain input */
#define FUZZ_OUT_CAP   (64u << 10)    /* bytes of output allowed */
#define FUZZ_FIND_DICT (1u << 20)     /* bytes: larger dictionaries are run but not searched again */

/* The output is a compressed file of plain: finding a token for it and running that gives it back. */
static void find_again(const struct fuzz_acc *out, int plain)
{
	int packed = fuzz_memfd("recompress", out->p, out->len);
	char token[SL_MAX_RECOMPRESS_TOKEN];
	char *cause = NULL;
	int rc = sl_recompress_find(packed, plain, token, sizeof token, &cause);
	if (rc != 0)
		fprintf(stderr, "find: %d %s\n", rc, cause ? cause : "");
	require(rc == 0);
	struct fuzz_acc again = { 0 };
	rc = sl_recompress_run(token, plain, FUZZ_OUT_CAP, fuzz_collect, &again, &cause);
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
	int plain = fuzz_memfd("recompress", plain_bytes, plen);
	struct fuzz_acc out = { 0 };
	char *cause = NULL;
	int rc = sl_recompress_run(token, plain, FUZZ_OUT_CAP, fuzz_collect, &out, &cause);
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
