/* fuzz_cdiff: a CDIFF's update script, the gzip stream that sl_cdiff_check_script decompresses with the
 * announced length as its cap. A whole CDIFF that sl_cdiff_parse accepts is checked as syncd does; any
 * other input is read as 3 bytes of announced script length (big-endian, so up to 16 MiB) followed by
 * the gzip stream. Asserts that a script passes only when it inflates to exactly the announced length
 * (cross-checked by a second, uncapped decompression) and that every refusal has a cause. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/cvd.h"
#include "core/decomp.h"
#include "core/fsutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (256u << 10)   /* bytes of input */
#define FUZZ_MAX_OUT   (64u << 20)    /* bytes the cross-check inflates at most */

/* A broken promise: say which, then abort so the fuzzer keeps the input. */
#define require(cond)                                                                              \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: violated: %s\n", __FILE__, __LINE__, #cond);      \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static int count(void *arg, const void *p, size_t len)
{
	(void)p;
	*(uint64_t *)arg += len;
	return 0;
}

/* Uncapped (up to FUZZ_MAX_OUT) length of the stream, or UINT64_MAX when it does not decompress. */
static uint64_t inflated(const uint8_t *p, size_t len)
{
	int fd = memfd_create("cdiff-check", MFD_CLOEXEC);
	require(fd >= 0);
	require(sl_fs_write_all(fd, p, len) == 0 && lseek(fd, 0, SEEK_SET) == 0);
	uint64_t n = 0;
	int r = sl_decomp_fd(fd, FUZZ_MAX_OUT, count, &n);
	close(fd);
	return r == 0 ? n : UINT64_MAX;
}

static void check(const uint8_t *p, const struct sl_cdiff *d)
{
	char *cause = NULL;
	int r = sl_cdiff_check_script(p, d, &cause);
	if (r == 0)
		require(cause == NULL && inflated(p + d->data_off, d->data_len) == d->script_len);
	else
		require(cause != NULL);
	free(cause);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	struct sl_cdiff c;
	char why[256];
	if (sl_cdiff_parse(data, size, &c, why, sizeof why) == 0) {
		require(c.data_off + c.data_len <= size);
		check(data, &c);
		return 0;
	}
	if (size < 3)
		return 0;
	struct sl_cdiff d = { .version = 1, .data_off = 3, .data_len = size - 3 };
	d.script_len = ((uint64_t)data[0] << 16) | ((uint64_t)data[1] << 8) | data[2];
	check(data, &d);
	return 0;
}
