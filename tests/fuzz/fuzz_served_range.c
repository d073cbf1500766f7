/* libFuzzer target for served's Range header parser (sl_httpparse_range). Input: 8 bytes of file size
 * (little-endian), then the header value. Besides "never crash", an accepted range must lie within the
 * file and be non-empty, and an unsatisfiable one must really be unsatisfiable. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "served/httpparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT 4096   /* bytes: a Range header is short; MHD caps a field at 8 KiB anyway */

static void require(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8 || size > FUZZ_MAX_INPUT)
		return 0;
	uint64_t fsize = 0;
	for (int i = 7; i >= 0; i--)
		fsize = fsize << 8 | data[i];
	char *h = malloc(size - 8 + 1);
	if (h == NULL)
		return 0;
	memcpy(h, data + 8, size - 8);
	h[size - 8] = '\0';
	uint64_t start = 0, len = 0;
	enum sl_httpparse_range k = sl_httpparse_range(h, fsize, &start, &len);
	if (k == SL_RANGE_ONE) {
		require(len >= 1);
		require(start < fsize);
		require(len <= fsize - start);
	}
	require(k == SL_RANGE_NONE || k == SL_RANGE_ONE || k == SL_RANGE_UNSATISFIABLE);
	/* The same header on an empty file is never a range. */
	require(sl_httpparse_range(h, 0, &start, &len) != SL_RANGE_ONE);
	free(h);
	return 0;
}
