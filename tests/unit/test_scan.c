/* scan: the scanner child with ClamAV's own signed test database (test-6.cvd holds Eicar-Test-Signature,
 * ../shared/fixtures/clamav, never committed; skipped with a message when absent). Packages are built here
 * with libarchive as dpkg-deb builds them (ar: debian-binary, control.tar.gz, data.tar.{xz,zst}), with and
 * without the 68-byte EICAR test file, so the walk into members that ClamAV cannot open itself is shown. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
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
#include "tests/unit/lib/testfile.h"
#include "tests/unit/lib/tmpdir.h"
#include "verify/scan.h"

static const char eicar[] = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

struct fx {
	char *dir, *db;
	struct sl_scan_limits lim;
};

static int setup(void **state)
{
	const char *src = getenv("SL_SOURCE_DIR");
	char *cvd = NULL;
	if (src == NULL || asprintf(&cvd, "%s/../shared/fixtures/clamav/test-6.cvd", src) < 0 || access(cvd, R_OK) != 0) {
		fprintf(stderr, "SKIP: %s is absent (ClamAV's signed test databases)\n", cvd ? cvd : "test-6.cvd");
		free(cvd);
		*state = NULL;
		return 0;
	}
	struct fx *f = calloc(1, sizeof *f);
	f->dir = sl_test_tmpdir_new();
	assert_true(asprintf(&f->db, "%s/db", f->dir) > 0);
	assert_int_equal(mkdir(f->db, 0755), 0);
	size_t len;
	char *bytes = sl_test_read_file(cvd, &len);
	char *dst;
	assert_true(asprintf(&dst, "%s/test.cvd", f->db) > 0);
	sl_test_write_file(dst, bytes, len);
	free(dst);
	free(bytes);
	free(cvd);
	f->lim = (struct sl_scan_limits){ .max_filesize = 1u << 20, .max_scansize = 4u << 20, .max_recursion = 8 };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	if (f == NULL)
		return 0;
	free(f->db);
	sl_test_tmpdir_free(f->dir);
	free(f);
	return 0;
}

#define NEED_FIXTURE(f)         \
	do {                    \
		if ((f) == NULL) \
			skip(); \
	} while (0)

/* An archive in memory: members (name, bytes, len) in `format` with `filter`. */
struct member {
	const char *name;
	const void *data;
	size_t len;
};

static void *archive_of(int (*format)(struct archive *), int filter, const struct member *m, size_t n, size_t *out_len)
{
	size_t cap = 1u << 20;
	void *buf = malloc(cap);
	struct archive *a = archive_write_new();
	assert_int_equal(format(a), ARCHIVE_OK);
	if (filter != ARCHIVE_FILTER_NONE)
		assert_int_equal(archive_write_add_filter(a, filter), ARCHIVE_OK);
	archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(archive_write_open_memory(a, buf, cap, out_len), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)m[i].len);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, m[i].data, m[i].len), (la_ssize_t)m[i].len);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return buf;
}

/* A .deb whose data tar (compressed with `filter`) holds `payload` as ./usr/share/doc/t/file. */
static char *make_deb(struct fx *f, const char *name, int filter, const char *ext, const void *payload, size_t plen)
{
	static const char control[] = "Package: t\nVersion: 1\nArchitecture: all\nDescription: test\n";
	struct member cm[] = { { "./control", control, sizeof control - 1 } };
	size_t clen, dlen, deblen;
	void *ctar = archive_of(archive_write_set_format_pax_restricted, ARCHIVE_FILTER_GZIP, cm, 1, &clen);
	struct member dm[] = { { "./usr/share/doc/t/file", payload, plen } };
	void *dtar = archive_of(archive_write_set_format_pax_restricted, filter, dm, 1, &dlen);
	char dname[32];
	snprintf(dname, sizeof dname, "data.tar%s", ext);
	struct member am[] = { { "debian-binary", "2.0\n", 4 }, { "control.tar.gz", ctar, clen }, { dname, dtar, dlen } };
	void *deb = archive_of(archive_write_set_format_ar_svr4, ARCHIVE_FILTER_NONE, am, 3, &deblen);
	char *path;
	assert_true(asprintf(&path, "%s/%s", f->dir, name) > 0);
	sl_test_write_file(path, deb, deblen);
	free(ctar);
	free(dtar);
	free(deb);
	return path;
}

struct got {
	unsigned n;
	char kind[8][32], member[8][256], detail[8][256];
};

static void collect(void *arg, const char *kind, const char *member, const char *detail)
{
	struct got *g = arg;
	if (g->n < 8) {
		snprintf(g->kind[g->n], sizeof g->kind[0], "%s", kind);
		snprintf(g->member[g->n], sizeof g->member[0], "%s", member ? member : "(whole)");
		snprintf(g->detail[g->n], sizeof g->detail[0], "%s", detail);
	}
	g->n++;
}

static void test_eicar_in_deb_members(void **state)
{
	struct fx *f = *state;
	NEED_FIXTURE(f);
	char *cause = NULL;
	struct sl_scanner *s = sl_scanner_start(f->db, &f->lim, &cause);
	if (s == NULL)
		fail_msg("scanner: %s", cause);
	assert_true(sl_scanner_signatures(s) > 0);
	assert_non_null(strchr(sl_scanner_engine(s), '.'));
	char *zst = make_deb(f, "evil-zst.deb", ARCHIVE_FILTER_ZSTD, ".zst", eicar, sizeof eicar - 1);
	char *xz = make_deb(f, "evil-xz.deb", ARCHIVE_FILTER_XZ, ".xz", eicar, sizeof eicar - 1);
	char *clean = make_deb(f, "clean.deb", ARCHIVE_FILTER_XZ, ".xz", "hello\n", 6);
	struct got g = { 0 };
	assert_int_equal(sl_scanner_scan(s, zst, collect, &g), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.kind[0], "malware");
	assert_string_equal(g.member[0], "data.tar.zst!usr/share/doc/t/file");
	assert_non_null(strstr(g.detail[0], "Eicar-Test-Signature"));
	memset(&g, 0, sizeof g);
	assert_int_equal(sl_scanner_scan(s, xz, collect, &g), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.member[0], "data.tar.xz!usr/share/doc/t/file");
	memset(&g, 0, sizeof g);
	assert_int_equal(sl_scanner_scan(s, clean, collect, &g), 0);
	assert_int_equal(g.n, 0);
	/* The bare file, whole. */
	char *plain;
	assert_true(asprintf(&plain, "%s/eicar.com", f->dir) > 0);
	sl_test_write_file(plain, eicar, sizeof eicar - 1);
	memset(&g, 0, sizeof g);
	assert_int_equal(sl_scanner_scan(s, plain, collect, &g), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.member[0], "(whole)");
	sl_scanner_stop(s);
	free(zst);
	free(xz);
	free(clean);
	free(plain);
}

static void test_fail_closed(void **state)
{
	struct fx *f = *state;
	NEED_FIXTURE(f);
	char *cause = NULL;
	struct sl_scanner *s = sl_scanner_start(f->db, &f->lim, &cause);
	assert_non_null(s);
	/* Truncated: the data tar cannot be read to its end. */
	char *deb = make_deb(f, "cut.deb", ARCHIVE_FILTER_XZ, ".xz", eicar, sizeof eicar - 1);
	size_t len;
	char *bytes = sl_test_read_file(deb, &len);
	sl_test_write_file(deb, bytes, len - 40);
	free(bytes);
	struct got g = { 0 };
	assert_int_equal(sl_scanner_scan(s, deb, collect, &g), 0);
	assert_true(g.n >= 1);
	assert_string_equal(g.kind[0], "unreadable");
	/* A member over max_filesize is not scanned, and says so. */
	size_t big = (size_t)f->lim.max_filesize + 1;
	char *blob = calloc(1, big);
	char *large = make_deb(f, "large.deb", ARCHIVE_FILTER_GZIP, ".gz", blob, big);
	memset(&g, 0, sizeof g);
	assert_int_equal(sl_scanner_scan(s, large, collect, &g), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.kind[0], "limit");
	assert_non_null(strstr(g.detail[0], "max_filesize"));
	/* A file that is not there. */
	memset(&g, 0, sizeof g);
	assert_int_equal(sl_scanner_scan(s, "/nonexistent/file", collect, &g), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.kind[0], "scan-error");
	sl_scanner_stop(s);
	free(blob);
	free(large);
	free(deb);
	/* No database: the engine does not start, with the reason. */
	char *empty;
	assert_true(asprintf(&empty, "%s/empty", f->dir) > 0);
	assert_int_equal(mkdir(empty, 0755), 0);
	assert_null(sl_scanner_start(empty, &f->lim, &cause));
	assert_non_null(cause);
	free(cause);
	free(empty);
}

/* Archives inside members are walked whatever their names: the magic decides (ustar, a v7 tar that only
 * its header checksum marks, a zstd-compressed tar ClamAV cannot open, a cpio, and a tar in every other
 * compression libarchive's filters read: the member path shows the walk, not ClamAV, opened it). */
static void test_nested_by_magic(void **state)
{
	struct fx *f = *state;
	NEED_FIXTURE(f);
	struct sl_scanner *s = sl_scanner_start(f->db, &f->lim, NULL);
	assert_non_null(s);
	struct member em[] = { { "eicar", eicar, sizeof eicar - 1 } };
	struct {
		int (*format)(struct archive *);
		int filter;
	} inner[] = {
		{ archive_write_set_format_pax_restricted, ARCHIVE_FILTER_NONE },
		{ archive_write_set_format_v7tar, ARCHIVE_FILTER_NONE },
		{ archive_write_set_format_pax_restricted, ARCHIVE_FILTER_ZSTD },
		{ archive_write_set_format_cpio_newc, ARCHIVE_FILTER_NONE },
		{ archive_write_set_format_pax_restricted, ARCHIVE_FILTER_LZMA },
		{ archive_write_set_format_pax_restricted, ARCHIVE_FILTER_BZIP2 },
		{ archive_write_set_format_pax_restricted, ARCHIVE_FILTER_UU },
		{ archive_write_set_format_pax_restricted, ARCHIVE_FILTER_LZ4 },
		{ archive_write_set_format_pax_restricted, ARCHIVE_FILTER_LZIP },
		{ archive_write_set_format_pax_restricted, ARCHIVE_FILTER_COMPRESS },
	};
	for (size_t i = 0; i < sizeof inner / sizeof inner[0]; i++) {
		size_t len;
		void *bytes = archive_of(inner[i].format, inner[i].filter, em, 1, &len);
		char name[32];
		snprintf(name, sizeof name, "nested-%zu.deb", i);
		char *deb = make_deb(f, name, ARCHIVE_FILTER_XZ, ".xz", bytes, len);
		struct got g = { 0 };
		assert_int_equal(sl_scanner_scan(s, deb, collect, &g), 0);
		assert_int_equal(g.n, 1);
		assert_string_equal(g.kind[0], "malware");
		assert_string_equal(g.member[0], "data.tar.xz!usr/share/doc/t/file!eicar");
		free(bytes);
		free(deb);
	}
	sl_scanner_stop(s);
}

/* A member over the in-memory cap goes through a temporary file, and is scanned all the same; one at the
 * cap is scanned from memory. */
static void test_member_over_memory_cap(void **state)
{
	struct fx *f = *state;
	NEED_FIXTURE(f);
	struct sl_scan_limits lim = f->lim;
	lim.mem_member = sizeof eicar - 2;   /* one byte short of the EICAR member */
	struct sl_scanner *s = sl_scanner_start(f->db, &lim, NULL);
	assert_non_null(s);
	char *deb = make_deb(f, "over-cap.deb", ARCHIVE_FILTER_GZIP, ".gz", eicar, sizeof eicar - 1);
	struct got g = { 0 };
	assert_int_equal(sl_scanner_scan(s, deb, collect, &g), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.kind[0], "malware");
	assert_string_equal(g.member[0], "data.tar.gz!usr/share/doc/t/file");
	sl_scanner_stop(s);
	lim.mem_member = sizeof eicar - 1;   /* exactly at the cap: from memory */
	s = sl_scanner_start(f->db, &lim, NULL);
	assert_non_null(s);
	memset(&g, 0, sizeof g);
	assert_int_equal(sl_scanner_scan(s, deb, collect, &g), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.kind[0], "malware");
	sl_scanner_stop(s);
	free(deb);
}

/* Several workers: every file handed out comes back exactly once, with its own findings. */
struct verdict {
	unsigned done;
	struct got g;
};

static void collect_v(void *arg, const char *kind, const char *member, const char *detail)
{
	collect(&((struct verdict *)arg)->g, kind, member, detail);
}

static void test_workers_one_verdict_each(void **state)
{
	struct fx *f = *state;
	NEED_FIXTURE(f);
	struct sl_scan_limits lim = f->lim;
	lim.workers = 3;
	struct sl_scanner *s = sl_scanner_start(f->db, &lim, NULL);
	assert_non_null(s);
	assert_int_equal(sl_scanner_workers(s), 3);
	assert_int_equal(sl_scanner_idle(s), 3);
	enum { N = 24 };
	char *path[N];
	struct verdict v[N];
	memset(v, 0, sizeof v);
	for (unsigned i = 0; i < N; i++) {
		char name[32];
		snprintf(name, sizeof name, "w%u.deb", i);
		path[i] = i % 3 == 0 ? make_deb(f, name, ARCHIVE_FILTER_ZSTD, ".zst", eicar, sizeof eicar - 1)
				     : make_deb(f, name, ARCHIVE_FILTER_XZ, ".xz", name, strlen(name));
	}
	unsigned next = 0, settled = 0;
	while (settled < N) {
		while (next < N && sl_scanner_idle(s) > 0) {
			assert_int_equal(sl_scanner_submit(s, path[next], collect_v, &v[next]), 0);
			next++;
		}
		if (next < N)
			assert_int_equal(sl_scanner_submit(s, path[next], collect_v, &v[next]), -EBUSY);
		void *arg = NULL;
		assert_int_equal(sl_scanner_wait(s, &arg), 0);
		((struct verdict *)arg)->done++;
		settled++;
	}
	void *arg = NULL;
	assert_int_equal(sl_scanner_wait(s, &arg), -ENOENT);
	for (unsigned i = 0; i < N; i++) {
		assert_int_equal(v[i].done, 1);
		assert_int_equal(v[i].g.n, i % 3 == 0 ? 1 : 0);
		if (i % 3 == 0)
			assert_string_equal(v[i].g.member[0], "data.tar.zst!usr/share/doc/t/file");
		free(path[i]);
	}
	sl_scanner_stop(s);
}

/* A worker killed with a file in hand: that scan fails (never a pass); the other worker carries on; with
 * no worker left, every scan fails. */
static void test_worker_crash(void **state)
{
	struct fx *f = *state;
	NEED_FIXTURE(f);
	struct sl_scan_limits lim = f->lim;
	lim.workers = 2;
	struct sl_scanner *s = sl_scanner_start(f->db, &lim, NULL);
	assert_non_null(s);
	char *deb = make_deb(f, "c.deb", ARCHIVE_FILTER_XZ, ".xz", eicar, sizeof eicar - 1);
	int pid0 = sl_scanner_worker_pid(s, 0), pid1 = sl_scanner_worker_pid(s, 1);
	assert_true(pid0 > 0 && pid1 > 0 && pid0 != pid1);
	/* Stopped first, so it cannot answer before it dies: the first idle worker (0) takes the file. */
	assert_int_equal(kill(pid0, SIGSTOP), 0);
	struct verdict v = { 0 };
	assert_int_equal(sl_scanner_submit(s, deb, collect_v, &v), 0);
	assert_int_equal(kill(pid0, SIGKILL), 0);
	void *arg = NULL;
	assert_int_equal(sl_scanner_wait(s, &arg), -SL_E_VERIFY);
	assert_ptr_equal(arg, &v);
	assert_int_equal(sl_scanner_workers(s), 1);
	assert_int_equal(sl_scanner_worker_pid(s, 0), -1);
	struct got g = { 0 };
	assert_int_equal(sl_scanner_scan(s, deb, collect, &g), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.kind[0], "malware");
	/* The last worker dies while idle: nothing is left to scan with. */
	assert_int_equal(kill(pid1, SIGKILL), 0);
	waitpid(pid1, NULL, WNOHANG);
	usleep(100 * 1000);
	memset(&g, 0, sizeof g);
	assert_int_equal(sl_scanner_scan(s, deb, collect, &g), -SL_E_VERIFY);
	assert_int_equal(g.n, 0);
	sl_scanner_stop(s);
	free(deb);
}

/* The workers hold none of the caller's descriptors (a sync's catalogue, locks, connections): only their
 * pipes and stdin/out/err. */
static void test_workers_inherit_no_descriptor(void **state)
{
	struct fx *f = *state;
	NEED_FIXTURE(f);
	int p[2];
	assert_int_equal(pipe(p), 0);   /* not O_CLOEXEC, and the children never exec anyway */
	struct stat mine;
	assert_int_equal(fstat(p[0], &mine), 0);
	struct sl_scan_limits lim = f->lim;
	lim.workers = 2;
	struct sl_scanner *s = sl_scanner_spawn(f->db, &lim, NULL);
	assert_non_null(s);
	assert_int_equal(sl_scanner_ready(s, NULL), 0);
	for (unsigned w = 0; w < 2; w++) {
		int pid = sl_scanner_worker_pid(s, w);
		assert_true(pid > 0);
		unsigned fds = 0;
		for (int fd = 0; fd < 1024; fd++) {
			char path[64];
			struct stat st;
			snprintf(path, sizeof path, "/proc/%d/fd/%d", pid, fd);
			if (stat(path, &st) != 0)
				continue;
			fds++;
			assert_false(st.st_ino == mine.st_ino && st.st_dev == mine.st_dev);
		}
		assert_true(fds <= 5);   /* 0, 1, 2 and its two pipes */
	}
	sl_scanner_stop(s);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_eicar_in_deb_members, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_by_magic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_member_over_memory_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_workers_one_verdict_each, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worker_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_workers_inherit_no_descriptor, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
