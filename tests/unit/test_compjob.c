/* Tests for core/compjob: gzip and xz made on a background thread decompress to exactly the input object
 * (and are recorded under their own digest); a missing input or an output over its cap fails at finish
 * with a cause and leaves no new object behind. */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/compjob.h"
#include "core/decomp.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/store.h"
#include "tests/unit/lib/tmpdir.h"

static size_t nfiles;
static int count_cb(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)p, (void)sb, (void)ftw;
	nfiles += type == FTW_F;
	return 0;
}

static size_t objects(struct sl_store *st)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/objects", sl_store_root(st));
	nfiles = 0;
	assert_int_equal(nftw(path, count_cb, 16, FTW_PHYS), 0);
	return nfiles;
}

struct buf {
	uint8_t *p;
	size_t n;
};

static int collect(void *arg, const void *data, size_t len)
{
	struct buf *b = arg;
	uint8_t *np = realloc(b->p, b->n + len);
	if (np == NULL)
		return -ENOMEM;
	memcpy(np + b->n, data, len);
	b->p = np;
	b->n += len;
	return 0;
}

/* ~3 MB of Packages-like text: compresses well, several read chunks. */
static char *make_text(size_t *len)
{
	size_t cap = 4u << 20, n = 0;
	char *t = malloc(cap);
	assert_non_null(t);
	for (int i = 0; n + 200 < cap && i < 20000; i++)
		n += (size_t)snprintf(t + n, cap - n, "Package: pkg%d\nVersion: 1.%d-1\nArchitecture: amd64\n"
					  "Filename: pool/main/p/pkg%d/pkg%d_1.%d-1_amd64.deb\n\n", i, i % 97, i, i, i % 97);
	*len = n;
	return t;
}

static void test_gzip_and_xz(void **state)
{
	(void)state;
	char *dir = sl_test_tmpdir_new();
	assert_non_null(dir);
	struct sl_store *st = sl_store_open(dir, NULL);
	assert_non_null(st);
	size_t len;
	char *text = make_text(&len);
	char in[SL_SHA256_HEX];
	assert_int_equal(sl_store_put(st, text, len, NULL, in), 0);
	/* Both jobs run at once, as the APT syncer runs them. */
	struct sl_compjob *gz = sl_compjob_start(st, in, SL_COMP_GZIP, 1u << 30, NULL);
	struct sl_compjob *xz = sl_compjob_start(st, in, SL_COMP_XZ, 1u << 30, NULL);
	assert_non_null(gz);
	assert_non_null(xz);
	struct sl_compjob *jobs[2] = { gz, xz };
	for (int i = 0; i < 2; i++) {
		char out[SL_SHA256_HEX];
		uint64_t size = 0;
		char *cause = NULL;
		assert_int_equal(sl_compjob_finish(jobs[i], out, &size, &cause), 0);
		assert_null(cause);
		assert_true(size > 0 && size < len / 4);
		int fd = -1;
		uint64_t osize = 0;
		assert_int_equal(sl_store_open_object(st, out, &fd, &osize), 0);
		assert_int_equal(osize, size);
		struct buf b = { 0 };
		assert_int_equal(sl_decomp_fd(fd, 1u << 30, collect, &b), 0);
		close(fd);
		assert_int_equal(b.n, len);
		assert_memory_equal(b.p, text, len);
		free(b.p);
	}
	assert_int_equal(objects(st), 3);
	free(text);
	sl_store_free(st);
	sl_test_tmpdir_free(dir);
}

static void test_failures_leave_nothing(void **state)
{
	(void)state;
	char *dir = sl_test_tmpdir_new();
	assert_non_null(dir);
	struct sl_store *st = sl_store_open(dir, NULL);
	assert_non_null(st);
	char missing[SL_SHA256_HEX], in[SL_SHA256_HEX];
	sl_digest_sha256("not stored", 10, missing);
	char *cause = NULL;
	struct sl_compjob *j = sl_compjob_start(st, missing, SL_COMP_XZ, 1u << 20, &cause);
	assert_non_null(j);
	assert_true(sl_compjob_finish(j, NULL, NULL, &cause) < 0);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	/* An output over its cap: random bytes do not compress below 1 KiB. */
	uint8_t noise[64 * 1024];
	for (size_t i = 0; i < sizeof noise; i++)
		noise[i] = (uint8_t)(i * 2654435761u >> 13);
	assert_int_equal(sl_store_put(st, noise, sizeof noise, NULL, in), 0);
	j = sl_compjob_start(st, in, SL_COMP_GZIP, 1024, &cause);
	assert_non_null(j);
	assert_int_equal(sl_compjob_finish(j, NULL, NULL, &cause), -SL_E_TOOBIG);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_int_equal(objects(st), 1);   /* only the input */
	/* Bad arguments are refused at start. */
	assert_null(sl_compjob_start(st, "../../etc/passwd", SL_COMP_GZIP, 1024, &cause));
	assert_non_null(cause);
	free(cause);
	assert_null(sl_compjob_start(st, in, SL_COMP_NONE, 1024, NULL));
	assert_int_equal(sl_compjob_finish(NULL, NULL, NULL, NULL), -EINVAL);
	sl_store_free(st);
	sl_test_tmpdir_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gzip_and_xz),
		cmocka_unit_test(test_failures_leave_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
