/* Tests for core/writeq: bytes appended to many files through one queue land at their offsets in every
 * file (chunks larger and smaller than a buffer, interleaved; more files than buffers), in order for the
 * consume callback, a failed background write is reported by the
 * next append and by drain, and the spare temp files are unnamed, writable, and never handed out twice. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/limits.h"
#include "core/writeq.h"
#include "tests/unit/lib/tmpdir.h"

#define FILES 7

static uint8_t byte_at(int file, size_t off)
{
	return (uint8_t)((off * 31u + (size_t)file * 7u) ^ (off >> 11));
}

struct seen {
	uint64_t n;
	int file;
	bool in_order;
};

/* A consume callback that checks it sees file 3's bytes in order. */
static int count_bytes(void *arg, const void *data, size_t len)
{
	struct seen *s = arg;
	const uint8_t *p = data;
	for (size_t i = 0; i < len; i++)
		s->in_order &= p[i] == byte_at(3, (size_t)s->n + i);
	s->n += len;
	return 0;
}

static void test_interleaved_files(void **state)
{
	struct seen seen = { .in_order = true };
	(void)state;
	char *dir = sl_test_tmpdir_new();
	assert_non_null(dir);
	struct sl_writeq *q = sl_writeq_new(NULL);
	assert_non_null(q);
	struct sl_writeq_file wf[FILES];
	size_t len[FILES], off[FILES];
	int fd[FILES];
	for (int i = 0; i < FILES; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/f%d", dir, i);
		fd[i] = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		assert_true(fd[i] >= 0);
		/* Files 0 and 1 start after an existing prefix (a resumed partial). */
		off[i] = i < 2 ? 1000 : 0;
		len[i] = (size_t)(i + 1) * (SL_WRITEQ_BUF_BYTES / 3) + 17;
		sl_writeq_file_init(&wf[i], fd[i], off[i], i == 3 ? count_bytes : NULL, &seen);
	}
	uint8_t *chunk = malloc(2 * SL_WRITEQ_BUF_BYTES + 1);
	assert_non_null(chunk);
	for (int pending = FILES; pending > 0;) {
		pending = 0;
		for (int i = 0; i < FILES; i++) {
			if (off[i] == len[i] + (i < 2 ? 1000 : 0))
				continue;
			size_t end = len[i] + (i < 2 ? 1000 : 0), step = (size_t)(i * 50000 + 1) % (2 * SL_WRITEQ_BUF_BYTES + 1);
			if (step == 0)
				step = 1;
			if (step > end - off[i])
				step = end - off[i];
			for (size_t k = 0; k < step; k++)
				chunk[k] = byte_at(i, off[i] + k);
			assert_int_equal(sl_writeq_append(q, &wf[i], chunk, step), 0);
			off[i] += step;
			pending++;
		}
	}
	free(chunk);
	for (int i = 0; i < FILES; i++) {
		assert_int_equal(sl_writeq_file_drain(q, &wf[i]), 0);
		assert_false(sl_writeq_file_busy(q, &wf[i]));
		struct stat sb;
		assert_int_equal(fstat(fd[i], &sb), 0);
		size_t start = i < 2 ? 1000 : 0;
		assert_int_equal((size_t)sb.st_size, start + len[i]);
		uint8_t *back = malloc(sb.st_size);
		assert_non_null(back);
		assert_int_equal(pread(fd[i], back, sb.st_size, 0), sb.st_size);
		for (size_t k = start; k < (size_t)sb.st_size; k++)
			if (back[k] != byte_at(i, k))
				fail_msg("file %d differs at byte %zu", i, k);
		free(back);
		close(fd[i]);
	}
	assert_true(seen.in_order);
	assert_int_equal(seen.n, len[3]);
	sl_writeq_free(q);
	sl_writeq_free(NULL);
	sl_test_tmpdir_free(dir);
}

/* More files open than buffers, each appended a little at a time: every buffer ends up some file's partial
 * fill, and the others must still get their bytes written (on the caller's thread) instead of waiting. */
static void test_more_files_than_buffers(void **state)
{
	(void)state;
	enum { M = 2 * SL_WRITEQ_BUFS + 3, LEN = 3000, STEP = 100 };
	char *dir = sl_test_tmpdir_new();
	assert_non_null(dir);
	struct sl_writeq *q = sl_writeq_new(NULL);
	assert_non_null(q);
	struct sl_writeq_file *wf = calloc(M, sizeof *wf);
	int *fd = calloc(M, sizeof *fd);
	assert_non_null(wf);
	assert_non_null(fd);
	for (int i = 0; i < M; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/m%d", dir, i);
		fd[i] = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		assert_true(fd[i] >= 0);
		sl_writeq_file_init(&wf[i], fd[i], 0, NULL, NULL);
	}
	uint8_t chunk[STEP];
	for (size_t off = 0; off < LEN; off += STEP)
		for (int i = 0; i < M; i++) {
			for (size_t k = 0; k < STEP; k++)
				chunk[k] = byte_at(i, off + k);
			assert_int_equal(sl_writeq_append(q, &wf[i], chunk, STEP), 0);
		}
	for (int i = 0; i < M; i++) {
		assert_int_equal(sl_writeq_file_drain(q, &wf[i]), 0);
		uint8_t back[LEN + 1];
		assert_int_equal(pread(fd[i], back, LEN + 1, 0), LEN);
		for (size_t k = 0; k < LEN; k++)
			if (back[k] != byte_at(i, k))
				fail_msg("file %d differs at byte %zu", i, k);
		close(fd[i]);
	}
	free(wf);
	free(fd);
	sl_writeq_free(q);
	sl_test_tmpdir_free(dir);
}

static void test_write_error(void **state)
{
	(void)state;
	char *dir = sl_test_tmpdir_new();
	assert_non_null(dir);
	char path[4096];
	snprintf(path, sizeof path, "%s/ro", dir);
	int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);   /* pwrite on it fails with EBADF */
	assert_true(fd >= 0);
	struct sl_writeq *q = sl_writeq_new(NULL);
	assert_non_null(q);
	struct sl_writeq_file wf;
	sl_writeq_file_init(&wf, fd, 0, NULL, NULL);
	assert_int_equal(sl_writeq_append(q, &wf, "abc", 3), 0);   /* queued: the failure comes later */
	assert_int_equal(sl_writeq_file_drain(q, &wf), -EBADF);
	assert_int_equal(sl_writeq_append(q, &wf, "def", 3), -EBADF);
	assert_int_equal(sl_writeq_file_drain(q, &wf), -EBADF);
	sl_writeq_free(q);
	close(fd);
	sl_test_tmpdir_free(dir);
}

/* A file that ends within SL_WRITEQ_DIRECT_MAX is consumed and written by flush itself: nothing is queued or
 * busy afterwards and its bytes are in the file before any drain; its failure is the drain's. A larger one
 * is still queued and lands whole after the drain. */
static void test_small_file_at_flush(void **state)
{
	(void)state;
	char *dir = sl_test_tmpdir_new();
	assert_non_null(dir);
	struct sl_writeq *q = sl_writeq_new(NULL);
	assert_non_null(q);
	size_t sizes[2] = { 1000, SL_WRITEQ_DIRECT_MAX + 1 };
	uint8_t *data = malloc(sizes[1]);
	assert_non_null(data);
	for (size_t i = 0; i < sizes[1]; i++)
		data[i] = byte_at(3, i);
	for (int k = 0; k < 2; k++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/s%d", dir, k);
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		assert_true(fd >= 0);
		struct seen seen = { .in_order = true };
		struct sl_writeq_file wf;
		sl_writeq_file_init(&wf, fd, 0, count_bytes, &seen);
		/* In two appends: both go into the one buffer. */
		assert_int_equal(sl_writeq_append(q, &wf, data, 100), 0);
		assert_int_equal(sl_writeq_append(q, &wf, data + 100, sizes[k] - 100), 0);
		sl_writeq_file_flush(q, &wf);
		if (k == 0) {
			assert_false(sl_writeq_file_busy(q, &wf));
			assert_int_equal(seen.n, sizes[0]);
			struct stat sb;
			assert_int_equal(fstat(fd, &sb), 0);
			assert_int_equal(sb.st_size, sizes[0]);
		}
		assert_int_equal(sl_writeq_file_drain(q, &wf), 0);
		assert_int_equal(seen.n, sizes[k]);
		assert_true(seen.in_order);
		uint8_t *back = malloc(sizes[k]);
		assert_non_null(back);
		assert_int_equal(pread(fd, back, sizes[k], 0), (ssize_t)sizes[k]);
		assert_memory_equal(back, data, sizes[k]);
		free(back);
		close(fd);
	}
	/* The direct write fails like a queued one: reported by drain and by the next append. */
	char path[4096];
	snprintf(path, sizeof path, "%s/ro", dir);
	int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	struct sl_writeq_file wf;
	sl_writeq_file_init(&wf, fd, 0, NULL, NULL);
	assert_int_equal(sl_writeq_append(q, &wf, "abc", 3), 0);
	sl_writeq_file_flush(q, &wf);
	assert_int_equal(sl_writeq_file_drain(q, &wf), -EBADF);
	assert_int_equal(sl_writeq_append(q, &wf, "def", 3), -EBADF);
	close(fd);
	free(data);
	sl_writeq_free(q);
	sl_test_tmpdir_free(dir);
}

static mode_t umask_of(void)
{
	mode_t m = umask(022);   /* called before any queue thread exists */
	umask(m);
	return m;
}

static void test_spare_tmpfiles(void **state)
{
	(void)state;
	char *dir = sl_test_tmpdir_new();
	assert_non_null(dir);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	mode_t um = umask_of();
	struct sl_writeq *q = sl_writeq_new(NULL);
	assert_non_null(q);
	enum { N = 3 * SL_WRITEQ_SPARES };
	int fds[N];
	for (int i = 0; i < N; i++) {
		fds[i] = sl_writeq_tmpfile(q, dfd, 0444);
		if (fds[i] == -EOPNOTSUPP || fds[i] == -EISDIR || fds[i] == -EINVAL)
			skip();   /* no O_TMPFILE on $TMPDIR's filesystem */
		assert_true(fds[i] >= 0);
		struct stat sb;
		assert_int_equal(fstat(fds[i], &sb), 0);
		assert_true(S_ISREG(sb.st_mode));
		assert_int_equal(sb.st_nlink, 0);   /* unnamed */
		assert_int_equal(sb.st_size, 0);
		assert_int_equal(sb.st_mode & 0777, 0444 & ~um);   /* born with the asked mode... */
		for (int j = 0; j < i; j++) {
			struct stat other;
			assert_int_equal(fstat(fds[j], &other), 0);
			assert_true(other.st_ino != sb.st_ino);   /* never the same file twice */
		}
		assert_int_equal(write(fds[i], "x", 1), 1);   /* ...and writable all the same */
		usleep(i % 4 == 0 ? 2000 : 0);   /* let the thread refill now and then */
	}
	/* Another directory is served too (without spares). */
	char sub[4096];
	snprintf(sub, sizeof sub, "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	int sfd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(sfd >= 0);
	int other = sl_writeq_tmpfile(q, sfd, 0600);
	assert_true(other >= 0);
	struct stat sb;
	assert_int_equal(fstat(other, &sb), 0);
	assert_int_equal(sb.st_nlink, 0);
	assert_int_equal(sb.st_mode & 0777, 0600 & ~um);
	close(other);
	/* And another mode in the spares' directory: not one of the spares. */
	other = sl_writeq_tmpfile(q, dfd, 0600);
	assert_true(other >= 0);
	assert_int_equal(fstat(other, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600 & ~um);
	close(other);
	close(sfd);
	sl_writeq_free(q);   /* closes the spares it still holds: nothing stays in the directory */
	for (int i = 0; i < N; i++)
		close(fds[i]);
	close(dfd);
	sl_test_tmpdir_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interleaved_files),
		cmocka_unit_test(test_more_files_than_buffers),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_small_file_at_flush),
		cmocka_unit_test(test_spare_tmpfiles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
