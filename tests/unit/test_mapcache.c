/* mapcache: one mapping per file shared by its responses, released with the last of them, and a budget
 * that refuses (so the caller falls back to sendfile) rather than grow. The bytes sent from mappings are
 * checked end to end in test_served.c. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "served/mapcache.h"

static char dir[64];

static int setup(void **st)
{
	snprintf(dir, sizeof dir, "/tmp/sl-mapcache-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **st)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* Create (or rewrite in place) `name` with `size` bytes; return it opened read-only, fstat'ed into *st. */
static int make_file(const char *name, size_t size, struct stat *st)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int w = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(w >= 0);
	assert_int_equal(ftruncate(w, (off_t)size), 0);
	assert_int_equal(close(w), 0);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, st), 0);
	return fd;
}

static void test_shared_and_released(void **st)
{
	struct sl_mapcache *c = sl_mapcache_new(SL_MAPCACHE_BUDGET);
	assert_non_null(c);
	struct stat s;
	int fd = make_file("a", 1u << 20, &s);
	struct MHD_Response *r1 = sl_mapcache_response(c, fd, &s, 0, 1u << 20);
	struct MHD_Response *r2 = sl_mapcache_response(c, fd, &s, 4096, 100);   /* a range of the same file */
	assert_non_null(r1);
	assert_non_null(r2);
	close(fd);   /* the mapping does not need the descriptor */
	assert_int_equal(sl_mapcache_mapped(c), 1u << 20);
	MHD_destroy_response(r1);
	assert_int_equal(sl_mapcache_mapped(c), 1u << 20);
	MHD_destroy_response(r2);
	assert_int_equal(sl_mapcache_mapped(c), 0);
	sl_mapcache_free(c);
}

static void test_budget(void **st)
{
	struct sl_mapcache *c = sl_mapcache_new(SL_MAPCACHE_BUDGET);
	struct stat sa, sb, sh;
	int a = make_file("a", SL_MAPCACHE_BUDGET - (1u << 20), &sa);
	int b = make_file("b", 2u << 20, &sb);
	int h = make_file("huge", SL_MAPCACHE_BUDGET + 1, &sh);
	assert_null(sl_mapcache_response(c, h, &sh, 0, 1));   /* never fits */
	struct MHD_Response *ra = sl_mapcache_response(c, a, &sa, 0, (uint64_t)sa.st_size);
	assert_non_null(ra);
	assert_null(sl_mapcache_response(c, b, &sb, 0, (uint64_t)sb.st_size));   /* would exceed the budget */
	assert_int_equal(sl_mapcache_mapped(c), SL_MAPCACHE_BUDGET - (1u << 20));
	MHD_destroy_response(ra);
	struct MHD_Response *rb = sl_mapcache_response(c, b, &sb, 0, (uint64_t)sb.st_size);
	assert_non_null(rb);
	assert_int_equal(sl_mapcache_mapped(c), 2u << 20);
	MHD_destroy_response(rb);
	close(a);
	close(b);
	close(h);
	sl_mapcache_free(c);
}

static void test_slots(void **st)
{
	struct sl_mapcache *c = sl_mapcache_new(SL_MAPCACHE_BUDGET);
	struct MHD_Response *r[SL_MAX_MAPPED_FILES];
	struct stat s;
	for (int i = 0; i < SL_MAX_MAPPED_FILES; i++) {
		char name[16];
		snprintf(name, sizeof name, "f%d", i);
		int fd = make_file(name, 4096, &s);
		r[i] = sl_mapcache_response(c, fd, &s, 0, 4096);
		assert_non_null(r[i]);
		close(fd);
	}
	int fd = make_file("one-more", 4096, &s);
	assert_null(sl_mapcache_response(c, fd, &s, 0, 4096));
	MHD_destroy_response(r[7]);
	struct MHD_Response *x = sl_mapcache_response(c, fd, &s, 0, 4096);
	assert_non_null(x);
	MHD_destroy_response(x);
	for (int i = 0; i < SL_MAX_MAPPED_FILES; i++)
		if (i != 7)
			MHD_destroy_response(r[i]);
	assert_int_equal(sl_mapcache_mapped(c), 0);
	close(fd);
	sl_mapcache_free(c);
}

/* The same inode with another size or time is other bytes: it gets its own mapping. */
static void test_changed_file_not_shared(void **st)
{
	struct sl_mapcache *c = sl_mapcache_new(SL_MAPCACHE_BUDGET);
	struct stat s1, s2;
	int f1 = make_file("a", 1u << 20, &s1);
	struct MHD_Response *r1 = sl_mapcache_response(c, f1, &s1, 0, 1u << 20);
	int f2 = make_file("a", 2u << 20, &s2);
	assert_int_equal(s1.st_ino, s2.st_ino);
	struct MHD_Response *r2 = sl_mapcache_response(c, f2, &s2, 0, 2u << 20);
	assert_non_null(r1);
	assert_non_null(r2);
	assert_int_equal(sl_mapcache_mapped(c), 3u << 20);
	MHD_destroy_response(r1);
	MHD_destroy_response(r2);
	assert_int_equal(sl_mapcache_mapped(c), 0);
	close(f1);
	close(f2);
	sl_mapcache_free(c);
}

static void test_refused_arguments(void **st)
{
	struct sl_mapcache *c = sl_mapcache_new(SL_MAPCACHE_BUDGET);
	struct stat s, e, d;
	int fd = make_file("a", 8192, &s);
	int ef = make_file("empty", 0, &e);
	assert_null(sl_mapcache_response(NULL, fd, &s, 0, 8192));
	assert_null(sl_mapcache_response(c, fd, &s, 0, 8193));      /* past the end */
	assert_null(sl_mapcache_response(c, fd, &s, 8192, 1));
	assert_null(sl_mapcache_response(c, fd, &s, 100, 0));
	assert_null(sl_mapcache_response(c, fd, &s, UINT64_MAX, 2));
	assert_null(sl_mapcache_response(c, ef, &e, 0, 0));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(fstat(dfd, &d), 0);
	assert_null(sl_mapcache_response(c, dfd, &d, 0, 1));
	/* A descriptor mmap refuses (write-only): NULL, and the reserved budget is given back. */
	char path[128];
	snprintf(path, sizeof path, "%s/a", dir);
	int wfd = open(path, O_WRONLY | O_CLOEXEC);
	assert_null(sl_mapcache_response(c, wfd, &s, 0, 8192));
	assert_int_equal(sl_mapcache_mapped(c), 0);
	close(wfd);
	close(dfd);
	close(fd);
	close(ef);
	sl_mapcache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shared_and_released, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_file_not_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_arguments, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
