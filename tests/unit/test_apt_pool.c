/* Tests for syncd/apt_pool: what goes into the spilled pool list comes back the same, each item once, in
 * list order (next) and in digest order (a cursor), on every rewind; appending after reading and oversized
 * fields are refused; nothing is left in the directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/error.h"
#include "syncd/apt_pool.h"
#include "tests/unit/lib/tmpdir.h"

#define N 20000   /* items: a third of Debian main */

static void item(size_t i, char *path, size_t pcap, char sha[SL_SHA256_HEX], char *meta, size_t mcap)
{
	snprintf(path, pcap, "pool/main/p/pkg%zu/pkg%zu_1.%zu_amd64.deb", i % 977, i, i % 13);
	uint32_t h = (uint32_t)i * 2654435761u;   /* digests in no particular order of i */
	for (size_t k = 0; k < SL_SHA256_HEX - 1; k++)
		sha[k] = "0123456789abcdef"[(h >> ((k % 8) * 4) ^ (uint32_t)k) & 15];
	sha[SL_SHA256_HEX - 1] = '\0';
	if (i % 5 == 0)
		meta[0] = '\0';   /* empty metadata round-trips too */
	else
		snprintf(meta, mcap, "{\"package\":\"pkg%zu\",\"version\":\"1.%zu\"}", i, i % 13);
}

static size_t entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void test_round_trip(void **state)
{
	(void)state;
	char *dir = sl_test_tmpdir_new();
	assert_non_null(dir);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	struct sl_apt_pool *p = sl_apt_pool_new(dfd, NULL);
	assert_non_null(p);
	assert_int_equal(entries(dir), 0);   /* unnamed */
	char path[SL_MAX_REL_PATH], sha[SL_SHA256_HEX], meta[SL_APT_POOL_META_MAX];
	uint64_t total = 0;
	for (size_t i = 0; i < N; i++) {
		item(i, path, sizeof path, sha, meta, sizeof meta);
		assert_int_equal(sl_apt_pool_add(p, path, sha, i * 1000 + 1, meta), 0);
		total += i * 1000 + 1;
	}
	assert_int_equal(sl_apt_pool_count(p), N);
	assert_int_equal(sl_apt_pool_bytes(p), total);
	struct sl_apt_pool_item *it = malloc(sizeof *it);
	assert_non_null(it);
	bool *seen = calloc(N, sizeof *seen);
	assert_non_null(seen);
	for (int pass = 0; pass < 2; pass++) {
		assert_int_equal(sl_apt_pool_rewind(p), 0);
		for (size_t n = 0; n < N; n++) {
			assert_int_equal(sl_apt_pool_next(p, it), 1);
			assert_int_equal(it->size, n * 1000 + 1);   /* list order: the n-th item added */
			item(n, path, sizeof path, sha, meta, sizeof meta);
			assert_string_equal(it->path, path);
			assert_string_equal(it->sha256, sha);
			assert_string_equal(it->meta, meta);
		}
		assert_int_equal(sl_apt_pool_next(p, it), 0);
		assert_int_equal(sl_apt_pool_next(p, it), 0);
	}
	/* A cursor of its own reads every item once, in digest order, interleaved with the list's own
	 * position, which it neither moves nor is moved by. */
	struct sl_apt_pool_cursor *cur = calloc(1, sizeof *cur);
	struct sl_apt_pool_item *it2 = malloc(sizeof *it2);
	assert_non_null(cur);
	assert_non_null(it2);
	assert_int_equal(sl_apt_pool_rewind(p), 0);
	char last[7] = "";
	for (size_t n = 0; n < N; n++) {
		assert_int_equal(sl_apt_pool_read(p, cur, it2), 1);
		size_t i = (size_t)(it2->size - 1) / 1000;   /* which item this is */
		assert_true(i < N);
		assert_false(seen[i]);
		seen[i] = true;
		item(i, path, sizeof path, sha, meta, sizeof meta);
		assert_string_equal(it2->path, path);
		assert_string_equal(it2->sha256, sha);
		assert_string_equal(it2->meta, meta);
		assert_true(strncmp(last, it2->sha256, 6) <= 0);   /* digest order (24-bit prefix) */
		memcpy(last, it2->sha256, 6);
		last[6] = '\0';
		if (n < N / 2) {
			assert_int_equal(sl_apt_pool_next(p, it), 1);
			assert_int_equal(it->size, n * 1000 + 1);
		}
	}
	assert_int_equal(sl_apt_pool_read(p, cur, it2), 0);
	for (size_t n = N / 2; n < N; n++) {
		assert_int_equal(sl_apt_pool_next(p, it), 1);
		assert_int_equal(it->size, n * 1000 + 1);
	}
	assert_int_equal(sl_apt_pool_next(p, it), 0);
	free(it2);
	free(cur);
	free(seen);
	assert_int_equal(sl_apt_pool_add(p, path, sha, 1, meta), -EINVAL);
	free(it);
	sl_apt_pool_free(p);
	sl_apt_pool_free(NULL);
	assert_int_equal(entries(dir), 0);
	close(dfd);
	sl_test_tmpdir_free(dir);
}

static void test_refusals(void **state)
{
	(void)state;
	char *dir = sl_test_tmpdir_new();
	assert_non_null(dir);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct sl_apt_pool *p = sl_apt_pool_new(dfd, NULL);
	assert_non_null(p);
	char sha[SL_SHA256_HEX];
	memset(sha, 'a', SL_SHA256_HEX - 1);
	sha[SL_SHA256_HEX - 1] = '\0';
	char *big = malloc(SL_APT_POOL_META_MAX + SL_MAX_REL_PATH);
	assert_non_null(big);
	memset(big, 'x', SL_APT_POOL_META_MAX + SL_MAX_REL_PATH - 1);
	big[SL_APT_POOL_META_MAX + SL_MAX_REL_PATH - 1] = '\0';
	assert_int_equal(sl_apt_pool_add(p, big, sha, 1, NULL), -SL_E_TOOBIG);
	assert_int_equal(sl_apt_pool_add(p, "pool/a.deb", sha, 1, big), -SL_E_TOOBIG);
	assert_int_equal(sl_apt_pool_add(p, "pool/a.deb", "abc", 1, NULL), -SL_E_TOOBIG);
	assert_int_equal(sl_apt_pool_count(p), 0);
	/* The largest record there can be, last in the file: read back whole, by next and by a cursor. */
	struct sl_apt_pool_cursor *cur = calloc(1, sizeof *cur);
	struct sl_apt_pool_item *it = malloc(sizeof *it);
	assert_non_null(cur);
	assert_non_null(it);
	assert_int_equal(sl_apt_pool_read(p, cur, it), -EINVAL);   /* not rewound yet */
	char *path = strndup(big, SL_MAX_REL_PATH - 1), *meta = strndup(big, SL_APT_POOL_META_MAX - 1);
	assert_non_null(path);
	assert_non_null(meta);
	assert_int_equal(sl_apt_pool_add(p, "pool/small.deb", sha, 2, "{}"), 0);
	assert_int_equal(sl_apt_pool_add(p, path, sha, 3, meta), 0);
	assert_int_equal(sl_apt_pool_rewind(p), 0);
	for (int k = 0; k < 2; k++) {
		int found = 0;
		for (int rc; (rc = k == 0 ? sl_apt_pool_next(p, it) : sl_apt_pool_read(p, cur, it)) != 0;) {
			assert_int_equal(rc, 1);
			if (it->size == 3) {
				assert_string_equal(it->path, path);
				assert_string_equal(it->meta, meta);
				found++;
			}
		}
		assert_int_equal(found, 1);
	}
	free(path);
	free(meta);
	free(it);
	free(cur);
	char *cause = NULL;
	assert_null(sl_apt_pool_new(-1, &cause));   /* no directory */
	assert_non_null(cause);
	free(cause);
	free(big);
	sl_apt_pool_free(p);
	close(dfd);
	sl_test_tmpdir_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
