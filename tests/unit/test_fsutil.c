/* Tests for core/fsutil: mkdirs, atomic replacement (a reader only ever sees the old or the new content,
 * also when the writer is killed), capped reads, directory fsync, and rmtree that never follows symlinks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/error.h"
#include "core/fsutil.h"
#include "tests/unit/lib/tmpdir.h"

static int setup(void **state)
{
	char *d = sl_test_tmpdir_new();
	if (d == NULL)
		return -1;
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	sl_test_tmpdir_free(*state);
	return 0;
}

static char *path_in(const char *dir, const char *rel)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", dir, rel) > 0);
	return p;
}

static void touch(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(content, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static size_t count_entries(const char *dir)
{
	char *cmd = NULL;
	assert_true(asprintf(&cmd, "ls -A '%s' | wc -l", dir) > 0);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = 0;
	assert_int_equal(fscanf(p, "%zu", &n), 1);
	pclose(p);
	free(cmd);
	return n;
}

static void test_mkdirs(void **state)
{
	const char *dir = *state;
	char *deep = path_in(dir, "a/b//c/d/");
	struct stat st;
	assert_int_equal(sl_fs_mkdirs(deep, 0750), 0);
	assert_int_equal(stat(deep, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(sl_fs_mkdirs(deep, 0750), 0);   /* existing: fine */
	char *file = path_in(dir, "a/file");
	touch(file, "x");
	char *under = path_in(dir, "a/file/sub");
	assert_int_equal(sl_fs_mkdirs(file, 0750), -ENOTDIR);
	assert_int_equal(sl_fs_mkdirs(under, 0750), -ENOTDIR);
	assert_int_equal(sl_fs_mkdirs("", 0750), -EINVAL);
	free(deep);
	free(file);
	free(under);
}

static void test_write_atomic(void **state)
{
	const char *dir = *state;
	char *p = path_in(dir, "conf");
	char *data;
	size_t len;
	struct stat st;
	assert_int_equal(sl_fs_write_atomic(p, "old", 3, 0640), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(sl_fs_write_atomic(p, "new content", 11, 0600), 0);
	assert_int_equal(sl_fs_read_file(p, 100, &data, &len), 0);
	assert_int_equal(len, 11);
	assert_string_equal(data, "new content");
	free(data);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* No temp left beside it. */
	assert_int_equal(count_entries(dir), 1);
	assert_int_equal(sl_fs_write_atomic(p, "", 0, 0600), 0);
	assert_int_equal(sl_fs_read_file(p, 100, &data, &len), 0);
	assert_int_equal(len, 0);
	free(data);
	/* Missing directory: error, nothing created. */
	char *missing = path_in(dir, "nodir/conf");
	assert_int_equal(sl_fs_write_atomic(missing, "x", 1, 0600), -ENOENT);
	assert_int_equal(count_entries(dir), 1);
	free(missing);
	free(p);
}

#define BIG_LEN (1u << 20)   /* bytes: large enough that a torn write would be visible */

/* A reader racing a rewriting writer, then the writer killed with SIGKILL: every read is one of the two
 * complete contents, never a mix, a prefix or an empty file. */
static void test_write_atomic_survives(void **state)
{
	const char *dir = *state;
	char *p = path_in(dir, "state");
	char *a = malloc(BIG_LEN), *b = malloc(BIG_LEN);
	assert_non_null(a);
	assert_non_null(b);
	memset(a, 'A', BIG_LEN);
	memset(b, 'B', BIG_LEN);
	assert_int_equal(sl_fs_write_atomic(p, a, BIG_LEN, 0644), 0);
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(ready[0]);
		for (unsigned i = 0;; i++) {
			if (sl_fs_write_atomic(p, i % 2 ? a : b, BIG_LEN, 0644) != 0)
				_exit(1);
			if (i == 0 && write(ready[1], "x", 1) != 1)
				_exit(1);
		}
	}
	close(ready[1]);
	char c;
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	for (int i = 0; i < 200; i++) {
		char *data;
		size_t len;
		assert_int_equal(sl_fs_read_file(p, BIG_LEN, &data, &len), 0);
		assert_int_equal(len, BIG_LEN);
		assert_true(memcmp(data, a, BIG_LEN) == 0 || memcmp(data, b, BIG_LEN) == 0);
		free(data);
	}
	assert_int_equal(kill(pid, SIGKILL), 0);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	char *data;
	size_t len;
	assert_int_equal(sl_fs_read_file(p, BIG_LEN, &data, &len), 0);
	assert_int_equal(len, BIG_LEN);
	assert_true(memcmp(data, a, BIG_LEN) == 0 || memcmp(data, b, BIG_LEN) == 0);
	free(data);
	free(a);
	free(b);
	free(p);
}

static void test_read_file_caps(void **state)
{
	const char *dir = *state;
	char *p = path_in(dir, "f");
	char *data = (char *)1;
	size_t len = 99;
	touch(p, "0123456789");
	assert_int_equal(sl_fs_read_file(p, 10, &data, &len), 0);
	assert_int_equal(len, 10);
	assert_string_equal(data, "0123456789");
	free(data);
	assert_int_equal(sl_fs_read_file(p, 9, &data, &len), -SL_E_TOOBIG);
	assert_null(data);
	assert_int_equal(sl_fs_read_file(dir, 10, &data, &len), -EISDIR);
	char *missing = path_in(dir, "missing");
	assert_int_equal(sl_fs_read_file(missing, 10, &data, &len), -ENOENT);
	/* st_size says 0 for /proc files: the cap must still hold while reading to EOF. */
	assert_int_equal(sl_fs_read_file("/proc/self/status", 8, &data, &len), -SL_E_TOOBIG);
	assert_int_equal(sl_fs_read_file("/proc/self/status", 1u << 20, &data, &len), 0);
	assert_true(len > 8);
	assert_non_null(strstr(data, "Name:"));
	free(data);
	touch(p, "");
	assert_int_equal(sl_fs_read_file(p, 0, &data, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(data, "");
	free(data);
	free(missing);
	free(p);
}

static void test_fsync_dir(void **state)
{
	const char *dir = *state;
	char *f = path_in(dir, "f");
	char *missing = path_in(dir, "missing");
	touch(f, "x");
	assert_int_equal(sl_fs_fsync_dir(dir), 0);
	assert_int_equal(sl_fs_fsync_dir(f), -ENOTDIR);
	assert_int_equal(sl_fs_fsync_dir(missing), -ENOENT);
	free(f);
	free(missing);
}

/* Unnamed, private, writable at any offset; nothing appears in the directory; a bad directory is -errno. */
static void test_tmpfile_and_pwrite(void **state)
{
	const char *dir = *state;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	int fd = sl_fs_tmpfile(dfd);
	assert_true(fd >= 0);
	struct stat sb;
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(sb.st_nlink, 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sl_fs_pwrite_all(fd, "world", 5, 6), 0);
	assert_int_equal(sl_fs_write_all(fd, "hello ", 6), 0);   /* the position was not moved by pwrite */
	char buf[16] = { 0 };
	assert_int_equal(pread(fd, buf, sizeof buf, 0), 11);
	assert_string_equal(buf, "hello world");
	assert_int_equal(sl_fs_pwrite_all(fd, "x", 1, UINT64_MAX), -EINVAL);
	close(fd);
	char *f = path_in(dir, "file");
	touch(f, "x");
	int ffd = open(f, O_RDONLY | O_CLOEXEC);
	assert_int_equal(sl_fs_tmpfile(ffd), -ENOTDIR);
	close(ffd);
	free(f);
	assert_int_equal(sl_fs_tmpfile(-1), -EBADF);
	close(dfd);
	DIR *d = opendir(dir);
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		n += e->d_name[0] != '.';
	closedir(d);
	assert_int_equal(n, 1);   /* only "file" */
}

static void test_rmtree_no_follow(void **state)
{
	const char *dir = *state;
	char *outside = path_in(dir, "outside");
	char *victim = path_in(dir, "outside/keep");
	char *tree = path_in(dir, "tree");
	char *deep = path_in(dir, "tree/a/b/c");
	char *f1 = path_in(dir, "tree/a/file");
	char *ro = path_in(dir, "tree/a/b/c/readonly");
	char *l1 = path_in(dir, "tree/a/link-to-dir");
	char *l2 = path_in(dir, "tree/a/b/link-to-file");
	char *l3 = path_in(dir, "tree/dangling");
	assert_int_equal(sl_fs_mkdirs(outside, 0755), 0);
	assert_int_equal(sl_fs_mkdirs(deep, 0755), 0);
	touch(victim, "precious");
	touch(f1, "x");
	touch(ro, "x");
	assert_int_equal(chmod(ro, 0444), 0);
	assert_int_equal(symlink(outside, l1), 0);
	assert_int_equal(symlink(victim, l2), 0);
	assert_int_equal(symlink("/nonexistent/x", l3), 0);

	assert_int_equal(sl_fs_rmtree(tree), 0);
	struct stat st;
	assert_int_equal(lstat(tree, &st), -1);
	assert_int_equal(errno, ENOENT);
	/* What the links pointed at is untouched. */
	char *data;
	size_t len;
	assert_int_equal(sl_fs_read_file(victim, 100, &data, &len), 0);
	assert_string_equal(data, "precious");
	free(data);

	/* rmtree of a symlink to a directory removes the link only. */
	assert_int_equal(symlink(outside, tree), 0);
	assert_int_equal(sl_fs_rmtree(tree), 0);
	assert_int_equal(lstat(tree, &st), -1);
	assert_int_equal(stat(victim, &st), 0);
	/* Missing is success; a plain file is removed. */
	assert_int_equal(sl_fs_rmtree(tree), 0);
	assert_int_equal(sl_fs_rmtree(victim), 0);
	assert_int_equal(stat(victim, &st), -1);
	assert_int_equal(sl_fs_rmtree(""), -EINVAL);
	free(outside);
	free(victim);
	free(tree);
	free(deep);
	free(f1);
	free(ro);
	free(l1);
	free(l2);
	free(l3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mkdirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic_survives, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_file_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsync_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rmtree_no_follow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tmpfile_and_pwrite, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
