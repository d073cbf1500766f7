/* fuzz_decomp: arbitrary bytes through core/decomp's readers (gzip, xz, lzma, bzip2, zstd, lz4 or plain,
 * auto-detected), with a small output cap so bombs stop early. First byte: bits 0-3 pick the cap
 * (2^bits * 64 bytes, so 64 B .. 2 MiB), bit 4 also reads through the pull interface with the read size
 * given by the second byte (1..4081 bytes), bit 5 a gzip round trip through sl_comp_writer. Asserts: no
 * more than the cap is ever handed out, both interfaces agree on the bytes and the outcome, errors are
 * sticky, and a gzip'd copy of the input decompresses to what the input does (the input itself when it
 * is not compressed). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/decomp.h"
#include "core/error.h"
#include "tests/fuzz/lib/fuzzlib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (256u << 10)   /* bytes of input */
#define FUZZ_ROUND_CAP (4u << 20)     /* bytes the round trip decompresses at most */

/* The readers hand out at most SL_DECOMP_BLOCK bytes per call. */
static int collect(void *arg, const void *data, size_t len)
{
	require(len <= SL_DECOMP_BLOCK);
	return fuzz_collect(arg, data, len);
}

/* The push interface's result; *out gets what the sink saw. */
static int push(const uint8_t *p, size_t len, uint64_t cap, struct fuzz_acc *out)
{
	int fd = fuzz_memfd("decomp", p, len);
	char *cause = NULL;
	int r = sl_decomp_fd_cause(fd, cap, collect, out, &cause);
	require(r == 0 || r == -SL_E_TOOBIG || r == -SL_E_ARCHIVE);
	require(r == 0 || cause != NULL);
	require(out->len <= cap);
	free(cause);
	close(fd);
	return r;
}

static void pull(const uint8_t *p, size_t len, uint64_t cap, size_t step, const struct fuzz_acc *ref, int ref_rc)
{
	int fd = fuzz_memfd("decomp", p, len);
	char *cause = NULL;
	struct sl_decomp_reader *r = sl_decomp_reader_new(fd, cap, &cause);
	if (r == NULL) {
		/* The push interface opens the same way: it must have failed before handing out anything. */
		require(cause != NULL && ref_rc == -SL_E_ARCHIVE && ref->len == 0);
		free(cause);
		close(fd);
		return;
	}
	uint8_t buf[4096];
	size_t got = 0;
	ssize_t n;
	while ((n = sl_decomp_reader_read(r, buf, step)) > 0) {
		require((size_t)n <= step && got + (size_t)n <= cap);
		/* Where both interfaces handed out bytes, they are the same bytes. */
		if (got < ref->len) {
			size_t k = ref->len - got < (size_t)n ? ref->len - got : (size_t)n;
			require(memcmp(buf, ref->p + got, k) == 0);
		}
		got += (size_t)n;
	}
	/* The outcome does not depend on the read size; a success hands out exactly the same bytes. (On
	 * -SL_E_TOOBIG the push interface drops the whole block that crosses the cap, smaller reads get up
	 * to the cap.) Errors stick. */
	require(n == ref_rc);
	if (n == 0)
		require(got == ref->len);
	else
		require(got >= ref->len && sl_decomp_reader_error(r)[0] != '\0');
	require(sl_decomp_reader_read(r, buf, step) == n);
	sl_decomp_reader_free(r);
	close(fd);
}

/* Reading detects every compression layer, nested ones too (libarchive stacks its filters), so what a
 * gzip'd copy of the input decompresses to is what the input itself decompresses to. */
static void round_trip(const uint8_t *p, size_t len)
{
	struct fuzz_acc z = { 0 };
	char *cause = NULL;
	struct sl_comp_writer *w = sl_comp_writer_new(SL_COMP_GZIP, collect, &z, &cause);
	require(w != NULL);
	require(sl_comp_writer_write(w, p, len) == 0 && sl_comp_writer_finish(w) == 0);
	sl_comp_writer_free(w);
	struct fuzz_acc direct = { 0 }, back = { 0 };
	int rd = push(p, len, FUZZ_ROUND_CAP, &direct);
	int rb = push(z.p, z.len, FUZZ_ROUND_CAP, &back);
	require(rd == rb);
	if (rd == 0)
		require(back.len == direct.len && (back.len == 0 || memcmp(back.p, direct.p, back.len) == 0));
	free(direct.p);
	free(back.p);
	free(z.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > FUZZ_MAX_INPUT)
		return 0;
	unsigned mode = data[0];
	uint64_t cap = (uint64_t)64 << (mode & 15);
	size_t step = 1 + (size_t)data[1] * 16;
	data += 2;
	size -= 2;
	struct fuzz_acc out = { 0 };
	int rc = push(data, size, cap, &out);
	if (mode & 16)
		pull(data, size, cap, step, &out, rc);
	if (mode & 32)
		round_trip(data, size);
	free(out.p);
	return 0;
}
