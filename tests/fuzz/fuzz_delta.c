/* fuzz_delta: hostile patch bytes through sl_delta_apply against a fixed 4 KiB base (Packages-like text),
 * and the same bytes as a new file through sl_delta_make and back. First byte: bits 0-3 pick the output
 * cap (2^bits * 16 bytes, 16 B .. 512 KiB). Asserts: only the documented returns, a cause with every
 * failure, never more output than the cap, a success produces exactly what its END op says (the output
 * count the patch carries), and make-then-apply reproduces any input exactly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/delta.h"
#include "core/error.h"
#include "tests/fuzz/lib/fuzzlib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (256u << 10)   /* bytes of input */
#define BASE_BYTES     4096           /* bytes of the fixed base */

static int base_fd(void)
{
	static uint8_t base[BASE_BYTES];
	size_t n = 0;
	for (unsigned i = 0; n < sizeof base; i++) {
		char s[128];
		int k = snprintf(s, sizeof s, "Package: p%u\nVersion: %u.%u\nSize: %u\n\n", i, i % 7, i % 3, i * 131);
		size_t c = sizeof base - n < (size_t)k ? sizeof base - n : (size_t)k;
		memcpy(base + n, s, c);
		n += c;
	}
	return fuzz_memfd("delta", base, sizeof base);
}

/* The data as a new version of the base: make a patch, apply it, get the data back. */
static void round_trip(int base, const uint8_t *data, size_t size)
{
	int nfd = fuzz_memfd("delta", data, size);
	int pfd = memfd_create("patch", MFD_CLOEXEC);
	require(pfd >= 0);
	char *cause = NULL;
	require(sl_delta_make(base, nfd, pfd, UINT64_MAX, &cause) == 0);
	struct fuzz_acc out = { 0 };
	require(sl_delta_apply(base, pfd, size, fuzz_collect, &out, &cause) == 0);
	require(out.len == size && (size == 0 || memcmp(out.p, data, size) == 0));
	/* A cap below the patch's size is refused, never exceeded. */
	off_t plen = lseek(pfd, 0, SEEK_END);
	require(plen > 0);
	int tfd = memfd_create("patch2", MFD_CLOEXEC);
	require(tfd >= 0);
	int rc = sl_delta_make(base, nfd, tfd, (uint64_t)plen - 1, &cause);
	require(rc == -SL_E_TOOBIG && cause != NULL);
	require(lseek(tfd, 0, SEEK_END) <= plen - 1);
	free(cause);
	free(out.p);
	close(nfd);
	close(pfd);
	close(tfd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	uint64_t cap = (uint64_t)16 << (data[0] & 15);
	data++;
	size--;
	int base = base_fd();
	int pfd = fuzz_memfd("delta", data, size);
	struct fuzz_acc out = { 0 };
	char *cause = NULL;
	int rc = sl_delta_apply(base, pfd, cap, fuzz_collect, &out, &cause);
	require(rc == 0 || rc == -SL_E_PARSE || rc == -SL_E_TOOBIG);
	require(rc == 0 || cause != NULL);
	require(out.len <= cap);
	if (rc == 0) {
		/* The patch ends with END and its total: re-encode the count and find it at the end. */
		uint8_t v[10];
		size_t n = 0;
		uint64_t x = out.len;
		while (x >= 0x80) {
			v[n++] = (uint8_t)(x | 0x80);
			x >>= 7;
		}
		v[n++] = (uint8_t)x;
		require(size >= SL_DELTA_MAGIC_LEN + 1 + n && memcmp(data + size - n, v, n) == 0);
		require(data[size - n - 1] == 0);
	}
	free(cause);
	free(out.p);
	close(pfd);
	round_trip(base, data, size);
	close(base);
	return 0;
}
