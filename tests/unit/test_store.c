/* Tests for core/store: objects become visible only when size and digest match; every failure (wrong
 * hash, short, long, cap, killed writer, tampered partial) leaves nothing in objects/, tmp/ or partial/;
 * concurrent writers of one object all succeed; resumable writes continue from their partial; corruption
 * on disk is detected; hostile digests are refused by every entry point. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/digest.h"
#include "core/error.h"
#include "core/store.h"
#include "core/writeq.h"
#include "tests/unit/lib/tmpdir.h"

#define OBJ_LEN (300u * 1024 + 17)   /* bytes: several writes, odd size */
#define WRITERS 8                    /* concurrent processes writing one object */

struct fx {
	char *dir;
	struct sl_store *st;
	size_t fds;   /* open descriptors before the test: a leak shows at teardown */
};

static size_t open_fds(void)
{
	size_t n = 0;
	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) != -1;
	return n;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	if (f == NULL)
		return -1;
	f->fds = open_fds();
	f->dir = sl_test_tmpdir_new();
	char *cause = NULL;
	f->st = f->dir ? sl_store_open(f->dir, &cause) : NULL;
	if (f->st == NULL) {
		fprintf(stderr, "store open: %s\n", cause ? cause : "?");
		free(cause);
		sl_test_tmpdir_free(f->dir);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	sl_store_free(f->st);
	sl_test_tmpdir_free(f->dir);
	size_t before = f->fds;
	free(f);
	if (open_fds() != before) {
		fprintf(stderr, "descriptor leak: %zu open before, %zu after\n", before, open_fds());
		return -1;
	}
	return 0;
}

static uint8_t *make_data(size_t n, uint32_t seed)
{
	uint8_t *p = malloc(n);
	assert_non_null(p);
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
	return p;
}

static size_t nfiles;
static int count_cb(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)p;
	(void)sb;
	(void)ftw;
	if (type != FTW_D && type != FTW_DP)
		nfiles++;
	return 0;
}

/* Non-directory entries below STATE/store/<sub>. */
static size_t files_in(struct fx *f, const char *sub)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", sl_store_root(f->st), sub);
	nfiles = 0;
	assert_int_equal(nftw(path, count_cb, 16, FTW_PHYS), 0);
	return nfiles;
}

static void assert_store_empty(struct fx *f)
{
	assert_int_equal(files_in(f, "objects"), 0);
	assert_int_equal(files_in(f, "tmp"), 0);
	assert_int_equal(files_in(f, "partial"), 0);
}

static void write_chunks(struct sl_store_writer *w, const uint8_t *p, size_t n)
{
	for (size_t off = 0; off < n;) {
		size_t step = n - off < 65536 ? n - off : 65536;
		assert_int_equal(sl_store_writer_write(w, p + off, step), 0);
		off += step;
	}
}

static void test_put_read(void **state)
{
	struct fx *f = *state;
	uint8_t *data = make_data(OBJ_LEN, 1);
	char hex[SL_SHA256_HEX], got[SL_SHA256_HEX];
	sl_digest_sha256(data, OBJ_LEN, hex);
	struct sl_store_expect ex = { .sha256 = hex, .size = OBJ_LEN, .max_size = 0 };
	assert_int_equal(sl_store_put(f->st, data, OBJ_LEN, &ex, got), 0);
	assert_string_equal(got, hex);
	assert_true(sl_store_has(f->st, hex));
	assert_true(sl_store_has_size(f->st, hex, OBJ_LEN));
	assert_false(sl_store_has_size(f->st, hex, OBJ_LEN - 1)); /* a torn object does not count */
	assert_false(sl_store_has_size(f->st, hex, OBJ_LEN + 1));
	assert_false(sl_store_has_size(f->st, "../../etc/passwd", OBJ_LEN));

	char path[4096], want[4096];
	assert_int_equal(sl_store_object_path(f->st, hex, path, sizeof path), 0);
	snprintf(want, sizeof want, "%s/store/objects/%.2s/%s", f->dir, hex, hex);
	assert_string_equal(path, want);
	assert_int_equal(sl_store_object_path(f->st, hex, path, 10), -SL_E_TOOBIG);
	struct stat sb;
	assert_int_equal(stat(want, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0444);

	int fd;
	uint64_t size;
	assert_int_equal(sl_store_open_object(f->st, hex, &fd, &size), 0);
	assert_int_equal(size, OBJ_LEN);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);

	uint8_t *back;
	size_t len;
	assert_int_equal(sl_store_read(f->st, hex, OBJ_LEN, &back, &len), 0);
	assert_int_equal(len, OBJ_LEN);
	assert_memory_equal(back, data, OBJ_LEN);
	assert_int_equal(back[len], 0);
	free(back);
	assert_int_equal(sl_store_read(f->st, hex, OBJ_LEN - 1, &back, &len), -SL_E_TOOBIG);
	assert_null(back);

	/* Same object again, and without expectations: dedupe, one file. */
	assert_int_equal(sl_store_put(f->st, data, OBJ_LEN, NULL, got), 0);
	assert_string_equal(got, hex);
	assert_int_equal(files_in(f, "objects"), 1);
	assert_int_equal(files_in(f, "tmp"), 0);

	/* Empty object is a valid object. */
	assert_int_equal(sl_store_put(f->st, "", 0, NULL, got), 0);
	assert_string_equal(got, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(sl_store_check(f->st, got, &size), 0);
	assert_int_equal(size, 0);

	char missing[SL_SHA256_HEX];
	sl_digest_sha256("missing", 7, missing);
	assert_false(sl_store_has(f->st, missing));
	assert_false(sl_store_has_size(f->st, missing, 0));
	assert_int_equal(sl_store_open_object(f->st, missing, &fd, &size), -SL_E_NOTFOUND);
	assert_int_equal(sl_store_check(f->st, missing, NULL), -SL_E_NOTFOUND);
	assert_int_equal(sl_store_remove(f->st, hex), 0);
	assert_false(sl_store_has(f->st, hex));
	assert_int_equal(sl_store_remove(f->st, hex), 0);
	free(data);
}

static void hash_mismatch(struct fx *f, unsigned flags)
{
	uint8_t *data = make_data(OBJ_LEN, 2);
	char other[SL_SHA256_HEX], got[SL_SHA256_HEX] = "junk";
	sl_digest_sha256("something else", 14, other);
	struct sl_store_expect ex = { .sha256 = other, .size = OBJ_LEN, .max_size = 0 };
	char *cause = NULL;
	struct sl_store_writer *w = sl_store_writer_new(f->st, &ex, flags, &cause);
	assert_non_null(w);
	write_chunks(w, data, OBJ_LEN);
	assert_int_equal(sl_store_writer_commit(w, got), -SL_E_DIGEST);
	assert_string_equal(got, "");
	assert_store_empty(f);
	free(data);
}

static void test_hash_mismatch(void **state)
{
	hash_mismatch(*state, 0);
	hash_mismatch(*state, SL_STORE_NAMED_TEMP);
	hash_mismatch(*state, SL_STORE_RESUMABLE);
	hash_mismatch(*state, SL_STORE_DEFER_SYNC);
}

static void test_size_mismatch(void **state)
{
	struct fx *f = *state;
	uint8_t *data = make_data(OBJ_LEN, 3);
	char hex[SL_SHA256_HEX];
	sl_digest_sha256(data, OBJ_LEN, hex);
	static const unsigned flag_sets[] = { 0, SL_STORE_NAMED_TEMP, SL_STORE_RESUMABLE };
	for (size_t i = 0; i < sizeof flag_sets / sizeof flag_sets[0]; i++) {
		/* Short: upstream closed early. */
		struct sl_store_expect ex = { .sha256 = hex, .size = OBJ_LEN + 1, .max_size = 0 };
		struct sl_store_writer *w = sl_store_writer_new(f->st, &ex, flag_sets[i], NULL);
		assert_non_null(w);
		write_chunks(w, data, OBJ_LEN);
		assert_int_equal(sl_store_writer_commit(w, NULL), -SL_E_SIZE);
		assert_store_empty(f);
		/* Long: the byte past the declared size is refused at once, and so is the commit. */
		ex.size = OBJ_LEN - 1;
		w = sl_store_writer_new(f->st, &ex, flag_sets[i], NULL);
		assert_non_null(w);
		assert_int_equal(sl_store_writer_write(w, data, OBJ_LEN - 1), 0);
		assert_int_equal(sl_store_writer_write(w, data + OBJ_LEN - 1, 1), -SL_E_TOOBIG);
		assert_int_equal(sl_store_writer_write(w, "", 0), -SL_E_TOOBIG);
		assert_int_equal(sl_store_writer_size(w), OBJ_LEN - 1);
		assert_int_equal(sl_store_writer_commit(w, NULL), -SL_E_TOOBIG);
		assert_store_empty(f);
		/* Long in one write, then aborted. */
		w = sl_store_writer_new(f->st, &ex, flag_sets[i], NULL);
		assert_non_null(w);
		assert_int_equal(sl_store_writer_write(w, data, OBJ_LEN), -SL_E_TOOBIG);
		sl_store_writer_abort(w, false);
		assert_store_empty(f);
	}
	/* sl_store_put checks the same way. */
	struct sl_store_expect ex = { .sha256 = NULL, .size = 10, .max_size = 0 };
	assert_int_equal(sl_store_put(f->st, data, 11, &ex, NULL), -SL_E_TOOBIG);
	assert_int_equal(sl_store_put(f->st, data, 9, &ex, NULL), -SL_E_SIZE);
	assert_store_empty(f);
	free(data);
}

static void test_max_size(void **state)
{
	struct fx *f = *state;
	uint8_t *data = make_data(2000, 4);
	struct sl_store_expect ex = { .sha256 = NULL, .size = -1, .max_size = 1000 };
	struct sl_store_writer *w = sl_store_writer_new(f->st, &ex, 0, NULL);
	assert_non_null(w);
	assert_int_equal(sl_store_writer_write(w, data, 600), 0);
	assert_int_equal(sl_store_writer_write(w, data, 401), -SL_E_TOOBIG);
	assert_int_equal(sl_store_writer_commit(w, NULL), -SL_E_TOOBIG);
	assert_int_equal(sl_store_put(f->st, data, 1001, &ex, NULL), -SL_E_TOOBIG);
	assert_int_equal(sl_store_put(f->st, data, 1000, &ex, NULL), 0);
	assert_int_equal(files_in(f, "objects"), 1);
	/* A declared size above the cap is refused up front. */
	ex.size = 1001;
	char *cause = NULL;
	assert_null(sl_store_writer_new(f->st, &ex, 0, &cause));
	assert_non_null(cause);
	assert_non_null(strstr(cause, "cap"));
	free(cause);
	assert_int_equal(sl_store_put(f->st, data, 1001, &ex, NULL), -SL_E_TOOBIG);
	assert_int_equal(files_in(f, "tmp"), 0);
	free(data);
}

/* Fork a writer, let it write half of data, SIGKILL it. */
static void kill_writer_midway(struct fx *f, const uint8_t *data, size_t n, const char *hex, unsigned flags)
{
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(ready[0]);
		struct sl_store *st = sl_store_open(f->dir, NULL);
		struct sl_store_expect ex = { .sha256 = hex, .size = (int64_t)n, .max_size = 0 };
		struct sl_store_writer *w = st ? sl_store_writer_new(st, &ex, flags, NULL) : NULL;
		if (w == NULL || sl_store_writer_write(w, data, n / 2) != 0)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	char c;
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	assert_int_equal(kill(pid, SIGKILL), 0);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void test_sigkill_writer(void **state)
{
	struct fx *f = *state;
	uint8_t *data = make_data(OBJ_LEN, 5);
	char hex[SL_SHA256_HEX];
	sl_digest_sha256(data, OBJ_LEN, hex);

	kill_writer_midway(f, data, OBJ_LEN, hex, 0);
	assert_false(sl_store_has(f->st, hex));
	assert_int_equal(files_in(f, "objects"), 0);
	assert_int_equal(files_in(f, "partial"), 0);
	/* O_TMPFILE: a dead writer leaves nothing at all (where the filesystem has it). */
	char tmpdir[4200];
	snprintf(tmpdir, sizeof tmpdir, "%s/tmp", sl_store_root(f->st));
	int probe = open(tmpdir, O_TMPFILE | O_RDWR, 0600);
	size_t dead = probe >= 0 ? 0 : 1;
	if (probe >= 0)
		close(probe);
	assert_int_equal(files_in(f, "tmp"), dead);

	kill_writer_midway(f, data, OBJ_LEN, hex, SL_STORE_NAMED_TEMP);
	assert_false(sl_store_has(f->st, hex));
	assert_int_equal(files_in(f, "objects"), 0);
	assert_int_equal(files_in(f, "tmp"), dead + 1);   /* the dead writer's temp, invisible */

	/* The store still works, and the day-old sweep at open removes the dead temp. */
	char got[SL_SHA256_HEX];
	assert_int_equal(sl_store_put(f->st, data, OBJ_LEN, NULL, got), 0);
	assert_string_equal(got, hex);
	assert_int_equal(sl_store_check(f->st, hex, NULL), 0);
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "touch -d '2 days ago' '%s'/tmp/*", sl_store_root(f->st));
	assert_int_equal(system(cmd), 0);
	/* A fresh temp (a live writer elsewhere) must survive the sweep. */
	snprintf(cmd, sizeof cmd, "touch '%s'/tmp/live", sl_store_root(f->st));
	assert_int_equal(system(cmd), 0);
	struct sl_store *again = sl_store_open(f->dir, NULL);
	assert_non_null(again);
	sl_store_free(again);
	assert_int_equal(files_in(f, "tmp"), 1);
	snprintf(cmd, sizeof cmd, "%s/tmp/live", sl_store_root(f->st));
	assert_int_equal(unlink(cmd), 0);
	free(data);
}

/* A resumable writer killed half-way: a new writer continues from the bytes it left. */
static void test_sigkill_resume(void **state)
{
	struct fx *f = *state;
	uint8_t *data = make_data(OBJ_LEN, 6);
	char hex[SL_SHA256_HEX], got[SL_SHA256_HEX];
	sl_digest_sha256(data, OBJ_LEN, hex);
	kill_writer_midway(f, data, OBJ_LEN, hex, SL_STORE_RESUMABLE);
	assert_false(sl_store_has(f->st, hex));
	assert_int_equal(files_in(f, "objects"), 0);
	assert_int_equal(files_in(f, "partial"), 1);

	struct sl_store_expect ex = { .sha256 = hex, .size = OBJ_LEN, .max_size = 0 };
	struct sl_store_writer *w = sl_store_writer_new(f->st, &ex, SL_STORE_RESUMABLE, NULL);
	assert_non_null(w);
	assert_int_equal(sl_store_writer_offset(w), OBJ_LEN / 2);
	write_chunks(w, data + OBJ_LEN / 2, OBJ_LEN - OBJ_LEN / 2);
	assert_int_equal(sl_store_writer_commit(w, got), 0);
	assert_string_equal(got, hex);
	assert_int_equal(sl_store_check(f->st, hex, NULL), 0);
	assert_int_equal(files_in(f, "partial"), 0);
	assert_int_equal(files_in(f, "tmp"), 0);
	free(data);
}

static void test_concurrent_writers(void **state)
{
	struct fx *f = *state;
	size_t n = 2u << 20;
	uint8_t *data = make_data(n, 7);
	char hex[SL_SHA256_HEX];
	sl_digest_sha256(data, n, hex);
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t pids[WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] != 0)
			continue;
		close(go[1]);
		char c;
		if (read(go[0], &c, 1) != 0)   /* EOF: everyone starts together */
			_exit(2);
		static const unsigned flags[] = { 0, SL_STORE_NAMED_TEMP, SL_STORE_RESUMABLE,
						  SL_STORE_DEFER_SYNC };
		struct sl_store *st = sl_store_open(f->dir, NULL);
		struct sl_store_expect ex = { .sha256 = hex, .size = (int64_t)n, .max_size = 0 };
		struct sl_store_writer *w = st ? sl_store_writer_new(st, &ex, flags[i % 4], NULL) : NULL;
		if (w == NULL)
			_exit(3);
		for (size_t off = sl_store_writer_offset(w); off < n; off += 32768)
			if (sl_store_writer_write(w, data + off, n - off < 32768 ? n - off : 32768) != 0)
				_exit(4);
		char got[SL_SHA256_HEX];
		if (sl_store_writer_commit(w, got) != 0 || strcmp(got, hex) != 0)
			_exit(5);
		sl_store_free(st);
		_exit(0);
	}
	close(go[0]);
	close(go[1]);
	for (int i = 0; i < WRITERS; i++) {
		int status;
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	uint64_t size;
	assert_int_equal(sl_store_check(f->st, hex, &size), 0);
	assert_int_equal(size, n);
	assert_int_equal(files_in(f, "objects"), 1);
	assert_int_equal(files_in(f, "tmp"), 0);
	assert_int_equal(files_in(f, "partial"), 0);
	assert_int_equal(sl_store_sync(f->st), 0);
	free(data);
}

static void partial_path(struct fx *f, const char *hex, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/partial/%s.part", sl_store_root(f->st), hex);
}

static void test_resume_after_abort(void **state)
{
	struct fx *f = *state;
	uint8_t *data = make_data(OBJ_LEN, 8);
	char hex[SL_SHA256_HEX], got[SL_SHA256_HEX], part[4200];
	sl_digest_sha256(data, OBJ_LEN, hex);
	partial_path(f, hex, part, sizeof part);
	struct sl_store_expect ex = { .sha256 = hex, .size = OBJ_LEN, .max_size = 0 };
	struct sl_store_writer *w = sl_store_writer_new(f->st, &ex, SL_STORE_RESUMABLE, NULL);
	assert_non_null(w);
	assert_int_equal(sl_store_writer_offset(w), 0);
	assert_int_equal(sl_store_writer_write(w, data, 100000), 0);
	sl_store_writer_abort(w, true);
	struct stat sb;
	assert_int_equal(stat(part, &sb), 0);
	assert_int_equal(sb.st_size, 100000);
	assert_int_equal(files_in(f, "objects"), 0);

	/* A plain (non-resumable) writer ignores the partial. */
	w = sl_store_writer_new(f->st, &ex, 0, NULL);
	assert_int_equal(sl_store_writer_offset(w), 0);
	sl_store_writer_abort(w, true);
	assert_int_equal(stat(part, &sb), 0);

	w = sl_store_writer_new(f->st, &ex, SL_STORE_RESUMABLE, NULL);
	assert_non_null(w);
	assert_int_equal(sl_store_writer_offset(w), 100000);
	assert_int_equal(sl_store_writer_size(w), 100000);
	write_chunks(w, data + 100000, OBJ_LEN - 100000);
	assert_int_equal(sl_store_writer_commit(w, got), 0);
	assert_string_equal(got, hex);
	assert_int_equal(sl_store_check(f->st, hex, NULL), 0);
	assert_int_equal(stat(part, &sb), -1);

	/* abort without keep removes the partial. */
	assert_int_equal(sl_store_remove(f->st, hex), 0);
	w = sl_store_writer_new(f->st, &ex, SL_STORE_RESUMABLE, NULL);
	assert_int_equal(sl_store_writer_write(w, data, 1000), 0);
	sl_store_writer_abort(w, false);
	assert_store_empty(f);

	/* Resumable needs a digest to name its partial. */
	struct sl_store_expect anon = { .sha256 = NULL, .size = -1, .max_size = 0 };
	char *cause = NULL;
	assert_null(sl_store_writer_new(f->st, &anon, SL_STORE_RESUMABLE, &cause));
	assert_non_null(cause);
	free(cause);
	free(data);
}

/* Two resumable writers of one digest: the second must not share (or resume) the partial the first is
 * still writing; it writes a plain temp, and both commits succeed. */
static void test_partial_contention(void **state)
{
	struct fx *f = *state;
	uint8_t *data = make_data(OBJ_LEN, 14);
	char hex[SL_SHA256_HEX], got[SL_SHA256_HEX];
	sl_digest_sha256(data, OBJ_LEN, hex);
	struct sl_store_expect ex = { .sha256 = hex, .size = OBJ_LEN, .max_size = 0 };
	struct sl_store_writer *w1 = sl_store_writer_new(f->st, &ex, SL_STORE_RESUMABLE, NULL);
	assert_non_null(w1);
	assert_int_equal(sl_store_writer_write(w1, data, 1000), 0);
	struct sl_store_writer *w2 = sl_store_writer_new(f->st, &ex, SL_STORE_RESUMABLE, NULL);
	assert_non_null(w2);
	assert_int_equal(sl_store_writer_offset(w2), 0);
	write_chunks(w2, data, OBJ_LEN);
	assert_int_equal(sl_store_writer_commit(w2, got), 0);
	assert_string_equal(got, hex);
	assert_int_equal(files_in(f, "partial"), 1);   /* still w1's */
	write_chunks(w1, data + 1000, OBJ_LEN - 1000);
	assert_int_equal(sl_store_writer_commit(w1, got), 0);
	assert_string_equal(got, hex);
	assert_int_equal(sl_store_check(f->st, hex, NULL), 0);
	assert_int_equal(files_in(f, "objects"), 1);
	assert_int_equal(files_in(f, "partial"), 0);
	assert_int_equal(files_in(f, "tmp"), 0);
	free(data);
}

static void test_tampered_partial(void **state)
{
	struct fx *f = *state;
	uint8_t *data = make_data(OBJ_LEN, 9);
	char hex[SL_SHA256_HEX], part[4200];
	sl_digest_sha256(data, OBJ_LEN, hex);
	partial_path(f, hex, part, sizeof part);
	struct sl_store_expect ex = { .sha256 = hex, .size = OBJ_LEN, .max_size = 0 };
	struct sl_store_writer *w = sl_store_writer_new(f->st, &ex, SL_STORE_RESUMABLE, NULL);
	assert_non_null(w);
	assert_int_equal(sl_store_writer_write(w, data, 100000), 0);
	sl_store_writer_abort(w, true);

	int fd = open(part, O_RDWR);
	assert_true(fd >= 0);
	uint8_t b = data[5000] ^ 0x01;
	assert_int_equal(pwrite(fd, &b, 1, 5000), 1);
	close(fd);

	w = sl_store_writer_new(f->st, &ex, SL_STORE_RESUMABLE, NULL);
	assert_non_null(w);
	assert_int_equal(sl_store_writer_offset(w), 100000);
	write_chunks(w, data + 100000, OBJ_LEN - 100000);
	assert_int_equal(sl_store_writer_commit(w, NULL), -SL_E_DIGEST);
	assert_false(sl_store_has(f->st, hex));
	assert_store_empty(f);   /* the bad partial is gone too: the next attempt starts clean */
	free(data);
}

static void test_oversized_partial(void **state)
{
	struct fx *f = *state;
	uint8_t *data = make_data(OBJ_LEN + 10, 10);
	char hex[SL_SHA256_HEX], part[4200];
	sl_digest_sha256(data, OBJ_LEN, hex);
	partial_path(f, hex, part, sizeof part);
	/* A partial longer than the expected object cannot be its prefix. */
	int fd = open(part, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, OBJ_LEN + 10), OBJ_LEN + 10);
	close(fd);
	struct sl_store_expect ex = { .sha256 = hex, .size = OBJ_LEN, .max_size = 0 };
	struct sl_store_writer *w = sl_store_writer_new(f->st, &ex, SL_STORE_RESUMABLE, NULL);
	assert_non_null(w);
	assert_int_equal(sl_store_writer_offset(w), 0);
	write_chunks(w, data, OBJ_LEN);
	assert_int_equal(sl_store_writer_commit(w, NULL), 0);
	assert_int_equal(sl_store_check(f->st, hex, NULL), 0);
	assert_int_equal(files_in(f, "partial"), 0);

	/* Size unknown: the cap decides. */
	fd = open(part, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, 2000), 2000);
	close(fd);
	struct sl_store_expect capped = { .sha256 = hex, .size = -1, .max_size = 1000 };
	w = sl_store_writer_new(f->st, &capped, SL_STORE_RESUMABLE, NULL);
	assert_non_null(w);
	assert_int_equal(sl_store_writer_offset(w), 0);
	sl_store_writer_abort(w, false);
	assert_int_equal(files_in(f, "partial"), 0);
	free(data);
}

/* A crash between commit's chmod and unlink can leave a read-only partial: it must not block the digest
 * forever (as an unprivileged user it cannot be opened for writing). */
static void test_readonly_partial(void **state)
{
	struct fx *f = *state;
	uint8_t *data = make_data(OBJ_LEN, 15);
	char hex[SL_SHA256_HEX], part[4200], got[SL_SHA256_HEX];
	sl_digest_sha256(data, OBJ_LEN, hex);
	partial_path(f, hex, part, sizeof part);
	int fd = open(part, O_WRONLY | O_CREAT | O_EXCL, 0444);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, 5000), 5000);
	close(fd);
	struct sl_store_expect ex = { .sha256 = hex, .size = OBJ_LEN, .max_size = 0 };
	struct sl_store_writer *w = sl_store_writer_new(f->st, &ex, SL_STORE_RESUMABLE, NULL);
	assert_non_null(w);
	uint64_t off = sl_store_writer_offset(w);
	assert_true(off == 0 || off == 5000);   /* root may still resume it; others start over */
	write_chunks(w, data + off, OBJ_LEN - off);
	assert_int_equal(sl_store_writer_commit(w, got), 0);
	assert_string_equal(got, hex);
	assert_int_equal(files_in(f, "partial"), 0);
	free(data);
}

static void test_check_detects_corruption(void **state)
{
	struct fx *f = *state;
	uint8_t *data = make_data(OBJ_LEN, 11);
	char hex[SL_SHA256_HEX], path[4096];
	assert_int_equal(sl_store_put(f->st, data, OBJ_LEN, NULL, hex), 0);
	uint64_t size = 0;
	assert_int_equal(sl_store_check(f->st, hex, &size), 0);
	assert_int_equal(size, OBJ_LEN);
	assert_int_equal(sl_store_object_path(f->st, hex, path, sizeof path), 0);
	assert_int_equal(chmod(path, 0644), 0);
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	uint8_t b = data[OBJ_LEN / 3] ^ 0x80;
	assert_int_equal(pwrite(fd, &b, 1, OBJ_LEN / 3), 1);
	close(fd);
	assert_int_equal(sl_store_check(f->st, hex, &size), -SL_E_DIGEST);
	uint8_t *back;
	size_t len;
	assert_int_equal(sl_store_read(f->st, hex, OBJ_LEN, &back, &len), -SL_E_DIGEST);
	assert_null(back);
	free(data);
}

/* An object torn by a crash before sl_store_sync (simulated by truncation) is repaired by the next
 * commit of the same digest instead of being deduplicated against. */
static void test_torn_object_replaced(void **state)
{
	struct fx *f = *state;
	uint8_t *data = make_data(OBJ_LEN, 12);
	char hex[SL_SHA256_HEX], path[4096];
	assert_int_equal(sl_store_put(f->st, data, OBJ_LEN, NULL, hex), 0);
	assert_int_equal(sl_store_object_path(f->st, hex, path, sizeof path), 0);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(sl_store_check(f->st, hex, NULL), -SL_E_DIGEST);
	struct sl_store_expect ex = { .sha256 = hex, .size = OBJ_LEN, .max_size = 0 };
	struct sl_store_writer *w = sl_store_writer_new(f->st, &ex, SL_STORE_DEFER_SYNC, NULL);
	assert_non_null(w);
	write_chunks(w, data, OBJ_LEN);
	assert_int_equal(sl_store_writer_commit(w, NULL), 0);
	assert_int_equal(sl_store_sync(f->st), 0);
	assert_int_equal(sl_store_check(f->st, hex, NULL), 0);
	assert_int_equal(files_in(f, "objects"), 1);
	assert_int_equal(files_in(f, "tmp"), 0);
	free(data);
}

static int put_deferred(struct sl_store *st, const uint8_t *data, size_t len, char hex[SL_SHA256_HEX])
{
	struct sl_store_writer *w = sl_store_writer_new(st, NULL, SL_STORE_DEFER_SYNC, NULL);
	assert_non_null(w);
	assert_int_equal(sl_store_writer_write(w, data, len), 0);
	return sl_store_writer_commit(w, hex);
}

/* DEFER_SYNC commits keep one fd per fan-out directory (objects/ab) for the store's life: many objects in
 * one directory, the same object twice (deduplicated), a directory another process created meanwhile, and
 * never through a symlink planted where a directory not yet used belongs. The fds go with the store
 * (teardown checks for leaks). */
static void test_deferred_fanout(void **state)
{
	enum { SMALL_LEN = 1000 };   /* bytes: a .deb of a synthetic archive */
	struct fx *f = *state;
	char hex[SL_SHA256_HEX], first[SL_SHA256_HEX], path[4096];
	uint8_t *data = make_data(SMALL_LEN, 21);
	assert_int_equal(put_deferred(f->st, data, SMALL_LEN, first), 0);
	/* Objects sharing the first's directory: vary one byte until the digest starts the same way. */
	int same_dir = 0;
	for (int i = 0; i < 4000 && same_dir < 3; i++) {
		data[0] = (uint8_t)i;
		data[1] = (uint8_t)(i >> 8);
		sl_digest_sha256(data, SMALL_LEN, hex);
		if (memcmp(hex, first, 2) != 0)
			continue;
		assert_int_equal(put_deferred(f->st, data, SMALL_LEN, hex), 0);
		assert_int_equal(put_deferred(f->st, data, SMALL_LEN, hex), 0);   /* again: dedupe */
		assert_int_equal(sl_store_check(f->st, hex, NULL), 0);
		same_dir++;
	}
	assert_true(same_dir >= 1);
	/* A second handle (another process) adds to a directory this one has cached, and vice versa. */
	char *cause = NULL;
	struct sl_store *other = sl_store_open(f->dir, &cause);
	assert_non_null(other);
	data[0] ^= 0x55;
	assert_int_equal(put_deferred(other, data, SMALL_LEN, hex), 0);
	assert_int_equal(put_deferred(f->st, data, SMALL_LEN, hex), 0);
	assert_true(sl_store_has_size(f->st, hex, SMALL_LEN));
	sl_store_free(other);
	/* A symlink where an unused fan-out directory belongs is not followed. */
	char target[4096];
	snprintf(target, sizeof target, "%s/elsewhere", f->dir);
	assert_int_equal(mkdir(target, 0755), 0);
	for (int i = 0; i < 10000; i++) {
		data[2] = (uint8_t)i;
		data[3] = (uint8_t)(i >> 8);
		sl_digest_sha256(data, SMALL_LEN, hex);
		char fan[3] = { hex[0], hex[1], '\0' };
		snprintf(path, sizeof path, "%s/store/objects/%s", f->dir, fan);
		struct stat sb;
		if (lstat(path, &sb) == 0)
			continue;   /* used already */
		assert_int_equal(symlink(target, path), 0);
		assert_true(put_deferred(f->st, data, SMALL_LEN, hex) < 0);
		assert_false(sl_store_has(f->st, hex));
		break;
	}
	nfiles = 0;
	assert_int_equal(nftw(target, count_cb, 8, FTW_PHYS), 0);
	assert_int_equal(nfiles, 0);
	assert_int_equal(files_in(f, "tmp"), 0);
	free(data);
}

static void test_invalid_digests(void **state)
{
	struct fx *f = *state;
	char valid[SL_SHA256_HEX];
	sl_digest_sha256("x", 1, valid);
	char upper[SL_SHA256_HEX], short63[SL_SHA256_HEX], long65[SL_SHA256_HEX + 1], dots[SL_SHA256_HEX],
		nul[SL_SHA256_HEX];
	strcpy(upper, valid);
	upper[5] = 'A';
	upper[6] = 'F';
	memcpy(short63, valid, 63);
	short63[63] = '\0';
	snprintf(long65, sizeof long65, "%sa", valid);
	strcpy(dots, valid);
	memcpy(dots, "../", 3);
	strcpy(nul, valid);
	nul[20] = '\0';
	const char *bad[] = { upper, short63, long65, dots, nul, "", "../../../etc/passwd", "sha256:x" };
	uint8_t *data = make_data(100, 13);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char path[4096];
		int fd = 42;
		uint64_t size;
		uint8_t *p = (uint8_t *)1;
		size_t len;
		assert_false(sl_store_has(f->st, bad[i]));
		assert_int_equal(sl_store_object_path(f->st, bad[i], path, sizeof path), -SL_E_BADNAME);
		assert_int_equal(sl_store_open_object(f->st, bad[i], &fd, &size), -SL_E_BADNAME);
		assert_int_equal(fd, -1);
		assert_int_equal(sl_store_read(f->st, bad[i], 1000, &p, &len), -SL_E_BADNAME);
		assert_int_equal(sl_store_check(f->st, bad[i], NULL), -SL_E_BADNAME);
		assert_int_equal(sl_store_remove(f->st, bad[i]), -SL_E_BADNAME);
		struct sl_store_expect ex = { .sha256 = bad[i], .size = -1, .max_size = 0 };
		char *cause = NULL;
		assert_null(sl_store_writer_new(f->st, &ex, 0, &cause));
		assert_non_null(cause);
		free(cause);
		assert_null(sl_store_writer_new(f->st, &ex, SL_STORE_RESUMABLE, NULL));
		assert_int_equal(sl_store_put(f->st, data, 100, &ex, NULL), -SL_E_BADNAME);
	}
	assert_false(sl_store_has(f->st, NULL));
	assert_store_empty(f);
	/* Unknown flags are refused too. */
	assert_null(sl_store_writer_new(f->st, NULL, 1u << 30, NULL));
	free(data);
}

struct seen {
	unsigned valid;
	unsigned stray;
	unsigned stop_after;
};

static int seen_cb(void *arg, const char *sha256, const char *path)
{
	struct seen *s = arg;
	assert_non_null(path);
	if (sha256 != NULL) {
		assert_true(sl_digest_valid_sha256(sha256));
		assert_non_null(strstr(path, sha256));
		s->valid++;
	} else {
		s->stray++;
	}
	if (s->stop_after != 0 && s->valid + s->stray >= s->stop_after)
		return 7;
	return 0;
}

static void test_foreach(void **state)
{
	struct fx *f = *state;
	char hex[3][SL_SHA256_HEX];
	for (int i = 0; i < 3; i++)
		assert_int_equal(sl_store_put(f->st, &i, sizeof i, NULL, hex[i]), 0);
	char cmd[8500];
	const char *r = sl_store_root(f->st);
	/* Strays: a top-level file, a non-digest in a fan-out dir, a digest in the wrong fan-out dir. */
	char wrong[3] = { hex[0][0] == '0' ? '1' : '0', '0', '\0' };
	snprintf(cmd, sizeof cmd, "touch %s/objects/junk && touch %s/objects/%.2s/notadigest && "
		 "mkdir -p %s/objects/%s && touch %s/objects/%s/%s", r, r, hex[1], r, wrong, r, wrong, hex[0]);
	assert_int_equal(system(cmd), 0);
	struct seen s = { 0, 0, 0 };
	assert_int_equal(sl_store_foreach(f->st, seen_cb, &s), 0);
	assert_int_equal(s.valid, 3);
	assert_int_equal(s.stray, 3);
	struct seen stop = { 0, 0, 2 };
	assert_int_equal(sl_store_foreach(f->st, seen_cb, &stop), 7);
	assert_int_equal(stop.valid + stop.stray, 2);
}

static void test_open_errors(void **state)
{
	struct fx *f = *state;
	char *cause = NULL;
	char file[4096];
	snprintf(file, sizeof file, "%s/plainfile", f->dir);
	FILE *fp = fopen(file, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_null(sl_store_open(file, &cause));
	assert_non_null(cause);
	free(cause);
	assert_null(sl_store_open("", &cause));
	assert_non_null(cause);
	free(cause);
	assert_null(sl_store_open(NULL, NULL));
}

/* Write-behind writers (the fetch engine's): the same bytes, digests and failures as plain writers, with
 * several writers of different objects interleaved on one queue and the temp files coming from its spares. */
static void test_write_behind(void **state)
{
	struct fx *f = *state;
	char *cause = NULL;
	struct sl_writeq *q = sl_writeq_new(&cause);
	assert_non_null(q);
	enum { N = 5 };
	uint8_t *data[N];
	char want[N][SL_SHA256_HEX];
	struct sl_store_writer *w[N];
	for (int i = 0; i < N; i++) {
		data[i] = make_data(OBJ_LEN + (size_t)i * 4099, 40 + (uint32_t)i);
		sl_digest_sha256(data[i], OBJ_LEN + (size_t)i * 4099, want[i]);
		struct sl_store_expect ex = { .sha256 = want[i], .size = (int64_t)(OBJ_LEN + (size_t)i * 4099) };
		/* The last one expects other bytes: its commit must fail and leave nothing. */
		if (i == N - 1)
			ex.sha256 = want[0];
		w[i] = sl_store_writer_new_behind(f->st, &ex, i % 2 ? SL_STORE_DEFER_SYNC : 0, q, &cause);
		assert_non_null(w[i]);
	}
	/* Interleave odd-sized chunks, some larger than a write-behind buffer. */
	size_t off[N] = { 0 };
	for (bool more = true; more;) {
		more = false;
		for (int i = 0; i < N; i++) {
			size_t len = OBJ_LEN + (size_t)i * 4099, step = (i + 1) * 70001u;
			if (off[i] == len)
				continue;
			if (step > len - off[i])
				step = len - off[i];
			assert_int_equal(sl_store_writer_write(w[i], data[i] + off[i], step), 0);
			off[i] += step;
			more = true;
		}
	}
	for (int i = 0; i < N; i++) {
		char got[SL_SHA256_HEX];
		int rc = sl_store_writer_commit(w[i], got);
		if (i == N - 1) {
			assert_int_equal(rc, -SL_E_DIGEST);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_string_equal(got, want[i]);
		uint8_t *back = NULL;
		size_t n = 0;
		assert_int_equal(sl_store_read(f->st, want[i], 1u << 24, &back, &n), 0);
		assert_int_equal(n, OBJ_LEN + (size_t)i * 4099);
		assert_memory_equal(back, data[i], n);
		free(back);
	}
	assert_int_equal(files_in(f, "objects"), N - 1);
	assert_int_equal(files_in(f, "tmp"), 0);
	/* A resumable write-behind writer keeps exactly what it wrote when aborted, and resumes from it. */
	uint8_t *big = make_data(OBJ_LEN, 77);
	char bsha[SL_SHA256_HEX];
	sl_digest_sha256(big, OBJ_LEN, bsha);
	struct sl_store_expect bex = { .sha256 = bsha, .size = OBJ_LEN };
	struct sl_store_writer *r = sl_store_writer_new_behind(f->st, &bex, SL_STORE_RESUMABLE, q, NULL);
	assert_non_null(r);
	write_chunks(r, big, 200000);
	assert_false(sl_store_writer_busy(NULL));
	sl_store_writer_abort(r, true);
	r = sl_store_writer_new_behind(f->st, &bex, SL_STORE_RESUMABLE, q, NULL);
	assert_non_null(r);
	assert_int_equal(sl_store_writer_offset(r), 200000);
	write_chunks(r, big + 200000, OBJ_LEN - 200000);
	assert_int_equal(sl_store_writer_commit(r, NULL), 0);
	assert_int_equal(files_in(f, "partial"), 0);
	free(big);
	for (int i = 0; i < N; i++)
		free(data[i]);
	sl_writeq_free(q);
}

/* A write the disk refuses (here: a full filesystem, simulated with RLIMIT_FSIZE) fails the commit of a
 * write-behind writer with the error, and nothing is published. Run in a child: the limit is per process. */
static void test_write_behind_error(void **state)
{
	struct fx *f = *state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGXFSZ, SIG_IGN);
		struct rlimit rl = { 100000, 100000 };
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(10);
		struct sl_writeq *q = sl_writeq_new(NULL);
		uint8_t *data = make_data(OBJ_LEN, 5);
		struct sl_store_expect ex = { .size = OBJ_LEN };
		struct sl_store_writer *w = sl_store_writer_new_behind(f->st, &ex, 0, q, NULL);
		if (q == NULL || w == NULL)
			_exit(11);
		int rc = 0;
		for (size_t off = 0; off < OBJ_LEN && rc == 0; off += 50000)
			rc = sl_store_writer_write(w, data + off, OBJ_LEN - off < 50000 ? OBJ_LEN - off : 50000);
		int crc = sl_store_writer_commit(w, NULL);
		/* The same, committed behind: the queue's thread sees the failed write and names nothing. */
		w = sl_store_writer_new_behind(f->st, &ex, SL_STORE_DEFER_SYNC, q, NULL);
		if (w == NULL)
			_exit(13);
		rc = 0;
		for (size_t off = 0; off < OBJ_LEN && rc == 0; off += 50000)
			rc = sl_store_writer_write(w, data + off, OBJ_LEN - off < 50000 ? OBJ_LEN - off : 50000);
		sl_store_writer_commit_behind(w);
		int brc = sl_store_writer_commit(w, NULL);
		sl_writeq_free(q);
		free(data);
		_exit(crc == -EFBIG && brc == -EFBIG ? 0 : 12);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_store_empty(f);
}

/* Commit behind: the queue's thread checks and names each finished object while the producer goes on;
 * the commit then reports what happened: a good object is there with mode 0444, a wrong digest or a
 * failed write leaves nothing, an abort after the commit keeps the named object. */
static void test_commit_behind(void **state)
{
	struct fx *f = *state;
	struct sl_writeq *q = sl_writeq_new(NULL);
	assert_non_null(q);
	enum { N = 6 };
	size_t len[N] = { 1000, 70000, OBJ_LEN, 0, 5000, 262144 };   /* small, one buffer, several, empty */
	uint8_t *data[N];
	char want[N][SL_SHA256_HEX];
	struct sl_store_writer *w[N];
	for (int i = 0; i < N; i++) {
		data[i] = make_data(len[i] ? len[i] : 1, 90 + (uint32_t)i);
		sl_digest_sha256(data[i], len[i], want[i]);
		struct sl_store_expect ex = { .sha256 = want[i], .size = (int64_t)len[i] };
		if (i == 4)
			ex.sha256 = want[0];   /* other bytes than expected */
		w[i] = sl_store_writer_new_behind(f->st, &ex, SL_STORE_DEFER_SYNC, q, NULL);
		assert_non_null(w[i]);
		if (len[i] > 0)
			write_chunks(w[i], data[i], len[i]);
		sl_store_writer_commit_behind(w[i]);
		sl_store_writer_commit_behind(w[i]);   /* twice: no-op */
	}
	for (int i = 0; i < N; i++) {
		while (sl_store_writer_busy(w[i]))
			usleep(1000);
		if (i == 5) {
			sl_store_writer_abort(w[i], false);   /* already named: stays */
			assert_true(sl_store_has_size(f->st, want[i], len[i]));
			continue;
		}
		char got[SL_SHA256_HEX];
		int rc = sl_store_writer_commit(w[i], got);
		if (i == 4) {
			assert_int_equal(rc, -SL_E_DIGEST);
			assert_false(sl_store_has(f->st, want[4]));
			continue;
		}
		assert_int_equal(rc, 0);
		assert_string_equal(got, want[i]);
		char path[4096];
		assert_int_equal(sl_store_object_path(f->st, want[i], path, sizeof path), 0);
		struct stat sb;
		assert_int_equal(stat(path, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0444);
		assert_int_equal((size_t)sb.st_size, len[i]);
	}
	assert_int_equal(files_in(f, "objects"), N - 1);
	assert_int_equal(files_in(f, "tmp"), 0);
	for (int i = 0; i < N; i++)
		free(data[i]);
	sl_writeq_free(q);
}

/* sl_store_may_skip(): an object present when asked is skipped; one whose fan-out directory was missing
 * at the first call is fetched again even after it was written (its commit dedupes), while the exact
 * sl_store_has_size() sees it. */
static void test_may_skip(void **state)
{
	struct fx *f = *state;
	uint8_t *a = make_data(3000, 1), *b = NULL;
	char ha[SL_SHA256_HEX], hb[SL_SHA256_HEX];
	assert_int_equal(sl_store_put(f->st, a, 3000, NULL, ha), 0);
	/* Another object in a fan-out directory that does not exist yet. */
	for (uint32_t seed = 2;; seed++) {
		free(b);
		b = make_data(3000, seed);
		sl_digest_sha256(b, 3000, hb);
		if (hb[0] != ha[0] || hb[1] != ha[1])
			break;
	}
	assert_true(sl_store_may_skip(f->st, ha, 3000));
	assert_false(sl_store_may_skip(f->st, ha, 2999));   /* wrong size: fetch */
	assert_false(sl_store_may_skip(f->st, hb, 3000));
	assert_false(sl_store_may_skip(f->st, "nothex", 3000));
	assert_int_equal(sl_store_put(f->st, b, 3000, NULL, NULL), 0);
	assert_false(sl_store_may_skip(f->st, hb, 3000));
	assert_true(sl_store_has_size(f->st, hb, 3000));
	assert_int_equal(sl_store_put(f->st, b, 3000, NULL, NULL), 0);   /* fetched again: dedupes */
	free(a);
	free(b);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_put_read),
		T(test_hash_mismatch),
		T(test_size_mismatch),
		T(test_max_size),
		T(test_sigkill_writer),
		T(test_sigkill_resume),
		T(test_concurrent_writers),
		T(test_resume_after_abort),
		T(test_partial_contention),
		T(test_tampered_partial),
		T(test_oversized_partial),
		T(test_readonly_partial),
		T(test_check_detects_corruption),
		T(test_torn_object_replaced),
		T(test_deferred_fanout),
		T(test_invalid_digests),
		T(test_foreach),
		T(test_open_errors),
		T(test_write_behind),
		T(test_write_behind_error),
		T(test_commit_behind),
		T(test_may_skip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
